"""Memristor crossbars: vector–matrix multiply by Ohm's and Kirchhoff's laws, with non-idealities.

A crossbar holds one conductance ``G[i, j]`` (S) at the crossing of row ``i``
and column ``j``. Driving the rows with voltages ``v_i`` (V) and holding the
columns at virtual ground gives column currents (A)

    I_j = Σ_i v_i·G[i, j]          (ideal wires: I = v @ G)

Signed weights need two conductances per weight: a differential pair
``W ∝ G⁺ − G⁻`` (MemTorch's DoubleColumn, CrossSim's BalancedCore) or one
column per output against a shared reference column at mid-conductance.

* :func:`crossbar_currents` / :func:`crossbar_transfer` — exact nodal analysis
  of the array with wire resistance (IR drop), SciPy sparse LU.
One chip, read three ways. **Programming** is one pure step: :func:`program`
(weights → :func:`map_weights` → :func:`program_conductances`: levels or pulses with
cycle-to-cycle noise, device-to-device variation, stuck-at faults, drift) returns a
read-only :class:`ProgrammedArray`; its randomness is :class:`ChipDraws` of the
seed, so one seed is one chip everywhere. **Reading** is one path,
:func:`read_pair` (row voltages → column currents through a pluggable contraction
→ read noise → ADC, :func:`pair_readout`), served by

* :class:`Crossbar` — the programmed array read as a matrix product (TF,
  differentiable in the input), with DAC and the exact IR drop of
  :func:`crossbar_currents` / :func:`crossbar_transfer` (SciPy sparse LU);
* :class:`CrossbarDense` and :class:`CrossbarConv2D` — Keras 3 layers whose
  trainable kernel is programmed onto the same chip in every forward pass
  (straight-through gradients: training with the chip in the loop);
* the edge pipeline (:mod:`snnlib.edges`), the read as a convolution.

Units: S, V, A throughout. The error measures live in :mod:`snnlib.metrics`.

Every random effect takes an int ``seed``: programming-time randomness uses
``numpy.random.default_rng([seed, k])`` (one independent stream ``k`` per
effect, so switching one effect on does not change another's pattern) and
read-time randomness uses ``tf.random.stateless_normal(shape, seed=[seed, step])``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import keras
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from snnlib import _checks
from snnlib._quiet import tf
from snnlib.memristor import DevicePreset, _curve_fraction, get_device, pcm_drift
from snnlib.metrics import global_gain, relative_error  # noqa: F401  (moved to snnlib.metrics; old path kept)

__all__ = ["crossbar_currents", "crossbar_transfer", "Crossbar", "CrossbarDense", "CrossbarConv2D", "MAPPINGS",
           "ProgramOptions", "ReadOptions", "ChipDraws", "ProgrammedArray", "program", "program_conductances",
           "read_pair", "map_weights", "reference_level", "quantize_levels", "read_noise_std", "pair_read_noise",
           "pair_readout", "relative_error", "global_gain"]

MAPPINGS = ("differential", "reference")
#: Most DAC/ADC bits: a float32 current holds 24 significant bits, so more bits change nothing.
MAX_BITS = 24
#: Most conductance levels (2**24: finer than float32 resolves over the range).
MAX_LEVELS = 2**24
#: Largest wire resistance per segment (Ω): beyond it a "wire" no longer connects and the nodal system is singular.
MAX_R_WIRE = 1e6
#: Largest relative read-noise or device-to-device σ (1000 %: beyond it the array stores nothing).
MAX_SIGMA = 10.0
#: Largest read voltage (V); real arrays read at 0.1–0.3 V.
MAX_V_READ = 10.0


def _check_r_wire(r_wire: Any) -> float:
    return _checks.non_negative("r_wire", r_wire, unit="Ω per segment", maximum=MAX_R_WIRE)
PROGRAMMING = ("direct", "pulses")

# Independent NumPy streams for programming-time effects: default_rng([seed, k]).
_S_PULSES, _S_D2D, _S_STUCK = 1, 2, 3


# --------------------------------------------------------------------------- IR drop


def _conductances(name: str, G: Any) -> np.ndarray:
    G = _checks.finite_array(name, G, ndim=2, lo=0.0)
    if G.shape[0] == 0 or G.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {G.shape}")
    return G


def _nodal_matrix(G: np.ndarray, g_w: float) -> sp.csc_matrix:
    """Nodal conductance matrix: row nodes R(i,j) = i*c + j, column nodes C(i,j) = n + i*c + j."""
    r, c = G.shape
    n = r * c
    idx = np.arange(n).reshape(r, c)
    a_list, b_list, g_list = [], [], []
    # devices between R(i,j) and C(i,j)
    a_list.append(idx.ravel())
    b_list.append(idx.ravel() + n)
    g_list.append(G.ravel())
    # row wire segments R(i,j)–R(i,j+1)
    if c > 1:
        a_list.append(idx[:, :-1].ravel())
        b_list.append(idx[:, 1:].ravel())
        g_list.append(np.full(r * (c - 1), g_w))
    # column wire segments C(i,j)–C(i+1,j)
    if r > 1:
        a_list.append(idx[:-1, :].ravel() + n)
        b_list.append(idx[1:, :].ravel() + n)
        g_list.append(np.full((r - 1) * c, g_w))
    a = np.concatenate(a_list)
    b = np.concatenate(b_list)
    g = np.concatenate(g_list)
    diag = np.bincount(a, weights=g, minlength=2 * n) + np.bincount(b, weights=g, minlength=2 * n)
    diag[idx[:, 0]] += g_w          # source segment into each row at column 0
    diag[idx[-1, :] + n] += g_w     # sense segment out of each column at the last row
    rows = np.concatenate([a, b, np.arange(2 * n)])
    cols = np.concatenate([b, a, np.arange(2 * n)])
    vals = np.concatenate([-g, -g, diag])
    return sp.csc_matrix((vals, (rows, cols)), shape=(2 * n, 2 * n))


def _solve_columns(lu: Any, rhs: np.ndarray) -> np.ndarray:
    """Solve column by column: SuperLU's multi-RHS path calls multithreaded BLAS on tiny blocks,
    which can be 30x slower on a busy machine; single right-hand sides avoid it."""
    out = np.empty_like(rhs)
    for k in range(rhs.shape[1]):
        out[:, k] = lu.solve(rhs[:, k])
    return out


def _transfer(G: np.ndarray, r_wire: float) -> np.ndarray:
    """T [rows, cols] with I = v @ T, by one sparse LU and ``min(rows, cols)`` solves."""
    r, c = G.shape
    if r_wire == 0.0:
        return G.copy()
    g_w = 1.0 / r_wire
    n = r * c
    lu = spla.splu(_nodal_matrix(G, g_w))
    src = np.arange(r) * c                # R(i, 0)
    snk = n + (r - 1) * c + np.arange(c)  # C(r-1, j)
    # The nodal matrix is symmetric, so T = g_w² E_srcᵀ A⁻¹ E_snk can be formed from either side.
    if r <= c:
        rhs = np.zeros((2 * n, r))
        rhs[src, np.arange(r)] = g_w
        return g_w * _solve_columns(lu, rhs)[snk, :].T
    rhs = np.zeros((2 * n, c))
    rhs[snk, np.arange(c)] = g_w
    return g_w * _solve_columns(lu, rhs)[src, :]


def crossbar_transfer(G: Any, r_wire: float = 0.0) -> np.ndarray:
    """Transfer matrix ``T`` (S) of a crossbar with wire resistance: column currents ``I = v @ T``.

    The array is a linear resistive network, so the column currents are a
    linear function of the row voltages; ``T[i, j]`` is the current (A) out of
    column ``j`` per volt on row ``i``. ``r_wire = 0`` gives ``T = G``. For the
    circuit see :func:`crossbar_currents`. Cost: one sparse LU of a
    ``2·rows·cols`` system plus ``min(rows, cols)`` triangular solves.
    """
    G = _conductances("G", G)
    r_wire = _check_r_wire(r_wire)
    return _transfer(G, r_wire)


def crossbar_currents(G: Any, v: Any, r_wire: float = 0.0) -> np.ndarray:
    """Column currents (A) of a crossbar with conductances ``G`` (S, [rows, cols]) and row voltages ``v`` (V).

    ``v`` is ``[rows]`` or ``[batch, rows]``; the result is ``[cols]`` or
    ``[batch, cols]``. With ``r_wire = 0`` this is exactly ``v @ G``.

    With ``r_wire > 0`` (Ω per wire segment) the network is solved exactly by
    nodal analysis (Kirchhoff's current law at every node, SciPy sparse LU):

    * each cell (i, j) has a row node R(i, j) and a column node C(i, j), joined
      by the device conductance ``G[i, j]``;
    * neighbouring row nodes R(i, j)–R(i, j+1) and column nodes C(i, j)–C(i+1, j)
      are joined by one segment ``r_wire``;
    * row ``i`` is driven from the **column-0 end**: source ``v_i`` → one segment
      → R(i, 0);
    * column ``j`` is sensed at the **row-(rows−1) end**: C(rows−1, j) → one
      segment → virtual ground (0 V); the current in that segment is ``I_j``.

    Cells far from both the driver and the sense amplifier see the largest IR
    drop. A 64×64 array solves in a few tens of milliseconds.
    """
    G = _conductances("G", G)
    r_wire = _check_r_wire(r_wire)
    v = _checks.finite_array("v", v, ndim=(1, 2))
    if v.shape[-1] != G.shape[0]:
        raise ValueError(f"v must have {G.shape[0]} entries per sample (one per row of G), "
                         f"got shape {v.shape}")
    if r_wire == 0.0:
        return v @ G
    r, c = G.shape
    vb = np.atleast_2d(v)
    if vb.shape[0] > min(r, c):  # many samples: one transfer matrix is cheaper
        out = vb @ _transfer(G, r_wire)
    else:
        g_w = 1.0 / r_wire
        n = r * c
        lu = spla.splu(_nodal_matrix(G, g_w))
        rhs = np.zeros((2 * n, vb.shape[0]))
        rhs[np.arange(r) * c, :] = g_w * vb.T
        volts = _solve_columns(lu, rhs)
        out = (g_w * volts[n + (r - 1) * c + np.arange(c), :]).T
    return out[0] if v.ndim == 1 else out


# --------------------------------------------------------------------------- mapping (NumPy or TF)


def map_weights(W: Any, w_max: Any, g_min: float, g_max: float, mapping: str = "differential",
                levels: int | None = None) -> tuple[Any, Any, Any]:
    """Target conductances of a weight matrix: ``(k, G⁺, G⁻)``, NumPy in → NumPy out, TF in → TF out.

    * ``"differential"``: ``k = (G_max − G_min)/w_max``, ``G⁺ = G_min + k·max(W, 0)``,
      ``G⁻ = G_min + k·max(−W, 0)`` (MemTorch's DoubleColumn, CrossSim's BalancedCore);
      a zero weight is ``G⁺ = G⁻ = G_min``, which is a level for any level count.
    * ``"reference"``: ``G⁺ = G_ref + k·W`` and ``G⁻ = G_ref``, returned as a **scalar**
      (the shared reference column). Continuous devices (``levels=None``):
      ``G_ref = (G_min + G_max)/2``, ``k = (G_max − G_min)/(2·w_max)``. With ``levels`` the
      reference sits **on a level**, ``G_ref = G_min + m·ΔG`` with ``m = ⌊(levels − 1)/2⌋`` and
      ``ΔG = (G_max − G_min)/(levels − 1)``, and ``k = m·ΔG/w_max`` (the same reach on both
      sides): a zero weight is then stored exactly. With an even level count the midpoint falls
      between two levels and every zero weight would read ±ΔG/2 (``+w_max/127`` for 128 levels);
      the price is one unused level at the top.

    ``G⁺ − G⁻ = k·W``. Conductances in the units of ``g_min``/``g_max`` (S, or µS
    for the float32 TF path); ``k`` in those units per weight unit; ``w_max`` is
    the weight mapped to the full range (``max|W|``, > 0). Weights beyond ``w_max``
    give targets outside [G_min, G_max]: clip ``W`` first or let level rounding clip.
    """
    _checks.one_of("mapping", mapping, MAPPINGS)
    if not tf.is_tensor(w_max):
        _checks.positive("w_max", w_max)
    if mapping == "differential":
        relu = tf.nn.relu if tf.is_tensor(W) else (lambda a: np.maximum(a, 0.0))
        k = (g_max - g_min) / w_max
        return k, g_min + k * relu(W), g_min + k * relu(-W)
    g_ref, reach = reference_level(g_min, g_max, levels)
    k = reach / w_max
    return k, g_ref + k * W, g_ref


def reference_level(g_min: float, g_max: float, levels: int | None = None) -> tuple[float, float]:
    """``(G_ref, reach)`` of the reference mapping: the reference conductance and how far a weight of
    ``±w_max`` moves from it. Continuous: the midpoint and half the range; with ``levels``, the level
    ``⌊(levels − 1)/2⌋`` and that many level steps (see :func:`map_weights`)."""
    if levels is None:
        return 0.5 * (g_min + g_max), 0.5 * (g_max - g_min)
    if levels < 3:
        raise ValueError(f"mapping='reference' needs levels >= 3 (a level below and above the reference), "
                         f"got levels={levels}; use mapping='differential' for binary devices")
    m = (int(levels) - 1) // 2
    step = (g_max - g_min) / (int(levels) - 1)
    return g_min + m * step, m * step


def quantize_levels(g: Any, g_min: float, g_max: float, levels: int) -> Any:
    """Round conductances to the nearest of ``levels`` evenly spaced values in [G_min, G_max].

    ``G_q = G_min + round((clip(G) − G_min)/ΔG)·ΔG`` with ``ΔG = (G_max − G_min)/(levels − 1)``
    (round half to even), i.e. ideal write-verify programming; the error is at
    most ``ΔG/2``. NumPy in → NumPy out; a TF tensor gives a TF tensor whose
    gradient is the identity (straight-through estimator), so training sees it.
    """
    levels = _checks.positive_int("levels", levels, minimum=2, maximum=MAX_LEVELS)
    step = (g_max - g_min) / (levels - 1)
    if tf.is_tensor(g):
        q = g_min + tf.round((tf.clip_by_value(g, g_min, g_max) - g_min) / step) * step
        return _ste(g, q)
    return g_min + np.round((np.clip(g, g_min, g_max) - g_min) / step) * step


# --------------------------------------------------------------------------- read-out (TF)


def _ste(x: tf.Tensor, q: tf.Tensor) -> tf.Tensor:
    """Straight-through estimator: forward value ``q``, gradient of the identity in ``x``."""
    return x + tf.stop_gradient(q - x)


def _quantize_range(x: tf.Tensor, bits: int, lo: tf.Tensor | None = None,
                    hi: tf.Tensor | None = None) -> tf.Tensor:
    """Uniform quantisation to ``2**bits`` levels over [lo, hi] (default: the tensor's own [min, max]), STE gradient."""
    lo = tf.reduce_min(x) if lo is None else lo
    hi = tf.reduce_max(x) if hi is None else hi
    steps = float(2 ** bits - 1)
    span = hi - lo
    safe = tf.where(span > 0, span, tf.ones_like(span))
    q = lo + tf.round((x - lo) / safe * steps) * safe / steps
    return _ste(x, tf.where(span > 0, q, x))


def _rows(a: tf.Tensor, g: tf.Tensor) -> tf.Tensor:
    """``Σ_i a_i·g_ij`` over the last axis of ``a``: how row quantities reach the columns."""
    return tf.tensordot(a, g, 1)


def read_noise_std(v: tf.Tensor, g: tf.Tensor, sigma: float, contract: Any = _rows) -> tf.Tensor:
    """Standard deviation (A, or µA for µS) of the column currents under read noise (TF).

    Each device conducts ``G_ij·(1 + σ·ε_ij)`` with fresh, independent ``ε ~ N(0, 1)``
    on every read, so the column current ``Σ_i v_i·G_ij`` gains a Gaussian term
    of standard deviation

        sd_j = σ·sqrt(Σ_i v_i²·G_ij²),

    and ``sd_j·z_j`` with one ``z_j ~ N(0, 1)`` per column samples it exactly
    (cheaper than one draw per device). ``v`` row voltages (V), ``g`` conductances
    (S, or µS). ``contract(a, g)`` is the row sum ``Σ_i a_i·g_ij``: a ``tensordot``
    by default, a ``conv2d`` in the edge pipeline, where each pixel's
    neighbourhood is a set of rows.
    """
    var = contract(tf.square(v), tf.square(g))
    # sqrt has an infinite slope at 0, and a row of silent inputs (a step with no spikes) gives 0 here:
    # the double where keeps the forward value and makes the gradient 0 there instead of NaN
    positive = var > 0
    return sigma * tf.where(positive, tf.sqrt(tf.where(positive, var, tf.ones_like(var))), tf.zeros_like(var))


def pair_read_noise(v: tf.Tensor, g_pos: tf.Tensor, g_neg: tf.Tensor, sigma: float, seed: Any,
                    shape: Any, contract: Any = _rows) -> tuple[tf.Tensor, tf.Tensor]:
    """Read noise ``(δI⁺, δI⁻) = (sd⁺·z⁺, sd⁻·z⁻)`` of a column pair, :func:`read_noise_std` (TF).

    One fresh draw ``z = stateless_normal([2, *shape], seed)`` (``seed`` is
    ``[seed, step]``; ``shape`` the currents' shape): ``z⁺ = z[0]``, ``z⁻ = z[1]``.
    ``g_neg`` is ``G⁻`` (one column per output) or, for the reference mapping,
    the single reference column (last axis 1): then one draw ``z[1][..., :1]`` is
    shared by every output, as the physical column is. Both sides go through
    one ``contract`` call.
    """
    z = tf.random.stateless_normal(tf.concat([[2], shape], 0), seed=seed, dtype=v.dtype)
    n_pos, n_neg = g_pos.shape[-1], g_neg.shape[-1]
    sd = read_noise_std(v, tf.concat([g_pos, g_neg], -1), sigma, contract)
    return sd[..., :n_pos] * z[0], sd[..., n_pos:] * z[1][..., :n_neg]


def pair_readout(i_pos: tf.Tensor, i_neg: tf.Tensor, v: tf.Tensor, g_pos: tf.Tensor, g_neg: tf.Tensor, *,
                 read_noise: float = 0.0, adc_bits: int | None = None, seed: Any = (0, 0),
                 contract: Any = _rows, adc_range: tuple[float, float] | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """The periphery of a differential read: noise-free ``(I⁺, I⁻)`` → read noise → ADC (TF).

    1. ``read_noise`` σ > 0: ``I± += δI±`` from :func:`pair_read_noise` (conductances
       ``g_pos``, ``g_neg`` for the noise; the noise-free currents may include IR drop);
    2. ``adc_bits`` b: each column has its own ADC, and all share one range: ``I⁺``
       and ``I⁻`` are rounded to ``2**b`` levels over their joint [min, max] in this call
       (the whole batch, as MemTorch does), straight-through gradient. ``adc_range``
       ``(lo, hi)`` fixes the range instead (a read split into chunks shares one range).

    Currents and conductances in consistent units (A and S, or µA and µS).
    """
    if read_noise > 0:
        d_pos, d_neg = pair_read_noise(v, g_pos, g_neg, read_noise, seed, tf.shape(i_pos), contract)
        i_pos, i_neg = i_pos + d_pos, i_neg + d_neg
    if adc_bits is not None:
        if adc_range is None:
            lo = tf.minimum(tf.reduce_min(i_pos), tf.reduce_min(i_neg))
            hi = tf.maximum(tf.reduce_max(i_pos), tf.reduce_max(i_neg))
        else:
            lo, hi = (tf.constant(b, i_pos.dtype) for b in adc_range)
        i_pos, i_neg = _quantize_range(i_pos, adc_bits, lo, hi), _quantize_range(i_neg, adc_bits, lo, hi)
    return i_pos, i_neg


# --------------------------------------------------------------------------- programming: one pure step


class _TFOps:
    """The few array functions the programming step needs, for TensorFlow (NumPy has them by these names)."""

    exp = staticmethod(tf.exp)
    sqrt = staticmethod(tf.sqrt)
    where = staticmethod(tf.where)
    sign = staticmethod(tf.sign)
    floor = staticmethod(tf.floor)
    abs = staticmethod(tf.abs)
    expm1 = staticmethod(tf.math.expm1)
    ones_like = staticmethod(tf.ones_like)

    @staticmethod
    def clip(x, lo, hi):
        return tf.clip_by_value(x, lo, hi)


def _ops(x: Any) -> Any:
    return _TFOps if tf.is_tensor(x) else np


@dataclass(frozen=True)
class ProgramOptions:
    """Programming-time non-idealities of a chip, validated once (:meth:`make`).

    ``levels`` is resolved: ``None`` here means a continuous device. See :func:`program`.
    """

    device: DevicePreset
    mapping: str = "differential"
    levels: int | None = None
    programming: str = "direct"
    d2d_sigma: float = 0.0
    stuck_on_rate: float = 0.0
    stuck_off_rate: float = 0.0
    drift_time: float = 0.0

    @classmethod
    def make(cls, device: Any = "ideal", *, mapping: str = "differential", levels: int | None = None,
             programming: str = "direct", d2d_sigma: float | None = 0.0, stuck_on_rate: float = 0.0,
             stuck_off_rate: float = 0.0, drift_time: float = 0.0) -> ProgramOptions:
        """Validate and resolve (``levels=None`` → the device's, ``d2d_sigma=None`` → the device's)."""
        device = get_device(device)
        mapping = _checks.one_of("mapping", mapping, MAPPINGS)
        programming = _checks.one_of("programming", programming, PROGRAMMING)
        if levels is None:
            levels = device.levels
        levels = None if levels is None else _checks.positive_int("levels", levels, minimum=2, maximum=MAX_LEVELS)
        if programming == "pulses" and levels is None:
            raise ValueError(f"programming='pulses' needs a finite number of levels (pulse count "
                             f"levels − 1), but device {device.name!r} is continuous; "
                             "pass levels=... or a device with levels")
        if mapping == "reference" and levels is not None:
            reference_level(1.0, 2.0, levels)  # refuses fewer than 3 levels, naming the fix
        d2d_sigma = (device.d2d_sigma if d2d_sigma is None
                     else _checks.non_negative("d2d_sigma", d2d_sigma, maximum=MAX_SIGMA))
        on = _checks.in_range("stuck_on_rate", stuck_on_rate, 0.0, 1.0)
        off = _checks.in_range("stuck_off_rate", stuck_off_rate, 0.0, 1.0)
        if on + off > 1.0:
            raise ValueError(f"stuck_on_rate + stuck_off_rate must be <= 1 (fractions of devices), "
                             f"got {stuck_on_rate} + {stuck_off_rate}")
        drift_time = _checks.non_negative("drift_time", drift_time, unit="s")
        return cls(device, mapping, levels, programming, d2d_sigma, on, off, drift_time)


@dataclass(frozen=True)
class ReadOptions:
    """Read-time effects of a chip, validated once (:meth:`make`): row voltage, converters, noise, wires."""

    v_read: float = 0.2
    dac_bits: int | None = None
    adc_bits: int | None = None
    read_noise: float = 0.0
    r_wire: float = 0.0

    @classmethod
    def make(cls, *, v_read: float = 0.2, dac_bits: int | None = None, adc_bits: int | None = None,
             read_noise: float = 0.0, r_wire: float = 0.0) -> ReadOptions:
        return cls(
            v_read=_checks.positive("v_read", v_read, unit="V", maximum=MAX_V_READ),
            dac_bits=None if dac_bits is None else _checks.positive_int("dac_bits", dac_bits, maximum=MAX_BITS),
            adc_bits=None if adc_bits is None else _checks.positive_int("adc_bits", adc_bits, maximum=MAX_BITS),
            read_noise=_checks.non_negative("read_noise", read_noise, maximum=MAX_SIGMA),
            r_wire=_check_r_wire(r_wire),
        )


def _physical_shape(inputs: int, outputs: int, mapping: str) -> tuple[int, int, int]:
    """The devices: [2, inputs, outputs] (G⁺ and G⁻ sides) or [1, inputs, outputs + 1] (data + reference column)."""
    return (2, inputs, outputs) if mapping == "differential" else (1, inputs, outputs + 1)


@dataclass(frozen=True, eq=False)
class ChipDraws:
    """The random draws that make one chip — a function of ``seed`` and the array's shape alone.

    NumPy streams ``default_rng([seed, k])``, one per effect (switching one effect on does not
    change another's pattern): ``pulse_z`` ``[sides, inputs, outputs]`` (cycle-to-cycle write noise,
    stream ``[seed, 1, side]``), ``d2d_z`` and ``stuck_u`` over the physical devices (streams
    ``[seed, 2]`` and ``[seed, 3]``). :class:`Crossbar`, :class:`CrossbarDense`,
    :class:`CrossbarConv2D` and the edge pipeline all program from these, so one seed is one chip.
    """

    pulse_z: np.ndarray
    d2d_z: np.ndarray
    stuck_u: np.ndarray

    @classmethod
    def draw(cls, seed: int, inputs: int, outputs: int, mapping: str) -> ChipDraws:
        phys = _physical_shape(inputs, outputs, mapping)
        pulse = np.stack([np.random.default_rng([seed, _S_PULSES, side]).standard_normal((inputs, outputs))
                          for side in range(phys[0])])
        return cls(pulse_z=pulse, d2d_z=np.random.default_rng([seed, _S_D2D]).standard_normal(phys),
                   stuck_u=np.random.default_rng([seed, _S_STUCK]).random(phys))


def program_conductances(targets: Any, draws: Any, opts: ProgramOptions, *, data: Any = None,
                         levels_at: Any = None) -> tuple[Any, Any]:
    """The programming step on physical target conductances (S): NumPy in → NumPy out, TF in → TF out.

    ``targets`` [sides, inputs, columns] from :func:`map_weights`; ``draws`` a :class:`ChipDraws`
    (arrays, or tensors of them); ``data`` a boolean mask of the data devices (the reference
    column is a calibrated periphery device: it gets no write noise); ``levels_at`` the level
    each device aims at as ``(base, offset)`` in level steps (from :func:`_targets`; computed in
    weight space, so that NumPy's float64 and TensorFlow's float32 round a tie such as the Sobel
    tap ±0.25 the same way). In order:

    1. ``levels``: the level index is ``n = base + round(offset)``, rounding half away from zero
       (so ``+w`` and ``−w`` land symmetrically about the reference level);
       ``programming="direct"``: ``G = G_min + n·ΔG`` (ideal write-verify); ``"pulses"``: from a
       RESET at ``G_min`` the device gets ``n`` identical pulses, counted as if the device were
       linear (NeuroSim's assumption), and lands on the device's nonlinear LTP curve
       (:func:`~snnlib.memristor.pulse_conductance`) with its cycle-to-cycle write noise
       ``c2c_sigma·ΔG·√n``. The reference column is programmed the same way (the same ``m``
       pulses), so that a zero weight reads zero on a nonlinear device too;
    2. ``d2d_sigma``: ``G ← G·exp(σ·z)`` (lognormal, median-preserving);
    3. ``stuck_on_rate`` / ``stuck_off_rate``: that fraction of devices stuck at ``G_max`` / ``G_min``;
    4. ``drift_time`` (s): PCM drift ``G·((t + t0)/t0)^(−ν)`` with the device's ν.

    Every rounding has a straight-through gradient in TF, so a Keras layer trains through the chip.
    Returns ``(G, stuck_mask)``.
    """
    xp = _ops(targets)
    d = opts.device
    g_min, g_max = d.g_min, d.g_max
    g = targets
    if opts.levels is not None:
        p_max = opts.levels - 1
        base, offset = levels_at
        n = xp.clip(base + xp.sign(offset) * xp.floor(xp.abs(offset) + 0.5), 0.0, float(p_max))
        if opts.programming == "pulses":
            q = g_min + (g_max - g_min) * _curve_fraction(n, p_max, d.nl_ltp, xp)
            if d.c2c_sigma > 0:
                z = draws.pulse_z
                if data is not None:  # the calibrated reference column gets no write noise
                    z = _pad_reference(xp, z)
                q = xp.clip(q + z * d.c2c_sigma * (g_max - g_min) * xp.sqrt(n), g_min, g_max)
        else:
            q = g_min + n * ((g_max - g_min) / p_max)
        g = _ste(targets, q) if tf.is_tensor(q) else q
    if opts.d2d_sigma > 0:
        g = g * xp.exp(opts.d2d_sigma * draws.d2d_z)
    on = draws.stuck_u < opts.stuck_on_rate
    off = (draws.stuck_u >= opts.stuck_on_rate) & (draws.stuck_u < opts.stuck_on_rate + opts.stuck_off_rate)
    if opts.stuck_on_rate > 0 or opts.stuck_off_rate > 0:
        g = xp.where(on, xp.ones_like(g) * g_max, g)
        g = xp.where(off, xp.ones_like(g) * g_min, g)
    if opts.drift_time > 0 and d.drift_nu > 0:
        g = g * float(pcm_drift(1.0, opts.drift_time, d.drift_nu))
    return g, on | off


def _pad_reference(xp: Any, z: Any) -> Any:
    """Pulse draws [1, in, out] → [1, in, out + 1] (a zero for the unprogrammed reference column)."""
    if xp is np:
        return np.concatenate([z, np.zeros(z.shape[:-1] + (1,))], axis=-1)
    return tf.concat([z, tf.zeros_like(z[..., :1])], axis=-1)


def _targets(W: Any, w_max: Any, opts: ProgramOptions) -> tuple[Any, Any, Any, Any, Any]:
    """Physical targets [sides, in, cols], the data mask (reference mapping), ``k``, G_ref and the levels
    each device aims at, ``(base, offset)`` in level steps (None for a continuous device)."""
    d = opts.device
    k, t_pos, t_neg = map_weights(W, w_max, d.g_min, d.g_max, opts.mapping, opts.levels)
    is_tf = tf.is_tensor(W)
    relu = tf.nn.relu if is_tf else (lambda a: np.maximum(a, 0.0))
    if opts.mapping == "differential":
        stack = tf.stack if is_tf else np.stack
        at = None if opts.levels is None else (0.0, stack([relu(W), relu(-W)]) * ((opts.levels - 1) / w_max))
        return stack([t_pos, t_neg]), None, k, None, at
    m = None if opts.levels is None else (opts.levels - 1) // 2
    if is_tf:
        ref = tf.fill(tf.concat([tf.shape(W)[:1], [1]], 0), tf.constant(t_neg, W.dtype))
        phys = tf.concat([t_pos, ref], axis=1)[None]
        data = tf.concat([tf.ones_like(t_pos, tf.bool), tf.zeros_like(ref, tf.bool)], axis=1)[None]
        at = None if m is None else (float(m), tf.concat([W * (m / w_max), tf.zeros_like(ref)], axis=1)[None])
    else:
        phys = np.concatenate([t_pos, np.full((W.shape[0], 1), t_neg)], axis=1)[None]
        data = np.ones(phys.shape, bool)
        data[..., -1] = False
        at = None if m is None else (float(m), np.concatenate([W * (m / w_max), np.zeros((W.shape[0], 1))],
                                                                axis=1)[None])
    return phys, data, k, t_neg, at


@dataclass(frozen=True, eq=False)
class ProgrammedArray:
    """A weight matrix programmed onto devices (NumPy, S; every array **read-only**).

    ``g_pos`` [inputs, outputs]; ``g_neg_columns`` the physical negative side: ``G⁻``
    [inputs, outputs] (differential) or the reference column [inputs, 1]; ``k`` (S per
    weight unit); the targets of :func:`map_weights`; :attr:`stuck_mask` over the physical
    devices; the options it was programmed with. Built by :func:`program`.
    """

    g_pos: np.ndarray
    g_neg_columns: np.ndarray
    k: float
    target_pos: np.ndarray
    target_neg: np.ndarray
    stuck_mask: np.ndarray
    options: ProgramOptions
    seed: int

    @property
    def mapping(self) -> str:
        return self.options.mapping

    @property
    def g_neg(self) -> np.ndarray:
        """``G⁻`` [inputs, outputs] (reference mapping: the reference column broadcast, a view)."""
        return self.g_neg_columns if self.mapping == "differential" else np.broadcast_to(
            self.g_neg_columns, self.g_pos.shape)

    @property
    def g_ref(self) -> np.ndarray | None:
        """The reference column [inputs] (reference mapping), else None."""
        return None if self.mapping == "differential" else self.g_neg_columns[:, 0]

    def physical(self) -> np.ndarray:
        """The physical array: interleaved (+, −) columns, or data columns + reference column."""
        if self.mapping == "differential":
            g = np.empty((self.g_pos.shape[0], 2 * self.g_pos.shape[1]))
            g[:, 0::2], g[:, 1::2] = self.g_pos, self.g_neg_columns
            return g
        return np.concatenate([self.g_pos, self.g_neg_columns], axis=1)

    def effective_weights(self) -> np.ndarray:
        """The weights the programmed array realises, ``(G⁺ − G⁻)/k`` (weight units): all
        programming-time effects, none of the read-time ones."""
        return (self.g_pos - self.g_neg) / self.k


def program(W: Any, *, device: str | DevicePreset = "ideal", mapping: str = "differential",
            levels: int | None = None, programming: str = "direct", d2d_sigma: float | None = 0.0,
            stuck_on_rate: float = 0.0, stuck_off_rate: float = 0.0, drift_time: float = 0.0,
            seed: int = 0) -> ProgrammedArray:
    """Program a weight matrix ``W`` [inputs, outputs] onto a device: :func:`map_weights`
    (``w_max = max|W|``), then :func:`program_conductances` with the chip of ``seed``
    (:class:`ChipDraws`). Pure: the same arguments give the same chip, bit for bit."""
    W = _checks.finite_array("W", W, ndim=2)
    if W.shape[0] == 0 or W.shape[1] == 0:
        raise ValueError(f"W must be [inputs, outputs] with both > 0, got shape {W.shape}")
    opts = ProgramOptions.make(device, mapping=mapping, levels=levels, programming=programming,
                               d2d_sigma=d2d_sigma, stuck_on_rate=stuck_on_rate, stuck_off_rate=stuck_off_rate,
                               drift_time=drift_time)
    seed = _checks.seed_value("seed", seed)
    return _program_numpy(W, opts, seed)


def _program_numpy(W: np.ndarray, opts: ProgramOptions, seed: int) -> ProgrammedArray:
    w_max = float(np.max(np.abs(W))) or 1.0
    phys, data, k, g_ref_target, at = _targets(W, w_max, opts)
    draws = ChipDraws.draw(seed, W.shape[0], W.shape[1], opts.mapping)
    g, stuck = program_conductances(phys, draws, opts, data=data, levels_at=at)
    if opts.mapping == "differential":
        g_pos, g_neg, t_pos, t_neg = g[0], g[1], phys[0], phys[1]
    else:
        g_pos, g_neg = g[0, :, :-1], g[0, :, -1:]
        t_pos, t_neg = phys[0, :, :-1], np.broadcast_to(g_ref_target, W.shape)
    arrays = [np.ascontiguousarray(a) for a in (g_pos, g_neg, t_pos)] + [t_neg, stuck]
    for a in arrays:
        a.setflags(write=False)
    return ProgrammedArray(*arrays[:2], float(k), arrays[2], arrays[3], arrays[4], opts, seed)


# --------------------------------------------------------------------------- one read path


def read_pair(v: tf.Tensor, t_pos: tf.Tensor, t_neg: tf.Tensor, g_pos: tf.Tensor, g_neg: tf.Tensor, *,
              read_noise: float = 0.0, adc_bits: int | None = None, seed: Any = (0, 0), contract: Any = _rows,
              adc_range: tuple[float, float] | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """The read of a column pair (TF): row voltages ``v`` (V) → ``(I⁺, I⁻)`` (A).

    ``I± = contract(v, T±)`` with the transfer conductances ``T±`` (S: the devices, or with IR drop
    the transfer matrix of :func:`crossbar_transfer`), then the periphery of
    :func:`pair_readout` (read noise from the devices ``g_pos``, ``g_neg``; ADC). ``contract`` is
    the row sum: a ``tensordot`` for :class:`Crossbar` and :class:`CrossbarDense`, a ``conv2d``
    for :class:`CrossbarConv2D` and the edge pipeline (each pixel's neighbourhood is a set of rows).
    """
    return pair_readout(contract(v, t_pos), contract(v, t_neg), v, g_pos, g_neg, read_noise=read_noise,
                        adc_bits=adc_bits, seed=seed, contract=contract, adc_range=adc_range)


def _read_step(step: Any) -> Any:
    """The read-noise step: an int in [0, 2**63 − 1], or an integer tensor (inside graphs, passed as is)."""
    if tf.is_tensor(step):
        if not step.dtype.is_integer:
            raise ValueError(f"step must be an integer tensor (the read-noise counter), got dtype {step.dtype.name}")
        return step
    return _checks.seed_value("step", step)


# --------------------------------------------------------------------------- Crossbar


class Crossbar:
    """A weight matrix ``W`` [inputs, outputs] programmed onto memristor conductances, and read.

    ``Crossbar(W, ...)`` = :func:`program` (programming time, NumPy) + :class:`ReadOptions`
    (read time, TensorFlow, :func:`read_pair` with a matrix-product contraction).

    Mapping (``k`` converts weight units to siemens):

    * ``"differential"`` (default): ``G⁺ = G_min + k·max(W, 0)``,
      ``G⁻ = G_min + k·max(−W, 0)``, ``k = (G_max − G_min)/max|W|`` — the side
      of larger magnitude carries ``|w|``, the other sits at ``G_min``.
    * ``"reference"``: one column per output, ``G = G_ref + k·W``, and one shared
      reference column at ``G_ref``; ``g_neg`` is that column broadcast to
      [inputs, outputs]. Continuous devices: ``G_ref = (G_min + G_max)/2``,
      ``k = (G_max − G_min)/(2·max|W|)``; with levels, ``G_ref`` sits on the level
      ``⌊(levels − 1)/2⌋`` so that a zero weight is stored exactly
      (:func:`map_weights`, :func:`reference_level`; at least 3 levels).

    Read-out: inputs ``x`` become row voltages ``x·v_read`` (V), and
    ``y = (I⁺ − I⁻)/(v_read·k)`` returns weight units, so the ideal crossbar
    computes ``y = x @ W``.

    Programming non-idealities (all **off by default**; order and formulas in
    :func:`program_conductances`): ``levels`` (None → the device's; None there =
    continuous) with ``programming="direct"`` or ``"pulses"``, ``d2d_sigma`` (None →
    the device's value), ``stuck_on_rate`` / ``stuck_off_rate``, ``drift_time`` (s).
    The reference column is a calibrated periphery device: exempt from levels and
    pulses but not from variation, faults and drift.

    Programmed state (NumPy, S; **read-only**): ``target_pos``/``target_neg``,
    ``g_pos``/``g_neg`` [inputs, outputs], ``g_ref`` [inputs] (reference mapping,
    else None), :attr:`stuck_mask`; :attr:`array` is the :class:`ProgrammedArray`.

    At read time (``currents``/``matmul``): ``dac_bits`` quantises the inputs
    over their [min, max]; ``r_wire`` (Ω per segment) applies the exact IR-drop
    transfer matrix of :func:`crossbar_transfer` (computed once, NumPy/SciPy;
    the TF product with it stays differentiable in ``x`` but not in ``r_wire``);
    ``read_noise`` adds fresh Gaussian conductance noise of relative σ to every
    device on every read — sampled exactly through its effect on the column
    currents, ``σ·sqrt(Σ_i v_i²·G_ij²)·z_j`` (with IR drop, this uses the
    ideal-wire formula) — seeded by ``[seed, step]``; ``adc_bits`` quantises
    the column currents over their [min, max] in the call. DAC/ADC ranges are
    taken per call (the whole batch), as MemTorch does.
    """

    def __init__(self, W: Any, *, device: str | DevicePreset = "ideal",
                 mapping: str = "differential", levels: int | None = None,
                 programming: str = "direct", d2d_sigma: float | None = 0.0,
                 read_noise: float = 0.0, stuck_on_rate: float = 0.0,
                 stuck_off_rate: float = 0.0, drift_time: float = 0.0,
                 dac_bits: int | None = None, adc_bits: int | None = None,
                 r_wire: float = 0.0, v_read: float = 0.2, seed: int = 0) -> None:
        W = _checks.finite_array("W", W, ndim=2)
        self.reading = ReadOptions.make(v_read=v_read, dac_bits=dac_bits, adc_bits=adc_bits,
                                        read_noise=read_noise, r_wire=r_wire)
        self.array = program(W, device=device, mapping=mapping, levels=levels, programming=programming,
                             d2d_sigma=d2d_sigma, stuck_on_rate=stuck_on_rate, stuck_off_rate=stuck_off_rate,
                             drift_time=drift_time, seed=seed)
        o, r = self.array.options, self.reading
        self.W, (self.inputs, self.outputs) = W, W.shape
        self.device, self.mapping, self.levels, self.programming = o.device, o.mapping, o.levels, o.programming
        self.d2d_sigma, self.stuck_on_rate, self.stuck_off_rate = o.d2d_sigma, o.stuck_on_rate, o.stuck_off_rate
        self.drift_time, self.seed = o.drift_time, self.array.seed
        self.v_read, self.dac_bits, self.adc_bits = r.v_read, r.dac_bits, r.adc_bits
        self.read_noise, self.r_wire = r.read_noise, r.r_wire
        a = self.array
        self.k, self.g_pos, self.g_neg, self.g_ref = a.k, a.g_pos, a.g_neg, a.g_ref
        self.target_pos, self.target_neg = a.target_pos, a.target_neg
        self._tf_cache: dict[str, Any] | None = None

    @classmethod
    def ideal(cls, W: Any, **kwargs: Any) -> Crossbar:
        """An ideal crossbar (ideal device, no non-idealities): ``matmul(x) == x @ W``."""
        return cls(W, device="ideal", **kwargs)

    def effective_weights(self) -> np.ndarray:
        """The weights the programmed array realises, ``(G⁺ − G⁻)/k`` (weight units).

        Includes all programming-time effects (levels/pulses, d2d, stuck-at,
        drift); read-time effects (IR drop, read noise, DAC/ADC) are not in it.
        """
        return self.array.effective_weights()

    @property
    def stuck_mask(self) -> np.ndarray:
        """Boolean mask of stuck devices, kept from programming (read-only).

        Shape [2, inputs, outputs] (differential: G⁺, G⁻) or [1, inputs, outputs + 1]
        (reference: the data columns, then the reference column).
        """
        return self.array.stuck_mask

    @property
    def g_neg_columns(self) -> np.ndarray:
        """The physical negative side (S): ``g_neg`` [inputs, outputs], or the reference column [inputs, 1]."""
        return self.array.g_neg_columns

    # ------------------------------------------------------------ read time

    def _physical(self) -> np.ndarray:
        return self.array.physical()

    def transfer(self) -> tuple[np.ndarray, np.ndarray]:
        """Effective (T⁺, T⁻) [inputs, outputs] in S including IR drop: ``I± = v @ T±`` (cached)."""
        tfc = self._tensors()
        return tfc["t_pos_np"], tfc["t_neg_np"]

    def _tensors(self) -> dict[str, Any]:
        """The cached TF constants, built once from the (read-only) programmed arrays."""
        if self._tf_cache is None:
            with tf.init_scope():  # build eager constants even when first called inside a graph
                self._tf_cache = self._build_tensors()
        return self._tf_cache

    def _build_tensors(self) -> dict[str, Any]:
        """Transfer matrices (with IR drop when r_wire > 0) and their TF constants (S)."""
        if self.r_wire > 0:
            T = _transfer(self._physical(), self.r_wire)
            if self.mapping == "differential":
                t_pos, t_neg = T[:, 0::2], T[:, 1::2]
            else:
                t_pos, t_neg = T[:, :-1], np.broadcast_to(T[:, -1:], self.g_pos.shape)
        else:
            t_pos, t_neg = self.g_pos, self.g_neg
        t_pos, t_neg = np.ascontiguousarray(t_pos), np.ascontiguousarray(t_neg)
        t_pos.setflags(write=False)
        t_neg.setflags(write=False)
        return {
            "t_pos_np": t_pos, "t_neg_np": t_neg,
            "w_eff": tf.constant((t_pos - t_neg) / self.k, tf.float64),
            "t_pos": tf.constant(t_pos, tf.float32), "t_neg": tf.constant(t_neg, tf.float32),
            # the devices themselves, for the read noise (reference mapping: the one reference column)
            "g_pos": tf.constant(self.g_pos, tf.float32), "g_neg": tf.constant(self.g_neg_columns, tf.float32),
        }

    def _column_currents(self, x: tf.Tensor, step: Any) -> tuple[tf.Tensor, tf.Tensor]:
        """(I⁺, I⁻) in A for row voltages ``x·v_read`` (x already DAC-quantised)."""
        c = self._tensors()
        seed = tf.stack([tf.constant(self.seed, tf.int64), tf.cast(step, tf.int64)])
        return read_pair(x * self.v_read, c["t_pos"], c["t_neg"], c["g_pos"], c["g_neg"],
                         read_noise=self.read_noise, adc_bits=self.adc_bits, seed=seed)

    def _prepare(self, x: Any) -> tf.Tensor:
        if not tf.is_tensor(x):
            x = _checks.finite_array("x", x)  # numbers only, no NaN (tensors inside tf.function pass as they are)
        x = tf.convert_to_tensor(x)
        if not (x.dtype.is_floating or x.dtype.is_integer or x.dtype.is_bool):
            raise ValueError(f"x must hold numbers (input values per row), got dtype {x.dtype.name}")
        if not x.dtype.is_floating:
            x = tf.cast(x, tf.float32)
        if x.shape.rank is not None and x.shape.rank == 0:
            raise ValueError("x must have shape [..., inputs], got a scalar")
        last = x.shape[-1]
        if last is not None and last != self.inputs:
            raise ValueError(f"x must have {self.inputs} features in its last axis (the crossbar's "
                             f"inputs), got shape {tuple(x.shape)}")
        if self.dac_bits is not None:
            x = _quantize_range(x, self.dac_bits)
        return x

    def matmul(self, x: Any, step: Any = 0) -> tf.Tensor:
        """``x`` [..., inputs] → ``y`` [..., outputs] in weight units, through the crossbar (TF).

        Batched, works inside ``tf.function`` and Keras models and passes
        gradients to ``x`` (straight-through for DAC/ADC rounding). ``step``
        (int or int tensor) seeds the read noise, ``[seed, step]``: same step,
        same noise. Without read noise and ADC the product is the single matmul
        ``x @ W_eff`` (float32-exact for the ideal crossbar).
        """
        x = self._prepare(x)
        step = _read_step(step)
        c = self._tensors()
        if self.read_noise == 0 and self.adc_bits is None:
            w = tf.cast(c["w_eff"], x.dtype)
            return tf.tensordot(x, w, 1)
        i_pos, i_neg = self._column_currents(tf.cast(x, tf.float32), step)
        y = (i_pos - i_neg) / (self.v_read * self.k)
        return tf.cast(y, x.dtype)

    def currents(self, x: Any, step: int = 0) -> np.ndarray:
        """Differential column currents ``I⁺ − I⁻`` (A), NumPy [..., outputs], for inputs ``x``.

        Row voltages are ``x·v_read`` (V); all read-time effects of
        :meth:`matmul` apply (same ``step`` → same read noise).
        """
        x = self._prepare(x)
        i_pos, i_neg = self._column_currents(tf.cast(x, tf.float32), _read_step(step))
        return (i_pos - i_neg).numpy().astype(np.float64)

    def column_currents(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free (I⁺, I⁻) in A, float64 NumPy, with IR drop solved exactly by :func:`crossbar_currents`."""
        v = _checks.finite_array("x", x, ndim=(1, 2)) * self.v_read
        if self.r_wire == 0:
            return v @ self.g_pos, v @ self.g_neg
        i_all = crossbar_currents(self._physical(), v, self.r_wire)
        if self.mapping == "differential":
            return i_all[..., 0::2], i_all[..., 1::2]
        return i_all[..., :-1], np.repeat(i_all[..., -1:], self.outputs, axis=-1)

    def __repr__(self) -> str:
        on = [f"{k}={getattr(self, k)}" for k in ("levels", "d2d_sigma", "read_noise", "stuck_on_rate",
                                                   "stuck_off_rate", "drift_time", "dac_bits",
                                                   "adc_bits", "r_wire")
              if getattr(self, k) not in (None, 0, 0.0)]
        return (f"Crossbar({self.inputs}x{self.outputs}, device={self.device.name!r}, "
                f"mapping={self.mapping!r}, programming={self.programming!r}"
                + (", " + ", ".join(on) if on else ", ideal") + ")")


# --------------------------------------------------------------------------- Keras layers


class _CrossbarLayer(keras.layers.Layer):
    """What :class:`CrossbarDense` and :class:`CrossbarConv2D` share: a trainable kernel programmed onto a
    chip in every forward pass (:func:`program_conductances` on tensors, straight-through roundings),
    read by :func:`read_pair` with the layer's contraction.

    The chip is :class:`ChipDraws` of ``seed`` — the same chip :class:`Crossbar` and the edge pipeline
    program from that seed — kept as non-trainable weights, so ``.keras`` save/load keeps it and
    :meth:`deploy` can swap in a fresh chip (``chip_seed``) or age it (``drift_time``) without
    retraining. Read noise advances with a saved step counter: every call draws anew, seeded
    ``[seed, step]``.

    ``on_off=True``: every column pair drives two outputs, ``[y, −y]`` — an ON neuron fed ``+I`` and an
    OFF neuron fed ``−I`` (the edge pipeline's read-out): outputs ``[..., 2·units]``, the OFF half the
    exact negative of the ON half (bias included), one read for both.
    """

    def __init__(self, *, device: str | DevicePreset | dict = "ideal", mapping: str = "differential",
                 levels: int | None = None, programming: str = "direct", d2d_sigma: float | None = 0.0,
                 stuck_on_rate: float = 0.0, stuck_off_rate: float = 0.0, drift_time: float = 0.0,
                 read_noise: float = 0.0, dac_bits: int | None = None, adc_bits: int | None = None,
                 w_max: float | None = None, v_read: float = 0.2, use_bias: bool = True, activation: Any = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros", seed: int = 0,
                 on_off: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_off = bool(on_off)
        self._device_arg = device.to_dict() if isinstance(device, DevicePreset) else device
        self.options = ProgramOptions.make(device, mapping=mapping, levels=levels, programming=programming,
                                           d2d_sigma=d2d_sigma, stuck_on_rate=stuck_on_rate,
                                           stuck_off_rate=stuck_off_rate, drift_time=drift_time)
        self.reading = ReadOptions.make(v_read=v_read, dac_bits=dac_bits, adc_bits=adc_bits, read_noise=read_noise)
        o = self.options
        self.device, self.mapping, self.levels, self.programming = o.device, o.mapping, o.levels, o.programming
        self.d2d_sigma, self.read_noise, self.v_read = o.d2d_sigma, self.reading.read_noise, self.reading.v_read
        self.w_max = None if w_max is None else _checks.positive("w_max", w_max, maximum=_checks.FLOAT32_MAX)
        if self.w_max is not None and self.w_max < 1e-30:
            raise ValueError(f"w_max must be at least 1e-30 (it enters float32 tensors), got {w_max!r}")
        self.use_bias = bool(use_bias)
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = _checks.seed_value("seed", seed)

    # the weight matrix [rows, outputs] the chip stores (a reshape of the kernel)
    def _matrix(self) -> tf.Tensor:
        raise NotImplementedError

    def _build_chip(self, rows: int, outputs: int) -> None:
        draws = ChipDraws.draw(self.seed, rows, outputs, self.mapping)
        def const(name: str, value: np.ndarray) -> Any:
            return self.add_weight(name=name, shape=value.shape, trainable=False,
                                   initializer=keras.initializers.Constant(value), dtype=self.variable_dtype)
        self.pulse_z = const("pulse_z", draws.pulse_z)
        self.d2d_z = const("d2d_z", draws.d2d_z)
        self.stuck_u = const("stuck_u", draws.stuck_u)
        self.drift_factor = const("drift_factor", np.asarray(self._drift_factor(self.options.drift_time)))
        self.read_step = (self.add_weight(name="read_step", shape=(), initializer="zeros", dtype="int64",
                                          trainable=False) if self.read_noise > 0 else None)

    def deploy(self, *, chip_seed: int | None = None, drift_time: float | None = None) -> None:
        """Put the trained kernel on another chip (``chip_seed``: fresh draws of the same device) and/or
        read it ``drift_time`` seconds after programming — the inference-time effects, no retraining."""
        if chip_seed is not None:
            rows, outputs = self.pulse_z.shape[1], self.pulse_z.shape[2]
            draws = ChipDraws.draw(_checks.seed_value("chip_seed", chip_seed), rows, outputs, self.mapping)
            for var, value in ((self.pulse_z, draws.pulse_z), (self.d2d_z, draws.d2d_z),
                               (self.stuck_u, draws.stuck_u)):
                var.assign(value.astype(var.dtype))
            self.seed = int(chip_seed)
        if drift_time is not None:
            t = _checks.non_negative("drift_time", drift_time, unit="s")
            self.options = replace(self.options, drift_time=t)
            self.drift_factor.assign(self._drift_factor(t))

    def _drift_factor(self, t: float) -> float:
        """PCM drift of every device after ``t`` s, ``((t + t0)/t0)^(−ν)`` (1 for a device without drift)."""
        nu = self.device.drift_nu
        return float(pcm_drift(1.0, t, nu)) if t > 0 and nu > 0 else 1.0

    def conductances(self) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(G⁺, G⁻, k) of the current kernel on this chip (S, S per weight unit), differentiable in the kernel.

        For the reference mapping ``G⁻`` is the reference column, shape [rows, 1].
        """
        w = self._matrix()
        if self.w_max is None:
            w_max = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(w)), 1e-12))
        else:
            w_max = tf.constant(self.w_max, w.dtype)
            w = tf.clip_by_value(w, -w_max, w_max)
        phys, data, k, _, at = _targets(w, w_max, self.options)
        draws = ChipDraws(pulse_z=tf.cast(self.pulse_z, w.dtype), d2d_z=tf.cast(self.d2d_z, w.dtype),
                          stuck_u=tf.cast(self.stuck_u, w.dtype))
        # drift is applied as a saved factor (a variable), so deploy(drift_time=...) reaches compiled functions too
        g, _ = program_conductances(phys, draws, replace(self.options, drift_time=0.0), data=data, levels_at=at)
        g = g * tf.cast(self.drift_factor, g.dtype)
        if self.mapping == "differential":
            return g[0], g[1], k
        return g[0, :, :-1], g[0, :, -1:], k

    @staticmethod
    def _effective(g_pos: tf.Tensor, g_neg: tf.Tensor, k: tf.Tensor) -> tf.Tensor:
        return (g_pos - g_neg) / k

    def effective_weights(self) -> tf.Tensor:
        """The chip's effective weight matrix ``W_eff = (G⁺ − G⁻)/k`` [rows, outputs] in the layer's compute
        dtype (weight units): what an ideal read of this chip multiplies the inputs by (levels, variation,
        stuck devices and drift included; read noise, DAC and ADC not); with ``on_off``, ``[W_eff, −W_eff]``
        [rows, 2·outputs]. The same tensor the layer's read uses when it has no read-time effect, so a
        Dense/Conv2D holding it computes identical outputs."""
        g_pos, g_neg, k = (tf.cast(a, self.compute_dtype) for a in self.conductances())
        return self._pair_outputs(self._effective(g_pos, g_neg, k))

    def _pair_outputs(self, y: tf.Tensor) -> tf.Tensor:
        """``[y, −y]`` on the last axis with ``on_off``, else ``y``."""
        return tf.concat([y, -y], axis=-1) if self.on_off else y

    def _read(self, x: tf.Tensor, contract: Any, g_pos: tf.Tensor, g_neg: tf.Tensor, k: tf.Tensor) -> tf.Tensor:
        if self.reading.dac_bits is not None:
            x = _quantize_range(x, self.reading.dac_bits)
        v = x * self.v_read
        if self.read_step is not None:  # this read's step, then the counter moves on (first call: step 0,
            step = tf.identity(self.read_step)  # as Crossbar.matmul(x, step=0))
            with tf.control_dependencies([step]):
                self.read_step.assign_add(1)
            seed = tf.stack([tf.constant(self.seed, tf.int64), tf.cast(step, tf.int64)])
        else:
            seed = (0, 0)
        if self.read_noise == 0 and self.reading.adc_bits is None:
            # no read-time effect between the devices and the output: the read is linear, so
            # (x·v_read)@(G⁺ − G⁻)/(v_read·k) = x@W_eff with W_eff = (G⁺ − G⁻)/k — computed in that form, so
            # that the effective weights exported (to_nir) give the very same numbers on a plain Dense/Conv2D
            return contract(x, self._pair_outputs(self._effective(g_pos, g_neg, k)))
        g_neg_full = g_neg if self.mapping == "differential" else tf.broadcast_to(g_neg, tf.shape(g_pos))
        i_pos, i_neg = read_pair(v, g_pos, g_neg_full, g_pos, g_neg, read_noise=self.read_noise,
                                 adc_bits=self.reading.adc_bits, seed=seed, contract=contract)
        return self._pair_outputs((i_pos - i_neg) / (self.v_read * k))

    def _finish(self, y: tf.Tensor) -> tf.Tensor:
        if self.bias is not None:
            y = y + self._pair_outputs(tf.cast(self.bias, y.dtype))
        return self.activation(y)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        o, r = self.options, self.reading
        config.update({
            "device": self._device_arg, "mapping": o.mapping, "levels": o.levels, "programming": o.programming,
            "d2d_sigma": o.d2d_sigma, "stuck_on_rate": o.stuck_on_rate, "stuck_off_rate": o.stuck_off_rate,
            "drift_time": o.drift_time, "read_noise": r.read_noise, "dac_bits": r.dac_bits,
            "adc_bits": r.adc_bits, "w_max": self.w_max, "v_read": r.v_read, "use_bias": self.use_bias,
            "activation": keras.activations.serialize(self.activation),
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "seed": self.seed, "on_off": self.on_off,
        })
        return config


def _cast_input(layer: keras.layers.Layer, inputs: Any) -> tf.Tensor:
    if not tf.is_tensor(inputs):
        _checks.finite_array("inputs", inputs)  # numbers only: no text, no complex values, no NaN
    x = tf.convert_to_tensor(inputs)
    if x.dtype.is_complex or x.dtype == tf.string:
        raise ValueError(f"{type(layer).__name__} inputs must be real numbers, got dtype {x.dtype.name}")
    if not x.dtype.is_floating:  # spikes or pixel values given as integers or bools
        x = tf.cast(x, layer.compute_dtype)
    return x


@keras.saving.register_keras_serializable(package="snnlib")
class CrossbarDense(_CrossbarLayer):
    """Dense layer whose kernel ``W`` [in, units] is programmed onto a memristor chip in the forward pass.

    Every programming effect of :class:`Crossbar` — ``mapping``, ``levels`` (None → the device's)
    with ``programming="direct"`` or ``"pulses"`` (NeuroSim curve and cycle-to-cycle noise),
    ``d2d_sigma`` (None → the device's), ``stuck_on_rate``/``stuck_off_rate``, ``drift_time`` —
    and every read effect but IR drop — ``dac_bits``, ``read_noise`` (fresh on every call),
    ``adc_bits`` — with straight-through gradients through the roundings, so training sees the
    chip (hardware-aware training). ``w_max``: None → ``max|W|`` of the moment (no gradient
    through it); a number → ``W`` is clipped to ``[−w_max, w_max]``. The same ``seed`` is the
    same chip as ``Crossbar(W, seed=seed)``; :meth:`deploy` moves a trained layer to another chip
    or reads it after drift. Output ``y = (I⁺ − I⁻)/(v_read·k) + bias`` in weight units, then
    ``activation``. IR drop is not modelled here (use :class:`Crossbar` on the trained weights).
    """

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units)

    def build(self, input_shape: Any) -> None:
        if not input_shape or input_shape[-1] is None:
            raise ValueError(f"CrossbarDense needs inputs shaped [..., features] with a known feature count, "
                             f"got shape {input_shape}")
        n_in = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(n_in, self.units),
                                      initializer=self.kernel_initializer, trainable=True)
        self.bias = (self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                     trainable=True) if self.use_bias else None)
        self._build_chip(n_in, self.units)

    def _matrix(self) -> tf.Tensor:
        return tf.convert_to_tensor(self.kernel)

    def call(self, inputs: Any) -> tf.Tensor:
        x = _cast_input(self, inputs)
        g_pos, g_neg, k = (tf.cast(a, x.dtype) for a in self.conductances())
        return self._finish(self._read(x, _rows, g_pos, g_neg, k))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*tuple(input_shape[:-1]), self.units * (2 if self.on_off else 1))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="snnlib")
class CrossbarConv2D(_CrossbarLayer):
    """2-D convolution on a memristor chip (channels-last ``[batch, H, W, C_in]``), for spiking conv nets.

    The kernel ``[k, k, C_in, filters]`` is the weight matrix ``[k·k·C_in, filters]`` of one crossbar:
    each output pixel is one read of its ``k×k×C_in`` neighbourhood (the rows) against the
    ``filters`` column pairs, written as a ``conv2d`` contraction of the row voltages with the
    conductance kernels. Programming and read effects, chip, :meth:`deploy` and training are those of
    :class:`CrossbarDense` (and of the edge pipeline, which is this read with a fixed kernel).
    ``padding``: ``"valid"``, ``"same"`` (zeros) or ``"reflect"`` (mirror, the edge pipeline's rule).
    """

    def __init__(self, filters: int, kernel_size: int, *, padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters = _checks.positive_int("filters", filters)
        self.kernel_size = _checks.positive_int("kernel_size", kernel_size)
        self.padding = _checks.one_of("padding", padding, ("valid", "same", "reflect"))

    def build(self, input_shape: Any) -> None:
        if input_shape is None or len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"CrossbarConv2D needs inputs [batch, H, W, channels] with known channels, "
                             f"got shape {input_shape}")
        c_in, k = int(input_shape[-1]), self.kernel_size
        self.kernel = self.add_weight(name="kernel", shape=(k, k, c_in, self.filters),
                                      initializer=self.kernel_initializer, trainable=True)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                     trainable=True) if self.use_bias else None)
        self._build_chip(k * k * c_in, self.filters)

    def _matrix(self) -> tf.Tensor:
        return tf.reshape(self.kernel, (-1, self.filters))

    def call(self, inputs: Any) -> tf.Tensor:
        x = _cast_input(self, inputs)
        k, c_in = self.kernel_size, int(self.kernel.shape[2])
        if self.padding == "reflect":
            r = k // 2
            x = tf.pad(x, [[0, 0], [r, k - 1 - r], [r, k - 1 - r], [0, 0]], mode="REFLECT")
        mode = "SAME" if self.padding == "same" else "VALID"

        def contract(a: tf.Tensor, g: tf.Tensor) -> tf.Tensor:  # rows [k·k·C_in, n] → conv2d filter
            return tf.nn.conv2d(a, tf.reshape(g, (k, k, c_in, -1)), strides=1, padding=mode)

        g_pos, g_neg, kk = (tf.cast(a, x.dtype) for a in self.conductances())
        return self._finish(self._read(x, contract, g_pos, g_neg, kk))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        b, h, w, _ = input_shape
        if self.padding == "valid" and h is not None:
            h, w = h - self.kernel_size + 1, w - self.kernel_size + 1
        return (b, h, w, self.filters * (2 if self.on_off else 1))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "padding": self.padding}
