"""snnlib.energy: the first-order energy of one edge map, counted by hand."""

import subprocess
import sys

import numpy as np
import pytest

from snnlib.edges import EdgeExtractor
from snnlib.energy import E_AC, E_MAC, energy_estimate


def test_horowitz_constants():
    # 45 nm, 32-bit float (Horowitz, ISSCC 2014): add 0.9 pJ, multiply 3.7 pJ
    assert E_AC == 0.9e-12
    assert E_MAC == pytest.approx(0.9e-12 + 3.7e-12)


def test_energy_estimate_by_hand():
    image = np.zeros((10, 12))
    image[:, 6:] = 1.0
    ex = EdgeExtractor(image, steps=5, encoding="deterministic", device="hfox")
    e = energy_estimate(ex, t_read=1e-8)
    n_in = 60 * 5  # 60 white pixels spike on every step at max_rate 1
    assert ex.input_spikes == n_in
    # 120 px, a 3×3 Sobel bank of C = 2 channels: k²·C = 18 synapses per input, 2C = 4 neurons per pixel
    assert e["conv_digital"] == pytest.approx(120 * 9 * 2 * 4.6e-12)
    assert e["snn_digital"] == pytest.approx(n_in * 18 * 0.9e-12 + 120 * 4 * 4.6e-12 * 5)
    assert e["snn_leak"] == pytest.approx(120 * 4 * 4.6e-12 * 5)
    g_sum = (ex.crossbar.g_pos + ex.crossbar.g_neg).sum()
    assert e["crossbar_array"] == pytest.approx(n_in * ex.crossbar.v_read**2 * 1e-8 * g_sum)
    assert ex.crossbar.v_read == 0.2
    assert e["spike_probability"] == pytest.approx(0.5)  # half the pixels spike on every step
    # at the break-even number of steps the digital SNN costs what the convolution costs
    per_step = n_in / 5 * 18 * 0.9e-12 + 120 * 4 * 4.6e-12
    assert per_step * e["break_even_steps"] == pytest.approx(e["conv_digital"])
    assert set(e) == {"conv_digital", "snn_digital", "snn_leak", "crossbar_array", "break_even_steps",
                      "spike_probability"}


def test_read_energy_scales_with_the_read_time_and_the_spikes():
    image = np.zeros((10, 12))
    image[:, 6:] = 1.0
    ex = EdgeExtractor(image, steps=5, encoding="deterministic", device="hfox")
    short, long = energy_estimate(ex, t_read=1e-9), energy_estimate(ex, t_read=4e-9)
    assert long["crossbar_array"] == pytest.approx(4 * short["crossbar_array"])
    assert long["conv_digital"] == short["conv_digital"]  # the digital estimates do not read an array
    dark = EdgeExtractor(image * 0.5, steps=5, encoding="deterministic", device="hfox")
    assert dark.input_spikes < ex.input_spikes
    assert energy_estimate(dark)["crossbar_array"] < energy_estimate(ex)["crossbar_array"]
    assert energy_estimate(dark)["break_even_steps"] > energy_estimate(ex)["break_even_steps"]


@pytest.mark.parametrize("mapping", ["differential", "reference"])
def test_energy_counts_each_physical_device_once(mapping):
    img = np.random.default_rng(0).random((20, 20))
    ex = EdgeExtractor(img, steps=8, device="hfox", mapping=mapping)
    xb = ex.crossbar
    k2, c = xb.g_pos.shape
    if mapping == "differential":
        devices = np.concatenate([xb.g_pos.ravel(), xb.g_neg.ravel()])
        assert devices.size == 2 * k2 * c
    else:  # k² data devices per output column plus ONE reference column of k² devices
        devices = np.concatenate([xb.g_pos.ravel(), xb.g_ref.ravel()])
        assert devices.size == k2 * (c + 1)
    want = ex.input_spikes * xb.v_read**2 * 10e-9 * devices.sum()
    assert energy_estimate(ex)["crossbar_array"] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("t_read", [0.0, -1e-9, float("nan"), "fast"])
def test_bad_read_time(t_read):
    ex = EdgeExtractor(np.zeros((8, 8)), steps=2)
    with pytest.raises(ValueError, match=r"t_read must be a .*number > 0 \(in s\)"):
        energy_estimate(ex, t_read=t_read)


def test_old_import_path_and_no_cycle():
    from snnlib import edges, energy

    assert edges.energy_estimate is energy.energy_estimate
    assert (edges.E_AC, edges.E_MAC) == (E_AC, E_MAC)
    # snnlib.energy loads on its own, without the pipeline (nor TensorFlow)
    code = "import sys, snnlib.energy; print('snnlib.edges' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False False"


def test_horowitz_memory_and_integer_figures():
    from snnlib.energy import E_ADD, E_MEMORY, E_MULT, memory_access_energy, memory_level

    # Horowitz, ISSCC 2014 (45 nm): int8 add 0.03 pJ, mult 0.2 pJ; 64-bit SRAM 8 KB 10 pJ, 1 MB 100 pJ; DRAM 1.3 nJ
    assert (E_ADD["int8"], E_MULT["int8"], E_ADD["fp32"], E_MULT["fp32"]) == (0.03e-12, 0.2e-12, E_AC, 3.7e-12)
    assert E_MEMORY == {"sram_8kb": 10e-12, "sram_32kb": 20e-12, "sram_1mb": 100e-12, "dram": 1.3e-9}
    assert memory_access_energy(8, "dram") == pytest.approx(1.3e-9 / 8)
    assert [memory_level(n) for n in (8192, 8193, 32768, 1024**2, 1024**2 + 1)] == [
        "sram_8kb", "sram_32kb", "sram_32kb", "sram_1mb", "dram"]
    assert memory_level(4 * 1024**2, on_chip_limit=8 * 1024**2) == "sram_1mb"
    with pytest.raises(ValueError, match="level"):
        memory_access_energy(8, "flash")


def test_energy_breakdown_by_hand():
    from snnlib.energy import energy_breakdown

    image = np.zeros((10, 12))
    image[:, 6:] = 1.0
    ex = EdgeExtractor(image, steps=5, encoding="deterministic", device="hfox")
    e = energy_breakdown(ex, arithmetic="int8")
    add, mult, px, n_in = 0.03e-12, 0.2e-12, 120, 300
    dram8, sram8 = 1.3e-9 / 8, 10e-12 / 8  # one 8-bit number in DRAM, in an 8 KB SRAM
    # 480 neurons of 8 bits = 480 bytes: the state fits an 8 KB SRAM; read + write each update
    assert e["counts"]["state_memory"] == "sram_8kb" and e["counts"]["state_bytes"] == 480
    # white columns 6..11 spike on every step; a 3x3 neighbourhood holds a spike from column 5 on: 7 columns
    assert e["counts"]["active"] == 10 * 7 * 5
    assert e["conv_digital"]["compute"] == pytest.approx(px * 18 * (mult + add))
    assert e["conv_digital"]["memory"] == pytest.approx(2 * px * dram8 + px * 9 * sram8)
    synaptic, update = n_in * 18 * add, mult + 2 * add
    assert e["snn_clocked"]["compute"] == pytest.approx(synaptic + 480 * 5 * update)
    assert e["snn_clocked"]["memory"] == pytest.approx(px * dram8 + 480 * 5 * 2 * sram8 + px * dram8)
    assert e["snn_event"]["compute"] == pytest.approx(synaptic + 4 * 350 * update)
    assert e["snn_event"]["memory"] == pytest.approx(px * dram8 + 4 * 350 * 2 * sram8 + px * dram8)
    array = energy_estimate(ex)["crossbar_array"]
    assert e["crossbar"]["compute"] == pytest.approx(array + 4 * 350 * update)
    for part in ("conv_digital", "snn_clocked", "snn_event", "crossbar"):
        assert e[part]["total"] == pytest.approx(e[part]["compute"] + e[part]["memory"])
    banded = energy_breakdown(ex, state_memory="dram")
    assert banded["snn_clocked"]["memory"] == pytest.approx(px * dram8 + 480 * 5 * 2 * dram8 + px * dram8)
    fp = energy_breakdown(ex, arithmetic="fp32")
    assert fp["snn_clocked"]["compute"] > 10 * e["snn_clocked"]["compute"]
    with pytest.raises(ValueError, match="arithmetic"):
        energy_breakdown(ex, arithmetic="int4")


def test_crossbar_schedule_counts_reads_and_latency():
    from snnlib.energy import crossbar_schedule

    ex = EdgeExtractor(np.random.default_rng(0).random((20, 30)), steps=8, device="hfox")
    one = crossbar_schedule(ex, t_read=10e-9)
    assert one["reads"] == 20 * 30 * 8 == one["reads_per_array"]       # one read per output pixel and step
    assert one["latency_s"] == pytest.approx(4800 * 10e-9) and one["devices"] == 9 * 4  # 9 rows, 2 column pairs
    many = crossbar_schedule(ex, copies=7)
    assert many["reads_per_array"] == -(-4800 // 7) and many["devices"] == 7 * 36
    assert many["latency_s"] < one["latency_s"] / 6.9
    assert one["frame_rate_hz"] == pytest.approx(1 / one["latency_s"])


def test_dense_layer_energy_where_crossbars_pay_off():
    from snnlib.energy import dense_layer_energy

    small = dense_layer_energy(3, 6)     # 18 weights: in registers, nothing fetched
    assert small["weight_memory"] == "registers" and small["digital_memory"] == 0.0
    big = dense_layer_energy(256, 256)   # 64 KB of int8 weights: each fetched once from a 1 MB SRAM
    assert big["weight_memory"] == "sram_1mb"
    assert big["digital_memory"] == pytest.approx(65536 * 100e-12 / 8)
    assert big["digital_compute"] == pytest.approx(65536 * 0.23e-12)
    assert big["crossbar_array"] == pytest.approx(256 * 512 * 0.2**2 * 5.5e-6 * 10e-9)
    assert big["ratio"] > 1000 > small["ratio"]
    assert dense_layer_energy(2048, 2048)["weight_memory"] == "dram"
