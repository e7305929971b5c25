"""Leaky integrate-and-fire (LIF) neurons: a pure step function and a Keras 3 RNN cell.

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
  :math:`\\partial s/\\partial v = 1 / (1 + k|v - \\theta|)^2`
* ``"arctan"`` (Fang et al., ICCV 2021):
  :math:`\\partial s/\\partial v = \\frac{k/2}{1 + (\\frac{\\pi}{2} k (v - \\theta))^2}`

with the slope :math:`k` set by ``surrogate_slope``. The reset uses the spike
with its gradient stopped (a common, more stable choice).

Shapes: :func:`simulate` is time-major (``[T, ...]``); :class:`LIFCell` follows
Keras and is used as ``keras.layers.RNN(LIFCell(n), return_sequences=True)`` on
``[batch, T, n]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from snnlib import _checks
from snnlib._quiet import tf
from snnlib.options import INTEGRATIONS, RESETS, SURROGATES

__all__ = [
    "RESETS",
    "INTEGRATIONS",
    "SURROGATES",
    "decay_and_gain",
    "spike_function",
    "lif_step",
    "simulate",
    "fi_curve_analytic",
    "fi_curve_simulated",
    "LIFCell",
]


# ----------------------------------------------------------------------------- pure math
def decay_and_gain(tau: Any, dt: Any, integration: str = "exact") -> tuple[Any, Any]:
    """Return ``(decay, gain)`` such that one step is ``v <- decay * v + gain * I``.

    exact: decay = exp(-dt/tau), gain = 1 - decay, computed as ``-expm1(-dt/tau)`` so that it keeps its
    digits when dt ≪ tau (``1 - exp(-x)`` in float32 loses them: 1.3e-2 relative error at tau/dt = 1e6);
    euler: decay = 1 - dt/tau, gain = dt/tau (stable and sign-preserving only for dt < tau, which
    :func:`simulate` and :class:`LIFCell` enforce).
    Works on Python floats, NumPy arrays and tensors (tau may be a trainable variable).
    """
    _checks.one_of("integration", integration, INTEGRATIONS)
    if integration == "exact":
        if tf.is_tensor(tau) or tf.is_tensor(dt):
            x = -dt / tau
            return tf.exp(x), -tf.math.expm1(x)
        x = -dt / np.asarray(tau, dtype=np.float64)
        return np.exp(x), -np.expm1(x)
    ratio = dt / tau
    return 1.0 - ratio, ratio


def _fast_sigmoid_grad(x: tf.Tensor, slope: float) -> tf.Tensor:
    return 1.0 / tf.square(1.0 + slope * tf.abs(x))


def _arctan_grad(x: tf.Tensor, slope: float) -> tf.Tensor:
    return (slope / 2.0) / (1.0 + tf.square(math.pi / 2.0 * slope * x))


_GRADS = {"fast_sigmoid": _fast_sigmoid_grad, "arctan": _arctan_grad}


def spike_function(surrogate: str = "fast_sigmoid", slope: float = 25.0) -> Callable[[tf.Tensor], tf.Tensor]:
    """Return ``f(x) = H(x)`` (1.0 where ``x >= 0``) whose gradient is the chosen surrogate.

    ``x`` is the distance to threshold, ``v - theta``.
    """
    _checks.one_of("surrogate", surrogate, SURROGATES)
    slope = _checks.positive("surrogate_slope", slope)
    grad_fn = _GRADS[surrogate]

    @tf.custom_gradient
    def heaviside(x):
        spikes = tf.cast(x >= 0.0, x.dtype)

        def grad(upstream):
            return upstream * grad_fn(x, slope)

        return spikes, grad

    return heaviside


def lif_step(
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
    """One LIF step: ``(current, v, refrac) -> (spikes, v_new, refrac_new)``.

    The membrane update is written ``v + gain·(I − v)`` — the same as ``decay·v + gain·I`` with
    ``decay = 1 − gain`` (:func:`decay_and_gain`), but in float32 the decay itself cannot be stored
    near 1 (``exp(−1e-5)`` keeps 3 significant digits of ``1 − decay``), while ``gain`` keeps all 7:
    a τ = 1000 ms, dt = 0.01 ms neuron at I = 2θ fires on step 69 315 as ``τ ln 2 / dt`` says, not 69 270.

    ``refrac`` counts the refractory steps still to serve (ignored and returned
    as ``None`` when ``refractory == 0``). ``spike_fn`` is a surrogate-gradient
    Heaviside from :func:`spike_function`; ``None`` means the plain step with no
    gradient (inference; written as ``v >= θ`` so XLA fuses it well). No
    argument checks: this is the inner math, called by :func:`simulate`,
    :class:`LIFCell` and the edge pipeline.
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


def _validate_params(tau, threshold, dt, reset, refractory, integration, surrogate, surrogate_slope):
    f32 = _checks.FLOAT32_MAX  # these values enter float32 tensors
    p = dict(
        tau=_checks.positive("tau", tau, unit="ms", maximum=f32),
        threshold=_checks.positive("threshold", threshold, maximum=f32),
        dt=_checks.positive("dt", dt, unit="ms", maximum=f32),
        reset=_checks.one_of("reset", reset, RESETS),
        refractory=_checks.positive_int("refractory", refractory, minimum=0, maximum=2**24),
        integration=_checks.one_of("integration", integration, INTEGRATIONS),
        surrogate=_checks.one_of("surrogate", surrogate, SURROGATES),
        surrogate_slope=_checks.positive("surrogate_slope", surrogate_slope, maximum=f32),
    )
    check_euler(p["tau"], p["dt"], p["integration"])
    return p


def check_euler(tau: float, dt: float, integration: str) -> None:
    """Refuse forward Euler with ``dt >= tau``: its decay factor ``1 - dt/tau`` is then <= 0, so the
    potential flips sign every step (it fires below rheobase and for negative input) and for
    ``dt > 2·tau`` grows without bound. The exact update has no such limit."""
    if integration == "euler" and dt >= tau:
        raise ValueError(f"integration='euler' needs dt < tau, got dt = {dt:g} ms and tau = {tau:g} ms "
                         "(the decay 1 - dt/tau would be <= 0); use a smaller dt or integration='exact'")


def simulate(
    current: Any,
    *,
    tau: float = 20.0,
    threshold: float = 1.0,
    reset: str = "zero",
    refractory: int = 0,
    dt: float = 1.0,
    integration: str = "exact",
    v0: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Run LIF neurons over a time-major input ``current`` of shape ``[T, ...]``.

    Returns ``(spikes, v)`` as NumPy arrays of the same shape; ``v[t]`` is the
    potential at the end of step ``t`` (after any reset). For plotting a
    membrane trace, :func:`simulate` is the one to call; inside models use
    :class:`LIFCell`.

    >>> s, v = simulate(np.full(5, 1.5), tau=1.0 / np.log(2.0))  # decay 1/2 per step
    >>> v.round(3).tolist(), s.tolist()
    ([0.75, 0.0, 0.75, 0.0, 0.75], [0.0, 1.0, 0.0, 1.0, 0.0])
    """
    p = _validate_params(tau, threshold, dt, reset, refractory, integration, "fast_sigmoid", 1.0)
    x = _checks.finite_array("current", current)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(f"current must be time-major [T, ...] with T >= 1, got shape {x.shape}")
    if x.size and np.abs(x).max() > _checks.FLOAT32_MAX:
        raise ValueError("current has values beyond the float32 range (±3.4e38); rescale it")
    v0 = float(_checks.finite_array("v0", v0, ndim=0))
    _, gain = decay_and_gain(p["tau"], p["dt"], p["integration"])
    f32 = lambda value: tf.constant(value, tf.float32)  # noqa: E731  (tensors: new values do not retrace)
    spikes, volts = _simulate_graph(tf.constant(x, tf.float32), f32(gain), f32(p["threshold"]),
                                    f32(v0), p["reset"], p["refractory"])
    return spikes.numpy(), volts.numpy()


@tf.function(reduce_retracing=True)
def _simulate_graph(x, gain, threshold, v0, reset, refractory):
    """``lif_step`` scanned over time (a graph loop: one trace per reset/refractory choice and rank)."""
    shape = tf.shape(x)[1:]
    zeros = tf.zeros(shape, x.dtype)

    def step(carry, current):
        v, r, _ = carry
        s, v, r_new = lif_step(current, v, r if refractory else None, gain=gain,
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
    steps = _checks.positive_int("steps", steps, minimum=3)
    spikes, _ = simulate(np.tile(i, (steps, 1)), tau=tau, threshold=threshold, refractory=refractory, dt=dt)
    rates = np.zeros(len(i))
    for j in range(len(i)):
        times = np.flatnonzero(spikes[:, j])
        if len(times) >= 3:
            rates[j] = 1.0 / (np.diff(times).mean() * dt)
    return rates


# ----------------------------------------------------------------------------- Keras cell
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
    """A layer of ``units`` LIF neurons as a Keras 3 RNN cell (TensorFlow backend).

    Use it as ``keras.layers.RNN(LIFCell(units), return_sequences=True)`` on
    inputs ``[batch, T, units]``: the input of each step is the current
    :math:`I` into each neuron (put a ``keras.layers.Dense`` in front for
    synaptic weights). The output of each step is the spike vector (0/1).
    The state is ``[v, refractory_countdown]``.

    Args:
        units: number of neurons.
        tau: membrane time constant (ms), > 0.
        threshold: firing threshold :math:`\\theta` (same units as v), > 0.
        reset: ``"zero"`` or ``"subtract"``.
        refractory: refractory period in steps (integer >= 0).
        dt: time step (ms), > 0.
        integration: ``"exact"`` or ``"euler"``.
        surrogate: ``"fast_sigmoid"`` or ``"arctan"`` (backward pass only).
        surrogate_slope: slope :math:`k` of the surrogate.
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
        surrogate_slope: float = 25.0,
        train_tau: bool = False,
        train_threshold: bool = False,
        per_neuron: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not str(self.dtype_policy.variable_dtype).startswith("float"):
            raise ValueError(f"LIFCell needs a floating-point dtype (float32 or float64), got {self.dtype_policy.name!r}")
        self.units = _checks.positive_int("units", units)
        p = _validate_params(tau, threshold, dt, reset, refractory, integration, surrogate, surrogate_slope)
        self.tau_init = p["tau"]
        self.threshold_init = p["threshold"]
        self.reset = p["reset"]
        self.refractory = p["refractory"]
        self.dt = p["dt"]
        self.integration = p["integration"]
        self.surrogate = p["surrogate"]
        self.surrogate_slope = p["surrogate_slope"]
        self.train_tau = bool(train_tau)
        self.train_threshold = bool(train_threshold)
        self.per_neuron = bool(per_neuron)
        self.state_size = [self.units, self.units]
        self.output_size = self.units
        self._spike_fn = spike_function(self.surrogate, self.surrogate_slope)

    def build(self, input_shape):
        width = input_shape[-1] if input_shape else None
        if width is not None and width != self.units:
            raise ValueError(f"LIFCell({self.units}) takes one input current per neuron, so the last axis of its "
                             f"input must be {self.units}, got {width}; put keras.layers.Dense({self.units}) in front")
        shape = (self.units,) if self.per_neuron else ()
        self.tau = self.add_weight(
            name="tau", shape=shape, initializer=keras.initializers.Constant(self.tau_init),
            trainable=self.train_tau,
            constraint=MinValue(max(1e-3, self.dt) if self.integration == "euler" else 1e-3),
        )
        self.threshold = self.add_weight(
            name="threshold", shape=shape, initializer=keras.initializers.Constant(self.threshold_init),
            trainable=self.train_threshold, constraint=MinValue(1e-3),
        )
        super().build(input_shape)

    def get_initial_state(self, batch_size=None):
        zeros = keras.ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
        return [zeros, zeros]

    def call(self, inputs, states, training=False):
        v, refrac = states[0], states[1]
        inputs = tf.cast(inputs, v.dtype)
        tau = tf.cast(self.tau, v.dtype)
        threshold = tf.cast(self.threshold, v.dtype)
        dt = tf.constant(self.dt, v.dtype)
        if self.integration == "euler":  # also between constraint applications (custom training loops)
            tau = tf.maximum(tau, dt)
        _, gain = decay_and_gain(tau, dt, self.integration)
        spikes, v_new, r_new = lif_step(
            inputs, v, refrac, gain=gain, threshold=threshold, reset=self.reset,
            refractory=self.refractory, spike_fn=self._spike_fn,
        )
        if r_new is None:
            r_new = refrac
        return spikes, [v_new, r_new]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            units=self.units, tau=self.tau_init, threshold=self.threshold_init, reset=self.reset,
            refractory=self.refractory, dt=self.dt, integration=self.integration,
            surrogate=self.surrogate, surrogate_slope=self.surrogate_slope, train_tau=self.train_tau,
            train_threshold=self.train_threshold, per_neuron=self.per_neuron,
        )
        return config
