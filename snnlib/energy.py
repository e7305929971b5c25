"""First-order energy of one edge map: a digital convolution, a digital SNN, and the memristor array.

:func:`energy_estimate` counts operations of an :class:`~snnlib.edges.EdgeExtractor`
and prices them with the 45 nm figures of Horowitz (ISSCC 2014), :data:`E_AC` and
:data:`E_MAC`, in joules. It is an estimate of the *arithmetic* (and, for the
array, of the read energy of the devices), not of a chip: the periphery is left out.

:func:`energy_breakdown` adds what the arithmetic-only count leaves out: **data movement**
(memory accesses, priced by :data:`E_MEMORY` from the same paper: a 64-bit access costs
10 pJ in an 8 KB SRAM, 100 pJ in a 1 MB SRAM and 1.3–2.6 nJ in DRAM, against 0.2 pJ for an
8-bit multiply), integer arithmetic (:data:`E_ADD`, :data:`E_MULT`) and an **event-driven**
neuron update (a neuron is touched only on a step when an input spike reaches it).
:func:`crossbar_schedule` counts the reads and the latency of a convolution on an array, and
:func:`dense_layer_energy` shows where a crossbar pays off: a weight matrix too large for
registers, whose every weight a digital chip must fetch from memory for each input vector.

This module imports nothing of the pipeline at load time (it only reads the
attributes of the extractor it is given), so :mod:`snnlib.edges` can re-export it.

References
----------
M. Horowitz, "Computing's energy problem (and what we can do about it)",
IEEE ISSCC 2014, pp. 10–14 (energy per operation at 45 nm).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from snnlib import _checks

if TYPE_CHECKING:  # for the annotation only: importing edges here would be circular
    from snnlib.edges import EdgeExtractor

__all__ = ["E_AC", "E_MAC", "E_ADD", "E_MULT", "E_MEMORY", "BITS", "REGISTER_WEIGHTS", "energy_estimate",
           "memory_level", "memory_access_energy", "energy_breakdown", "crossbar_schedule", "dense_layer_energy"]

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


# ----------------------------------------------------------------------------- data movement
#: Energy per add and per multiply (J) at 45 nm, 0.9 V (Horowitz, ISSCC 2014, Fig. 1.1.9):
#: 8-bit integer add 0.03 pJ, multiply 0.2 pJ; 32-bit integer 0.1 / 3.1 pJ; 32-bit float 0.9 / 3.7 pJ.
E_ADD = {"int8": 0.03e-12, "int32": 0.1e-12, "fp32": 0.9e-12}
E_MULT = {"int8": 0.2e-12, "int32": 3.1e-12, "fp32": 3.7e-12}
#: Bits of a number (a weight, a membrane potential) in each arithmetic.
BITS = {"int8": 8, "int32": 32, "fp32": 32}
#: Energy of one 64-bit memory access (J), same source: SRAM of 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ;
#: DRAM 1.3–2.6 nJ (the lower end is taken). Larger SRAMs are priced at the 1 MB figure (optimistic).
E_MEMORY = {"sram_8kb": 10e-12, "sram_32kb": 20e-12, "sram_1mb": 100e-12, "dram": 1.3e-9}
_LEVELS = (("sram_8kb", 8 * 1024), ("sram_32kb", 32 * 1024), ("sram_1mb", 1024**2))
#: Weights that a digital chip is assumed to keep in registers (loaded once, then free to reuse).
REGISTER_WEIGHTS = 64


def memory_level(n_bytes: float, *, on_chip_limit: float = 1024**2) -> str:
    """The smallest memory of :data:`E_MEMORY` that holds ``n_bytes``: an 8 KB, 32 KB or 1 MB SRAM, or
    DRAM when the data exceed ``on_chip_limit`` bytes (default 1 MiB; raise it to assume a larger SRAM,
    priced at the 1 MB figure)."""
    n = _checks.non_negative("n_bytes", n_bytes, unit="bytes")
    limit = _checks.positive("on_chip_limit", on_chip_limit, unit="bytes")
    if n > limit:
        return "dram"
    for name, size in _LEVELS:
        if n <= size:
            return name
    return "sram_1mb"


def memory_access_energy(bits: int, level: str) -> float:
    r"""Energy (J) of reading or writing one number of ``bits`` in memory ``level``:
    :math:`E = E_{64}(\text{level}) \cdot \text{bits} / 64` (the 64-bit figure shared by the bits)."""
    _checks.one_of("level", level, tuple(E_MEMORY))
    bits = _checks.positive_int("bits", bits, maximum=64)
    return E_MEMORY[level] * bits / 64


def _active_neighbourhoods(extractor: EdgeExtractor) -> int:
    """(pixel, step) pairs whose k×k neighbourhood holds at least one input spike: the steps on which an
    event-driven neuron must be updated (the spikes are re-encoded with the extractor's own seed)."""
    from scipy import ndimage

    from snnlib.edges import encode_image

    k = extractor.kernel_weights.shape[0]
    spikes = encode_image(extractor.image, extractor.steps, extractor.encoding, max_rate=extractor.max_rate,
                          seed=extractor.seed).numpy()
    total = 0
    for frame in spikes:
        total += int(np.count_nonzero(ndimage.maximum_filter(frame, size=k, mode="mirror")))
    return total


def energy_breakdown(extractor: EdgeExtractor, *, arithmetic: str = "int8", t_read: float = 10e-9,
                     on_chip_limit: float = 1024**2, state_memory: str | None = None) -> dict[str, dict[str, Any]]:
    r"""Energy (J) of one edge map four ways, each split into ``compute`` and ``memory`` (and ``total``).

    With an image of :math:`H \times W` px, a bank of :math:`C` kernels of :math:`k \times k`, :math:`T`
    steps, :math:`N_{in}` input spikes and :math:`N_{act}` (pixel, step) pairs whose neighbourhood holds a
    spike; :math:`E_+`, :math:`E_\times` the add and multiply of ``arithmetic`` (:data:`E_ADD`,
    :data:`E_MULT`), :math:`E_m` a memory access (:func:`memory_access_energy`, in the memory
    :func:`memory_level` picks for the data's size):

    * ``conv_digital``: :math:`HWk^2C` MACs; the image read once from DRAM (8-bit pixels) and each
      edge-map value written once to DRAM; every output reads its :math:`k^2` pixels from a line buffer (k rows:
      an 8 KB-class SRAM). The :math:`k^2C` weights stay in registers (at most :data:`REGISTER_WEIGHTS`).
    * ``snn_clocked``: one add per synaptic event (:math:`N_{in}k^2C`); every one of the :math:`2CHW`
      neurons is updated on every step — leak (a multiply and an add) and threshold test (an add) — and its
      membrane potential is read and written each time, in the memory that holds all of them.
    * ``snn_event``: the same synaptic adds, but a neuron is updated only on the :math:`N_{act}` steps an
      input spike reaches it (the leak of the silent steps is applied at once, :math:`v \leftarrow
      a^{\Delta t} v`, from a small table): :math:`2C N_{act}` updates and state accesses.
    * ``crossbar``: the array does the synaptic sums in place — its read energy
      :math:`N_{in} v_{read}^2 t_{read} \sum G` (as :func:`energy_estimate`) — and the neurons are the
      event-driven ones of ``snn_event``. ADCs and drivers are **excluded** (in real chips they dominate).

    ``state_memory`` (a key of :data:`E_MEMORY`) overrides where the membrane potentials live — e.g.
    ``"sram_32kb"`` for a chip that runs all T steps on a band of a few image rows at a time, so that
    the state of one band fits on chip. The image is read from DRAM and the edge map (one number a pixel) written to DRAM in every case. Also returned, under ``counts``: the numbers of
    operations and accesses used (``n_in``, ``active``, ``state_bytes``, ``state_memory``).

    Reference: M. Horowitz, "Computing's energy problem (and what we can do about it)", IEEE ISSCC 2014.
    """
    _checks.one_of("arithmetic", arithmetic, tuple(E_ADD))
    t_read = _checks.positive("t_read", t_read, unit="s")
    add, mult, bits = E_ADD[arithmetic], E_MULT[arithmetic], BITS[arithmetic]
    h, w = extractor.image.shape
    k, _, c = extractor.kernel_weights.shape
    steps, n_in = extractor.steps, extractor.input_spikes
    px, neurons = h * w, h * w * 2 * c
    dram_pixel = memory_access_energy(8, "dram")
    image_io = px * dram_pixel  # the photo in, once, 8 bit a pixel
    if k * k * c > REGISTER_WEIGHTS:
        raise ValueError(f"a bank of {k * k * c} weights does not fit the {REGISTER_WEIGHTS} registers this model "
                         "assumes; use dense_layer_energy for large weight matrices")
    conv_compute = px * k * k * c * (mult + add)
    conv_memory = image_io + px * memory_access_energy(bits, "dram") + px * k * k * memory_access_energy(
        8, "sram_8kb")
    state_bytes = neurons * bits / 8
    level = (memory_level(state_bytes, on_chip_limit=on_chip_limit) if state_memory is None
             else _checks.one_of("state_memory", state_memory, tuple(E_MEMORY)))
    state = 2 * memory_access_energy(bits, level)  # read and write one membrane potential
    synaptic = n_in * k * k * c * add
    update = mult + 2 * add  # leak, input, threshold test
    active = _active_neighbourhoods(extractor)
    map_out = px * memory_access_energy(bits, "dram")  # the edge map written once, one number a pixel
    clocked = dict(compute=synaptic + neurons * steps * update,
                   memory=image_io + neurons * steps * state + map_out)
    event = dict(compute=synaptic + 2 * c * active * update, memory=image_io + 2 * c * active * state + map_out)
    xb = extractor.crossbar
    array = n_in * xb.v_read**2 * t_read * float(np.sum(xb.g_pos) + np.sum(xb.g_neg_columns))
    crossbar = dict(compute=array + 2 * c * active * update, memory=event["memory"])
    out: dict[str, dict[str, Any]] = {}
    for name, part in (("conv_digital", dict(compute=conv_compute, memory=conv_memory)), ("snn_clocked", clocked),
                       ("snn_event", event), ("crossbar", crossbar)):
        out[name] = dict(part, total=part["compute"] + part["memory"])
    out["counts"] = dict(n_in=float(n_in), active=float(active), state_bytes=float(state_bytes),
                         neuron_steps=float(neurons * steps))
    out["counts"]["state_memory"] = level
    return out


def crossbar_schedule(extractor: EdgeExtractor, *, copies: int = 1, t_read: float = 10e-9) -> dict[str, float]:
    r"""How the convolution runs on arrays: reads, devices and latency of one edge map.

    One array holds the kernel bank: :math:`k^2` rows (one per neighbourhood pixel) and one column pair
    per kernel channel, so **one read gives all C channels of one output pixel at one step**. The image
    has :math:`HW` output pixels and :math:`T` steps, so a single array is read :math:`R = HWT` times, one
    after the other; with ``copies`` arrays (the kernel programmed ``copies`` times, each serving a part of
    the image) they run in parallel:

    .. math:: t = \left\lceil \frac{HWT}{\text{copies}} \right\rceil t_{read}, \qquad
              \text{devices} = \text{copies} \cdot k^2 \cdot n_{col}

    with :math:`n_{col}` the physical columns (2C for differential pairs, C + 1 with a reference column).
    Returns ``reads`` (total), ``reads_per_array``, ``latency_s``, ``devices`` and ``frame_rate_hz``
    (edge maps per second, 1/latency).
    """
    copies = _checks.positive_int("copies", copies, maximum=10**9)
    t_read = _checks.positive("t_read", t_read, unit="s")
    h, w = extractor.image.shape
    k = extractor.kernel_weights.shape[0]
    reads = h * w * extractor.steps
    per_array = -(-reads // copies)
    columns = extractor.crossbar.g_pos.shape[1] + np.shape(extractor.crossbar.g_neg_columns)[1]
    latency = per_array * t_read
    return dict(reads=float(reads), reads_per_array=float(per_array), latency_s=latency,
                devices=float(copies * k * k * columns), frame_rate_hz=1.0 / latency)


def dense_layer_energy(n_in: int, n_out: int, *, arithmetic: str = "int8", input_rate: float = 1.0,
                       g_mean: float = 5.5e-6, v_read: float = 0.2, t_read: float = 10e-9,
                       on_chip_limit: float = 1024**2) -> dict[str, Any]:
    r"""One matrix–vector product of an ``n_in`` × ``n_out`` layer, digital against a crossbar (J).

    * ``digital_compute``: :math:`n_{in} n_{out}` MACs (:data:`E_MULT` + :data:`E_ADD`);
    * ``digital_memory``: each weight fetched once from the memory that holds the matrix
      (:func:`memory_level` of :math:`n_{in} n_{out}` weights; a matrix–vector product uses every weight
      once, so there is no reuse to hide the fetch), none if it fits :data:`REGISTER_WEIGHTS`;
    * ``crossbar_array``: every active row (a fraction ``input_rate`` of the inputs) drives ``v_read``
      across the :math:`2 n_{out}` devices of its row for ``t_read``:
      :math:`E = \text{input\_rate} \cdot n_{in} \cdot 2n_{out} \cdot v_{read}^2 \bar G t_{read}`,
      with ``g_mean`` the mean device conductance (S; 5.5 µS is the middle of the hfox preset).
      Periphery (DACs, ADCs) excluded.
    """
    n_in = _checks.positive_int("n_in", n_in, maximum=10**6)
    n_out = _checks.positive_int("n_out", n_out, maximum=10**6)
    _checks.one_of("arithmetic", arithmetic, tuple(E_ADD))
    rate = _checks.in_range("input_rate", input_rate, 0.0, 1.0)
    g_mean = _checks.positive("g_mean", g_mean, unit="S")
    v_read = _checks.positive("v_read", v_read, unit="V")
    t_read = _checks.positive("t_read", t_read, unit="s")
    n_w = n_in * n_out
    bits = BITS[arithmetic]
    compute = n_w * (E_MULT[arithmetic] + E_ADD[arithmetic])
    if n_w <= REGISTER_WEIGHTS:
        fetch, level = 0.0, "registers"
    else:
        level = memory_level(n_w * bits / 8, on_chip_limit=on_chip_limit)
        fetch = n_w * memory_access_energy(bits, level)
    array = rate * n_in * 2 * n_out * v_read**2 * g_mean * t_read
    out: dict[str, Any] = dict(digital_compute=compute, digital_memory=fetch, digital_total=compute + fetch,
                               crossbar_array=array, ratio=(compute + fetch) / array if array > 0 else float("inf"),
                               weight_memory=level)
    return out
