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


def test_on_off_image_colours_and_shared_scale():
    from types import SimpleNamespace

    from snnlib.plots import OFF_COLOUR, ON_COLOUR, on_off_image, plot_on_off, side_by_side

    counts = np.zeros((4, 5, 2))
    counts[1, 1, 0] = 10   # an ON neuron
    counts[2, 3, 1] = 10   # an OFF neuron, as strong
    counts[3, 4, 1] = 5    # a weaker OFF neuron
    r = SimpleNamespace(counts=counts, original=np.zeros((4, 5)), edges=np.zeros((4, 5)), params={})
    rgb, note = on_off_image(r, percentile=100.0, gamma=1.0)
    np.testing.assert_allclose(rgb[1, 1], ON_COLOUR, atol=1e-6)
    np.testing.assert_allclose(rgb[2, 3], OFF_COLOUR, atol=1e-6)
    np.testing.assert_allclose(rgb[3, 4], 0.5 * np.array(OFF_COLOUR), atol=1e-6)  # one scale for both
    assert rgb[0, 0].max() == 0.0 and "max" in note
    ax = plot_on_off(r)
    assert ax.get_ylabel() == "y (px)" and ax.get_xlabel().startswith("x (px)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ON neurons (+I)", "OFF neurons (−I)"]
    fig = side_by_side(r)  # one channel (centre-surround): ON and OFF in two colours by default
    assert fig.axes[1].get_images()[0].get_array().shape == (4, 5, 3) and "orange ON" in fig.axes[1].get_xlabel()
    with pytest.raises(ValueError, match="2C"):
        on_off_image(SimpleNamespace(counts=np.zeros((4, 5, 3))))
