"""Slider callbacks, called directly as the widgets call them."""

import datetime
import io

import numpy as np
from PIL import Image

from snnlib.edges import EdgeExtractor, synthetic_shapes
from snnlib.widgets import edge_explorer, edges_png, lif_explorer, lif_trace_png, render_edges

_WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_lif_trace_changes_with_tau_and_threshold():
    a = _pixels(lif_trace_png(20.0, 1.0, 1.5))
    assert np.array_equal(a, _pixels(lif_trace_png(20.0, 1.0, 1.5)))
    assert not np.array_equal(a, _pixels(lif_trace_png(5.0, 1.0, 1.5)))
    assert not np.array_equal(a, _pixels(lif_trace_png(20.0, 1.2, 1.5)))


def test_render_edges_changes_only_with_parameters():
    ex = EdgeExtractor(synthetic_shapes(48)[0], steps=16)
    png, status = render_edges(ex, 5.0, 0.5)
    assert _pixels(png).shape == (48, 48) and "LIF spikes" in status
    assert render_edges(ex, 5.0, 0.5)[0] == png
    assert render_edges(ex, 12.0, 0.5)[0] != png
    assert render_edges(ex, 5.0, 0.9)[0] != png


def test_edges_png_round_trip():
    m = np.linspace(0, 1, 30).reshape(5, 6)
    np.testing.assert_array_equal(_pixels(edges_png(m)), np.round(m * 255).astype(np.uint8))


def test_lif_explorer_slider_updates_image():
    box = lif_explorer()
    image = box.children[1]
    before = image.value
    box.children[0].children[0].value = 40.0
    assert image.value != before


def test_edge_explorer_sliders_and_bad_path(tmp_path):
    path = tmp_path / "shapes.png"
    Image.fromarray((synthetic_shapes(40)[0] * 255).astype(np.uint8)).save(path)
    box = edge_explorer(str(path), steps=8)
    tau, threshold = box.children[0].children
    status, images = box.children[3], box.children[4]
    edge_img = images.children[1]
    first = edge_img.value
    tau.value = 20.0
    second = edge_img.value
    assert second != first
    threshold.value = 1.0
    assert edge_img.value != second
    path_box, load = box.children[2].children[:2]
    path_box.value = str(tmp_path / "missing.jpg")
    load.click()
    assert "no such file" in status.value and edge_img.value  # old picture kept, message shown


def test_edge_explorer_upload_of_a_broken_file_shows_a_message(tmp_path):
    good = io.BytesIO()
    Image.fromarray((synthetic_shapes(40)[0] * 255).astype(np.uint8)).save(good, format="JPEG")
    box = edge_explorer(synthetic_shapes(32)[0], steps=4)
    status, edge_img = box.children[3], box.children[4].children[1]
    upload = box.children[2].children[2]
    before = edge_img.value
    upload.value = ({"name": "cut.jpg", "type": "image/jpeg", "size": 100,
                     "content": memoryview(good.getvalue()[:300]), "last_modified": _WHEN},)
    assert "truncated or corrupt" in status.value and edge_img.value == before
    upload.value = ({"name": "ok.jpg", "type": "image/jpeg", "size": 100,
                     "content": memoryview(good.getvalue()), "last_modified": _WHEN},)
    assert "LIF spikes" in status.value and edge_img.value != before


def test_lif_trace_rejects_bad_arguments():
    import pytest

    for kwargs, word in [(dict(dt=0), "dt"), (dict(steps=10), "steps")]:
        with pytest.raises(ValueError, match=word):
            lif_trace_png(20.0, 1.0, 1.5, **kwargs)
    with pytest.raises(ValueError, match="current"):
        lif_trace_png(20.0, 1.0, [1.0, 2.0])
