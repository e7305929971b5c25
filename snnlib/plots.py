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
