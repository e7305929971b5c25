"""Device physics of snnlib.memristor: defining properties, not just numbers."""

import numpy as np
import pytest

from snnlib.memristor import (
    PRESETS,
    DevicePreset,
    HPMemristor,
    MemristorTrace,
    PulseProgrammer,
    VTEAMMemristor,
    get_device,
    hp_small_swing,
    lobe_area,
    neurosim_norm_a,
    pcm_drift,
    program_pulses,
    pulse_conductance,
    pulse_number,
    sine,
    window_biolek,
    window_joglekar,
    window_prodromakis,
)

# --------------------------------------------------------------------------- HP model: fingerprints


def _sine_with_exact_zeros(f: float, n: int = 4001) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 1.0 / f, n)
    v = sine(1.0, f, t)
    v[[0, (n - 1) // 2, n - 1]] = 0.0  # the zero crossings, exactly
    return t, v


@pytest.mark.parametrize("window", ["none", "joglekar", "biolek", "prodromakis"])
def test_current_is_zero_whenever_voltage_is_zero(window):
    t, v = _sine_with_exact_zeros(2.0)
    tr = HPMemristor(window=window).simulate(v, t)
    assert isinstance(tr, MemristorTrace)
    assert np.count_nonzero(v == 0) >= 3
    assert np.all(tr.i[v == 0] == 0.0)
    assert np.all(np.isfinite(tr.i))


def test_vteam_current_is_zero_whenever_voltage_is_zero():
    t = np.linspace(0, 40e-9, 4001)
    v = sine(1.0, 50e6, t)
    v[::500] = 0.0
    tr = VTEAMMemristor().simulate(v, t)
    assert np.all(tr.i[v == 0] == 0.0)


def test_lobe_area_shrinks_with_frequency_and_loop_tends_to_a_line():
    hp = HPMemristor()
    areas, shape = [], []
    for f in (1.0, 2.0, 5.0, 50.0):
        t = np.linspace(0.0, 1.0 / f, 4001)
        tr = hp.simulate(sine(1.0, f, t), t)
        a = lobe_area(tr)
        areas.append(a)
        shape.append(a / (np.abs(tr.v).max() * np.abs(tr.i).max()))  # dimensionless loop "fatness"
    assert all(a > 0 for a in areas)
    assert all(a1 > a2 for a1, a2 in zip(areas, areas[1:], strict=False))
    assert all(s1 > s2 for s1, s2 in zip(shape, shape[1:], strict=False))
    assert shape[-1] < 0.02 * shape[0]  # at high frequency the loop collapses to a line


def test_lobe_area_of_a_resistor_is_zero_and_period_selects_last_period():
    t = np.linspace(0, 2.0, 2001)
    v = sine(1.0, 1.0, t)
    tr = MemristorTrace(t=t, v=v, i=v / 100.0, x=np.zeros_like(t))
    assert lobe_area(tr) == pytest.approx(0.0, abs=1e-15)
    hp_tr = HPMemristor().simulate(v, t)
    assert lobe_area(hp_tr, period=1.0) > 0
    with pytest.raises(ValueError, match="period"):
        lobe_area(hp_tr, period=5.0)


def test_charge_state_identity_without_window():
    hp = HPMemristor(x0=0.1)
    t = np.linspace(0.0, 2.0, 20001)
    tr = hp.simulate(sine(1.0, 1.0, t), t)
    assert 0.0 < tr.x.min() and tr.x.max() < 1.0
    expected = tr.charge * hp.mu_v * hp.r_on / hp.d ** 2
    dx = tr.x - hp.x0
    np.testing.assert_allclose(dx, expected, rtol=1e-6, atol=1e-6 * np.abs(dx).max())
    assert hp.q_d == pytest.approx(1e-4)


def test_state_swing_matches_small_signal_estimate():
    # reference: state swing ~ V0/(pi f M Q_D) for HP without window
    hp = HPMemristor(x0=0.1)
    f = 50.0
    t = np.linspace(0, 1 / f, 4001)
    tr = hp.simulate(sine(1.0, f, t), t)
    assert np.ptp(tr.x) == pytest.approx(hp.small_swing(1.0, f).swing, rel=0.02)


def test_charge_property_is_the_trapezoid_integral_of_the_current():
    t = np.array([0.0, 1.0, 3.0])
    tr = MemristorTrace(t=t, v=np.zeros(3), i=np.array([1.0, 3.0, -1.0]), x=np.zeros(3))
    np.testing.assert_allclose(tr.charge, [0.0, 2.0, 4.0])


def test_small_swing_formulas_and_lobe_area_at_high_frequency():
    hp = HPMemristor(x0=0.1)  # M0 = 100·0.1 + 16e3·0.9 = 14410 Ω, ΔR = 15900 Ω, Q_D = 1e-4 C
    est = hp.small_swing(1.0, np.array([50.0, 1000.0]))
    m0 = 14410.0
    np.testing.assert_allclose(est.swing, 1.0 / (np.pi * np.array([50.0, 1000.0]) * m0 * 1e-4), rtol=1e-12)
    np.testing.assert_allclose(est.area, 2 * 15900.0 / (3 * np.pi * np.array([50.0, 1000.0]) * m0 ** 3 * 1e-4),
                               rtol=1e-12)
    direct = hp_small_swing(2.0, 10.0, m0=m0, delta_r=15900.0, q_d=1e-4)
    assert direct.swing == pytest.approx(2.0 * hp.small_swing(1.0, 10.0).swing)  # ∝ V0
    assert direct.area == pytest.approx(8.0 * hp.small_swing(1.0, 10.0).area)    # ∝ V0³
    t = np.linspace(0.0, 1e-3, 4001)
    tr = hp.simulate(sine(1.0, 1000.0, t), t)
    assert lobe_area(tr) == pytest.approx(float(est.area[1]), rel=0.02)
    with pytest.raises(ValueError, match="window"):
        HPMemristor(window="joglekar").small_swing(1.0, 10.0)
    with pytest.raises(ValueError, match="f must be > 0"):
        hp.small_swing(1.0, [0.0, 1.0])


def test_simulate_accepts_a_callable_and_is_deterministic():
    hp = HPMemristor(window="biolek", p=2)
    t = np.linspace(0, 1, 2001)
    a = hp.simulate(lambda tt: np.sin(2 * np.pi * tt), t)
    b = hp.simulate(np.sin(2 * np.pi * t), t)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.i, b.i)


# --------------------------------------------------------------------------- windows


@pytest.mark.parametrize("p", [1, 2, 5])
def test_joglekar_window_boundaries(p):
    f = window_joglekar(np.array([0.0, 0.5, 1.0]), p)
    np.testing.assert_allclose(f, [0.0, 1.0, 0.0], atol=1e-15)
    x = np.linspace(0, 1, 101)
    assert np.all(window_joglekar(x, p) >= -1e-15) and np.all(window_joglekar(x, p) <= 1)


@pytest.mark.parametrize("p,j", [(1, 1.0), (2, 0.5), (10, 2.0)])
def test_prodromakis_window_boundaries(p, j):
    f = window_prodromakis(np.array([0.0, 0.5, 1.0]), p, j)
    np.testing.assert_allclose(f[[0, 2]], 0.0, atol=1e-15)
    # maximum at x = 0.5, of height j·(1 − 0.75^p), tending to j as p grows
    assert f[1] == pytest.approx(j * (1 - 0.75 ** p))
    x = np.linspace(0, 1, 101)
    assert np.argmax(window_prodromakis(x, p, j)) == 50
    assert window_prodromakis(0.5, 200, j) == pytest.approx(j, rel=1e-12)


def test_biolek_window_depends_on_current_direction():
    assert window_biolek(1.0, +1e-3, 1) == 0.0   # rising current cannot push past x = 1
    assert window_biolek(1.0, -1e-3, 1) == 1.0   # reversed current leaves x = 1 at full speed
    assert window_biolek(0.0, -1e-3, 1) == 0.0
    assert window_biolek(0.0, +1e-3, 1) == 1.0


@pytest.mark.parametrize("p,j", [(1, 1.0), (2.5, 0.7)])
def test_window_value_and_simulate_use_the_window_functions(p, j):
    x = np.linspace(0.0, 1.0, 11)
    funcs = {"joglekar": lambda i: window_joglekar(x, p), "biolek": lambda i: window_biolek(x, i, p),
             "prodromakis": lambda i: window_prodromakis(x, p, j), "none": lambda i: np.ones_like(x)}
    for name, func in funcs.items():
        hp = HPMemristor(window=name, p=p, j=j)
        for i in (1e-3, -1e-3):
            np.testing.assert_array_equal(hp.window_value(x, i), func(i))
    # one explicit Euler-sized step from x0: Δx = h·v/(M(x0)·Q_D)·f(x0, i), for every window
    t = np.array([0.0, 1e-9])
    for name in funcs:
        for volts in (1.0, -1.0):
            hp = HPMemristor(window=name, p=p, j=j, x0=0.3)
            dx = hp.simulate(np.full(2, volts), t).x[1] - 0.3
            rate = volts / (float(hp.resistance(0.3)) * hp.q_d) * float(hp.window_value(0.3, volts))
            assert dx == pytest.approx(rate * 1e-9, rel=1e-6)


def test_biolek_escapes_the_bound_but_joglekar_sticks():
    t = np.linspace(0, 0.5, 2001)
    v = -np.ones_like(t)  # current reverses relative to the drive that set x = 1
    jog = HPMemristor(x0=1.0, window="joglekar").simulate(v, t)
    bio = HPMemristor(x0=1.0, window="biolek").simulate(v, t)
    assert np.all(jog.x == 1.0)
    assert bio.x[-1] < 0.99
    # and from the bottom with positive current
    up = np.ones_like(t)
    assert np.all(HPMemristor(x0=0.0, window="joglekar").simulate(up, t).x == 0.0)
    assert HPMemristor(x0=0.0, window="biolek").simulate(up, t).x[-1] > 0.01


def test_state_stays_in_unit_interval_under_hard_drive():
    t = np.linspace(0, 2, 2001)
    for w in ("none", "joglekar", "biolek", "prodromakis"):
        tr = HPMemristor(window=w, x0=0.5).simulate(sine(5.0, 1.0, t), t)
        assert tr.x.min() >= 0.0 and tr.x.max() <= 1.0


# --------------------------------------------------------------------------- VTEAM


def test_vteam_no_change_between_thresholds():
    vt = VTEAMMemristor(x0=0.5)
    t = np.linspace(0, 1e-6, 2001)
    v = 0.015 * np.sin(2 * np.pi * 5e6 * t) - 0.004  # inside (v_on, v_off) = (-0.2, 0.02) V
    assert v.max() < vt.v_off and v.min() > vt.v_on
    tr = vt.simulate(v, t)
    assert np.all(tr.x == 0.5)
    np.testing.assert_array_equal(vt.state_rate(v), 0.0)


def test_vteam_switches_above_thresholds_in_the_right_direction():
    vt = VTEAMMemristor(x0=0.5)
    t = np.linspace(0, 20e-9, 2001)
    off = vt.simulate(np.full_like(t, 0.5), t)   # v > v_off: towards OFF (x falls)
    on = vt.simulate(np.full_like(t, -0.5), t)   # v < v_on: towards ON (x rises)
    assert off.x[-1] < 0.5 and on.x[-1] > 0.5
    assert np.all(np.diff(off.x) <= 0) and np.all(np.diff(on.x) >= 0)
    assert on.x[-1] == 1.0  # k_on is large: it saturates at the bound


# --------------------------------------------------------------------------- NeuroSim pulses


def test_norm_a_table_points_and_sign():
    assert neurosim_norm_a(1.0) == pytest.approx(1.2517)
    assert neurosim_norm_a(2.4) == pytest.approx(0.4992)
    assert neurosim_norm_a(4.88) == pytest.approx(0.2003)
    assert neurosim_norm_a(-4.88) == neurosim_norm_a(4.88)
    assert neurosim_norm_a(0.0) == np.inf
    vals = [neurosim_norm_a(x) for x in np.linspace(0.005, 8.9, 200)]
    assert np.all(np.diff(vals) < 0)
    with pytest.raises(ValueError, match="nl"):
        neurosim_norm_a(12.0)


@pytest.mark.parametrize("nl", [0.0, 0.04, 1.0, 2.4, -4.88])
@pytest.mark.parametrize("direction", ["ltp", "ltd"])
def test_pulse_curve_endpoints_and_monotonicity(nl, direction):
    kw = dict(g_min=1e-6, g_max=1e-5, p_max=100)
    p = np.arange(101)
    g = pulse_conductance(p, nl=nl, direction=direction, **kw)
    if direction == "ltp":
        assert g[0] == pytest.approx(1e-6, rel=1e-12) and g[-1] == pytest.approx(1e-5, rel=1e-12)
        assert np.all(np.diff(g) > 0)
    else:
        assert g[0] == pytest.approx(1e-5, rel=1e-12) and g[-1] == pytest.approx(1e-6, rel=1e-12)
        assert np.all(np.diff(g) < 0)
    np.testing.assert_allclose(pulse_number(g, nl=nl, direction=direction, **kw), p, atol=1e-6)


def test_linear_device_and_larger_nl_is_more_nonlinear():
    kw = dict(g_min=0.0 + 1e-6, g_max=2e-6, p_max=100)
    p = np.arange(101)
    np.testing.assert_allclose(pulse_conductance(p, nl=0.0, **kw), 1e-6 + 1e-8 * p, rtol=1e-12)
    mid_dev = []
    for nl in (0.0, 0.5, 1.0, 2.4, 4.88, 8.0):
        mid = pulse_conductance(50, nl=nl, **kw)
        mid_dev.append(float(mid - 1.5e-6) / 1e-6)  # fraction of range above the straight line
    assert mid_dev[0] == pytest.approx(0.0, abs=1e-12)
    assert all(a < b for a, b in zip(mid_dev, mid_dev[1:], strict=False))
    # LTD with its own NL: steep first, so its midpoint lies below the line
    assert pulse_conductance(50, nl=-4.88, direction="ltd", **kw) < 1.5e-6


def test_program_pulses_moves_along_the_curve_and_noise_is_seeded():
    kw = dict(g_min=1e-6, g_max=1e-5, p_max=100, nl_ltp=2.4, nl_ltd=-4.88)
    g0 = np.full(1000, 1e-6)
    g = program_pulses(g0, 30, **kw)
    np.testing.assert_allclose(g, pulse_conductance(30, g_min=1e-6, g_max=1e-5, p_max=100, nl=2.4))
    g2 = program_pulses(g, 20, **kw)  # 30 + 20 pulses = 50 pulses from G_min
    np.testing.assert_allclose(g2, pulse_conductance(50, g_min=1e-6, g_max=1e-5, p_max=100, nl=2.4))
    down = program_pulses(np.full(3, 1e-5), -10, **kw)
    np.testing.assert_allclose(down, pulse_conductance(10, g_min=1e-6, g_max=1e-5, p_max=100, nl=-4.88,
                                                       direction="ltd"))
    assert np.all(program_pulses(g, 10_000, **kw) == 1e-5)  # saturates
    assert np.all(program_pulses(g, 0, **kw) == g)
    a = program_pulses(g0, 30, c2c_sigma=0.03, seed=7, **kw)
    b = program_pulses(g0, 30, c2c_sigma=0.03, seed=7, **kw)
    c = program_pulses(g0, 30, c2c_sigma=0.03, seed=8, **kw)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # NeuroSim: sigma * (Gmax - Gmin) * sqrt(n)
    assert np.std(a - g) == pytest.approx(0.03 * 9e-6 * np.sqrt(30), rel=0.1)
    with pytest.raises(ValueError, match="n_pulses"):
        program_pulses(g0, 1.5, **kw)


def test_pulse_programmer_is_reproducible():
    a = PulseProgrammer("hfox", seed=1)
    b = PulseProgrammer("hfox", seed=1)
    g = np.full(100, PRESETS["hfox"].g_min)
    np.testing.assert_array_equal(a.program(g, 5), b.program(g, 5))
    curve = a.curve()
    assert curve.size == 128 and curve[0] == PRESETS["hfox"].g_min
    with pytest.raises(ValueError, match="p_max"):
        PulseProgrammer("ideal")


# --------------------------------------------------------------------------- presets, drift


def test_presets_convert_resistance_and_on_off():
    hf = get_device("hfox")
    assert hf.g_max == pytest.approx(1 / 100e3) and hf.g_min == pytest.approx(1e-6)
    assert hf.levels == 128 and hf.c2c_sigma == 0.037
    ag = get_device("ag_si")
    assert ag.g_max == pytest.approx(1 / 26e6) and ag.on_off == pytest.approx(12.5)
    assert (ag.nl_ltp, ag.nl_ltd) == (2.4, -4.88)
    pcm = get_device("pcm")
    assert pcm.g_max == pytest.approx(1 / 4.71e3) and 0.05 <= pcm.drift_nu <= 0.1
    ideal = get_device("ideal")
    assert ideal.levels is None and ideal.c2c_sigma == 0 and ideal.drift_nu == 0 and ideal.nl_ltp == 0
    for p in PRESETS.values():
        assert p.citation and p.g_max > p.g_min > 0
        assert get_device(p.to_dict()) == p
    assert get_device(hf) is hf


def test_get_device_errors_list_names():
    with pytest.raises(ValueError, match="'hfox'"):
        get_device("nope")
    with pytest.raises(ValueError, match="DevicePreset"):
        get_device(3)
    with pytest.raises(ValueError, match="levels"):
        DevicePreset("x", 1e-6, 1e-5, 1, 0, 0, 0, 0, 0, "")
    with pytest.raises(ValueError, match="g_max"):
        DevicePreset("x", 1e-5, 1e-6, None, 0, 0, 0, 0, 0, "")


def test_pcm_drift_ratio():
    g0 = np.array([1e-5, 5e-5])
    t, nu, t0 = 1000.0, 0.05, 20.0
    np.testing.assert_allclose(pcm_drift(g0, t, nu, t0) / g0, ((t + t0) / t0) ** (-nu))
    np.testing.assert_array_equal(pcm_drift(g0, 0.0, nu), g0)
    assert np.all(np.diff(pcm_drift(1e-5, np.array([0, 10, 100, 1e4]), 0.1)) < 0)


# --------------------------------------------------------------------------- argument checks


def test_model_argument_errors():
    with pytest.raises(ValueError, match="window"):
        HPMemristor(window="hann")
    with pytest.raises(ValueError, match="r_off"):
        HPMemristor(r_on=1e3, r_off=10.0)
    with pytest.raises(ValueError, match="x0"):
        HPMemristor(x0=1.5)
    with pytest.raises(ValueError, match="k_on"):
        VTEAMMemristor(k_on=5.0)
    with pytest.raises(ValueError, match="v_on"):
        VTEAMMemristor(v_on=0.1)
    hp = HPMemristor()
    with pytest.raises(ValueError, match="same length"):
        hp.simulate(np.zeros(5), np.arange(6.0))
    with pytest.raises(ValueError, match="increasing"):
        hp.simulate(np.zeros(3), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="NaN"):
        hp.simulate(np.array([0.0, np.nan]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="p must be"):
        pulse_conductance(101, g_min=1e-6, g_max=1e-5, p_max=100, nl=1)
    with pytest.raises(ValueError, match="direction"):
        pulse_conductance(1, g_min=1e-6, g_max=1e-5, p_max=100, nl=1, direction="up")
    with pytest.raises(ValueError, match="nu"):
        pcm_drift(1e-5, 1.0, -0.1)


def test_lobe_area_period_on_a_trace_that_does_not_start_at_zero():
    from snnlib.memristor import HPMemristor, lobe_area, sine

    t = np.linspace(1.0, 2.0, 2001)
    trace = HPMemristor().simulate(sine(1.0, 1.0, t), t)
    assert lobe_area(trace, period=1.0) == pytest.approx(lobe_area(trace), rel=1e-9)


# --------------------------------------------------------------------------- physics audit: signed NL
def _neurosim_g(x, nl, p_max, g_min, g_max):
    """NeuroSim's NonlinearWeight written out: G = B(1 − e^(−x/A)) + G_min, A = sign(NL)·normA·P_max."""
    a = np.sign(nl) * neurosim_norm_a(nl) * p_max
    b = (g_max - g_min) / (1 - np.exp(-p_max / a))
    return b * (1 - np.exp(-np.asarray(x, float) / a)) + g_min


@pytest.mark.parametrize("nl", [2.4, -2.4, 0.105, -0.63, -4.88, 6.76, -6.76])
@pytest.mark.parametrize("direction", ["ltp", "ltd"])
def test_pulse_curve_is_neurosims_with_the_signed_a(nl, direction):
    kw = dict(g_min=1e-6, g_max=2e-5, p_max=99)
    p = np.arange(100)
    x = p if direction == "ltp" else 99 - p  # LTD walks the same curve back from G_max
    want = _neurosim_g(x, nl, **kw)
    got = pulse_conductance(p, nl=nl, direction=direction, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(pulse_number(got, nl=nl, direction=direction, **kw), p, atol=1e-6)


def test_pcm_depression_starts_slow_and_ends_steep():
    # GST PCM, NeuroSim table: NL 0.105 / +2.4. Normalised G after 1, 10, 50, 90 LTD pulses from G_max,
    # from NeuroSim's formula: 0.997, 0.965, 0.727, 0.192 (the mirrored curve gave 0.977, 0.788, 0.264, 0.031).
    d = PRESETS["pcm"]
    g = pulse_conductance([1, 10, 50, 90], g_min=d.g_min, g_max=d.g_max, p_max=d.p_max, nl=d.nl_ltd,
                          direction="ltd")
    np.testing.assert_allclose((g - d.g_min) / (d.g_max - d.g_min), [0.997, 0.965, 0.727, 0.192], atol=1e-3)
    steps = -np.diff(pulse_conductance(np.arange(d.p_max + 1), g_min=d.g_min, g_max=d.g_max, p_max=d.p_max,
                                       nl=d.nl_ltd, direction="ltd"))
    assert steps[-1] > 5 * steps[0]  # slow first, steep last


def test_negative_ltp_label_is_convex():
    kw = dict(g_min=1e-6, g_max=1e-5, p_max=100)
    assert pulse_conductance(50, nl=-2.4, **kw) < 5.5e-6 < pulse_conductance(50, nl=2.4, **kw)


def test_huge_pulse_counts_saturate_or_are_refused():
    kw = dict(g_min=1e-6, g_max=1e-4, p_max=10, nl_ltp=1.0, nl_ltd=-1.0)
    assert program_pulses(1e-5, 1e30, **kw) == pytest.approx(1e-4)
    assert program_pulses(1e-5, -1e30, **kw) == pytest.approx(1e-6)
    with pytest.raises(ValueError, match="n_pulses.*64-bit"):
        program_pulses(1e-5, 2**70, **kw)


def test_pulse_number_at_g_max_with_the_largest_nl_is_p_max_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for nl in (8.9, -8.9):
            assert pulse_number(1e-5, g_min=1e-6, g_max=1e-5, p_max=100, nl=nl) == pytest.approx(100.0)
