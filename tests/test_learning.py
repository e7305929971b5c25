"""snnlib.learning: the digits network on a chip — encodings, training, save/load, fresh chips, hardware-aware."""

import numpy as np
import pytest

from snnlib import learning as L
from snnlib.crossbar import Crossbar
from snnlib.data import load_digits_split

SMALL = dict(hidden=48, steps=10)


@pytest.fixture(scope="module")
def data():
    return load_digits_split()


@pytest.fixture(scope="module")
def trained(data):
    """A very short ideal training (5 epochs, 48 neurons): the shared model of these tests."""
    return L.train_digits(data, epochs=5, **SMALL)


# ----------------------------------------------------------------------------- encodings
def test_encodings_shape_and_determinism(data):
    x = data.x_test[:20]
    r = L.encode_digits(x, 12, "rate", seed=3)
    assert r.shape == (20, 12, 64) and r.dtype == np.float32
    assert set(np.unique(r)) <= {0.0, 1.0}
    np.testing.assert_array_equal(r, L.encode_digits(x, 12, "rate", seed=3))
    assert not np.array_equal(r, L.encode_digits(x, 12, "rate", seed=4))
    # mean rate per pixel follows the intensity (p = x per step)
    many = L.encode_digits(np.repeat(x[:1], 200, axis=0), 25, "rate", seed=0)
    np.testing.assert_allclose(many.mean(axis=(0, 1)), x[0].ravel(), atol=0.03)
    lat = L.encode_digits(x.reshape(20, 64), 12, "latency")
    assert lat.shape == (20, 12, 64)
    assert lat.sum(axis=1).max() == 1.0                        # at most one spike per pixel
    assert np.all(lat[:, 0, :][x.reshape(20, 64) == 1.0] == 1.0)  # brightest pixels fire first


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=26), "steps"), (dict(steps=0), "steps"), (dict(code="delta"), "code"),
    (dict(x=np.zeros((3, 7, 7))), "8, 8"), (dict(x=np.full((2, 64), 1.5)), "<= 1.0"),
])
def test_encode_refuses_bad_arguments(kwargs, match):
    args = dict(x=np.zeros((2, 8, 8)), steps=5, code="rate") | kwargs
    with pytest.raises(ValueError, match=match):
        L.encode_digits(args.pop("x"), **args)


# ----------------------------------------------------------------------------- the model and training
def test_model_shapes_and_layers():
    m = L.build_digits_model(hidden=16, steps=7)
    assert m.input_shape == (None, 7, 64) and m.output_shape == (None, 10)
    tiles = L.crossbar_layers(m)
    assert [t.units for t in tiles] == [16, 10] and tiles[0].device.name == "hfox"
    assert tiles[0].seed == 0 and tiles[1].seed == L.tile_seed(0, 1) != 0
    assert L.lif_layer(m).units == 16
    with pytest.raises(ValueError, match="unknown option"):
        L.build_digits_model(chip={"sigma": 0.1})


def test_short_training_learns(trained):
    model, history = trained
    loss = history.history["loss"]
    assert loss[-1] < 0.6 * loss[0]
    x, y = model.snnlib_data
    assert x.shape == (450, 10, 64)
    assert L.accuracy(model, x, y) > 0.8          # 5 epochs, 48 neurons
    assert L.ideal_accuracy(model) > 0.8
    assert history.seconds > 0


def test_training_is_deterministic(data, trained):
    model, history = trained
    again, h2 = L.train_digits(data, epochs=5, **SMALL)   # the fixture's run, repeated
    assert h2.history["loss"] == history.history["loss"]
    for va, vb in zip(model.weights, again.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_keras_save_and_load_gives_identical_predictions(trained, tmp_path):
    import keras

    model, _ = trained
    x, _ = model.snnlib_data
    path = tmp_path / "digits.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(model.predict(x[:64], verbose=0), loaded.predict(x[:64], verbose=0))


def test_save_and_load_with_read_noise_restores_the_read_step(tmp_path, data):
    import keras

    model = L.build_digits_model(hidden=8, steps=4, chip={"read_noise": 0.05, "d2d_sigma": 0.2})
    x = L.encode_digits(data.x_test[:16], 4)
    model.predict(x, verbose=0)          # advances the read-noise counter
    model.save(tmp_path / "noisy.keras")
    loaded = keras.saving.load_model(tmp_path / "noisy.keras")
    a, b = model.predict(x, verbose=0), loaded.predict(x, verbose=0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, model.predict(x, verbose=0))  # read noise is fresh on every read


# ----------------------------------------------------------------------------- chips
def test_clone_on_chip_is_the_crossbar_of_that_seed(trained):
    model, _ = trained
    opts = dict(d2d_sigma=0.3, stuck_on_rate=0.05, stuck_off_rate=0.02)
    clone = L.clone_on_chip(model, 7, **opts)
    tile = L.crossbar_layers(clone)[0]
    W = L.crossbar_layers(model)[0].kernel.numpy()
    np.testing.assert_array_equal(tile.kernel.numpy(), W)        # trained weights copied
    ref = Crossbar(W, device="hfox", seed=7, **opts)
    g_pos, g_neg, _ = tile.conductances()
    np.testing.assert_allclose(g_pos.numpy(), ref.g_pos, rtol=1e-5)
    np.testing.assert_allclose(g_neg.numpy(), ref.g_neg, rtol=1e-5)
    # another seed is another chip; no seed keeps the model's chip
    other = L.crossbar_layers(L.clone_on_chip(model, 8, **opts))[0].conductances()[0].numpy()
    assert not np.allclose(other, g_pos.numpy())
    same = L.clone_on_chip(model)
    assert [t.seed for t in L.crossbar_layers(same)] == [t.seed for t in L.crossbar_layers(model)]
    x, y = model.snnlib_data
    assert L.accuracy(same, x, y) == L.accuracy(model, x, y)
    with pytest.raises(ValueError, match="unknown option"):
        L.clone_on_chip(model, 1, sigma=0.1)
    with pytest.raises(ValueError, match="d2d_sigma"):
        L.clone_on_chip(model, 1, d2d_sigma=-1.0)


def test_evaluate_on_chips_and_sweep(trained):
    model, _ = trained
    acc = L.evaluate_on_chips(model, chip_seeds=[1, 2, 3], d2d_sigma=0.5)
    assert acc.shape == (3,) and np.all((acc > 0.3) & (acc <= 1.0))
    np.testing.assert_array_equal(acc, L.evaluate_on_chips(model, chip_seeds=[1, 2, 3], d2d_sigma=0.5))
    assert len(set(acc.tolist())) > 1                                   # different chips, different errors
    sweep = L.accuracy_sweep(model, None, "stuck_on_rate", (0.0, 0.2), chip_seeds=[1, 2])
    assert sweep.accuracy.shape == (2, 2)
    assert sweep.mean[1] < sweep.mean[0] - 0.1                         # 20 % stuck-on devices hurt
    assert "stuck_on_rate" in sweep.table() and "±" in sweep.table()
    drift = L.accuracy_sweep(model, model.snnlib_data, "drift_time", (0.0, 1e6), chip_seeds=[1], device="pcm")
    assert drift.accuracy.shape == (2, 1)
    with pytest.raises(ValueError, match="parameter"):
        L.accuracy_sweep(model, None, "sigma", (0.1,))


def test_gradients_finite_with_every_non_ideality(data):
    import keras

    from snnlib._quiet import tf

    chip = dict(levels=16, programming="pulses", d2d_sigma=0.3, stuck_on_rate=0.02, stuck_off_rate=0.02,
                drift_time=100.0, read_noise=0.05, dac_bits=4, adc_bits=6)
    model = L.build_digits_model(hidden=12, steps=6, device="pcm", chip=chip, train_tau=True,
                                 train_threshold=True, per_neuron=True)
    x = L.encode_digits(data.x_train[:32], 6)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(data.y_train[:32], model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    assert len(grads) == 6  # 2 kernels, 2 biases, tau, threshold
    for g in grads:
        assert g is not None and np.all(np.isfinite(g.numpy()))
    assert any(np.abs(g.numpy()).max() > 0 for g in grads)


def test_chip_resampler_draws_fresh_chips_and_restores(data):
    model, _ = L.train_digits(data, epochs=1, hidden=8, steps=4, hardware_aware=True, chip_seed=5)
    tiles = L.crossbar_layers(model)
    assert tiles[0].seed == 5 and tiles[1].seed == L.tile_seed(5, 1)
    assert tiles[0].d2d_sigma == L.HARDWARE_AWARE_CHIP["d2d_sigma"]
    assert tiles[0].w_max is not None                                  # clipped in hardware-aware training
    fresh = L.build_digits_model(hidden=8, steps=4, chip_seed=5)
    np.testing.assert_array_equal(tiles[0].d2d_z.numpy(), L.crossbar_layers(fresh)[0].d2d_z.numpy())
    with pytest.raises(ValueError, match="hardware_aware"):
        L.train_digits(data, epochs=1, chip={"d2d_sigma": 0.1})


def test_hardware_aware_beats_ideal_at_many_stuck_devices(data, trained):
    """Fine-tuning with the chip in the loop (clipped weights, fresh chips) holds up where ideal training fails."""
    ideal, _ = trained
    hw, _ = L.train_hardware_aware(data, ideal=ideal, finetune_epochs=3, **SMALL)
    seeds = [11, 12, 13]   # chips neither network saw
    a_ideal = L.evaluate_on_chips(ideal, chip_seeds=seeds, stuck_on_rate=0.1, read_noise=0.0, d2d_sigma=0.0)
    a_hw = L.evaluate_on_chips(hw, chip_seeds=seeds, stuck_on_rate=0.1, read_noise=0.0, d2d_sigma=0.0)
    assert a_hw.mean() > a_ideal.mean() + 0.05, (a_hw, a_ideal)


def test_learnable_tau_and_threshold(data):
    model, _ = L.train_digits(data, epochs=2, hidden=16, steps=8, train_tau=True, train_threshold=True,
                              per_neuron=True)
    p = L.learned_lif_parameters(model)
    assert p["tau"].shape == (16,) and p["threshold"].shape == (16,)
    assert np.all(p["tau"] > 0) and np.all(p["threshold"] > 0)
    assert np.std(p["tau"]) > 0 and np.std(p["threshold"]) > 0        # they moved, each its own way
    fixed = L.learned_lif_parameters(L.build_digits_model(hidden=4, steps=3))
    assert fixed["tau"].tolist() == [10.0] and fixed["threshold"].tolist() == pytest.approx([0.3])
