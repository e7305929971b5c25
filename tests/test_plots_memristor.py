"""plot_iv_loop: draws the trace it is given, in the unit asked for, with direction arrows."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from snnlib.memristor import HPMemristor, sine  # noqa: E402
from snnlib.plots import plot_iv_loop  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _trace(f=1.0):
    t = np.linspace(0.0, 1.0 / f, 401)
    return HPMemristor().simulate(sine(1.0, f, t), t)


def test_plot_iv_loop_draws_scaled_current_with_units():
    tr = _trace()
    ax = plot_iv_loop(tr, label="1 Hz")
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, tr.v)
    np.testing.assert_allclose(y, tr.i * 1e6)
    assert ax.get_xlabel() == "voltage v (V)"
    assert ax.get_ylabel() == "current i (µA)"
    assert ax.lines[0].get_label() == "1 Hz"
    assert len(ax.texts) == 2  # two direction arrows
    assert y[0] == 0.0 and x[0] == 0.0  # the loop starts at the pinch point


def test_plot_iv_loop_units_axes_and_no_arrows():
    tr = _trace()
    fig, (a0, a1) = plt.subplots(1, 2)
    used = plot_iv_loop(tr, ax=a1, current_unit="mA", arrows=False, color="C3")
    assert used is a1 and not a0.lines
    np.testing.assert_allclose(a1.lines[0].get_data()[1], tr.i * 1e3)
    assert a1.get_ylabel() == "current i (mA)"
    assert not a1.texts
    assert plot_iv_loop(tr, current_unit="uA").get_ylabel() == "current i (µA)"


def test_plot_iv_loop_refuses_bad_input():
    tr = _trace()
    with pytest.raises(ValueError, match="current_unit"):
        plot_iv_loop(tr, current_unit="amps")

    class Bad:
        v = np.zeros(5)
        i = np.zeros(4)

    with pytest.raises(ValueError, match="same length"):
        plot_iv_loop(Bad())
