"""snnlib.nir: Keras ⇄ NIR export and import (round trips, layouts, hand-worked single-neuron traces)."""

from __future__ import annotations

import math

import keras
import nir  # a dependency in requirements.txt (pyproject: the optional extra "nir"): these tests always run
import numpy as np
import pytest

from snnlib.crossbar import Crossbar, CrossbarDense
from snnlib.learning import build_digits_model
from snnlib.neurons import LIF
from snnlib.nir import READOUT_KEY, from_nir, to_nir

RNG = np.random.default_rng(1234)


def _chain(*nodes, shape):
    names = ["input"] + [f"n{i}" for i in range(len(nodes))] + ["output"]
    out_shape = nodes[-1].output_type["output"]
    all_nodes = dict(zip(names, [nir.Input(input_type=np.array(shape)), *nodes, nir.Output(output_type=out_shape)]))
    return nir.NIRGraph(nodes=all_nodes, edges=list(zip(names[:-1], names[1:])), type_check=False)


def _lif_net():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((20, 6)),
        keras.layers.Dense(9, kernel_initializer=keras.initializers.RandomUniform(-0.3, 0.6, seed=0), name="fc1"),
        LIF(9, tau=5.0, threshold=0.4, name="lif1"),
        keras.layers.Dense(4, use_bias=False, kernel_initializer=keras.initializers.RandomUniform(0.0, 0.5, seed=1),
                           name="fc2"),
        LIF(4, tau=8.0, threshold=0.3, name="lif2"),
    ])


def test_round_trip_through_file_gives_identical_spikes(tmp_path):
    model = _lif_net()
    graph = to_nir(model, dt=1.0)
    assert list(graph.nodes) == ["input", "fc1", "lif1", "fc2", "lif2", "output"]
    assert isinstance(graph.nodes["fc1"], nir.Affine) and isinstance(graph.nodes["fc2"], nir.Linear)
    lif = graph.nodes["lif1"]
    np.testing.assert_allclose(lif.tau, 0.005)  # seconds
    assert lif.metadata["integration"] == "exact" and lif.metadata["reset"] == "zero"
    path = tmp_path / "net.nir"
    nir.write(path, graph)
    loaded = from_nir(path, dt=1.0)
    x = RNG.uniform(0.0, 1.5, (3, 20, 6)).astype("float32")
    want, got = np.asarray(model(x)), np.asarray(loaded(x))
    assert want.sum() > 0  # the test means something: the output layer spikes
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(loaded.get_layer("lif1").cell.tau.numpy(), model.get_layer("lif1").cell.tau.numpy())


def test_crossbar_dense_exports_the_chips_effective_weights():
    layer = CrossbarDense(5, device="hfox", d2d_sigma=0.05, stuck_off_rate=0.05, seed=7, name="chip")
    model = keras.Sequential([keras.Input((4, 6)), layer])
    graph = to_nir(model, dt=1.0)
    node = graph.nodes["chip"]
    W = layer.kernel.numpy()
    want = Crossbar(W, device="hfox", d2d_sigma=0.05, stuck_off_rate=0.05, seed=7).effective_weights()
    assert not np.allclose(want, W, atol=1e-3)  # the chip is not the kernel
    assert node.weight.shape == (5, 6)  # NIR (out, in)
    np.testing.assert_allclose(node.weight, want.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(node.bias, layer.bias.numpy())
    assert node.metadata["device"] == "hfox" and node.metadata["chip_seed"] == 7


def test_affine_layout_on_an_asymmetric_matrix():
    W = np.arange(15, dtype=np.float32).reshape(3, 5) - 4.0  # (out, in), no symmetry
    b = np.array([0.5, -1.0, 2.0], np.float32)
    model = from_nir(_chain(nir.Affine(weight=W, bias=b), shape=[5]), dt=1.0)
    x = RNG.normal(size=(2, 3, 5)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)), x @ W.T + b, rtol=1e-5, atol=1e-5)
    back = to_nir(model, dt=1.0)
    np.testing.assert_array_equal(back.nodes["n0"].weight, W)


def _conv_reference(x, w, b):  # x [H, W, Cin] channels-last, w (Cout, Cin, kH, kW): PyTorch's cross-correlation
    co, ci, kh, kw = w.shape
    H, Wd = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.zeros((H, Wd, co))
    for i in range(H):
        for j in range(Wd):
            out[i, j] = np.einsum("hwc,ochw->o", x[i:i + kh, j:j + kw], w) + b
    return out


def test_conv2d_layout_on_an_asymmetric_kernel():
    w = RNG.normal(size=(2, 3, 3, 2)).astype(np.float32)  # (C_out, C_in, kH=3, kW=2)
    b = np.array([0.1, -0.2], np.float32)
    conv = nir.Conv2d(input_shape=(5, 4), weight=w, stride=1, padding=0, dilation=1, groups=1, bias=b)
    model = from_nir(_chain(conv, shape=[3, 5, 4]), dt=1.0)
    x = RNG.normal(size=(1, 2, 5, 4, 3)).astype("float32")  # [batch, T, H, W, C]
    got = np.asarray(model(x))
    assert got.shape == (1, 2, 3, 3, 2)
    for t in range(2):
        np.testing.assert_allclose(got[0, t], _conv_reference(x[0, t], w, b), rtol=1e-4, atol=1e-5)


def test_conv_flatten_dense_export_round_trip_keeps_the_numbers():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((3, 6, 5, 2)),
        keras.layers.TimeDistributed(keras.layers.Conv2D(3, (3, 2)), name="conv"),
        keras.layers.Reshape((-1, 4 * 4 * 3), name="flat"),
        keras.layers.Dense(4, name="fc"),
        LIF(4, threshold=0.2, dt=0.5, name="lif"),
    ])
    graph = to_nir(model, dt=0.5)
    conv = graph.nodes["conv"]
    kernel = model.get_layer("conv").layer.kernel.numpy()
    np.testing.assert_array_equal(conv.weight, kernel.transpose(3, 2, 0, 1))
    assert conv.weight.shape == (3, 2, 3, 2)
    assert isinstance(graph.nodes["flat"], nir.Flatten)
    loaded = from_nir(graph, dt=0.5)
    x = RNG.uniform(0, 1, (2, 3, 6, 5, 2)).astype("float32")
    upto = lambda m, name: keras.Model(m.inputs[0], m.get_layer(name).output)  # noqa: E731
    np.testing.assert_allclose(np.asarray(upto(loaded, "fc")(x)), np.asarray(upto(model, "fc")(x)),
                               rtol=1e-5, atol=1e-5)


def test_lif_golden_trace_by_hand():
    # τ = 1/ln 2 ms, dt = 1 ms: decay 1/2, gain 1/2. I = 1.5, θ = 1: v = 0.75, 1.125 → spike, reset 0, …
    tau_s = np.array([1.0 / math.log(2.0) / 1000.0])
    node = nir.LIF(tau=tau_s, r=np.array([1.0]), v_leak=np.array([0.0]), v_threshold=np.array([1.0]))
    model = from_nir(_chain(node, shape=[1]), dt=1.0)
    assert model.get_layer("n0").params.tau == pytest.approx(1.0 / math.log(2.0))
    spikes = np.asarray(model(np.full((1, 6, 1), 1.5, np.float32)))[0, :, 0]
    np.testing.assert_array_equal(spikes, [0, 1, 0, 1, 0, 1])
    # r = 2 scales the input: I = 0.75 with r = 2 is the same neuron
    node2 = nir.LIF(tau=tau_s, r=np.array([2.0]), v_leak=np.array([0.0]), v_threshold=np.array([1.0]))
    spikes2 = np.asarray(from_nir(_chain(node2, shape=[1]), dt=1.0)(np.full((1, 6, 1), 0.75, np.float32)))
    np.testing.assert_array_equal(spikes2[0, :, 0], [0, 1, 0, 1, 0, 1])


def test_if_golden_trace_by_hand():
    # v ← v + r·I = v + 0.3 per step (no dt): 0.3, 0.6, 0.9, 1.2 → spike, reset to 0.25; 0.55, 0.85, 1.15 → spike …
    node = nir.IF(r=np.array([0.5]), v_threshold=np.array([1.0]), v_reset=np.array([0.25]))
    want = [0, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    for dt in (1.0, 0.1):  # an IF step does not depend on dt
        model = from_nir(_chain(node, shape=[1]), dt=dt)
        spikes = np.asarray(model(np.full((1, 10, 1), 0.6, np.float32)))[0, :, 0]
        np.testing.assert_array_equal(spikes, want)


def test_li_and_cubalif_golden_traces_by_hand():
    tau = np.array([1.0 / math.log(2.0) / 1000.0])  # gain 1/2 per 1 ms step
    li = nir.LI(tau=tau, r=np.array([1.0]), v_leak=np.array([0.0]))
    v = np.asarray(from_nir(_chain(li, shape=[1]), dt=1.0)(np.ones((1, 3, 1), np.float32)))[0, :, 0]
    np.testing.assert_allclose(v, [0.5, 0.75, 0.875], rtol=1e-6)
    # i = 0.5, 0.75, 0.875; v = 0.25, 0.5, 0.6875 → spike at step 3 (θ = 0.6), reset to 0
    cuba = nir.CubaLIF(tau_syn=tau, tau_mem=tau, r=np.array([1.0]), v_leak=np.array([0.0]),
                       v_threshold=np.array([0.6]))
    s = np.asarray(from_nir(_chain(cuba, shape=[1]), dt=1.0)(np.ones((1, 4, 1), np.float32)))[0, :, 0]
    np.testing.assert_array_equal(s, [0, 0, 1, 0])


def test_unknown_node_is_refused_by_name():
    graph = _chain(nir.Affine(weight=np.eye(3), bias=np.zeros(3)), nir.Threshold(threshold=np.ones(3)), shape=[3])
    with pytest.raises(ValueError, match=r"'n1' is a Threshold"):
        from_nir(graph, dt=1.0)


def test_export_refuses_what_nir_cannot_hold():
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.Dense(3), LIF(3, reset="subtract", name="sub")])
    with pytest.raises(ValueError, match=r"'sub' has reset='subtract'"):
        to_nir(model, dt=1.0)
    with pytest.raises(ValueError, match="dt = 2 ms"):
        to_nir(keras.Sequential([keras.Input((5, 3)), LIF(3, name="l")]), dt=2.0)


def test_graph_as_norse_writes_it_loads_with_tau_in_ms(tmp_path):
    # Norse: τ in seconds (τ_mem = 2.5 ms → tau = 0.0025), r = 1, v_leak = 0, float32 arrays, dt = 1e-3 s
    n = 4
    f32 = lambda v: np.full(n, v, np.float32)  # noqa: E731
    nodes = {"input": nir.Input(input_type=np.array([3])),
             "0": nir.Affine(weight=RNG.normal(size=(n, 3)).astype(np.float32), bias=f32(0.0)),
             "1": nir.LIF(tau=f32(0.0025), r=f32(1.0), v_leak=f32(0.0), v_threshold=f32(1.0), v_reset=f32(0.0)),
             "output": nir.Output(output_type=np.array([n]))}
    graph = nir.NIRGraph(nodes=nodes, edges=[("input", "0"), ("0", "1"), ("1", "output")])
    nir.write(tmp_path / "norse.nir", graph)
    model = from_nir(tmp_path / "norse.nir", dt=1.0)
    lif = model.get_layer("1")
    assert lif.params.tau == pytest.approx(2.5, rel=1e-6) and lif.params.dt == 1.0


def test_digits_model_exports_with_its_readout_in_metadata(tmp_path):
    model = build_digits_model(hidden=16, steps=6, chip_seed=2)
    with pytest.raises(ValueError, match="'mean_over_time' averages over time"):
        to_nir(model, dt=1.0)
    graph = to_nir(model, dt=1.0, readout="metadata")
    assert graph.metadata[READOUT_KEY] == "mean_over_time"
    assert graph.nodes["synapses_in"].metadata["device"] == "hfox"
    nir.write(tmp_path / "digits.nir", graph)
    loaded = from_nir(tmp_path / "digits.nir", dt=1.0)
    x = (RNG.uniform(size=(4, 6, 64)) < 0.3).astype("float32")
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


@pytest.mark.parametrize("chip", [{}, {"d2d_sigma": 0.2, "stuck_off_rate": 0.03, "stuck_on_rate": 0.01},
                                  {"programming": "pulses", "mapping": "reference", "drift_time": 100.0}])
def test_digits_classifier_round_trip_gives_identical_hidden_spikes_and_logits(tmp_path, chip):
    # the crossbar layer's ideal read is x @ W_eff with the very W_eff that is exported, so the plain
    # Dense layers of the re-imported model compute the same float32 numbers: identical spikes
    device = "pcm" if "drift_time" in chip else "hfox"
    model = build_digits_model(hidden=32, steps=8, chip_seed=5, device=device, chip=chip)
    path = tmp_path / "digits.nir"
    nir.write(path, to_nir(model, dt=1.0, readout="metadata"))
    loaded = from_nir(path, dt=1.0)
    x = (RNG.uniform(size=(16, 8, 64)) < 0.3).astype("float32")
    hidden = lambda m: keras.Model(m.inputs[0], m.get_layer("lif").output)(x)  # noqa: E731
    want_spikes = np.asarray(hidden(model))
    assert 0.01 < want_spikes.mean() < 0.99  # the hidden layer spikes, and not on every step
    np.testing.assert_array_equal(np.asarray(hidden(loaded)), want_spikes)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def _small_extractor(**chip):
    from snnlib.data import synthetic_shapes
    from snnlib.edges import EdgeExtractor

    return EdgeExtractor(synthetic_shapes(40, noise=0.1)[0], steps=12, seed=4, **chip)


@pytest.mark.parametrize("setup", [dict(kernel="sobel", device="hfox", d2d_sigma=0.1),
                                   dict(kernel="dog", device="ag_si", stuck_off_rate=0.05),
                                   dict(kernel="trained", device="ideal", encoding="deterministic")])
def test_edge_network_is_the_pipeline_and_round_trips_with_identical_spikes(tmp_path, setup):
    from snnlib.networks import edge_map_from_spikes, edge_network, edge_network_input

    ex = _small_extractor(**setup)
    result = ex.run(tau=4.0, threshold=0.4)
    net = edge_network(ex, tau=4.0, threshold=0.4)
    x = edge_network_input(ex)
    spikes = np.asarray(net(x))
    assert spikes.shape == (1, 12, 40, 40, result.counts.shape[-1])
    # the Keras network is the pipeline: the same chip and the same spike counts (the pipeline's LIF scan is
    # an XLA program, so a count may differ where v lands within rounding of θ: we saw 4 in 7.4 million)
    counts = spikes[0].sum(axis=0)
    assert result.output_spikes > 100
    assert np.mean(counts != result.counts) < 1e-3
    np.testing.assert_allclose(edge_map_from_spikes(spikes), result.edges, atol=0.02)
    graph = to_nir(net, dt=1.0, metadata={"network": "edge"})
    assert [type(n).__name__ for n in graph.nodes.values()] == ["Input", "Conv2d", "Scale", "LIF", "Output"]
    conv = graph.nodes["crossbar_conv"]
    c = result.counts.shape[-1] // 2
    assert conv.weight.shape == (2 * c, 1, ex.kernel_weights.shape[0], ex.kernel_weights.shape[1])
    np.testing.assert_array_equal(conv.weight[c:], -conv.weight[:c])  # the OFF neurons get −I
    assert conv.metadata["device"] == setup["device"] and graph.metadata["network"] == "edge"
    nir.write(tmp_path / "edges.nir", graph)
    loaded = from_nir(tmp_path / "edges.nir", dt=1.0)
    np.testing.assert_array_equal(np.asarray(loaded(x)), spikes)


def test_edge_network_saves_and_loads_as_keras(tmp_path):
    from snnlib.networks import edge_network, edge_network_input

    ex = _small_extractor(kernel="sobel", device="hfox")
    net = edge_network(ex)
    net.save(tmp_path / "edges.keras")
    back = keras.saving.load_model(tmp_path / "edges.keras")
    x = edge_network_input(ex)
    np.testing.assert_array_equal(np.asarray(back(x)), np.asarray(net(x)))


def test_edge_network_refuses_read_time_effects():
    from snnlib.networks import edge_network

    with pytest.raises(ValueError, match="read_noise and adc_bits"):
        edge_network(_small_extractor(kernel="sobel", device="hfox", read_noise=0.02))


def _norse_style_conv_net():
    # a graph in the layout Norse and Sinabs write: Conv2d (C_out, C_in, kH, kW) with integer padding, SumPool2d,
    # Flatten of (C, H, W), Affine (out, in), then IF, LI and CubaLIF neurons; τ in seconds, float32 arrays
    f32 = lambda a: np.asarray(a, np.float32)  # noqa: E731
    rng = np.random.default_rng(7)
    nodes = {
        "input": nir.Input(input_type=np.array([2, 8, 7])),
        "conv": nir.Conv2d(input_shape=(8, 7), weight=f32(rng.normal(0.3, 0.5, (3, 2, 3, 2))), stride=1,
                           padding=(1, 1), dilation=1, groups=1, bias=f32([0.1, 0.0, -0.1])),
        "if_map": nir.IF(r=f32(np.full((3, 8, 8), 0.7)), v_threshold=f32(rng.uniform(0.5, 1.0, (3, 8, 8))),
                         v_reset=f32(np.zeros((3, 8, 8)))),
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([3, 4, 4])}, start_dim=0, end_dim=-1),
        "fc": nir.Affine(weight=f32(rng.normal(0.0, 0.3, (5, 48))), bias=f32(np.full(5, 0.05))),
        "lif": nir.LIF(tau=f32(np.full(5, 0.004)), r=f32(np.full(5, 1.5)), v_leak=f32(np.full(5, 0.02)),
                       v_threshold=f32(np.full(5, 0.5)), v_reset=f32(np.zeros(5))),
        "fc2": nir.Linear(weight=f32(rng.normal(0.8, 0.3, (4, 5)))),
        "cuba": nir.CubaLIF(tau_syn=f32(np.full(4, 0.002)), tau_mem=f32(np.full(4, 0.005)), r=f32(np.ones(4)),
                            v_leak=f32(np.zeros(4)), v_threshold=f32(np.full(4, 0.1)), v_reset=f32(np.zeros(4)),
                            w_in=f32(np.full(4, 2.0))),
        "fc3": nir.Linear(weight=f32(rng.normal(0.0, 0.5, (3, 4)))),
        "li": nir.LI(tau=f32(np.full(3, 0.01)), r=f32(np.ones(3)), v_leak=f32(np.zeros(3))),
        "output": nir.Output(output_type=np.array([3])),
    }
    names = list(nodes)
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names[:-1], names[1:])), type_check=False)


def test_imported_models_export_again_to_the_same_graph_and_spikes(tmp_path):
    graph = _norse_style_conv_net()
    model = from_nir(graph, dt=1.0)
    x = (RNG.uniform(size=(2, 10, 8, 7, 2)) < 0.4).astype("float32")
    want = np.asarray(model(x))
    assert np.abs(want).sum() > 0
    again = to_nir(model, dt=1.0)
    kinds = lambda g: [type(n).__name__ for n in g.nodes.values()]  # noqa: E731
    assert kinds(again) == kinds(graph)
    for name in ("conv", "fc", "fc2", "fc3"):
        np.testing.assert_array_equal(again.nodes[name].weight, graph.nodes[name].weight)
    assert tuple(np.asarray(again.nodes["conv"].padding).ravel()) == (1, 1)
    for field in ("r", "v_threshold"):
        np.testing.assert_array_equal(again.nodes["if_map"].__dict__[field], graph.nodes["if_map"].__dict__[field])
    for field in ("tau", "r", "v_leak", "v_threshold"):  # r and v_leak come back from the ScaleShift before it
        np.testing.assert_allclose(again.nodes["lif"].__dict__[field], graph.nodes["lif"].__dict__[field], rtol=1e-6)
    nir.write(tmp_path / "again.nir", again)
    np.testing.assert_array_equal(np.asarray(from_nir(tmp_path / "again.nir", dt=1.0)(x)), want)


def test_graph_as_snntorch_exports_it_runs_its_recurrence_with_euler():
    # snnTorch's export_nir (snntorch/export_nir.py): dt = 1e-4 s, Leaky β → tau = dt/(1 − β), r = tau/dt,
    # v_leak = 0; Synaptic α → tau_syn = dt/(1 − α), w_in = tau_syn/dt. Stepped by Euler with dt = 0.1 ms this
    # is snnTorch's own discrete neuron, U ← βU + I (Synaptic: I_syn ← α·I_syn + x, U ← βU + I_syn).
    dt_s, beta, alpha, n = 1e-4, 0.9, 0.8, 3
    tau_mem, tau_syn = dt_s / (1 - beta), dt_s / (1 - alpha)
    w = RNG.uniform(0.0, 0.4, (n, 2)).astype(np.float32)
    full = lambda v: np.full(n, v, np.float32)  # noqa: E731
    leaky = nir.LIF(tau=full(tau_mem), r=full(tau_mem / dt_s), v_leak=full(0.0), v_threshold=full(1.0))
    synaptic = nir.CubaLIF(tau_syn=full(tau_syn), tau_mem=full(tau_mem), r=full(tau_mem / dt_s), v_leak=full(0.0),
                           v_threshold=full(1.0), w_in=full(tau_syn / dt_s))
    x = RNG.uniform(0.0, 1.0, (1, 40, 2)).astype(np.float32)
    drive = x[0] @ w.T
    for node, synaptic_current in ((leaky, False), (synaptic, True)):
        graph = _chain(nir.Linear(weight=w), node, shape=[2])
        model = from_nir(graph, dt=0.1, integration="euler")
        got = np.asarray(model(x))[0]
        u, i_syn, want = np.zeros(n), np.zeros(n), []
        for t in range(40):  # the recurrence by hand, NIR's reset to v_reset = 0 on v ≥ θ
            i_syn = alpha * i_syn + drive[t] if synaptic_current else drive[t]
            u = beta * u + i_syn
            fired = u >= 1.0
            u = np.where(fired, 0.0, u)
            want.append(fired)
        want = np.array(want, np.float32)
        assert 0 < want.sum() < want.size
        np.testing.assert_array_equal(got, want)
    # the same graph read with the exact step is another neuron (the gain per step 1 − e^(−0.1), not 0.1)
    exact = np.asarray(from_nir(_chain(nir.Linear(weight=w), leaky, shape=[2]), dt=0.1)(x))[0]
    assert not np.array_equal(exact, want)


def test_export_refuses_onoff_without_a_linear_layer_and_a_lone_shift():
    from snnlib.networks import OnOff
    from snnlib.nir import ScaleShift

    model = keras.Sequential([keras.Input((4, 3)), OnOff(name="onoff"), LIF(6)])
    with pytest.raises(ValueError, match="'onoff' .* must follow a Dense"):
        to_nir(model, dt=1.0)
    model = keras.Sequential([keras.Input((4, 3)), ScaleShift(2.0, 0.5, name="shift"), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="'shift' shifts its input"):
        to_nir(model, dt=1.0)
    with pytest.raises(ValueError, match="integration must be"):
        from_nir(_chain(nir.Affine(weight=np.eye(2), bias=np.zeros(2)), shape=[2]), dt=1.0, integration="rk4")


def test_unreadable_files_are_one_clear_error(tmp_path):
    (tmp_path / "notes.nir").write_text("not a graph")
    for path in (tmp_path / "missing.nir", tmp_path / "notes.nir"):
        with pytest.raises(ValueError, match="cannot read .* as a NIR graph"):
            from_nir(path, dt=1.0)
