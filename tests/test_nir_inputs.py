"""snnlib.nir and snnlib.networks at their boundary: each bad model, graph, file or argument is one ValueError
naming it — no traceback from Keras or nir, no NaN carried into a model, no network too large to hold."""

from __future__ import annotations

import h5py
import keras
import nir
import numpy as np
import pytest

from snnlib.neurons import LIF
from snnlib.nir import ScaleShift, from_nir, to_nir


def _chain(*nodes, shape, out):
    names = ["input"] + [f"n{i}" for i in range(len(nodes))] + ["output"]
    all_nodes = dict(zip(names, [nir.Input(input_type=np.array(shape)), *nodes, nir.Output(output_type=np.array(out))]))
    return nir.NIRGraph(nodes=all_nodes, edges=list(zip(names[:-1], names[1:])), type_check=False)


def _affine(w, b):
    return nir.Affine(weight=np.asarray(w, float), bias=np.asarray(b, float))


def _conv(weight=None, bias=None, stride=1, padding=0):
    return nir.Conv2d(input_shape=(8, 8), weight=np.ones((1, 1, 3, 3)) if weight is None else weight, stride=stride,
                      padding=padding, dilation=1, groups=1, bias=np.zeros(1) if bias is None else bias)


def _dense_model():
    return keras.Sequential([keras.Input((4, 3)), keras.layers.Dense(2, name="fc"), LIF(2, name="lif")])


@pytest.mark.parametrize("dt", ["abc", None, 1j, True, 0.0, float("nan")])
def test_dt_that_is_not_a_positive_number_is_named(dt):
    # "abc", None and 1j were TypeErrors or float()'s message; True ran as dt = 1 ms
    graph = _chain(_affine(np.eye(2), np.zeros(2)), shape=[2], out=[2])
    with pytest.raises(ValueError, match="^dt must be"):
        from_nir(graph, dt=dt)
    with pytest.raises(ValueError, match="^dt must be"):
        to_nir(_dense_model(), dt=dt)


def test_to_nir_refuses_what_is_not_a_chain_model_by_name():
    with pytest.raises(ValueError, match="takes a keras.Model"):
        to_nir("model", dt=1.0)  # was AttributeError
    with pytest.raises(ValueError, match="no defined input"):
        to_nir(keras.Sequential([keras.layers.Dense(2)]), dt=1.0)  # was AttributeError
    shared = keras.layers.Dense(3, name="shared")
    x = keras.Input((4, 3))
    with pytest.raises(ValueError, match="used twice"):  # exported the first call only: a silently wrong graph
        to_nir(keras.Model(x, shared(shared(x))), dt=1.0)
    with pytest.raises(ValueError, match="metadata must be a dict"):
        to_nir(_dense_model(), dt=1.0, metadata=[("a", 1)])  # was AttributeError
    with pytest.raises(ValueError, match="metadata may not set \\['dt_ms'\\]"):  # replaced the graph's own dt_ms
        to_nir(_dense_model(), dt=1.0, metadata={"dt_ms": 5.0})
    with pytest.raises(ValueError, match="readout must be one of"):
        to_nir(_dense_model(), dt=1.0, readout=["metadata"])


def test_to_nir_refuses_nan_weights_instead_of_writing_them():
    model = keras.Sequential([keras.Input((4, 3)), keras.layers.Dense(2, name="fc")])
    model.get_layer("fc").kernel.assign(np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="layer 'fc' .* NaN .* 'weight'"):
        to_nir(model, dt=1.0)
    model = _dense_model()
    model.get_layer("lif").cell.tau.assign(np.float32(np.nan))
    with pytest.raises(ValueError, match="layer 'lif' .* NaN .* 'tau'"):
        to_nir(model, dt=1.0)
    with pytest.raises(ValueError, match="scale"):  # (a ScaleShift refuses NaN or inf when it is built)
        ScaleShift(np.inf, name="gain")


@pytest.mark.parametrize("node, field", [
    (_affine([[np.nan, 0.0], [0.0, 1.0]], [0.0, 0.0]), "weight"),
    (nir.IF(r=np.full(2, np.nan), v_threshold=np.ones(2), v_reset=np.zeros(2)), "r"),
    (nir.Scale(scale=np.full(2, np.inf)), "scale"),
])
def test_from_nir_refuses_nan_and_inf_in_a_node(node, field):
    # all three loaded and ran, NaN in every output
    with pytest.raises(ValueError, match=f"node 'n0' .* NaN or infinite values in '{field}'"):
        from_nir(_chain(node, shape=[2], out=[2]), dt=1.0)


@pytest.mark.parametrize("node, shape, message", [
    (_affine(np.eye(2), np.zeros(3)), [2], "2 outputs but a bias of shape \\(3,\\)"),  # Keras' set_weights message
    (_conv(bias=np.zeros(4)), [1, 8, 8], "1 output channels but a bias"),
    (_conv(padding=-2), [1, 8, 8], "padding .* integers >= 0"),  # Keras' ZeroPadding2D message
    (_conv(weight=np.ones((1, 1, 9, 9))), [1, 8, 8], "kernel .* larger than its padded input"),
    (nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([0, 0]), padding=np.array([0, 0])), [1, 8, 8],
     "stride .* integers >= 1"),  # was a ZeroDivisionError inside TimeDistributed
    (nir.SumPool2d(kernel_size=np.array([0, 0]), stride=np.array([1, 1]), padding=np.array([0, 0])), [1, 8, 8],
     "kernel_size .* integers >= 1"),  # loaded, and failed only when run
    (nir.SumPool2d(kernel_size=np.array([9, 9]), stride=np.array([1, 1]), padding=np.array([0, 0])), [1, 8, 8],
     "kernel .* larger than its padded input"),
    (nir.Scale(scale=np.ones(2)), [-2], "Input\\) has shape"),  # Keras' "Cannot convert '(None, -2)' to a shape"
    (nir.Scale(scale=np.ones(2)), [0], "Input\\) has shape"),  # loaded a model of 0 inputs
])
def test_from_nir_refuses_nodes_that_do_not_fit_by_name(node, shape, message):
    with pytest.raises(ValueError, match=message):
        from_nir(_chain(node, shape=shape, out=[1]), dt=1.0)


def test_from_nir_refuses_networks_too_large_to_hold():
    lif = nir.LIF(tau=np.array(0.01), r=np.array(1.0), v_leak=np.array(0.0), v_threshold=np.array(1.0),
                  v_reset=np.array(0.0))
    with pytest.raises(ValueError, match="more than 1e\\+07 values"):  # a 1 kB file that allocated 4 × 8 GB
        from_nir(_chain(lif, shape=[1000, 1000, 1000], out=[1000, 1000, 1000]), dt=1.0)
    with pytest.raises(ValueError, match="more than 1e\\+07 values"):  # padding 10⁶: a 4·10¹² value map per step
        from_nir(_chain(_conv(padding=10**6), shape=[1, 8, 8], out=[1]), dt=1.0)


def test_from_nir_checks_every_neuron_parameter_shape():
    lif = nir.LIF(tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2), v_reset=np.zeros(2))
    lif.v_threshold = np.ones(3)  # (nir's constructor would assert; a file is read without its type check)
    with pytest.raises(ValueError, match="v_threshold of shape \\(3,\\)"):  # was NumPy's broadcast error
        from_nir(_chain(lif, shape=[2], out=[2]), dt=1.0)


def test_from_nir_euler_with_dt_not_below_tau_is_refused_for_every_neuron():
    ones, zeros = np.ones(2), np.zeros(2)
    for node in (nir.LIF(tau=np.full(2, 1e-3), r=ones, v_leak=zeros, v_threshold=ones, v_reset=zeros),
                 nir.LI(tau=np.full(2, 1e-3), r=ones, v_leak=zeros),
                 nir.CubaLIF(tau_syn=np.full(2, 1e-3), tau_mem=np.full(2, 1e-2), r=ones, v_leak=zeros,
                             v_threshold=ones, v_reset=zeros, w_in=ones)):
        with pytest.raises(ValueError, match="node 'n0'.*dt < tau"):
            from_nir(_chain(node, shape=[2], out=[2]), dt=1.0, integration="euler")


def test_nir_files_that_are_not_nir_are_one_clear_error(tmp_path):
    graph = _chain(_affine(np.eye(2), np.zeros(2)), shape=[2], out=[2])
    nir.write(tmp_path / "bogus.nir", graph)
    with h5py.File(tmp_path / "bogus.nir", "a") as f:
        del f["node"]["nodes"]["n0"]["type"]
        f["node"]["nodes"]["n0"]["type"] = "Bogus"  # nir.read asserted (a bare AssertionError)
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["x"] = np.ones(3)
    for path in (tmp_path / "bogus.nir", tmp_path / "plain.h5", tmp_path):
        with pytest.raises(ValueError, match="cannot read .* as a NIR graph"):
            from_nir(path, dt=1.0)


def test_edge_network_helpers_check_their_arguments():
    from snnlib.networks import edge_map_from_spikes, edge_network_input

    with pytest.raises(ValueError, match="extractor must be"):
        edge_network_input("image.png")  # was AttributeError
    ok = np.zeros((3, 4, 4, 2))
    ok[:, 1, 2, 0] = 1
    assert edge_map_from_spikes(ok)[1, 2] == 1.0
    assert np.array_equal(edge_map_from_spikes(ok[None]), edge_map_from_spikes(ok))
    for bad, message in ((np.full((3, 4, 4, 2), np.nan), "NaN"),  # NaN went through to the edge map
                         (ok * 1j, "real"),
                         ("spikes", "array of numbers"),
                         (np.stack([ok, ok]), "one batch"),  # a batch of 2 silently gave the first image's map
                         (np.zeros((3, 4, 4, 0)), "C >= 1"),
                         (-ok, ">= 0")):
        with pytest.raises(ValueError, match=message):
            edge_map_from_spikes(bad)


def test_the_keras_pieces_check_their_parameters():
    from snnlib.nir import CubaLIFCell, IFCell, LICell, SumPool2D

    # LICell(tau=0 or −1, dt=0) and CubaLIFCell(tau_mem=nan) were built and ran with a gain of 1, a negative
    # gain or NaN; units=0 built an empty cell; SumPool2D((0, 0)) failed only when called
    for make, name in ((lambda: LICell(2, tau=0.0), "tau"), (lambda: LICell(2, tau=-1.0), "tau"),
                       (lambda: LICell(2, dt=0.0), "dt"), (lambda: LICell(0), "units"),
                       (lambda: CubaLIFCell(2, tau_mem=np.nan), "tau_mem"),
                       (lambda: CubaLIFCell(2, tau_syn=[1.0, -1.0]), "tau_syn"),
                       (lambda: IFCell(2, r=[1.0, 2.0, 3.0]), "r must be one number or 2"),
                       (lambda: IFCell(2, threshold="a"), "threshold"),
                       (lambda: ScaleShift("a"), "scale"), (lambda: ScaleShift(1.0, np.nan), "shift"),
                       (lambda: SumPool2D((0, 0), (1, 1)), "pool_size"), (lambda: SumPool2D((2, 2), 1), "strides")):
        with pytest.raises(ValueError, match=name):
            make()
    with pytest.raises(ValueError, match="integration must be one of"):  # an array ['euler'] passed `in`
        from_nir(_chain(_affine(np.eye(2), np.zeros(2)), shape=[2], out=[2]), dt=1.0,
                 integration=np.array(["euler"]))
    cell = LICell(3, tau=[2.0, 4.0, 8.0], r=0.5)  # valid input: as before
    assert cell.tau == [2.0, 4.0, 8.0] and cell.r == [0.5] * 3


def test_graph_structure_mistakes_are_named():
    nodes = {"input": nir.Input(input_type=np.array([2])), "a": _affine(np.eye(2), np.zeros(2)),
             "output": nir.Output(output_type=np.array([2]))}
    for edges in ([("input", "a", "x"), ("a", "output")], None):  # "too many values to unpack", a TypeError
        graph = nir.NIRGraph(nodes=nodes, edges=[("input", "a"), ("a", "output")], type_check=False)
        graph.edges = edges
        with pytest.raises(ValueError, match="edges must be \\(source, target\\) pairs"):
            from_nir(graph, dt=1.0)
    # a layer named "output" was overwritten by the Output node: the graph lost it and got an edge output → output
    model = keras.Sequential([keras.Input((4, 3)), keras.layers.Dense(2, name="output")])
    with pytest.raises(ValueError, match="named 'output'"):
        to_nir(model, dt=1.0)


def test_a_scale_that_varies_over_time_is_refused_by_name():
    # Keras broadcasts a (T, n) scale over [batch, T, n]: a different factor each step, which NIR cannot hold
    # (was NumPy's broadcast error); leading ones broadcast as Keras does
    model = keras.Sequential([keras.Input((4, 3)), ScaleShift(np.arange(12.0).reshape(4, 3), name="ramp")])
    with pytest.raises(ValueError, match="layer 'ramp' has a scale of shape \\(4, 3\\)"):
        to_nir(model, dt=1.0)
    graph = to_nir(keras.Sequential([keras.Input((4, 3)), ScaleShift([[[1.0, 2.0, 3.0]]], name="s")]), dt=1.0)
    np.testing.assert_array_equal(graph.nodes["s"].scale, [1.0, 2.0, 3.0])


def test_a_readout_in_the_metadata_that_cannot_be_built_is_named_or_renamed():
    from snnlib.nir import READOUT_KEY

    def graph(meta, shape):
        nodes = {"input": nir.Input(input_type=np.array(shape)), "output": nir.Output(output_type=np.array(shape))}
        return nir.NIRGraph(nodes=nodes, edges=[("input", "output")], metadata=meta, type_check=False)

    with pytest.raises(ValueError, match="mean over time .* delivers a map"):  # was Keras' ndim message
        from_nir(graph({READOUT_KEY: "mean_over_time"}, [1, 4, 4]), dt=1.0)
    for name in (5, "input", "a/b"):  # Keras refused the name (not a string, used twice, a "/")
        model = from_nir(graph({READOUT_KEY: "mean_over_time", "readout_layer": name}, [3]), dt=1.0)
        assert model.layers[-1].name == "mean_over_time" and model.output.shape == (None, 3)
    model = from_nir(graph({READOUT_KEY: "mean_over_time", "readout_layer": "avg"}, [3]), dt=1.0)
    assert model.layers[-1].name == "avg"  # a good name is kept
