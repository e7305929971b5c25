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

__all__ = ["plot_membrane", "plot_raster", "figure_png", "side_by_side"]


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    return ax


def plot_membrane(v: Any, spikes: Any, *, dt: float = 1.0, threshold: float | None = None,
                  ax: Any = None, label: str | None = None, color: str = "C0") -> Any:
    """Plot one neuron's membrane potential v(t) with its spikes as ticks above it.

    ``v`` and ``spikes`` are 1-D, time-major; time axis in ms.
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
    ax.set_ylabel("membrane potential v (units of θ)")
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


def side_by_side(result: Any, *, titles: tuple[str, str] | None = None) -> Any:
    """Figure of the original photo beside its edge feature map (an :class:`~snnlib.edges.EdgeResult`)."""
    h, w = result.original.shape
    fig, axes = plt.subplots(1, 2, figsize=(10, 5 * h / w + 0.6))
    p = result.params
    if titles is None:
        titles = ("original (grayscale)",
                  f"edge feature map: τ = {p.get('tau', 0):g} ms, θ = {p.get('threshold', 0):g}, "
                  f"T = {p.get('steps', 0)}, {p.get('device', '')}")
    for ax, img, title in zip(axes, (result.original, result.edges), titles):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x (px)")
        ax.set_ylabel("y (px)")
    fig.tight_layout()
    return fig
