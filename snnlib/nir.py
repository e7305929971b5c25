"""Exchange spiking networks with the neuromorphic ecosystem: Keras models ⇄ NIR graphs.

NIR, the Neuromorphic Intermediate Representation (Pedersen et al., Nat. Commun. 15:8122, 2024; pip
``nir``), is how Norse, snnTorch, Sinabs, Rockpool, Spyx, Nengo, Lava-DL and SpiNNaker2 exchange
networks: a :class:`nir.NIRGraph` of named nodes and ``(src, dst)`` edges, saved as HDF5
(:func:`nir.write`, :func:`nir.read`). :func:`to_nir` writes a Keras model built from snnlib's pieces
as such a graph; :func:`from_nir` builds a Keras model from one (or from an ``.nir`` / ``.h5`` file).

Conventions (every one a choice NIR leaves open; the graph itself holds no time step):

* **Time.** ``dt`` is in **ms**, as everywhere in snnlib; it is not stored in NIR nodes (it is recorded
  in the graph's and each neuron node's metadata as ``dt_ms``). Time constants are written in
  **seconds** (``tau = tau_ms / 1000``), as Norse and snnTorch write them (a 2.5 ms neuron is
  ``tau=0.0025``); :func:`from_nir` reads ``tau_ms = 1000 · tau``.
* **LIF.** NIR's LIF is continuous: ``τ dv/dt = (v_leak − v) + r·I``, a spike when ``v > v_threshold``,
  then ``v ← v_reset``. snnlib's neuron is ``τ dv/dt = −v + I`` stepped exactly (zero-order hold,
  ``v ← v + g(I − v)``, ``g = −expm1(−dt/τ)``), which is the same equation with ``r = 1``,
  ``v_leak = 0``; :func:`to_nir` writes ``r = 1``, ``v_leak = 0``, ``v_threshold = θ``,
  ``v_reset = 0`` (zero reset) and records ``integration``, ``dt_ms`` and ``reset`` in the node's
  metadata. On import, ``r ≠ 1`` or ``v_leak ≠ 0`` become an elementwise ``I' = r·I + v_leak`` in
  front of an snnlib :class:`~snnlib.neurons.LIF` (``τ_ms = 1000·τ``, ``θ = v_threshold``; exact
  integration unless the node's metadata says ``euler``). snnlib fires when ``v ≥ θ``, NIR says
  ``v > θ``: the two differ only on steps where ``v`` lands exactly on θ.
* **Integration on import.** ``from_nir(..., integration=None)`` steps LIF, LI and CubaLIF neurons as
  the node's metadata says (snnlib's own graphs), else exactly; ``integration="euler"`` gives
  ``v ← v + (dt/τ)(r·I + v_leak − v)``, the discrete neuron snnTorch's export assumes (``dt = 1e-4`` s,
  ``τ = dt/(1 − β)``, ``r = τ/dt``: ``v ← βv + I``; Synaptic also ``w_in = τ_syn/dt``), so read a
  snnTorch graph with ``dt=0.1, integration="euler"``. snnTorch itself resets by subtraction, one step
  late; the graph says reset to ``v_reset``, which is what runs here.
* **Refused on export:** ``reset="subtract"`` (NIR's LIF resets to ``v_reset``; writing a subtract
  neuron as a zero-reset one would change its spikes on every other platform), ``refractory > 0``
  (NIR's LIF has no refractory period), a LIF whose ``dt`` differs from ``to_nir``'s ``dt``, layers with
  a non-linear ``activation``, ``"reflect"`` padding (NIR pads with zeros), max pooling, and any layer
  type not listed below — each as one ``ValueError`` naming the layer. snnlib has no IF neuron, so it
  exports LIF only (an infinite τ cannot be built in snnlib).
* **Refused on import:** LIF / CubaLIF with ``v_reset ≠ 0`` when it cannot be honoured by snnlib's LIF
  (the IF and CubaLIF cells here take any ``v_reset``), nodes of other types (``Conv1d``, ``Delay``,
  ``I``, ``CubaLI``, ``Threshold``, nested graphs …), graphs that branch, and shapes that do not chain —
  each as one ``ValueError`` naming the node.
* **IF** (no time constant): one step adds ``r·I`` with no ``dt`` — ``v ← v + r·I`` (as Sinabs writes
  it and Norse's ``iaf_feed_forward_step`` reads it, dt unused); spike when ``v ≥ θ``, then
  ``v ← v_reset``. :class:`IFCell`.
* **LI** (leaky integrator, no spikes): ``v ← v + g(r·I + v_leak − v)``, the same exact step as LIF;
  the output is ``v``. :class:`LICell`.
* **CubaLIF** (current-based LIF, two states): each step first the synaptic current
  ``i ← i + g_syn(w_in·x − i)``, then the membrane ``v ← v + g_mem(r·i + v_leak − v)`` with the new
  ``i``; spike when ``v ≥ θ``, then ``v ← v_reset``. Both are snnlib's exact step with the input held
  over the step; Norse and snnTorch instead add the input to ``i`` as a jump (not scaled by ``g_syn``),
  so a graph from them runs here with its synaptic input scaled by ``g_syn``. :class:`CubaLIFCell`.
* **Weights.** NIR is channels-first: ``Affine``/``Linear`` weight ``(out, in)`` (Keras: ``(in, out)``,
  transposed), ``Conv2d`` weight ``(C_out, C_in, kH, kW)`` (Keras: ``(kH, kW, C_in, C_out)``), feature maps
  ``(C, H, W)`` (Keras: ``(H, W, C)``). A Flatten of a feature map flattens in NIR's ``(C, H, W)`` order;
  on export the following Dense's columns are permuted to match, on import the map is transposed to
  ``(C, H, W)`` before it is flattened, so the numbers agree both ways.
* **Crossbar layers** (:class:`~snnlib.crossbar.CrossbarDense`, :class:`~snnlib.crossbar.CrossbarConv2D`)
  are written with the chip's **effective** weights ``(G⁺ − G⁻)/k`` (``effective_weights()``: levels,
  device-to-device variation, stuck devices and drift included) plus the bias. A crossbar layer without
  read noise or ADC computes exactly ``x @ W_eff`` with that float32 tensor, so the re-imported plain
  ``Dense``/``Conv2D`` gives **identical** outputs and spikes (tested on the digits classifier). The node's metadata
  keeps the device preset and the read-time options (``read_noise``, ``dac_bits``, ``adc_bits``) that
  an effective weight cannot hold; another platform runs the programmed weights without them.
* **Readout.** The digits model ends with a mean over time (``GlobalAveragePooling1D``). NIR has no
  node for it: by default :func:`to_nir` refuses it, naming the layer; ``readout="metadata"`` ends the
  graph before it (the Output is then the per-step output of the last layer, what other platforms
  average or count themselves) and records ``readout = "mean_over_time"`` in the graph's metadata,
  from which :func:`from_nir` restores the mean.

* **ON/OFF.** A crossbar layer with ``on_off=True`` (each column pair feeds an ON and an OFF output,
  ``[y, −y]``) exports its ``[W_eff, −W_eff]`` and ``[b, −b]`` as they are; a separate
  :class:`snnlib.networks.OnOff` layer (``[x, −x]``) is folded into the linear node before it the same way
  (metadata ``on_off``).
* **Scale.** A :class:`ScaleShift` exports as a ``Scale`` node (its shift must be 0), or, built with
  ``neuron_input=True`` (as :func:`from_nir` builds a neuron's ``r ≠ 1`` / ``v_leak ≠ 0``), folded into
  the next neuron node's ``r`` and ``v_leak``. ``ZeroPadding2D`` before a convolution or pooling becomes
  that node's integer ``padding``.
* **Edge pipeline.** :func:`snnlib.networks.edge_network` is the network of an
  :class:`~snnlib.edges.EdgeExtractor` as a Keras model (crossbar conv with ``on_off`` → gain → LIF); it exports as
  ``Input → Conv2d (2C channels) → Scale (the gain) → LIF → Output``. Its input is the encoded image
  already mirrored at the border (NIR pads with zeros only); the digital combination into an edge map is
  not in the graph.
* **Files.** :func:`from_nir` reads with ``nir.read(..., type_check=False)`` and checks shapes itself:
  nir 1.0.8's type check infers a padded Conv2d's output wrongly for a non-square kernel.

Shapes: Keras models here are batch-major, ``[batch, T, features]`` or ``[batch, T, H, W, C]``
(channels-last); stateless nodes run on every step (``TimeDistributed``), neurons are Keras RNNs.

Exported layers: ``Dense`` and ``CrossbarDense`` (→ ``Affine``, or ``Linear`` without bias),
``Conv2D`` and ``CrossbarConv2D`` (plain or in ``TimeDistributed``; → ``Conv2d``), ``LIF`` /
``RNN(LIFCell)`` (→ ``LIF``), ``RNN`` of :class:`IFCell` / :class:`LICell` / :class:`CubaLIFCell`
(→ ``IF`` / ``LI`` / ``CubaLIF``), neurons on a feature map (``Reshape`` to a vector, the neuron layer,
``Reshape`` back: → a neuron node of shape ``(C, H, W)``), ``TimeDistributed(Flatten)``,
``Reshape((-1, n))`` of a feature map and ``Permute((1, 4, 2, 3))`` + ``Reshape`` (→ ``Flatten``),
``AveragePooling2D`` / :class:`SumPool2D` (→ ``AvgPool2d`` / ``SumPool2d``), ``ZeroPadding2D`` (into the
next node), :class:`ScaleShift` (→ ``Scale``, or into a neuron), ``OnOff`` (into the linear node),
``Activation("linear")``, ``Dropout`` and ``InputLayer`` (no node), ``GlobalAveragePooling1D`` over
time (see Readout). So every model :func:`from_nir` builds exports again (tested: same nodes, same
weights, identical spikes).

Imported nodes: ``Input``, ``Output``, ``Affine``, ``Linear``, ``Scale``, ``Conv2d``, ``Flatten``,
``SumPool2d``, ``AvgPool2d``, ``LI``, ``LIF``, ``IF``, ``CubaLIF``.
"""

from __future__ import annotations

import math
import os
from typing import Any

import keras
import nir
import numpy as np

from snnlib import _checks
from snnlib._quiet import tf
from snnlib.crossbar import CrossbarConv2D, CrossbarDense
from snnlib.networks import OnOff
from snnlib.neurons import LIF, LIFCell

__all__ = ["to_nir", "from_nir", "IFCell", "LICell", "CubaLIFCell", "ScaleShift", "SumPool2D",
           "READOUT_KEY", "SUPPORTED_NODES"]

#: The graph-metadata key :func:`to_nir` writes for a time-mean readout it left out of the graph.
READOUT_KEY = "snnlib_readout"

#: Most values one step of a network may hold on import (the input, and after every node): 1e7 neurons
#: or map values keep each per-neuron parameter array at 80 MB.
MAX_UNITS = 10_000_000

#: Graph-metadata keys :func:`to_nir` writes itself (a user's ``metadata`` may not replace them).
RESERVED_METADATA = ("exporter", "dt_ms", "tau_unit", "layout", READOUT_KEY, "readout_layer")

#: Node types :func:`from_nir` builds.
SUPPORTED_NODES = ("Input", "Output", "Affine", "Linear", "Scale", "Conv2d", "Flatten", "SumPool2d",
                   "AvgPool2d", "LI", "LIF", "IF", "CubaLIF")


# ----------------------------------------------------------------------------- small Keras pieces
def _gain(tau_ms: np.ndarray, dt: float, integration: str = "exact") -> np.ndarray:
    """The step's gain in float64, as :func:`snnlib.neurons.decay_and_gain`: ``-expm1(-dt/τ)`` (exact,
    zero-order hold) or ``dt/τ`` (Euler; refused where ``dt ≥ τ``)."""
    tau = np.asarray(tau_ms, np.float64)
    if integration == "euler":
        if np.any(dt >= tau):
            raise ValueError(f"Euler integration needs dt < tau: dt = {dt:g} ms, smallest tau {tau.min():g} ms")
        return dt / tau
    return -np.expm1(-dt / tau)


def _integration(value: Any) -> str:
    return _checks.one_of("integration", value, ("exact", "euler"))


def _per_unit(field: str, values: Any, units: int, dtype: Any = np.float64, *, positive: bool = False,
              unit: str = "") -> list:
    """One finite number per neuron (or one for all) as a list of ``units``, or raise naming ``field``."""
    a = _checks.finite_array(field, values)
    if a.ndim > 1 or a.size not in (1, units):
        raise ValueError(f"{field} must be one number or {units} (one per neuron), got shape {a.shape}")
    if positive and np.any(a <= 0):
        raise ValueError(f"{field} must be > 0{f' (in {unit})' if unit else ''} for every neuron, "
                         f"but its minimum is {a.min():.4g}")
    return np.broadcast_to(a.astype(dtype), (units,)).tolist()


def _const(values: Any) -> tf.Tensor:
    return tf.constant(np.asarray(values, np.float32))


@keras.saving.register_keras_serializable(package="snnlib.nir")
class ScaleShift(keras.layers.Layer):
    """Elementwise ``y = x·scale + shift`` (NIR's Scale, and a neuron's ``r`` and ``v_leak``) on the last
    axes; ``scale`` and ``shift`` broadcast against the per-step shape. ``neuron_input=True``: it holds
    the ``r`` and ``v_leak`` of the neuron layer after it (as :func:`from_nir` builds it) and exports
    folded into that neuron's node; otherwise it exports as a ``Scale`` node (``shift`` must be 0)."""

    def __init__(self, scale: Any = 1.0, shift: Any = 0.0, neuron_input: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.scale = _checks.finite_array("scale", scale).astype(np.float32).tolist()
        self.shift = _checks.finite_array("shift", shift).astype(np.float32).tolist()
        self.neuron_input = bool(neuron_input)

    def call(self, x):
        return x * tf.cast(_const(self.scale), x.dtype) + tf.cast(_const(self.shift), x.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "shift": self.shift, "neuron_input": self.neuron_input}


@keras.saving.register_keras_serializable(package="snnlib.nir")
class SumPool2D(keras.layers.Layer):
    """Sum pooling over ``pool_size`` windows (channels-last ``[batch, H, W, C]``, no padding): a depthwise
    convolution with a kernel of ones, so spike counts stay exact integers."""

    def __init__(self, pool_size: Any, strides: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.pool_size, self.strides = (_int_pair(name, v) for name, v in (("pool_size", pool_size),
                                                                           ("strides", strides)))

    def call(self, x):
        ones = tf.ones((*self.pool_size, x.shape[-1], 1), x.dtype)
        return tf.nn.depthwise_conv2d(x, ones, strides=(1, *self.strides, 1), padding="VALID")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        size = lambda n, k, s: None if n is None else (n - k) // s + 1  # noqa: E731
        return (b, size(h, self.pool_size[0], self.strides[0]), size(w, self.pool_size[1], self.strides[1]), c)

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides}


def _int_pair(name: str, value: Any) -> tuple[int, int]:
    try:
        pair = tuple(_checks.positive_int(name, v) for v in value)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ValueError(f"{name} must be two integers >= 1 (rows, columns), got {value!r}")
    return pair


class _FixedCell(keras.layers.Layer):
    """A Keras RNN cell of ``units`` neurons with fixed per-neuron parameters (lists, saved in the config)."""

    n_states = 1

    def __init__(self, units: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units, maximum=MAX_UNITS)
        self.state_size = [self.units] * self.n_states
        self.output_size = self.units

    def _p(self, values: Any) -> tf.Tensor:
        return tf.cast(_const(values), self.compute_dtype)

    def get_initial_state(self, batch_size=None):
        return [keras.ops.zeros((batch_size, self.units), dtype=self.compute_dtype)] * self.n_states


@keras.saving.register_keras_serializable(package="snnlib.nir")
class IFCell(_FixedCell):
    """Integrate-and-fire cell: ``v ← v + r·I`` (no dt, no leak); spike ``s = [v ≥ θ]``; then ``v ← v_reset``
    where it spiked. Output the spikes. ``r``, ``threshold``, ``v_reset``: per neuron (or scalars)."""

    def __init__(self, units: int, r: Any = 1.0, threshold: Any = 1.0, v_reset: Any = 0.0, **kwargs: Any):
        super().__init__(units, **kwargs)
        self.r, self.threshold, self.v_reset = (_per_unit(name, a, self.units, np.float32) for name, a in
                                                (("r", r), ("threshold", threshold), ("v_reset", v_reset)))

    def call(self, inputs, states):
        v = states[0] + self._p(self.r) * inputs
        fired = v >= self._p(self.threshold)
        v = tf.where(fired, tf.broadcast_to(self._p(self.v_reset), tf.shape(v)), v)
        return tf.cast(fired, v.dtype), [v]

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "r": self.r, "threshold": self.threshold,
                "v_reset": self.v_reset}


@keras.saving.register_keras_serializable(package="snnlib.nir")
class LICell(_FixedCell):
    """Leaky integrator cell (no spikes): ``v ← v + g(r·I + v_leak − v)``, ``g = −expm1(−dt/τ)`` (τ, dt in
    ms; the exact step of snnlib's LIF). Output ``v``."""

    def __init__(self, units: int, tau: Any = 20.0, r: Any = 1.0, v_leak: Any = 0.0, dt: float = 1.0,
                 integration: str = "exact", **kwargs: Any):
        super().__init__(units, **kwargs)
        self.tau = _per_unit("tau", tau, self.units, positive=True, unit="ms")
        self.r, self.v_leak = _per_unit("r", r, self.units), _per_unit("v_leak", v_leak, self.units)
        self.dt = _checks.positive("dt", dt, unit="ms")
        self.integration = _integration(integration)
        _gain(self.tau, self.dt, self.integration)  # refuses Euler with dt >= tau

    def call(self, inputs, states):
        v = states[0]
        v = v + self._p(_gain(self.tau, self.dt, self.integration)) * (self._p(self.r) * inputs
                                                                        + self._p(self.v_leak) - v)
        return v, [v]

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "tau": self.tau, "r": self.r,
                "v_leak": self.v_leak, "dt": self.dt, "integration": self.integration}


@keras.saving.register_keras_serializable(package="snnlib.nir")
class CubaLIFCell(_FixedCell):
    """Current-based LIF cell, two states: the synaptic current ``i ← i + g_syn(w_in·x − i)``, then the
    membrane ``v ← v + g_mem(r·i + v_leak − v)`` with the new ``i``; spike ``[v ≥ θ]``, then
    ``v ← v_reset``. ``g = −expm1(−dt/τ)`` (τ, dt in ms). Output the spikes; state ``[v, i]``."""

    n_states = 2

    def __init__(self, units: int, tau_syn: Any = 5.0, tau_mem: Any = 20.0, r: Any = 1.0, v_leak: Any = 0.0,
                 threshold: Any = 1.0, v_reset: Any = 0.0, w_in: Any = 1.0, dt: float = 1.0,
                 integration: str = "exact", **kwargs: Any):
        super().__init__(units, **kwargs)
        self.tau_syn, self.tau_mem = (_per_unit(name, a, self.units, positive=True, unit="ms")
                                      for name, a in (("tau_syn", tau_syn), ("tau_mem", tau_mem)))
        self.r, self.v_leak, self.threshold, self.v_reset, self.w_in = (
            _per_unit(name, a, self.units) for name, a in (("r", r), ("v_leak", v_leak), ("threshold", threshold),
                                                           ("v_reset", v_reset), ("w_in", w_in)))
        self.dt = _checks.positive("dt", dt, unit="ms")
        self.integration = _integration(integration)
        _gain(self.tau_syn + self.tau_mem, self.dt, self.integration)

    def call(self, inputs, states):
        v, i = states[0], states[1]
        i = i + self._p(_gain(self.tau_syn, self.dt, self.integration)) * (self._p(self.w_in) * inputs - i)
        v = v + self._p(_gain(self.tau_mem, self.dt, self.integration)) * (self._p(self.r) * i
                                                                            + self._p(self.v_leak) - v)
        fired = v >= self._p(self.threshold)
        v = tf.where(fired, tf.broadcast_to(self._p(self.v_reset), tf.shape(v)), v)
        return tf.cast(fired, v.dtype), [v, i]

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "tau_syn": self.tau_syn, "tau_mem": self.tau_mem,
                "r": self.r, "v_leak": self.v_leak, "threshold": self.threshold, "v_reset": self.v_reset,
                "w_in": self.w_in, "dt": self.dt, "integration": self.integration}


# ----------------------------------------------------------------------------- export
def _np(x: Any) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


def _meta_value(v: Any) -> Any:
    """A metadata value HDF5 can store: str, int, float or bool (None → "none")."""
    if v is None:
        return "none"
    if isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def _crossbar_metadata(layer: Any) -> dict:
    o, r = layer.options, layer.reading
    return {"snnlib_layer": type(layer).__name__, "device": o.device.name, "mapping": o.mapping,
            "levels": _meta_value(o.levels), "programming": o.programming, "d2d_sigma": _meta_value(o.d2d_sigma),
            "stuck_on_rate": o.stuck_on_rate, "stuck_off_rate": o.stuck_off_rate, "drift_time_s": o.drift_time,
            "chip_seed": int(layer.seed), "on_off": bool(layer.on_off), "read_noise": r.read_noise,
            "dac_bits": _meta_value(r.dac_bits), "adc_bits": _meta_value(r.adc_bits), "v_read": r.v_read, "w_max": _meta_value(layer.w_max),
            "weights": "effective (G+ - G-)/k, read-time effects not included"}


def _effective_matrix(layer: Any) -> np.ndarray:
    """The chip's effective weight matrix ``(G⁺ − G⁻)/k`` [rows, outputs] of a crossbar layer: the very
    float32 tensor the layer's ideal read multiplies by (:meth:`~snnlib.crossbar.CrossbarDense.effective_weights`)."""
    return _np(layer.effective_weights())


def _check_linear(layer: Any, where: str) -> None:
    act = getattr(layer, "activation", None)
    if act is not None and act is not keras.activations.linear:
        raise ValueError(f"to_nir: layer {where!r} has activation {getattr(act, '__name__', act)!r}; NIR's Affine and "
                         "Conv2d are linear (put the non-linearity in a neuron layer)")


def _dense_node(layer: Any, name: str, perm: np.ndarray | None) -> tuple[Any, int]:
    _check_linear(layer, name)
    if isinstance(layer, CrossbarDense):
        w = _effective_matrix(layer)
        meta = _crossbar_metadata(layer)
    else:
        w, meta = _np(layer.kernel).astype(np.float64), {"snnlib_layer": "Dense"}
    weight = np.ascontiguousarray(w.T).astype(np.float32)  # Keras (in, out) → NIR (out, in)
    if perm is not None:  # inputs flattened in NIR's (C, H, W) order
        weight = weight[:, perm]
    bias = _layer_bias(layer)
    if bias is None:
        return nir.Linear(weight=weight, metadata=meta), weight.shape[0]
    return nir.Affine(weight=weight, bias=bias, metadata=meta), weight.shape[0]


def _layer_bias(layer: Any) -> np.ndarray | None:
    """The bias a layer adds (float32), ``[b, −b]`` for a crossbar layer with ``on_off``; None without one."""
    bias = getattr(layer, "bias", None)
    if bias is None:
        return None
    b = _np(bias).astype(np.float32)
    return np.concatenate([b, -b]) if getattr(layer, "on_off", False) else b


def _conv_node(layer: Any, name: str, hw: tuple[int, int], pad: tuple[int, int] = (0, 0)) -> nir.Conv2d:
    _check_linear(layer, name)
    if isinstance(layer, CrossbarConv2D):
        if layer.padding == "reflect":
            raise ValueError(f"to_nir: layer {name!r} pads by reflection; NIR's Conv2d pads with zeros only")
        k = layer.kernel_size
        matrix = _effective_matrix(layer)  # [k·k·C_in, filters] (2·filters with on_off)
        kernel = matrix.reshape(k, k, -1, matrix.shape[1])
        padding, stride, dilation, groups = layer.padding, (1, 1), (1, 1), 1
        meta = _crossbar_metadata(layer)
    else:
        if layer.data_format != "channels_last":
            raise ValueError(f"to_nir: layer {name!r} must be channels_last")
        kernel = _np(layer.kernel).astype(np.float64)
        padding, stride, dilation, groups = layer.padding, tuple(layer.strides), tuple(layer.dilation_rate), layer.groups
        if padding == "same" and stride != (1, 1):
            raise ValueError(f"to_nir: layer {name!r}: 'same' padding with strides {stride} pads differently "
                             "in Keras and PyTorch; use strides 1 or 'valid'")
        meta = {"snnlib_layer": "Conv2D"}
    if pad != (0, 0):  # a ZeroPadding2D before it: NIR's Conv2d pads its own input
        if padding != "valid":
            raise ValueError(f"to_nir: layer {name!r} pads twice (a ZeroPadding2D and padding={padding!r})")
        padding, hw = tuple(int(p) for p in pad), (hw[0] - 2 * pad[0], hw[1] - 2 * pad[1])
    weight = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)).astype(np.float32)  # (kH,kW,Cin,Cout) → (Cout,Cin,kH,kW)
    bias = _layer_bias(layer)
    bias = np.zeros(weight.shape[0], np.float32) if bias is None else bias
    return nir.Conv2d(input_shape=tuple(int(n) for n in hw), weight=weight, stride=stride, padding=padding,
                      dilation=dilation, groups=groups, bias=bias, metadata=meta)


def _per_neuron(values: Any, n: int, perm: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """Per-neuron parameters in Keras's flat order (n,) → NIR's shape (``perm``: flat HWC → flat CHW)."""
    a = np.broadcast_to(np.asarray(values, np.float64), (n,))
    return (a[perm] if perm is not None else a).reshape(shape).copy()


def _lif_node(cell: LIFCell, name: str, dt: float, shape: tuple[int, ...], perm: np.ndarray | None,
              pre: tuple[Any, Any] | None) -> nir.LIF:
    p = cell.params
    if p.reset != "zero":
        raise ValueError(f"to_nir: layer {name!r} has reset={p.reset!r}; NIR's LIF resets to v_reset, so only "
                         "reset='zero' exports (v_reset = 0)")
    if p.refractory:
        raise ValueError(f"to_nir: layer {name!r} has refractory={p.refractory}; NIR's LIF has no refractory period")
    if not math.isclose(p.dt, dt, rel_tol=1e-12):
        raise ValueError(f"to_nir: layer {name!r} steps with dt = {p.dt:g} ms, but to_nir was given dt = {dt:g} ms")
    n = int(np.prod(shape))
    tau = _per_neuron(_np(cell.tau), n, perm, shape) / 1000.0
    theta = _per_neuron(_np(cell.threshold), n, perm, shape)
    r, v_leak = pre if pre is not None else (np.ones(shape), np.zeros(shape))
    return nir.LIF(tau=tau, r=r, v_leak=v_leak, v_threshold=theta, v_reset=np.zeros(shape),
                   metadata={"snnlib_layer": "LIF", "integration": p.integration, "dt_ms": float(dt),
                             "reset": "zero", "tau_unit": "s", "spike": "v >= threshold"})


def _cell_node(cell: Any, name: str, dt: float, shape: tuple[int, ...], perm: np.ndarray | None,
               pre: tuple[Any, Any] | None) -> Any:
    """The NIR node of an IF, LI or CubaLIF cell of this module (``pre``: a folded ScaleShift's r, v_leak)."""
    n = int(np.prod(shape))
    p = lambda values: _per_neuron(values, n, perm, shape)  # noqa: E731
    if not isinstance(cell, IFCell) and not math.isclose(cell.dt, dt, rel_tol=1e-12):
        raise ValueError(f"to_nir: layer {name!r} steps with dt = {cell.dt:g} ms, but to_nir was given dt = {dt:g} ms")
    meta = {"snnlib_layer": type(cell).__name__, "dt_ms": float(dt), "tau_unit": "s", "spike": "v >= threshold"}
    if not isinstance(cell, IFCell):
        meta["integration"] = cell.integration
    if isinstance(cell, IFCell):
        if pre is not None and np.any(pre[1] != 0):
            raise ValueError(f"to_nir: layer {name!r}: an IF neuron has no v_leak to hold the shift before it")
        r = p(cell.r) * (pre[0] if pre is not None else 1.0)
        return nir.IF(r=r, v_threshold=p(cell.threshold), v_reset=p(cell.v_reset), metadata=meta)
    r_pre, leak_pre = pre if pre is not None else (np.ones(shape), np.zeros(shape))
    if isinstance(cell, LICell):  # τ dv/dt = (v_leak − v) + r·I with I = r'·x + s': r·r', v_leak + r·s'
        r = p(cell.r)
        return nir.LI(tau=p(cell.tau) / 1000.0, r=r * r_pre, v_leak=p(cell.v_leak) + r * leak_pre, metadata=meta)
    if pre is not None and (np.any(r_pre != 1) or np.any(leak_pre != 0)):
        raise ValueError(f"to_nir: layer {name!r}: a scale/shift before a CubaLIF neuron does not export "
                         "(NIR's CubaLIF has no input shift)")
    return nir.CubaLIF(tau_syn=p(cell.tau_syn) / 1000.0, tau_mem=p(cell.tau_mem) / 1000.0, r=p(cell.r),
                       v_leak=p(cell.v_leak), v_threshold=p(cell.threshold), v_reset=p(cell.v_reset),
                       w_in=p(cell.w_in), metadata=meta)


def _neuron_cell(layer: Any) -> Any:
    """The neuron cell of a Keras layer (snnlib LIF, RNN of LIFCell / IFCell / LICell / CubaLIFCell), or None."""
    cell = getattr(layer, "cell", None)
    if isinstance(layer, (LIF, keras.layers.RNN)) and isinstance(cell, (LIFCell, IFCell, LICell, CubaLIFCell)):
        if not getattr(layer, "return_sequences", True) or getattr(layer, "return_state", False):
            raise ValueError(f"to_nir: layer {layer.name!r} must return the whole spike train (return_sequences=True)")
        return cell
    return None


def _unwrap(layer: Any) -> tuple[Any, bool]:
    if isinstance(layer, keras.layers.TimeDistributed):
        return layer.layer, True
    return layer, False


def _step_shape(tensor: Any) -> tuple[int, ...] | None:
    return tuple(tensor.shape[2:]) if len(tensor.shape) > 2 else None


def _scale_arrays(layer: ScaleShift, shape: tuple[int, ...], nir_shape: Any) -> tuple[np.ndarray, np.ndarray]:
    """A ScaleShift's scale and shift broadcast to the per-step Keras ``shape``, in NIR's layout."""
    out = []
    for what, a in (("scale", layer.scale), ("shift", layer.shift)):
        a = np.asarray(a, np.float64)
        while a.ndim > len(shape) and a.shape[0] == 1:  # leading ones (batch, time) broadcast in Keras too
            a = a[0]
        try:
            a = np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"to_nir: layer {layer.name!r} has a {what} of shape {np.shape(a)}, not one per value of "
                             f"a step {shape} (NIR's Scale is the same on every step)") from None
        out.append(a.transpose(2, 0, 1).copy() if len(shape) == 3 else a.copy())
    return out[0], out[1]


def to_nir(model: keras.Model, *, dt: float, readout: str = "refuse",
           metadata: dict | None = None) -> nir.NIRGraph:
    """The Keras ``model`` (a chain of snnlib layers on ``[batch, T, ...]``) as a :class:`nir.NIRGraph`.

    ``dt``: the time step in ms (checked against every neuron layer's ``dt``; recorded in metadata, not
    in the nodes, which are continuous-time). ``readout``: what to do with a final mean over time
    (``GlobalAveragePooling1D``): ``"refuse"`` (default, a ``ValueError`` naming the layer) or
    ``"metadata"`` (end the graph before it, record ``readout = "mean_over_time"`` in the graph's
    metadata under :data:`READOUT_KEY`). ``metadata``: more entries for the graph's metadata (str, int,
    float or bool values). Conventions and the supported layers: the module docstring. Nodes are named
    after the Keras layers, plus ``"input"`` and ``"output"``.
    """
    dt = _checks.positive("dt", dt, unit="ms")
    readout = _checks.one_of("readout", readout, ("refuse", "metadata"))
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"metadata must be a dict of str → str/int/float/bool, got {type(metadata).__name__}")
    clash = sorted(set(map(str, metadata or {})) & set(RESERVED_METADATA))
    if clash:
        raise ValueError(f"metadata may not set {clash}: to_nir writes those keys itself; use other names")
    if not isinstance(model, keras.Model):
        raise ValueError(f"to_nir takes a keras.Model, got {type(model).__name__}")
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        raise ValueError("to_nir: the model has no defined input yet; build it with keras.Input(...)") from None
    if not inputs or not outputs or len(inputs) != 1 or len(outputs) != 1:
        raise ValueError("to_nir: the model must have one input and one output")
    in_shape = tuple(model.inputs[0].shape[2:])
    if len(in_shape) not in (1, 3) or any(n is None for n in in_shape):
        raise ValueError(f"to_nir: the input must be [batch, T, features] or [batch, T, H, W, C] with known sizes, "
                         f"got {tuple(model.inputs[0].shape)}")
    shape = in_shape  # the per-step Keras shape of the running tensor (channels-last)
    nir_shape = lambda s: (s[2], s[0], s[1]) if len(s) == 3 else tuple(s)  # noqa: E731
    chw_perm = lambda s: np.arange(int(np.prod(s))).reshape(s).transpose(2, 0, 1).ravel()  # noqa: E731
    nodes: dict[str, Any] = {"input": nir.Input(input_type=np.array(nir_shape(shape)))}
    order, perm = ["input"], None
    graph_meta: dict[str, Any] = {"exporter": "snnlib", "dt_ms": dt, "tau_unit": "s",
                                  "layout": "NIR channels-first; Affine (out, in); Conv2d (C_out, C_in, kH, kW)"}
    for key, value in (metadata or {}).items():
        graph_meta[str(key)] = _meta_value(value)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    previous = model.inputs[0]
    for layer in layers:
        if layer.input is not previous:
            raise ValueError(f"to_nir: layer {layer.name!r} does not take the previous layer's output; "
                             "only chains export")
        previous = layer.output
    if previous is not model.outputs[0]:
        raise ValueError("to_nir: the model's output is not the end of its chain of layers (a layer used twice?); "
                         "only chains export")
    pending_pad: tuple[int, int] | None = None  # a ZeroPadding2D waiting for the convolution or pooling after it
    pending_pre: tuple[str, ScaleShift] | None = None  # a ScaleShift with a shift, waiting for its neuron
    i = 0

    def add(name: str, node: Any) -> None:
        if name == "output":
            raise ValueError("to_nir: a layer is named 'output', the name of the graph's Output node; rename it")
        if name in nodes:
            raise ValueError(f"to_nir: two layers are named {name!r}")
        nodes[name] = node
        order.append(name)

    def take_pad(name: str) -> tuple[int, int]:
        nonlocal pending_pad
        pad, pending_pad = pending_pad or (0, 0), None
        return pad

    while i < len(layers):
        layer = layers[i]
        name = layer.name
        inner, wrapped = _unwrap(layer)
        out_shape = _step_shape(layer.output)
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if pending_pad is not None and not isinstance(inner, (keras.layers.Conv2D, keras.layers.AveragePooling2D,
                                                              SumPool2D)):
            raise ValueError(f"to_nir: the zero padding before layer {name!r} must be followed by a convolution "
                             "or a pooling layer")
        if pending_pre is not None and _neuron_cell(layer) is None and not (
                isinstance(inner, keras.layers.Reshape) and nxt is not None and _neuron_cell(nxt) is not None):
            raise ValueError(f"to_nir: layer {pending_pre[0]!r} holds a neuron's r and v_leak (neuron_input=True), "
                             "so a neuron layer must follow it")
        i += 1
        if isinstance(inner, (keras.layers.Dropout, keras.layers.InputLayer)) or (
                isinstance(inner, keras.layers.Activation) and inner.activation is keras.activations.linear):
            continue
        if isinstance(inner, keras.layers.GlobalAveragePooling1D) and not wrapped:
            if readout == "refuse" or i != len(layers):
                raise ValueError(f"to_nir: layer {name!r} averages over time; NIR has no node for that. "
                                 "Pass readout='metadata' to end the graph before it (recorded in the metadata)")
            graph_meta[READOUT_KEY] = "mean_over_time"
            graph_meta["readout_layer"] = name
            break
        if isinstance(inner, (keras.layers.Dense, CrossbarDense)):
            if len(shape) != 1:
                raise ValueError(f"to_nir: layer {name!r} gets a feature map {shape}; flatten it first")
            node, n = _dense_node(inner, name, perm)
            perm, shape = None, (n,)
            add(name, node)
        elif isinstance(inner, (keras.layers.Conv2D, CrossbarConv2D)):
            if len(shape) != 3:
                raise ValueError(f"to_nir: layer {name!r} needs a feature map [H, W, C], gets {shape}")
            pad = take_pad(name)
            node = _conv_node(inner, name, shape[:2], pad)
            shape = out_shape
            add(name, node)
        elif isinstance(inner, keras.layers.ZeroPadding2D):
            (top, bottom), (left, right) = inner.padding
            if len(shape) != 3 or not wrapped:
                raise ValueError(f"to_nir: layer {name!r} must pad the feature map of each step: "
                                 "TimeDistributed(ZeroPadding2D(...)) on [batch, T, H, W, C]")
            if top != bottom or left != right:
                raise ValueError(f"to_nir: layer {name!r} pads unevenly {inner.padding}; NIR pads both sides alike")
            pending_pad = (int(top), int(left))
            shape = out_shape
            continue
        elif isinstance(inner, OnOff):
            last = nodes[order[-1]] if len(order) > 1 else None
            if not isinstance(last, (nir.Conv2d, nir.Affine, nir.Linear)):
                raise ValueError(f"to_nir: layer {name!r} (ON/OFF) must follow a Dense or convolution layer, into "
                                 "whose weights it is folded")
            if isinstance(last, nir.Conv2d):
                input_shape = tuple(int(n) for n in np.asarray(last.input_shape).ravel())
                nodes[order[-1]] = nir.Conv2d(
                    input_shape=input_shape, weight=np.concatenate([last.weight, -last.weight]),
                    stride=last.stride, padding=last.padding, dilation=last.dilation, groups=last.groups,
                    bias=np.concatenate([last.bias, -last.bias]), metadata={**last.metadata, "on_off": True})
            elif isinstance(last, nir.Affine):
                nodes[order[-1]] = nir.Affine(weight=np.concatenate([last.weight, -last.weight]),
                                              bias=np.concatenate([last.bias, -last.bias]),
                                              metadata={**last.metadata, "on_off": True})
            else:
                nodes[order[-1]] = nir.Linear(weight=np.concatenate([last.weight, -last.weight]),
                                              metadata={**last.metadata, "on_off": True})
            shape = out_shape
        elif isinstance(inner, ScaleShift):
            if inner.neuron_input:
                pending_pre = (name, inner)
                continue
            if np.any(np.asarray(inner.shift) != 0):
                raise ValueError(f"to_nir: layer {name!r} shifts its input; NIR's Scale cannot (a shift exports only "
                                 "as the v_leak of the neuron after it: ScaleShift(..., neuron_input=True))")
            scale, _ = _scale_arrays(inner, shape, nir_shape)
            if perm is not None:
                raise ValueError(f"to_nir: layer {name!r} scales a flattened map; scale before flattening")
            if scale.ndim == 3 and np.all(scale == scale[:, :1, :1]):  # one factor per channel: (C,)
                scale = scale[:, 0, 0].copy()
            add(name, nir.Scale(scale=scale.astype(np.float32), metadata={"snnlib_layer": "ScaleShift"}))
        elif _neuron_cell(layer) is not None or (
                isinstance(inner, keras.layers.Reshape) and nxt is not None and _neuron_cell(nxt) is not None
                and len(shape) == 3):
            if isinstance(inner, keras.layers.Reshape):  # a map flattened for its neurons and shaped back after
                back = layers[i + 1] if i + 1 < len(layers) else None
                if back is None or not isinstance(back, keras.layers.Reshape) or _step_shape(back.output) != shape:
                    raise ValueError(f"to_nir: layer {name!r} flattens a map for the neurons of {nxt.name!r}, which "
                                     "must be followed by a Reshape back to the map")
                layer, i = nxt, i + 2
                name, cell, neuron_shape, neuron_perm = layer.name, _neuron_cell(nxt), nir_shape(shape), chw_perm(shape)
            else:
                cell, neuron_shape, neuron_perm = _neuron_cell(layer), nir_shape(shape), perm
            pre = None
            if pending_pre is not None:
                if len(shape) != 1 and (neuron_perm is None or perm is not None):
                    raise ValueError(f"to_nir: layer {pending_pre[0]!r} cannot be folded into {name!r}")
                s, b = _scale_arrays(pending_pre[1], shape, nir_shape)
                if len(shape) == 1 and perm is not None:
                    s, b = s[perm], b[perm]
                pre, pending_pre = (s, b), None
            if isinstance(cell, LIFCell):
                node = _lif_node(cell, name, dt, neuron_shape, neuron_perm, pre)
            else:
                node = _cell_node(cell, name, dt, neuron_shape, neuron_perm, pre)
            add(name, node)
        elif isinstance(inner, keras.layers.Permute) and tuple(inner.dims) == (1, 4, 2, 3) and len(shape) == 3 \
                and nxt is not None and isinstance(nxt, keras.layers.Reshape) \
                and _step_shape(nxt.output) == (int(np.prod(shape)),):
            # channels brought first, then each step flattened: NIR's own (C, H, W) order, no permutation
            i += 1
            add(nxt.name, nir.Flatten(input_type={"input": np.array(nir_shape(shape))}, start_dim=0, end_dim=-1,
                                      metadata={"snnlib_layer": "Permute+Reshape"}))
            shape = _step_shape(nxt.output)
        elif isinstance(inner, (keras.layers.Flatten, keras.layers.Reshape)):
            if not wrapped and isinstance(inner, keras.layers.Flatten):
                raise ValueError(f"to_nir: layer {name!r} flattens the time axis too; use TimeDistributed(Flatten())")
            if out_shape is None or len(out_shape) != 1 or int(np.prod(shape)) != out_shape[0]:
                raise ValueError(f"to_nir: layer {name!r} reshapes {shape} to {out_shape}; only flattening a "
                                 "feature map of each step exports")
            if len(shape) == 1:
                continue
            perm = chw_perm(shape)
            add(name, nir.Flatten(input_type={"input": np.array(nir_shape(shape))}, start_dim=0, end_dim=-1,
                                  metadata={"snnlib_layer": type(inner).__name__}))
            shape = out_shape
        elif isinstance(inner, (keras.layers.AveragePooling2D, SumPool2D)):
            if len(shape) != 3 or getattr(inner, "padding", "valid") != "valid":
                raise ValueError(f"to_nir: layer {name!r} must pool a feature map with padding='valid'")
            pad = np.array(take_pad(name))
            cls = nir.SumPool2d if isinstance(inner, SumPool2D) else nir.AvgPool2d
            add(name, cls(kernel_size=np.array(inner.pool_size), stride=np.array(inner.strides), padding=pad))
            shape = out_shape
        else:
            raise ValueError(f"to_nir: layer {name!r} ({type(inner).__name__}) has no NIR counterpart here; "
                             "exported: Dense, CrossbarDense, Conv2D, CrossbarConv2D, OnOff, ScaleShift, LIF and "
                             "the IF/LI/CubaLIF cells, Flatten, ZeroPadding2D, AveragePooling2D, SumPool2D")
    if pending_pad is not None or pending_pre is not None:
        raise ValueError("to_nir: the model ends with a padding or a shift that nothing after it takes")
    nodes["output"] = nir.Output(output_type=np.array(nir_shape(shape)))
    order.append("output")
    for name in order:
        _check_finite(nodes[name], f"to_nir: layer {name!r}")
    edges = list(zip(order[:-1], order[1:]))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=graph_meta, type_check=False)


def _check_finite(node: Any, where: str) -> None:
    """Refuse a node whose numbers (weights, τ, thresholds …) hold NaN or ±inf."""
    for key, value in vars(node).items():
        if isinstance(value, (np.ndarray, np.generic, float, int)) and not isinstance(value, (bool, np.bool_)):
            a = np.asarray(value)
            if np.issubdtype(a.dtype, np.number) and not np.all(np.isfinite(a)):
                raise ValueError(f"{where} ({type(node).__name__}) has NaN or infinite values in {key!r}")


# ----------------------------------------------------------------------------- import
def _s(v: Any) -> Any:
    return v.decode("utf8") if isinstance(v, bytes) else v


def _chain(graph: nir.NIRGraph) -> list[str]:
    """The node names from the one Input to the one Output, refusing branches."""
    inputs, outputs = list(graph.inputs), list(graph.outputs)
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(f"from_nir: the graph needs exactly one Input and one Output node, has inputs {inputs} "
                         f"and outputs {outputs}")
    succ: dict[str, list[str]] = {}
    pred: dict[str, list[str]] = {}
    try:
        edges = [tuple(e) for e in graph.edges]
    except TypeError:
        edges = None
    if edges is None or any(len(e) != 2 for e in edges):
        raise ValueError(f"from_nir: the graph's edges must be (source, target) pairs of node names, got "
                         f"{_checks._short(graph.edges)}")
    for a, b in edges:
        a, b = _s(a), _s(b)
        for end in (a, b):
            if end not in graph.nodes:
                raise ValueError(f"from_nir: edge ({a!r}, {b!r}) names node {end!r}, which is not in the graph")
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)
    order, name = [], inputs[0]
    while True:
        order.append(name)
        if name == outputs[0]:
            break
        nxt = succ.get(name, [])
        if len(nxt) != 1:
            raise ValueError(f"from_nir: node {name!r} has {len(nxt)} outgoing edges; only chains load")
        name = nxt[0]
        if len(pred.get(name, [])) != 1:
            raise ValueError(f"from_nir: node {name!r} has {len(pred.get(name, []))} incoming edges; only chains load")
        if name in order:
            raise ValueError(f"from_nir: node {name!r} closes a loop; only feed-forward chains load")
    if len(order) != len(graph.nodes):
        extra = sorted(set(graph.nodes) - set(order))
        raise ValueError(f"from_nir: nodes {extra} are not on the path from Input to Output")
    return order


def _keras_shape(nir_shape: tuple[int, ...]) -> tuple[int, ...]:
    return (nir_shape[1], nir_shape[2], nir_shape[0]) if len(nir_shape) == 3 else tuple(nir_shape)


def _hwc(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Per-neuron parameters of NIR shape (C, H, W) (or (n,)) as a flat array in Keras's (H, W, C) order."""
    a = np.broadcast_to(np.asarray(a, np.float64), shape)
    return (a.transpose(1, 2, 0) if a.ndim == 3 else a).ravel()


def _pair(v: Any, name: str, what: str, minimum: int = 0) -> tuple[int, int]:
    try:
        f = np.atleast_1d(np.asarray(v, np.float64)).ravel()
    except (TypeError, ValueError):
        f = np.array([np.nan])
    if f.size == 1:
        f = np.repeat(f, 2)
    if f.size != 2 or not np.all(np.isfinite(f)) or np.any(f != np.round(f)) or np.any(f < minimum) \
            or np.any(f > MAX_UNITS):
        raise ValueError(f"from_nir: node {name!r} has {what} {v!r}; expected one or two integers >= {minimum}")
    return int(f[0]), int(f[1])


def _check_units(name: str, shape: tuple[int, ...]) -> None:
    if int(np.prod(shape, dtype=np.float64)) > MAX_UNITS:
        raise ValueError(f"from_nir: node {name!r} makes a step of shape {shape}, more than {MAX_UNITS:.0e} values; "
                         "snnlib does not build networks that large")


def _out_size(n: int, k: int, s: int, p: int, d: int, name: str) -> int:
    """The output length of a valid convolution or pooling (``p`` zeros each side), or raise if none is left."""
    out = (n + 2 * p - d * (k - 1) - 1) // s + 1
    if out < 1:
        raise ValueError(f"from_nir: node {name!r} has a kernel ({k}, dilation {d}) larger than its padded input ({n} + 2·{p})")
    return out


#: The per-neuron fields of each neuron node type.
_NEURON_FIELDS = {"LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"), "IF": ("r", "v_threshold", "v_reset"),
                  "LI": ("tau", "r", "v_leak"),
                  "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")}


def _neuron_shape(node: Any, name: str, shape: tuple[int, ...], field: str) -> tuple[int, ...]:
    for f in _NEURON_FIELDS.get(type(node).__name__, (field,)):
        own = tuple(np.shape(getattr(node, f)))
        if own not in ((), shape):
            raise ValueError(f"from_nir: node {name!r} ({type(node).__name__}) has {f} of shape {own}, "
                             f"but its input has shape {shape}")
    return shape


def _wrap_neurons(x: Any, rnn: keras.layers.Layer, shape: tuple[int, ...], name: str) -> Any:
    """Run a neuron RNN on ``x`` [B, T, *keras_shape]: flattened per step when it is a feature map."""
    if len(shape) == 1:
        return rnn(x)
    ks = _keras_shape(shape)
    x = keras.layers.Reshape((-1, int(np.prod(ks))), name=f"{name}_flat")(x)
    x = rnn(x)
    return keras.layers.Reshape((-1, *ks), name=f"{name}_map")(x)


def _node_integration(node: Any, integration: str | None) -> str:
    """``integration`` if given, else the node's metadata (snnlib's own graphs), else ``"exact"``."""
    if integration is not None:
        return integration
    meta = {k: _s(v) for k, v in (getattr(node, "metadata", None) or {}).items()}
    return meta.get("integration") if meta.get("integration") in ("exact", "euler") else "exact"


def _lif_layer(node: nir.LIF, name: str, shape: tuple[int, ...], dt: float,
               integration: str | None = None) -> tuple[list, LIF]:
    """The snnlib LIF for a NIR LIF node, and the ScaleShift in front of it (or none)."""
    n = int(np.prod(shape))
    tau_ms = _hwc(node.tau, shape) * 1000.0
    theta = _hwc(node.v_threshold, shape)
    r, v_leak = _hwc(node.r, shape), _hwc(node.v_leak, shape)
    if np.any(_hwc(node.v_reset, shape) != 0):
        raise ValueError(f"from_nir: node {name!r} (LIF) resets to v_reset ≠ 0; snnlib's LIF resets to 0")
    integration = _node_integration(node, integration)
    uniform = bool(np.all(tau_ms == tau_ms[0]) and np.all(theta == theta[0]))
    try:
        layer = LIF(n, tau=float(tau_ms.min()) if not uniform else float(tau_ms[0]),
                    threshold=float(theta[0]) if uniform else float(np.abs(theta).max()),
                    dt=dt, integration=integration, per_neuron=not uniform, name=name)
    except ValueError as err:
        raise ValueError(f"from_nir: node {name!r} (LIF): {err}") from None
    if not uniform and (np.any(tau_ms <= 0) or np.any(theta <= 0)):
        raise ValueError(f"from_nir: node {name!r} (LIF) needs tau > 0 and v_threshold > 0 for every neuron")
    ks = _keras_shape(shape)  # the ScaleShift acts on the step's tensor, a map when the neurons sit on one
    pre = [] if np.all(r == 1) and np.all(v_leak == 0) else [
        ScaleShift(r.reshape(ks), v_leak.reshape(ks), neuron_input=True, name=f"{name}_r_vleak")]
    layer._snnlib_per_neuron = None if uniform else (tau_ms, theta)
    return pre, layer


def _cell(kind: str, node: Any, n: int, p: Any, dt: float, integration: str | None) -> keras.layers.Layer:
    """The IF, LI or CubaLIF cell of a node (``p(field)``: the field per neuron, flat Keras order)."""
    if kind == "IF":
        return IFCell(n, r=p("r"), threshold=p("v_threshold"), v_reset=p("v_reset"))
    if kind == "LI":
        tau = p("tau") * 1000.0
        if np.any(tau <= 0):
            raise ValueError("needs tau > 0")
        return LICell(n, tau=tau, r=p("r"), v_leak=p("v_leak"), dt=dt,
                      integration=_node_integration(node, integration))
    tau_syn, tau_mem = p("tau_syn") * 1000.0, p("tau_mem") * 1000.0
    if np.any(tau_syn <= 0) or np.any(tau_mem <= 0):
        raise ValueError("needs tau_syn > 0 and tau_mem > 0")
    return CubaLIFCell(n, tau_syn=tau_syn, tau_mem=tau_mem, r=p("r"), v_leak=p("v_leak"),
                       threshold=p("v_threshold"), v_reset=p("v_reset"), w_in=p("w_in"), dt=dt,
                       integration=_node_integration(node, integration))


def from_nir(graph_or_path: Any, *, dt: float, integration: str | None = None) -> keras.Model:
    """A Keras model (``[batch, T, ...]``, channels-last) from a :class:`nir.NIRGraph` or a path to one
    (``.nir`` / ``.h5``, read with :func:`nir.read`).

    ``dt`` is the time step in ms (NIR graphs have none; Norse's default 1e-3 s is ``dt=1.0``).
    Time constants are read as seconds (``τ_ms = 1000·τ``). ``integration``: how the neurons step the
    continuous NIR equations — ``"exact"`` (zero-order hold, snnlib's default), ``"euler"`` (``v ← v +
    (dt/τ)(r·I + v_leak − v)``, the discrete form snnTorch's ``Leaky``/``Synaptic`` export assumes:
    with its ``τ = dt/(1 − β)``, ``r = τ/dt`` it is ``v ← βv + I``), or None (default): what the node's
    metadata says (snnlib's own graphs), else exact. Which nodes load and how: the module
    docstring; anything else, a branch, a shape that does not chain, NaN or inf in a node, or a step of more
    than :data:`MAX_UNITS` values is one ``ValueError`` naming the node. Layers are named after the nodes.
    """
    dt = _checks.positive("dt", dt, unit="ms")
    if integration is not None:
        integration = _integration(integration)
    if isinstance(graph_or_path, (str, os.PathLike)):
        # (own shape checks below: nir 1.0.8's type check infers a padded Conv2d's output wrongly for a
        # non-square kernel, and would refuse a correct graph)
        try:
            graph = nir.read(graph_or_path, type_check=False)
        except (OSError, KeyError, ValueError, TypeError, AssertionError, AttributeError, IndexError,
                ArithmeticError) as err:  # missing, not HDF5, not a NIR graph (nir.read asserts on unknown
            # types; a Conv2d of stride 0 divides by zero while nir builds it)
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ValueError(f"from_nir: cannot read {os.fspath(graph_or_path)!r} as a NIR graph ({reason}); "
                             "give a file written by nir.write") from None
    elif isinstance(graph_or_path, nir.NIRGraph):
        graph = graph_or_path
    else:
        raise ValueError(f"from_nir takes a nir.NIRGraph or a path to an .nir file, got {type(graph_or_path).__name__}")
    order = _chain(graph)
    for name in order:
        kind = type(graph.nodes[name]).__name__
        if kind not in SUPPORTED_NODES:
            raise ValueError(f"from_nir: node {name!r} is a {kind}, which snnlib does not load "
                             f"(it loads {', '.join(SUPPORTED_NODES)})")
        _check_finite(graph.nodes[name], f"from_nir: node {name!r}")
    first = graph.nodes[order[0]]
    types = list((first.input_type or {}).values())
    raw = np.asarray(types[0] if types else [], np.float64).ravel()
    if len(raw) not in (1, 3) or np.any(raw < 1) or np.any(raw != np.round(raw)):
        raise ValueError(f"from_nir: node {order[0]!r} (Input) has shape {tuple(raw.tolist())}; expected (n,) or "
                         "(C, H, W) of whole numbers >= 1")
    shape = tuple(int(n) for n in raw.tolist())
    _check_units(order[0], shape)
    inputs = keras.Input((None, *_keras_shape(shape)), name=order[0])
    x = inputs
    per_neuron: list[tuple[LIF, Any]] = []
    for name in order[1:-1]:
        node = graph.nodes[name]
        kind = type(node).__name__
        td = lambda layer, n=name: keras.layers.TimeDistributed(layer, name=n)  # noqa: E731
        if kind in ("Affine", "Linear"):
            w = np.asarray(node.weight, np.float32)
            if w.ndim != 2 or shape != (w.shape[1],):
                raise ValueError(f"from_nir: node {name!r} ({kind}) has weight {w.shape} (out, in), but its input "
                                 f"has shape {shape}; it takes a vector of {w.shape[1] if w.ndim == 2 else '?'}")
            if kind == "Affine" and np.size(node.bias) != w.shape[0]:
                raise ValueError(f"from_nir: node {name!r} (Affine) has {w.shape[0]} outputs but a bias of shape "
                                 f"{np.shape(node.bias)}")
            dense = keras.layers.Dense(w.shape[0], use_bias=kind == "Affine", name=name)
            x = dense(x)
            dense.set_weights([w.T] + ([np.asarray(node.bias, np.float32).reshape(-1)] if kind == "Affine" else []))
            shape = (w.shape[0],)
        elif kind == "Scale":
            s = np.asarray(node.scale, np.float64)
            if s.shape not in ((), shape, (shape[0],)):
                raise ValueError(f"from_nir: node {name!r} (Scale) has shape {s.shape}, its input {shape}")
            if s.ndim == 3:
                s = s.transpose(1, 2, 0)
            elif s.ndim == 1 and len(shape) == 3:  # per channel
                s = s.reshape(1, 1, -1)
            x = ScaleShift(s, 0.0, name=name)(x)
        elif kind == "Conv2d":
            w = np.asarray(node.weight, np.float32)
            if w.ndim != 4 or len(shape) != 3 or shape[0] != w.shape[1] * int(node.groups):
                raise ValueError(f"from_nir: node {name!r} (Conv2d) has weight {w.shape} (C_out, C_in, kH, kW), "
                                 f"but its input has shape {shape} (C, H, W)")
            if int(node.groups) < 1 or w.shape[0] % int(node.groups):
                raise ValueError(f"from_nir: node {name!r} (Conv2d) has groups = {node.groups!r}; it must be >= 1 and "
                                 f"divide its {w.shape[0]} output channels")
            if np.size(node.bias) != w.shape[0]:
                raise ValueError(f"from_nir: node {name!r} (Conv2d) has {w.shape[0]} output channels but a bias of "
                                 f"shape {np.shape(node.bias)}")
            padding = _s(node.padding)
            stride = _pair(node.stride, name, "stride", minimum=1)
            dilation = _pair(node.dilation, name, "dilation", minimum=1)
            if isinstance(padding, str):
                if padding not in ("same", "valid"):
                    raise ValueError(f"from_nir: node {name!r} (Conv2d) has padding {padding!r}; "
                                     "expected 'same', 'valid' or integers")
                pad, (ph, pw) = padding, (0, 0)
            else:
                (ph, pw), pad = _pair(padding, name, "padding"), "valid"
            if pad == "same" and stride != (1, 1):
                raise ValueError(f"from_nir: node {name!r} (Conv2d) has padding 'same' with stride {stride}")
            if pad == "valid":
                out_hw = [_out_size(n, k, s, p, d, name)
                          for n, k, s, p, d in zip(shape[1:], w.shape[2:], stride, (ph, pw), dilation)]
                _check_units(name, (shape[0], shape[1] + 2 * ph, shape[2] + 2 * pw))
                _check_units(name, (w.shape[0], *out_hw))
            else:
                _check_units(name, (w.shape[0], *shape[1:]))
            if ph or pw:
                x = td(keras.layers.ZeroPadding2D(((ph, ph), (pw, pw))), n=f"{name}_pad")(x)
            conv = keras.layers.Conv2D(w.shape[0], w.shape[2:], strides=stride, padding=pad, dilation_rate=dilation,
                                       groups=int(node.groups), name=f"{name}_conv")
            x = td(conv)(x)
            conv.set_weights([w.transpose(2, 3, 1, 0), np.asarray(node.bias, np.float32).reshape(-1)])
            h, wd, c = x.shape[2:]
            shape = (int(c), int(h), int(wd))
        elif kind == "Flatten":
            if len(shape) == 1:
                continue
            start = int(node.start_dim)
            if start not in (0, 1) or int(node.end_dim) not in (-1, len(shape) - 1, len(shape)):
                raise ValueError(f"from_nir: node {name!r} (Flatten) flattens dims {start}..{int(node.end_dim)} of "
                                 f"{shape}; only flattening the whole (C, H, W) map loads")
            # NIR flattens (C, H, W): bring the channels first, then flatten each step
            x = keras.layers.Permute((1, 4, 2, 3), name=f"{name}_chw")(x)
            shape = (int(np.prod(shape)),)
            x = keras.layers.Reshape((-1, shape[0]), name=name)(x)
        elif kind in ("SumPool2d", "AvgPool2d"):
            if len(shape) != 3:
                raise ValueError(f"from_nir: node {name!r} ({kind}) needs a (C, H, W) map, gets {shape}")
            k = _pair(node.kernel_size, name, "kernel_size", minimum=1)
            s = _pair(node.stride, name, "stride", minimum=1)
            ph, pw = _pair(node.padding, name, "padding")
            for n, kk, ss, p in zip(shape[1:], k, s, (ph, pw)):
                _out_size(n, kk, ss, p, 1, name)
            _check_units(name, (shape[0], shape[1] + 2 * ph, shape[2] + 2 * pw))
            if ph or pw:
                x = td(keras.layers.ZeroPadding2D(((ph, ph), (pw, pw))), n=f"{name}_pad")(x)
            pool = (SumPool2D(k, s, name=f"{name}_pool") if kind == "SumPool2d"
                    else keras.layers.AveragePooling2D(k, s, padding="valid", name=f"{name}_pool"))
            x = td(pool)(x)
            h, wd, c = x.shape[2:]
            shape = (int(c), int(h), int(wd))
        elif kind == "LIF":
            _neuron_shape(node, name, shape, "tau")
            pre, lif = _lif_layer(node, name, shape, dt, integration)
            for layer in pre:
                x = layer(x)
            x = _wrap_neurons(x, lif, shape, name)
            if lif._snnlib_per_neuron is not None:
                per_neuron.append((lif, lif._snnlib_per_neuron))
        elif kind in ("IF", "LI", "CubaLIF"):
            field = {"IF": "r", "LI": "tau", "CubaLIF": "tau_mem"}[kind]
            _neuron_shape(node, name, shape, field)
            n = int(np.prod(shape))
            p = lambda f, nd=node, sh=shape: _hwc(getattr(nd, f), sh)  # noqa: E731
            try:
                cell = _cell(kind, node, n, p, dt, integration)
            except ValueError as err:
                raise ValueError(f"from_nir: node {name!r} ({kind}): {err}") from None
            x = _wrap_neurons(x, keras.layers.RNN(cell, return_sequences=True, name=name), shape, name)
        else:  # pragma: no cover  (SUPPORTED_NODES is checked above)
            raise ValueError(f"from_nir: node {name!r} is a {kind}, which snnlib does not load")
    out = graph.nodes[order[-1]]
    out_shape = out.output_type.get("output") if out.output_type else None
    # (only vectors are checked: nir 1.0.8 infers a Conv2d's output map with kH for both axes, so the
    # Output shape of a graph whose map reaches the output may be wrong for a non-square kernel)
    if (out_shape is not None and len(shape) == 1 and np.size(out_shape)
            and tuple(int(n) for n in np.asarray(out_shape).ravel()) != shape):
        raise ValueError(f"from_nir: node {order[-1]!r} (Output) has shape {tuple(np.asarray(out_shape).ravel())}, "
                         f"but the graph delivers {shape}")
    meta = {k: _s(v) for k, v in (graph.metadata or {}).items()}
    if meta.get(READOUT_KEY) == "mean_over_time":
        if len(shape) != 1:
            raise ValueError(f"from_nir: the graph's metadata asks for a mean over time ({READOUT_KEY!r}), but it "
                             f"delivers a map {shape}; only a vector output is averaged")
        readout_name = meta.get("readout_layer")
        if not isinstance(readout_name, str) or "/" in readout_name or readout_name in graph.nodes:
            readout_name = "mean_over_time"  # (a name Keras refuses, or one a node already has)
            while readout_name in graph.nodes:
                readout_name += "_"
        x = keras.layers.GlobalAveragePooling1D(name=readout_name)(x)
    model = keras.Model(inputs, x, name="from_nir")
    for lif, (tau_ms, theta) in per_neuron:
        lif.cell.tau.assign(tau_ms.astype(np.float32))
        lif.cell.threshold.assign(theta.astype(np.float32))
    return model
