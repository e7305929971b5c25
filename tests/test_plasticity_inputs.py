"""snnlib.plasticity at its boundary: every bad argument is one ValueError naming it (no NumPy traceback, no
silent NaN, no tens of GB), and a few numbers of the science checked against their formulas."""

from __future__ import annotations

import numpy as np
import pytest

from snnlib.plasticity import (
    MemristiveSynapses,
    STDPParams,
    device_window,
    edge_kernels_from_fields,
    oddness,
    on_off_patches,
    orientation_selectivity,
    orientation_tuning,
    receptive_fields,
    stdp_demand,
    stdp_window,
    stochastic_round,
    trace_step,
    train_stdp,
)

IMG = np.random.default_rng(0).random((48, 48))
W = np.random.default_rng(1).random((98, 6))


@pytest.mark.parametrize("params, name", [(STDPParams(tau_plus=0.0), "tau_plus"), (STDPParams(dt=-1.0), "dt"),
                                          (STDPParams(a_plus=float("nan")), "a_plus"), ({"a_plus": 1.0}, "params")])
def test_params_built_without_make_are_checked_everywhere(params, name):
    # STDPParams(...) skips make()'s checks: a zero tau gave a silent 0 window, a negative dt a growing trace
    pre = np.eye(3)
    with pytest.raises(ValueError, match=name):
        stdp_window(1.0, params)
    with pytest.raises(ValueError, match=name):
        stdp_demand(pre, pre, params)
    with pytest.raises(ValueError, match=name):
        device_window("hfox", [1.0], params=params)
    with pytest.raises(ValueError, match=name):
        train_stdp(np.full((2, 98), 0.5), neurons=2, steps=2, params=params)


def test_sizes_that_would_exhaust_memory_or_time_are_refused():
    with pytest.raises(ValueError, match="pre .* post .* more than"):
        stdp_demand(np.zeros((1, 100_000)), np.zeros((1, 100_000)))  # was a 75 GB demand matrix
    with pytest.raises(ValueError, match="devices × n_in × n_out"):
        MemristiveSynapses(100_000, 10_000, devices=64)  # was 0.5 TB of device states
    with pytest.raises(ValueError, match="count × 2·size²"):
        on_off_patches(IMG, size=31, count=1_000_000)  # was 15 GB of patches
    with pytest.raises(ValueError, match="sigma_surround"):
        on_off_patches(IMG, count=10, sigma_surround=1e9)  # was a 60 GB Gaussian kernel
    with pytest.raises(ValueError, match="sigma_surround"):
        edge_kernels_from_fields(W, 7, sigma_surround=1e6)  # was a 262 TB impulse image
    with pytest.raises(ValueError, match="angles"):
        orientation_selectivity(receptive_fields(W, 7), angles=10**8)  # was 36 GB of gratings
    with pytest.raises(ValueError, match="len\\(delta_t\\) × pairings × devices"):
        device_window("hfox", np.zeros(1000), pairings=10_000, devices=100_000)  # was hours
    with pytest.raises(ValueError, match="bins"):
        edge_kernels_from_fields(W, 7, bins=10**9)  # was a loop of 10⁹ bins


def test_work_that_would_take_hours_is_refused(monkeypatch):
    # (the limits lowered, so the test need not hold the inputs: pre/post [10⁵, 1000] were some 40 minutes,
    # 10⁵ patches for 1000 steps some 16 hours)
    from snnlib import plasticity

    assert 100_000 * 1000 * 1000 >= plasticity.MAX_DEMAND_WORK
    assert 100_000 * 1000 * (98 * 16 + 1500) > plasticity.MAX_TRAIN_WORK
    monkeypatch.setattr(plasticity, "MAX_DEMAND_WORK", 100 * 10 * 10 - 1)
    monkeypatch.setattr(plasticity, "MAX_TRAIN_WORK", 10 * 20 * (98 * 16 + 1500) - 1)
    with pytest.raises(ValueError, match="T × n_in × n_out = 100 × 10 × 10"):
        stdp_demand(np.zeros((100, 10)), np.zeros((100, 10)))
    with pytest.raises(ValueError, match="count × steps"):
        train_stdp(np.zeros((10, 98)))


def test_train_stdp_refuses_a_bad_report_window_and_empty_patches():
    patches = np.full((5, 98), 0.5)
    for bad in (0, -5, 2.5):
        with pytest.raises(ValueError, match="report_window"):  # 0 was a ZeroDivisionError
            train_stdp(patches, neurons=2, steps=2, report_window=bad)
    for empty in (np.zeros((0, 98)), np.zeros((3, 0))):  # (0, 98) "learned" and reported every neuron dead
        with pytest.raises(ValueError, match="patches"):
            train_stdp(empty, neurons=2, steps=2)


def test_synapse_demands_that_are_not_numbers_or_do_not_fit_are_refused():
    syn = MemristiveSynapses(4, 2, seed=0)
    before = syn.state.copy()
    for bad in (np.full((4, 2), np.nan), np.full((4, 2), 1e300)):  # were both cast to −2⁶³ pulses: full depression
        with pytest.raises(ValueError, match="demand"):
            syn.apply(bad)
    with pytest.raises(ValueError, match="demand must be \\[n_in, n_out\\]"):
        syn.apply(np.ones((3, 2)))
    with pytest.raises(ValueError, match="demand"):
        syn.apply("x")
    np.testing.assert_array_equal(syn.state, before)  # nothing was half-written
    assert syn.apply(0.0).shape == (4, 2)  # a scalar broadcasts to every synapse
    with pytest.raises(ValueError, match="x contains NaN"):
        stochastic_round([np.nan], np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        stochastic_round([0.5], 0)


def test_shapes_and_counts_of_the_analysis_are_checked():
    with pytest.raises(ValueError, match="delta_t must have 0 or 1"):
        device_window("hfox", [[1.0, 2.0]])  # was a TypeError from float()
    for size in (0, 7.0, "7"):
        with pytest.raises(ValueError, match="size"):
            receptive_fields(W, size)
    fields = receptive_fields(W, 7)
    for angles in (0, -3, 12.5):  # 0 and −3 gave OSI 0 for every filter, 12.5 ran as 13
        with pytest.raises(ValueError, match="angles"):
            orientation_selectivity(fields, angles=angles)
    for bad in (np.ones(7), np.ones((7, 7, 2, 2)), np.ones((7, 5, 2)), np.ones((0, 0, 2))):
        with pytest.raises(ValueError, match="filters"):
            orientation_tuning(bad)
        with pytest.raises(ValueError, match="filters"):
            oddness(bad)


def test_edge_kernels_refuse_a_radius_beyond_the_field():
    # size 7 seen through a DoG of σ 2 px is 19 px across: radius 10 cropped from index −1 and gave (1, 1, 4)
    bank, _ = edge_kernels_from_fields(W, 7, radius=9)
    assert bank.shape == (19, 19, len(_))
    with pytest.raises(ValueError, match="radius 10"):
        edge_kernels_from_fields(W, 7, radius=10)
    with pytest.raises(ValueError, match="bins"):
        edge_kernels_from_fields(W, 7, bins=0)
    with pytest.raises(ValueError, match="sigma_center"):
        edge_kernels_from_fields(W, 7, sigma_center=float("nan"))


@pytest.mark.parametrize("kw, name", [(dict(sigma_center=-1.0), "sigma_center"),
                                      (dict(sigma_center=float("nan")), "sigma_center"),
                                      (dict(sigma_center=2.0, sigma_surround=2.0), "sigma_center .* smaller")])
def test_on_off_patches_checks_its_dog(kw, name):
    # a negative or NaN σ was silently taken as 0 (no centre), equal σ gave all-zero patches
    with pytest.raises(ValueError, match=name):
        on_off_patches(IMG, count=10, **kw)


def test_on_off_patches_refuses_values_whose_energy_overflows():
    # 1.7e308 grey levels: the DoG overflowed to NaN and rng.choice said "Probabilities contain NaN"
    with pytest.raises(ValueError, match="image must be <= 1e\\+150"):
        on_off_patches(IMG * 1.7e308, count=5)
    np.testing.assert_allclose(on_off_patches(IMG * 1e6, count=5), on_off_patches(IMG, count=5), atol=1e-9)


def test_ideal_device_realises_the_rule_window_in_proportion():
    # a linear noiseless device moves 1/p_max of its range per pulse, and stochastic rounding keeps the expected
    # pulse count: Δw = pairings·window(Δt)/p_max at every lag (to the sampling error of 20000 devices)
    p = STDPParams.make(a_plus=0.2, a_minus=0.2)
    lags = np.array([-40.0, -10.0, -2.0, 0.0, 2.0, 10.0, 40.0])
    dw = device_window("ideal", lags, params=p, pairings=60, devices=20_000, c2c_sigma=0.0, p_max=127, seed=0)
    np.testing.assert_allclose(dw, 60 * stdp_window(lags, p) / 127, rtol=0.02)


def test_a_grating_filter_is_selective_and_prefers_its_own_orientation():
    # a one-cycle cosine grating across a k×k filter: zero response orthogonal to it (the grating sums to 0
    # over k whole pixels), so its OSI is far above an isotropic blob's; but the tuning of one cycle is broad,
    # so the OSI is 0.66, not 1 (more cycles per filter would narrow it)
    k = 15
    yy, xx = np.mgrid[0:k, 0:k] - (k - 1) / 2.0
    filters = np.stack([np.cos(2 * np.pi * xx / k), np.cos(2 * np.pi * yy / k),
                        np.exp(-(xx**2 + yy**2) / 8.0)], axis=-1)
    theta, r = orientation_tuning(filters)
    assert r[6, 0] < 1e-9 * r[0, 0]  # the vertical-stripe filter does not see horizontal stripes
    osi, pref = orientation_selectivity(filters)
    assert osi[0] == pytest.approx(0.664, abs=0.005) and osi[1] == pytest.approx(osi[0])
    assert pref[0] == pytest.approx(0.0, abs=1e-9) and pref[1] == pytest.approx(np.pi / 2)
    assert osi[2] < 0.01


def test_trace_step_checks_its_decay_and_shapes():
    np.testing.assert_array_equal(trace_step(np.array([1.0, 0.5]), np.array([0.0, 1.0]), 0.5), [0.5, 1.25])
    for decay in (1.5, -0.1, float("nan")):  # a decay > 1 made the trace grow without bound
        with pytest.raises(ValueError, match="decay"):
            trace_step(np.zeros(2), np.zeros(2), decay)
    with pytest.raises(ValueError, match="spikes must have the trace's shape"):  # was a silent broadcast to (3, 2)
        trace_step(np.zeros(2), np.zeros((3, 1)), 0.5)


def test_trace_rule_sums_the_window_over_all_pairs_at_any_dt():
    # "all pairs": random trains, dt = 0.5 ms, simultaneous pairs included: the demand is Σ window(t_post − t_pre)
    rng = np.random.default_rng(3)
    p = STDPParams.make(a_plus=0.7, a_minus=0.4, tau_plus=12.0, tau_minus=25.0, dt=0.5)
    pre = (rng.random((300, 4)) < 0.05).astype(float)
    post = (rng.random((300, 3)) < 0.05).astype(float)
    pre[10, 0] = post[10, 0] = 1.0  # a simultaneous pair: counted once, as potentiation (+a_plus)
    want = np.zeros((4, 3))
    for i in range(4):
        for j in range(3):
            lags = (np.flatnonzero(post[:, j])[None, :] - np.flatnonzero(pre[:, i])[:, None]) * p.dt
            want[i, j] = stdp_window(lags.ravel(), p).sum()
    np.testing.assert_allclose(stdp_demand(pre, post, p), want, rtol=1e-12, atol=1e-12)
