"""snnlib.metrics: reconstruction error by hand, power-law fits, edge-map scores, crossbar output error."""

import math

import numpy as np
import pytest

from snnlib import metrics
from snnlib._quiet import tf
from snnlib.encoders import deterministic_rate, latency
from snnlib.metrics import (
    BestF1,
    EdgeScores,
    PowerLaw,
    best_f1,
    edge_scores,
    global_gain,
    power_law_fit,
    reconstruction_rmse,
    relative_error,
    rmse,
    rmse_over_steps,
    smallest_steps,
)

X_IMAGE = np.random.default_rng(1234).random((16, 24))  # a small "image" in [0, 1)


def _train(first_spikes, steps, extra=()):
    """A time-major train [steps, n] with one spike per element at the given steps (-1: none), plus extras."""
    s = np.zeros((steps, len(first_spikes)), np.float32)
    for i, k in enumerate(first_spikes):
        if k >= 0:
            s[k, i] = 1
    for k, i in extra:
        s[k, i] = 1
    return s


# --------------------------------------------------------------------------- rmse
def test_rmse_by_hand_and_bad_shapes():
    assert rmse([0.0, 1.0], [0.0, 0.5]) == pytest.approx(math.sqrt(0.125))
    assert rmse(tf.constant([[0.5]]), np.array([[0.5]])) == 0.0
    assert rmse([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 0.0]]) == 2.0  # sqrt(16 / 4)
    with pytest.raises(ValueError, match="same shape"):
        rmse([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="x_hat contains NaN"):
        rmse([0.0], [np.nan])
    with pytest.raises(ValueError, match="empty"):
        rmse([], [])


# --------------------------------------------------------------------------- reconstruction_rmse, by hand
def test_reconstruction_rmse_of_a_rate_train_by_hand():
    x = [0.25, 0.5, 0.9]
    counts = [[1, 0, 1], [0, 1, 1], [0, 1, 1], [0, 0, 1]]  # T = 4: counts 1, 2, 4
    s = np.array(counts, np.float32)
    # decode: n / (T · max_rate · dt) = 0.25, 0.5, 1.0 -> errors 0, 0, 0.1
    assert reconstruction_rmse(x, s, code="rate") == pytest.approx(0.1 / math.sqrt(3), rel=1e-12)
    # the encoder's settings reach the decoder: max_rate·dt = 0.5 -> 0.5, 1.0, 2.0; seed is the encoder's only
    want = math.sqrt((0.25**2 + 0.5**2 + 1.1**2) / 3)
    assert reconstruction_rmse(x, s, code="rate", max_rate=0.5, seed=123) == pytest.approx(want, rel=1e-12)
    assert reconstruction_rmse(x, s, code="rate", max_rate=1.0, dt=0.5) == pytest.approx(want, rel=1e-12)
    # the sigma-delta code has the same decoder, under either of its names
    for code in ("deterministic_rate", "deterministic"):
        assert reconstruction_rmse(x, s, code=code, max_rate=0.5) == pytest.approx(want, rel=1e-12)


def test_reconstruction_rmse_of_a_latency_train_by_hand():
    x = [1.0, 0.7, 0.5]
    s = _train([0, 1, 2], 5, extra=[(3, 0)])  # a second spike of element 0 is ignored: the first counts
    # linear, normalised: x_hat = 1 - k/(T-1) = 1, 0.75, 0.5 -> errors 0, 0.05, 0
    assert reconstruction_rmse(x, s, code="latency") == pytest.approx(0.05 / math.sqrt(3), rel=1e-9)
    # mode="log" reaches the decoder: x_hat = theta / (1 - exp(-u)), u = u1 + k (ln 2 - u1) / (T - 1)
    theta = 0.01
    u1 = -math.log(1 - theta)
    u = [u1 + k * (math.log(2) - u1) / 4 for k in (0, 1, 2)]
    x_hat = [theta / (1 - math.exp(-v)) for v in u]
    assert x_hat[0] == pytest.approx(1.0)
    want = math.sqrt(sum((a - b) ** 2 for a, b in zip(x, x_hat)) / 3)
    assert reconstruction_rmse(x, s, code="latency", mode="log") == pytest.approx(want, rel=1e-6)


def test_reconstruction_rmse_of_a_sigma_delta_train_is_zero_where_pT_is_whole():
    x = np.array([0.0, 0.125, 0.5, 0.875, 1.0])  # p·T whole at T = 8: the count is exact
    assert reconstruction_rmse(x, deterministic_rate(x, 8), code="deterministic") == 0.0


# --------------------------------------------------------------------------- rmse_over_steps, by hand
def test_rmse_over_steps_sigma_delta_by_hand():
    # x = [0.2, 0.6]: counts round(pT) = (0, 1), (1, 2), (2, 5), (3, 10) at T = 2, 4, 8, 16
    # -> errors (0.2, 0.1), (0.05, 0.1), (0.05, 0.025), (0.0125, 0.025)
    want = [math.sqrt((0.2**2 + 0.1**2) / 2), math.sqrt((0.05**2 + 0.1**2) / 2),
            math.sqrt((0.05**2 + 0.025**2) / 2), math.sqrt((0.0125**2 + 0.025**2) / 2)]
    for code in ("deterministic_rate", "deterministic"):
        np.testing.assert_allclose(rmse_over_steps([0.2, 0.6], [2, 4, 8, 16], code=code), want, rtol=1e-6)


def test_rmse_over_steps_latency_by_hand():
    # x = 1 - k/(T-1) sits on a bin centre at T = 5 and 9 (exact); at T = 3 (c = 1/2):
    # 0.75 -> k = 1 -> 0.5; 0.25 -> k = 2 -> the bin's midpoint above theta, (0.01 + 1 - 1.5/2)/2 = 0.13
    x = [1.0, 0.75, 0.5, 0.25]
    got = rmse_over_steps(x, np.array([3, 5, 9]), code="latency")
    np.testing.assert_allclose(got, [math.sqrt((0.25**2 + 0.12**2) / 4), 0.0, 0.0], atol=1e-7)


def test_rmse_over_steps_rate_follows_theory_the_seed_and_the_order():
    ts = [400, 25, 1600]  # any order; the result follows it
    errs = rmse_over_steps(X_IMAGE, ts, code="rate", seed=3)
    assert errs.shape == (3,)
    # Bernoulli: RMSE ≈ sqrt(mean x(1-x) / T) (384 pixels: within 20 %, about 5 sigma)
    theory = np.sqrt(np.mean(X_IMAGE * (1 - X_IMAGE)) / np.array(ts))
    np.testing.assert_allclose(errs, theory, rtol=0.2)
    np.testing.assert_array_equal(rmse_over_steps(X_IMAGE, [25, 400], code="rate", seed=3), errs[[1, 0]])
    assert not np.array_equal(rmse_over_steps(X_IMAGE, ts, code="rate", seed=4), errs)  # the seed is used
    np.testing.assert_array_equal(rmse_over_steps(X_IMAGE, ts, code="rate", seed=3), errs)


def test_rmse_over_steps_passes_the_latency_settings_to_both_sides():
    x = np.array([0.9, 0.6, 0.3])
    lin = rmse_over_steps(x, [20], code="latency")
    log = rmse_over_steps(x, [20], code="latency", mode="log")
    assert lin[0] != log[0]
    assert log[0] == reconstruction_rmse(x, latency(x, 20, mode="log"), code="latency", mode="log")


def test_smallest_steps_by_hand():
    # sigma-delta, x = [0.2, 0.6]: RMSE 0.158, 0.079, 0.040, 0.020 at T = 2, 4, 8, 16
    x = [0.2, 0.6]
    assert rmse_over_steps(x, [2, 4, 8, 16], code="deterministic_rate") == pytest.approx(
        [0.15811, 0.07906, 0.03953, 0.01976], abs=1e-5)
    t, err = smallest_steps(x, [16, 2, 8, 4], target=0.05, code="deterministic_rate")  # searched in order
    assert (t, round(err, 5)) == (8, 0.03953)
    assert smallest_steps(x, [16, 2, 8, 4], target=0.05, code="deterministic") == (t, err)
    assert smallest_steps(x, [2, 4], target=0.01, code="deterministic_rate") is None
    # the smallest T on the grid whose error is at most the target, as a linear scan finds it
    grid = [4, 8, 16, 32, 64, 128]
    errs = rmse_over_steps(X_IMAGE, grid, code="rate", seed=0)
    t, err = smallest_steps(X_IMAGE, grid, target=0.06, code="rate", seed=0)
    first = int(np.argmax(errs <= 0.06))
    assert errs[first] <= 0.06 and np.all(errs[:first] > 0.06)
    assert (t, err) == (grid[first], errs[first])


@pytest.mark.parametrize("fn, kwargs, words", [
    (rmse_over_steps, {"code": "delta"}, "code must be one of 'rate', 'deterministic_rate', 'latency'"),
    (rmse_over_steps, {"code": "deterministic_rate", "seed": 1}, "takes the keyword arguments max_rate, dt"),
    (rmse_over_steps, {"code": "deterministic", "seed": 1}, "takes the keyword arguments max_rate, dt"),
    (smallest_steps, {"target": 0.0}, "target must be a finite number > 0"),
    (smallest_steps, {"target": 0.1, "code": "latency", "max_rate": 1.0}, "takes the keyword arguments tau"),
])
def test_sweeps_bad_arguments_raise(fn, kwargs, words):
    with pytest.raises(ValueError, match=words):
        fn([0.5], [4, 8], **kwargs)


@pytest.mark.parametrize("steps", [[], [0, 4], [2.5], [True]])
def test_sweeps_bad_steps_raise(steps):
    with pytest.raises(ValueError, match="steps"):
        rmse_over_steps([0.5], steps)


def test_reconstruction_rmse_bad_code_raises():
    with pytest.raises(ValueError, match="code must be one of"):
        reconstruction_rmse([0.5], np.zeros((4, 1)), code="morse")


# --------------------------------------------------------------------------- power_law_fit
def test_power_law_fit_recovers_exponent_and_prefactor():
    ts = np.array([2, 8, 32, 128, 512])
    b, a = power_law_fit(ts, 0.3 * ts ** -0.5)  # exponent first, as before
    assert b == pytest.approx(-0.5) and a == pytest.approx(0.3)
    fit = power_law_fit(ts, 1 / (math.sqrt(12) * ts))
    assert isinstance(fit, PowerLaw) and isinstance(fit.exponent, float)
    assert fit.exponent == pytest.approx(-1.0) and fit.prefactor == pytest.approx(1 / math.sqrt(12))
    assert fit[0] == fit.exponent and fit[1] == fit.prefactor
    for bad_t, bad_e, words in [([1, 2], [0.1], "same length"), ([1, 2], [0.1, 0.0], "> 0"),
                                ([4, 4], [0.1, 0.2], "two different")]:
        with pytest.raises(ValueError, match=words):
            power_law_fit(bad_t, bad_e)


def test_power_law_fit_is_the_least_squares_line_in_log_log():
    # three points off one line: the fitted slope is the least-squares one, (Σ dx dy) / (Σ dx²), by hand
    ts, errs = [1.0, math.e, math.e**2], [1.0, math.exp(-1.0), math.exp(-3.0)]  # log: (0, 0), (1, -1), (2, -3)
    fit = power_law_fit(ts, errs)
    assert fit.exponent == pytest.approx(-1.5)  # mean (1, -4/3): (-1·4/3 + 0 + 1·(-5/3)) / 2
    assert fit.prefactor == pytest.approx(math.exp(-4 / 3 + 1.5))  # intercept = ȳ - b·x̄ = 1/6


# --------------------------------------------------------------------------- edge maps
def test_edge_scores_by_hand():
    truth = np.zeros((5, 5), bool)
    truth[2, :] = True
    pred = np.zeros((5, 5), bool)
    pred[3, :2] = True      # 1 px off: counts with tolerance 1
    pred[0, 4] = True       # 2 px off: a false positive
    scores = edge_scores(pred, truth, tolerance=1)
    assert isinstance(scores, EdgeScores)
    p, r, f = scores
    # precision 2/3; recall: true pixels (2, 0), (2, 1), (2, 2) lie within 1 px of a prediction: 3/5
    assert p == pytest.approx(2 / 3) and r == pytest.approx(3 / 5)
    assert f == pytest.approx(2 * (2 / 3) * (3 / 5) / (2 / 3 + 3 / 5)) and scores.f1 == f
    assert edge_scores(pred, truth, tolerance=0) == (0.0, 0.0, 0.0)
    assert edge_scores(truth, truth, tolerance=0) == (1.0, 1.0, 1.0)
    # at tolerance 2 the stray pixel counts as well, and every true pixel is found
    assert edge_scores(pred, truth, tolerance=2) == (1.0, 1.0, 1.0)
    # nothing predicted, or nothing to find: 0, not a division by zero
    assert edge_scores(np.zeros((5, 5)), truth) == (0.0, 0.0, 0.0)
    assert edge_scores(pred, np.zeros((5, 5))) == (0.0, 0.0, 0.0)


def test_best_f1_by_hand():
    truth = np.zeros((9, 9), bool)
    truth[4, :] = True
    strength = np.where(truth, 0.6, 0.0)
    strength[0, 0] = 0.3  # a weaker stray response, 4 px from any true edge
    best = best_f1(strength, truth)
    assert isinstance(best, BestF1)
    # thresholds 0.02 + 0.96 k / 49: up to 0.294 the stray pixel is in the map (precision 9/10), from the
    # first one above 0.3 (k = 15, 0.3139) to 0.6 the map is the truth (F1 = 1); the first best is kept
    assert best.f1 == 1.0 and best.threshold == pytest.approx(0.02 + 0.96 * 15 / 49)
    f1, t = best  # unpacks as before
    assert (f1, t) == (best.f1, best.threshold)
    assert best_f1(np.zeros((9, 9)), truth) == (0.0, 0.0)  # nothing above any threshold
    # with one threshold, 0.02, the stray pixel is kept: precision 9/10, recall 1
    assert best_f1(strength, truth, n_thresholds=1).f1 == pytest.approx(2 * 0.9 / 1.9)


@pytest.mark.parametrize("kwargs,word", [(dict(tolerance=-1), "tolerance"), (dict(n_thresholds=0), "n_thresholds"),
                                         (dict(tolerance=1.5), "tolerance")])
def test_best_f1_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        best_f1(np.zeros((5, 5)), np.zeros((5, 5), bool), **kwargs)


def test_edge_maps_must_be_2d_of_one_shape():
    with pytest.raises(ValueError, match="one shape"):
        edge_scores(np.zeros((5, 5)), np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match=r"\[H, W\]"):
        best_f1(np.zeros(5), np.zeros(5, bool))


def test_quality_metrics_refuse_nan_and_huge_tolerances():
    truth = np.eye(8, dtype=bool)
    with pytest.raises(ValueError, match="NaN"):
        best_f1(np.full(truth.shape, np.nan), truth)
    with pytest.raises(ValueError, match="tolerance"):
        edge_scores(truth, truth, tolerance=10**5)


# --------------------------------------------------------------------------- crossbar outputs
def test_relative_error_and_global_gain_by_hand():
    y_ref = np.array([[3.0, 0.0], [0.0, 4.0]])  # ‖y_ref‖ = 5
    assert relative_error(y_ref, y_ref) == 0.0
    assert relative_error(np.zeros((2, 2)), y_ref) == pytest.approx(1.0)
    assert relative_error(y_ref + [[0.5, 0.0], [0.0, 0.0]], y_ref) == pytest.approx(0.1)
    assert relative_error(tf.constant(y_ref, tf.float32), y_ref) == 0.0  # tensors too
    assert global_gain(0.6 * y_ref, y_ref) == pytest.approx(1 / 0.6)
    noisy = y_ref + np.array([[0.3, -0.2], [0.1, 0.4]])
    g = global_gain(noisy, y_ref)
    assert g == pytest.approx(np.sum(noisy * y_ref) / np.sum(noisy**2))
    for other in (0.9 * g, 1.1 * g):  # the least-squares gain: any other is worse
        assert relative_error(g * noisy, y_ref) < relative_error(other * noisy, y_ref)
    with pytest.raises(ValueError, match="one shape"):
        relative_error(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="y_ref is all zeros"):
        relative_error(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="y is all zeros"):
        global_gain(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        relative_error(np.array([np.nan]), np.ones(1))


def test_crossbar_error_measures_behave_as_the_crossbar_module_s():
    # the copies in snnlib.metrics and the originals in snnlib.crossbar: the same numbers, the same errors
    from snnlib import crossbar

    rng = np.random.default_rng(5)
    for shape in [(7,), (4, 3), (2, 3, 5)]:
        y, y_ref = rng.normal(size=shape), rng.normal(size=shape)
        assert metrics.relative_error(y, y_ref) == crossbar.relative_error(y, y_ref)
        assert metrics.global_gain(y, y_ref) == crossbar.global_gain(y, y_ref)
    for fn in ("relative_error", "global_gain"):
        for bad in [(np.ones(3), np.ones(4)), (np.zeros(3), np.zeros(3)), ([np.inf], [1.0]), ("a", [1.0])]:
            with pytest.raises(ValueError) as ours:
                getattr(metrics, fn)(*bad)
            with pytest.raises(ValueError) as theirs:
                getattr(crossbar, fn)(*bad)
            assert str(ours.value) == str(theirs.value)


def test_importing_metrics_does_not_need_tensorflow():
    import subprocess
    import sys

    code = ("import sys, snnlib.metrics as m; m.best_f1([[0.0, 1.0]], [[False, True]]); "
            "m.power_law_fit([1, 2], [1.0, 0.5]); print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
