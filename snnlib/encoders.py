"""Spike encoders (rate, deterministic rate, latency, delta) and their decoders.

Every encoder returns a ``tf.Tensor`` of float32 zeros and ones, **time-major**:
``[T, *x.shape]`` (time first, then the shape of one input frame). Time is in
ms: ``dt`` is the length of one step, rates are in spikes per ms (= kHz).

========================  =====================================================
encoder                   what one input value ``x`` in [0, 1] becomes
========================  =====================================================
:func:`rate`              Bernoulli spikes, probability ``p = x·max_rate·dt``
                          per step (random, seeded)
:func:`deterministic_rate` the same mean rate, regularly spaced (sigma-delta)
:func:`latency`           one spike; brighter inputs fire earlier
:func:`delta`             ON/OFF spikes when a *time-varying* signal changes by
                          more than a threshold (event-camera style)
========================  =====================================================

Decoders: :func:`spike_count`, :func:`firing_rate`, :func:`decode_rate` (inverse
of the rate codes), :func:`decode_latency` (inverse of :func:`latency`) and
:func:`decode_delta` (the ±θ staircase of :func:`delta`).

The code registry: :data:`CODES` names each encoder of ``(x, steps)`` with its
decoder (aliases in :data:`CODE_ALIASES`: the edge pipeline's ``"deterministic"``), and
:func:`encode` calls any of them by name. The reconstruction error of a code
(:func:`~snnlib.metrics.rmse`, :func:`~snnlib.metrics.rmse_over_steps`,
:func:`~snnlib.metrics.power_law_fit`, …) is measured in :mod:`snnlib.metrics`.

Time convention: step ``k`` lasts from ``k·dt`` to ``(k+1)·dt`` ms; functions
that return steps (:func:`latency_times`) return the index ``k``, and
:mod:`snnlib.plots` draws step ``k`` at its end, ``(k+1)·dt``.

References
----------
- J. K. Eshraghian et al., "Training spiking neural networks using lessons from
  deep learning", Proc. IEEE 111(9), 2023; snnTorch's ``snntorch.spikegen``
  (``rate``, ``latency``, ``delta``) is the model for the API of this module.
- S. Thorpe, A. Delorme, R. Van Rullen, "Spike-based strategies for rapid
  processing", Neural Networks 14(6–7), 2001 (time-to-first-spike coding).
- P. Lichtsteiner, C. Posch, T. Delbruck, "A 128×128 120 dB 15 µs latency
  asynchronous temporal contrast vision sensor", IEEE JSSC 43(2), 2008
  (the ON/OFF event model used by :func:`delta`).
- R. M. Gray, "Oversampled sigma-delta modulation", IEEE Trans. Commun. 35(5),
  1987 (the phase accumulator behind :func:`deterministic_rate`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from snnlib import _checks
from snnlib._quiet import tf

__all__ = [
    "rate",
    "deterministic_rate",
    "latency",
    "latency_times",
    "delta",
    "spike_count",
    "firing_rate",
    "decode_rate",
    "decode_latency",
    "decode_delta",
    "Code",
    "CODES",
    "CODE_ALIASES",
    "resolve_code",
    "encode",
]

#: Phase of the sigma-delta accumulator in :func:`deterministic_rate`.
DETERMINISTIC_PHASE = 0.5

_LATENCY_MODES = ("linear", "log")


# ----------------------------------------------------------------------------- checks


def _unit_interval(name: str, x: Any) -> np.ndarray:
    """``x`` as a float64 array with every value finite and in [0, 1], or raise."""
    arr = _checks.finite_array(name, x)
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(
            f"{name} must hold values in [0, 1], but it spans [{arr.min():.4g}, {arr.max():.4g}]; "
            f"rescale it first, e.g. {name} / {name}.max() or snnlib.images.load_image(...)"
        )
    return arr


def _probability_scale(max_rate: Any, dt: Any) -> float:
    """Return ``max_rate·dt`` (the spike probability per step for x = 1), or raise if it exceeds 1."""
    max_rate = _checks.positive("max_rate", max_rate, unit="spikes per ms, i.e. kHz")
    dt = _checks.positive("dt", dt, unit="ms")
    scale = max_rate * dt
    if scale > 1.0:
        raise ValueError(
            f"max_rate·dt must be <= 1 (it is the spike probability per step for x = 1), but "
            f"max_rate={max_rate:g} kHz × dt={dt:g} ms = {scale:g}; lower max_rate to at most "
            f"{1.0 / dt:g} kHz or use a smaller dt"
        )
    return scale


def _seed(seed: Any) -> int:
    return _checks.seed_value("seed", seed)  # 0 … 2**63 − 1, what TensorFlow's stateless ops take


def _threshold_fraction(threshold: Any) -> float:
    theta = _checks.positive("threshold", threshold)
    if theta >= 1.0:
        raise ValueError(
            f"threshold must be in (0, 1) (inputs at or below it never spike), got {threshold!r}; "
            "try the default 0.01"
        )
    return theta


def _spike_tensor(name: str, spikes: Any) -> tf.Tensor:
    """``spikes`` as a float32 tensor of rank >= 1 with finite values, or raise."""
    try:
        s = tf.convert_to_tensor(spikes, dtype=tf.float32)
    except (TypeError, ValueError):
        try:  # e.g. a float64 tensor or a list of bools
            s = tf.cast(tf.convert_to_tensor(np.asarray(spikes, dtype=np.float64)), tf.float32)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be an array of spikes shaped [T, ...], got {type(spikes).__name__}"
            ) from None
    if s.shape.rank == 0:
        raise ValueError(f"{name} must be time-major, shaped [T, ...]; got a scalar")
    if s.shape[0] == 0:
        raise ValueError(f"{name} has no time steps (shape {tuple(s.shape)}); pass a train with T >= 1")
    if not bool(tf.reduce_all(tf.math.is_finite(s))):
        raise ValueError(f"{name} contains NaN or infinite values; spikes must be 0/1 (or counts)")
    return s


# ----------------------------------------------------------------------------- rate codes


def rate(x: Any, steps: int, *, max_rate: float = 1.0, dt: float = 1.0, seed: int = 0) -> tf.Tensor:
    r"""Rate-code ``x`` as independent Bernoulli spikes (a discrete-time Poisson process).

    At every step :math:`t` and for every element,

    .. math:: s[t] \sim \mathrm{Bernoulli}(p), \qquad p = x \cdot r_{max} \cdot \Delta t,

    so the expected spike count after :math:`T` steps is :math:`pT` and its
    standard deviation :math:`\sqrt{p(1-p)T}`: the rate estimate converges as
    :math:`1/\sqrt{T}` (compare :func:`deterministic_rate`, :math:`1/T`).

    Parameters
    ----------
    x : array_like or tf.Tensor
        Intensities in [0, 1], any shape (e.g. an image ``[H, W]``).
    steps : int
        Number of time steps :math:`T` (>= 1).
    max_rate : float
        Rate :math:`r_{max}` for ``x = 1``, in spikes per ms (kHz). Default 1.
    dt : float
        Step length :math:`\Delta t` in ms. ``max_rate * dt`` must be <= 1.
    seed : int
        Seed of the stateless random generator (Philox). The same seed gives
        the same spikes in every run and process; different seeds differ.

    Returns
    -------
    tf.Tensor
        float32 0/1 spikes, shape ``[steps, *x.shape]``.

    References
    ----------
    snnTorch ``spikegen.rate`` (Eshraghian et al., Proc. IEEE 2023).

    Examples
    --------
    >>> s = rate([0.0, 0.5, 1.0], 1000, seed=1)
    >>> s.shape
    TensorShape([1000, 3])
    >>> [round(float(v), 1) for v in decode_rate(s)]
    [0.0, 0.5, 1.0]
    """
    arr = _unit_interval("x", x)
    steps = _checks.positive_int("steps", steps)
    scale = _probability_scale(max_rate, dt)
    seed = _seed(seed)
    p = tf.constant(arr * scale, dtype=tf.float32)
    # One op for all T steps; u is in [0, 1), so p = 0 never fires and p = 1 always does.
    u = tf.random.stateless_uniform(
        (steps, *arr.shape), seed=tf.constant([seed, 0], dtype=tf.int64), dtype=tf.float32, alg="philox"
    )
    return tf.cast(u < p, tf.float32)


def deterministic_rate(x: Any, steps: int, *, max_rate: float = 1.0, dt: float = 1.0) -> tf.Tensor:
    r"""Rate-code ``x`` with regularly spaced spikes (first-order sigma-delta modulation).

    Each element keeps a phase accumulator :math:`\varphi` that starts at
    :math:`\varphi_0 = 0.5` (:data:`DETERMINISTIC_PHASE`), grows by
    :math:`p = x \cdot r_{max} \cdot \Delta t` each step, and emits a spike,
    losing 1, whenever it reaches 1. In closed form (computed for all steps at once):

    .. math:: s[t] = \lfloor (t+1)\,p + \varphi_0 \rfloor - \lfloor t\,p + \varphi_0 \rfloor .

    The count after :math:`T` steps is :math:`\lfloor pT + 0.5 \rfloor`, i.e.
    :math:`pT` rounded, so it is within 0.5 spike of :math:`pT` for every element
    and the rate estimate converges as :math:`1/T` (Bernoulli :func:`rate`:
    :math:`1/\sqrt{T}`). With :math:`\varphi_0 = 0.5` an input with
    :math:`p \ge 0.5` fires at step 0 and a smaller one after about :math:`1/(2p)` steps.

    Parameters
    ----------
    x : array_like or tf.Tensor
        Intensities in [0, 1], any shape.
    steps : int
        Number of time steps :math:`T` (>= 1).
    max_rate : float
        Rate for ``x = 1`` in spikes per ms (kHz).
    dt : float
        Step length in ms; ``max_rate * dt`` must be <= 1.

    Returns
    -------
    tf.Tensor
        float32 0/1 spikes, shape ``[steps, *x.shape]``.

    References
    ----------
    R. M. Gray, "Oversampled sigma-delta modulation", IEEE Trans. Commun. 35(5), 1987.

    Examples
    --------
    >>> deterministic_rate([0.25], 8)[:, 0].numpy().tolist()
    [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    """
    arr = _unit_interval("x", x)
    steps = _checks.positive_int("steps", steps)
    scale = _probability_scale(max_rate, dt)
    p = tf.constant(arr * scale, dtype=tf.float64)
    t = tf.reshape(tf.range(steps + 1, dtype=tf.float64), (steps + 1,) + (1,) * arr.ndim)
    cumulative = tf.floor(t * p + DETERMINISTIC_PHASE)
    return tf.cast(cumulative[1:] - cumulative[:-1], tf.float32)


# ----------------------------------------------------------------------------- latency code


def _latency_steps(x: np.ndarray, steps: int, tau: float, theta: float, mode: str,
                   normalize: bool, dt: float) -> np.ndarray:
    """Spike step per element (int64, -1 for none). Inputs are already validated."""
    fires = x > theta
    if mode == "linear":
        s = (1.0 - x) * ((steps - 1) if normalize else tau / dt)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.log(np.where(fires, x, 1.0) / np.where(fires, x - theta, 1.0))  # ln(x/(x-θ))
        if normalize:  # affine in u: x = 1 -> step 0, x = 2θ (u = ln 2) -> step T-1
            u1 = -math.log1p(-theta)
            s = (u - u1) * ((steps - 1) / (math.log(2.0) - u1))
        else:
            s = u * (tau / dt)
    k = np.floor(s + 0.5)
    return np.where(fires & (k <= steps - 1), k, -1).astype(np.int64)


def _latency_args(steps: Any, tau: Any, threshold: Any, mode: Any, normalize: Any,
                  dt: Any) -> tuple[int, float, float, str, bool, float]:
    steps = _checks.positive_int("steps", steps)
    tau = _checks.positive("tau", tau, unit="ms")
    theta = _threshold_fraction(threshold)
    mode = _checks.one_of("mode", mode, _LATENCY_MODES)
    if not isinstance(normalize, (bool, np.bool_)):
        raise ValueError(f"normalize must be True or False, got {normalize!r}")
    if mode == "log" and normalize and theta >= 0.5:
        raise ValueError(
            f"with mode='log' and normalize=True, threshold must be < 0.5 (the input 2·threshold fires "
            f"at the last step), got {theta:g}; lower threshold or pass normalize=False"
        )
    dt = _checks.positive("dt", dt, unit="ms")
    return steps, tau, theta, mode, bool(normalize), dt


def latency_times(x: Any, steps: int, *, tau: float = 5.0, threshold: float = 0.01,
                  mode: str = "linear", normalize: bool = True, dt: float = 1.0) -> tf.Tensor:
    r"""Step of the single spike that :func:`latency` gives each input, or -1 for none.

    Same arguments and formulas as :func:`latency`.

    Returns
    -------
    tf.Tensor
        int32, shape ``x.shape``: the spike **step index** :math:`k` in
        ``0 … steps-1`` (not a time in ms), or ``-1`` where the input does not
        spike (``x <= threshold``, or its spike would fall after the last step).

    Notes
    -----
    Time convention (the same as :mod:`snnlib.plots`): step :math:`k` lasts
    from :math:`k\,\Delta t` to :math:`(k+1)\,\Delta t` ms, and
    :func:`snnlib.plots.plot_raster` draws its spike at the *end* of the step,
    :math:`(k+1)\,\Delta t`. So ``k * dt`` is the start of the spike's step in
    ms and ``(k + 1) * dt`` is where the raster shows it; with ``dt = 1`` ms the
    index is the start time in ms. Convert only where ``k >= 0``.

    Examples
    --------
    >>> latency_times([1.0, 0.5, 0.0], 5).numpy().tolist()
    [0, 2, -1]
    """
    arr = _unit_interval("x", x)
    args = _latency_args(steps, tau, threshold, mode, normalize, dt)
    return tf.constant(_latency_steps(arr, *args), dtype=tf.int32)


def latency(x: Any, steps: int, *, tau: float = 5.0, threshold: float = 0.01,
            mode: str = "linear", normalize: bool = True, dt: float = 1.0) -> tf.Tensor:
    r"""Latency (time-to-first-spike) code: each input fires at most once, brighter ones earlier.

    Inputs with :math:`x \le \theta` (``threshold``) never fire. For
    :math:`x > \theta` the spike time is, in steps, rounded half up to the nearest
    step :math:`k = \lfloor t + 0.5 \rfloor`:

    ``mode="linear"``
        normalize=True: :math:`t = (1 - x)\,(T - 1)` — ``x = 1`` fires at step 0,
        ``x`` → 0 at the last step :math:`T-1`.
        normalize=False: :math:`t = \tau\,(1 - x) / \Delta t` (τ in ms is the
        latency of a zero input).
    ``mode="log"`` (RC charging, as in snnTorch)
        A leaky integrator :math:`\tau\,dV/dt = -V + x` starting from rest
        reaches the threshold θ at

        .. math:: t_{ms} = \tau \ln \frac{x}{x - \theta},

        so normalize=False gives :math:`t = t_{ms} / \Delta t`.
        normalize=True makes the code independent of τ and of the data: with
        :math:`u(x) = \ln\frac{x}{x-\theta}` (charging time in units of τ), the
        map is affine in :math:`u` so that ``x = 1`` fires at step 0 and
        ``x = 2θ`` (which needs one half-life, :math:`u = \ln 2`) at the last step,

        .. math:: t = (T - 1)\,\frac{u(x) - u(1)}{\ln 2 - u(1)}, \qquad u(1) = -\ln(1 - \theta).

        This needs θ < 0.5. Inputs in (θ, ≈2θ) would fire later and so do not fire at all.

    A spike that would fall after the last step is dropped (the neuron had not
    reached threshold when the window closed). The log code spends most of the
    window on dim inputs (fine resolution near θ, bright inputs crowd at step 0);
    the linear code spreads [0, 1] evenly. Unlike snnTorch's ``normalize=True``,
    the mapping never depends on the other inputs, so each pixel is coded alone
    and :func:`decode_latency` can invert it.

    Parameters
    ----------
    x : array_like or tf.Tensor
        Intensities in [0, 1], any shape.
    steps : int
        Number of time steps :math:`T`.
    tau : float
        RC time constant τ in ms (used when ``normalize=False``).
    threshold : float
        θ in (0, 1): inputs at or below it never spike.
    mode : {"linear", "log"}
        Which formula, see above.
    normalize : bool
        Fit the code into the ``steps`` window (see above).
    dt : float
        Step length in ms (used when ``normalize=False``).

    Returns
    -------
    tf.Tensor
        float32 0/1 spikes, shape ``[steps, *x.shape]``, at most one spike per
        input. :func:`latency_times` gives the spike steps directly.

    References
    ----------
    S. Thorpe, A. Delorme, R. Van Rullen, Neural Networks 14, 2001;
    snnTorch ``spikegen.latency`` (Eshraghian et al., Proc. IEEE 2023).

    Examples
    --------
    >>> latency([1.0, 0.5, 0.0], 5).numpy().astype(int).tolist()
    [[1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]]
    """
    arr = _unit_interval("x", x)
    args = _latency_args(steps, tau, threshold, mode, normalize, dt)
    k = tf.constant(_latency_steps(arr, *args), dtype=tf.int32)
    return tf.one_hot(k, depth=args[0], axis=0, dtype=tf.float32)  # index -1 → no spike


# ----------------------------------------------------------------------------- delta code


def delta(signal: Any, *, threshold: float, off_spikes: bool = True) -> tf.Tensor | tuple[tf.Tensor, tf.Tensor]:
    r"""Delta (change) code of a time-varying signal, event-camera style.

    Each element keeps a reference :math:`x_{ref}`, which starts at
    :math:`x[0]` (so step 0 never spikes) and is reset to the current sample
    whenever that element spikes:

    .. math::
        \mathrm{ON}[t] = [\,x[t] - x_{ref} > \theta\,], \qquad
        \mathrm{OFF}[t] = [\,x_{ref} - x[t] > \theta\,], \qquad
        x_{ref} \leftarrow x[t] \text{ after an ON or OFF spike.}

    Because the reference is the value at the last spike, not the previous
    sample, slow changes add up: a ramp of slope :math:`s < \theta` per step gives
    an ON spike every :math:`n = \lfloor \theta / s \rfloor + 1` steps, about
    :math:`sT/\theta` spikes in :math:`T` steps (comparing only neighbouring
    samples, as snnTorch's ``delta`` does, a slow ramp gives none). A jump of any
    size gives a single spike. The reference also follows decreases when
    ``off_spikes=False`` (the OFF spikes are then only left out), so the ON
    train does not depend on ``off_spikes``.

    Parameters
    ----------
    signal : array_like or tf.Tensor
        Time-major samples ``[T, ...]``: a 1-D signal ``[T]`` or frames ``[T, H, W]``.
    threshold : float
        θ > 0, in the units of ``signal``.
    off_spikes : bool
        Also return the OFF train.

    Returns
    -------
    tf.Tensor or (tf.Tensor, tf.Tensor)
        ``(on, off)`` when ``off_spikes=True`` (default), else ``on`` alone;
        each float32 0/1 with the shape of ``signal``, ``[T, ...]``.

    References
    ----------
    P. Lichtsteiner, C. Posch, T. Delbruck, IEEE JSSC 43(2), 2008 (DVS pixel);
    snnTorch ``spikegen.delta``.

    Examples
    --------
    >>> on, off = delta([0.0, 0.0, 1.0, 1.0, 0.0], threshold=0.5)
    >>> on.numpy().tolist(), off.numpy().tolist()
    ([0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0])
    """
    x = _checks.finite_array("signal", signal)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(
            f"signal must be time-major with at least one step, shaped [T] or [T, H, W]; got shape {x.shape}"
        )
    theta = _checks.positive("threshold", threshold)
    if not isinstance(off_spikes, (bool, np.bool_)):
        raise ValueError(f"off_spikes must be True or False, got {off_spikes!r}")
    on = np.zeros(x.shape, dtype=np.float32)
    off = np.zeros(x.shape, dtype=np.float32)
    ref = x[0].copy()
    for t in range(1, x.shape[0]):
        change = x[t] - ref
        up = change > theta
        down = -change > theta
        on[t] = up
        off[t] = down
        ref = np.where(up | down, x[t], ref)
    if off_spikes:
        return tf.constant(on), tf.constant(off)
    return tf.constant(on)


# ----------------------------------------------------------------------------- decoders


def spike_count(spikes: Any) -> tf.Tensor:
    r"""Number of spikes per element, :math:`n = \sum_t s[t]`.

    Parameters
    ----------
    spikes : array_like or tf.Tensor
        Time-major train ``[T, ...]``.

    Returns
    -------
    tf.Tensor
        float32, shape ``spikes.shape[1:]``.
    """
    s = _spike_tensor("spikes", spikes)
    return tf.reduce_sum(s, axis=0)


def firing_rate(spikes: Any, dt: float = 1.0) -> tf.Tensor:
    r"""Mean firing rate per element, :math:`r = n / (T\,\Delta t)`, in spikes per ms (kHz).

    Multiply by 1000 for Hz.

    Parameters
    ----------
    spikes : array_like or tf.Tensor
        Time-major train ``[T, ...]``.
    dt : float
        Step length in ms.

    Returns
    -------
    tf.Tensor
        float32 rates in kHz, shape ``spikes.shape[1:]``.
    """
    s = _spike_tensor("spikes", spikes)
    dt = _checks.positive("dt", dt, unit="ms")
    return tf.reduce_sum(s, axis=0) / (s.shape[0] * dt)


def decode_rate(spikes: Any, *, max_rate: float = 1.0, dt: float = 1.0) -> tf.Tensor:
    r"""Estimate of ``x`` from a rate code: :math:`\hat x = n / (T\, r_{max}\, \Delta t)`.

    The inverse of :func:`rate` (unbiased; its error falls as :math:`1/\sqrt{T}`)
    and of :func:`deterministic_rate` (error at most :math:`0.5/(T r_{max} \Delta t)`).
    Not clipped, so a noisy estimate may exceed 1 when ``max_rate·dt < 1``.

    Parameters
    ----------
    spikes : array_like or tf.Tensor
        Time-major train ``[T, ...]``.
    max_rate, dt : float
        The values used for encoding (kHz, ms).

    Returns
    -------
    tf.Tensor
        float32 estimates, shape ``spikes.shape[1:]``.
    """
    s = _spike_tensor("spikes", spikes)
    scale = _probability_scale(max_rate, dt)
    return tf.reduce_sum(s, axis=0) / (s.shape[0] * scale)


def decode_latency(spikes: Any, *, steps: int | None = None, tau: float = 5.0, threshold: float = 0.01,
                   mode: str = "linear", normalize: bool = True, dt: float = 1.0) -> tf.Tensor:
    r"""Estimate of ``x`` from the first spike of each element: the inverse of :func:`latency`.

    With :math:`k` the first spike step, the estimate is the input at the centre
    of the encoder's rounding bin:

    - linear: :math:`\hat x = 1 - k c` with :math:`c = 1/(T-1)` (normalize=True;
      1 when T = 1) or :math:`c = \Delta t/\tau`; where the bin reaches below θ
      (the last steps), the midpoint :math:`(\theta + 1 - (k - \tfrac12) c)/2`
      of the inputs above θ that fall in it;
    - log: :math:`\hat x = \theta / (1 - e^{-u})`, with
      :math:`u = u(1) + k\,(\ln 2 - u(1))/(T-1)` (normalize=True, see
      :func:`latency`) or :math:`u = k\,\Delta t/\tau`;

    clipped to [0, 1]. Elements that never spike decode to 0. Re-encoding
    :math:`\hat x` gives the same spike step, i.e. the error is at most the
    quantisation of one step (:math:`0.5/(T-1)` for the normalised linear code).

    Parameters
    ----------
    spikes : array_like or tf.Tensor
        Time-major train ``[T, ...]`` (only the first spike of each element counts).
    steps : int, optional
        Length of the encoding window :math:`T`; defaults to ``spikes.shape[0]``
        (pass it when ``spikes`` holds only the first steps of a longer window).
    tau, threshold, mode, normalize, dt
        The values used for encoding, see :func:`latency`.

    Returns
    -------
    tf.Tensor
        float32 estimates in [0, 1], shape ``spikes.shape[1:]``.
    """
    s = _spike_tensor("spikes", spikes)
    n = s.shape[0]
    if steps is None:
        steps = n
    steps, tau, theta, mode, normalize, dt = _latency_args(steps, tau, threshold, mode, normalize, dt)
    if steps < n:
        raise ValueError(
            f"steps={steps} is shorter than the spike train ({n} steps); pass the window length "
            "used for encoding, or leave steps out"
        )
    fired = tf.reduce_any(s > 0, axis=0)
    k = tf.cast(tf.argmax(tf.cast(s > 0, tf.int32), axis=0), tf.float64)  # first spike step
    if mode == "linear":
        c = (1.0 / (steps - 1) if steps > 1 else 0.0) if normalize else dt / tau
        x_hat = tf.maximum(1.0 - k * c, 0.5 * (theta + 1.0 - (k - 0.5) * c))
    else:
        if normalize:
            u1 = -math.log1p(-theta)
            u = u1 + k * ((math.log(2.0) - u1) / (steps - 1) if steps > 1 else 0.0)
        else:
            u = k * (dt / tau)
        x_hat = tf.math.divide_no_nan(tf.constant(theta, tf.float64), -tf.math.expm1(-u))
        x_hat = tf.where(u > 0, x_hat, tf.ones_like(x_hat))
    x_hat = tf.clip_by_value(x_hat, 0.0, 1.0)
    return tf.cast(tf.where(fired, x_hat, tf.zeros_like(x_hat)), tf.float32)


def decode_delta(on: Any, off: Any, *, threshold: float, x0: Any = 0.0) -> tf.Tensor:
    r"""Staircase estimate of a signal from its :func:`delta` events: :math:`\pm\theta` per event.

    .. math:: \hat x[t] = x_0 + \theta \sum_{t' \le t} \big(\mathrm{ON}[t'] - \mathrm{OFF}[t']\big)

    (time-major: the sum runs over axis 0). Pass the first sample as ``x0``
    (``x0 = signal[0]``, or the first frame) to start where the signal starts.

    Caveat: the events say *that* the input moved by more than θ, not *by how
    much*. :func:`delta` resets its reference to the current sample (the
    event-camera rule), so the part of each change beyond θ is lost:

    - a jump larger than θ gives one spike, and the staircase under-shoots it
      (a step of 8θ is reconstructed as θ, 7θ short, for good);
    - on a smooth signal each event loses its overshoot, less than one sample's
      change :math:`\max|x[t] - x[t-1]|`. The error is
      :math:`|x - \hat x| \le \theta + D`, where :math:`D` is the sum of the
      overshoots so far: on a slow ramp (change per step :math:`s \ll \theta`)
      :math:`D < n_{events}\,s`, so the staircase stays within about θ; on an
      oscillating signal ON and OFF overshoots partly cancel.

    Parameters
    ----------
    on, off : array_like or tf.Tensor
        ON and OFF trains from :func:`delta`, time-major ``[T, ...]``, same shape.
    threshold : float
        θ > 0 used for encoding, in the units of the signal.
    x0 : float or array_like
        Value at step 0, a scalar or one frame (shape ``on.shape[1:]``). Default 0.

    Returns
    -------
    tf.Tensor
        float32 staircase, shape ``[T, ...]`` (the shape of ``on``), in the
        units of the signal.

    References
    ----------
    P. Lichtsteiner, C. Posch, T. Delbruck, IEEE JSSC 43(2), 2008 (the DVS
    pixel whose events this integrates).

    Examples
    --------
    >>> on, off = delta([0.0, 0.3, 0.6, 0.2], threshold=0.25)
    >>> [round(float(v), 2) for v in decode_delta(on, off, threshold=0.25)]
    [0.0, 0.25, 0.5, 0.25]
    """
    s_on = _spike_tensor("on", on)
    s_off = _spike_tensor("off", off)
    if s_on.shape != s_off.shape:
        raise ValueError(
            f"on and off must have the same shape [T, ...], got {tuple(s_on.shape)} and {tuple(s_off.shape)}; "
            "pass both trains returned by delta(signal, threshold=...)"
        )
    theta = _checks.positive("threshold", threshold)
    start = _checks.finite_array("x0", x0)
    frame = tuple(s_on.shape[1:])
    try:
        start = np.broadcast_to(start, frame)
    except ValueError:
        raise ValueError(
            f"x0 must be a number or one frame of shape {frame}, got shape {start.shape}; "
            "pass signal[0]"
        ) from None
    net = tf.cast(s_on, tf.float64) - tf.cast(s_off, tf.float64)
    return tf.cast(tf.constant(start) + theta * tf.cumsum(net, axis=0), tf.float32)


# ----------------------------------------------------------------------------- the code registry


def _keyword_params(fn: Callable[..., Any]) -> tuple[str, ...]:
    """Names of the keyword-only parameters of ``fn``, in the order of its signature."""
    return tuple(p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY)


class Code(NamedTuple):
    """An encoder of ``(x, steps)`` and the decoder that inverts it; unpacks as ``encode, decode = CODES[name]``.

    The parameter lists are read from the two functions' signatures (never copied by
    hand), so a code registered in :data:`CODES` with a new encoder needs nothing else.
    """

    encoder: Callable[..., tf.Tensor]
    decoder: Callable[..., tf.Tensor]

    @property
    def params(self) -> tuple[str, ...]:
        """The encoder's keyword arguments (those after ``x`` and ``steps``), in signature order."""
        return _keyword_params(self.encoder)

    @property
    def decoder_params(self) -> tuple[str, ...]:
        """Those of :attr:`params` that the decoder takes too: the settings it must know to invert the code."""
        decoder = set(_keyword_params(self.decoder))
        return tuple(p for p in self.params if p in decoder)


#: The codes that turn a frame ``x`` in [0, 1] into a train of ``steps`` steps, by name: each an
#: encoder and its decoder (:class:`Code`). :func:`encode` and the reconstruction-error functions of
#: :mod:`snnlib.metrics` accept these names, and those of :data:`CODE_ALIASES`. :func:`delta` is not
#: one of them: it encodes a signal that already has a time axis, into two trains.
CODES: dict[str, Code] = {
    "rate": Code(rate, decode_rate),
    "deterministic_rate": Code(deterministic_rate, decode_rate),
    "latency": Code(latency, decode_latency),
}

#: Other names of codes in :data:`CODES`: the edge pipeline calls the sigma-delta code
#: ``"deterministic"`` (:data:`snnlib.options.ENCODINGS`).
CODE_ALIASES: dict[str, str] = {"deterministic": "deterministic_rate"}


def resolve_code(code: Any, params: Iterable[str] = ()) -> str:
    """The name in :data:`CODES` of ``code`` (an alias resolved), once ``params`` are checked.

    Parameters
    ----------
    code : str
        A name in :data:`CODES` or :data:`CODE_ALIASES`.
    params : iterable of str
        Keyword arguments meant for its encoder; each must be one the encoder takes.

    Returns
    -------
    str
        The key of ``code`` in :data:`CODES` (``"deterministic"`` → ``"deterministic_rate"``).

    Raises
    ------
    ValueError
        For an unknown code (naming the known ones) or a keyword its encoder does not take
        (naming those it does).

    Examples
    --------
    >>> resolve_code("deterministic", ["max_rate"])
    'deterministic_rate'
    """
    _checks.one_of("code", code, (*CODES, *CODE_ALIASES))
    name = CODE_ALIASES.get(code, code)
    entry = CODES[name]
    allowed = entry.params
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        takes = f"the keyword arguments {', '.join(allowed)}" if allowed else "no keyword arguments"
        raise ValueError(
            f"code={code!r} takes {takes} (those of {entry.encoder.__name__}()), got {', '.join(unknown)}"
        )
    return name


def encode(x: Any, steps: int, code: str = "rate", **params: Any) -> tf.Tensor:
    r"""Encode ``x`` for ``steps`` steps with the code named ``code``: one entry point for every code.

    ``encode(x, T, "latency", mode="log")`` is ``latency(x, T, mode="log")``; the
    names are those of :data:`CODES` and their aliases:

    ==================================  ======================================
    ``code``                            encoder
    ==================================  ======================================
    ``"rate"``                          :func:`rate` (Bernoulli, seeded)
    ``"deterministic_rate"``,           :func:`deterministic_rate` (sigma-delta)
    ``"deterministic"``
    ``"latency"``                       :func:`latency`
    ==================================  ======================================

    so every name of the edge pipeline's :data:`snnlib.options.ENCODINGS` works.

    Parameters
    ----------
    x : array_like or tf.Tensor
        Intensities in [0, 1], any shape.
    steps : int
        Number of time steps :math:`T` (>= 1).
    code : str
        Which encoder (default ``"rate"``).
    **params
        That encoder's keyword arguments (``max_rate``, ``dt``, ``seed``; ``tau``,
        ``mode``, …); :attr:`Code.params` lists them. Another one raises, naming those it takes.

    Returns
    -------
    tf.Tensor
        float32 0/1 spikes, shape ``[steps, *x.shape]``, exactly what the encoder returns.

    Examples
    --------
    >>> encode([0.25], 8, "deterministic")[:, 0].numpy().tolist()
    [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    """
    name = resolve_code(code, params)
    return CODES[name].encoder(x, steps, **params)


# ----------------------------------------------------------------------------- moved to snnlib.metrics
# The reconstruction-error functions moved to snnlib.metrics (architecture review, item 4). They stay
# importable from here (``from snnlib.encoders import rmse``) as re-exports until every caller imports
# them from snnlib.metrics; then this goes. They are looked up on first use (PEP 562), so that loading
# this module does not load snnlib.metrics.
_MOVED_TO_METRICS = ("rmse", "reconstruction_rmse", "rmse_over_steps", "smallest_steps", "power_law_fit",
                     "PowerLaw")


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_METRICS:
        from snnlib import metrics

        return getattr(metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
