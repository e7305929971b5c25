"""Memristor device physics: drift models, window functions, pulse programming, presets, drift.

Everything here is NumPy (no TensorFlow): pure functions carry the math, thin
classes bundle parameters. Units: resistance in Ω, conductance in S, voltage
in V, current in A, charge in C, time in s.

State convention. Every model reports a normalised state ``x`` in [0, 1] with
``x = 1`` the fully ON (low-resistance, ``R_on``) state and ``x = 0`` fully OFF,
so that the memristance is always ``M(x) = R_on·x + R_off·(1 − x)``.

Models
------
* :class:`HPMemristor` — linear ion drift, Strukov, Snider, Stewart & Williams,
  "The missing memristor found", Nature 453, 80–83 (2008), with the window
  functions of Joglekar & Wolf (Eur. J. Phys. 30, 2009), Biolek, Biolek &
  Biolková (Radioengineering 18, 2009) and Prodromakis et al. (IEEE Trans.
  Electron Devices 58(9), 3099, 2011); :func:`hp_small_swing` gives its
  small-swing state swing and lobe area under a sine.
* :class:`VTEAMMemristor` — threshold model of Kvatinsky, Ramadan, Friedman &
  Kolodny, "VTEAM: a general model for voltage-controlled memristors",
  IEEE TCAS-II 62(8), 786–790 (2015), with MemTorch's default parameters.
* :func:`pulse_conductance` — nonlinear conductance-versus-pulse curve of
  NeuroSim (Chen, Peng & Yu, IEEE TCAD 37, 2018; MLP NeuroSim V3.0 manual
  eqs. 1–3), with :func:`program_pulses` / :class:`PulseProgrammer` for
  cycle-to-cycle write noise.
* :data:`PRESETS` — device table of NeuroSim V3.0 (manual Table II; Chen & Yu,
  IEEE Design & Test 2019).
* :func:`pcm_drift` — phase-change-memory power-law conductance drift.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from snnlib import _checks

__all__ = [
    "MemristorTrace",
    "HPMemristor",
    "SmallSwing",
    "hp_small_swing",
    "VTEAMMemristor",
    "window_joglekar",
    "window_biolek",
    "window_prodromakis",
    "sine",
    "lobe_area",
    "neurosim_norm_a",
    "pulse_conductance",
    "pulse_number",
    "program_pulses",
    "PulseProgrammer",
    "DevicePreset",
    "PRESETS",
    "get_device",
    "pcm_drift",
]

WINDOWS = ("none", "joglekar", "biolek", "prodromakis")


# --------------------------------------------------------------------------- windows


def window_joglekar(x: Any, p: float = 1) -> np.ndarray:
    """Joglekar–Wolf window ``f(x) = 1 − (2x − 1)^(2p)`` (Eur. J. Phys. 30, 661, 2009).

    ``f(0) = f(1) = 0`` and ``f(0.5) = 1``. At a bound the state is locked: the
    rate is zero whatever the current (the "boundary lock" problem). The even
    power is taken as ``|2x − 1|^(2p)`` so that non-integer ``p`` is defined;
    for integer ``p`` this is identical to the published form.
    """
    return _joglekar(np.asarray(x, dtype=np.float64), p)


def window_biolek(x: Any, i: Any, p: float = 1) -> np.ndarray:
    """Biolek window ``f(x, i) = 1 − (x − stp(−i))^(2p)`` (Radioengineering 18, 210, 2009).

    ``stp`` is the unit step (``stp(0) = 0`` here; at ``i = 0`` the state does
    not move anyway). With ``i > 0`` (x rising) ``f(1) = 0`` but ``f(0) = 1``;
    with ``i < 0`` ``f(0) = 0`` but ``f(1) = 1``: the state escapes a bound as
    soon as the current reverses. ``(·)^(2p)`` is taken as ``|·|^(2p)``.
    """
    return _biolek(np.asarray(x, dtype=np.float64), np.asarray(i, dtype=np.float64), p)


def window_prodromakis(x: Any, p: float = 1, j: float = 1.0) -> np.ndarray:
    """Prodromakis window ``f(x) = j·(1 − [(x − 0.5)² + 0.75]^p)`` (IEEE TED 58, 3099, 2011).

    ``f(0) = f(1) = 0``; the maximum is at ``x = 0.5`` and equals
    ``j·(1 − 0.75^p)``, which tends to ``j`` as ``p`` grows (``p`` sets the
    flatness, ``j`` the height).
    """
    return _prodromakis(np.asarray(x, dtype=np.float64), p, j)


# The window formulas, written once. They take Python floats (the RK4 loop of
# HPMemristor.simulate calls them per sub-step, where NumPy's per-call cost
# would dominate) as well as float arrays (the public window_* functions).


def _joglekar(x: Any, p: float) -> Any:
    return 1.0 - abs(2.0 * x - 1.0) ** (2.0 * p)


def _biolek(x: Any, i: Any, p: float) -> Any:
    return 1.0 - abs(x - (i < 0)) ** (2.0 * p)  # (i < 0) is stp(−i): True counts as 1


def _prodromakis(x: Any, p: float, j: float) -> Any:
    return j * (1.0 - ((x - 0.5) ** 2 + 0.75) ** p)


def _window_kernel(window: str, p: float, j: float) -> Callable[[Any, Any], Any] | None:
    """``f(x, i)`` of the named window with its parameters bound; ``None`` for ``"none"`` (f = 1)."""
    if window == "joglekar":
        return lambda x, i: _joglekar(x, p)
    if window == "biolek":
        return lambda x, i: _biolek(x, i, p)
    if window == "prodromakis":
        return lambda x, i: _prodromakis(x, p, j)
    return None


# --------------------------------------------------------------------------- resistance


def _memristance(x: Any, r_on: float, r_off: float) -> Any:
    """``M(x) = R_on·x + R_off·(1 − x)`` (Ω) for a float or a float array ``x`` (1 = ON)."""
    return r_on * x + r_off * (1.0 - x)


def _resistance_range(r_on: Any, r_off: Any) -> tuple[float, float]:
    r_on = _checks.positive("r_on", r_on, unit="Ω")
    r_off = _checks.positive("r_off", r_off, unit="Ω")
    if r_off <= r_on:
        raise ValueError(f"r_off ({r_off} Ω) must be larger than r_on ({r_on} Ω)")
    return r_on, r_off


# --------------------------------------------------------------------------- traces


@dataclass(frozen=True)
class MemristorTrace:
    """Result of a device simulation, all NumPy arrays of the same length.

    ``t`` time (s), ``v`` voltage across the device (V), ``i`` current (A) and
    ``x`` normalised state (1 = fully ON, ``R_on``; 0 = fully OFF, ``R_off``).
    """

    t: np.ndarray
    v: np.ndarray
    i: np.ndarray
    x: np.ndarray

    @property
    def charge(self) -> np.ndarray:
        """Charge passed since ``t[0]``, ``q(t) = ∫ i dt`` (C), by the trapezoid rule."""
        dq = 0.5 * (self.i[1:] + self.i[:-1]) * np.diff(self.t)
        return np.concatenate([[0.0], np.cumsum(dq)])


def sine(v0: float, f: float, t: Any) -> np.ndarray:
    """Sine drive ``v(t) = v0·sin(2π f t)`` (V), with ``v0`` in V, ``f`` in Hz, ``t`` in s."""
    v0 = _checks.non_negative("v0", v0, unit="V")
    f = _checks.positive("f", f, unit="Hz")
    t = _checks.finite_array("t", t, ndim=1)
    return v0 * np.sin(2.0 * np.pi * f * t)


def lobe_area(trace: MemristorTrace, period: float | None = None) -> float:
    """Area enclosed by the pinched i–v hysteresis loop (V·A = W).

    A pinched loop is a figure eight whose two lobes (``v > 0`` and ``v < 0``)
    turn in opposite directions, so the plain shoelace sum over the whole loop
    would cancel. Here each edge of the sampled (v, i) polygon contributes its
    shoelace term ``½(v_k·i_{k+1} − v_{k+1}·i_k)`` (the signed triangle with
    the origin, which is the pinch point) to the lobe on whose side of ``v = 0``
    it lies, and the absolute lobe areas are added.

    Pass a trace covering exactly one period, or give ``period`` (s) to use the
    last period of a longer trace.
    """
    t, v, i = trace.t, trace.v, trace.i
    if period is not None:
        period = _checks.positive("period", period, unit="s")
        if period > (t[-1] - t[0]) * (1 + 1e-12):
            raise ValueError(f"period ({period} s) is longer than the trace ({t[-1] - t[0]} s); "
                             "simulate at least one full period")
        keep = t >= t[-1] - period * (1 + 1e-9)
        v, i = v[keep], i[keep]
    cross = 0.5 * (v[:-1] * i[1:] - v[1:] * i[:-1])
    vmid = 0.5 * (v[:-1] + v[1:])
    return float(abs(cross[vmid > 0].sum()) + abs(cross[vmid < 0].sum()))


class SmallSwing(NamedTuple):
    """Small-swing estimates of :func:`hp_small_swing`: state swing ``swing`` (dimensionless) and lobe ``area`` (W)."""

    swing: np.ndarray
    area: np.ndarray


def hp_small_swing(v0: float, f: Any, *, m0: float, delta_r: float, q_d: float) -> SmallSwing:
    """HP model (no window) under ``v(t) = v0·sin(2π f t)``: state swing and lobe area for small swings.

    With ``M0 = M(x0)`` the charge passed since ``t = 0`` is
    ``q(t) ≈ V0/(2π f M0)·(1 − cos 2π f t)``, so the state swings by

        Δx = x_max − x0 ≈ V0 / (π f M0 Q_D),

    and, to first order in ``Δx``, the current gains the hysteretic part
    ``v·ΔR·q/(M0²·Q_D)``; integrated around the loop, the two lobes together
    enclose (cf. :func:`lobe_area`)

        A ≈ 2·ΔR·V0³ / (3π f M0³ Q_D)   ∝ 1/f.

    Units: ``v0`` in V, ``f`` in Hz (scalar or array), ``m0`` and
    ``delta_r = R_off − R_on`` in Ω, ``q_d = D²/(µ_v·R_on)`` in C; ``swing`` is
    dimensionless, ``area`` in V·A = W. Valid while ``Δx ≪ 1`` and ``x`` stays
    inside (0, 1) (Strukov et al., Nature 453, 80, 2008, linear drift; the
    1/f decay is the second fingerprint of Adhikari, Sah, Kim & Chua, IEEE
    TCAS-I 60, 3008, 2013).
    """
    v0 = _checks.non_negative("v0", v0, unit="V")
    f = _checks.finite_array("f", f, lo=0.0)
    if f.size and f.min() == 0:
        raise ValueError("f must be > 0 Hz (the estimates grow as 1/f); drop the zero frequency")
    m0 = _checks.positive("m0", m0, unit="Ω")
    delta_r = _checks.non_negative("delta_r", delta_r, unit="Ω")
    q_d = _checks.positive("q_d", q_d, unit="C")
    swing = v0 / (np.pi * f * m0 * q_d)
    area = 2.0 * delta_r * v0 ** 3 / (3.0 * np.pi * f * m0 ** 3 * q_d)
    return SmallSwing(swing=swing, area=area)


def _voltage_samples(voltage: Any, t: np.ndarray) -> np.ndarray:
    if callable(voltage):
        try:
            v = np.asarray(voltage(t), dtype=np.float64)
        except Exception:  # a scalar-only callable
            v = None
        if v is None or v.shape != t.shape:
            v = np.array([float(voltage(tt)) for tt in t])
        return _checks.finite_array("voltage", v, ndim=1)
    v = _checks.finite_array("voltage", voltage, ndim=1)
    if v.shape != t.shape:
        raise ValueError(f"voltage must have the same length as t ({t.size} samples), got {v.size}; "
                         "sample the waveform at the times t, or pass a callable v(t)")
    return v


def _conductance_range(g_min: Any, g_max: Any) -> tuple[float, float]:
    g_min = _checks.positive("g_min", g_min, unit="S")
    g_max = _checks.positive("g_max", g_max, unit="S")
    if g_max <= g_min:
        raise ValueError(f"g_max ({g_max} S) must be larger than g_min ({g_min} S)")
    return g_min, g_max


def _time_axis(t: Any) -> np.ndarray:
    t = _checks.finite_array("t", t, ndim=1)
    if t.size < 2:
        raise ValueError("t must hold at least 2 sample times (s)")
    if np.any(np.diff(t) <= 0):
        raise ValueError("t must be strictly increasing (sample times in s)")
    return t


# --------------------------------------------------------------------------- HP model


class HPMemristor:
    """HP linear-ion-drift memristor (Strukov et al., Nature 453, 80, 2008).

    ``M(x) = R_on·x + R_off·(1 − x)``, ``i = v / M(x)`` and

        dx/dt = (µ_v·R_on / D²) · i(t) · f(x, i),

    with ``x = w/D`` in [0, 1] (clipped) and ``f`` one of the windows
    ``"none"`` (f = 1), ``"joglekar"``, ``"biolek"``, ``"prodromakis"`` (see
    :func:`window_joglekar` etc.). Defaults are the common (and MemTorch's)
    values: D = 10 nm, µ_v = 1e-14 m²/(V·s), R_on = 100 Ω, R_off = 16 kΩ, so
    the charge scale is ``Q_D = D²/(µ_v·R_on) = 1e-4 C``. Without a window and
    while ``x`` stays inside (0, 1), ``x − x0 = q/Q_D`` exactly.

    Parameters: ``r_on``, ``r_off`` (Ω), ``d`` (m), ``mu_v`` (m²/(V·s)),
    ``x0`` initial state, ``window``, ``p`` window exponent, ``j`` Prodromakis
    height.
    """

    def __init__(self, r_on: float = 100.0, r_off: float = 16e3, d: float = 10e-9,
                 mu_v: float = 1e-14, x0: float = 0.1, window: str = "none",
                 p: float = 1, j: float = 1.0) -> None:
        self.r_on, self.r_off = _resistance_range(r_on, r_off)
        self.d = _checks.positive("d", d, unit="m")
        self.mu_v = _checks.positive("mu_v", mu_v, unit="m²/(V·s)")
        self.x0 = _checks.in_range("x0", x0, 0.0, 1.0)
        self.window = _checks.one_of("window", window, WINDOWS)
        self.p = _checks.positive("p", p)
        self.j = _checks.positive("j", j)

    @property
    def q_d(self) -> float:
        """Charge needed to sweep the whole film without a window, ``Q_D = D²/(µ_v·R_on)`` (C)."""
        return self.d ** 2 / (self.mu_v * self.r_on)

    def resistance(self, x: Any) -> np.ndarray:
        """Memristance ``M(x) = R_on·x + R_off·(1 − x)`` (Ω)."""
        return _memristance(np.asarray(x, dtype=np.float64), self.r_on, self.r_off)

    def window_value(self, x: Any, i: Any = 1.0) -> np.ndarray:
        """The window ``f(x, i)`` of this device (``i`` matters only for Biolek; 1 for ``"none"``).

        The same formulas as :func:`window_joglekar`, :func:`window_biolek` and
        :func:`window_prodromakis`, and the ones :meth:`simulate` integrates with.
        """
        x = np.asarray(x, dtype=np.float64)
        kernel = _window_kernel(self.window, self.p, self.j)
        if kernel is None:
            return np.ones_like(x)
        return kernel(x, np.asarray(i, dtype=np.float64))

    def small_swing(self, v0: float, f: Any) -> SmallSwing:
        """Small-swing estimates for a sine ``v0·sin(2π f t)`` (V, Hz) from ``x0``; see :func:`hp_small_swing`.

        Only for ``window="none"`` (the estimate assumes ``dx/dt = i/Q_D``).
        """
        if self.window != "none":
            raise ValueError(f"small_swing assumes linear drift without a window; this device has "
                             f"window={self.window!r} (use HPMemristor(window='none'))")
        return hp_small_swing(v0, f, m0=float(self.resistance(self.x0)), delta_r=self.r_off - self.r_on,
                              q_d=self.q_d)

    def simulate(self, voltage: Any, t: Any, *, max_dx: float = 0.01) -> MemristorTrace:
        """Drive the device with ``voltage`` (V) sampled at times ``t`` (s).

        ``voltage`` is an array of the same length as ``t`` or a callable
        ``v(t)``. Between samples the voltage is taken as linear; the state is
        advanced by classical RK4 with as many sub-steps per sample as keep the
        worst-case state change per sub-step below ``max_dx`` (bounded by
        ``k·|v|·Δt/R_on``); ``x`` is clipped to [0, 1] after every sub-step.
        Returns a :class:`MemristorTrace`; ``i = v/M(x)`` exactly, so ``i = 0``
        wherever ``v = 0``.
        """
        t = _time_axis(t)
        v = _voltage_samples(voltage, t)
        max_dx = _checks.positive("max_dx", max_dx)
        x = _integrate_hp(t, v, self.x0, 1.0 / self.q_d, self.r_on, self.r_off,
                          _window_kernel(self.window, self.p, self.j), max_dx)
        i = v / self.resistance(x)
        return MemristorTrace(t=t, v=v, i=i, x=x)


def _integrate_hp(t: np.ndarray, v: np.ndarray, x0: float, k: float, r_on: float, r_off: float,
                  window: Callable[[float, float], float] | None, max_dx: float) -> np.ndarray:
    """RK4 for dx/dt = k·v/M(x)·f(x, i), v linear between samples (tight scalar loop).

    ``window`` is a scalar ``f(x, i)`` from :func:`_window_kernel` (``None``: f = 1);
    it is called with ``v`` for ``i``, which has the same sign since ``M > 0``.
    """
    tl = t.tolist()
    vl = v.tolist()
    out = np.empty(len(tl))
    out[0] = xc = x0

    def rate(xx: float, vv: float) -> float:
        if xx < 0.0:
            xx = 0.0
        elif xx > 1.0:
            xx = 1.0
        r = k * vv / _memristance(xx, r_on, r_off)
        return r if window is None else r * window(xx, vv)

    for n in range(len(tl) - 1):
        v0 = vl[n]
        v1 = vl[n + 1]
        span = tl[n + 1] - tl[n]
        vmax = max(abs(v0), abs(v1))
        if vmax == 0.0:
            out[n + 1] = xc
            continue
        est = k * vmax * span / r_on
        nsub = 1 if est <= max_dx else min(int(est / max_dx) + 1, 100_000)
        h = span / nsub
        dv = (v1 - v0) / nsub
        for s in range(nsub):
            va = v0 + dv * s
            vm = va + 0.5 * dv
            k1 = rate(xc, va)
            k2 = rate(xc + 0.5 * h * k1, vm)
            k3 = rate(xc + 0.5 * h * k2, vm)
            k4 = rate(xc + h * k3, va + dv)
            xc += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            if xc < 0.0:
                xc = 0.0
            elif xc > 1.0:
                xc = 1.0
        out[n + 1] = xc
    return out


# --------------------------------------------------------------------------- VTEAM


class VTEAMMemristor:
    """VTEAM threshold memristor (Kvatinsky et al., IEEE TCAS-II 62(8), 786, 2015).

    Internal state ``w`` in [w_on, w_off] (m) with

        dw/dt = k_off·(v/v_off − 1)^α_off   for v > v_off > 0,
        dw/dt = 0                          for v_on ≤ v ≤ v_off,
        dw/dt = k_on·(v/v_on − 1)^α_on     for v < v_on < 0,

    ``k_on < 0 < k_off``, and the linear I–V of the paper,
    ``R(w) = R_on + (R_off − R_on)·(w − w_on)/(w_off − w_on)``, ``i = v/R``.
    No window is applied; ``w`` is clipped to its bounds (as in MemTorch).
    Defaults are MemTorch's: R_on 50 Ω, R_off 1 kΩ, k_on −10 m/s,
    k_off 5e-4 m/s, α_on 3, α_off 1, v_on −0.2 V, v_off 0.02 V, D = w_off − w_on
    = 3 nm. The trace reports ``x = (w_off − w)/(w_off − w_on)`` (1 = ON), so
    positive voltage above ``v_off`` switches the device OFF (x falls) and
    negative voltage below ``v_on`` switches it ON.
    """

    def __init__(self, r_on: float = 50.0, r_off: float = 1e3, d: float = 3e-9,
                 k_on: float = -10.0, k_off: float = 5e-4, alpha_on: float = 3,
                 alpha_off: float = 1, v_on: float = -0.2, v_off: float = 0.02,
                 x0: float = 1.0) -> None:
        self.r_on, self.r_off = _resistance_range(r_on, r_off)
        self.d = _checks.positive("d", d, unit="m")
        self.k_off = _checks.positive("k_off", k_off, unit="m/s")
        self.k_on = -_checks.positive("-k_on", -float(k_on), unit="m/s")
        self.alpha_on = _checks.positive("alpha_on", alpha_on)
        self.alpha_off = _checks.positive("alpha_off", alpha_off)
        self.v_off = _checks.positive("v_off", v_off, unit="V")
        self.v_on = -_checks.positive("-v_on", -float(v_on), unit="V")
        self.x0 = _checks.in_range("x0", x0, 0.0, 1.0)

    def resistance(self, x: Any) -> np.ndarray:
        """``R = R_on·x + R_off·(1 − x)`` (Ω), the paper's linear R(w) in the ON-fraction ``x``."""
        return _memristance(np.asarray(x, dtype=np.float64), self.r_on, self.r_off)

    def state_rate(self, v: Any) -> np.ndarray:
        """``dw/dt`` (m/s) at voltage ``v`` (V); exactly 0 for ``v_on ≤ v ≤ v_off``."""
        v = np.asarray(v, dtype=np.float64)
        off = np.where(v > self.v_off,
                       self.k_off * np.maximum(v / self.v_off - 1.0, 0.0) ** self.alpha_off, 0.0)
        on = np.where(v < self.v_on,
                      self.k_on * np.maximum(v / self.v_on - 1.0, 0.0) ** self.alpha_on, 0.0)
        return off + on

    def simulate(self, voltage: Any, t: Any, *, substeps: int = 16) -> MemristorTrace:
        """Drive the device with ``voltage`` (V) sampled at times ``t`` (s); see :class:`HPMemristor`.

        The rate depends on the voltage only, so each sample interval's change
        ``Δw = ∫ dw/dt dt`` is integrated (composite midpoint rule over
        ``substeps`` points of the linearly interpolated voltage) and ``w`` is
        accumulated with clipping to [w_on, w_off].
        """
        t = _time_axis(t)
        v = _voltage_samples(voltage, t)
        substeps = _checks.positive_int("substeps", substeps)
        frac = (np.arange(substeps) + 0.5) / substeps
        vs = v[:-1, None] + (v[1:] - v[:-1])[:, None] * frac[None, :]
        dw = self.state_rate(vs).mean(axis=1) * np.diff(t)
        w = np.empty(t.size)
        wc = (1.0 - self.x0) * self.d  # w_on = 0, w_off = d
        w[0] = wc
        for n, step in enumerate(dw.tolist()):
            wc = min(max(wc + step, 0.0), self.d)
            w[n + 1] = wc
        x = 1.0 - w / self.d
        return MemristorTrace(t=t, v=v, i=v / self.resistance(x), x=x)


# --------------------------------------------------------------------------- NeuroSim pulses

# NL label -> A/P_max, from NeuroSim's "Nonlinearity-NormA" table
# (MLP NeuroSim V3.0, documents/Nonlinearity-NormA; Chen, Peng & Yu, IEEE TCAD 37, 2018).
_NL_TABLE = np.array([
    (0.01, 126.269), (0.02, 63.1343), (0.05, 25.2533), (0.1, 12.6258), (0.2, 6.3113),
    (0.3, 4.2057), (0.4, 3.1523), (0.5, 2.5199), (0.6, 2.0979), (0.7, 1.7961), (0.8, 1.5695),
    (0.9, 1.3931), (1.0, 1.2517), (1.1, 1.1357), (1.2, 1.039), (1.3, 0.9569), (1.4, 0.8864),
    (1.51, 0.8195), (1.6, 0.7714), (1.7, 0.7239), (1.8, 0.6815), (1.9, 0.6434), (2.0, 0.609),
    (2.1, 0.5778), (2.2, 0.5493), (2.3, 0.5232), (2.4, 0.4992), (2.5, 0.477), (2.6, 0.4564),
    (2.7, 0.4372), (2.8, 0.4193), (2.9, 0.4025), (3.01, 0.3853), (3.1, 0.372), (3.2, 0.3581),
    (3.3, 0.3449), (3.4, 0.3324), (3.5, 0.3206), (3.6, 0.3093), (3.7, 0.2985), (3.8, 0.2883),
    (3.9, 0.2785), (4.0, 0.2691), (4.1, 0.2601), (4.2, 0.2514), (4.3, 0.2431), (4.4, 0.2351),
    (4.51, 0.2266), (4.6, 0.2199), (4.7, 0.2127), (4.8, 0.2057), (4.88, 0.2003), (4.9, 0.199),
    (5.0, 0.1924), (5.1, 0.186), (5.2, 0.1798), (5.3, 0.1738), (5.4, 0.168), (5.5, 0.1622),
    (5.6, 0.1567), (5.7, 0.1512), (5.8, 0.1459), (5.9, 0.1407), (6.01, 0.1351), (6.1, 0.1306),
    (6.2, 0.1258), (6.3, 0.121), (6.4, 0.1163), (6.5, 0.1117), (6.6, 0.1073), (6.7, 0.1029),
    (6.8, 0.0985), (6.9, 0.0943), (7.0, 0.0901), (7.1, 0.0861), (7.2, 0.0821), (7.3, 0.0781),
    (7.4, 0.0743), (7.51, 0.0702), (7.6, 0.0668), (7.7, 0.0632), (7.8, 0.0597), (7.9, 0.0562),
    (8.0, 0.0528), (8.1, 0.0495), (8.2, 0.0462), (8.3, 0.043), (8.4, 0.0399), (8.5, 0.0369),
    (8.6, 0.0339), (8.7, 0.031), (8.8, 0.0282), (8.9, 0.0255),
])
_NL_MAX = float(_NL_TABLE[-1, 0])


def neurosim_norm_a(nl: float) -> float:
    """NeuroSim's normalised nonlinearity constant ``A/P_max`` for the label ``NL``.

    Interpolated log–log in NeuroSim's table (e.g. NL = 1 → 1.2517,
    2.4 → 0.4992, 4.88 → 0.2003). This is the magnitude, looked up with ``|NL|``;
    the curve itself takes the sign of the label, ``A = sign(NL)·normA(|NL|)·P_max``
    (NeuroSim's ``getParamA`` returns ``sign * data[...]``; the V3.0 manual: "A can be
    positive or negative"), see :func:`pulse_conductance`. ``NL = 0`` is
    the linear device: returns ``inf``. Below the first entry (0.01) the table's
    asymptote ``A/P_max ≈ 1.2627/|NL|`` is used. ``|NL|`` above 8.9 (the end of
    the table) raises.
    """
    try:
        a = abs(float(nl))
    except (TypeError, ValueError):
        raise ValueError(f"nl must be a number (the NeuroSim nonlinearity label), got {nl!r}") from None
    if not math.isfinite(a):
        raise ValueError(f"nl must be finite, got {nl!r}")
    if a > _NL_MAX:
        raise ValueError(f"|nl| must be <= {_NL_MAX} (the end of NeuroSim's NL table), got {nl!r}")
    if a == 0.0:
        return math.inf
    if a < _NL_TABLE[0, 0]:
        return float(_NL_TABLE[0, 1] * _NL_TABLE[0, 0] / a)
    return float(np.exp(np.interp(np.log(a), np.log(_NL_TABLE[:, 0]), np.log(_NL_TABLE[:, 1]))))


def _signed_a(nl: float, p_max: float) -> float:
    """NeuroSim's signed nonlinearity constant ``A = sign(NL)·normA(|NL|)·P_max`` (``inf`` when linear)."""
    norm_a = neurosim_norm_a(nl)
    return math.inf if math.isinf(norm_a) else math.copysign(norm_a * p_max, nl)


def _curve_fraction(x: Any, p_max: float, nl: float, xp: Any = np) -> Any:
    """(1 − e^(−x/A)) / (1 − e^(−P_max/A)) with the signed A: 0 at x = 0, 1 at x = P_max; linear for NL = 0.

    A > 0: concave (steep first, then saturating); A < 0: convex (slow first, then steep).
    ``xp`` is the array namespace (NumPy, or a TensorFlow shim with ``expm1``): the one curve
    serves :func:`pulse_conductance` and the programming step of :mod:`snnlib.crossbar`.
    """
    a = _signed_a(nl, p_max)
    if math.isinf(a):
        return x / p_max
    return xp.expm1(-x / a) / math.expm1(-p_max / a)


def _curve_position(frac: np.ndarray, p_max: float, nl: float) -> np.ndarray:
    """Inverse of :func:`_curve_fraction`: ``x = −A·ln(1 − frac·(1 − e^(−P_max/A)))``, clipped to [0, P_max]."""
    a = _signed_a(nl, p_max)
    if math.isinf(a):
        return frac * p_max
    with np.errstate(divide="ignore"):  # at G_max with a large |NL| the log is −inf: x = P_max after the clip
        return np.clip(-a * np.log1p(frac * np.expm1(-p_max / a)), 0.0, p_max)


def pulse_conductance(p: Any, *, g_min: float, g_max: float, p_max: float, nl: float,
                      direction: str = "ltp") -> np.ndarray:
    """Conductance (S) after ``p`` identical pulses, NeuroSim's nonlinear update.

    Chen, Peng & Yu, IEEE TCAD 37 (2018); MLP NeuroSim V3.0 manual eqs. 1–3 and
    ``RealDevice::Write`` (``Cell.cpp``): both directions move along one curve of the
    pulse position ``x`` on the potentiation axis,

        G(x) = B·(1 − e^(−x/A)) + G_min,   B = (G_max − G_min)/(1 − e^(−P_max/A)),
        A = sign(NL)·normA(|NL|)·P_max     (:func:`neurosim_norm_a`),

    LTP from ``x = 0`` (G_min) up by ``p`` pulses, ``x = p``, with ``A`` from ``nl_ltp``;
    LTD from ``x = P_max`` (G_max) down by ``p`` pulses, ``x = P_max − p``, with ``A``
    from ``nl_ltd``. The **sign matters**: ``A > 0`` gives a concave curve, so LTP is
    steep first and saturates, but LTD (walking the curve backwards) starts slow and ends
    steep; ``A < 0`` gives the mirror image. NeuroSim writes most LTD labels negative
    (e.g. Ag:a-Si 2.4 / −4.88: both directions steep first), while GST PCM is listed
    0.105 / +2.4: its depression starts slow and ends steep (after 1, 10, 50, 90 LTD
    pulses: 0.997, 0.965, 0.727, 0.192 of the range). ``NL = 0`` is linear. ``p`` may
    be fractional, within [0, p_max].
    """
    g_min, g_max = _conductance_range(g_min, g_max)
    p_max = _checks.positive("p_max", p_max)
    direction = _checks.one_of("direction", direction, ("ltp", "ltd"))
    p = _checks.finite_array("p", p, lo=0.0, hi=p_max)
    x = p if direction == "ltp" else p_max - p
    return g_min + (g_max - g_min) * _curve_fraction(x, p_max, nl)


def pulse_number(g: Any, *, g_min: float, g_max: float, p_max: float, nl: float,
                 direction: str = "ltp") -> np.ndarray:
    """Inverse of :func:`pulse_conductance`: the (fractional) pulse count that gives ``g`` (S).

    The curve position is ``x = −A·ln(1 − (G − G_min)/B)`` (signed ``A``); LTP returns
    ``x`` (pulses from G_min), LTD ``P_max − x`` (pulses from G_max). ``g`` is clipped
    to [g_min, g_max] first.
    """
    g_min, g_max = _conductance_range(g_min, g_max)
    p_max = _checks.positive("p_max", p_max)
    direction = _checks.one_of("direction", direction, ("ltp", "ltd"))
    g = np.clip(_checks.finite_array("g", g), g_min, g_max)
    x = _curve_position((g - g_min) / (g_max - g_min), p_max, nl)
    return x if direction == "ltp" else p_max - x


def program_pulses(g_now: Any, n_pulses: Any, *, g_min: float, g_max: float, p_max: float,
                   nl_ltp: float, nl_ltd: float, c2c_sigma: float = 0.0,
                   seed: int | np.random.Generator = 0) -> np.ndarray:
    """Apply ``n_pulses`` whole pulses to devices at conductance ``g_now`` (S); returns the new G (S).

    Positive counts potentiate along the LTP curve, negative ones depress along
    the LTD curve (each with its own nonlinearity): the device's position on the
    curve is found with :func:`pulse_number`, moved by ``|n|`` pulses (saturating
    at the ends) and read back with :func:`pulse_conductance`. Cycle-to-cycle
    write noise as in NeuroSim (``RealDevice::Write``): a Gaussian of standard
    deviation ``c2c_sigma·(G_max − G_min)·sqrt(|n|)`` is added to every device
    that received pulses, and the result is clipped to [G_min, G_max].
    ``seed`` is an int (or a ``numpy.random.Generator`` to continue a stream).
    """
    g_min, g_max = _conductance_range(g_min, g_max)
    p_max = _checks.positive("p_max", p_max)
    c2c_sigma = _checks.non_negative("c2c_sigma", c2c_sigma)
    g = np.clip(_checks.finite_array("g_now", g_now), g_min, g_max)
    n = np.asarray(n_pulses)
    if not np.issubdtype(n.dtype, np.integer):
        nf = _checks.finite_array("n_pulses", n_pulses)
        if np.any(nf != np.round(nf)):
            raise ValueError("n_pulses must be whole numbers of pulses (integers; negative = depression)")
        n = nf
    # clip before the int64 cast, so that a huge float count (1e30) cannot wrap round to a negative
    # one; Python ints beyond int64 (2**70) are refused above as not numbers NumPy can hold
    n = np.clip(n, -(2**62), 2**62).astype(np.int64)
    g, n = np.broadcast_arrays(g, n)
    kw = dict(g_min=g_min, g_max=g_max, p_max=p_max)
    out = g.astype(np.float64).copy()
    up, down = n > 0, n < 0
    if up.any():
        p = pulse_number(g[up], nl=nl_ltp, direction="ltp", **kw) + n[up]
        out[up] = pulse_conductance(np.minimum(p, p_max), nl=nl_ltp, direction="ltp", **kw)
    if down.any():
        p = pulse_number(g[down], nl=nl_ltd, direction="ltd", **kw) - n[down]
        out[down] = pulse_conductance(np.minimum(p, p_max), nl=nl_ltd, direction="ltd", **kw)
    if c2c_sigma > 0:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(
            _checks.seed_value("seed", seed))
        noise = rng.standard_normal(out.shape) * c2c_sigma * (g_max - g_min) * np.sqrt(np.abs(n))
        out = np.clip(out + noise, g_min, g_max)
    return out


# --------------------------------------------------------------------------- presets


@dataclass(frozen=True)
class DevicePreset:
    """A synaptic device: conductance range (S), levels, NeuroSim NL labels, variability, drift.

    ``levels=None`` means a continuous (analogue, infinitely fine) device; the
    pulse count from ``G_min`` to ``G_max`` is ``levels − 1``. ``c2c_sigma``
    (cycle-to-cycle write noise) and ``d2d_sigma`` are fractions (of the G
    range and lognormal σ respectively); ``drift_nu`` is the PCM drift exponent
    (0 = no drift).
    """

    name: str
    g_min: float
    g_max: float
    levels: int | None
    nl_ltp: float
    nl_ltd: float
    c2c_sigma: float
    d2d_sigma: float
    drift_nu: float
    citation: str

    def __post_init__(self) -> None:
        _conductance_range(self.g_min, self.g_max)
        if self.levels is not None:
            _checks.positive_int("levels", self.levels, minimum=2)
        neurosim_norm_a(self.nl_ltp)
        neurosim_norm_a(self.nl_ltd)
        _checks.non_negative("c2c_sigma", self.c2c_sigma)
        _checks.non_negative("d2d_sigma", self.d2d_sigma)
        _checks.non_negative("drift_nu", self.drift_nu)

    @property
    def p_max(self) -> int | None:
        """Pulses from ``G_min`` to ``G_max`` (``levels − 1``), or ``None`` for a continuous device."""
        return None if self.levels is None else self.levels - 1

    @property
    def on_off(self) -> float:
        """On/off ratio ``G_max/G_min``."""
        return self.g_max / self.g_min

    @classmethod
    def from_resistance(cls, name: str, *, r_on: float, on_off: float, **kw: Any) -> DevicePreset:
        """Build a preset from ``R_on`` (Ω) and the on/off ratio: ``G_max = 1/R_on``, ``G_min = G_max/ratio``."""
        r_on = _checks.positive("r_on", r_on, unit="Ω")
        on_off = _checks.positive("on_off", on_off)
        if on_off <= 1:
            raise ValueError(f"on_off must be > 1 (G_max/G_min), got {on_off}")
        return cls(name=name, g_min=1.0 / r_on / on_off, g_max=1.0 / r_on, **kw)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-friendly), accepted back by :func:`get_device`."""
        return dataclasses.asdict(self)


_TABLE_CITE = "NeuroSim V3.0 manual Table II; Chen & Yu, IEEE Design & Test 2019"

PRESETS: dict[str, DevicePreset] = {
    "ideal": DevicePreset(
        name="ideal", g_min=1e-6, g_max=1e-4, levels=None, nl_ltp=0.0, nl_ltd=0.0,
        c2c_sigma=0.0, d2d_sigma=0.0, drift_nu=0.0,
        citation="idealised device: continuous, linear, noiseless, no drift (1–100 µS)"),
    "hfox": DevicePreset.from_resistance(
        "hfox", r_on=100e3, on_off=10.0, levels=128, nl_ltp=0.04, nl_ltd=-0.63,
        c2c_sigma=0.037, d2d_sigma=0.0, drift_nu=0.0,
        citation=f"TaOx/HfOx, Wu et al., Symp. VLSI Technology 2018 ({_TABLE_CITE})"),
    "ag_si": DevicePreset.from_resistance(
        "ag_si", r_on=26e6, on_off=12.5, levels=97, nl_ltp=2.4, nl_ltd=-4.88,
        c2c_sigma=0.035, d2d_sigma=0.0, drift_nu=0.0,
        citation=f"Ag:a-Si, Jo et al., Nano Lett. 10, 1297 (2010) ({_TABLE_CITE})"),
    "alox_hfo2": DevicePreset.from_resistance(
        "alox_hfo2", r_on=16.9e3, on_off=4.43, levels=40, nl_ltp=1.94, nl_ltd=-0.61,
        c2c_sigma=0.05, d2d_sigma=0.0, drift_nu=0.0,
        citation=f"AlOx/HfO2, Woo et al., IEEE EDL 37, 994 (2016) ({_TABLE_CITE})"),
    "pcmo": DevicePreset.from_resistance(
        "pcmo", r_on=23e6, on_off=6.84, levels=50, nl_ltp=3.68, nl_ltd=-6.76,
        c2c_sigma=0.0, d2d_sigma=0.0, drift_nu=0.0,
        citation=(f"PCMO, S. Park et al., \"Neuromorphic speech systems using advanced ReRAM-based "
                  f"synapse\", IEEE IEDM 2013 ({_TABLE_CITE}; C2C < 1 %, taken as 0)")),
    "pcm": DevicePreset.from_resistance(
        "pcm", r_on=4.71e3, on_off=19.8, levels=100, nl_ltp=0.105, nl_ltd=2.4,
        c2c_sigma=0.015, d2d_sigma=0.0, drift_nu=0.05,
        citation=(f"GST PCM, Kuzum et al., Nano Lett. 12, 2179 (2012; online 2011) ({_TABLE_CITE}); "
                  "drift ν = 0.05, t0 = 20 s (IBM aihwkit PCM model, ν in 0.049–0.1; "
                  "Boybat et al. 2018 use 0.1 for the amorphous phase)")),
}
"""Device presets. ``d2d_sigma`` is 0 for all of them: the NeuroSim table gives no
device-to-device figure; set it on the :class:`~snnlib.crossbar.Crossbar`."""


def get_device(device: str | DevicePreset | Mapping[str, Any]) -> DevicePreset:
    """Return a :class:`DevicePreset` from a preset name, a preset, or its ``to_dict()`` form."""
    if isinstance(device, DevicePreset):
        return device
    if isinstance(device, str):
        if device not in PRESETS:
            raise ValueError(f"device must be one of {', '.join(repr(k) for k in PRESETS)} "
                             f"or a DevicePreset; got {device!r}")
        return PRESETS[device]
    if isinstance(device, Mapping):
        try:
            return DevicePreset(**dict(device))
        except TypeError as e:
            raise ValueError(f"device dict must have the DevicePreset fields "
                             f"{[f.name for f in dataclasses.fields(DevicePreset)]}: {e}") from None
    raise ValueError(f"device must be a preset name ({', '.join(repr(k) for k in PRESETS)}), "
                     f"a DevicePreset or a dict; got {type(device).__name__}")


class PulseProgrammer:
    """Program devices of a preset by whole pulses, with the preset's cycle-to-cycle noise.

    Thin stateful wrapper around :func:`program_pulses`: it holds one NumPy
    generator seeded with ``seed``, so a sequence of calls is reproducible.
    ``p_max`` defaults to the device's ``levels − 1`` (required for a
    continuous device).
    """

    def __init__(self, device: str | DevicePreset = "hfox", *, p_max: int | None = None,
                 c2c_sigma: float | None = None, seed: int = 0) -> None:
        self.device = get_device(device)
        if p_max is None:
            p_max = self.device.p_max
            if p_max is None:
                raise ValueError(f"p_max is required for the continuous device {self.device.name!r} "
                                 "(levels=None); pass p_max=... (pulses from G_min to G_max)")
        self.p_max = _checks.positive_int("p_max", p_max)
        self.c2c_sigma = (self.device.c2c_sigma if c2c_sigma is None
                          else _checks.non_negative("c2c_sigma", c2c_sigma))
        self.seed = _checks.seed_value("seed", seed)
        self._rng = np.random.default_rng(self.seed)

    def curve(self, direction: str = "ltp") -> np.ndarray:
        """Conductance (S) after 0, 1, …, p_max pulses, noise-free."""
        d = self.device
        nl = d.nl_ltp if direction == "ltp" else d.nl_ltd
        return pulse_conductance(np.arange(self.p_max + 1), g_min=d.g_min, g_max=d.g_max,
                                 p_max=self.p_max, nl=nl, direction=direction)

    def program(self, g_now: Any, n_pulses: Any) -> np.ndarray:
        """New conductance (S) after ``n_pulses`` (signed) pulses from ``g_now`` (S)."""
        d = self.device
        return program_pulses(g_now, n_pulses, g_min=d.g_min, g_max=d.g_max, p_max=self.p_max,
                              nl_ltp=d.nl_ltp, nl_ltd=d.nl_ltd, c2c_sigma=self.c2c_sigma,
                              seed=self._rng)


# --------------------------------------------------------------------------- drift


def pcm_drift(g0: Any, t: Any, nu: float, t0: float = 20.0) -> np.ndarray:
    """PCM conductance drift ``G(t) = G0·((t + t0)/t0)^(−ν)`` (S), ``t`` in s since programming.

    This is the shifted form, so that ``G(0) = G0`` and the formula is finite
    for every ``t >= 0``; the other published form, ``G0·(t/t0)^(−ν)`` for
    ``t >= t0`` (reading time counted from the end of programming, IBM
    aihwkit), differs only for ``t`` of order ``t0``. ``t0 = 20 s``,
    ``ν ≈ 0.05–0.1`` for GST (Boybat et al., Nat. Commun. 9, 2514, 2018).
    """
    g0 = _checks.finite_array("g0", g0, lo=0.0)
    t = _checks.finite_array("t", t, lo=0.0)
    nu = _checks.non_negative("nu", nu)
    t0 = _checks.positive("t0", t0, unit="s")
    return g0 * ((t + t0) / t0) ** (-nu)
