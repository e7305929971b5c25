"""Slider callbacks, called directly as the widgets call them."""

import datetime
import errno
import functools
import html
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from snnlib import widgets
from snnlib.edges import EdgeExtractor, synthetic_shapes
from snnlib.widgets import (
    ExplorerState,
    edge_explorer,
    edges_png,
    error_message,
    extractor_default,
    fast_edges,
    lab_values,
    level_options,
    lif_explorer,
    lif_trace_png,
    load_source,
    rebuild_edges,
    render_edges,
    rerun_edges,
    shown_path,
    status_html,
    uploaded_bytes,
)

_WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
ROOT_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


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
    Image.fromarray((synthetic_shapes(40, noise=0.1)[0] * 255).astype(np.uint8)).save(path)
    w = _parts(edge_explorer(str(path), steps=8))
    first = w["edges"].value
    w["tau"].value = 20.0
    second = w["edges"].value
    assert second != first
    w["theta"].value = 0.3
    assert w["edges"].value != second
    w["path"].value = str(tmp_path / "missing.jpg")
    w["load"].click()
    assert "no such file" in w["status"].value and w["edges"].value  # old picture kept, message shown


def test_edge_explorer_upload_of_a_broken_file_shows_a_message(tmp_path):
    good = io.BytesIO()
    Image.fromarray((synthetic_shapes(40)[0] * 255).astype(np.uint8)).save(good, format="JPEG")
    w = _parts(edge_explorer(synthetic_shapes(32)[0], steps=4))
    before = w["edges"].value
    w["upload"].value = ({"name": "cut.jpg", "type": "image/jpeg", "size": 100,
                          "content": memoryview(good.getvalue()[:300]), "last_modified": _WHEN},)
    assert "truncated or corrupt" in w["status"].value and w["edges"].value == before
    w["upload"].value = ({"name": "ok.jpg", "type": "image/jpeg", "size": 100,
                          "content": memoryview(good.getvalue()), "last_modified": _WHEN},)
    assert "LIF spikes" in w["status"].value and w["edges"].value != before


def test_lif_trace_rejects_bad_arguments():
    for kwargs, word in [(dict(dt=0), "dt"), (dict(steps=10), "steps")]:
        with pytest.raises(ValueError, match=word):
            lif_trace_png(20.0, 1.0, 1.5, **kwargs)
    with pytest.raises(ValueError, match="current"):
        lif_trace_png(20.0, 1.0, [1.0, 2.0])


# ----------------------------------------------------------------------------- hostile input
# The widgets never show a traceback, never swallow an exception (ipywidgets logs and drops what a
# callback raises, leaving a stale status), and never inject markup into the status line.

HOSTILE = "<img src=x onerror=alert(1)>.png"
RED = "#b00020"


def _noise() -> np.ndarray:
    return np.random.default_rng(0).random((24, 32))


def _png_file(path, img) -> str:
    Image.fromarray(np.round(img * 255).astype(np.uint8)).save(path)
    return str(path)


def _parts(box):
    """The explorer's widgets by role, walking VBox[HBox[τ, θ], HBox[menus], HBox[device lab],
    HBox[path, load, upload], status, HBox[original, edges]]."""
    sliders, menus, lab, source, status, images = box.children
    tau, theta = sliders.children
    steps, kernel, encoding, device = menus.children
    d2d, stuck, levels, noise = lab.children
    path, load, upload = source.children
    original, edges = images.children
    assert (tau.description, theta.description) == ("τ (ms)", "θ")
    assert (d2d.description, levels.description, noise.description) == ("d2d σ", "levels", "read noise")
    return dict(tau=tau, theta=theta, steps=steps, kernel=kernel, encoding=encoding, device=device, d2d=d2d,
                stuck=stuck, levels=levels, noise=noise, path=path, load=load, upload=upload, status=status,
                original=original, edges=edges)


def _is_error(status_value: str) -> bool:
    return RED in status_value


def test_status_html_escapes_and_stays_on_one_line():
    out = status_html(HOSTILE, error=True)
    assert "<img" not in out and html.escape(HOSTILE) in out and RED in out
    assert out.startswith("<span style='color:") and out.endswith("</span>") and out.count("<") == 2
    assert RED not in status_html("fine") and "fine" in status_html("fine")
    assert status_html("a\nb\r\n\tc") == status_html("a b c")
    assert "\\x00" in status_html("x\x00y") and "\x00" not in status_html("x\x00y")
    assert "&quot;" in status_html('say "hi"') and "&#x27;" in status_html("it's")
    long = status_html("start " + "z" * 10_000 + " end")
    assert len(long) < 700 and "start" in long and "end" in long and "…" in long


def test_error_message_says_what_kind_of_failure():
    assert error_message(ValueError("steps must be\nan integer")) == "steps must be an integer"
    too_long = OSError(errno.ENAMETOOLONG, "File name too long", "/tmp/" + "n" * 300)
    assert "255" in error_message(too_long) and "path too long" in error_message(too_long)
    assert "permission denied" in error_message(PermissionError(errno.EACCES, "Permission denied", "/x"))
    assert error_message(OSError(errno.EIO, "Input/output error")) == "file system error: Input/output error"
    assert error_message(RuntimeError("boom")) == "internal error: RuntimeError: boom"
    assert error_message(KeyError("k")) == "internal error: KeyError: 'k'"


@pytest.mark.parametrize("source, reason", [
    ("", "no photo path given"),
    ("   ", "no photo path given"),
    ("n" * 300 + ".png", "255"),                       # Path.exists raises OSError ENAMETOOLONG
    ("a/" * 2100 + "x.png", "too long"),                # longer than PATH_MAX
    (HOSTILE, "no such file"),
    (b"not an image at all" * 2000, "uploaded file is not an image"),
    (b"", r"empty \(0 bytes\)"),
    (None, "image"),
])
def test_load_source_turns_every_problem_into_a_short_value_error(source, reason):
    with pytest.raises(ValueError, match=reason) as info:
        load_source(source)
    assert len(str(info.value)) < 300 and "\n" not in str(info.value)


def test_load_source_of_a_directory_and_of_good_sources(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        load_source(str(tmp_path))
    img, note = load_source(_png_file(tmp_path / "p.png", _noise()))
    assert img.shape == (24, 32) and note == ""
    img, note = load_source((tmp_path / "p.png").read_bytes())
    assert img.shape == (24, 32) and note == ""
    img, note = load_source(np.zeros((10, 2000)))
    assert img.shape[1] == 1024 and "scaled down from 2000×10 px" in note


def test_uploaded_bytes_reads_both_ipywidgets_formats():
    assert uploaded_bytes(()) is None and uploaded_bytes({}) is None
    assert uploaded_bytes(({"name": "a", "content": memoryview(b"abc")},)) == b"abc"
    assert uploaded_bytes({"a.png": {"content": b"xyz"}}) == b"xyz"
    with pytest.raises(ValueError, match="choose the photo again"):
        uploaded_bytes(({"name": "a"},))


@pytest.mark.parametrize("shape", [(6, 5, 5), (6, 5, 4), (6, 5, 1), (30,), (0, 4), (2, 3, 4, 3)])
def test_edges_png_rejects_shapes_other_than_gray_or_rgb(shape):
    with pytest.raises(ValueError, match=r"\[H, W\] .*\[H, W, 3\].*got shape"):
        edges_png(np.zeros(shape))


def test_edges_png_rgb_and_bad_values():
    rgb = np.random.default_rng(1).random((4, 5, 3))
    assert _pixels(edges_png(rgb)).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="image contains NaN"):
        edges_png(np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="image must be an array of numbers"):
        edges_png("not an image")


@pytest.mark.parametrize("args, kwargs, word", [
    ((0.0, 1.0, 1.5), {}, "tau"),
    ((20.0, -1.0, 1.5), {}, "threshold"),
    (("20", 1.0, 1.5), {}, "tau"),
    ((float("nan"), 1.0, 1.5), {}, "tau"),
    ((20.0, 1.0, float("inf")), {}, "current"),
    ((20.0, 1.0, 1.5), {"steps": 10**9}, "steps"),
    ((20.0, 1.0, 1.5), {"steps": True}, "steps"),
    ((20.0, 1.0, 1.5), {"dt": 1e-320}, "steps must be more than"),   # 20/dt overflows
])
def test_lif_trace_png_validates_every_input(args, kwargs, word):
    with pytest.raises(ValueError, match=word):
        lif_trace_png(*args, **kwargs)


@pytest.fixture
def no_widgets(monkeypatch):
    """Building any widget fails the test: validation must come first."""
    import ipywidgets

    def built(*_a, **_k):
        raise AssertionError("a widget was built before the arguments were checked")

    for name in ("FloatSlider", "Dropdown", "Text", "HTML", "Image", "VBox"):
        monkeypatch.setattr(ipywidgets, name, built)


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel="sobelx"), r"kernel must be one of 'sobel', 'dog', 'laplacian'"),
    (dict(kernel=None), "kernel must be one of"),
    (dict(device="nope"), "device must be one of .*'ideal'"),
    (dict(steps=0), "steps must be an integer"),
    (dict(steps=1000), "steps must be an integer between 1 and 256"),
    (dict(steps=8.0), "steps must be an integer"),
    (dict(tau=0), r"tau must be in \[1.0, 50.0\] \(in ms\).*τ slider"),
    (dict(threshold=100), r"threshold must be in \[0.05, 2.0\].*θ slider"),
    (dict(seed=-1), "seed"),
    (dict(encoding="morse"), "encoding must be one of .*'deterministic'"),
])
def test_edge_explorer_checks_arguments_before_building_widgets(no_widgets, kwargs, match):
    with pytest.raises(ValueError, match=match):
        edge_explorer(_noise(), **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(tau=0), r"tau must be in \[2.0, 100.0\].*τ slider"),
    (dict(threshold=100), r"threshold must be in \[0.2, 3.0\].*θ slider"),
    (dict(current=-1), r"current must be in \[0.0, 5.0\]"),
])
def test_lif_explorer_refuses_values_its_sliders_would_clamp(no_widgets, kwargs, match):
    with pytest.raises(ValueError, match=match):
        lif_explorer(**kwargs)


def test_edge_explorer_hostile_paths_show_a_message_and_keep_the_picture(tmp_path):
    w = _parts(edge_explorer(_noise(), steps=8))
    assert "LIF spikes" in w["status"].value and not _is_error(w["status"].value)
    shown = w["edges"].value
    assert shown and w["original"].value
    (tmp_path / "folder").mkdir()
    cases = [
        (HOSTILE, "no such file: " + html.escape(HOSTILE)),
        ("n" * 300 + ".png", "255"),  # OSError ENAMETOOLONG from the file system
        (str(tmp_path / ("m" * 256)), "255"),
        ("", "no photo path given"),
        ("  \t ", "no photo path given"),
        (str(tmp_path / "folder"), "is a directory"),
        (str(tmp_path / "x\x00y.png"), "x\\x00y.png"),  # the NUL shows as an escape
    ]
    for i, (text, reason) in enumerate(cases):
        w["path"].value = text
        w["load"].click()
        status = w["status"].value
        assert reason in status, (text, status)
        assert _is_error(status) and "<img" not in status and "\x00" not in status and len(status) < 700
        assert w["edges"].value == shown  # the previous edge image is kept
        # the next successful action clears the error (no stale message)
        w["tau"].value = 5.0 + (i + 1) % 2
        assert "LIF spikes" in w["status"].value and not _is_error(w["status"].value)
        shown = w["edges"].value


def test_edge_explorer_loads_a_good_path_after_errors(tmp_path):
    w = _parts(edge_explorer(str(tmp_path / "missing.png"), steps=8))
    assert _is_error(w["status"].value) and "no such file" in w["status"].value
    assert w["edges"].value == b"" and w["original"].value == b""
    before = w["status"].value
    w["theta"].value = 0.7  # nothing loaded: the message saying why stays
    assert w["status"].value == before and w["edges"].value == b""
    w["path"].value = "  " + _png_file(tmp_path / "ok.png", _noise()) + " "
    w["load"].click()
    assert "LIF spikes" in w["status"].value and not _is_error(w["status"].value)
    assert w["edges"].value and w["original"].value


def test_edge_explorer_takes_bytes_as_an_upload(tmp_path):
    _png_file(tmp_path / "ok.png", _noise())
    good = (tmp_path / "ok.png").read_bytes()
    w = _parts(edge_explorer(good, steps=8))
    assert w["path"].value == "" and w["path"].placeholder == "(uploaded image)"
    assert "LIF spikes" in w["status"].value
    junk = b"\x89PNG" + b"x" * 44_000
    w = _parts(edge_explorer(junk, steps=8))
    assert w["path"].value == "" and w["path"].placeholder == "(uploaded image)"
    assert _is_error(w["status"].value) and "uploaded file" in w["status"].value
    assert len(w["status"].value) < 300 and w["edges"].value == b""


def test_edge_explorer_upload_clears_the_path_box(tmp_path):
    good = (tmp_path / "ok.png")
    _png_file(good, _noise())
    w = _parts(edge_explorer(_png_file(tmp_path / "first.png", _noise()[::-1]), steps=8))
    before = w["edges"].value
    assert w["path"].value.endswith("first.png")
    w["upload"].value = ({"name": "ok.png", "type": "image/png", "size": 1, "content": memoryview(good.read_bytes()),
                          "last_modified": _WHEN},)
    assert "LIF spikes" in w["status"].value and w["edges"].value != before
    assert w["path"].value == "" and w["path"].placeholder == "(uploaded image)"


def test_a_failed_menu_change_shows_why_and_puts_the_menu_back(monkeypatch):
    import snnlib.edges

    real = snnlib.edges.EdgeExtractor

    @functools.wraps(real)  # keeps EdgeExtractor's signature (the explorer reads its defaults there)
    def picky(image, **kwargs):
        if kwargs["kernel"] == "dog":
            raise ValueError("working set too large for <dog>")
        if kwargs["kernel"] == "laplacian":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(image, **kwargs)

    monkeypatch.setattr(snnlib.edges, "EdgeExtractor", picky)
    w = _parts(edge_explorer(_noise(), steps=8))
    shown = w["edges"].value
    w["kernel"].value = "dog"
    status = w["status"].value
    assert _is_error(status) and "working set too large for &lt;dog&gt;" in status
    assert w["kernel"].value == "sobel" and w["edges"].value == shown  # the menu describes the picture shown
    assert w["status"].value == status  # putting the menu back did not rebuild (and hide the message)
    w["kernel"].value = "laplacian"
    assert _is_error(w["status"].value) and "file system error: No space left on device" in w["status"].value
    assert w["kernel"].value == "sobel"
    w["tau"].value = 9.0
    assert "LIF spikes" in w["status"].value and not _is_error(w["status"].value)


def test_an_unexpected_exception_shows_as_an_internal_error(monkeypatch):
    w = _parts(edge_explorer(_noise(), steps=8))
    shown = w["edges"].value

    def broken(*_args):
        raise RuntimeError("boom <b>")

    monkeypatch.setattr(widgets, "render_edges", broken)
    w["theta"].value = 0.9
    assert w["status"].value == status_html("internal error: RuntimeError: boom <b>", error=True)
    assert w["edges"].value == shown
    w["path"].value = "also-missing.png"
    w["load"].click()
    assert "no such file" in w["status"].value  # the status follows the last action


def test_named_callbacks_leave_the_state_alone_on_failure():
    state = ExplorerState(source=_noise())
    assert rerun_edges(state, 5.0, 0.5) is None  # nothing loaded yet
    args = dict(steps=8, kernel="sobel", device="ideal", tau=5.0, threshold=0.5)
    view = rebuild_edges(state, **args)
    assert view.ok and view.original and view.edges and "LIF spikes" in view.status
    extractor = state.extractor
    bad = rebuild_edges(state, HOSTILE, **args)
    assert not bad.ok and bad.original is None and bad.edges is None and "&lt;img" in bad.status
    assert state.extractor is extractor and state.source is not HOSTILE
    assert not rebuild_edges(state, **{**args, "kernel": "nope"}).ok and state.extractor is extractor
    bad = rerun_edges(state, 0.0, 0.5)
    assert not bad.ok and "tau must be a finite number &gt; 0" in bad.status and RED in bad.status
    good = rerun_edges(state, 7.0, 0.5)
    assert good.ok and good.original is None and good.edges != view.edges


# ----------------------------------------------------------------------------- classroom features
@pytest.mark.parametrize("kernel, encoding, lab", [
    ("sobel", "rate", {}),
    ("sobel", "deterministic", {"d2d_sigma": 0.3, "stuck_on_rate": 0.05}),
    ("dog", "latency", {"levels": 3}),
    ("trained", "deterministic", {"read_noise": 0.05}),
])
def test_the_fast_slider_path_is_the_pipeline_bit_for_bit(kernel, encoding, lab):
    ex = EdgeExtractor(synthetic_shapes(40, noise=0.1)[0], steps=8, kernel=kernel, encoding=encoding,
                       device="hfox", seed=3, **lab)
    for tau, threshold in [(5.0, 0.5), (1.0, 0.05), (30.0, 1.5)]:
        edges, spikes = fast_edges(ex, tau, threshold)
        ref = ex.run(tau=tau, threshold=threshold)
        assert np.array_equal(edges, ref.edges) and spikes == ref.output_spikes


def test_the_fast_path_falls_back_to_run_for_a_large_image(monkeypatch):
    ex = EdgeExtractor(synthetic_shapes(24)[0], steps=4)
    monkeypatch.setattr(widgets, "FAST_PATH_BYTES", 16)
    edges, spikes = fast_edges(ex, 5.0, 0.5)
    ref = ex.run(tau=5.0, threshold=0.5)
    assert np.array_equal(edges, ref.edges) and spikes == ref.output_spikes


def test_the_shown_map_is_display_scaled_and_the_status_says_so():
    from snnlib.images import display_scale

    ex = EdgeExtractor(synthetic_shapes(48)[0], steps=16)
    png, text = render_edges(ex, 5.0, 0.5)
    shown, note = display_scale(ex.run(tau=5.0, threshold=0.5).edges, percentile=99, gamma=0.5)
    assert png == edges_png(shown) and note in text and "clipped at the 99th percentile" in text
    assert ex.device.name in text and f"T = {ex.steps}" in text


def test_the_explorer_follows_the_extractors_defaults():
    w = _parts(edge_explorer(_noise()))
    ex = EdgeExtractor(_noise())
    assert w["device"].value == extractor_default("device") == ex.device.name
    assert w["encoding"].value == extractor_default("encoding") == ex.encoding
    assert w["steps"].value == extractor_default("steps") == ex.steps
    assert ex.device.name in w["status"].value
    # the device lab starts at the device's own values
    lab = lab_values(ex)
    assert w["d2d"].value == lab["d2d_sigma"] and w["stuck"].value == lab["stuck_on_rate"]
    assert w["noise"].value == lab["read_noise"]
    assert w["levels"].value == (lab["levels"] or 0)


def test_the_device_lab_rebuilds_the_chip_and_a_new_device_starts_from_its_own_values():
    state_of = {}
    real = widgets.rebuild_edges

    def spy(state, *args, **kwargs):
        view = real(state, *args, **kwargs)
        state_of["state"] = state
        return view

    import unittest.mock

    with unittest.mock.patch.object(widgets, "rebuild_edges", spy):
        w = _parts(edge_explorer(synthetic_shapes(40, noise=0.05)[0], steps=8, device="hfox"))
        state = state_of["state"]
        shown = w["edges"].value
        w["d2d"].value = 0.6
        assert state.extractor.crossbar.d2d_sigma == 0.6 and "d2d σ 0.6" in w["status"].value
        assert w["edges"].value != shown
        w["stuck"].value = 0.1
        assert state.extractor.crossbar.stuck_on_rate == 0.1 and "10% stuck at G_max" in w["status"].value
        assert state.extractor.crossbar.d2d_sigma == 0.6  # the other lab settings are kept
        w["noise"].value = 0.05
        assert state.extractor.crossbar.read_noise == 0.05 and "read noise 0.05" in w["status"].value
        w["levels"].value = 3
        assert state.extractor.crossbar.levels == 3 and "3 levels" in w["status"].value
        # τ still re-runs only the neurons, on the degraded chip
        extractor = state.extractor
        w["tau"].value = 9.0
        assert state.extractor is extractor and "d2d σ 0.6" in w["status"].value
        # a new device: its own values (ideal: continuous, no variation)
        w["device"].value = "ideal"
        assert state.extractor.device.name == "ideal" and state.extractor.crossbar.levels is None
        assert (w["d2d"].value, w["stuck"].value, w["noise"].value, w["levels"].value) == (0.0, 0.0, 0.0, 0)
        assert dict(w["levels"].options)["∞"] == 0 and "continuous" in w["status"].value
        w["levels"].value = 4  # levels on the ideal device, then back to continuous
        assert state.extractor.crossbar.levels == 4
        w["levels"].value = 0
        assert state.extractor.crossbar.levels is None


def test_a_failed_lab_change_puts_the_lab_back(monkeypatch):
    import snnlib.edges

    real = snnlib.edges.EdgeExtractor

    @functools.wraps(real)
    def picky(image, **kwargs):
        if kwargs.get("read_noise"):
            raise ValueError("read noise refused <here>")
        return real(image, **kwargs)

    monkeypatch.setattr(snnlib.edges, "EdgeExtractor", picky)
    w = _parts(edge_explorer(_noise(), steps=8))
    shown = w["edges"].value
    w["noise"].value = 0.1
    assert _is_error(w["status"].value) and "read noise refused &lt;here&gt;" in w["status"].value
    assert w["noise"].value == 0.0 and w["edges"].value == shown


def test_the_encoding_menu_offers_every_code_and_rebuilds():
    w = _parts(edge_explorer(synthetic_shapes(32)[0], steps=8, encoding="rate"))
    assert [value for _, value in w["encoding"].options] == ["rate", "deterministic", "latency"]
    assert dict(w["encoding"].options)["sigma-delta"] == "deterministic"
    shown = w["edges"].value
    for code, label in [("deterministic", "sigma-delta code"), ("latency", "latency code")]:
        w["encoding"].value = code
        assert label in w["status"].value and not _is_error(w["status"].value)
        assert w["edges"].value != shown
        shown = w["edges"].value


def test_level_options():
    assert level_options(None)[-1] == ("∞", 0) and ("2", 2) in level_options(None)
    assert ("97", 97) in level_options(97) and ("∞", 0) not in level_options(97)
    assert [v for _, v in level_options(128)] == sorted({v for _, v in level_options(128)})


def test_the_path_box_never_shows_an_absolute_path_and_still_loads_the_photo(tmp_path, monkeypatch):
    from snnlib.data import course_photo

    monkeypatch.chdir(ROOT_NOTEBOOKS)
    w = _parts(edge_explorer())  # the course photo, found from any folder
    assert w["path"].value == "../data/MHW.jpg" == shown_path(course_photo())
    monkeypatch.chdir(tmp_path)  # far from the repository: the file name only
    w = _parts(edge_explorer(course_photo(), steps=8))
    assert w["path"].value == "MHW.jpg" and not _is_error(w["status"].value)
    shown = w["original"].value
    w["tau"].value = 12.0
    w["load"].click()  # the short name still means the course photo
    assert not _is_error(w["status"].value) and w["original"].value == shown
    assert shown_path("photos/a.png") == "photos/a.png"
    assert shown_path(tmp_path / "a.png") == "a.png"


def test_the_explorer_marks_its_parts_for_the_browser():
    w = _parts(edge_explorer(_noise(), steps=8))
    assert "snn-edges" in w["edges"]._dom_classes and "snn-status" in w["status"]._dom_classes
    assert "snn-tau" in w["tau"]._dom_classes
    assert w["tau"].continuous_update is True and w["d2d"].continuous_update is False


def test_the_binder_environment_pins_what_requirements_txt_pins():
    """binder/requirements.txt (repo2docker reads only binder/ when it exists) keeps the course's pins."""
    import re

    def pins(path):
        out = {}
        for line in path.read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                spec = line.split(";")[0].strip()
                name = re.match(r"[A-Za-z0-9_.\-]+", spec).group(0).lower()
                out.setdefault(name, spec)
        return out

    root = ROOT_NOTEBOOKS.parent
    course, binder = pins(root / "requirements.txt"), pins(root / "binder" / "requirements.txt")
    for name, spec in binder.items():
        assert course.get(name) == spec, (name, spec, course.get(name))
    runtime = {"tensorflow-cpu", "keras", "numpy", "scipy", "matplotlib", "pillow", "scikit-learn", "ipywidgets",
               "ipykernel", "voila", "jupyterlab"}
    assert runtime <= set(binder)
    assert "-e ." in (root / "binder" / "postBuild").read_text()


def test_render_edges_remembers_recent_maps(monkeypatch):
    ex = EdgeExtractor(synthetic_shapes(32, noise=0.1)[0], steps=8)
    calls = []
    real = widgets.fast_edges
    monkeypatch.setattr(widgets, "fast_edges", lambda *a: calls.append(a) or real(*a))
    first = render_edges(ex, 5.0, 0.5)
    assert render_edges(ex, 6.0, 0.5) != first and render_edges(ex, 5.0, 0.5) == first
    assert len(calls) == 2  # the way back was remembered
    monkeypatch.setattr(widgets, "RECENT_MAPS", 1)
    render_edges(ex, 7.0, 0.5)
    render_edges(ex, 5.0, 0.5)
    assert len(calls) == 4  # only the last map is kept now
    other = EdgeExtractor(synthetic_shapes(32, noise=0.1)[0], steps=8, device="ideal")
    render_edges(other, 5.0, 0.5)
    assert len(calls) == 5  # per extractor: a rebuilt chip is never shown from memory
