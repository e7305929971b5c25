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

import collections
import errno
import functools
import html
import logging
import os
import struct
import weakref
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from snnlib import _checks
from snnlib._messages import middle_cut
from snnlib.images import ImageError, load_image_info, to_uint8
from snnlib.neurons import simulate
from snnlib.options import ENCODINGS, KERNELS, MAX_STEPS
from snnlib.plots import figure_png, plot_membrane

__all__ = [
    "status_html", "error_message", "lif_trace_png", "lif_explorer", "edges_png", "load_source",
    "uploaded_bytes", "render_edges", "ExplorerState", "ExplorerView", "rebuild_edges", "rerun_edges",
    "edge_explorer", "LIF_TAU_RANGE", "LIF_THRESHOLD_RANGE", "LIF_CURRENT_RANGE", "TAU_RANGE",
    "THRESHOLD_RANGE", "UPLOAD_PLACEHOLDER", "PATH_PLACEHOLDER", "fast_edges", "extractor_default", "lab_values",
    "level_options", "shown_path", "DISPLAY_PERCENTILE", "DISPLAY_GAMMA", "D2D_RANGE", "STUCK_RANGE",
    "READ_NOISE_RANGE", "LEVEL_CHOICES", "LAB_OPTIONS", "ENCODING_LABELS", "FAST_PATH_BYTES", "RECENT_MAPS",
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
    return middle_cut(text, limit)


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
    """Encode a [H, W] (grayscale) or [H, W, 3] (RGB) map in [0, 1] as PNG bytes, fast: the widget image.

    A minimal PNG (no row filter, zlib run-length strategy) written here: about 3 ms and 60 kB for the
    course photo's edge map, where Pillow's adaptive filters take 10-16 ms and 110 kB. Any other shape
    raises a ``ValueError``.
    """
    arr = to_uint8(_checks.finite_array("image", image))
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)) or arr.size == 0:
        raise ValueError(f"image must be a non-empty [H, W] (grayscale) or [H, W, 3] (RGB) array in [0, 1], "
                         f"got shape {arr.shape}")
    h, w = arr.shape[:2]
    rows = np.zeros((h, 1 + arr[0].size), np.uint8)  # each row: filter type 0 (none), then its bytes
    rows[:, 1:] = arr.reshape(h, -1)
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    idat = packer.compress(rows.tobytes()) + packer.flush()
    header = struct.pack(">IIBBBBB", w, h, 8, 0 if arr.ndim == 2 else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


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


#: How the explorer shows an edge map (:func:`snnlib.images.display_scale`): clipped at the 99th
#: percentile, γ = 0.5, so that faint edges show on a projector. The counts themselves are unchanged.
DISPLAY_PERCENTILE = 99.0
DISPLAY_GAMMA = 0.5
#: The explorer's device lab: ranges of the d2d σ, stuck-at-G_max rate and read-noise sliders, and the
#: conductance levels offered (besides the device's own; a continuous device also offers "∞").
D2D_RANGE = (0.0, 1.0)
STUCK_RANGE = (0.0, 0.2)
READ_NOISE_RANGE = (0.0, 0.3)
LEVEL_CHOICES = (2, 3, 4, 8, 16, 32, 64, 128, 256)
#: The device lab's crossbar options, as :class:`~snnlib.edges.EdgeExtractor` names them.
LAB_OPTIONS = ("d2d_sigma", "stuck_on_rate", "levels", "read_noise")
#: Labels of the encoding menu (:data:`snnlib.options.ENCODINGS`).
ENCODING_LABELS = {"rate": "rate (Bernoulli)", "deterministic": "sigma-delta", "latency": "latency"}
#: The slider path keeps a time-minor copy of the crossbar currents (:func:`fast_edges`) up to this size.
FAST_PATH_BYTES = 512 * 1024**2
_CONTINUOUS = 0  # the levels slider's value for a continuous device ("∞"); the extractor is given None


def extractor_default(name: str) -> Any:
    """The default of one :class:`~snnlib.edges.EdgeExtractor` argument (``"device"``, ``"encoding"``,
    ``"steps"``, ...): the explorer follows the library's defaults rather than repeating them."""
    import inspect

    from snnlib.edges import EdgeExtractor

    param = inspect.signature(EdgeExtractor).parameters[name]
    if param.default is inspect.Parameter.empty:
        raise ValueError(f"EdgeExtractor's {name!r} has no default")
    return param.default


def lab_values(extractor: Any) -> dict[str, Any]:
    """The device-lab settings an extractor's crossbar really uses (its device's defaults resolved):
    ``d2d_sigma``, ``stuck_on_rate``, ``levels`` (``None``: continuous) and ``read_noise``."""
    xbar = extractor.crossbar
    return {name: getattr(xbar, name) for name in LAB_OPTIONS}


def level_options(device_levels: int | None) -> list[tuple[str, int]]:
    """Options of the levels slider for a device with ``device_levels`` (``None``: continuous):
    :data:`LEVEL_CHOICES` and the device's own count, and "∞" (value 0) for a continuous device."""
    counts = sorted({*LEVEL_CHOICES, *([int(device_levels)] if device_levels else [])})
    options = [(str(n), n) for n in counts]
    return options + [("∞", _CONTINUOUS)] if not device_levels else options


@functools.cache
def _slider_scan() -> Any:
    """The slider path's XLA program: ON/OFF LIF neurons over a time-minor drive [H, W, 2C, T]."""
    from snnlib._quiet import tf
    from snnlib.edges import _combine
    from snnlib.neurons import lif_update

    @tf.function(jit_compile=True)
    def scan(drive: Any, gain: Any, threshold: Any) -> Any:
        v = tf.zeros_like(drive[..., 0])
        counts = v
        for t in range(drive.shape[-1]):  # T is static: unrolled and fused, as in snnlib.edges
            spikes, v, _ = lif_update(drive[..., t], v, None, gain=gain, threshold=threshold, reset="zero")
            counts += spikes
        return counts, _combine(counts)

    return scan


_DRIVES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _slider_drive(extractor: Any) -> Any:
    """The ON (+I) and OFF (−I) drive of every neuron, time-minor [H, W, 2C, T], cached per extractor
    (``None`` if it would exceed :data:`FAST_PATH_BYTES`)."""
    try:
        return _DRIVES[extractor]
    except KeyError:
        pass
    except TypeError:  # not weak-referenceable: no cache
        return None
    from snnlib._quiet import tf

    currents = extractor.currents  # [T, H, W, C], the cached crossbar read
    if 2 * 4 * int(np.prod(currents.shape)) > FAST_PATH_BYTES:
        return None
    drive = tf.transpose(tf.concat([currents, -currents], axis=-1), [1, 2, 3, 0])
    _DRIVES[extractor] = drive
    return drive


def fast_edges(extractor: Any, tau: float, threshold: float) -> tuple[np.ndarray, int]:
    """The slider path: ``(edge map [H, W] in [0, 1], LIF spike total)`` of ``extractor.run(tau=..,
    threshold=..)``, bit for bit, about a third faster.

    The LIF neurons are the library's (:func:`snnlib.neurons.lif_update`, reset to zero, exact
    integration, dt = 1 ms) and the read-out is :mod:`snnlib.edges`' own; only the layout differs: each
    neuron's T inputs lie next to each other (ON and OFF drive precomputed once per extractor), which XLA
    runs faster on a CPU than the frame-major scan. An image too large for the copy
    (:data:`FAST_PATH_BYTES`) runs ``extractor.run``.
    """
    from snnlib._quiet import tf
    from snnlib.edges import check_run_args
    from snnlib.neurons import decay_and_gain

    drive = _slider_drive(extractor)
    if drive is None:
        result = extractor.run(tau=tau, threshold=threshold)
        return result.edges, result.output_spikes
    tau, threshold, _, dt = check_run_args(tau, threshold)
    _, gain = decay_and_gain(tau, dt, "exact")
    counts, edges = _slider_scan()(drive, tf.constant(float(gain), tf.float32), tf.constant(threshold, tf.float32))
    return edges.numpy(), int(counts.numpy().sum(dtype=np.int64))


def render_edges(extractor: Any, tau: float, threshold: float) -> tuple[bytes, str]:
    """Slider callback of notebook 05: re-run only the LIF neurons of a cached
    :class:`~snnlib.edges.EdgeExtractor` (:func:`fast_edges`) and return ``(png_bytes, status_text)``.

    The PNG is the map as :func:`snnlib.images.display_scale` shows it (:data:`DISPLAY_PERCENTILE`,
    :data:`DISPLAY_GAMMA`), and ``status_text`` (plain text; put it in an HTML widget through
    :func:`status_html`) says so, with the spike counts of the run.
    """
    from snnlib.images import display_scale

    try:
        recent = _RECENT.setdefault(extractor, collections.OrderedDict())
    except TypeError:  # not weak-referenceable: no memory of recent maps
        recent = collections.OrderedDict()
    key = (tau, threshold)
    if key in recent:  # a slider moved back to a position it just showed
        recent.move_to_end(key)
        return recent[key]
    edges, output_spikes = fast_edges(extractor, tau, threshold)
    shown, note = display_scale(edges, percentile=DISPLAY_PERCENTILE, gamma=DISPLAY_GAMMA)
    status = (f"τ = {tau:g} ms, θ = {threshold:g}: {output_spikes:,} LIF spikes "
              f"from {extractor.input_spikes:,} input spikes · {_chip_text(extractor)} · {note}")
    view = recent[key] = (edges_png(shown), status)
    while len(recent) > RECENT_MAPS:
        recent.popitem(last=False)
    return view


#: How many recent (τ, θ) maps :func:`render_edges` keeps per extractor (PNG bytes, ~60 kB each), so
#: that a slider wiggled back and forth shows them again without re-running the neurons.
RECENT_MAPS = 64
_RECENT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _chip_text(extractor: Any) -> str:
    lab = lab_values(extractor)
    levels = "continuous" if lab["levels"] is None else f"{lab['levels']} levels"
    parts = [extractor.device.name, levels]
    if lab["d2d_sigma"]:
        parts.append(f"d2d σ {lab['d2d_sigma']:g}")
    if lab["stuck_on_rate"]:
        parts.append(f"{lab['stuck_on_rate']:.0%} stuck at G_max")
    if lab["read_noise"]:
        parts.append(f"read noise {lab['read_noise']:g}")
    encoding = ENCODING_LABELS.get(extractor.encoding, extractor.encoding)
    return f"{', '.join(parts)}; {encoding} code, T = {extractor.steps}"


@dataclass
class ExplorerState:
    """What :func:`edge_explorer` keeps between callbacks: the source and decoded photo now shown, its
    scaling note, the :class:`~snnlib.edges.EdgeExtractor` and the settings it was built with (steps,
    kernel, encoding, device and the device lab's :data:`LAB_OPTIONS`, resolved). Changed only by a
    callback that succeeds."""

    source: Any = None
    image: np.ndarray | None = None
    note: str = ""
    extractor: Any = None
    settings: dict[str, Any] | None = None


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


def rebuild_edges(state: ExplorerState, source: Any = None, *, steps: int, kernel: str, device: str | None = None,
                  encoding: str | None = None, seed: int = 0, tau: float, threshold: float,
                  **lab: Any) -> ExplorerView:
    """Callback of the menus, the device lab and Load/Upload: re-encode and re-program.

    ``device`` and ``encoding`` default to :class:`~snnlib.edges.EdgeExtractor`'s; ``lab`` takes the
    device lab's crossbar options (:data:`LAB_OPTIONS`; left out: the device's own). A new ``source`` is
    decoded (:func:`load_source`) and kept only if everything succeeds; with ``source=None`` the photo
    already decoded is reused (or ``state.source`` is decoded, if none is yet). The new extractor's
    slider path is run once here, so its XLA program is compiled before the next slider move.
    Never raises: on an error ``state`` is unchanged and the view carries the message.
    """
    from snnlib.edges import EdgeExtractor

    try:
        unknown = sorted(set(lab) - set(LAB_OPTIONS))
        if unknown:
            raise ValueError(f"unknown device-lab option(s) {', '.join(unknown)}; they are {', '.join(LAB_OPTIONS)}")
        if source is not None or state.image is None:
            img, note = load_source(state.source if source is None else source)
        else:
            img, note = state.image, state.note
        chosen = {k: v for k, v in dict(device=device, encoding=encoding).items() if v is not None}
        extractor = EdgeExtractor(img, steps=steps, kernel=kernel, seed=seed, **chosen, **lab)
        original = edges_png(extractor.image)
        png, text = render_edges(extractor, tau, threshold)
    except Exception as err:  # shown in the status line, never swallowed
        return _failed(err)
    if source is not None:
        state.source = source
    state.image, state.note, state.extractor = img, note, extractor
    state.settings = dict(steps=steps, kernel=kernel, encoding=extractor.encoding, device=extractor.device.name,
                          **lab_values(extractor))
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


def shown_path(path: Any) -> str:
    """How the explorer's path box shows a photo path: relative to the working directory when that is
    short (``../data/MHW.jpg`` from ``notebooks/``), else the file name; never an absolute path (a
    saved notebook would carry the author's folders)."""
    text = os.fsdecode(path)
    if not os.path.isabs(text):
        return text
    try:
        rel = os.path.relpath(text)
    except ValueError:  # another drive (Windows)
        return Path(text).name
    return rel if not rel.startswith(os.pardir + os.sep + os.pardir) else Path(text).name


def edge_explorer(image: Any = None, *, tau: float = 5.0, threshold: float = 0.5, steps: int | None = None,
                  kernel: str = "sobel", device: str | None = None, encoding: str | None = None,
                  seed: int = 0) -> Any:
    """The live demo: the original beside the edge feature map, with sliders for τ and θ, menus for
    steps, kernel, encoding and device, and a device lab (d2d σ, stuck-at rate, levels, read noise).

    ``image`` is a path (default: the course photo, :func:`snnlib.data.course_photo`), the bytes of an
    image file (shown as an upload), a Pillow image or an array. ``steps``, ``device`` and ``encoding``
    default to :class:`~snnlib.edges.EdgeExtractor`'s defaults, and the device lab starts at the
    device's own values. τ and θ re-run only the neurons (:func:`rerun_edges`, tens of ms); the menus,
    the device lab and Load/Upload re-encode and re-program the crossbar (:func:`rebuild_edges`, a
    second or a few). The edge map is shown display-scaled (:func:`render_edges`), the status says how.

    The callbacks run in the kernel's message loop, one at a time: while one runs, ipywidgets holds
    back further moves of a slider and sends only the latest when the kernel is free, so a quick drag
    skips the stale positions instead of queueing them. Mistakes (a missing file, a broken image) show
    as a message, never a traceback; bad arguments here (an unknown kernel, device or encoding, steps
    outside 1…256, τ or θ outside the sliders' ranges :data:`TAU_RANGE` and :data:`THRESHOLD_RANGE`)
    raise a ``ValueError`` before any widget is built.
    """
    from snnlib.memristor import PRESETS

    tau = _slider_value("tau", tau, TAU_RANGE, "τ", unit="ms")
    threshold = _slider_value("threshold", threshold, THRESHOLD_RANGE, "θ")
    steps = _checks.positive_int("steps", extractor_default("steps") if steps is None else steps,
                                 maximum=MAX_STEPS)
    kernel = _checks.one_of("kernel", kernel, KERNELS)
    device = _checks.one_of("device", extractor_default("device") if device is None else device, sorted(PRESETS))
    encoding = _checks.one_of("encoding", extractor_default("encoding") if encoding is None else encoding,
                              ENCODINGS)
    seed = _checks.seed_value("seed", seed)
    if image is None:
        from snnlib.data import course_photo

        image = course_photo()

    import ipywidgets as w

    tau_s = w.FloatSlider(value=tau, min=TAU_RANGE[0], max=TAU_RANGE[1], step=1.0, description="τ (ms)",
                          continuous_update=True)
    th_s = w.FloatSlider(value=threshold, min=THRESHOLD_RANGE[0], max=THRESHOLD_RANGE[1], step=0.05,
                         description="θ", continuous_update=True)
    steps_d = w.Dropdown(options=sorted({8, 16, 32, 64, steps}), value=steps, description="steps T")
    kernel_d = w.Dropdown(options=list(KERNELS), value=kernel, description="kernel")
    encoding_d = w.Dropdown(options=[(ENCODING_LABELS.get(e, e), e) for e in ENCODINGS], value=encoding,
                            description="encoding")
    device_d = w.Dropdown(options=sorted(PRESETS), value=device, description="device")
    lab_style = dict(continuous_update=False, style={"description_width": "initial"})
    d2d_s = w.FloatSlider(value=D2D_RANGE[0], min=D2D_RANGE[0], max=D2D_RANGE[1], step=0.05,
                          description="d2d σ", **lab_style)
    stuck_s = w.FloatSlider(value=STUCK_RANGE[0], min=STUCK_RANGE[0], max=STUCK_RANGE[1], step=0.01,
                            description="stuck at G_max", readout_format=".0%", **lab_style)
    levels_s = w.SelectionSlider(options=level_options(PRESETS[device].levels),
                                 value=PRESETS[device].levels or _CONTINUOUS, description="levels", **lab_style)
    noise_s = w.FloatSlider(value=READ_NOISE_RANGE[0], min=READ_NOISE_RANGE[0], max=READ_NOISE_RANGE[1],
                            step=0.01, description="read noise", **lab_style)
    uploaded = isinstance(image, (bytes, bytearray, memoryview))
    is_path = isinstance(image, (str, os.PathLike))
    path_t = w.Text(value=shown_path(image) if is_path else "", description="photo",
                    placeholder=UPLOAD_PLACEHOLDER if uploaded else PATH_PLACEHOLDER)
    aliases = {path_t.value: image} if is_path else {}  # the path box shows a short name for this path
    load_b = w.Button(description="Load")
    upload = w.FileUpload(accept="image/*", multiple=False, description="Upload")
    status = w.HTML()
    original_img = w.Image(format="png", layout=w.Layout(width="48%"))
    edges_img = w.Image(format="png", layout=w.Layout(width="48%"))
    for widget, name in [(tau_s, "snn-tau"), (th_s, "snn-theta"), (status, "snn-status"),
                         (original_img, "snn-original"), (edges_img, "snn-edges")]:
        widget.add_class(name)  # stable hooks for the browser tests and for styling
    state = ExplorerState(source=image)
    menus = {"steps": steps_d, "kernel": kernel_d, "encoding": encoding_d, "device": device_d}
    lab = {"d2d_sigma": d2d_s, "stuck_on_rate": stuck_s, "levels": levels_s, "read_noise": noise_s}
    quiet = {"on": False}  # set while the controls are made to describe the picture shown

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
        def run(*args: Any, **kwargs: Any) -> None:
            try:
                callback(*args, **kwargs)
            except Exception as err:
                status.value = _failed(err).status
        return run

    def describe(settings: dict[str, Any]) -> None:
        """Set every menu and lab slider to ``settings`` (what the picture shown was built with)."""
        quiet["on"] = True
        try:
            for name, menu in menus.items():
                menu.value = settings[name]
            levels = settings["levels"]
            levels_s.options = level_options(PRESETS[settings["device"]].levels)
            levels_s.value = _CONTINUOUS if levels is None else levels
            for name, limits in [("d2d_sigma", D2D_RANGE), ("stuck_on_rate", STUCK_RANGE),
                                 ("read_noise", READ_NOISE_RANGE)]:
                lab[name].max = max(limits[1], settings[name])  # a device value beyond the range still shows
                lab[name].value = settings[name]
        finally:
            quiet["on"] = False

    def rebuild(source: Any = None, *, with_lab: bool = True) -> bool:
        options = {name: menu.value for name, menu in menus.items()}
        if with_lab:
            options.update({name: s.value for name, s in lab.items()})
            options["levels"] = None if options["levels"] == _CONTINUOUS else options["levels"]
        view = rebuild_edges(state, source, seed=seed, tau=tau_s.value, threshold=th_s.value, **options)
        show(view)
        if state.settings is not None:  # the controls describe the picture shown (old, if this failed)
            describe(state.settings)
        return view.ok

    @guarded
    def on_menu(_change: Any = None) -> None:
        if not quiet["on"]:
            rebuild()

    @guarded
    def on_device(_change: Any = None) -> None:
        if not quiet["on"]:
            rebuild(with_lab=False)  # a new device starts from its own values

    @guarded
    def on_slider(_change: Any = None) -> None:
        show(rerun_edges(state, tau_s.value, th_s.value))

    @guarded
    def on_load(_button: Any = None) -> None:
        text = path_t.value.strip()
        if rebuild(aliases.get(text, text)):
            path_t.placeholder = PATH_PLACEHOLDER

    @guarded
    def on_upload(_change: Any = None) -> None:
        content = uploaded_bytes(upload.value)
        if content is not None and rebuild(content):
            path_t.value, path_t.placeholder = "", UPLOAD_PLACEHOLDER

    tau_s.observe(on_slider, names="value")
    th_s.observe(on_slider, names="value")
    for name, menu in menus.items():
        menu.observe(on_device if name == "device" else on_menu, names="value")
    for s in lab.values():
        s.observe(on_menu, names="value")
    load_b.on_click(on_load)
    upload.observe(on_upload, names="value")
    guarded(rebuild)(with_lab=False)
    return w.VBox([
        w.HBox([tau_s, th_s]),
        w.HBox([steps_d, kernel_d, encoding_d, device_d]),
        w.HBox([d2d_s, stuck_s, levels_s, noise_s]),
        w.HBox([path_t, load_b, upload]),
        status,
        w.HBox([original_img, edges_img]),
    ])
