"""Matplotlib figures used across the course: membrane traces, rasters, f–I curves.

Every function draws on a given ``ax`` (or a new one) and returns the axes, so
notebooks compose figures without repeating plotting code. Axis labels carry
units.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_membrane", "plot_raster", "figure_png", "side_by_side", "on_off_image", "plot_on_off",
           "ON_COLOUR", "OFF_COLOUR"]


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    return ax


def plot_membrane(v: Any, spikes: Any, *, dt: float = 1.0, threshold: float | None = None,
                  ax: Any = None, label: str | None = None, color: str = "C0",
                  ylabel: str = "membrane potential v") -> Any:
    """Plot one neuron's membrane potential v(t) with its spikes as ticks above it.

    ``v`` and ``spikes`` are 1-D, time-major; time axis in ms. ``v`` is drawn as given (in the units of
    the input current, the course's dimensionless units), with θ as a dashed line when ``threshold`` is
    given; ``ylabel`` names the axis.
    """
    ax = _axes(ax)
    v = np.asarray(v, dtype=float)
    t = dt * np.arange(1, len(v) + 1)
    ax.plot(t, v, color=color, lw=1.2, label=label)
    top = max(float(v.max()), threshold or 0.0)
    times = t[np.asarray(spikes) > 0]
    if len(times):
        ax.vlines(times, top * 1.05, top * 1.25, color=color, lw=1.0)
    if threshold is not None:
        ax.axhline(threshold, color="0.4", ls="--", lw=0.8)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(ylabel)
    return ax


def plot_raster(spikes: Any, *, dt: float = 1.0, ax: Any = None, color: str = "k", marker_size: float = 2.0,
                ylabel: str = "neuron index") -> Any:
    """Raster plot of time-major spikes ``[T, N]`` (or ``[T, ...]``, flattened): one dot per spike."""
    ax = _axes(ax)
    s = np.asarray(spikes).reshape(len(spikes), -1)
    t_idx, n_idx = np.nonzero(s)
    ax.scatter((t_idx + 1) * dt, n_idx, s=marker_size, c=color, marker="|" if marker_size > 4 else ".")
    ax.set_xlim(0, (s.shape[0] + 1) * dt)
    ax.set_ylim(-0.5, s.shape[1] - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(ylabel)
    return ax


def plot_frames(frames: Any, *, titles: Any = None, axes: Any = None, cmap: str = "gray",
                vmin: float | None = 0.0, vmax: float | None = 1.0, height: float = 2.0) -> Any:
    """Show a few 2-D frames side by side, one per axes (e.g. spike frames of an image).

    ``frames`` is time-major like every snnlib train, ``[N, H, W]``; a single
    ``[H, W]`` image is one frame, and a list of 2-D arrays may mix sizes. Pixels
    are drawn unsmoothed, without ticks; ``vmin``/``vmax`` fix the colour scale
    (default 0 … 1, so a 0/1 spike frame is black/white; ``None`` lets each frame
    scale itself). ``titles`` gives one title per frame. Without ``axes`` a new
    one-row figure is made, ``height`` inches tall and at most 9 inches wide.
    Returns the array of axes used.
    """
    if isinstance(frames, (list, tuple)):
        f = [np.asarray(a, dtype=float) for a in frames]
    else:
        arr = np.asarray(frames, dtype=float)
        f = [arr] if arr.ndim == 2 else list(arr) if arr.ndim == 3 else [arr]
    if not f or any(a.ndim != 2 or a.size == 0 for a in f):
        shapes = [a.shape for a in f] if f else "[]"
        raise ValueError(f"frames must be shaped [N, H, W] (or one [H, W] image, or a list of them), got {shapes}")
    n = len(f)
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} frames; pass one title per frame")
    if axes is None:
        width = min(9.0, height * sum(a.shape[1] / a.shape[0] for a in f) + 0.2)
        _, axes = plt.subplots(1, n, figsize=(width, height), squeeze=False)
    axes = np.asarray(axes, dtype=object).ravel()
    if len(axes) < n:
        raise ValueError(f"got {len(axes)} axes for {n} frames; pass at least one axes per frame")
    for i in range(n):
        axes[i].imshow(f[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        axes[i].set_xticks([])
        axes[i].set_yticks([])
        if titles is not None:
            axes[i].set_title(str(titles[i]), fontsize=9)
    return axes


def figure_png(fig: Any, dpi: int = 80) -> bytes:
    """Render a figure to PNG bytes (for ``ipywidgets.Image``) and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


#: Figure of :func:`side_by_side`, in inches: fixed width (two titled panels stay readable), height from
#: the image's aspect ratio within these bounds; at dpi 100 the saved PNG is at most about 1000×1100 px.
_SBS_WIDTH = 10.0
_SBS_HEIGHT = (2.0, 11.0)
#: Thinnest side, in inches, an image is drawn with at its true aspect; thinner ones are stretched.
_SBS_MIN_SIDE = 0.5


#: Okabe & Ito's colour-blind-safe orange and sky blue (https://jfly.uni-koeln.de/color/): ON and OFF neurons.
ON_COLOUR, OFF_COLOUR = (0.902, 0.624, 0.0), (0.337, 0.706, 0.914)


def on_off_image(result: Any, *, percentile: float = 99.0, gamma: float = 0.5) -> tuple[np.ndarray, str]:
    r"""ON and OFF spike counts of an :class:`~snnlib.edges.EdgeResult` as one RGB image ``[H, W, 3]``.

    Summed over the kernel channels, :math:`n_{ON}` is drawn in orange and :math:`n_{OFF}` in sky blue
    (:data:`ON_COLOUR`, :data:`OFF_COLOUR`), added on black. Both share one display scale
    (:func:`snnlib.images.display_scale` of the stacked counts: clip at the ``percentile``-th percentile,
    then :math:`d^\gamma`), so their brightness can be compared. For a centre-surround kernel (DoG,
    Laplacian) the ON neurons mark the bright side of an edge and the OFF neurons the dark side.
    Returns ``(rgb in [0, 1], note)``; the counts are not changed.
    """
    from snnlib.images import display_scale

    counts = np.asarray(result.counts, dtype=np.float32)
    if counts.ndim != 3 or counts.shape[-1] % 2 or counts.shape[-1] == 0:
        raise ValueError(f"result.counts must be [H, W, 2C] (ON of each channel, then OFF), got {counts.shape}")
    c = counts.shape[-1] // 2
    on, off = counts[..., :c].sum(axis=-1), counts[..., c:].sum(axis=-1)
    top = max(float(on.max()), float(off.max()), 1.0)
    both, note = display_scale(np.stack([on, off]) / top, percentile=percentile, gamma=gamma)
    rgb = both[0][..., None] * np.array(ON_COLOUR) + both[1][..., None] * np.array(OFF_COLOUR)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32), note


def plot_on_off(result: Any, *, ax: Any = None, percentile: float = 99.0, gamma: float = 0.5,
                legend: bool = True) -> Any:
    """Draw :func:`on_off_image` on ``ax`` (or a new axes) with a legend for ON and OFF and the display
    note as the x label's second line; returns the axes."""
    from matplotlib.patches import Patch

    rgb, note = on_off_image(result, percentile=percentile, gamma=gamma)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5 * rgb.shape[0] / rgb.shape[1]))
    ax.imshow(rgb, interpolation="nearest")
    ax.set_xlabel(f"x (px)\n{note}", fontsize=9)
    ax.set_ylabel("y (px)")
    if legend:
        ax.legend(handles=[Patch(color=ON_COLOUR, label="ON neurons (+I)"),
                           Patch(color=OFF_COLOUR, label="OFF neurons (−I)")],
                  loc="lower right", fontsize=8, framealpha=0.8)
    return ax


def side_by_side(result: Any, *, titles: tuple[str, str] | None = None, display: bool = True,
                 percentile: float = 99.0, gamma: float = 0.5, on_off: bool | None = None) -> Any:
    r"""Figure of the original photo beside its edge feature map (an :class:`~snnlib.edges.EdgeResult`).

    With ``display`` (the default) the map is drawn through :func:`snnlib.images.display_scale`: clipped at
    its ``percentile``-th percentile and raised to ``gamma``, :math:`d = \min(1, e/e_p)^\gamma`, so faint
    edges show on a screen or projector; the figure says so under the map. ``display=False`` draws the
    raw map ``result.edges`` (spike counts combined, divided by their maximum) linearly. The data are
    never changed. ``on_off`` draws the ON and OFF neurons in two colours (:func:`on_off_image`); by
    default it is on for a single-channel (centre-surround) kernel, whose ON and OFF lines are distinct.

    The figure is 10 inches wide and as tall as the aspect ratio asks, between 2 and 11 inches, so any
    image (a 10000×10 strip too) gives a figure of bounded size. Pixels stay square unless that would
    draw the image thinner than half an inch; then it fills its panel, stretched, and the y label says so.
    """
    from snnlib.images import display_scale

    h, w = result.original.shape[:2]
    aspect = h / w
    fig_h = min(max(5.0 * aspect + 0.6, _SBS_HEIGHT[0]), _SBS_HEIGHT[1])
    fig, axes = plt.subplots(1, 2, figsize=(_SBS_WIDTH, fig_h))
    # the panel each image gets (about: the rest is titles, labels and ticks), and the image in it at true aspect
    box_w, box_h = (_SBS_WIDTH - 1.4) / 2, fig_h - 1.2
    shown_w = min(box_w, box_h / aspect)
    stretched = min(shown_w, shown_w * aspect) < _SBS_MIN_SIDE
    p = result.params
    counts = getattr(result, "counts", None)
    if on_off is None:
        on_off = counts is not None and np.ndim(counts) == 3 and np.shape(counts)[-1] == 2
    if titles is None:
        titles = ("original (grayscale)",
                  f"edge feature map: τ = {p.get('tau', 0):g} ms, θ = {p.get('threshold', 0):g}, "
                  f"T = {p.get('steps', 0)}, {p.get('encoding', '')} code, device {p.get('device', '')}"
                  .replace(",  code", ""))
    if on_off:
        shown, note = on_off_image(result, percentile=percentile, gamma=gamma)
        note += "; orange ON, blue OFF"
    elif display:
        shown, note = display_scale(result.edges, percentile=percentile, gamma=gamma)
    else:
        shown, note = np.asarray(result.edges), "display: raw map (counts / max), linear"
    for i, (ax, img, title) in enumerate(zip(axes, (result.original, shown), titles)):
        kw = dict(cmap="gray", vmin=0, vmax=1) if np.ndim(img) == 2 else {}
        if stretched:
            ax.imshow(img, aspect="auto", interpolation="nearest", **kw)
        else:
            ax.imshow(img, **kw)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x (px)" if i == 0 else f"x (px)\n{note}")
        ax.set_ylabel("y (px, stretched)" if stretched else "y (px)")
    fig.tight_layout()
    return fig


_CURRENT_UNITS = {"A": 1.0, "mA": 1e3, "µA": 1e6, "uA": 1e6, "nA": 1e9}


def plot_iv_loop(trace: Any, *, ax: Any = None, current_unit: str = "µA", label: str | None = None,
                 color: str | None = None, arrows: bool = True) -> Any:
    """Plot a memristor's current against its voltage: the pinched hysteresis loop.

    ``trace`` is a :class:`~snnlib.memristor.MemristorTrace` (anything with 1-D
    ``v`` in V and ``i`` in A). The current is drawn in ``current_unit``
    (``"A"``, ``"mA"``, ``"µA"`` or ``"nA"``). With ``arrows``, two arrowheads
    (one eighth and five eighths of the way through the trace: inside the
    positive and the negative lobe of a sine period starting at 0) show the
    direction of travel. Returns the axes.
    """
    if current_unit not in _CURRENT_UNITS:
        raise ValueError(f"current_unit must be one of {', '.join(repr(u) for u in _CURRENT_UNITS)}, "
                         f"got {current_unit!r}")
    v = np.asarray(trace.v, dtype=float)
    i = np.asarray(trace.i, dtype=float) * _CURRENT_UNITS[current_unit]
    if v.ndim != 1 or v.shape != i.shape or v.size < 2:
        raise ValueError(f"trace.v and trace.i must be 1-D of the same length (>= 2), "
                         f"got shapes {v.shape} and {i.shape}")
    ax = _axes(ax)
    (line,) = ax.plot(v, i, lw=1.4, color=color, label=label)
    if arrows and v.size >= 8:
        for k in (v.size // 8, 5 * v.size // 8):
            ax.annotate("", xy=(v[k + 1], i[k + 1]), xytext=(v[k], i[k]),
                        arrowprops=dict(arrowstyle="-|>", color=line.get_color(), lw=1.2,
                                        mutation_scale=14))
    ax.set_xlabel("voltage v (V)")
    ax.set_ylabel(f"current i ({'µA' if current_unit == 'uA' else current_unit})")
    return ax


__all__ += ["plot_iv_loop"]
