"""Plot helpers: they draw what they are given, with labelled axes, and refuse bad shapes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from snnlib.plots import figure_png, plot_frames, plot_membrane, plot_raster  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_frames_one_axes_per_frame_with_titles():
    frames = np.zeros((3, 4, 5))
    frames[1, 2, 3] = 1.0
    axes = plot_frames(frames, titles=["a", "b", "c"])
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == ["a", "b", "c"]
    np.testing.assert_array_equal(axes[1].images[0].get_array(), frames[1])
    assert axes[0].images[0].get_clim() == (0.0, 1.0)
    assert axes[0].figure.get_size_inches()[0] <= 9.0


def test_plot_frames_single_image_and_given_axes():
    fig, axes = plt.subplots(2, 2)
    used = plot_frames(np.ones((4, 4)), axes=axes[1], cmap="bwr", vmin=-1, vmax=1)
    assert used[0] is axes[1, 0]
    assert used[0].images[0].get_clim() == (-1.0, 1.0)
    assert not axes[0, 0].images


def test_plot_frames_list_of_different_sizes():
    axes = plot_frames([np.zeros((6, 4)), np.ones((3, 3))], vmin=None, vmax=None)
    assert [ax.images[0].get_array().shape for ax in axes] == [(6, 4), (3, 3)]


@pytest.mark.parametrize("frames", [[], [np.zeros(3)]])
def test_plot_frames_rejects_bad_lists(frames):
    with pytest.raises(ValueError, match="frames must be shaped"):
        plot_frames(frames)


@pytest.mark.parametrize("frames", [np.zeros(5), np.zeros((0, 3, 3)), np.zeros((1, 2, 3, 4))])
def test_plot_frames_rejects_bad_shapes(frames):
    with pytest.raises(ValueError, match="frames must be shaped"):
        plot_frames(frames)


def test_plot_frames_rejects_wrong_title_or_axes_count():
    with pytest.raises(ValueError, match="titles"):
        plot_frames(np.zeros((2, 3, 3)), titles=["only one"])
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="axes"):
        plot_frames(np.zeros((2, 3, 3)), axes=[ax])


def test_plot_raster_places_spikes_at_end_of_step():
    s = np.zeros((10, 3))
    s[4, 1] = 1.0
    ax = plot_raster(s, dt=0.5)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[2.5, 1.0]])
    assert ax.get_xlabel() == "time (ms)"


def test_plot_membrane_and_figure_png():
    ax = plot_membrane(np.linspace(0, 1.2, 20), np.r_[np.zeros(19), 1.0], threshold=1.0)
    assert ax.get_xlabel() == "time (ms)"
    png = figure_png(ax.figure)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
