"""snnlib — spiking neural networks with LIF neurons and memristor-crossbar synapses.

Shape convention: every spike train or current that snnlib produces or consumes
is **time-major**, ``[T, ...]`` (time first, then the shape of one frame).
The one exception is Keras's own ``keras.layers.RNN``, which wants
``[batch, T, features]``; ``LIFCell`` follows Keras there.

Units: time in ms (``dt``, ``tau``), conductance in S, voltage in V, current in A
(the LIF membrane itself is dimensionless: potential and input in units of the
threshold scale).
"""

from snnlib import _quiet  # noqa: F401  (silences TensorFlow's start-up log)

__version__ = "0.1.0"

from snnlib.crossbar import Crossbar, CrossbarDense, crossbar_currents  # noqa: E402
from snnlib.edges import EdgeExtractor, EdgeResult, extract_edges  # noqa: E402
from snnlib.memristor import PRESETS, HPMemristor, VTEAMMemristor, get_device  # noqa: E402
from snnlib.neurons import LIFCell, simulate  # noqa: E402

__all__ = [
    "LIFCell", "simulate", "HPMemristor", "VTEAMMemristor", "PRESETS", "get_device", "Crossbar",
    "CrossbarDense", "crossbar_currents", "EdgeExtractor", "EdgeResult", "extract_edges",
]
