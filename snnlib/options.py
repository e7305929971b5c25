"""The named choices of the course's pipeline, in one place and free of TensorFlow.

The command line builds its ``--help`` from these before TensorFlow is imported, and
:mod:`snnlib.neurons` and :mod:`snnlib.edges` validate against the same tuples.
"""

from __future__ import annotations

#: LIF reset rules (:mod:`snnlib.neurons`): set v to 0, or subtract θ.
RESETS = ("zero", "subtract")
#: Integration of the membrane over one step (:mod:`snnlib.neurons`).
INTEGRATIONS = ("exact", "euler")
#: Surrogate gradients of the spike (:mod:`snnlib.neurons`).
SURROGATES = ("fast_sigmoid", "arctan")
#: Edge kernels of the pipeline (:func:`snnlib.edges.kernel_bank`); "trained" is learned, see
#: ``tools/train_edge_kernels.py`` (shipped as ``snnlib/kernels/trained_edges.npz``).
KERNELS = ("sobel", "dog", "laplacian", "trained", "stdp")
#: Spike codes of the pipeline: Bernoulli rate, sigma-delta ("deterministic") rate, latency.
ENCODINGS = ("rate", "deterministic", "latency")
#: Most time steps the edge pipeline runs.
MAX_STEPS = 256

__all__ = ["RESETS", "INTEGRATIONS", "SURROGATES", "KERNELS", "ENCODINGS", "MAX_STEPS"]
