"""Leaky integrate-and-fire (LIF) neurons: a pure step on parameter and state records, a Keras 3 cell and layer.

The membrane follows

.. math::  \\tau \\, \\frac{dv}{dt} = -v + I(t)

with the membrane potential :math:`v` and the input :math:`I` in the same
(dimensionless) units as the threshold :math:`\\theta`, time in ms. Over one
step of length ``dt`` with the input held constant the update is either

* ``integration="exact"`` (zero-order hold, exact for piecewise-constant input):
  :math:`v \\leftarrow v\\,e^{-dt/\\tau} + (1 - e^{-dt/\\tau})\\,I`
* ``integration="euler"`` (forward Euler):
  :math:`v \\leftarrow v + \\frac{dt}{\\tau}(-v + I)`

The spike is read from the *updated* potential of the same step,
:math:`s = H(v - \\theta)` (fires when :math:`v \\ge \\theta`), and then

* ``reset="zero"``: :math:`v \\leftarrow v\\,(1 - s)`
* ``reset="subtract"``: :math:`v \\leftarrow v - \\theta s`

After a spike the neuron is refractory for ``refractory`` steps: it neither
integrates nor fires (its potential stays at the reset value).

For a constant input :math:`I > \\theta` from rest, with zero reset, the
continuous-time firing rate is the classic f–I curve
(Gerstner et al., *Neuronal Dynamics*, CUP 2014, eq. 1.11):

.. math::  f(I) = \\frac{1}{t_{ref} + \\tau \\ln\\frac{I}{I - \\theta}}

and no spike at all for :math:`I \\le \\theta` (the rheobase).

The Heaviside step has zero derivative almost everywhere, so training uses a
*surrogate gradient*: the forward pass is the exact step, the backward pass
uses a smooth stand-in (Neftci, Mostafa & Zenke, IEEE Signal Processing
Magazine 36(6), 2019):

* ``"fast_sigmoid"`` (SuperSpike, Zenke & Ganguli, Neural Computation 30, 2018):
  :math:`\\partial s/\\partial v = 1 / (1 + k|v - \\theta|)^2`, default :math:`k = 25`
* ``"arctan"`` (Fang et al., ICCV 2021):
  :math:`\\partial s/\\partial v = \\frac{k/2}{1 + (\\frac{\\pi}{2} k (v - \\theta))^2}`, default :math:`k = 2`

with the slope :math:`k` set by ``surrogate_slope``. Each surrogate has its own default
(:data:`DEFAULT_SLOPES`, those of snnTorch's ``fast_sigmoid`` and ``atan``), chosen so that both
peak at exactly 1 at the threshold; one shared k = 25 would make the arctan peak 12.5.
The reset uses the spike with its gradient stopped (a common, more stable choice).

Design (after Norse, ``norse/torch/functional/lif.py``: Pehle & Pedersen, *Norse*, Zenodo 2021,
doi:10.5281/zenodo.4422025): the physics is one pure function,
:func:`lif_step` ``(current, LIFState, LIFParams) -> (spikes, LIFState)``, on two immutable
records — :class:`LIFParams`, validated once by :meth:`LIFParams.make`, and :class:`LIFState` —
and everything else wraps it: :func:`simulate` scans it over time, :class:`LIFCell` is it as a
Keras RNN cell, :class:`LIF` is that cell run over time as a Keras layer (as ``SimpleRNN`` is
``SimpleRNNCell``). :func:`lif_update` is the same step on raw numbers, for loops that hold the
gain and threshold as tensors already (the edge pipeline's XLA loop).

Shapes: :func:`simulate` and :func:`lif_step` loops are time-major (``[T, ...]``);
:class:`LIF` follows Keras, ``keras.Sequential([keras.Input((T, n)), keras.layers.Dense(m), LIF(m)])``
on ``[batch, T, n]``, as does ``keras.layers.RNN(LIFCell(m), return_sequences=True)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import keras
import numpy as np

from snnlib import _checks
from snnlib._quiet import tf
from snnlib.options import INTEGRATIONS, RESETS, SURROGATES

__all__ = [
    "RESETS",
    "INTEGRATIONS",
    "SURROGATES",
    "DEFAULT_SLOPES",
    "decay_and_gain",
    "spike_function",
    "LIFParams",
    "LIFState",
    "lif_step",
    "lif_update",
    "simulate",
    "fi_curve_analytic",
    "fi_curve_simulated",
    "LIFCell",
    "LIF",
]

#: Default slope k of each surrogate (``surrogate_slope=None``): both then peak at exactly 1 at the
#: threshold. fast_sigmoid 25 is SuperSpike's and snnTorch's default; arctan 2 is snnTorch's ``atan``
#: α = 2, whose peak k/2 is 1.
DEFAULT_SLOPES = {"fast_sigmoid": 25.0, "arctan": 2.0}


_F32_TINY = float(np.finfo(np.float32).tiny)


# ----------------------------------------------------------------------------- pure math
def decay_and_gain(tau: Any, dt: Any, integration: str = "exact") -> tuple[Any, Any]:
    """Return ``(decay, gain)`` such that one step is ``v <- decay * v + gain * I``.

    exact: decay = exp(-dt/tau), gain = 1 - decay, computed as ``-expm1(-dt/tau)`` so that it keeps its
    digits when dt ≪ tau (``1 - exp(-x)`` in float32 loses them: 1.3e-2 relative error at tau/dt = 1e6);
    euler: decay = 1 - dt/tau, gain = dt/tau (stable and sign-preserving only for dt < tau, which
    :meth:`LIFParams.make` enforces).
    Works on Python floats, NumPy arrays and tensors (tau may be a trainable variable).
    """
    _checks.one_of("integration", integration, INTEGRATIONS)
    if integration == "exact":
        if tf.is_tensor(tau) or tf.is_tensor(dt):
            x = -dt / tau
            return tf.exp(x), -tf.math.expm1(x)
        x = -dt / np.asarray(tau, dtype=np.float64)
        return np.exp(x), -np.expm1(x)
    if not (tf.is_tensor(tau) or tf.is_tensor(dt)) and np.any(np.asarray(dt) >= np.asarray(tau)):
        check_euler(float(np.min(tau)), float(np.max(dt)), "euler")  # raises: the decay would be <= 0
    ratio = dt / tau
    return 1.0 - ratio, ratio


def _fast_sigmoid_grad(x: tf.Tensor, slope: float) -> tf.Tensor:
    return 1.0 / tf.square(1.0 + slope * tf.abs(x))


def _arctan_grad(x: tf.Tensor, slope: float) -> tf.Tensor:
    return (slope / 2.0) / (1.0 + tf.square(math.pi / 2.0 * slope * x))


_GRADS = {"fast_sigmoid": _fast_sigmoid_grad, "arctan": _arctan_grad}


def _surrogate_slope(surrogate: str, slope: Any) -> float:
    """The validated slope k of ``surrogate``: its :data:`DEFAULT_SLOPES` entry when ``slope`` is None."""
    _checks.one_of("surrogate", surrogate, SURROGATES)
    if slope is None:
        return DEFAULT_SLOPES[surrogate]
    return _checks.positive("surrogate_slope", slope, maximum=_checks.FLOAT32_MAX)


def spike_function(surrogate: str = "fast_sigmoid", slope: float | None = None) -> Callable[[tf.Tensor], tf.Tensor]:
    """Return ``f(x) = H(x)`` (1.0 where ``x >= 0``) whose gradient is the chosen surrogate.

    ``x`` is the distance to threshold, ``v - theta``. ``slope`` is the surrogate's k; ``None``
    takes the surrogate's own default (:data:`DEFAULT_SLOPES`), at which ``f'(0) = 1``.
    """
    slope = _surrogate_slope(surrogate, slope)
    grad_fn = _GRADS[surrogate]

    @tf.custom_gradient
    def heaviside(x):
        spikes = tf.cast(x >= 0.0, x.dtype)

        def grad(upstream):
            return upstream * grad_fn(x, slope)

        return spikes, grad

    return heaviside


def check_euler(tau: float, dt: float, integration: str) -> None:
    """Refuse forward Euler with ``dt >= tau``: its decay factor ``1 - dt/tau`` is then <= 0, so the
    potential flips sign every step (it fires below rheobase and for negative input) and for
    ``dt > 2·tau`` grows without bound. The exact update has no such limit."""
    if integration == "euler" and dt >= tau:
        raise ValueError(f"integration='euler' needs dt < tau, got dt = {dt:g} ms and tau = {tau:g} ms "
                         "(the decay 1 - dt/tau would be <= 0); use a smaller dt or integration='exact'")


# ----------------------------------------------------------------------------- parameter and state records
class LIFParams(NamedTuple):
    """The parameters of a population of LIF neurons, as one immutable record (Norse's ``LIFParameters``).

    Fields:
        tau: membrane time constant :math:`\\tau` (ms), > 0.
        threshold: firing threshold :math:`\\theta` (units of v), > 0.
        reset: ``"zero"`` or ``"subtract"`` (:data:`RESETS`).
        refractory: refractory period in steps (integer >= 0).
        dt: time step (ms), > 0.
        integration: ``"exact"`` or ``"euler"`` (:data:`INTEGRATIONS`; Euler needs dt < tau).

    Build it with :meth:`LIFParams.make`, which validates every field once (its message names the
    field, the unit and the fix) and stores plain Python numbers::

        p = LIFParams.make(tau=10.0, threshold=1.0, refractory=2)
        p.gain             # 1 - exp(-dt/tau), as -expm1(-dt/tau) (decay_and_gain)
        p.replace(tau=5.0) # a new, validated record; p itself cannot change

    Why ``make`` and not ``__new__``: the record is a NamedTuple so that it nests through
    ``tf.nest``, ``tf.function`` and ``tf.scan`` — and TensorFlow (and Keras's attribute tracker)
    rebuild a NamedTuple by calling ``LIFParams(*leaves)`` with whatever the leaves have become:
    symbolic tensors while tracing, ``TensorSpec``\\ s, dtypes. A validating ``__new__`` would call
    ``float()`` on a symbolic tensor and break all of these, so the plain constructor stays a raw
    record and validation lives in ``make``. A raw record with bad values is still caught: the
    public entry points (:func:`simulate`, :class:`LIFCell`) pass what they get through ``make``
    (the one validation path; it is idempotent and costs microseconds), while the inner math,
    :func:`lif_step`, trusts it. ``NamedTuple._replace`` skips validation; use :meth:`replace`.

    Inside graphs ``tau``, ``threshold`` and ``dt`` may be tensors (see :meth:`as_tensors`: one
    ``tf.function`` trace then serves every value); ``reset``, ``refractory`` and ``integration``
    choose the graph and stay Python values.
    """

    tau: Any = 20.0
    threshold: Any = 1.0
    reset: str = "zero"
    refractory: int = 0
    dt: Any = 1.0
    integration: str = "exact"

    @classmethod
    def make(cls, tau: float = 20.0, threshold: float = 1.0, reset: str = "zero", refractory: int = 0,
             dt: float = 1.0, integration: str = "exact") -> LIFParams:
        """Validate each field and return the record (floats for tau, threshold, dt; int refractory).

        Raises ``ValueError`` naming the bad field; values must fit float32 (they enter float32
        tensors), and Euler integration needs ``dt < tau`` (:func:`check_euler`).
        """
        f32 = _checks.FLOAT32_MAX
        params = cls(
            tau=_checks.positive("tau", tau, unit="ms", maximum=f32),
            threshold=_checks.positive("threshold", threshold, maximum=f32),
            # (a threshold below float32's smallest normal number would round to 0 and fire on nothing)
            reset=_checks.one_of("reset", reset, RESETS),
            refractory=_checks.positive_int("refractory", refractory, minimum=0, maximum=2**24),
            dt=_checks.positive("dt", dt, unit="ms", maximum=f32),
            integration=_checks.one_of("integration", integration, INTEGRATIONS),
        )
        check_euler(params.tau, params.dt, params.integration)
        for name in ("tau", "threshold", "dt"):
            if getattr(params, name) < _F32_TINY:
                raise ValueError(f"{name} must be at least {_F32_TINY:.3g} (the smallest normal float32); "
                                 f"got {getattr(params, name)!r}")
        return params

    def replace(self, **changes: Any) -> LIFParams:
        """A validated copy with ``changes`` applied (``p.replace(tau=5.0)``)."""
        unknown = sorted(set(changes) - set(self._fields))
        if unknown:
            raise TypeError(f"LIFParams has no field(s) {', '.join(map(repr, unknown))}; "
                            f"its fields are {', '.join(self._fields)}")
        return LIFParams.make(**{**self._asdict(), **changes})

    @property
    def gain(self) -> Any:
        """The input gain of one step, :func:`decay_and_gain`'s gain: ``-expm1(-dt/tau)`` (exact) or
        ``dt/tau`` (Euler); the decay is ``1 - gain``. A float64 NumPy scalar for Python-number
        fields, a tensor when tau or dt is one."""
        return decay_and_gain(self.tau, self.dt, self.integration)[1]

    def as_tensors(self, dtype: Any = "float32") -> LIFParams:
        """The same record with ``tau``, ``threshold`` and ``dt`` as constant tensors of ``dtype``:
        passed to a ``tf.function``, new values then reuse the trace instead of retracing."""
        const = lambda value: tf.constant(value, dtype)  # noqa: E731
        return self._replace(tau=const(self.tau), threshold=const(self.threshold), dt=const(self.dt))


class LIFState(NamedTuple):
    """The state of a population of LIF neurons (Norse's ``LIFFeedForwardState``), one entry per neuron.

    Fields:
        v: membrane potential (units of the threshold), after the last step's reset.
        refrac: refractory steps still to serve (float, 0 when the neuron may fire; kept at 0
            when ``refractory == 0``).
    """

    v: Any
    refrac: Any

    @classmethod
    def zeros(cls, shape: Any, dtype: Any = "float32") -> LIFState:
        """Neurons at rest (v = 0, not refractory), of ``shape`` (a tuple or a shape tensor)."""
        zeros = tf.zeros(shape, dtype)
        return cls(v=zeros, refrac=zeros)


def lif_step(
    current: Any,
    state: LIFState,
    params: LIFParams,
    spike_fn: Callable[[tf.Tensor], tf.Tensor] | None = None,
) -> tuple[tf.Tensor, LIFState]:
    """One LIF step, a pure function: ``(current, state, params) -> (spikes, new_state)`` (after Norse's
    ``lif_feed_forward_step``).

    ``current`` is the input :math:`I` of this step, of the state's shape (broadcasting allowed) and
    cast to ``state.v``'s dtype. ``params`` is a :class:`LIFParams` (from :meth:`LIFParams.make`;
    not checked again here); its gain (:attr:`LIFParams.gain`) and threshold are cast to the
    state's dtype, so Python-number fields are rounded once from float64, exactly as
    :func:`simulate` does, and the two agree bit for bit. ``spike_fn``: a surrogate-gradient
    Heaviside from :func:`spike_function`, or ``None`` for the plain step (inference). The
    equations are in the module docstring; the update is :func:`lif_update`'s.
    """
    v = tf.convert_to_tensor(state.v)
    current = tf.cast(current, v.dtype)
    spikes, v_new, refrac_new = lif_update(
        current, v, state.refrac if params.refractory else None,
        gain=tf.cast(params.gain, v.dtype), threshold=tf.cast(params.threshold, v.dtype),
        reset=params.reset, refractory=params.refractory, spike_fn=spike_fn,
    )
    return spikes, LIFState(v=v_new, refrac=state.refrac if refrac_new is None else refrac_new)


def lif_update(
    current: tf.Tensor,
    v: tf.Tensor,
    refrac: tf.Tensor | None,
    *,
    gain: Any,
    threshold: Any,
    reset: str = "zero",
    refractory: int = 0,
    spike_fn: Callable[[tf.Tensor], tf.Tensor] | None = None,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor | None]:
    """One LIF step on raw numbers: ``(current, v, refrac) -> (spikes, v_new, refrac_new)``.

    The membrane update is written ``v + gain·(I − v)`` — the same as ``decay·v + gain·I`` with
    ``decay = 1 − gain`` (:func:`decay_and_gain`), but in float32 the decay itself cannot be stored
    near 1 (``exp(−1e-5)`` keeps 3 significant digits of ``1 − decay``), while ``gain`` keeps all 7:
    a τ = 1000 ms, dt = 0.01 ms neuron at I = 2θ fires on step 69 315 as ``τ ln 2 / dt`` says, not 69 270.

    ``refrac`` counts the refractory steps still to serve (ignored and returned
    as ``None`` when ``refractory == 0``). ``spike_fn`` is a surrogate-gradient
    Heaviside from :func:`spike_function`; ``None`` means the plain step with no
    gradient (inference; written as ``v >= θ`` so XLA fuses it well). No
    argument checks: this is the inner math of :func:`lif_step`, :func:`simulate`
    and the edge pipeline, whose XLA loop passes ``gain`` and ``threshold`` as tensors.
    """
    v_int = v + gain * (current - v)
    if refractory:
        active = refrac <= 0.0
        v_int = tf.where(active, v_int, v)
    if spike_fn is None:
        fired = v_int >= threshold
        if refractory:
            fired = tf.logical_and(fired, active)
        spikes = tf.cast(fired, v_int.dtype)
    else:
        spikes = spike_fn(v_int - threshold)
        if refractory:
            spikes = spikes * tf.cast(active, v_int.dtype)
        fired = tf.stop_gradient(spikes) > 0.0
    if reset == "zero":
        v_new = tf.where(fired, tf.zeros_like(v_int), v_int)
    else:
        v_new = v_int - threshold * tf.cast(fired, v_int.dtype)
    if refractory:
        refrac_new = tf.where(fired, float(refractory), tf.maximum(refrac - 1.0, 0.0))
        return spikes, v_new, refrac_new
    return spikes, v_new, None


def _params_from(params: LIFParams | None, kwargs: dict, where: str) -> LIFParams:
    """The validated :class:`LIFParams` of a public call: from ``params`` or from keyword fields, not both."""
    unknown = sorted(set(kwargs) - set(LIFParams._fields))
    if unknown:
        raise TypeError(f"{where}() got unknown keyword argument(s) {', '.join(map(repr, unknown))}; "
                        f"the LIF parameters are {', '.join(LIFParams._fields)}")
    if params is None:
        return LIFParams.make(**kwargs)
    if not isinstance(params, LIFParams):
        raise ValueError(f"params must be a LIFParams (from LIFParams.make(...)), got {type(params).__name__}")
    if kwargs:
        raise ValueError(f"pass params or keyword parameters ({', '.join(sorted(kwargs))}), not both; "
                         "for a variant use params.replace(...)")
    return LIFParams.make(**params._asdict())


def simulate(current: Any, params: LIFParams | None = None, *, v0: float = 0.0,
             **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Run LIF neurons over a time-major input ``current`` of shape ``[T, ...]``.

    The neurons are set either by ``params`` (a :class:`LIFParams`) or by its fields as keywords:
    ``tau`` = 20 ms, ``threshold`` = 1, ``reset`` = ``"zero"``, ``refractory`` = 0 steps,
    ``dt`` = 1 ms, ``integration`` = ``"exact"`` (validated by :meth:`LIFParams.make`).
    ``v0`` is the potential at rest before the first step.

    Returns ``(spikes, v)`` as NumPy arrays of the same shape; ``v[t]`` is the
    potential at the end of step ``t`` (after any reset). For plotting a
    membrane trace, :func:`simulate` is the one to call; inside models use
    :class:`LIF`. It is :func:`lif_step` scanned over time (one graph loop).

    >>> s, v = simulate(np.full(5, 1.5), tau=1.0 / np.log(2.0))  # decay 1/2 per step
    >>> v.round(3).tolist(), s.tolist()
    ([0.75, 0.0, 0.75, 0.0, 0.75], [0.0, 1.0, 0.0, 1.0, 0.0])
    """
    p = _params_from(params, kwargs, "simulate")
    x = _checks.finite_array("current", current)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(f"current must be time-major [T, ...] with T >= 1, got shape {x.shape}")
    if x.size and np.abs(x).max() > _checks.FLOAT32_MAX:
        raise ValueError("current has values beyond the float32 range (±3.4e38); rescale it")
    v0 = float(_checks.finite_array("v0", v0, ndim=0, lo=-_checks.FLOAT32_MAX, hi=_checks.FLOAT32_MAX))
    f32 = lambda value: tf.constant(value, tf.float32)  # noqa: E731  (tensors: new values do not retrace)
    # the gain in float64, rounded once to float32: as lif_step casts a Python-number LIFParams.gain
    spikes, volts = _simulate_graph(tf.constant(x, tf.float32), f32(p.gain), f32(p.threshold),
                                    f32(v0), p.reset, p.refractory)
    return spikes.numpy(), volts.numpy()


@tf.function(reduce_retracing=True)
def _simulate_graph(x, gain, threshold, v0, reset, refractory):
    """``lif_update`` scanned over time (a graph loop: one trace per reset/refractory choice and rank)."""
    shape = tf.shape(x)[1:]
    zeros = tf.zeros(shape, x.dtype)

    def step(carry, current):
        v, r, _ = carry
        s, v, r_new = lif_update(current, v, r if refractory else None, gain=gain,
                                 threshold=threshold, reset=reset, refractory=refractory)
        return v, (r if r_new is None else r_new), s

    volts, _, spikes = tf.scan(step, x, initializer=(zeros + v0, zeros, zeros))
    return spikes, volts


def fi_curve_analytic(current: Any, *, tau: float = 20.0, threshold: float = 1.0,
                      t_ref: float = 0.0) -> np.ndarray:
    """Analytic LIF firing rate in spikes per ms (kHz) for constant input ``current``.

    f(I) = 1 / (t_ref + tau * ln(I / (I - theta))) for I > theta, else 0.
    ``tau`` and ``t_ref`` in ms.
    """
    tau = _checks.positive("tau", tau, unit="ms")
    threshold = _checks.positive("threshold", threshold)
    t_ref = _checks.non_negative("t_ref", t_ref, unit="ms")
    i = _checks.finite_array("current", current)
    out = np.zeros_like(i)
    above = i > threshold
    out[above] = 1.0 / (t_ref + tau * np.log(i[above] / (i[above] - threshold)))
    return out


def fi_curve_simulated(current: Any, *, tau: float = 20.0, threshold: float = 1.0, refractory: int = 0,
                       dt: float = 1.0, steps: int = 3000) -> np.ndarray:
    """Simulated LIF firing rate in spikes per ms (kHz) for each constant ``current``.

    The rate is 1 / (mean inter-spike interval) over ``steps`` steps from rest, so the first
    (longer) interval from rest does not bias it; 0 where fewer than three spikes occur.
    Compare with :func:`fi_curve_analytic` (``t_ref = refractory · dt``).
    """
    i = _checks.finite_array("current", current, ndim=1)
    steps = _checks.positive_int("steps", steps, minimum=3, maximum=10**7)
    if steps * max(len(i), 1) > 5 * 10**7:
        raise ValueError(f"steps × currents = {steps} × {len(i)} is too many neuron-steps (at most 5e7); "
                         "use fewer steps or fewer currents")
    spikes, _ = simulate(np.tile(i, (steps, 1)), tau=tau, threshold=threshold, refractory=refractory, dt=dt)
    rates = np.zeros(len(i))
    for j in range(len(i)):
        times = np.flatnonzero(spikes[:, j])
        if len(times) >= 3:
            rates[j] = 1.0 / (np.diff(times).mean() * dt)
    return rates


# ----------------------------------------------------------------------------- Keras cell and layer
@keras.saving.register_keras_serializable(package="snnlib")
class MinValue(keras.constraints.Constraint):
    """Keep a trainable parameter at or above ``minimum`` (tau and threshold stay positive)."""

    def __init__(self, minimum: float = 1e-3):
        self.minimum = float(minimum)

    def __call__(self, w):
        return keras.ops.maximum(w, self.minimum)

    def get_config(self) -> dict:
        return {"minimum": self.minimum}


@keras.saving.register_keras_serializable(package="snnlib")
class LIFCell(keras.layers.Layer):
    """A layer of ``units`` LIF neurons as a Keras 3 RNN cell (TensorFlow backend): :func:`lif_step`
    with trainable tau and threshold.

    Run it over time with :class:`LIF` (``LIF(units, ...)`` is ``keras.layers.RNN(LIFCell(units, ...),
    return_sequences=True)``) on inputs ``[batch, T, units]``: the input of each step is the
    current :math:`I` into each neuron (put a ``keras.layers.Dense`` in front for synaptic
    weights). The output of each step is the spike vector (0/1). The state is
    ``[v, refractory_countdown]`` (:class:`LIFState` as Keras's list).

    Args:
        units: number of neurons.
        tau, threshold, reset, refractory, dt, integration: the :class:`LIFParams` fields
            (tau and dt in ms, refractory in steps), validated by :meth:`LIFParams.make` and
            kept as :attr:`params`.
        surrogate: ``"fast_sigmoid"`` or ``"arctan"`` (backward pass only).
        surrogate_slope: slope :math:`k` of the surrogate; ``None`` takes the surrogate's default
            (:data:`DEFAULT_SLOPES`: 25 and 2, both peaking at 1). The cell keeps, and
            ``get_config`` saves, the resolved number, so a saved model reloads with the same
            slope even if a default changes.
        train_tau, train_threshold: make tau / threshold trainable (threshold kept >= 1e-3; tau kept
            >= 1e-3 ms, and >= dt with Euler integration, whose decay 1 − dt/τ must not go negative).
        per_neuron: one trainable tau / threshold per neuron instead of one shared.

    The equations are in the module docstring (:mod:`snnlib.neurons`).
    """

    def __init__(
        self,
        units: int,
        tau: float = 20.0,
        threshold: float = 1.0,
        reset: str = "zero",
        refractory: int = 0,
        dt: float = 1.0,
        integration: str = "exact",
        surrogate: str = "fast_sigmoid",
        surrogate_slope: float | None = None,
        train_tau: bool = False,
        train_threshold: bool = False,
        per_neuron: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not str(self.dtype_policy.variable_dtype).startswith("float"):
            raise ValueError(f"LIFCell needs a floating-point dtype (float32 or float64), got {self.dtype_policy.name!r}")
        self.units = _checks.positive_int("units", units)
        self.params = LIFParams.make(tau=tau, threshold=threshold, reset=reset, refractory=refractory, dt=dt,
                                     integration=integration)
        self.surrogate = _checks.one_of("surrogate", surrogate, SURROGATES)
        self.surrogate_slope = _surrogate_slope(surrogate, surrogate_slope)
        self.train_tau = bool(train_tau)
        self.train_threshold = bool(train_threshold)
        self.per_neuron = bool(per_neuron)
        self.state_size = [self.units, self.units]
        self.output_size = self.units
        self._spike_fn = spike_function(self.surrogate, self.surrogate_slope)

    # the LIFParams fields under their former attribute names (tau and threshold are the weights)
    tau_init = property(lambda self: self.params.tau, doc="Initial tau (ms).")
    threshold_init = property(lambda self: self.params.threshold, doc="Initial threshold.")
    reset = property(lambda self: self.params.reset, doc="Reset rule.")
    refractory = property(lambda self: self.params.refractory, doc="Refractory period (steps).")
    dt = property(lambda self: self.params.dt, doc="Time step (ms).")
    integration = property(lambda self: self.params.integration, doc="Integration rule.")

    def build(self, input_shape):
        width = input_shape[-1] if input_shape else None
        if width is not None and width != self.units:
            raise ValueError(f"LIFCell({self.units}) takes one input current per neuron, so the last axis of its "
                             f"input must be {self.units}, got {width}; put keras.layers.Dense({self.units}) in front")
        shape = (self.units,) if self.per_neuron else ()
        self.tau = self.add_weight(
            name="tau", shape=shape, initializer=keras.initializers.Constant(self.params.tau),
            trainable=self.train_tau,
            constraint=MinValue(max(1e-3, self.dt) if self.integration == "euler" else 1e-3),
        )
        self.threshold = self.add_weight(
            name="threshold", shape=shape, initializer=keras.initializers.Constant(self.params.threshold),
            trainable=self.train_threshold, constraint=MinValue(1e-3),
        )
        super().build(input_shape)

    def get_initial_state(self, batch_size=None):
        zeros = keras.ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
        return [zeros, zeros]

    def call(self, inputs, states, training=False):
        v, refrac = states[0], states[1]
        tau = tf.cast(self.tau, v.dtype)
        dt = tf.constant(self.dt, v.dtype)
        if self.integration == "euler":  # also between constraint applications (custom training loops)
            tau = tf.maximum(tau, dt)
        params = self.params._replace(tau=tau, threshold=tf.cast(self.threshold, v.dtype), dt=dt)
        spikes, state = lif_step(inputs, LIFState(v, refrac), params, spike_fn=self._spike_fn)
        return spikes, [state.v, state.refrac]

    def _lif_config(self) -> dict:
        """The constructor arguments of the LIF part (shared by :class:`LIFCell` and :class:`LIF`)."""
        return dict(
            units=self.units, tau=self.params.tau, threshold=self.params.threshold, reset=self.params.reset,
            refractory=self.params.refractory, dt=self.params.dt, integration=self.params.integration,
            surrogate=self.surrogate, surrogate_slope=self.surrogate_slope, train_tau=self.train_tau,
            train_threshold=self.train_threshold, per_neuron=self.per_neuron,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), **self._lif_config()}


@keras.saving.register_keras_serializable(package="snnlib")
class LIF(keras.layers.RNN):
    """A layer of ``units`` LIF neurons run over time: a Keras ``RNN`` of one :class:`LIFCell`, used as
    ``SimpleRNN`` is::

        model = keras.Sequential([keras.Input((T, n)), keras.layers.Dense(64), LIF(64, tau=10.0)])

    Input ``[batch, T, units]`` (the current into each neuron at each step); output the spikes,
    ``[batch, T, units]`` with ``return_sequences=True`` (the default here, unlike ``SimpleRNN``:
    a spike train is what a spiking layer gives), else those of the last step. With
    ``return_state=True`` the final ``v`` and refractory countdown follow.

    Args:
        units, tau, threshold, reset, refractory, dt, integration, surrogate, surrogate_slope,
            train_tau, train_threshold, per_neuron: as :class:`LIFCell` (tau, dt in ms;
            refractory in steps).
        return_sequences, return_state: as ``keras.layers.RNN``.
        **rnn_kwargs: the other ``keras.layers.RNN`` options (``go_backwards``, ``stateful``,
            ``unroll``, ``zero_output_for_mask``) and the layer's ``name``, ``dtype``, ``trainable``.
    """

    def __init__(
        self,
        units: int,
        tau: float = 20.0,
        threshold: float = 1.0,
        reset: str = "zero",
        refractory: int = 0,
        dt: float = 1.0,
        integration: str = "exact",
        surrogate: str = "fast_sigmoid",
        surrogate_slope: float | None = None,
        train_tau: bool = False,
        train_threshold: bool = False,
        per_neuron: bool = False,
        return_sequences: bool = True,
        return_state: bool = False,
        **rnn_kwargs: Any,
    ):
        cell = LIFCell(
            units, tau=tau, threshold=threshold, reset=reset, refractory=refractory, dt=dt,
            integration=integration, surrogate=surrogate, surrogate_slope=surrogate_slope, train_tau=train_tau,
            train_threshold=train_threshold, per_neuron=per_neuron, dtype=rnn_kwargs.get("dtype"),
            trainable=rnn_kwargs.get("trainable", True), name="lif_cell",
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state, **rnn_kwargs)
        self.input_spec = [keras.layers.InputSpec(ndim=3)]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, mask=mask, training=training, initial_state=initial_state)

    @property
    def units(self) -> int:
        """Number of neurons."""
        return self.cell.units

    @property
    def params(self) -> LIFParams:
        """The cell's :class:`LIFParams` (initial tau and threshold when they are trained)."""
        return self.cell.params

    def get_config(self) -> dict:
        config = super().get_config()
        del config["cell"]
        return {**config, **self.cell._lif_config()}

    @classmethod
    def from_config(cls, config: dict) -> LIF:
        return cls(**config)
