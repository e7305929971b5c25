"""Encoders and decoders: statistics of the rate codes, latency and delta by hand, argument checks."""

import hashlib
import inspect
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from snnlib import encoders
from snnlib._quiet import tf
from snnlib.encoders import (
    CODE_ALIASES,
    CODES,
    DETERMINISTIC_PHASE,
    Code,
    decode_delta,
    decode_latency,
    decode_rate,
    delta,
    deterministic_rate,
    encode,
    firing_rate,
    latency,
    latency_times,
    rate,
    resolve_code,
    spike_count,
)
from snnlib.metrics import power_law_fit, rmse_over_steps
from snnlib.options import ENCODINGS

RNG = np.random.default_rng(1234)
X_IMAGE = RNG.random((16, 24))  # a small "image" in [0, 1)

_HASH_SNIPPET = (
    "import hashlib, numpy as np; from snnlib.encoders import rate; "
    "s = rate(np.linspace(0, 1, 600).reshape(20, 30), 25, seed=7).numpy(); "
    "print(hashlib.sha256(s.tobytes()).hexdigest())"
)


def _binary(s):
    v = np.unique(s.numpy())
    return set(v.tolist()) <= {0.0, 1.0}


# --------------------------------------------------------------------------- rate (Bernoulli)
def test_rate_shape_dtype_time_major():
    s = rate(X_IMAGE, 7)
    assert isinstance(s, tf.Tensor) and s.dtype == tf.float32
    assert tuple(s.shape) == (7, 16, 24)
    assert _binary(s)


def test_rate_matches_probability_within_binomial_tolerance():
    steps = 400
    levels = np.array([0.0, 0.05, 0.2, 0.5, 0.8, 1.0])
    x = np.repeat(levels, 500).reshape(6, 500)  # 500 pixels per level
    for max_rate, dt in [(1.0, 1.0), (0.2, 0.5)]:
        s = rate(x, steps, max_rate=max_rate, dt=dt, seed=3).numpy()
        p = levels * max_rate * dt
        n = steps * 500
        empirical = s.sum(axis=(0, 2)) / n
        sigma = np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(empirical - p) <= 5 * sigma + 1e-12), (empirical, p)


def test_rate_edges_never_and_always():
    s = rate(np.array([0.0, 1.0]), 50).numpy()
    assert s[:, 0].sum() == 0 and s[:, 1].sum() == 50


def test_rate_same_seed_identical_different_seeds_differ():
    a = rate(X_IMAGE, 20, seed=5).numpy()
    b = rate(tf.constant(X_IMAGE, tf.float32), 20, seed=5).numpy()  # tensors accepted too
    c = rate(X_IMAGE, 20, seed=6).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_rate_same_seed_identical_in_a_fresh_process():
    namespace: dict = {}
    exec(_HASH_SNIPPET.replace("print(", "h = ("), namespace)  # same code, this process
    out = subprocess.run([sys.executable, "-c", _HASH_SNIPPET], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == namespace["h"]


def test_rate_is_one_draw_for_a_large_image_with_independent_steps_and_pixels(monkeypatch):
    draws = []
    uniform = tf.random.stateless_uniform

    def counted(shape, *args, **kwargs):
        draws.append(tuple(shape))
        return uniform(shape, *args, **kwargs)

    monkeypatch.setattr(tf.random, "stateless_uniform", counted)
    s = rate(np.full((512, 512), 0.5, np.float32), 32, seed=1).numpy()
    assert draws == [(32, 512, 512)]  # all T steps in one op, not a loop over steps
    assert s.shape == (32, 512, 512)
    # p = 0.5: the mean, and the share of equal neighbours in time and in space, are all 0.5 for
    # independent draws (1 for a repeated frame or a repeated column); 5 sigma of a binomial share
    for share in (s.mean(), (s[1:] == s[:-1]).mean(), (s[:, :, 1:] == s[:, :, :-1]).mean()):
        assert abs(share - 0.5) <= 5 * math.sqrt(0.25 / (31 * 512 * 511)), share


@pytest.mark.parametrize("max_rate, dt", [(2.0, 1.0), (1.0, 1.5), (0.5, 4.0)])
def test_rate_probability_above_one_raises(max_rate, dt):
    with pytest.raises(ValueError, match=r"max_rate·dt must be <= 1.*lower max_rate"):
        rate(X_IMAGE, 5, max_rate=max_rate, dt=dt)


@pytest.mark.parametrize("bad, words", [
    (np.array([0.5, 1.2]), r"x must hold values in \[0, 1\].*rescale"),
    (np.array([-0.1, 0.5]), r"x must hold values in \[0, 1\]"),
    (np.array([0.5, np.nan]), r"x contains NaN"),
    ("abc", r"x must be an array of numbers"),
])
def test_rate_bad_x_raises(bad, words):
    with pytest.raises(ValueError, match=words):
        rate(bad, 5)


@pytest.mark.parametrize("kwargs, words", [
    ({"steps": 0}, "steps must be an integer >= 1"),
    ({"steps": 2.5}, "steps must be an integer"),
    ({"steps": True}, "steps must be an integer"),
    ({"steps": 5, "seed": -1}, "seed must be an integer between 0 and 2\\*\\*63 - 1"),
    ({"steps": 5, "seed": 2**63}, "seed must be an integer between 0 and 2\\*\\*63 - 1"),
    ({"steps": 5, "max_rate": 0}, "max_rate must be a finite number > 0"),
    ({"steps": 5, "dt": -1.0}, r"dt must be a finite number > 0 \(in ms\)"),
])
def test_rate_bad_arguments_raise(kwargs, words):
    with pytest.raises(ValueError, match=words):
        rate(X_IMAGE, **kwargs)


# --------------------------------------------------------------------------- deterministic rate
def _sigma_delta(p, steps, phase):
    """The accumulator of the docstring, step by step in exact arithmetic: phi += p; spike and phi -= 1 at 1."""
    phi, out = Fraction(phase), []
    for _ in range(steps):
        phi += Fraction(p)
        out.append(1.0 if phi >= 1 else 0.0)
        phi -= out[-1]
    return out


def test_deterministic_rate_by_hand():
    # phase 0.5, p = 0.25: the accumulator runs 0.75, 1.0 (spike) -> 0.0, 0.25, 0.5, 0.75, 1.0 (spike) -> 0.0, ...
    assert DETERMINISTIC_PHASE == 0.5
    s = deterministic_rate([0.25, 0.0, 1.0], 8)[:, :].numpy()
    np.testing.assert_array_equal(s[:, 0], [0, 1, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(s[:, 1], np.zeros(8))
    np.testing.assert_array_equal(s[:, 2], np.ones(8))


@pytest.mark.parametrize("max_rate, dt", [(1.0, 1.0), (0.5, 0.5)])
def test_deterministic_rate_is_the_phase_accumulator_of_its_docstring(max_rate, dt):
    # the closed form in the code against the iterative definition, on every p = k/1024 (exact in binary,
    # so that the phase lands exactly on 1 as often as it can) and on a window long enough to wrap many times
    x = np.arange(1025) / 1024
    steps = 300
    s = deterministic_rate(x, steps, max_rate=max_rate, dt=dt).numpy()
    p = x * max_rate * dt
    expected = np.array([_sigma_delta(v, steps, DETERMINISTIC_PHASE) for v in p]).T
    np.testing.assert_array_equal(s, expected)


@pytest.mark.parametrize("steps", [1, 7, 32, 101])
def test_deterministic_rate_count_within_one_of_pT(steps):
    x = RNG.random(2000)
    for max_rate, dt in [(1.0, 1.0), (0.3, 2.0)]:
        s = deterministic_rate(x, steps, max_rate=max_rate, dt=dt)
        assert tuple(s.shape) == (steps, 2000) and _binary(s)
        counts = spike_count(s).numpy()
        target = x * max_rate * dt * steps
        assert np.all(np.abs(counts - target) <= 0.5 + 1e-9)


def test_error_falls_as_inverse_sqrt_T_for_bernoulli_and_inverse_T_for_deterministic():
    x = np.random.default_rng(7).random(4000)
    ts = np.array([16, 32, 64, 128, 256, 512])
    err_b = rmse_over_steps(x, ts, code="rate", seed=11)
    err_d = rmse_over_steps(x, ts, code="deterministic_rate")
    slope_b, _ = power_law_fit(ts, err_b)
    slope_d, _ = power_law_fit(ts, err_d)
    assert -0.65 < slope_b < -0.35, slope_b
    assert slope_d < -0.8, slope_d
    assert err_d[-1] < err_b[-1]


# --------------------------------------------------------------------------- latency
def test_latency_linear_by_hand():
    # t = (1 - x)(T - 1) with T = 5: x = 1 -> 0, 0.5 -> 2, 0.25 -> 3, 0 -> never
    k = latency_times([1.0, 0.5, 0.25, 0.0], 5).numpy()
    np.testing.assert_array_equal(k, [0, 2, 3, -1])
    s = latency([1.0, 0.5, 0.25, 0.0], 5).numpy()
    assert s.shape == (5, 4)
    np.testing.assert_array_equal(s.argmax(axis=0)[:3], [0, 2, 3])
    assert s[:, 3].sum() == 0


def test_latency_log_by_hand():
    # normalize=False: t = tau ln(x/(x - theta)) / dt, tau = 10 ms, theta = 0.5, dt = 1 ms
    x = np.array([1.0, 0.75, 0.6, 0.5])
    expected = np.floor(10 * np.log(x[:3] / (x[:3] - 0.5)) + 0.5)  # 6.93 -> 7, 10.99 -> 11, 17.9 -> 18
    k = latency_times(x, 30, tau=10.0, threshold=0.5, mode="log", normalize=False).numpy()
    np.testing.assert_array_equal(k, [*expected.astype(int), -1])
    np.testing.assert_array_equal(k[:3], [7, 11, 18])
    # the window closes before x = 0.6 fires at step 18: dropped
    k_short = latency_times(x, 15, tau=10.0, threshold=0.5, mode="log", normalize=False).numpy()
    np.testing.assert_array_equal(k_short, [7, 11, -1, -1])
    # normalize=True: x = 1 fires at step 0 and x = 2 theta at the last step, whatever tau
    for tau in (1.0, 123.0):
        k_norm = latency_times([0.02, 1.0, 0.0199], 32, tau=tau, threshold=0.01, mode="log").numpy()
        np.testing.assert_array_equal(k_norm, [31, 0, 31])
    u = lambda v: np.log(v / (v - 0.01))  # noqa: E731
    expected = np.floor(31 * (u(0.1) - u(1.0)) / (np.log(2) - u(1.0)) + 0.5)  # 4.33 -> 4
    assert latency_times([0.1], 32, mode="log").numpy()[0] == expected == 4
    with pytest.raises(ValueError, match=r"threshold must be < 0.5.*normalize=False"):
        latency([0.9], 10, threshold=0.5, mode="log")


@pytest.mark.parametrize("mode", ["linear", "log"])
@pytest.mark.parametrize("normalize", [True, False])
def test_latency_brighter_earlier_at_most_one_spike(mode, normalize):
    x = np.linspace(0.0, 1.0, 201)
    s = latency(x, 40, mode=mode, normalize=normalize, tau=30.0)
    assert tuple(s.shape) == (40, 201) and _binary(s)
    counts = spike_count(s).numpy()
    assert counts.max() <= 1
    assert counts[x <= 0.01].sum() == 0  # zero (and sub-threshold) inputs never spike
    k = latency_times(x, 40, mode=mode, normalize=normalize, tau=30.0).numpy()
    fired = k >= 0
    np.testing.assert_array_equal(fired, counts == 1)
    assert np.all(np.diff(k[fired]) <= 0)  # brighter -> earlier (or the same step)
    assert k[-1] == 0 if normalize else k[-1] >= 0


def test_latency_on_images_is_time_major():
    s = latency(X_IMAGE, 12)
    assert tuple(s.shape) == (12, 16, 24)
    k = latency_times(X_IMAGE, 12)
    assert k.dtype == tf.int32 and tuple(k.shape) == (16, 24)


@pytest.mark.parametrize("mode, normalize, tau", [("linear", True, 5.0), ("linear", False, 20.0),
                                                  ("log", True, 5.0), ("log", False, 8.0)])
def test_decode_latency_inverts_encode_within_one_step(mode, normalize, tau):
    steps = 25
    kw = dict(mode=mode, normalize=normalize, tau=tau, threshold=0.01)
    x = np.random.default_rng(3).random(3000)
    s = latency(x, steps, **kw)
    x_hat = decode_latency(s, **kw).numpy()
    k = latency_times(x, steps, **kw).numpy()
    # re-encoding the estimate lands in the same step: error within one step's quantisation
    np.testing.assert_array_equal(latency_times(x_hat, steps, **kw).numpy()[k >= 0], k[k >= 0])
    np.testing.assert_array_equal(x_hat[k < 0], 0.0)
    if mode == "linear" and normalize:
        assert np.max(np.abs(x_hat - x)[k >= 0]) <= 0.5 / (steps - 1) + 1e-6


def test_decode_latency_truncated_train_with_steps():
    x = np.array([1.0, 0.5])
    s = latency(x, 21)[:11]  # keep the first half of the window
    np.testing.assert_allclose(decode_latency(s, steps=21).numpy(), [1.0, 0.5])
    with pytest.raises(ValueError, match="steps=5 is shorter than the spike train"):
        decode_latency(s, steps=5)


@pytest.mark.parametrize("kwargs, words", [
    ({"mode": "exp"}, "mode must be one of 'linear', 'log'"),
    ({"threshold": 0.0}, "threshold must be a finite number > 0"),
    ({"threshold": 1.0}, r"threshold must be in \(0, 1\)"),
    ({"tau": -5.0}, r"tau must be a finite number > 0 \(in ms\)"),
    ({"normalize": "yes"}, "normalize must be True or False"),
])
def test_latency_bad_arguments_raise(kwargs, words):
    with pytest.raises(ValueError, match=words):
        latency([0.5], 10, **kwargs)


def test_latency_x_above_one_raises():
    with pytest.raises(ValueError, match=r"x must hold values in \[0, 1\]"):
        latency_times([1.5], 10)


# --------------------------------------------------------------------------- delta
def test_delta_step_up_then_down_exact_times():
    sig = np.zeros(10)
    sig[3:7] = 1.0
    on, off = delta(sig, threshold=0.5)
    assert on.dtype == tf.float32 and tuple(on.shape) == (10,)
    np.testing.assert_array_equal(np.flatnonzero(on.numpy()), [3])
    np.testing.assert_array_equal(np.flatnonzero(off.numpy()), [7])


def test_delta_slow_ramp_accumulates_against_the_last_spike():
    # slope s = 1/64 per step, threshold 0.25 = 16 s: strictly above after n = 17 steps
    s_, theta, t_count = 1.0 / 64.0, 0.25, 171
    sig = s_ * np.arange(t_count)
    on, off = delta(sig, threshold=theta)
    np.testing.assert_array_equal(np.flatnonzero(on.numpy()), 17 * np.arange(1, 11))
    assert off.numpy().sum() == 0
    assert abs(on.numpy().sum() - s_ * t_count / theta) < 1  # about s T / theta
    # comparing only neighbouring samples would give none: each step changes by s < theta
    assert np.all(np.diff(sig) < theta)


def test_delta_ramp_down_gives_off_spikes_and_first_step_never_spikes():
    sig = 10.0 - 0.5 * np.arange(9)  # 10, 9.5, ..., 6
    on, off = delta(sig, threshold=0.75)  # |change| > 0.75 after 2 steps
    assert on.numpy().sum() == 0
    np.testing.assert_array_equal(np.flatnonzero(off.numpy()), [2, 4, 6, 8])
    on2, off2 = delta(np.full(5, 3.0), threshold=0.1)
    assert on2.numpy().sum() == 0 and off2.numpy().sum() == 0


def test_delta_frames_and_on_only():
    frames = np.zeros((6, 2, 3))
    frames[2:, 0, 0] = 1.0   # up at t = 2
    frames[4:, 1, 2] = -1.0  # down at t = 4
    on, off = delta(frames, threshold=0.5)
    assert tuple(on.shape) == (6, 2, 3) and tuple(off.shape) == (6, 2, 3)
    assert on.numpy()[2, 0, 0] == 1 and on.numpy().sum() == 1
    assert off.numpy()[4, 1, 2] == 1 and off.numpy().sum() == 1
    on_only = delta(frames, threshold=0.5, off_spikes=False)
    assert isinstance(on_only, tf.Tensor)
    np.testing.assert_array_equal(on_only.numpy(), on.numpy())


@pytest.mark.parametrize("signal, kwargs, words", [
    (np.arange(5.0), {"threshold": 0.0}, "threshold must be a finite number > 0"),
    (np.array([0.0, np.nan]), {"threshold": 0.1}, "signal contains NaN"),
    (np.float64(1.0), {"threshold": 0.1}, r"signal must be time-major.*\[T\]"),
    (np.zeros((0, 3)), {"threshold": 0.1}, "signal must be time-major with at least one step"),
])
def test_delta_bad_arguments_raise(signal, kwargs, words):
    with pytest.raises(ValueError, match=words):
        delta(signal, **kwargs)


# --------------------------------------------------------------------------- decoders
def test_count_rate_and_decode_rate_by_hand():
    s = np.array([[1, 0], [1, 0], [0, 1], [1, 0]], dtype=np.float32)  # T = 4
    np.testing.assert_array_equal(spike_count(s).numpy(), [3, 1])
    np.testing.assert_allclose(firing_rate(s, dt=0.5).numpy(), [1.5, 0.5])  # spikes / (4 * 0.5 ms) in kHz
    np.testing.assert_allclose(decode_rate(s, max_rate=0.5, dt=2.0).numpy(), [0.75, 0.25])


@pytest.mark.parametrize("fn", [spike_count, firing_rate, decode_rate, decode_latency])
def test_decoders_reject_bad_trains(fn):
    with pytest.raises(ValueError, match="time-major"):
        fn(np.float32(1.0))
    with pytest.raises(ValueError, match="NaN"):
        fn(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="no time steps"):
        fn(np.zeros((0, 4)))


def test_decode_rate_inverts_rate_on_an_image():
    s = rate(X_IMAGE, 2000, seed=2)
    assert np.max(np.abs(decode_rate(s).numpy() - X_IMAGE)) < 5 * math.sqrt(0.25 / 2000)
    h = hashlib.sha256(s.numpy().tobytes()).hexdigest()
    assert h == hashlib.sha256(rate(X_IMAGE, 2000, seed=2).numpy().tobytes()).hexdigest()


# --------------------------------------------------------------------------- decode_delta
def test_decode_delta_by_hand_and_x0():
    on, off = delta([1.0, 1.3, 1.6, 1.2, 1.2], threshold=0.25)  # ON at 1, 2; OFF at 3
    x_hat = decode_delta(on, off, threshold=0.25, x0=1.0)
    assert x_hat.dtype == tf.float32 and tuple(x_hat.shape) == (5,)
    np.testing.assert_allclose(x_hat.numpy(), [1.0, 1.25, 1.5, 1.25, 1.25])
    np.testing.assert_allclose(decode_delta(on, off, threshold=0.25).numpy(), [0.0, 0.25, 0.5, 0.25, 0.25])


def test_decode_delta_slow_ramp_stays_within_theta_plus_the_overshoots():
    # slope s = 1/512 per step, theta = 0.25 = 128 s: an ON event every 129 steps, each 1 s past theta
    s_, theta = 1.0 / 512.0, 0.25
    sig = 0.25 + s_ * np.arange(640)  # rises 5 theta; every value is exact in binary
    on, off = delta(sig, threshold=theta)
    n_events = int(on.numpy().sum())
    assert n_events == 4 and off.numpy().sum() == 0
    err = sig - decode_delta(on, off, threshold=theta, x0=sig[0]).numpy()
    assert np.all(err >= -1e-6)  # the staircase never overtakes a rising ramp
    assert err.max() <= theta + n_events * s_ + 1e-6  # theta, plus one sample's overshoot per event
    assert err.max() < 1.05 * theta  # i.e. within theta, to 5 %, on a slow ramp
    # right after each event only the accumulated overshoots remain
    events = np.flatnonzero(on.numpy())
    np.testing.assert_allclose(err[events], s_ * np.arange(1, n_events + 1), atol=1e-6)


def test_decode_delta_big_step_gives_one_event_and_undershoots():
    theta = 0.05
    sig = np.where(np.arange(10) >= 4, 8 * theta, 0.0)  # a step of 8 theta at t = 4
    on, off = delta(sig, threshold=theta)
    assert on.numpy().sum() == 1 and off.numpy().sum() == 0
    x_hat = decode_delta(on, off, threshold=theta).numpy()
    np.testing.assert_allclose(x_hat[4:], theta)  # only theta of the 8 theta is reconstructed
    np.testing.assert_allclose(sig[-1] - x_hat[-1], 7 * theta, rtol=1e-6)


def test_decode_delta_frames_with_a_first_frame_x0():
    frames = np.zeros((5, 2, 3))
    frames[:, 0, 0] = [0.2, 0.2, 0.5, 0.5, 0.1]  # ON at 2, OFF at 4
    frames[:, 1, 2] = 0.7  # constant
    on, off = delta(frames, threshold=0.25)
    x_hat = decode_delta(on, off, threshold=0.25, x0=frames[0]).numpy()
    assert x_hat.shape == (5, 2, 3)
    np.testing.assert_allclose(x_hat[:, 0, 0], [0.2, 0.2, 0.45, 0.45, 0.2], atol=1e-6)
    np.testing.assert_allclose(x_hat[:, 1, 2], 0.7, atol=1e-6)


@pytest.mark.parametrize("on, off, kwargs, words", [
    (np.zeros((4, 2)), np.zeros((4, 3)), {"threshold": 0.1}, "on and off must have the same shape"),
    (np.zeros(4), np.zeros(4), {"threshold": 0.0}, "threshold must be a finite number > 0"),
    (np.zeros((4, 2)), np.zeros((4, 2)), {"threshold": 0.1, "x0": [1.0, 2.0, 3.0]},
     r"x0 must be a number or one frame of shape \(2,\)"),
    (np.zeros(4), np.zeros(4), {"threshold": 0.1, "x0": np.nan}, "x0 contains NaN"),
    (np.float32(1.0), np.float32(1.0), {"threshold": 0.1}, "time-major"),
])
def test_decode_delta_bad_arguments_raise(on, off, kwargs, words):
    with pytest.raises(ValueError, match=words):
        decode_delta(on, off, **kwargs)


# --------------------------------------------------------------------------- the code registry
# (the reconstruction-error functions that use it are tested in tests/test_metrics.py)
ENCODE_CASES = [
    ("rate", rate, {}), ("rate", rate, {"seed": 9, "max_rate": 0.5, "dt": 0.5}),
    ("deterministic_rate", deterministic_rate, {}), ("deterministic_rate", deterministic_rate, {"max_rate": 0.3}),
    ("deterministic", deterministic_rate, {}), ("deterministic", deterministic_rate, {"max_rate": 0.5, "dt": 2.0}),
    ("latency", latency, {}), ("latency", latency, {"mode": "log", "tau": 3.0, "normalize": False}),
]


def test_every_code_and_alias_is_covered_by_the_encode_cases():
    assert {c for c, _, _ in ENCODE_CASES} == set(CODES) | set(CODE_ALIASES)


@pytest.mark.parametrize("code, encoder, params", ENCODE_CASES)
def test_encode_by_name_is_the_encoder_call(code, encoder, params):
    np.testing.assert_array_equal(encode(X_IMAGE, 17, code, **params).numpy(),
                                  encoder(X_IMAGE, 17, **params).numpy())
    np.testing.assert_array_equal(encode(X_IMAGE, 17, code=code, **params).numpy(),
                                  encoder(X_IMAGE, 17, **params).numpy())


def test_encode_defaults_to_the_bernoulli_rate_code():
    np.testing.assert_array_equal(encode(X_IMAGE, 9).numpy(), rate(X_IMAGE, 9).numpy())


@pytest.mark.parametrize("name", ENCODINGS)
def test_every_encoding_of_the_edge_pipeline_is_a_code(name):
    assert resolve_code(name) in CODES
    assert tuple(encode(X_IMAGE, 5, name).shape) == (5, 16, 24)


def test_aliases_name_the_same_code():
    assert CODE_ALIASES == {"deterministic": "deterministic_rate"}
    assert resolve_code("deterministic") == resolve_code("deterministic_rate") == "deterministic_rate"
    assert resolve_code("rate", ["seed", "dt"]) == "rate"


def test_code_parameters_are_read_from_the_signatures():
    # by hand from the encoders' definitions: keyword-only arguments, in order, and the decoder's share
    assert CODES["rate"].params == ("max_rate", "dt", "seed")
    assert CODES["rate"].decoder_params == ("max_rate", "dt")
    assert CODES["deterministic_rate"].params == CODES["deterministic_rate"].decoder_params == ("max_rate", "dt")
    assert CODES["latency"].params == CODES["latency"].decoder_params == (
        "tau", "threshold", "mode", "normalize", "dt")
    for entry in CODES.values():  # and every one of them really is a keyword of the encoder
        sig = inspect.signature(entry.encoder).parameters
        assert all(sig[p].kind is inspect.Parameter.KEYWORD_ONLY for p in entry.params)
    encoder, decoder = CODES["latency"]  # unpacks as before
    assert (encoder, decoder) == (latency, decode_latency)


def test_a_registered_code_needs_only_its_functions(monkeypatch):
    def sparse_rate(x, steps, *, every=2):
        return deterministic_rate(x, steps) * (np.arange(steps) % every == 0)[:, None].astype(np.float32)

    monkeypatch.setitem(CODES, "sparse", Code(sparse_rate, decode_rate))
    assert CODES["sparse"].params == ("every",) and CODES["sparse"].decoder_params == ()
    np.testing.assert_array_equal(encode([1.0], 4, "sparse", every=2).numpy()[:, 0], [1, 0, 1, 0])
    with pytest.raises(ValueError, match=r"code='sparse' takes the keyword arguments every \(those of sparse_rate\(\)\)"):
        encode([1.0], 4, "sparse", seed=1)


@pytest.mark.parametrize("code, params, words", [
    ("delta", {}, "code must be one of 'rate', 'deterministic_rate', 'latency', 'deterministic'; got 'delta'"),
    (None, {}, "code must be one of"),
    ("deterministic", {"seed": 1}, r"code='deterministic' takes the keyword arguments max_rate, dt "
                                   r"\(those of deterministic_rate\(\)\), got seed"),
    ("latency", {"max_rate": 1.0, "bogus": 2}, "takes the keyword arguments tau, .*got bogus, max_rate"),
])
def test_encode_bad_code_or_params_raise(code, params, words):
    with pytest.raises(ValueError, match=words):
        encode([0.5], 4, code, **params)


def test_encode_checks_like_the_encoder():
    with pytest.raises(ValueError, match=r"max_rate·dt must be <= 1"):
        encode([0.5], 4, "deterministic", max_rate=2.0)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        encode([0.5], 0, "latency")


def test_moved_names_are_still_importable_from_encoders():
    from snnlib import metrics

    for name in ("rmse", "reconstruction_rmse", "rmse_over_steps", "smallest_steps", "power_law_fit", "PowerLaw"):
        assert getattr(encoders, name) is getattr(metrics, name)
    from snnlib.encoders import power_law_fit as old_path

    assert old_path is metrics.power_law_fit
    with pytest.raises(AttributeError, match="no attribute 'rmse_forever'"):
        encoders.rmse_forever  # noqa: B018
