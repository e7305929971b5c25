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
