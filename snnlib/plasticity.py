"""Spike-timing-dependent plasticity (STDP) on memristive synapses: the rule, the device, the network.

**The rule** (pair-based STDP, all pairs, with traces; Song, Miller & Abbott, Nat. Neurosci. 3:919, 2000;
Morrison, Diesmann & Gerstner, Biol. Cybern. 98:459, 2008). Each input keeps a trace ``x`` and each
output a trace ``y``, stepped every ``dt`` (ms):

.. math::

    x \\leftarrow x\\,e^{-\\Delta t/\\tau_+} + s^{pre}, \\qquad
    y \\leftarrow y\\,e^{-\\Delta t/\\tau_-} + s^{post}

A post spike asks every synapse for :math:`+A_+\\,x` pulses (potentiation by the inputs that fired
before it), a pre spike for :math:`-A_-\\,y` pulses (depression by the outputs that fired before it, with
``y`` taken before this step's post spikes, so a simultaneous pair counts once, as potentiation). One
pairing at :math:`\\Delta t = t_{post} - t_{pre}` therefore asks for

.. math::

    \\Delta n(\\Delta t) = A_+ e^{-\\Delta t/\\tau_+}\\ (\\Delta t \\ge 0), \\qquad
    -A_- e^{\\Delta t/\\tau_-}\\ (\\Delta t < 0)

pulses: the window Bi & Poo (J. Neurosci. 18:10464, 1998) measured in hippocampal cultures, with
their fitted time constants :math:`\\tau_+ = 16.8` ms and :math:`\\tau_- = 33.7` ms (Bi & Poo, Annu. Rev.
Neurosci. 24:139, 2001) as the defaults.

**The device** turns the demand into whole programming pulses (stochastic rounding: the expected
pulse count is the demand) and applies them with :func:`snnlib.memristor.program_pulses` — the
NeuroSim pulse model with the preset's own nonlinear, asymmetric LTP/LTD curves and its
cycle-to-cycle noise. So the weight change of a pairing depends on where the device sits on its
curve: the window the chip realises is the rule bent by the device (:func:`device_window`).
:class:`MemristiveSynapses` holds one device per synapse (state within [G_min, G_max]), read
against a reference at G_min, ``w = (G − G_min)/(G_max − G_min)``, with device-to-device variation
(``G ← G·e^{σz}``, as :mod:`snnlib.crossbar`) and stuck devices.

**The network** (:func:`train_stdp`): ON/OFF centre-surround inputs from patches of a photo
(:func:`on_off_patches`), rate-coded, drive ``N`` LIF neurons with winner-take-all lateral inhibition
(at most one neuron fires per step, then all reset) and homeostatic thresholds (Diehl & Cook, Front.
Comput. Neurosci. 9:99, 2015: θ rises by ``theta_plus`` per spike and relaxes with ``tau_theta``).
The receptive fields become oriented edge detectors (:func:`orientation_selectivity`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from snnlib import _checks
from snnlib.memristor import DevicePreset, get_device, program_pulses, pulse_conductance

__all__ = ["STDPParams", "stdp_window", "trace_step", "stdp_demand", "stochastic_round", "device_window",
           "MemristiveSynapses", "on_off_patches", "STDPResult", "train_stdp", "receptive_fields",
           "orientation_tuning", "orientation_selectivity", "oddness", "edge_kernels_from_fields", "BI_POO"]

#: How :class:`MemristiveSynapses` turns a fractional pulse demand into whole pulses.
UPDATES = ("stochastic", "accumulate")

#: Most synapses × devices an array (or a demand matrix) may hold: 1e7 float64 values are 80 MB each.
MAX_SYNAPSES = 10_000_000
#: Most values ``on_off_patches`` returns (count × 2·size²): 1e8 float64 values are 800 MB.
MAX_PATCH_VALUES = 100_000_000
#: Most device updates ``device_window`` simulates (len(delta_t) × pairings × devices; about a minute).
MAX_WINDOW_UPDATES = 1_000_000_000
#: Most synapse-steps ``stdp_demand`` computes (T × n_in × n_out; about 5 ns each: some four minutes).
MAX_DEMAND_WORK = 50_000_000_000
#: Most work ``train_stdp`` takes on: count × steps × (n_in·neurons + 1500), about 20 ns a unit (the 1500: the
#: step's fixed cost); 3e10 is some ten minutes.
MAX_TRAIN_WORK = 30_000_000_000
#: Largest DoG σ (px) accepted: the filters' support is a few σ.
MAX_SIGMA = 50.0
#: Largest |demand| (pulses per synapse and event) ``MemristiveSynapses.apply`` accepts (far beyond any
#: device's range, and within the exact integers of float64).
MAX_DEMAND = 1e12

#: Time constants (ms) of exponential fits to the Bi & Poo (1998) window (Bi & Poo, Annu. Rev. Neurosci. 2001).
BI_POO = {"tau_plus": 16.8, "tau_minus": 33.7}


@dataclass(frozen=True)
class STDPParams:
    """Pair-based STDP in pulses: ``a_plus``/``a_minus`` pulses asked by one pairing at Δt → 0 (± side),
    time constants ``tau_plus``/``tau_minus`` (ms), time step ``dt`` (ms)."""

    a_plus: float = 1.0
    a_minus: float = 0.5
    tau_plus: float = BI_POO["tau_plus"]
    tau_minus: float = BI_POO["tau_minus"]
    dt: float = 1.0

    @classmethod
    def make(cls, **kw: Any) -> STDPParams:
        """Validate each field (``ValueError`` naming it) and return the record."""
        p = cls(**kw)
        for name in ("a_plus", "a_minus"):
            _checks.non_negative(name, getattr(p, name), maximum=1e6)
        for name in ("tau_plus", "tau_minus", "dt"):
            _checks.positive(name, getattr(p, name), unit="ms", maximum=1e9)
        return cls(**{k: float(getattr(p, k)) for k in ("a_plus", "a_minus", "tau_plus", "tau_minus", "dt")})

    @classmethod
    def check(cls, params: Any) -> STDPParams:
        """``params`` validated (None → the defaults): the public functions' boundary check."""
        if params is None:
            return cls()
        if not isinstance(params, cls):
            raise ValueError(f"params must be an STDPParams (e.g. STDPParams.make(a_plus=1.0)), "
                             f"got {type(params).__name__}")
        return cls.make(**{k: getattr(params, k) for k in ("a_plus", "a_minus", "tau_plus", "tau_minus", "dt")})

    @property
    def decays(self) -> tuple[float, float]:
        """Per-step trace decays ``(e^(−dt/τ₊), e^(−dt/τ₋))``."""
        return math.exp(-self.dt / self.tau_plus), math.exp(-self.dt / self.tau_minus)


def stdp_window(delta_t: Any, params: STDPParams | None = None) -> np.ndarray:
    """The rule's window: pulses asked by one pairing at ``delta_t = t_post − t_pre`` (ms), see the module
    docstring (``Δt ≥ 0``: ``+A₊e^(−Δt/τ₊)``; ``Δt < 0``: ``−A₋e^(Δt/τ₋)``)."""
    p = STDPParams.check(params)
    d = _checks.finite_array("delta_t", delta_t)
    return _window(d, p)


def _window(d: np.ndarray, p: STDPParams) -> np.ndarray:
    return np.where(d >= 0, p.a_plus * np.exp(-np.abs(d) / p.tau_plus), -p.a_minus * np.exp(-np.abs(d) / p.tau_minus))


def trace_step(trace: np.ndarray, spikes: np.ndarray, decay: float) -> np.ndarray:
    """One step of an STDP trace: ``x ← x·decay + s`` (``s`` the 0/1 spikes of this step)."""
    decay = _checks.in_range("decay", decay, 0.0, 1.0)
    trace = _checks.finite_array("trace", trace)
    spikes = _checks.finite_array("spikes", spikes, lo=0.0, hi=1.0)
    if spikes.shape != trace.shape:
        raise ValueError(f"spikes must have the trace's shape {trace.shape}, got {spikes.shape}")
    return _trace_step(trace, spikes, decay)


def _trace_step(trace: np.ndarray, spikes: np.ndarray, decay: float) -> np.ndarray:
    return trace * decay + spikes


def stdp_demand(pre: Any, post: Any, params: STDPParams | None = None) -> np.ndarray:
    """Pulses asked of every synapse by spike trains ``pre`` [T, n_in] and ``post`` [T, n_out] (0/1),
    all pairs, by the trace rule of the module docstring; returns ``[n_in, n_out]`` (float: + LTP, − LTD)."""
    p = STDPParams.check(params)
    pre = _checks.finite_array("pre", pre, ndim=2, lo=0.0, hi=1.0)
    post = _checks.finite_array("post", post, ndim=2, lo=0.0, hi=1.0)
    if len(pre) != len(post):
        raise ValueError(f"pre and post must have the same number of steps, got {len(pre)} and {len(post)}")
    if pre.shape[1] * post.shape[1] > MAX_SYNAPSES:
        raise ValueError(f"pre [T, {pre.shape[1]}] and post [T, {post.shape[1]}] ask for a demand of "
                         f"{pre.shape[1] * post.shape[1]:.3g} synapses, more than {MAX_SYNAPSES:.0e}; use fewer "
                         "inputs or outputs")
    if len(pre) * pre.shape[1] * post.shape[1] > MAX_DEMAND_WORK:
        raise ValueError(f"T × n_in × n_out = {len(pre)} × {pre.shape[1]} × {post.shape[1]} synapse-steps is more "
                         f"than {MAX_DEMAND_WORK:.0e} (many minutes); use shorter trains or fewer inputs or outputs")
    d_plus, d_minus = p.decays
    x, y = np.zeros(pre.shape[1]), np.zeros(post.shape[1])
    demand = np.zeros((pre.shape[1], post.shape[1]))
    for s_pre, s_post in zip(pre, post):
        x, y = _stdp_step(demand, x, y, s_pre, s_post, p, d_plus, d_minus)
    return demand


def _stdp_step(demand: np.ndarray, x: np.ndarray, y: np.ndarray, s_pre: np.ndarray, s_post: np.ndarray,
               p: STDPParams, d_plus: float, d_minus: float) -> tuple[np.ndarray, np.ndarray]:
    """One step of the trace rule: add this step's asks to ``demand`` (in place), return the new traces
    ``(x, y)``. A step without pre (post) spikes asks nothing on that side and skips its outer product."""
    x = _trace_step(x, s_pre, d_plus)
    if s_pre.any():
        demand -= p.a_minus * np.outer(s_pre, y * d_minus)  # pre after post (y before this step's spikes)
    y = _trace_step(y, s_post, d_minus)
    if s_post.any():
        demand += p.a_plus * np.outer(x, s_post)  # post after (or with) pre
    return x, y


def stochastic_round(x: Any, rng: np.random.Generator) -> np.ndarray:
    """Whole numbers with expectation ``x``: ``⌊x⌋ + [u < x − ⌊x⌋]``, ``u`` uniform from ``rng``."""
    x = _checks.finite_array("x", x, lo=-MAX_DEMAND, hi=MAX_DEMAND)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    return _stochastic_round(x, rng)


def _stochastic_round(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = np.asarray(x, np.float64)
    low = np.floor(x)
    return (low + (rng.random(x.shape) < x - low)).astype(np.int64)


def _pulse_limit(device: DevicePreset, p_max: int | None) -> int:
    if p_max is not None:
        return _checks.positive_int("p_max", p_max)
    if device.p_max is None:
        raise ValueError(f"the device {device.name!r} is continuous (levels=None): give p_max (pulses from "
                         "G_min to G_max)")
    return device.p_max


class MemristiveSynapses:
    """Memristive synapses ``[n_in, n_out]``, programmed by pulses (NeuroSim model of ``device``).

    Each synapse is ``devices`` memristors (a *multi-memristive synapse*, Boybat et al., Nat. Commun.
    9:2514, 2018; 1 = one device per synapse): its weight is the mean of theirs, and each update goes to
    one of them in turn (a counter shared by the array, Boybat's arbitration). snnlib's variant also
    multiplies the demand by ``devices``, so that the weight learns as fast as with one device; the
    write noise of the mean then falls as ``1/√devices``. ``state`` (S, ``[devices, n_in, n_out]``) is every device's conductance, always
    within [G_min, G_max]. The read conductance is ``state·e^{σz}`` for device-to-device variation
    ``d2d_sigma`` (lognormal, fixed per device), or G_min / G_max for devices stuck off / on
    (``stuck_off_rate`` / ``stuck_on_rate``); a device's weight is read against a reference at G_min:
    ``w = (G_read − G_min)/(G_max − G_min)``. ``init``: the initial states, as a fraction of the pulse
    range drawn uniformly in [0, init] (NeuroSim position). ``c2c_sigma``: None → the device's.
    ``update``: how a fractional demand becomes whole pulses — ``"stochastic"`` (rounded at random,
    expectation kept) or ``"accumulate"`` (the mixed-precision scheme of Nandakumar et al., Front.
    Neurosci. 14:406, 2020: the demand is summed in a digital accumulator per synapse and only its whole
    part is programmed, the rest carried; demands of opposite sign cancel before they reach the device,
    so it is written less often and gathers less write noise). Everything random comes from ``seed``.
    """

    def __init__(self, n_in: int, n_out: int, *, device: Any = "hfox", p_max: int | None = None,
                 devices: int = 1, d2d_sigma: float = 0.0, stuck_off_rate: float = 0.0,
                 stuck_on_rate: float = 0.0, c2c_sigma: float | None = None, init: float = 0.5,
                 update: str = "stochastic", seed: int = 0) -> None:
        self.device = get_device(device)
        self.p_max = _pulse_limit(self.device, p_max)
        self.n_in = _checks.positive_int("n_in", n_in, maximum=100_000)
        self.n_out = _checks.positive_int("n_out", n_out, maximum=10_000)
        self.devices = _checks.positive_int("devices", devices, maximum=64)
        if self.devices * self.n_in * self.n_out > MAX_SYNAPSES:
            raise ValueError(f"devices × n_in × n_out = {self.devices} × {self.n_in} × {self.n_out} devices is more "
                             f"than {MAX_SYNAPSES:.0e}; use fewer inputs, outputs or devices per synapse")
        self.d2d_sigma = _checks.non_negative("d2d_sigma", d2d_sigma, maximum=3.0)
        self.stuck_off_rate = _checks.in_range("stuck_off_rate", stuck_off_rate, 0.0, 1.0)
        self.stuck_on_rate = _checks.in_range("stuck_on_rate", stuck_on_rate, 0.0, 1.0)
        if self.stuck_off_rate + self.stuck_on_rate > 1.0:
            raise ValueError("stuck_off_rate + stuck_on_rate must be at most 1")
        self.c2c_sigma = self.device.c2c_sigma if c2c_sigma is None else _checks.non_negative("c2c_sigma", c2c_sigma)
        init = _checks.in_range("init", init, 0.0, 1.0)
        self.update = _checks.one_of("update", update, UPDATES)
        self.seed = _checks.seed_value("seed", seed)
        self.rng = np.random.default_rng(self.seed)
        self.residual = np.zeros((self.n_in, self.n_out))
        self.writes = 0  # update events so far: the next one goes to device writes % devices
        d = self.device
        shape = (self.devices, self.n_in, self.n_out)
        position = self.rng.uniform(0.0, init, shape) * self.p_max
        self.state = pulse_conductance(position, g_min=d.g_min, g_max=d.g_max, p_max=self.p_max, nl=d.nl_ltp)
        self.d2d_factor = np.exp(self.d2d_sigma * self.rng.standard_normal(shape))
        u = self.rng.random(shape)
        self.stuck = np.where(u < self.stuck_off_rate, -1, np.where(u > 1.0 - self.stuck_on_rate, 1, 0))

    def conductance(self) -> np.ndarray:
        """The read conductance of every device (S), ``[devices, n_in, n_out]``."""
        d = self.device
        g = self.state * self.d2d_factor
        return np.where(self.stuck < 0, d.g_min, np.where(self.stuck > 0, d.g_max, g))

    def weights(self) -> np.ndarray:
        """The synaptic weights ``[n_in, n_out]``: the mean over a synapse's devices of
        ``(G_read − G_min)/(G_max − G_min)`` (0 … about 1; d2d can push a device past 1)."""
        d = self.device
        return np.mean((self.conductance() - d.g_min) / (d.g_max - d.g_min), axis=0)

    def apply(self, demand: Any) -> np.ndarray:
        """Program the devices: ``demand`` [n_in, n_out] pulses per synapse (float, + LTP, − LTD), made whole
        pulses (``update``: stochastic rounding or the accumulator), times ``devices``, and applied to this
        event's device of every synapse with :func:`~snnlib.memristor.program_pulses` (the device's LTP/LTD
        curves and c2c noise). Stuck devices take pulses but do not change what they read. Returns the
        pulse counts ``[n_in, n_out]``."""
        d = _checks.finite_array("demand", demand, lo=-MAX_DEMAND, hi=MAX_DEMAND)
        try:
            fits = np.broadcast_shapes(d.shape, (self.n_in, self.n_out)) == (self.n_in, self.n_out)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"demand must be [n_in, n_out] = [{self.n_in}, {self.n_out}] pulses per synapse, "
                             f"got shape {d.shape}")
        return self._apply(np.broadcast_to(d, (self.n_in, self.n_out)))

    def _apply(self, demand: np.ndarray) -> np.ndarray:
        ask = np.asarray(demand, np.float64) * self.devices
        if self.update == "accumulate":
            self.residual = self.residual + ask
            n = np.trunc(self.residual).astype(np.int64)
            self.residual -= n
        else:
            n = _stochastic_round(ask, self.rng)
        k = self.writes % self.devices
        self.writes += 1
        if np.any(n):
            d = self.device
            self.state[k] = program_pulses(self.state[k], n, g_min=d.g_min, g_max=d.g_max, p_max=self.p_max,
                                           nl_ltp=d.nl_ltp, nl_ltd=d.nl_ltd, c2c_sigma=self.c2c_sigma,
                                           seed=self.rng)
        return n


def device_window(device: Any, delta_t: Any, *, pairings: int = 60, params: STDPParams | None = None,
                  start: float = 0.5, devices: int = 200, c2c_sigma: float | None = None, p_max: int | None = None,
                  seed: int = 0) -> np.ndarray:
    """The STDP window a chip realises: mean relative weight change ``Δw`` of ``devices`` synapses after
    ``pairings`` pre/post pairings at each ``delta_t`` (ms), the protocol of Bi & Poo (1998: 60 pairings).

    Each device starts at ``start`` of its pulse range (NeuroSim position); each pairing asks
    :func:`stdp_window` pulses, stochastically rounded and applied through the device's curves and
    c2c noise. Returns ``Δw`` in units of the full weight range (G_max − G_min), one per ``delta_t``.
    """
    p = STDPParams.check(params)
    d = get_device(device)
    p_max = _pulse_limit(d, p_max)
    pairings = _checks.positive_int("pairings", pairings, maximum=10_000)
    devices = _checks.positive_int("devices", devices, maximum=100_000)
    start = _checks.in_range("start", start, 0.0, 1.0)
    dts = np.atleast_1d(_checks.finite_array("delta_t", delta_t, ndim=(0, 1)))
    if len(dts) * pairings * devices > MAX_WINDOW_UPDATES:
        raise ValueError(f"len(delta_t) × pairings × devices = {len(dts)} × {pairings} × {devices} updates is more "
                         f"than {MAX_WINDOW_UPDATES:.0e} (minutes of work); use fewer lags, pairings or devices")
    c2c = d.c2c_sigma if c2c_sigma is None else _checks.non_negative("c2c_sigma", c2c_sigma)
    rng = np.random.default_rng(_checks.seed_value("seed", seed))
    g0 = pulse_conductance(np.full(devices, start * p_max), g_min=d.g_min, g_max=d.g_max, p_max=p_max, nl=d.nl_ltp)
    out = np.empty(len(dts))
    for j, dt_pair in enumerate(dts):
        g = g0.copy()
        ask = float(_window(dt_pair, p))
        for _ in range(pairings):
            n = _stochastic_round(np.full(devices, ask), rng)
            g = program_pulses(g, n, g_min=d.g_min, g_max=d.g_max, p_max=p_max, nl_ltp=d.nl_ltp,
                               nl_ltd=d.nl_ltd, c2c_sigma=c2c, seed=rng)
        out[j] = float(np.mean(g - g0)) / (d.g_max - d.g_min)
    return out


# ----------------------------------------------------------------------------- inputs
def on_off_patches(image: Any, *, size: int = 7, count: int = 2000, sigma_center: float = 1.0,
                   sigma_surround: float = 2.0, seed: int = 0) -> np.ndarray:
    """ON and OFF centre-surround inputs of ``count`` patches ``size``×``size`` of ``image`` [H, W].

    The image is filtered by a difference of Gaussians (centre ``sigma_center`` px minus surround
    ``sigma_surround`` px: the retina's and LGN's receptive field; mirrored border), ``d``; ON inputs
    carry ``max(d, 0)``, OFF inputs ``max(−d, 0)``, scaled by the 99th percentile of ``|d|`` and clipped
    to [0, 1] (spike probabilities per step). Patches are drawn where the image has structure: with a
    probability proportional to their DoG energy (seeded). Returns ``[count, 2·size²]`` (ON then OFF,
    each row-major).
    """
    img = _checks.finite_array("image", image, ndim=2, lo=-1e150, hi=1e150)  # (DoG energy d² stays finite)
    size = _checks.positive_int("size", size, minimum=3, maximum=31)
    count = _checks.positive_int("count", count, maximum=1_000_000)
    if count * 2 * size * size > MAX_PATCH_VALUES:
        raise ValueError(f"count × 2·size² = {count} × {2 * size * size} values is more than {MAX_PATCH_VALUES:.0e}; "
                         "draw fewer or smaller patches")
    sigma_center, sigma_surround = _dog_sigmas(sigma_center, sigma_surround)
    if min(img.shape) < size:
        raise ValueError(f"the image ({img.shape[1]}×{img.shape[0]} px) is smaller than one {size}×{size} patch")
    rng = np.random.default_rng(_checks.seed_value("seed", seed))
    d = ndimage.gaussian_filter(img, sigma_center, mode="mirror") - ndimage.gaussian_filter(img, sigma_surround,
                                                                                                mode="mirror")
    scale = float(np.percentile(np.abs(d), 99))
    d = d / scale if scale > 0 else d
    energy = ndimage.uniform_filter(d**2, size, mode="mirror")
    r = size // 2
    valid = energy[r:img.shape[0] - (size - 1 - r), r:img.shape[1] - (size - 1 - r)]
    prob = valid.ravel() + 1e-12
    idx = rng.choice(prob.size, size=count, p=prob / prob.sum())
    ys, xs = np.unravel_index(idx, valid.shape)
    windows = np.stack([d[y:y + size, x:x + size] for y, x in zip(ys, xs)])
    on, off = np.clip(windows, 0, 1), np.clip(-windows, 0, 1)
    return np.concatenate([on.reshape(count, -1), off.reshape(count, -1)], axis=1)


def _dog_sigmas(sigma_center: Any, sigma_surround: Any) -> tuple[float, float]:
    c = _checks.positive("sigma_center", sigma_center, unit="px", maximum=MAX_SIGMA)
    s = _checks.positive("sigma_surround", sigma_surround, unit="px", maximum=MAX_SIGMA)
    if c >= s:
        raise ValueError(f"sigma_center ({c:g} px) must be smaller than sigma_surround ({s:g} px): a narrow centre "
                         "minus a wide surround")
    return c, s


# ----------------------------------------------------------------------------- the network
@dataclass
class STDPResult:
    """What :func:`train_stdp` learned: the synapses, thresholds, receptive-field snapshots, wins.

    ``snapshots``: weights ``[n_in, n_out]`` after each of ``snapshot_at`` patches; ``wins``: spikes of each
    neuron over training; ``last_wins``: over the last ``report_window`` patches; ``dead``: neurons that did
    not fire at all in that window; ``seconds``: wall time of the training.
    """

    synapses: MemristiveSynapses
    theta: np.ndarray
    snapshots: list = field(default_factory=list)
    snapshot_at: list = field(default_factory=list)
    wins: np.ndarray | None = None
    last_wins: np.ndarray | None = None
    dead: list = field(default_factory=list)
    seconds: float = 0.0
    size: int = 7

    @property
    def weights(self) -> np.ndarray:
        return self.synapses.weights()


def train_stdp(patches: Any, *, neurons: int = 16, steps: int = 20, device: Any = "hfox", p_max: int | None = None,
               params: STDPParams | None = None, tau: float = 10.0, threshold: float = 2.0, theta_plus: float = 0.05,
               tau_theta: float = 2000.0, max_rate: float = 0.5, d2d_sigma: float = 0.0,
               stuck_off_rate: float = 0.0, stuck_on_rate: float = 0.0, c2c_sigma: float | None = None,
               devices: int = 1, scaling: float = 0.5, target: float = 0.25, update: str = "stochastic", snapshots: int = 4,
               report_window: int = 500, seed: int = 0) -> STDPResult:
    """Learn receptive fields from ``patches`` [count, n_in] (spike probabilities, e.g. :func:`on_off_patches`)
    with STDP on memristive synapses.

    Each patch is shown for ``steps`` steps of ``params.dt`` ms (default 1 ms) as Bernoulli spikes
    (probability ``max_rate·value``).
    ``neurons`` LIF cells (``tau`` ms, exact step) receive ``I = wᵀs`` and have thresholds ``threshold +
    a_j``; at each step only the neuron furthest above its threshold fires (winner-take-all lateral
    inhibition), and then every neuron resets to 0. Homeostasis (Diehl & Cook 2015): ``a_j += theta_plus``
    per spike, ``a_j ← a_j·e^{−steps·dt/tau_theta}`` per patch. STDP (:func:`stdp_demand`, ``params``) asks
    the pulses of each patch, which :meth:`MemristiveSynapses.apply` programs at the end of the patch.
    Weight normalisation (the role of Diehl & Cook's normalisation; in the spirit of synaptic scaling,
    Turrigiano, Cell 135:422, 2008, which is multiplicative and rate-driven — this one is additive),
    also as pulses: each patch every synapse of neuron ``j`` is asked ``−scaling·p_max·(mean_i w_ij −
    target)`` pulses more, so a neuron keeps its total weight and STDP decides only *which* inputs carry
    it — without it the neuron with the largest weights wins every pattern and no field becomes
    selective. The device options go to :class:`MemristiveSynapses`. Seeded: the same seed learns the
    same fields.
    """
    x = _checks.finite_array("patches", patches, ndim=2, lo=0.0, hi=1.0)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"patches must hold at least one patch of at least one input, got shape {x.shape}")
    p = STDPParams.check(params)
    neurons = _checks.positive_int("neurons", neurons, maximum=1024)
    steps = _checks.positive_int("steps", steps, maximum=1000)
    tau = _checks.positive("tau", tau, unit="ms")
    threshold = _checks.positive("threshold", threshold)
    theta_plus = _checks.non_negative("theta_plus", theta_plus)
    tau_theta = _checks.positive("tau_theta", tau_theta, unit="ms")
    max_rate = _checks.in_range("max_rate", max_rate, 0.0, 1.0)
    snapshots = _checks.positive_int("snapshots", snapshots, maximum=100)
    scaling = _checks.non_negative("scaling", scaling, maximum=100.0)
    target = _checks.in_range("target", target, 0.0, 1.0)
    report_window = _checks.positive_int("report_window", report_window)
    work = len(x) * steps * (x.shape[1] * neurons + 1500)
    if work > MAX_TRAIN_WORK:
        raise ValueError(f"count × steps × (n_in·neurons + 1500) = {len(x)} × {steps} × ({x.shape[1]}·{neurons} + 1500) "
                         f"is more than {MAX_TRAIN_WORK:.0e} (over ten minutes of training); use fewer patches, "
                         "steps or neurons")
    seed = _checks.seed_value("seed", seed)
    syn = MemristiveSynapses(x.shape[1], neurons, device=device, p_max=p_max, d2d_sigma=d2d_sigma,
                             stuck_off_rate=stuck_off_rate, stuck_on_rate=stuck_on_rate, c2c_sigma=c2c_sigma,
                             devices=devices, update=update, seed=seed)
    rng = np.random.default_rng([seed, 1])
    gain = -math.expm1(-p.dt / tau)
    relax = math.exp(-steps * p.dt / tau_theta)
    d_plus, d_minus = p.decays
    adapt = np.zeros(neurons)
    wins = np.zeros(neurons, np.int64)
    recent = np.zeros((min(report_window, len(x)), neurons), np.int64)
    snap_at = sorted({int(round(len(x) * (k + 1) / snapshots)) for k in range(snapshots)})
    shots, shot_at = [], []
    start = time.perf_counter()
    for n, rates in enumerate(x):
        w = syn.weights()
        pre = rng.random((steps, x.shape[1])) < max_rate * rates
        v = np.zeros(neurons)
        xt, yt = np.zeros(x.shape[1]), np.zeros(neurons)
        demand = np.zeros_like(w)
        fired = np.zeros(neurons, np.int64)
        for t in range(steps):
            s = pre[t].astype(np.float64)
            v = v + gain * (s @ w - v)
            over = v - (threshold + adapt)
            post = np.zeros(neurons)
            j = int(np.argmax(over))
            if over[j] >= 0:
                post[j] = 1.0
                fired[j] += 1
                adapt[j] += theta_plus
                v[:] = 0.0  # lateral inhibition: the winner resets everyone
            xt, yt = _stdp_step(demand, xt, yt, s, post, p, d_plus, d_minus)
        demand -= scaling * syn.p_max * (w.mean(axis=0) - target)  # weight normalisation, per neuron
        syn._apply(demand)
        adapt *= relax
        wins += fired
        recent[n % len(recent)] = fired
        if n + 1 in snap_at:
            shots.append(syn.weights())
            shot_at.append(n + 1)
    seconds = time.perf_counter() - start
    last = recent.sum(axis=0)
    return STDPResult(synapses=syn, theta=threshold + adapt, snapshots=shots, snapshot_at=shot_at, wins=wins,
                      last_wins=last, dead=[int(j) for j in np.flatnonzero(last == 0)], seconds=seconds,
                      size=int(round(math.sqrt(x.shape[1] // 2))))


# ----------------------------------------------------------------------------- analysis
def receptive_fields(weights: Any, size: int) -> np.ndarray:
    """ON − OFF weights as signed filters ``[size, size, N]`` (what each neuron prefers on the DoG image)."""
    w = _checks.finite_array("weights", weights, ndim=2)
    size = _checks.positive_int("size", size, maximum=1000)
    k2 = size * size
    if w.shape[0] != 2 * k2:
        raise ValueError(f"weights must have 2·size² = {2 * k2} rows (ON then OFF), got {w.shape[0]}")
    return (w[:k2] - w[k2:]).reshape(size, size, -1)


def orientation_tuning(filters: Any, *, angles: int = 12, period: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Responses of each filter ``[k, k, N]`` to sinusoidal gratings at ``angles`` orientations in [0°, 180°)
    (spatial period ``period`` px, default ``k``): the amplitude over phase, ``|Σ f·e^{i·2π(x cos θ + y sin θ)/λ}|``.
    Returns ``(angles_rad [angles], responses [angles, N])``."""
    f = _filters(filters)
    k = f.shape[0]
    angles = _checks.positive_int("angles", angles, minimum=2, maximum=3600)
    if angles * k * k > MAX_SYNAPSES:
        raise ValueError(f"angles × k² = {angles} × {k * k} grating values is more than {MAX_SYNAPSES:.0e}; "
                         "use fewer angles")
    lam = float(k if period is None else _checks.positive("period", period))
    theta = np.arange(angles) * np.pi / angles
    yy, xx = np.mgrid[0:k, 0:k] - (k - 1) / 2.0
    phase = (xx[None] * np.cos(theta)[:, None, None] + yy[None] * np.sin(theta)[:, None, None]) * 2 * np.pi / lam
    wave = np.exp(1j * phase)  # [angles, k, k]
    resp = np.abs(np.einsum("aij,ijn->an", wave, f))
    return theta, resp


def _filters(filters: Any) -> np.ndarray:
    """``filters`` as ``[k, k, N]`` (one ``[k, k]`` filter is N = 1), or raise."""
    f = _checks.finite_array("filters", filters, ndim=(2, 3))
    f = f[..., None] if f.ndim == 2 else f
    if f.shape[0] != f.shape[1] or f.shape[0] == 0:
        raise ValueError(f"filters must be square [k, k, N] (or one [k, k]) with k >= 1, got shape {f.shape}")
    return f


def orientation_selectivity(filters: Any, *, angles: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Orientation selectivity index and preferred orientation of each filter ``[k, k, N]``:
    ``OSI = |Σ r(θ)e^{2iθ}| / Σ r(θ)`` (1 − circular variance; Ringach, Shapley & Hawken, J. Neurosci.
    22:5639, 2002): 0 for an isotropic filter, 1 for one that responds at a single orientation.
    Returns ``(osi [N], preferred [N] in radians, [0, π))``; a filter with no response has OSI 0."""
    theta, r = orientation_tuning(filters, angles=angles)
    z = np.sum(r * np.exp(2j * theta)[:, None], axis=0)
    total = r.sum(axis=0)
    osi = np.divide(np.abs(z), total, out=np.zeros_like(total), where=total > 0)
    return osi, np.mod(np.angle(z) / 2.0, np.pi)


def oddness(filters: Any) -> np.ndarray:
    """Fraction of each filter's energy ``[k, k, N]`` in its odd (point-antisymmetric) part,
    ``‖f − f_{180°}‖² / (4‖f‖²)``: 1 for an edge detector (+ on one side, − on the other), 0 for an even
    (bar or blob) detector. A step edge is found by odd filters; even ones answer on both sides of it."""
    f = _filters(filters)
    num = np.sum((f - f[::-1, ::-1]) ** 2, axis=(0, 1))
    den = 4.0 * np.sum(f**2, axis=(0, 1))
    return np.divide(num, den, out=np.zeros_like(den), where=den > 0)


def edge_kernels_from_fields(weights: Any, size: int, *, bins: int = 4, radius: int = 2, sigma_center: float = 1.0,
                             sigma_surround: float = 2.0) -> tuple[np.ndarray, list[int]]:
    """Edge kernels ``[2·radius + 1, 2·radius + 1, bins]`` for the pipeline from learned fields.

    In each of ``bins`` orientation bins the field with the largest ``OSI × oddness`` is taken (an
    oriented *edge* detector: :func:`orientation_selectivity`, :func:`oddness`), seen through the
    input's DoG (a field acts on the DoG-filtered image, so on the photo it is ``DoG ⋆ field``),
    cropped to its centre and made zero-sum. Returns ``(bank, chosen)``: the neurons used, one per
    bin (a bin without a field is left out).
    """
    fields = receptive_fields(weights, size)
    radius = _checks.positive_int("radius", radius, maximum=15)
    bins = _checks.positive_int("bins", bins, maximum=180)
    sigma_center, sigma_surround = _dog_sigmas(sigma_center, sigma_surround)
    pad = int(math.ceil(3 * sigma_surround))
    if radius > (size + 2 * pad - 1) // 2:
        raise ValueError(f"radius {radius} is larger than the field seen through the DoG ({size + 2 * pad} px "
                         f"across: radius at most {(size + 2 * pad - 1) // 2})")
    osi, pref = orientation_selectivity(fields)
    score = osi * oddness(fields)
    chosen = []
    for b in range(bins):
        lo = b * np.pi / bins - np.pi / (2 * bins)
        ang = np.mod(pref - lo, np.pi) + lo
        members = np.flatnonzero(ang < lo + np.pi / bins)
        if len(members):
            chosen.append(int(members[np.argmax(score[members])]))
    if not chosen:
        raise ValueError("no receptive field to build kernels from")
    impulse = np.zeros((2 * pad + 1, 2 * pad + 1))
    impulse[pad, pad] = 1.0
    dog = ndimage.gaussian_filter(impulse, sigma_center) - ndimage.gaussian_filter(impulse, sigma_surround)
    bank = []
    for j in chosen:
        kern = ndimage.convolve(np.pad(fields[..., j], pad), dog, mode="constant")
        c = kern.shape[0] // 2
        kern = kern[c - radius:c + radius + 1, c - radius:c + radius + 1]
        bank.append(kern - kern.mean())
    return np.stack(bank, axis=-1), chosen
