"""LIF neuron: hand-worked trajectories, the analytic f–I curve, surrogate gradients, Keras plumbing."""

import math

import keras
import numpy as np
import pytest

from snnlib._quiet import tf
from snnlib.neurons import (
    DEFAULT_SLOPES,
    LIF,
    LIFCell,
    LIFParams,
    LIFState,
    decay_and_gain,
    fi_curve_analytic,
    fi_curve_simulated,
    lif_step,
    lif_update,
    simulate,
    spike_function,
)

HALF = 1.0 / math.log(2.0)  # tau (ms) that gives an exact decay of 1/2 per 1 ms step


# --------------------------------------------------------------------------- golden trajectories
def test_exact_zero_reset_by_hand():
    # decay 0.5, gain 0.5, I = 1.5: v = 0.75, then 0.375 + 0.75 = 1.125 >= 1 -> spike -> 0
    s, v = simulate(np.full(5, 1.5), tau=HALF, integration="exact", reset="zero")
    np.testing.assert_allclose(v, [0.75, 0.0, 0.75, 0.0, 0.75], atol=1e-6)
    np.testing.assert_array_equal(s, [0, 1, 0, 1, 0])


def test_euler_zero_reset_by_hand():
    # tau 4 ms, dt 1 ms: decay 0.75, gain 0.25
    s, v = simulate(np.array([2.0, 2.0, 2.0, 2.0, 0.0]), tau=4.0, integration="euler")
    np.testing.assert_allclose(v, [0.5, 0.875, 0.0, 0.5, 0.375], atol=1e-6)
    np.testing.assert_array_equal(s, [0, 0, 1, 0, 0])


def test_euler_subtract_reset_by_hand():
    s, v = simulate(np.full(4, 6.0), tau=4.0, integration="euler", reset="subtract")
    np.testing.assert_allclose(v, [0.5, 0.875, 1.15625, 1.3671875], atol=1e-6)
    np.testing.assert_array_equal(s, [1, 1, 1, 1])


def test_exact_subtract_reset_by_hand():
    # decay 0.5, gain 0.5, I = 3: 1.5 -> spike -> 0.5; 0.25 + 1.5 = 1.75 -> spike -> 0.75; 1.875 -> 0.875
    s, v = simulate(np.full(3, 3.0), tau=HALF, reset="subtract")
    np.testing.assert_allclose(v, [0.5, 0.75, 0.875], atol=1e-6)
    np.testing.assert_array_equal(s, [1, 1, 1])


def test_refractory_by_hand():
    # spikes at once, then 2 steps neither integrating nor firing, then again
    s, v = simulate(np.full(7, 3.0), tau=HALF, refractory=2)
    np.testing.assert_array_equal(s, [1, 0, 0, 1, 0, 0, 1])
    np.testing.assert_allclose(v, np.zeros(7), atol=1e-6)


def test_euler_and_exact_differ_and_converge():
    current = np.full(400, 1.5)
    _, v_exact = simulate(current, tau=20.0, threshold=10.0, dt=0.05)
    _, v_euler = simulate(current, tau=20.0, threshold=10.0, dt=0.05, integration="euler")
    t = 0.05 * np.arange(1, 401)
    analytic = 1.5 * (1 - np.exp(-t / 20.0))
    assert np.max(np.abs(v_exact - analytic)) < 1e-5  # exact for a constant input
    err = np.max(np.abs(v_euler - analytic))
    assert 1e-5 < err < 5e-3  # first-order error, small at dt = 0.05 ms


def test_spike_uses_updated_potential_of_same_step():
    s, _ = simulate(np.array([1e6]), tau=20.0)
    assert s[0] == 1.0


# --------------------------------------------------------------------------- f–I curve
@pytest.mark.parametrize("refractory", [0, 3])
def test_fi_curve_matches_analytic_within_one_step(refractory):
    tau, theta = 20.0, 1.0
    currents = np.linspace(1.05, 6.0, 30)
    period_sim = 1.0 / fi_curve_simulated(currents, tau=tau, threshold=theta, refractory=refractory, steps=4000)
    period_ana = 1.0 / fi_curve_analytic(currents, tau=tau, threshold=theta, t_ref=float(refractory))
    diff = period_sim - period_ana
    # the simulated period is the analytic one rounded up to a whole step
    assert np.all(diff >= -1e-6) and np.all(diff < 1.0), diff


def test_no_spike_below_rheobase():
    currents = np.array([0.0, 0.5, 0.9, 0.999, 1.0])
    s, v = simulate(np.tile(currents, (3000, 1)), tau=20.0, threshold=1.0)
    assert s.sum() == 0
    assert v.max() < 1.0
    assert np.all(fi_curve_analytic(currents) == 0)
    assert np.all(fi_curve_simulated(currents) == 0)


# --------------------------------------------------------------------------- surrogate gradients
@pytest.mark.parametrize("name,slope,at_threshold", [("fast_sigmoid", 25.0, 1.0), ("arctan", 2.0, 1.0)])
def test_surrogate_forward_is_heaviside_and_gradient_nonzero(name, slope, at_threshold):
    f = spike_function(name, slope)
    x = tf.constant([-1.0, -0.01, 0.0, 0.01, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    g = tape.gradient(y, x).numpy()
    np.testing.assert_array_equal(y.numpy(), [0, 0, 1, 1, 1])
    assert np.all(np.isfinite(g)) and np.all(g > 0)
    assert g[2] == pytest.approx(at_threshold)
    assert g[2] > g[1] > g[0]  # peaked at the threshold


def test_gradient_flows_through_rnn_to_input_weights():
    tf.random.set_seed(0)
    model = keras.Sequential([
        keras.Input((20, 3)),
        keras.layers.Dense(5, kernel_initializer=keras.initializers.Constant(0.6)),
        keras.layers.RNN(LIFCell(5, tau=5.0), return_sequences=True),
    ])
    x = tf.ones((2, 20, 3))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x))
    grads = tape.gradient(loss, model.trainable_weights)
    kernel_grad = grads[0].numpy()
    assert np.all(np.isfinite(kernel_grad)) and np.abs(kernel_grad).sum() > 0


def test_training_tau_and_threshold_stay_positive():
    cell = LIFCell(3, train_tau=True, train_threshold=True, per_neuron=True)
    layer = keras.layers.RNN(cell, return_sequences=True)
    x = tf.ones((1, 10, 3)) * 2.0
    layer(x)
    assert cell.tau.shape == (3,) and cell.tau.trainable and cell.threshold.trainable
    opt = keras.optimizers.SGD(learning_rate=1e6)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x))  # pushing spikes down raises threshold; both step hard
    opt.apply_gradients(zip(tape.gradient(loss, layer.trainable_weights), layer.trainable_weights))
    with tf.GradientTape() as tape:
        loss = -tf.reduce_sum(layer(x))
    opt.apply_gradients(zip(tape.gradient(loss, layer.trainable_weights), layer.trainable_weights))
    assert np.all(cell.tau.numpy() >= 1e-3) and np.all(cell.threshold.numpy() >= 1e-3)


# --------------------------------------------------------------------------- Keras plumbing
def test_cell_matches_pure_simulation():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 3, size=(30, 4)).astype(np.float32)
    cell = LIFCell(4, tau=7.0, threshold=1.2, reset="subtract", refractory=1, integration="euler")
    out = keras.layers.RNN(cell, return_sequences=True)(x[None])[0].numpy()
    s, _ = simulate(x, tau=7.0, threshold=1.2, reset="subtract", refractory=1, integration="euler")
    np.testing.assert_array_equal(out, s)


def test_get_config_round_trip():
    cell = LIFCell(7, tau=12.0, threshold=0.5, reset="subtract", refractory=2, dt=0.5, integration="euler",
                   surrogate="arctan", surrogate_slope=3.0, train_tau=True, per_neuron=True)
    config = cell.get_config()
    assert LIFCell.from_config(config).get_config() == config


def test_model_save_and_load(tmp_path):
    model = keras.Sequential([
        keras.Input((15, 2)),
        keras.layers.Dense(3),
        keras.layers.RNN(LIFCell(3, tau=8.0, refractory=1, train_threshold=True), return_sequences=True),
    ])
    x = np.random.default_rng(0).uniform(0, 4, (2, 15, 2)).astype(np.float32)
    path = tmp_path / "lif.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(model(x).numpy(), loaded(x).numpy())
    assert loaded.layers[1].cell.refractory == 1


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,word", [
    (dict(tau=0.0), "tau"), (dict(tau=-5), "tau"), (dict(tau=float("nan")), "tau"), (dict(tau="fast"), "tau"),
    (dict(dt=0), "dt"), (dict(threshold=0), "threshold"), (dict(threshold=-1), "threshold"),
    (dict(reset="hard"), "reset"), (dict(integration="rk4"), "integration"),
    (dict(surrogate="relu"), "surrogate"), (dict(refractory=-1), "refractory"),
    (dict(refractory=1.5), "refractory"), (dict(surrogate_slope=0), "surrogate_slope"),
])
def test_cell_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        LIFCell(4, **kwargs)


def test_bad_choice_lists_the_allowed_values():
    with pytest.raises(ValueError, match="'zero', 'subtract'"):
        LIFCell(2, reset="hard")


@pytest.mark.parametrize("units", [0, -3, 2.5, True])
def test_cell_rejects_bad_units(units):
    with pytest.raises(ValueError, match="units"):
        LIFCell(units)


def test_simulate_rejects_nan_and_bad_tau():
    with pytest.raises(ValueError, match="NaN"):
        simulate(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="tau"):
        simulate(np.ones(3), tau=0)


def test_cell_says_when_the_input_width_is_wrong():
    with pytest.raises(ValueError, match="Dense"):
        keras.layers.RNN(LIFCell(4))(np.ones((2, 5, 3), np.float32))


# --------------------------------------------------------------------------- physics-audit regressions
def test_gain_keeps_its_digits_when_dt_is_tiny():
    # Gerstner et al. 2014 eq. 1.11: from rest, I = 2θ first reaches θ at t* = τ ln(I / (I − θ)) = τ ln 2.
    # τ = 1000 ms, dt = 0.01 ms: t*/dt = 69 314.7, so the first spike is on step 69 315 (1-based).
    # With gain = 1 − exp(−dt/τ) in float32 (1.3e-2 relative error) it came at step 69 270.
    tau, dt, steps = 1000.0, 0.01, 69_400
    s, _ = simulate(np.full((steps, 1), 2.0), tau=tau, dt=dt, threshold=1.0)
    first = int(np.flatnonzero(s[:, 0])[0]) + 1
    assert first == math.ceil(tau * math.log(2.0) / dt) == 69_315


def test_decay_and_gain_use_expm1():
    x = 1e-6  # dt/τ
    _, g_np = decay_and_gain(1.0, x)
    _, g_tf = decay_and_gain(tf.constant(1.0, tf.float32), tf.constant(x, tf.float32))
    exact = -math.expm1(-x)
    assert abs(g_np - exact) / exact < 1e-15
    assert abs(float(g_tf) - exact) / exact < 1e-6  # float32 1 − exp(−x) would be off by ~5e-2


@pytest.mark.parametrize("dt, tau", [(1.0, 1.0), (2.0, 1.0), (50.0, 20.0)])
def test_euler_with_dt_at_or_above_tau_is_refused(dt, tau):
    with pytest.raises(ValueError, match=r"dt < tau.*dt = .* ms and tau = .* ms"):
        simulate(np.ones(5), tau=tau, dt=dt, integration="euler")
    with pytest.raises(ValueError, match="dt < tau"):
        LIFCell(2, tau=tau, dt=dt, integration="euler")
    # the exact update has no such limit, and no spike below rheobase (I = 0.9 θ)
    s, _ = simulate(np.full(50, 0.9), tau=tau, dt=dt, integration="exact")
    assert s.sum() == 0


def test_euler_trainable_tau_stays_at_or_above_dt():
    cell = LIFCell(3, tau=2.0, dt=1.0, integration="euler", train_tau=True, per_neuron=True)
    model = keras.Sequential([keras.Input((20, 3)), keras.layers.RNN(cell, return_sequences=True)])
    x = np.full((1, 20, 3), 0.5, dtype="float32")
    opt = keras.optimizers.SGD(50.0)
    for _ in range(5):  # push τ down hard: more spikes wanted, and a short τ gives them
        with tf.GradientTape() as tape:
            loss = -tf.reduce_sum(model(x)) + tf.reduce_sum(cell.tau) * 10.0  # both push τ down
        opt.apply_gradients(zip(tape.gradient(loss, [cell.tau]), [cell.tau]))
    assert float(tf.reduce_min(cell.tau)) >= 1.0
    assert float(tf.reduce_min(cell.tau)) == pytest.approx(1.0)  # it was pushed all the way to dt, and held


@pytest.mark.parametrize("kwargs, word", [
    (dict(tau=1e39), "tau"), (dict(threshold=1e39), "threshold"), (dict(threshold=3 + 0j), "threshold"),
    (dict(dt="1"), "dt"), (dict(refractory=2**40), "refractory"),
])
def test_values_outside_float32_or_of_the_wrong_kind_are_refused(kwargs, word):
    with pytest.raises(ValueError, match=word):
        LIFCell(2, **kwargs)
    with pytest.raises(ValueError, match=word):
        simulate(np.ones(3), **kwargs)


def test_nan_v0_complex_current_and_int_dtype_are_refused():
    with pytest.raises(ValueError, match="v0"):
        simulate(np.ones(3), v0=float("nan"))
    with pytest.raises(ValueError, match="complex"):
        simulate(np.ones(3) + 1j)
    with pytest.raises(ValueError, match="floating-point dtype"):
        LIFCell(2, dtype="int32")


# --------------------------------------------------------------------------- LIFParams and LIFState
@pytest.mark.parametrize("kwargs, message", [
    (dict(tau=0.0), r"^tau must be a finite number > 0 \(in ms\)"),
    (dict(tau=float("inf")), r"^tau must be a finite number > 0"),
    (dict(threshold=-1.0), r"^threshold must be a finite number > 0"),
    (dict(threshold=1e39), r"^threshold must be at most 3\.40282e\+38"),
    (dict(reset="hard"), r"^reset must be one of 'zero', 'subtract'"),
    (dict(refractory=1.5), r"^refractory must be an integer >= 0"),
    (dict(refractory=-1), r"^refractory must be an integer >= 0"),
    (dict(dt=0), r"^dt must be a finite number > 0 \(in ms\)"),
    (dict(dt="1"), r"^dt must be a number > 0"),
    (dict(integration="rk4"), r"^integration must be one of 'exact', 'euler'"),
    (dict(integration="euler", tau=1.0, dt=1.0), r"^integration='euler' needs dt < tau"),
])
def test_lif_params_make_names_each_bad_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LIFParams.make(**kwargs)


def test_lif_params_defaults_types_and_gain():
    p = LIFParams.make(tau=np.float32(10.0), refractory=np.int64(2))
    assert p == LIFParams(tau=10.0, threshold=1.0, reset="zero", refractory=2, dt=1.0, integration="exact")
    assert [type(f) for f in p] == [float, float, str, int, float, str]  # plain Python values: hashable
    assert hash(p) == hash(LIFParams.make(tau=10.0, refractory=2))
    assert LIFParams.make() == LIFParams()  # the defaults of simulate and LIFCell
    assert p.gain == -math.expm1(-0.1)
    assert LIFParams.make(tau=4.0, integration="euler").gain == 0.25
    assert float(p.as_tensors().gain) == pytest.approx(-math.expm1(-0.1), rel=1e-6)


def test_lif_params_are_immutable_and_replace_validates():
    p = LIFParams.make(tau=10.0)
    with pytest.raises(AttributeError):
        p.tau = 5.0
    q = p.replace(tau=5.0, reset="subtract")
    assert (p.tau, p.reset, q.tau, q.reset) == (10.0, "zero", 5.0, "subtract")
    with pytest.raises(ValueError, match="^tau"):
        p.replace(tau=-1.0)
    with pytest.raises(ValueError, match="euler"):
        p.replace(integration="euler", dt=20.0)
    with pytest.raises(TypeError, match="'taus'"):
        p.replace(taus=1.0)


def test_lif_state_zeros():
    s = LIFState.zeros((2, 3))
    assert s.v.shape == s.refrac.shape == (2, 3) and s.v.dtype == tf.float32
    assert not np.any(s.v.numpy()) and not np.any(s.refrac.numpy())
    assert LIFState.zeros(tf.constant([4]), "float64").v.dtype == tf.float64


@pytest.mark.parametrize("fields", [
    dict(tau=13.7, threshold=0.5, dt=0.3),  # a gain whose float32 and float64-rounded values differ
    dict(tau=7.3, threshold=1.1, dt=0.5, reset="subtract", refractory=3),
    dict(tau=4.0, threshold=0.8, integration="euler", refractory=1),
    dict(tau=1000.0, dt=0.1, threshold=4e-3),  # gain 1e-4: the digits -expm1 keeps
])
def test_lif_step_on_lif_state_equals_simulate_bit_for_bit(fields):
    x = np.random.default_rng(3).uniform(-1.0, 3.0, (60, 3, 4)).astype(np.float32)
    params = LIFParams.make(**fields)
    state = LIFState.zeros((3, 4))
    spikes, volts = [], []
    for t in range(len(x)):
        s, state = lif_step(tf.constant(x[t]), state, params)
        spikes.append(s.numpy())
        volts.append(state.v.numpy())
    s_sim, v_sim = simulate(x, params)
    assert 0 < s_sim.sum() < s_sim.size  # some spikes, not all
    np.testing.assert_array_equal(np.stack(spikes), s_sim)
    np.testing.assert_array_equal(np.stack(volts), v_sim)
    s_kw, v_kw = simulate(x, **fields)  # the keywords build the same record
    np.testing.assert_array_equal(s_kw, s_sim)
    np.testing.assert_array_equal(v_kw, v_sim)


def test_lif_step_matches_lif_update_and_counts_refractory_down():
    params = LIFParams.make(tau=HALF, refractory=2)
    s, state = lif_step(tf.constant([3.0, 0.5]), LIFState.zeros((2,)), params)
    np.testing.assert_array_equal(s, [1.0, 0.0])
    np.testing.assert_array_equal(state.refrac, [2.0, 0.0])
    np.testing.assert_allclose(state.v, [0.0, 0.25], atol=1e-7)
    s2, v2, r2 = lif_update(tf.constant([3.0, 0.5]), tf.zeros(2), tf.zeros(2), gain=tf.constant(0.5),
                            threshold=tf.constant(1.0), refractory=2)
    np.testing.assert_array_equal(s2, s)
    np.testing.assert_array_equal(v2, state.v)
    np.testing.assert_array_equal(r2, state.refrac)
    _, v3, r3 = lif_update(tf.ones(2), tf.zeros(2), None, gain=0.5, threshold=1.0)
    assert r3 is None and np.allclose(v3, 0.5)


def test_params_holding_tensors_run_in_tf_function_without_retracing():
    traces = []

    @tf.function
    def run(x, params):
        traces.append(1)

        def step(carry, current):  # LIFState as the tf.scan carry, LIFParams closed over
            state, _ = carry
            s, state = lif_step(current, state, params)
            return state, s

        states, spikes = tf.scan(step, x, initializer=(LIFState.zeros(tf.shape(x)[1:]), tf.zeros(tf.shape(x)[1:])))
        return spikes, states.v

    x = np.random.default_rng(0).uniform(0.0, 3.0, (40, 5)).astype(np.float32)
    outs = []
    for fields in [dict(tau=5.0, threshold=1.0), dict(tau=20.0, threshold=1.5, dt=0.5)]:
        params = LIFParams.make(refractory=1, **fields)
        spikes, volts = run(tf.constant(x), params.as_tensors())
        s_sim, v_sim = simulate(x, params)
        np.testing.assert_array_equal(spikes.numpy(), s_sim)
        np.testing.assert_allclose(volts.numpy(), v_sim, atol=1e-6)  # gain in float32 here, float64 in simulate
        outs.append(spikes.numpy())
    assert len(traces) == 1  # new tau, threshold and dt: the same trace
    assert not np.array_equal(outs[0], outs[1])  # ...and the new values took effect
    run(tf.constant(x), LIFParams.make(reset="subtract").as_tensors())
    assert len(traces) == 2  # the reset rule picks the graph


def test_simulate_takes_params_or_keywords_not_both():
    x = np.full(8, 1.5)
    p = LIFParams.make(tau=HALF)
    np.testing.assert_array_equal(simulate(x, p)[0], simulate(x, tau=HALF)[0])
    with pytest.raises(ValueError, match="not both"):
        simulate(x, p, tau=5.0)
    with pytest.raises(ValueError, match="LIFParams"):
        simulate(x, 20.0)
    with pytest.raises(TypeError, match="'taus'"):
        simulate(x, taus=5.0)
    with pytest.raises(ValueError, match="^tau"):  # a raw record is validated at the boundary too
        simulate(x, LIFParams(tau=-1.0))
    with pytest.raises(ValueError, match="^threshold"):
        LIFCell(2, threshold=-1.0)


def test_cell_keeps_its_params():
    cell = LIFCell(3, tau=9.0, refractory=2, dt=0.5, integration="euler")
    assert cell.params == LIFParams.make(tau=9.0, refractory=2, dt=0.5, integration="euler")
    assert (cell.tau_init, cell.refractory, cell.dt, cell.integration) == (9.0, 2, 0.5, "euler")


# --------------------------------------------------------------------------- per-surrogate slopes
@pytest.mark.parametrize("surrogate", ["fast_sigmoid", "arctan"])
def test_default_slopes_peak_at_exactly_one(surrogate):
    x = tf.constant([0.0, 0.1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = spike_function(surrogate)(x)
    assert tape.gradient(y, x).numpy()[0] == 1.0
    cell = LIFCell(1, surrogate=surrogate)
    assert cell.surrogate_slope == DEFAULT_SLOPES[surrogate]
    # through the layer: Euler tau 2 ms, dt 1 ms gives gain 1/2, and I = 2 puts v exactly on θ = 1
    layer = LIF(1, tau=2.0, integration="euler", surrogate=surrogate)
    current = tf.constant([[[2.0]]])
    with tf.GradientTape() as tape:
        tape.watch(current)
        spikes = layer(current)
    assert spikes.numpy().item() == 1.0
    assert tape.gradient(spikes, current).numpy().item() == 0.5  # gain · 1.0


def test_default_slopes_are_those_of_snntorch():
    assert DEFAULT_SLOPES == {"fast_sigmoid": 25.0, "arctan": 2.0}


def test_surrogate_slope_given_explicitly_is_kept():
    cell = LIFCell(2, surrogate="arctan", surrogate_slope=25.0)
    assert cell.surrogate_slope == 25.0 and cell.get_config()["surrogate_slope"] == 25.0
    assert LIFCell.from_config(cell.get_config()).surrogate_slope == 25.0
    layer = LIF(1, tau=2.0, integration="euler", surrogate="arctan", surrogate_slope=25.0)
    current = tf.constant([[[2.0]]])
    with tf.GradientTape() as tape:
        tape.watch(current)
        spikes = layer(current)
    assert tape.gradient(spikes, current).numpy().item() == 6.25  # gain 1/2 · peak k/2 = 12.5


def test_default_slope_is_saved_resolved():
    config = LIFCell(2, surrogate="arctan").get_config()
    assert config["surrogate_slope"] == 2.0  # a saved model keeps its slope if a default changes
    assert LIFCell.from_config(config).get_config() == config


# --------------------------------------------------------------------------- the LIF layer
def test_lif_layer_is_rnn_of_lifcell_and_matches_simulate():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 3, size=(2, 30, 4)).astype(np.float32)
    kw = dict(tau=7.0, threshold=1.2, reset="subtract", refractory=1, integration="euler")
    layer = LIF(4, **kw)
    out = layer(x).numpy()
    assert out.shape == (2, 30, 4) and layer.units == 4 and layer.params == LIFParams.make(**kw)
    np.testing.assert_array_equal(out, keras.layers.RNN(LIFCell(4, **kw), return_sequences=True)(x).numpy())
    np.testing.assert_array_equal(out[1], simulate(x[1], **kw)[0])
    last, v, refrac = LIF(4, return_sequences=False, return_state=True, **kw)(x)
    np.testing.assert_array_equal(last.numpy(), out[:, -1])
    assert v.shape == refrac.shape == (2, 4) and set(np.unique(refrac.numpy())) <= {0.0, 1.0}


def test_lif_layer_config_round_trip():
    layer = LIF(5, tau=12.0, threshold=0.5, reset="subtract", refractory=2, dt=0.5, integration="euler",
                surrogate="arctan", train_tau=True, per_neuron=True, return_state=True, go_backwards=True,
                name="spiking")
    config = layer.get_config()
    assert "cell" not in config and config["surrogate_slope"] == 2.0 and config["return_sequences"] is True
    again = LIF.from_config(config)
    assert again.get_config() == config
    assert again.go_backwards and again.return_state and again.name == "spiking"
    assert again.cell.get_config() == {**layer.cell.get_config(), "name": again.cell.name}


def test_lif_layer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="^tau"):
        LIF(3, tau=0.0)
    with pytest.raises(ValueError, match="^surrogate_slope"):
        LIF(3, surrogate_slope=-2.0)
    with pytest.raises(ValueError, match="Dense"):
        keras.Sequential([keras.Input((5, 2)), LIF(3)])


def test_lif_layer_save_and_load_bit_for_bit(tmp_path):
    model = keras.Sequential([
        keras.Input((25, 3)),
        keras.layers.Dense(4, kernel_initializer=keras.initializers.RandomUniform(0.3, 1.0, seed=1)),
        LIF(4, tau=10.0, refractory=1, surrogate="arctan", train_tau=True, train_threshold=True,
            per_neuron=True),
    ])
    x = np.random.default_rng(0).uniform(0, 2, (3, 25, 3)).astype(np.float32)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    model.fit(x, np.full((3, 25, 4), 0.3, np.float32), epochs=1, verbose=0)  # tau, θ leave their initial values
    assert np.any(model.layers[1].cell.tau.numpy() != 10.0)
    assert np.any(model.layers[1].cell.threshold.numpy() != 1.0)
    path = tmp_path / "lif_layer.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.layers[1]) is LIF and loaded.layers[1].get_config() == model.layers[1].get_config()
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    np.testing.assert_array_equal(loaded.layers[1].cell.tau.numpy(), model.layers[1].cell.tau.numpy())
    assert model(x).numpy().sum() > 0

    def input_gradient(m):
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = tf.reduce_sum(m(xt))
        return tape.gradient(out, xt).numpy()

    np.testing.assert_array_equal(input_gradient(loaded), input_gradient(model))  # the same surrogate
    fresh = keras.Sequential.from_config(model.get_config())
    fresh.set_weights(model.get_weights())
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_thresholds_below_the_smallest_float32_are_refused():
    with pytest.raises(ValueError, match="threshold must be at least"):
        simulate(np.zeros(5), threshold=1e-50)


def test_remaining_validation_gaps_of_the_review():
    from snnlib.neurons import decay_and_gain

    with pytest.raises(ValueError, match="v0"):
        simulate(np.ones(3), v0=1e39)
    with pytest.raises(ValueError, match="dt < tau"):
        decay_and_gain(1.0, 3.0, "euler")
    assert decay_and_gain(4.0, 1.0, "euler") == (0.75, 0.25)
    with pytest.raises(ValueError, match="steps"):
        fi_curve_simulated(np.ones(3), steps=10**12)
