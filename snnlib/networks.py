"""The course's spiking networks as plain Keras models of snnlib layers (to save, train further or export).

:func:`edge_network` is the edge pipeline of :class:`~snnlib.edges.EdgeExtractor` — the crossbar
convolution of the encoded image and its ON/OFF LIF neurons — as one ``keras.Model``, the form
:func:`snnlib.nir.to_nir` exports. (The digits classifier of notebook 06 is
:func:`snnlib.learning.build_digits_model`.)

::

    spikes [batch, T, H + 2r, W + 2r, 1]  (the encoded image, mirrored by r = k // 2 px: edge_network_input)
      ─► CrossbarConv2D(C, k, "valid",     the chip: I = (I⁺ − I⁻)/(v_read·k) per kernel channel, and
                        on_off=True)       [I, −I]: the ON neuron of each channel, then the OFF neuron
      ─► ScaleShift(gain)                  currents in units of the threshold (the pipeline's gain)
      ─► LIF(H·W·2C)                       spikes [batch, T, H, W, 2C]

The pipeline mirrors the border (TensorFlow ``REFLECT``); NIR convolutions pad with zeros only, so the
network takes the image already mirrored and convolves ``"valid"``. The combination of the counts into
an edge map (ON + OFF per channel, then the L2 norm over channels) is digital, after the spiking layer:
it is not part of the network (:func:`edge_map_from_spikes` does it).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from snnlib._quiet import tf
from snnlib.crossbar import CrossbarConv2D
from snnlib.neurons import LIF, LIFParams

__all__ = ["OnOff", "edge_network", "edge_network_input", "edge_map_from_spikes"]


@keras.saving.register_keras_serializable(package="snnlib")
class OnOff(keras.layers.Layer):
    """``[x, −x]`` on the last axis: one current drives an ON neuron (+I) and an OFF neuron (−I), as in the
    retina's ON and OFF cells. Exported to NIR folded into the linear node before it (its weights and bias
    concatenated with their negatives). (A crossbar layer does this itself with ``on_off=True``, in one
    read: :func:`edge_network` uses that, so that the exported convolution is the very one it runs.)"""

    def call(self, x):
        return tf.concat([x, -x], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[:-1]), None if input_shape[-1] is None else 2 * input_shape[-1])


def _extractor(extractor: Any) -> None:
    from snnlib.edges import EdgeExtractor

    if not isinstance(extractor, EdgeExtractor):
        raise ValueError(f"extractor must be a snnlib.edges.EdgeExtractor, got {type(extractor).__name__}")


def edge_network(extractor: Any, *, tau: float = 5.0, threshold: float = 0.5, dt: float = 1.0) -> keras.Model:
    """The network of ``extractor`` (an :class:`~snnlib.edges.EdgeExtractor`) as a ``keras.Model``.

    Same chip (device, mapping, levels, programming, d2d σ, stuck devices, drift and ``chip_seed``:
    the crossbar layer programs the very conductances of ``extractor.crossbar``), same gain, LIF
    neurons with ``tau`` (ms), ``threshold`` and ``dt`` (ms), zero reset. Read noise and the ADC are
    not carried over (they make every read different; an exported graph holds programmed weights):
    an extractor built with either is refused. Input: :func:`edge_network_input`; output: spikes
    ``[batch, T, H, W, 2C]`` (ON of each kernel channel, then OFF).
    """
    _extractor(extractor)
    xb = extractor.crossbar
    if xb.read_noise or xb.adc_bits is not None:
        raise ValueError("edge_network models the programmed chip only: build the EdgeExtractor without "
                         "read_noise and adc_bits")
    params = LIFParams.make(tau=tau, threshold=threshold, dt=dt)
    bank = extractor.kernel_weights  # [k, k, C]
    k, _, c = bank.shape
    r = k // 2
    h, w = extractor.image.shape
    o = xb.array.options
    conv = CrossbarConv2D(c, k, padding="valid", device=o.device, mapping=o.mapping, levels=o.levels,
                          programming=o.programming, d2d_sigma=o.d2d_sigma, stuck_on_rate=o.stuck_on_rate,
                          stuck_off_rate=o.stuck_off_rate, drift_time=o.drift_time, v_read=xb.v_read,
                          use_bias=False, on_off=True, seed=extractor.chip_seed, name="crossbar")
    from snnlib.nir import ScaleShift

    inputs = keras.Input((extractor.steps, h + 2 * r, w + 2 * r, 1), name="spikes")
    x = keras.layers.TimeDistributed(conv, name="crossbar_conv")(inputs)
    x = ScaleShift(extractor.gain, 0.0, name="gain")(x)
    n = h * w * 2 * c
    x = keras.layers.Reshape((-1, n), name="lif_flat")(x)
    x = LIF(n, tau=params.tau, threshold=params.threshold, dt=params.dt, name="lif")(x)
    x = keras.layers.Reshape((-1, h, w, 2 * c), name="lif_map")(x)
    model = keras.Model(inputs, x, name="edge_network")
    conv.kernel.assign(bank[:, :, None, :].astype(np.float32))
    return model


def edge_network_input(extractor: Any) -> np.ndarray:
    """The encoded image of ``extractor`` (the same spikes its pipeline read), mirrored by ``k // 2`` px on
    each side (NumPy ``reflect`` = TensorFlow ``REFLECT``): ``[1, T, H + 2r, W + 2r, 1]`` float32 0/1."""
    from snnlib.edges import encode_image

    _extractor(extractor)
    spikes = encode_image(extractor.image, extractor.steps, extractor.encoding, max_rate=extractor.max_rate,
                          seed=extractor.seed).numpy()
    r = extractor.kernel_weights.shape[0] // 2
    padded = np.pad(spikes, ((0, 0), (r, r), (r, r)), mode="reflect")
    return padded[None, ..., None].astype(np.float32)


def edge_map_from_spikes(spikes: Any) -> np.ndarray:
    """The digital read-out after the spiking layer: spikes ``[T, H, W, 2C]`` (or ``[1, T, …]``) → counts →
    ON + OFF per channel → L2 norm over the channels → divided by its maximum: the edge map [H, W]."""
    from snnlib import _checks
    from snnlib.edges import _combine

    s = _checks.finite_array("spikes", spikes, ndim=(4, 5), lo=0.0)
    if s.ndim == 5 and s.shape[0] != 1:
        raise ValueError(f"spikes must be [T, H, W, 2C] or one batch [1, T, H, W, 2C], got shape {s.shape}; "
                         "pass one image's spikes, spikes[i]")
    s = (s[0] if s.ndim == 5 else s).astype(np.float32)
    if s.shape[-1] == 0 or s.shape[-1] % 2:
        raise ValueError(f"spikes must be [T, H, W, 2C] (ON then OFF neurons, C >= 1), got shape {s.shape}")
    return _combine(tf.constant(s.sum(axis=0))).numpy()
