"""ipywidgets wiring for the course. Every callback is a plain, named function
here that tests call directly; the widgets only connect sliders to it.

The widgets never show a traceback and never leave a stale message: every
callback ends by writing the status line, built by :func:`status_html` (one
line, HTML-escaped). A user's mistake (a ``ValueError``, e.g. a missing file) or
a file-system problem (an ``OSError``) shows as its one-line message in red; any
other exception shows as ``internal error: <type>: <message>``. On an error the
pictures already shown are kept.
"""

from __future__ import annotations

import errno
import functools
import html
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from snnlib import _checks
from snnlib.images import ImageError, load_image_info, to_uint8
from snnlib.neurons import simulate
from snnlib.options import KERNELS, MAX_STEPS
from snnlib.plots import figure_png, plot_membrane

__all__ = [
    "status_html", "error_message", "lif_trace_png", "lif_explorer", "edges_png", "load_source",
    "uploaded_bytes", "render_edges", "ExplorerState", "ExplorerView", "rebuild_edges", "rerun_edges",
    "edge_explorer", "LIF_TAU_RANGE", "LIF_THRESHOLD_RANGE", "LIF_CURRENT_RANGE", "TAU_RANGE",
    "THRESHOLD_RANGE", "UPLOAD_PLACEHOLDER", "PATH_PLACEHOLDER",
]

logger = logging.getLogger(__name__)

#: Slider ranges of :func:`lif_explorer`: τ (ms), θ and the input current I (units of θ).
LIF_TAU_RANGE = (2.0, 100.0)
LIF_THRESHOLD_RANGE = (0.2, 3.0)
LIF_CURRENT_RANGE = (0.0, 5.0)
#: Slider ranges of :func:`edge_explorer`: τ (ms) and θ.
TAU_RANGE = (1.0, 50.0)
THRESHOLD_RANGE = (0.05, 2.0)
#: Placeholders of the explorer's path box: no photo path typed yet / the photo came as bytes (an upload).
PATH_PLACEHOLDER = "path/to/photo.jpg"
UPLOAD_PLACEHOLDER = "(uploaded image)"
#: Most time steps of the single-neuron trace (100 s at dt = 1 ms).
MAX_TRACE_STEPS = 100_000
#: Longest status text; longer messages keep their start and end around an ellipsis.
STATUS_LIMIT = 500

_OK_COLOR = "#333"
_ERROR_COLOR = "#b00020"


# ----------------------------------------------------------------------------- status line
def status_html(text: Any, error: bool = False) -> str:
    """The status line as HTML: ``text`` on one line, HTML-escaped (markup shows as text), red if ``error``.

    Line breaks become spaces, other control characters show as escapes (``\\x00``) and a text longer
    than :data:`STATUS_LIMIT` characters is cut in the middle.

    >>> status_html("<b>5 spikes</b>")
    "<span style='color:#333'>&lt;b&gt;5 spikes&lt;/b&gt;</span>"
    """
    line = " ".join(str(text).split())
    line = "".join(ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for ch in line)
    line = _middle_cut(line, STATUS_LIMIT)
    color = _ERROR_COLOR if error else _OK_COLOR
    return f"<span style='color:{color}'>{html.escape(line, quote=True)}</span>"


def error_message(err: BaseException) -> str:
    """The one-line status text of an exception raised in a callback.

    ``ValueError``: its message (a user mistake, already worded for the user). ``OSError``: what the
    file system said. Anything else: ``internal error: <type>: <message>`` (a bug in snnlib).
    """
    text = " ".join(str(err).split())
    if isinstance(err, ValueError):
        return text or type(err).__name__
    if isinstance(err, OSError):
        return _os_error_text(err, err.filename, verb="file system error")
    return f"internal error: {type(err).__name__}: {text}" if text else f"internal error: {type(err).__name__}"


def _middle_cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


def _os_error_text(err: OSError, name: Any, verb: str = "cannot open") -> str:
    where = f" {_middle_cut(os.fsdecode(name), 80)}" if isinstance(name, (str, bytes, os.PathLike)) else ""
    if err.errno == errno.ENAMETOOLONG:
        longest = max((len(os.fsencode(part)) for part in Path(os.fsdecode(name)).parts), default=0) \
            if where else 0
        if longest > 255:
            return (f"path too long:{where} has a file or folder name of {longest} bytes, and the file "
                    "system allows at most 255; check the path")
        return f"path too long:{where} is longer than the file system allows; check the path"
    if isinstance(err, PermissionError):
        return f"{verb}{where}: permission denied; check the file's permissions"
    reason = err.strerror or " ".join(str(err).split()) or type(err).__name__
    return f"{verb}{where}: {reason}"


# ----------------------------------------------------------------------------- single neuron
def lif_trace_png(tau: float, threshold: float, current: float, *, steps: int = 200, dt: float = 1.0) -> bytes:
    """Callback of the single-neuron slider demo: PNG of v(t) and spikes for a step current.

    The current (units of θ) switches on at 20 ms. ``tau`` and ``dt`` in ms.
    """
    tau = _checks.positive("tau", tau, unit="ms")
    threshold = _checks.positive("threshold", threshold)
    steps = _checks.positive_int("steps", steps, maximum=MAX_TRACE_STEPS)
    dt = _checks.positive("dt", dt, unit="ms")
    current = float(_checks.finite_array("current", current, ndim=0))
    onset_steps = 20.0 / dt
    onset = int(round(onset_steps)) if onset_steps < steps else steps
    if steps <= onset:
        shown = str(int(round(onset_steps))) if onset_steps < 1e15 else f"{onset_steps:.3g}"
        raise ValueError(f"steps must be more than {shown} (the current switches on at 20 ms = "
                         f"20/dt steps), got {steps}")
    drive = np.zeros(steps)
    drive[onset:] = current
    s, v = simulate(drive, tau=tau, threshold=threshold, dt=dt)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    plot_membrane(v, s, dt=dt, threshold=threshold, ax=ax)
    ax.set_title(f"τ = {tau:g} ms, θ = {threshold:g}, I = {current:g}: {int(s.sum())} spikes")
    return figure_png(fig)


def lif_explorer(tau: float = 20.0, threshold: float = 1.0, current: float = 1.5) -> Any:
    """Sliders for tau, threshold and the input current over one LIF neuron's trace.

    Start values outside the sliders' ranges (:data:`LIF_TAU_RANGE`, :data:`LIF_THRESHOLD_RANGE`,
    :data:`LIF_CURRENT_RANGE`) raise a ``ValueError`` instead of being clamped.
    """
    tau = _slider_value("tau", tau, LIF_TAU_RANGE, "τ", unit="ms")
    threshold = _slider_value("threshold", threshold, LIF_THRESHOLD_RANGE, "θ")
    current = _slider_value("current", current, LIF_CURRENT_RANGE, "I")

    import ipywidgets as w

    sliders = {
        "tau": w.FloatSlider(value=tau, min=LIF_TAU_RANGE[0], max=LIF_TAU_RANGE[1], step=1.0, description="τ (ms)"),
        "threshold": w.FloatSlider(value=threshold, min=LIF_THRESHOLD_RANGE[0], max=LIF_THRESHOLD_RANGE[1],
                                   step=0.1, description="θ"),
        "current": w.FloatSlider(value=current, min=LIF_CURRENT_RANGE[0], max=LIF_CURRENT_RANGE[1], step=0.1,
                                 description="I"),
    }
    image = w.Image(format="png")

    def update(_change=None):
        image.value = lif_trace_png(**{k: s.value for k, s in sliders.items()})

    for s in sliders.values():
        s.observe(update, names="value")
    update()
    return w.VBox([w.HBox(list(sliders.values())), image])


def _slider_value(name: str, value: Any, bounds: tuple[float, float], label: str, *, unit: str = "") -> float:
    """``value`` as a float inside a slider's range, or a ``ValueError`` naming the range (never clamped)."""
    lo, hi = bounds
    try:
        return _checks.in_range(name, value, lo, hi, unit=unit)
    except ValueError as err:
        raise ValueError(f"{err} (the range of the {label} slider)") from None


# ----------------------------------------------------------------------------- edge extraction
def edges_png(image: Any) -> bytes:
    """Encode a [H, W] (grayscale) or [H, W, 3] (RGB) map in [0, 1] as PNG bytes, fast (Pillow, light
    compression): the widget image. Any other shape raises a ``ValueError``."""
    import io

    from PIL import Image

    arr = to_uint8(_checks.finite_array("image", image))
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)) or arr.size == 0:
        raise ValueError(f"image must be a non-empty [H, W] (grayscale) or [H, W, 3] (RGB) array in [0, 1], "
                         f"got shape {arr.shape}")
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def load_source(source: Any) -> tuple[np.ndarray, str]:
    """Decode what the explorer is given: a path (``str``/``os.PathLike``), the bytes of an uploaded
    file (``bytes``/``bytearray``/``memoryview``), a Pillow image or an array.

    Returns ``(image, note)``: the grayscale image in [0, 1] and a note for the status line (says if
    the photo was scaled down; else ``""``). Every problem, file-system ones included (a name over
    255 characters, a folder without permission), raises a one-line ``ValueError``.
    """
    if isinstance(source, str) and not source.strip():
        raise ValueError("no photo path given: type the path of a JPEG or PNG file and press Load, or use Upload")
    is_path = isinstance(source, (str, os.PathLike))
    try:
        img, info = load_image_info(source)
    except ImageError as err:
        if not is_path:
            raise
        text = str(err)
        for spelling in {os.fsdecode(source), str(Path(source))}:
            if len(spelling) > 80:
                text = text.replace(spelling, _middle_cut(spelling, 80))
        raise ImageError(text) from None
    except OSError as err:  # Path.exists/stat: ENAMETOOLONG, EACCES, EIO, ...
        raise ValueError(_os_error_text(err, source if is_path else err.filename)) from None
    note = (f" (photo scaled down from {info.original_shape[1]}×{info.original_shape[0]} px)"
            if info.downscaled else "")
    return img, note


def uploaded_bytes(value: Any) -> bytes | None:
    """The content of the first file in a ``FileUpload.value`` (ipywidgets 8: a tuple of dicts with a
    ``"content"``; ipywidgets 7: a dict of such dicts), or ``None`` when nothing is uploaded."""
    if not value:
        return None
    item = next(iter(value.values())) if isinstance(value, dict) else value[0]
    try:
        return bytes(item["content"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("the upload did not deliver a file's content; choose the photo again") from None


def render_edges(extractor: Any, tau: float, threshold: float) -> tuple[bytes, str]:
    """Slider callback of notebook 05: re-run only the LIF neurons of a cached
    :class:`~snnlib.edges.EdgeExtractor` and return ``(png_bytes, status_text)``.

    ``status_text`` is plain text; put it in an HTML widget through :func:`status_html`."""
    result = extractor.run(tau=tau, threshold=threshold)
    status = (f"τ = {tau:g} ms, θ = {threshold:g}: {result.output_spikes:,} LIF spikes "
              f"from {result.input_spikes:,} input spikes")
    return edges_png(result.edges), status


@dataclass
class ExplorerState:
    """What :func:`edge_explorer` keeps between callbacks: the source and decoded photo now shown, its
    scaling note, the :class:`~snnlib.edges.EdgeExtractor` and the ``(steps, kernel, device)`` it was
    built with. Changed only by a callback that succeeds."""

    source: Any = None
    image: np.ndarray | None = None
    note: str = ""
    extractor: Any = None
    settings: tuple[int, str, str] | None = None


class ExplorerView(NamedTuple):
    """What a callback puts on screen: PNG bytes of the original and of the edge map (``None``: keep the
    picture shown), the status HTML, and whether the action succeeded."""

    original: bytes | None
    edges: bytes | None
    status: str
    ok: bool


def _failed(err: BaseException) -> ExplorerView:
    if not isinstance(err, (ValueError, OSError)):
        logger.debug("edge explorer callback failed", exc_info=err)
    return ExplorerView(None, None, status_html(error_message(err), error=True), False)


def rebuild_edges(state: ExplorerState, source: Any = None, *, steps: int, kernel: str, device: str,
                  seed: int = 0, tau: float, threshold: float) -> ExplorerView:
    """Callback of the steps/kernel/device menus and of Load/Upload: re-encode and re-program.

    A new ``source`` is decoded (:func:`load_source`) and kept only if everything succeeds; with
    ``source=None`` the photo already decoded is reused (or ``state.source`` is decoded, if none is yet).
    Never raises: on an error ``state`` is unchanged and the view carries the message.
    """
    from snnlib.edges import EdgeExtractor

    try:
        if source is not None or state.image is None:
            img, note = load_source(state.source if source is None else source)
        else:
            img, note = state.image, state.note
        extractor = EdgeExtractor(img, steps=steps, kernel=kernel, device=device, seed=seed)
        original = edges_png(extractor.image)
        png, text = render_edges(extractor, tau, threshold)
    except Exception as err:  # shown in the status line, never swallowed
        return _failed(err)
    if source is not None:
        state.source = source
    state.image, state.note, state.extractor = img, note, extractor
    state.settings = (steps, kernel, device)
    return ExplorerView(original, png, status_html(text + note), True)


def rerun_edges(state: ExplorerState, tau: float, threshold: float) -> ExplorerView | None:
    """Callback of the τ and θ sliders: re-run only the neurons. ``None`` when no photo is loaded
    (the status keeps the message that says why). Never raises."""
    if state.extractor is None:
        return None
    try:
        png, text = render_edges(state.extractor, tau, threshold)
    except Exception as err:  # shown in the status line
        return _failed(err)
    return ExplorerView(None, png, status_html(text + state.note), True)


def edge_explorer(image: Any = "../data/MHW.jpg", *, tau: float = 5.0, threshold: float = 0.5,
                  steps: int = 32, kernel: str = "sobel", device: str = "ideal", seed: int = 0) -> Any:
    """The live demo: the original beside the edge feature map, with sliders for τ and θ.

    τ and θ re-run only the neurons (fast); steps, kernel and device re-program the
    crossbar and re-encode (slower). A path box and an upload button load your own photo.
    ``image`` is a path, the bytes of an image file (shown as an upload), a Pillow image or an array.
    Mistakes (a missing file, a broken image) show as a message, never a traceback; bad arguments
    here (an unknown kernel or device, steps outside 1…256, τ or θ outside the sliders' ranges
    :data:`TAU_RANGE` and :data:`THRESHOLD_RANGE`) raise a ``ValueError`` before any widget is built.
    """
    from snnlib.memristor import PRESETS

    tau = _slider_value("tau", tau, TAU_RANGE, "τ", unit="ms")
    threshold = _slider_value("threshold", threshold, THRESHOLD_RANGE, "θ")
    steps = _checks.positive_int("steps", steps, maximum=MAX_STEPS)
    kernel = _checks.one_of("kernel", kernel, KERNELS)
    device = _checks.one_of("device", device, sorted(PRESETS))
    seed = _checks.seed_value("seed", seed)

    import ipywidgets as w

    tau_s = w.FloatSlider(value=tau, min=TAU_RANGE[0], max=TAU_RANGE[1], step=1.0, description="τ (ms)",
                          continuous_update=True)
    th_s = w.FloatSlider(value=threshold, min=THRESHOLD_RANGE[0], max=THRESHOLD_RANGE[1], step=0.05,
                         description="θ", continuous_update=True)
    steps_d = w.Dropdown(options=sorted({8, 16, 32, 64, steps}), value=steps, description="steps T")
    kernel_d = w.Dropdown(options=list(KERNELS), value=kernel, description="kernel")
    device_d = w.Dropdown(options=sorted(PRESETS), value=device, description="device")
    uploaded = isinstance(image, (bytes, bytearray, memoryview))
    path_t = w.Text(value=os.fsdecode(image) if isinstance(image, (str, os.PathLike)) else "",
                    description="photo", placeholder=UPLOAD_PLACEHOLDER if uploaded else PATH_PLACEHOLDER)
    load_b = w.Button(description="Load")
    upload = w.FileUpload(accept="image/*", multiple=False, description="Upload")
    status = w.HTML()
    original_img = w.Image(format="png", layout=w.Layout(width="48%"))
    edges_img = w.Image(format="png", layout=w.Layout(width="48%"))
    state = ExplorerState(source=image)
    menus = (steps_d, kernel_d, device_d)
    quiet = {"menus": False}  # set while the menus are put back after a failed rebuild

    def show(view: ExplorerView | None) -> None:
        if view is None:
            return
        if view.original is not None:
            original_img.value = view.original
        if view.edges is not None:
            edges_img.value = view.edges
        status.value = view.status

    def guarded(callback):  # the last line of defence: nothing reaches ipywidgets' exception log
        @functools.wraps(callback)
        def run(*args: Any) -> None:
            try:
                callback(*args)
            except Exception as err:
                status.value = _failed(err).status
        return run

    def rebuild(source: Any = None) -> bool:
        view = rebuild_edges(state, source, steps=steps_d.value, kernel=kernel_d.value, device=device_d.value,
                             seed=seed, tau=tau_s.value, threshold=th_s.value)
        show(view)
        if not view.ok and state.settings is not None:
            # the picture shown is still the old one: put the menus back so they describe it
            quiet["menus"] = True
            try:
                for menu, value in zip(menus, state.settings):
                    menu.value = value
            finally:
                quiet["menus"] = False
        return view.ok

    @guarded
    def on_menu(_change: Any = None) -> None:
        if not quiet["menus"]:
            rebuild()

    @guarded
    def on_slider(_change: Any = None) -> None:
        show(rerun_edges(state, tau_s.value, th_s.value))

    @guarded
    def on_load(_button: Any = None) -> None:
        if rebuild(path_t.value.strip()):
            path_t.placeholder = PATH_PLACEHOLDER

    @guarded
    def on_upload(_change: Any = None) -> None:
        content = uploaded_bytes(upload.value)
        if content is not None and rebuild(content):
            path_t.value, path_t.placeholder = "", UPLOAD_PLACEHOLDER

    tau_s.observe(on_slider, names="value")
    th_s.observe(on_slider, names="value")
    for menu in menus:
        menu.observe(on_menu, names="value")
    load_b.on_click(on_load)
    upload.observe(on_upload, names="value")
    guarded(rebuild)()
    return w.VBox([
        w.HBox([tau_s, th_s]),
        w.HBox([steps_d, kernel_d, device_d]),
        w.HBox([path_t, load_b, upload]),
        status,
        w.HBox([original_img, edges_img]),
    ])
