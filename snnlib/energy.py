"""First-order energy of one edge map: a digital convolution, a digital SNN, and the memristor array.

:func:`energy_estimate` counts operations of an :class:`~snnlib.edges.EdgeExtractor`
and prices them with the 45 nm figures of Horowitz (ISSCC 2014), :data:`E_AC` and
:data:`E_MAC`, in joules. It is an estimate of the *arithmetic* (and, for the
array, of the read energy of the devices), not of a chip: the periphery is left out.

This module imports nothing of the pipeline at load time (it only reads the
attributes of the extractor it is given), so :mod:`snnlib.edges` can re-export it.

References
----------
M. Horowitz, "Computing's energy problem (and what we can do about it)",
IEEE ISSCC 2014, pp. 10–14 (energy per operation at 45 nm).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from snnlib import _checks

if TYPE_CHECKING:  # for the annotation only: importing edges here would be circular
    from snnlib.edges import EdgeExtractor

__all__ = ["E_AC", "E_MAC", "energy_estimate"]

#: Energy per 32-bit floating-point operation at 45 nm, M. Horowitz, "Computing's energy problem
#: (and what we can do about it)", ISSCC 2014: add 0.9 pJ, multiply 3.7 pJ → MAC 4.6 pJ, AC 0.9 pJ.
E_AC = 0.9e-12
E_MAC = 4.6e-12


def energy_estimate(extractor: EdgeExtractor, *, t_read: float = 10e-9) -> dict[str, float]:
    """A first-order energy estimate (J) of one edge map, three ways.

    * ``conv_digital``: the plain convolution, ``H·W·k²·C`` MACs at :data:`E_MAC`.
    * ``snn_digital``: the SNN on a digital neuromorphic chip: one accumulate (:data:`E_AC`)
      per synaptic event (``input spikes · k² · C``) plus one MAC per neuron per step for the
      leak (``H·W·2C·T``).
    * ``crossbar_array``: the memristor array's read energy only — each input spike drives
      ``v_read`` across all ``k²·C`` column-pair devices it touches for ``t_read`` (s):
      ``N_spikes · v_read² · t_read · ΣG`` over the physical devices — both columns of each
      differential pair, or the data columns plus the **one** shared reference column (counted
      once, not once per output). Periphery (drivers, the neurons, ADCs)
      is **excluded**; it usually dominates in real chips.

    Also returns ``snn_leak`` (the leak part of ``snn_digital``) and ``break_even_steps``: the T at which ``snn_digital`` equals ``conv_digital``
    for this image's mean spike probability. Constants are cited at :data:`E_AC`.
    """
    t_read = _checks.positive("t_read", t_read, unit="s")
    xb = extractor.crossbar
    h, w = extractor.image.shape
    k, _, c = extractor.kernel_weights.shape
    n_in = extractor.input_spikes
    conv = h * w * k * k * c * E_MAC
    leak_per_step = h * w * 2 * c * E_MAC
    snn = n_in * k * k * c * E_AC + leak_per_step * extractor.steps
    array = n_in * xb.v_read**2 * t_read * float(np.sum(xb.g_pos) + np.sum(xb.g_neg_columns))
    spikes_per_step = n_in / extractor.steps
    per_step = spikes_per_step * k * k * c * E_AC + leak_per_step
    return dict(conv_digital=conv, snn_digital=snn, snn_leak=leak_per_step * extractor.steps, crossbar_array=array,
                break_even_steps=conv / per_step, spike_probability=spikes_per_step / (h * w))
