"""Crossbar mapping, non-idealities, IR-drop solver and the Keras layer."""

import dataclasses
import os

import keras
import numpy as np
import pytest

from snnlib._quiet import tf
from snnlib.crossbar import (
    Crossbar,
    CrossbarConv2D,
    CrossbarDense,
    crossbar_currents,
    crossbar_transfer,
    global_gain,
    map_weights,
    pair_readout,
    quantize_levels,
    read_noise_std,
    relative_error,
)
from snnlib.memristor import PRESETS, DevicePreset, get_device, pcm_drift


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# --------------------------------------------------------------------------- ideal mapping


@pytest.mark.parametrize("mapping", ["differential", "reference"])
def test_ideal_crossbar_reproduces_matmul(rng, mapping):
    W = rng.normal(size=(40, 12))
    x = rng.normal(size=(16, 40)).astype(np.float32)
    cb = Crossbar(W, mapping=mapping)
    np.testing.assert_allclose(cb.effective_weights(), W, rtol=1e-12, atol=1e-12)
    y = cb.matmul(x).numpy()
    np.testing.assert_allclose(y, x @ W.astype(np.float32), rtol=1e-5, atol=1e-5)
    # the currents path (µA arithmetic in float32) agrees in amperes too
    i = cb.currents(x)
    np.testing.assert_allclose(i / (cb.v_read * cb.k), x @ W, rtol=1e-4, atol=1e-4)
    # 1-D and 3-D inputs
    np.testing.assert_allclose(cb.matmul(x[0]).numpy(), x[0] @ W, rtol=1e-5, atol=1e-5)
    assert cb.matmul(x.reshape(4, 4, 40)).shape == (4, 4, 12)
    assert Crossbar.ideal(W, mapping=mapping).device.name == "ideal"


def test_differential_and_reference_conductances(rng):
    W = rng.normal(size=(8, 5))
    d = get_device("hfox")
    cb = Crossbar(W, device=d, levels=None)
    assert cb.k == pytest.approx((d.g_max - d.g_min) / np.abs(W).max())
    assert np.all((cb.g_pos == d.g_min) | (cb.g_neg == d.g_min))  # one side of each pair at G_min
    assert cb.g_pos.min() >= d.g_min and max(cb.g_pos.max(), cb.g_neg.max()) == pytest.approx(d.g_max)
    ref = Crossbar(W, device=d, mapping="reference", levels=None)  # None: the device's 128 levels
    step = (d.g_max - d.g_min) / 127
    g_ref = d.g_min + 63 * step  # on a level: the midpoint (63.5 steps) is not one
    np.testing.assert_allclose(ref.g_neg, g_ref)
    assert ref.k == pytest.approx(63 * step / np.abs(W).max())
    ideal = Crossbar(W, device="ideal", mapping="reference")  # continuous: the midpoint
    np.testing.assert_allclose(ideal.g_neg, 0.5 * (ideal.device.g_min + ideal.device.g_max))
    assert ref.g_pos.min() >= d.g_min * (1 - 1e-12) and ref.g_pos.max() <= d.g_max * (1 + 1e-12)


def test_zero_weights_do_not_divide_by_zero():
    cb = Crossbar(np.zeros((3, 2)))
    np.testing.assert_array_equal(cb.effective_weights(), 0.0)
    np.testing.assert_array_equal(cb.matmul(np.ones((1, 3), np.float32)).numpy(), 0.0)


# --------------------------------------------------------------------------- programming non-idealities


@pytest.mark.parametrize("levels", [2, 4, 16, 127])
@pytest.mark.parametrize("mapping", ["differential", "reference"])
def test_levels_within_half_a_step(rng, levels, mapping):
    W = rng.normal(size=(30, 20))
    d = get_device("hfox")
    if mapping == "reference" and levels == 2:
        with pytest.raises(ValueError, match="levels >= 3"):
            Crossbar(W, device=d, mapping=mapping, levels=levels)
        return
    cb = Crossbar(W, device=d, mapping=mapping, levels=levels)
    step = (d.g_max - d.g_min) / (levels - 1)
    err = np.abs(cb.g_pos - cb.target_pos)
    assert err.max() <= step / 2 * (1 + 1e-9)
    grid = (cb.g_pos - d.g_min) / step
    np.testing.assert_allclose(grid, np.round(grid), atol=1e-6)
    if mapping == "differential":
        assert np.abs(cb.g_neg - cb.target_neg).max() <= step / 2 * (1 + 1e-9)


def test_more_levels_less_error(rng):
    W = rng.normal(size=(64, 64))
    x = rng.normal(size=(128, 64)).astype(np.float32)
    errs = []
    for levels in (4, 16, 64, 256):
        y = Crossbar(W, levels=levels).matmul(x).numpy()
        errs.append(relative_error(y, x @ W))
    assert all(a > b for a, b in zip(errs, errs[1:], strict=False))
    assert errs[-1] < 0.01


def test_device_levels_are_the_default_and_none_is_continuous(rng):
    W = rng.normal(size=(4, 4))
    assert Crossbar(W, device="hfox").levels == 128
    assert Crossbar(W, device="ideal").levels is None
    assert Crossbar(W, device="hfox", levels=8).levels == 8


def test_stuck_at_fractions_match_rates():
    W = np.random.default_rng(0).uniform(-1, 1, size=(200, 200))
    d = get_device("hfox")
    on, off = 0.05, 0.02
    cb = Crossbar(W, device=d, levels=None, stuck_on_rate=on, stuck_off_rate=off, seed=3)
    g = np.stack([cb.g_pos, cb.g_neg])
    n = g.size
    ideal = np.stack([cb.target_pos, cb.target_neg])
    stuck_on = (g == d.g_max) & (ideal != d.g_max)
    stuck_off = (g == d.g_min) & (ideal != d.g_min)
    # ~half the targets already sit at G_min (the idle side of each pair): count where visible
    assert stuck_on.mean() == pytest.approx(on, abs=5 * np.sqrt(on * (1 - on) / n))
    visible = ideal != d.g_min
    frac_off = stuck_off.sum() / visible.sum()
    assert frac_off == pytest.approx(off, abs=5 * np.sqrt(off * (1 - off) / visible.sum()))
    assert cb.stuck_mask.mean() == pytest.approx(on + off, abs=5 * np.sqrt(0.07 * 0.93 / n))


def test_programming_noise_is_seeded(rng):
    W = rng.normal(size=(32, 16))
    kw = dict(device="hfox", d2d_sigma=0.1, stuck_on_rate=0.01, programming="pulses")
    a, b, c = Crossbar(W, seed=5, **kw), Crossbar(W, seed=5, **kw), Crossbar(W, seed=6, **kw)
    np.testing.assert_array_equal(a.g_pos, b.g_pos)
    np.testing.assert_array_equal(a.g_neg, b.g_neg)
    assert not np.array_equal(a.g_pos, c.g_pos)
    # switching one effect on does not reshuffle another (independent streams): the d2d factors of the
    # devices that are not stuck are the same with and without stuck-at faults, and with pulse noise
    d1 = Crossbar(W, device="hfox", levels=None, d2d_sigma=0.1, seed=5)
    d2 = Crossbar(W, device="hfox", levels=None, d2d_sigma=0.1, stuck_off_rate=0.2, seed=5)
    free = ~d2.stuck_mask[0]
    assert free.mean() < 0.9  # the faults are really on
    np.testing.assert_array_equal(d1.g_pos[free], d2.g_pos[free])
    p1 = Crossbar(W, device="hfox", programming="pulses", seed=5)
    p2 = Crossbar(W, device="hfox", programming="pulses", d2d_sigma=0.1, seed=5)
    np.testing.assert_allclose(p2.g_pos / p1.g_pos, np.exp(0.1 * np.random.default_rng([5, 2]).standard_normal(
        (2, 32, 16))[0]), rtol=1e-12)  # the same pulse noise, then the d2d draw of stream [seed, 2]


def test_d2d_is_lognormal_multiplicative(rng):
    W = np.ones((300, 300))
    cb = Crossbar(W, device="hfox", levels=None, d2d_sigma=0.2)
    ratio = cb.g_pos / cb.target_pos
    assert np.std(np.log(ratio)) == pytest.approx(0.2, rel=0.02)
    assert np.median(ratio) == pytest.approx(1.0, abs=0.01)
    # None means the device's own value: a device whose σ is not 0 tells "None" from "0"
    varied = dataclasses.replace(PRESETS["hfox"], name="hfox-varied", d2d_sigma=0.25)
    assert Crossbar(W[:3, :3], device=varied, d2d_sigma=None).d2d_sigma == 0.25
    assert Crossbar(W[:3, :3], device=varied).d2d_sigma == 0.0  # the default is off, explicitly


def test_pulse_programming_of_a_linear_noiseless_device_equals_level_rounding(rng):
    W = rng.normal(size=(20, 10))
    lin = DevicePreset("lin", 1e-6, 1e-5, 33, 0.0, 0.0, 0.0, 0.0, 0.0, "test")
    direct = Crossbar(W, device=lin)
    pulses = Crossbar(W, device=lin, programming="pulses")
    np.testing.assert_allclose(pulses.g_pos, direct.g_pos, rtol=1e-12)
    # a nonlinear device counted as linear lands above the target on the LTP curve
    nonlin = DevicePreset("nl", 1e-6, 1e-5, 33, 2.4, -4.88, 0.0, 0.0, 0.0, "test")
    p = Crossbar(W, device=nonlin, programming="pulses")
    assert np.all(p.g_pos >= direct.g_pos - 1e-18)
    assert np.mean(p.g_pos - direct.g_pos) > 0.05 * (1e-5 - 1e-6)


def test_drift_scales_conductances(rng):
    W = rng.normal(size=(10, 10))
    fresh = Crossbar(W, device="pcm")
    old = Crossbar(W, device="pcm", drift_time=3600.0)
    nu = get_device("pcm").drift_nu
    np.testing.assert_allclose(old.g_pos / fresh.g_pos, ((3600 + 20) / 20) ** (-nu))
    np.testing.assert_allclose(old.g_neg, pcm_drift(fresh.g_neg, 3600.0, nu))
    # a device without drift is unaffected
    np.testing.assert_array_equal(Crossbar(W, device="hfox", drift_time=1e6).g_pos,
                                  Crossbar(W, device="hfox").g_pos)


# --------------------------------------------------------------------------- read-time non-idealities


def test_read_noise_seeds_and_steps(rng):
    W = rng.normal(size=(32, 8))
    x = rng.normal(size=(4, 32)).astype(np.float32)
    cb = Crossbar(W, device="hfox", read_noise=0.05, seed=1)
    a, b, c = cb.matmul(x, step=3).numpy(), cb.matmul(x, step=3).numpy(), cb.matmul(x, step=4).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    other = Crossbar(W, device="hfox", read_noise=0.05, seed=2).matmul(x, step=3).numpy()
    assert not np.array_equal(a, other)
    clean = Crossbar(W, device="hfox").matmul(x).numpy()
    assert 0 < np.std(a - clean) < 0.5 * np.std(clean)
    np.testing.assert_array_equal(cb.currents(x, step=9), cb.currents(x, step=9))


def test_read_noise_statistics_match_per_device_noise():
    # per-device relative noise sigma: Var(I_j) = sigma^2 sum_i v_i^2 G_ij^2
    W = np.full((50, 1), 0.5)
    cb = Crossbar(W, device="ideal", read_noise=0.1, mapping="differential")
    x = np.ones((4000, 50), np.float32)
    y = cb.matmul(x, step=0).numpy()[:, 0]
    v = cb.v_read
    sd_pos = 0.1 * np.sqrt(np.sum((v * cb.g_pos[:, 0]) ** 2))
    sd_neg = 0.1 * np.sqrt(np.sum((v * cb.g_neg[:, 0]) ** 2))
    expected = np.hypot(sd_pos, sd_neg) / (v * cb.k)
    assert np.std(y) == pytest.approx(expected, rel=0.06)
    assert np.mean(y) == pytest.approx(25.0, abs=4 * expected / np.sqrt(4000))


def test_dac_and_adc(rng):
    W = rng.normal(size=(16, 6))
    spikes = (rng.random((10, 16)) < 0.3).astype(np.float32)
    ideal = Crossbar(W).matmul(spikes).numpy()
    np.testing.assert_allclose(Crossbar(W, dac_bits=1).matmul(spikes).numpy(), ideal, rtol=1e-5, atol=1e-5)
    x = rng.normal(size=(10, 16)).astype(np.float32)
    fine = Crossbar(W, adc_bits=16).matmul(x).numpy()
    coarse = Crossbar(W, adc_bits=3).matmul(x).numpy()
    ref = x @ W
    assert np.abs(fine - ref).max() < 1e-2 * np.abs(ref).max()
    assert np.abs(coarse - ref).max() > np.abs(fine - ref).max()
    assert len(np.unique(Crossbar(W, dac_bits=2).matmul(x).numpy())) > 1


def test_matmul_in_tf_function_with_gradient_equal_to_W(rng):
    W = rng.normal(size=(12, 5))
    cb = Crossbar(W, mapping="reference")
    x = tf.constant(rng.normal(size=(3, 12)), tf.float32)

    @tf.function
    def jac(inp):
        with tf.GradientTape() as tape:
            tape.watch(inp)
            y = cb.matmul(inp)
        return y, tape.batch_jacobian(y, inp)

    y, J = jac(x)
    np.testing.assert_allclose(y.numpy(), x.numpy() @ W, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(J.numpy(), np.broadcast_to(W.T, (3, 5, 12)), rtol=1e-6, atol=1e-6)
    noisy = Crossbar(W, device="hfox", read_noise=0.05, adc_bits=6, dac_bits=6)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.square(noisy.matmul(x, step=tf.constant(2))))
    g = tape.gradient(loss, x)
    assert g is not None and np.all(np.isfinite(g.numpy())) and np.any(g.numpy() != 0)


def test_matmul_inside_a_keras_model(rng):
    W = rng.normal(size=(8, 3))
    cb = Crossbar(W)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Lambda(lambda t: cb.matmul(t))])
    x = rng.normal(size=(5, 8)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ W, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- IR drop


def test_ir_solver_equals_v_at_G_without_wire_resistance(rng):
    G = rng.uniform(1e-6, 1e-5, size=(7, 5))
    v = rng.uniform(0, 0.2, size=(3, 7))
    np.testing.assert_array_equal(crossbar_currents(G, v, 0.0), v @ G)
    np.testing.assert_allclose(crossbar_currents(G, v, 1e-9), v @ G, rtol=1e-9)
    np.testing.assert_array_equal(crossbar_transfer(G), G)


def test_ir_solver_1x1_and_1x2_by_hand():
    r = 50.0
    G = np.array([[2e-3]])
    assert crossbar_currents(G, [0.3], r)[0] == pytest.approx(0.3 / (2 * r + 1 / 2e-3), rel=1e-12)
    # one row, two columns: source -r- R0 -r- R1; each R_j -G_j- C_j -r- ground
    g0, g1, v = 1e-3, 4e-3, 0.2
    h0 = 1 / (1 / g0 + r)                 # column 0 branch from R0
    h1 = 1 / (r + 1 / g1 + r)             # row segment + column 1 branch from R0
    v_r0 = v * (1 / r) / (1 / r + h0 + h1)
    i = crossbar_currents(np.array([[g0, g1]]), np.array([v]), r)
    np.testing.assert_allclose(i, [v_r0 * h0, v_r0 * h1], rtol=1e-12)


def test_ir_solver_2x1_against_hand_written_kirchhoff():
    r, g0, g1, v0, v1 = 20.0, 1e-3, 3e-3, 0.2, 0.1
    w = 1 / r
    # unknowns [R0, R1, C0, C1]; rows driven at column 0, column sensed after row 1
    A = np.array([
        [w + g0, 0, -g0, 0],               # R0: (R0 - v0)/r + g0 (R0 - C0) = 0
        [0, w + g1, 0, -g1],               # R1
        [-g0, 0, g0 + w, -w],              # C0: g0 (C0 - R0) + (C0 - C1)/r = 0
        [0, -g1, -w, g1 + w + w],          # C1: ... + C1/r (to virtual ground) = 0
    ])
    b = np.array([w * v0, w * v1, 0, 0])
    nodes = np.linalg.solve(A, b)
    i_hand = nodes[3] / r
    i = crossbar_currents(np.array([[g0], [g1]]), np.array([v0, v1]), r)
    assert i[0] == pytest.approx(i_hand, rel=1e-12)


def test_ir_drop_lowers_currents_monotonically(rng):
    d = get_device("hfox")
    G = rng.uniform(d.g_min, d.g_max, size=(32, 24))
    v = rng.uniform(0.05, 0.2, size=32)
    prev = v @ G
    for r in (0.1, 1.0, 10.0, 100.0, 1000.0):
        cur = crossbar_currents(G, v, r)
        assert np.all(cur < prev)
        prev = cur


def test_ir_transfer_batch_and_64x64(rng):
    d = get_device("hfox")
    G = rng.uniform(d.g_min, d.g_max, size=(64, 64))
    v = rng.uniform(0, 0.2, size=(3, 64))
    i = crossbar_currents(G, v, 1.0)
    T = crossbar_transfer(G, 1.0)
    np.testing.assert_allclose(v @ T, i, rtol=1e-10)
    np.testing.assert_allclose(crossbar_currents(G, v[1], 1.0), i[1], rtol=1e-12)
    many = rng.uniform(0, 0.2, size=(80, 64))  # > min(rows, cols): transfer path
    np.testing.assert_allclose(crossbar_currents(G, many, 1.0), many @ T, rtol=1e-10)
    tall = G[:, :10]
    np.testing.assert_allclose(crossbar_transfer(tall, 1.0)[:, :],
                               np.stack([crossbar_currents(tall, e, 1.0) for e in np.eye(64)]), rtol=1e-9)


@pytest.mark.parametrize("mapping", ["differential", "reference"])
def test_crossbar_with_wire_resistance_matches_exact_solver(rng, mapping):
    W = rng.normal(size=(16, 6))
    x = rng.uniform(0, 1, size=(4, 16)).astype(np.float32)
    cb = Crossbar(W, device="hfox", mapping=mapping, levels=None, r_wire=5.0)
    i_pos, i_neg = cb.column_currents(x)
    np.testing.assert_allclose(cb.currents(x), i_pos - i_neg, rtol=1e-4, atol=1e-4 * np.abs(i_pos).max())
    ideal = Crossbar(W, device="hfox", mapping=mapping, levels=None).matmul(x).numpy()
    y = cb.matmul(x).numpy()
    assert 0 < np.abs(y - ideal).max() < 0.1 * np.abs(ideal).max()
    assert np.all(cb.transfer()[0] <= cb.g_pos)


# --------------------------------------------------------------------------- argument checks


def test_crossbar_value_errors(rng):
    W = rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="device"):
        Crossbar(W, device="unobtainium")
    with pytest.raises(ValueError, match="mapping"):
        Crossbar(W, mapping="single")
    with pytest.raises(ValueError, match="programming"):
        Crossbar(W, programming="magic")
    with pytest.raises(ValueError, match="stuck_on_rate"):
        Crossbar(W, stuck_on_rate=-0.1)
    with pytest.raises(ValueError, match="stuck_off_rate"):
        Crossbar(W, stuck_off_rate=1.5)
    with pytest.raises(ValueError, match="<= 1"):
        Crossbar(W, stuck_on_rate=0.6, stuck_off_rate=0.5)
    with pytest.raises(ValueError, match="levels"):
        Crossbar(W, levels=1)
    with pytest.raises(ValueError, match="levels"):
        Crossbar(W, programming="pulses")  # the ideal device is continuous
    with pytest.raises(ValueError, match="read_noise"):
        Crossbar(W, read_noise=-0.01)
    with pytest.raises(ValueError, match="d2d_sigma"):
        Crossbar(W, d2d_sigma=-1)
    with pytest.raises(ValueError, match="W must have 2"):
        Crossbar(np.ones(4))
    with pytest.raises(ValueError, match="NaN"):
        Crossbar(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="W must be"):
        Crossbar(np.ones((0, 3)))
    with pytest.raises(ValueError, match="seed"):
        Crossbar(W, seed=-1)
    with pytest.raises(ValueError, match="adc_bits"):
        Crossbar(W, adc_bits=0)
    with pytest.raises(ValueError, match="v_read"):
        Crossbar(W, v_read=0)
    with pytest.raises(ValueError, match="r_wire"):
        Crossbar(W, r_wire=-1)
    with pytest.raises(ValueError, match="4 features"):
        Crossbar(W).matmul(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="G"):
        crossbar_currents(-np.ones((2, 2)), [0.1, 0.1])
    with pytest.raises(ValueError, match="v must have 2"):
        crossbar_currents(np.ones((2, 2)), [0.1, 0.1, 0.1])


# --------------------------------------------------------------------------- Keras layer


def test_crossbar_dense_ideal_is_a_dense_layer(rng):
    layer = CrossbarDense(4)
    x = rng.normal(size=(6, 10)).astype(np.float32)
    y = layer(x).numpy()
    np.testing.assert_allclose(y, x @ layer.kernel.numpy() + layer.bias.numpy(), rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 10)) == (None, 4)


def test_crossbar_dense_levels_quantise_with_straight_through_gradient(rng):
    layer = CrossbarDense(3, device="hfox", levels=4, use_bias=False)
    x = tf.constant(rng.normal(size=(5, 6)), tf.float32)
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_sum(y ** 2)
    g = tape.gradient(loss, layer.kernel)
    assert np.all(np.isfinite(g.numpy())) and np.any(g.numpy() != 0)
    g_pos, g_neg, _ = layer.conductances()
    d = get_device("hfox")
    steps = (g_pos.numpy() - d.g_min) / ((d.g_max - d.g_min) / 3)  # conductances in S
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-4)
    assert not np.allclose(y.numpy(), x.numpy() @ layer.kernel.numpy(), atol=1e-3)


def test_crossbar_dense_save_load_round_trip(tmp_path, rng):
    inp = keras.Input((10,))
    h = CrossbarDense(8, device="hfox", d2d_sigma=0.1, read_noise=0.02, activation="relu", seed=3)(inp)
    dev = DevicePreset("custom", 1e-6, 2e-5, 9, 1.0, -1.0, 0.0, 0.0, 0.0, "test")
    out = CrossbarDense(3, device=dev, mapping="reference", w_max=0.5)(h)
    model = keras.Model(inp, out)
    model.compile("adam", "mse")
    x = rng.normal(size=(16, 10)).astype(np.float32)
    model.fit(x, np.zeros((16, 3), np.float32), epochs=1, verbose=0)
    path = os.fspath(tmp_path / "xbar.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    cfg = model.layers[1].get_config()
    clone = CrossbarDense.from_config(cfg)
    assert clone.get_config() == cfg
    assert loaded.layers[2].device == dev


def test_crossbar_dense_value_errors():
    with pytest.raises(ValueError, match="units"):
        CrossbarDense(0)
    with pytest.raises(ValueError, match="device"):
        CrossbarDense(3, device="nope")
    with pytest.raises(ValueError, match="mapping"):
        CrossbarDense(3, mapping="nope")
    with pytest.raises(ValueError, match="levels"):
        CrossbarDense(3, levels=1)
    with pytest.raises(ValueError, match="read_noise"):
        CrossbarDense(3, read_noise=-1.0)


def test_matmul_rejects_nan_and_text():
    xb = Crossbar.ideal(np.eye(3))
    with pytest.raises(ValueError, match="NaN"):
        xb.matmul(np.array([1.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match="numbers"):
        xb.matmul("abc")


# --------------------------------------------------------------------------- shared helpers


def test_relative_error_and_global_gain():
    y_ref = np.array([[3.0, 4.0], [0.0, 0.0]])
    assert relative_error(y_ref, y_ref) == 0.0
    assert relative_error(np.zeros((2, 2)), y_ref) == pytest.approx(1.0)
    assert relative_error(y_ref + [[0.5, 0.0], [0.0, 0.0]], y_ref) == pytest.approx(0.1)
    assert relative_error(tf.constant(y_ref, tf.float32), y_ref) == 0.0  # tensors too
    # the least-squares gain undoes a global shrink exactly
    assert global_gain(0.6 * y_ref, y_ref) == pytest.approx(1 / 0.6)
    noisy = 0.6 * y_ref + [[0.1, -0.2], [0.3, 0.0]]
    g = global_gain(noisy, y_ref)
    for other in (g * 0.99, g * 1.01):
        assert relative_error(g * noisy, y_ref) < relative_error(other * noisy, y_ref)
    with pytest.raises(ValueError, match="one shape"):
        relative_error(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="all zeros"):
        relative_error(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="all zeros"):
        global_gain(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        relative_error(np.array([np.nan]), np.ones(1))


def test_global_gain_undoes_uniform_pcm_drift(rng):
    W = rng.normal(size=(16, 8))
    x = rng.random((32, 16)).astype(np.float32)
    pcm_analogue = dataclasses.replace(get_device("pcm"), levels=None)  # drift alone
    y = Crossbar(W, device=pcm_analogue, drift_time=86400.0).matmul(x).numpy()
    assert relative_error(y, x @ W) > 0.3
    assert relative_error(global_gain(y, x @ W) * y, x @ W) < 1e-5


@pytest.mark.parametrize("mapping", ["differential", "reference"])
def test_map_weights_and_levels_agree_in_numpy_and_tf(rng, mapping):
    W = rng.normal(size=(7, 5))
    k_np, p_np, n_np = map_weights(W, np.abs(W).max(), 1.0, 10.0, mapping)
    k_tf, p_tf, n_tf = map_weights(tf.constant(W), tf.constant(np.abs(W).max()), 1.0, 10.0, mapping)
    assert float(k_tf) == k_np
    np.testing.assert_array_equal(p_tf.numpy(), p_np)
    np.testing.assert_array_equal(np.asarray(n_tf), n_np)
    np.testing.assert_allclose(p_np - n_np, k_np * W, rtol=1e-12, atol=1e-12)
    q_np = quantize_levels(p_np, 1.0, 10.0, 8)
    g = tf.constant(p_np)
    with tf.GradientTape() as tape:
        tape.watch(g)
        q_tf = quantize_levels(g, 1.0, 10.0, 8)
    np.testing.assert_array_equal(q_tf.numpy(), q_np)
    np.testing.assert_array_equal(tape.gradient(q_tf, g).numpy(), 1.0)  # straight through
    assert np.abs(q_np - p_np).max() <= 9.0 / 7 / 2 * (1 + 1e-12)


def test_read_noise_std_formula(rng):
    v = rng.random((3, 6))
    G = rng.random((6, 4))
    expected = 0.1 * np.sqrt((v**2) @ (G**2))
    np.testing.assert_allclose(read_noise_std(tf.constant(v), tf.constant(G), 0.1).numpy(), expected, rtol=1e-12)


def test_pair_readout_adc_shares_one_range_over_both_columns():
    i_pos = tf.constant([[0.0, 1.0, 2.0]])
    i_neg = tf.constant([[3.0, 0.4, 0.0]])
    q_pos, q_neg = pair_readout(i_pos, i_neg, None, None, None, adc_bits=2)  # 4 levels over [0, 3]
    np.testing.assert_allclose(q_pos.numpy(), [[0.0, 1.0, 2.0]])
    np.testing.assert_allclose(q_neg.numpy(), [[3.0, 0.0, 0.0]])
    same_p, same_n = pair_readout(i_pos, i_neg, None, None, None)  # no noise, no ADC: unchanged
    assert same_p is i_pos and same_n is i_neg


# --------------------------------------------------------------------------- programmed state


def test_stuck_mask_is_the_programming_draw(rng):
    W = rng.uniform(0.2, 1.0, size=(40, 30))
    d = dataclasses.replace(get_device("hfox"), levels=None)  # continuous: a device moves only if stuck
    cb = Crossbar(W, device=d, stuck_on_rate=0.05, stuck_off_rate=0.05, seed=4)
    mask = cb.stuck_mask
    assert mask.shape == (2, 40, 30)
    g = np.stack([cb.g_pos, cb.g_neg])
    assert np.all((g[mask] == d.g_max) | (g[mask] == d.g_min))
    inside = (cb.target_pos > d.g_min) & (cb.target_pos < d.g_max)
    np.testing.assert_array_equal(mask[0][inside], (cb.g_pos != cb.target_pos)[inside])
    ref = Crossbar(W, device=d, mapping="reference", stuck_on_rate=0.1, seed=4)
    assert ref.stuck_mask.shape == (1, 40, 31)
    assert not Crossbar(W).stuck_mask.any()


def test_programmed_arrays_are_read_only_and_reference_is_derived(rng):
    W = rng.normal(size=(6, 4))
    cb = Crossbar(W, device="hfox", mapping="reference", d2d_sigma=0.1, r_wire=1.0)
    np.testing.assert_array_equal(cb.g_neg, np.broadcast_to(cb.g_ref[:, None], (6, 4)))
    d = cb.device  # 128 levels: G_ref on level 63
    np.testing.assert_allclose(cb.target_neg, d.g_min + 63 * (d.g_max - d.g_min) / 127, rtol=1e-12)
    assert cb.g_neg_columns.shape == (6, 1)
    for arr in (cb.g_pos, cb.g_neg, cb.g_ref, cb.target_pos, cb.target_neg, cb.stuck_mask, *cb.transfer()):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0


# --------------------------------------------------------------------------- Keras layer: d2d


def test_crossbar_dense_d2d_none_means_the_device_value_and_is_drawn_once(rng):
    varied = dataclasses.replace(get_device("hfox"), name="hfox-varied", d2d_sigma=0.25)
    assert CrossbarDense(3, device=varied, d2d_sigma=None).d2d_sigma == 0.25
    assert CrossbarDense(3, device="hfox", d2d_sigma=0.2).d2d_sigma == 0.2
    layer = CrossbarDense(3, device="hfox", d2d_sigma=0.2, seed=7)
    layer.build((None, 5))
    a = layer.conductances()[0].numpy()
    b = layer.conductances()[0].numpy()
    np.testing.assert_array_equal(a, b)
    other = CrossbarDense(3, device="hfox", d2d_sigma=0.2, seed=7)
    other.build((None, 5))
    other.kernel.assign(layer.kernel)
    np.testing.assert_array_equal(other.conductances()[0].numpy(), a)  # a function of the seed alone
    assert CrossbarDense(3, device="hfox").d2d_sigma == 0.0


# --------------------------------------------------------------------------- the same periphery in the edge pipeline


def _patches(spikes, k):
    """[T, H, W] spikes → [T·H·W, k·k] reflect-padded neighbourhoods (rows of each pixel's column pair)."""
    r = k // 2
    p = np.pad(spikes, ((0, 0), (r, r), (r, r)), mode="reflect")
    T, H, W = spikes.shape
    return np.stack([p[:, dy:dy + H, dx:dx + W] for dy in range(k) for dx in range(k)], axis=-1).reshape(-1, k * k)


@pytest.mark.parametrize("mapping", ["differential", "reference"])
def test_edge_pipeline_adc_is_the_crossbar_adc(mapping):
    from snnlib import encoders
    from snnlib.edges import EdgeExtractor
    image = np.random.default_rng(0).uniform(0, 1, (10, 9))
    ex = EdgeExtractor(image, steps=4, encoding="deterministic", gain=1.0, device="hfox", mapping=mapping,
                       adc_bits=4)
    x = _patches(encoders.deterministic_rate(image, 4).numpy(), 3)
    xb = ex.crossbar
    y = xb.currents(x) / (xb.v_read * xb.k)  # one call over all T·H·W reads: one ADC range
    i_both = np.stack(xb.column_currents(x))
    step = (i_both.max() - i_both.min()) / 15 / (xb.v_read * xb.k)  # the ADC step in weight units
    got = ex.currents.numpy().reshape(y.shape)
    close = np.isclose(got, y, atol=1e-3 * step)
    assert close.mean() > 0.99 and np.abs(got - y).max() < 2.01 * step  # rare float32 ties may round apart
    assert len(np.unique(np.round(got / step, 3))) > 3  # the ADC is on


def test_edge_pipeline_read_noise_has_the_crossbar_variance():
    from snnlib.edges import EdgeExtractor
    image = np.full((40, 40), 0.5)
    kw = dict(steps=16, encoding="deterministic", gain=1.0, device="hfox")
    clean = EdgeExtractor(image, **kw)
    noisy = EdgeExtractor(image, read_noise=0.1, **kw)
    diff = (noisy.currents - clean.currents).numpy()
    x = _patches(__import__("snnlib").encoders.deterministic_rate(image, 16).numpy(), 3)
    xb = clean.crossbar
    v2 = (x * xb.v_read) ** 2
    var = 0.1**2 * (v2 @ xb.g_pos**2 + v2 @ xb.g_neg**2) / (xb.v_read * xb.k) ** 2
    assert np.std(diff) == pytest.approx(np.sqrt(var.mean()), rel=0.05)
    assert abs(np.mean(diff)) < 4 * np.sqrt(var.mean() / diff.size)


# --------------------------------------------------------------------------- audit regressions
@pytest.mark.parametrize("levels", [2, 3, 4, 16, 127, 128, None])
@pytest.mark.parametrize("mapping", ["differential", "reference"])
def test_a_zero_weight_reads_zero_for_every_mapping_and_level_count(levels, mapping):
    # a flat image through a zero-sum kernel, or a zero tap, must give exactly no current (ideal programming)
    W = np.array([[1.0, 0.0, -0.5], [0.0, 0.0, 0.25], [-1.0, 0.0, 0.0]])
    if mapping == "reference" and levels == 2:  # binary devices cannot sit above and below a reference
        with pytest.raises(ValueError, match="levels >= 3"):
            Crossbar(W, device="ideal", mapping=mapping, levels=levels)
        return
    cb = Crossbar(W, device="ideal", mapping=mapping, levels=levels)
    zero = W == 0
    np.testing.assert_allclose(cb.effective_weights()[zero], 0.0, atol=1e-12 * np.abs(W).max())
    y = cb.matmul(np.eye(3, dtype=np.float32)).numpy()
    np.testing.assert_allclose(y[zero], 0.0, atol=1e-6)
    layer = CrossbarDense(3, device="ideal", mapping=mapping, levels=levels, use_bias=False)
    layer.build((None, 3))
    layer.kernel.assign(W.astype(np.float32))
    np.testing.assert_allclose(layer(np.eye(3, dtype=np.float32)).numpy()[zero], 0.0, atol=1e-6)


def _silent_rows():
    return np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]], np.float32)


@pytest.mark.parametrize("options", [
    dict(read_noise=0.05), dict(levels=16), dict(d2d_sigma=0.2), dict(read_noise=0.05, levels=8, d2d_sigma=0.1),
    dict(mapping="reference", read_noise=0.1, levels=128),
])
def test_crossbar_dense_gradients_are_finite_with_silent_rows(options):
    layer = CrossbarDense(3, device="hfox", seed=1, **options)
    x = tf.constant(_silent_rows())
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(tf.square(y))
    for g in (tape.gradient(loss, x), *tape.gradient(loss, layer.trainable_weights)):
        assert np.all(np.isfinite(g.numpy()))
    # read noise's sd is 0 on a silent row: its gradient there is 0, not NaN, and the value is the ideal one
    if options.get("read_noise"):
        sd = read_noise_std(x * 0.2, tf.constant(np.full((4, 3), 10.0, np.float32)), 0.05)
        with tf.GradientTape() as t2:
            t2.watch(x)
            sd = read_noise_std(x * 0.2, tf.constant(np.full((4, 3), 10.0, np.float32)), 0.05)
        assert np.all(sd.numpy()[[0, 2]] == 0)
        assert np.all(np.isfinite(t2.gradient(sd, x).numpy()))


@pytest.mark.parametrize("options", [
    dict(read_noise=0.05), dict(adc_bits=4), dict(dac_bits=3), dict(levels=16, programming="pulses"),
    dict(d2d_sigma=0.2, stuck_on_rate=0.1, drift_time=100.0), dict(r_wire=2.0),
    dict(mapping="reference", read_noise=0.05, adc_bits=6),
])
def test_crossbar_matmul_gradients_are_finite_with_silent_rows(rng, options):
    device = "pcm" if "drift_time" in options else "hfox"
    cb = Crossbar(rng.normal(size=(4, 3)), device=device, seed=2, **options)
    x = tf.constant(_silent_rows())
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.square(cb.matmul(x, step=3)))
    assert np.all(np.isfinite(tape.gradient(loss, x).numpy()))


def test_keras_fit_with_read_noise_stays_finite():
    # the audit's case: with read noise, NaN gradients from all-zero rows turned the weights NaN in 2 epochs
    rng = np.random.default_rng(0)
    x = (rng.random((64, 6)) < 0.3).astype("float32")
    x[::4] = 0.0  # a quarter of the samples are silent steps
    y = rng.normal(size=(64, 2)).astype("float32")
    model = keras.Sequential([keras.Input((6,)), CrossbarDense(4, device="hfox", read_noise=0.05, d2d_sigma=0.1,
                                                               seed=1), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    hist = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert np.all(np.isfinite(hist.history["loss"]))
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


@pytest.mark.parametrize("kwargs, word", [
    (dict(adc_bits=2000), "adc_bits"), (dict(dac_bits=10**6), "dac_bits"), (dict(r_wire=1e300), "r_wire"),
    (dict(seed=2**63), "seed"), (dict(levels=2**40), "levels"), (dict(read_noise=1e300), "read_noise"),
    (dict(v_read=float("inf")), "v_read"), (dict(seed=-1), "seed"), (dict(levels=3.0), "levels"),
])
def test_crossbar_refuses_out_of_range_options_by_name(kwargs, word):
    with pytest.raises(ValueError, match=word):
        Crossbar(np.ones((2, 2)), **kwargs)


def test_largest_accepted_seed_and_wire_resistance_work():
    cb = Crossbar(np.eye(3), device="hfox", read_noise=0.05, seed=2**63 - 1, r_wire=1e6)
    assert np.all(np.isfinite(cb.matmul(np.ones((1, 3), np.float32), step=2**63 - 1).numpy()))


def test_matmul_step_and_inputs_are_checked():
    cb = Crossbar(np.eye(2), read_noise=0.1)
    with pytest.raises(ValueError, match="step"):
        cb.matmul(np.ones((1, 2)), step="a")
    with pytest.raises(ValueError, match="complex"):
        cb.matmul(np.ones((1, 2)) * 1j)
    layer = CrossbarDense(2)
    assert layer(np.ones((1, 3), dtype="int32")).shape == (1, 2)  # integers (spike counts) are cast


# --------------------------------------------------------------------------- one chip, read three ways
CHIP_OPTIONS = [
    dict(device="hfox"),
    dict(device="hfox", levels=16, d2d_sigma=0.15, stuck_on_rate=0.05, stuck_off_rate=0.05),
    dict(device="hfox", programming="pulses", d2d_sigma=0.1),
    dict(device="ag_si", programming="pulses", mapping="reference", stuck_off_rate=0.1),
    dict(device="pcm", levels=32, drift_time=3600.0, d2d_sigma=0.05),
    dict(device="hfox", adc_bits=6, dac_bits=4, levels=8),
]


@pytest.mark.parametrize("options", CHIP_OPTIONS)
def test_one_seed_is_one_chip_in_crossbar_dense_and_conv(rng, options):
    # a 3×3 kernel bank with 2 channels: 9 rows, 2 column pairs
    W = rng.normal(size=(9, 2))
    xb = Crossbar(W, seed=11, **options)
    dense = CrossbarDense(2, use_bias=False, seed=11, **options)
    dense.build((None, 9))
    dense.kernel.assign(W.astype(np.float32))
    g_pos, g_neg, k = (a.numpy() for a in dense.conductances())
    np.testing.assert_allclose(g_pos, xb.g_pos, rtol=2e-6)
    np.testing.assert_allclose(g_neg, xb.g_neg_columns, rtol=2e-6)
    assert k == pytest.approx(xb.k, rel=1e-6)
    # the same reads give the same outputs (weight units): rows of random 0/1 spikes
    x = (rng.random((40, 9)) < 0.5).astype(np.float32)
    y_xb = xb.matmul(x).numpy()
    np.testing.assert_allclose(dense(x).numpy(), y_xb, rtol=1e-4, atol=1e-4 * np.abs(y_xb).max())
    # the convolution: each pixel's 3×3 neighbourhood is the 9 rows
    conv = CrossbarConv2D(2, 3, use_bias=False, seed=11, **options)
    image = (rng.random((1, 6, 7, 1)) < 0.5).astype(np.float32)
    conv.build(image.shape)
    conv.kernel.assign(W.reshape(3, 3, 1, 2).astype(np.float32))
    patches = np.stack([image[0, dy:dy + 4, dx:dx + 5, 0] for dy in range(3) for dx in range(3)], -1).reshape(-1, 9)
    y_conv = conv(image).numpy().reshape(-1, 2)
    y_ref = xb.matmul(patches).numpy()
    np.testing.assert_allclose(y_conv, y_ref, rtol=1e-4, atol=1e-4 * np.abs(y_ref).max())


def test_deploy_moves_a_trained_layer_to_another_chip_and_ages_it(rng):
    W = rng.normal(size=(6, 3)).astype(np.float32)
    layer = CrossbarDense(3, device="pcm", levels=32, d2d_sigma=0.2, use_bias=False, seed=1)
    layer.build((None, 6))
    layer.kernel.assign(W)
    before = layer.conductances()[0].numpy()
    layer.deploy(chip_seed=2)
    np.testing.assert_allclose(layer.conductances()[0].numpy(), Crossbar(W, device="pcm", levels=32, d2d_sigma=0.2,
                                                                         seed=2).g_pos, rtol=2e-6)
    assert not np.allclose(layer.conductances()[0].numpy(), before)
    fresh = layer.conductances()[0].numpy()
    layer.deploy(drift_time=1e4)
    nu = get_device("pcm").drift_nu
    np.testing.assert_allclose(layer.conductances()[0].numpy(), fresh * ((1e4 + 20) / 20) ** -nu, rtol=1e-5)


def test_chip_survives_save_and_load(tmp_path, rng):
    inp = keras.Input((5,))
    out = CrossbarDense(4, device="hfox", levels=16, d2d_sigma=0.2, stuck_on_rate=0.1, seed=9)(inp)
    model = keras.Model(inp, out)
    model.layers[-1].deploy(chip_seed=33, drift_time=10.0)
    x = rng.normal(size=(3, 5)).astype(np.float32)
    y = model(x).numpy()
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(again(x).numpy(), y)


def test_training_through_every_non_ideality_moves_the_kernel_and_stays_finite(rng):
    x = (rng.random((64, 9)) < 0.4).astype("float32")
    x[::5] = 0.0
    y = x @ rng.normal(size=(9, 2)).astype("float32")
    layer = CrossbarDense(2, device="hfox", programming="pulses", d2d_sigma=0.1, stuck_off_rate=0.05,
                          read_noise=0.02, adc_bits=8, dac_bits=6, seed=4)
    model = keras.Sequential([keras.Input((9,)), layer])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    start = layer.kernel.numpy().copy()
    hist = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert np.all(np.isfinite(hist.history["loss"])) and hist.history["loss"][-1] < hist.history["loss"][0]
    assert not np.allclose(layer.kernel.numpy(), start)


def test_conv_layer_shapes_padding_and_errors():
    conv = CrossbarConv2D(3, 3, padding="reflect")
    assert conv(np.zeros((2, 8, 9, 1), np.float32)).shape == (2, 8, 9, 3)
    assert CrossbarConv2D(3, 3)(np.zeros((1, 8, 9, 2), np.float32)).shape == (1, 6, 7, 3)
    with pytest.raises(ValueError, match="padding"):
        CrossbarConv2D(3, 3, padding="circular")
    with pytest.raises(ValueError, match="channels"):
        CrossbarConv2D(3, 3)(np.zeros((8, 9), np.float32))


@pytest.mark.parametrize("device", ["hfox", "ag_si", "alox_hfo2", "pcmo", "pcm"])
@pytest.mark.parametrize("mapping", ["differential", "reference"])
@pytest.mark.parametrize("programming", ["direct", "pulses"])
def test_zero_weights_and_zero_sum_kernels_read_zero_on_nonlinear_devices(device, mapping, programming):
    # the reference column gets the same m pulses as a zero weight, and ±w round symmetrically about it
    from snnlib.edges import kernel_bank

    d = dataclasses.replace(get_device(device), c2c_sigma=0.0)  # the curve alone, no write noise
    for name in ("sobel", "laplacian", "dog"):
        bank = kernel_bank(name)
        W = bank.reshape(-1, bank.shape[-1])
        w_eff = Crossbar(W, device=d, mapping=mapping, programming=programming).effective_weights()
        np.testing.assert_allclose(w_eff[W == 0], 0.0, atol=1e-12)
        if programming == "direct" and name == "sobel":  # ±w pairs: a flat image still gives no response
            np.testing.assert_allclose(w_eff.sum(axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize("name", ["sobel", "laplacian", "dog"])
@pytest.mark.parametrize("options", CHIP_OPTIONS)
def test_the_course_kernels_are_one_chip_in_numpy_and_tf(name, options):
    # Sobel taps ±0.25 at w_max 0.5 sit exactly on half levels: both precisions must round them alike
    from snnlib.edges import kernel_bank

    W = kernel_bank(name).reshape(-1, kernel_bank(name).shape[-1])
    xb = Crossbar(W, seed=3, **options)
    dense = CrossbarDense(W.shape[1], use_bias=False, seed=3, **options)
    dense.build((None, W.shape[0]))
    dense.kernel.assign(W.astype(np.float32))
    g_pos, g_neg, _ = (a.numpy() for a in dense.conductances())
    np.testing.assert_allclose(g_pos, xb.g_pos, rtol=2e-6)
    np.testing.assert_allclose(g_neg, xb.g_neg_columns, rtol=2e-6)


def test_layers_refuse_complex_and_text_inputs_and_read_step_zero_first():
    layer = CrossbarDense(2, kernel_initializer="ones")
    with pytest.raises(ValueError, match="complex"):
        layer(np.array([[1j, 1j, 1j]]))
    with pytest.raises(ValueError, match="numbers"):
        layer(np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match="w_max"):
        CrossbarDense(2, w_max=1e39)
    # with read noise, the layer's first call reads like Crossbar.matmul(x, step=0): the same chip, the same noise
    W = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    dense = CrossbarDense(3, device="hfox", read_noise=0.1, use_bias=False, seed=7)
    dense.build((None, 5))
    dense.kernel.assign(W)
    x = np.random.default_rng(2).random((4, 5)).astype(np.float32)
    xb = Crossbar(W, device="hfox", read_noise=0.1, seed=7)
    np.testing.assert_allclose(dense(x).numpy(), xb.matmul(x, step=0).numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dense(x).numpy(), xb.matmul(x, step=1).numpy(), rtol=1e-4, atol=1e-4)


def test_public_mapping_helpers_validate():
    with pytest.raises(ValueError, match="levels"):
        quantize_levels(np.ones(2), 1e-6, 1e-5, 1)
    with pytest.raises(ValueError, match="w_max"):
        map_weights(np.ones((2, 2)), 0.0, 1e-6, 1e-5)


@pytest.mark.parametrize("read", [{}, {"read_noise": 0.05, "adc_bits": 6}])
def test_on_off_outputs_are_the_read_and_its_exact_negative(read):
    # on_off=True: one read of each column pair feeds an ON (+y) and an OFF (−y) output, bias included
    rng = np.random.default_rng(3)
    x = (rng.random((2, 6, 6, 2)) < 0.5).astype("float32")
    kernel = rng.normal(size=(3, 3, 2, 3)).astype("float32")
    outs = []
    for on_off in (False, True):
        layer = CrossbarConv2D(3, 3, device="hfox", d2d_sigma=0.1, seed=9, on_off=on_off,
                               bias_initializer="ones", **read)
        layer.build((None, 6, 6, 2))
        layer.kernel.assign(kernel)
        outs.append(np.asarray(layer(x)))
    plain, paired = outs
    assert paired.shape == (2, 4, 4, 6)
    np.testing.assert_array_equal(paired[..., :3], plain)
    np.testing.assert_array_equal(paired[..., 3:], -plain)
    dense = CrossbarDense(4, device="hfox", seed=2, on_off=True)
    y = np.asarray(dense(x.reshape(2, -1)[:, :10]))
    np.testing.assert_array_equal(y[:, 4:], -y[:, :4])
    assert dense.effective_weights().shape == (10, 8)
    clone = CrossbarDense.from_config(dense.get_config())
    assert clone.on_off and clone.compute_output_shape((None, 10)) == (None, 8)
