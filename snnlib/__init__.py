"""snnlib — spiking neural networks with LIF neurons and memristor-crossbar synapses.

Shape convention: every spike train or current that snnlib produces or consumes
is **time-major**, ``[T, ...]`` (time first, then the shape of one frame).
The one exception is Keras's own ``keras.layers.RNN``, which wants
``[batch, T, features]``; ``LIFCell`` follows Keras there.

Units: time in ms (``dt``, ``tau``), conductance in S, voltage in V, current in A
(the LIF membrane itself is dimensionless: potential and input in units of the
threshold scale).

``import snnlib`` is cheap: it does not import TensorFlow. The public names
below (and the submodules, ``snnlib.edges`` …) are imported on first use
(PEP 562), so ``python -m snnlib -h`` answers at once and TensorFlow is loaded
only by the parts that need it. The two environment defaults that keep
TensorFlow's C++ start-up log quiet and its float sums reproducible are set
here, before anything can import TensorFlow; a value the user set wins.
"""

import importlib
import importlib.util
import os
import pkgutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"

#: public name -> submodule that defines it
_PUBLIC = {
    "LIFCell": "neurons", "LIF": "neurons", "LIFParams": "neurons", "LIFState": "neurons", "simulate": "neurons",
    "HPMemristor": "memristor", "VTEAMMemristor": "memristor", "PRESETS": "memristor",
    "get_device": "memristor",
    "Crossbar": "crossbar", "CrossbarDense": "crossbar", "CrossbarConv2D": "crossbar", "program": "crossbar",
    "crossbar_currents": "crossbar",
    "course_photo": "data",
    "EdgeExtractor": "edges", "EdgeResult": "edges", "extract_edges": "edges",
}
__all__ = list(_PUBLIC)


def _submodules() -> list[str]:
    """The public submodules (``edges``, ``images`` …), found on disk: reachable as ``snnlib.edges``."""
    return [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # next time a plain attribute, no __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_submodules()))
