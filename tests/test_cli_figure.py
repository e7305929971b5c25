"""The side-by-side figure the command line saves stays bounded and readable for any aspect ratio."""

import io
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from snnlib.plots import side_by_side  # noqa: E402


def _saved_size(shape):
    rng = np.random.default_rng(0)
    result = SimpleNamespace(original=rng.random(shape), edges=rng.random(shape),  # what EdgeResult has
                             params=dict(tau=5, threshold=0.5, steps=32, device="ideal"))
    fig = side_by_side(result)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=100, bbox_inches="tight", format="png")  # as the command line saves it
    plt.close(fig)
    return Image.open(buf).size, fig


@pytest.mark.parametrize("shape", [(10, 10000), (10000, 10), (3, 1024), (1024, 3), (1024, 40), (3, 3),
                                   (600, 512), (1024, 1024)])
def test_figure_size_is_bounded_for_any_aspect_ratio(shape):
    (w, h), fig = _saved_size(shape)
    assert 600 <= w <= 2000 and 150 <= h <= 1200, (shape, w, h)  # was 990×136 918 px for (10000, 10)
    axes = fig.axes[:2]
    extreme = max(shape) / min(shape) > 25
    assert all(ax.get_ylabel() == ("y (px, stretched)" if extreme else "y (px)") for ax in axes)
    for ax in axes:  # the image keeps a readable size on the page: at least ~0.5 inch each way
        bbox = ax.get_window_extent()
        assert bbox.width >= 40 and bbox.height >= 40


def test_ordinary_photo_keeps_square_pixels():
    (_, _), fig = _saved_size((600, 512))
    assert all(ax.get_aspect() == 1.0 for ax in fig.axes[:2])
    assert tuple(fig.get_size_inches()) == pytest.approx((10, 5 * 600 / 512 + 0.6))


def test_map_is_display_scaled_and_says_so():
    rng = np.random.default_rng(1)
    edges = (rng.random((60, 50)) ** 6).astype(np.float32)  # mostly dark, as a spike-count map is
    result = SimpleNamespace(original=rng.random((60, 50)), edges=edges, counts=np.zeros((60, 50, 4)),
                             params=dict(tau=5, threshold=0.5, steps=32, device="hfox", encoding="deterministic"))
    fig = side_by_side(result)
    shown = fig.axes[1].get_images()[0].get_array()
    assert float(np.mean(shown)) > 1.5 * float(np.mean(edges))  # lifted for a projector
    assert "clipped at the 99th percentile, γ = 0.5" in fig.axes[1].get_xlabel()
    assert "hfox" in fig.axes[1].get_title() and "deterministic" in fig.axes[1].get_title()
    np.testing.assert_array_equal(result.edges, edges)  # the data are not changed
    plt.close(fig)
    raw = side_by_side(result, display=False)
    np.testing.assert_allclose(raw.axes[1].get_images()[0].get_array(), edges)
    assert "raw" in raw.axes[1].get_xlabel()
    plt.close(raw)
