"""ipywidgets wiring for the course. Every callback is a plain, named function
here that tests call directly; the widgets only connect sliders to it.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from snnlib import _checks
from snnlib.neurons import simulate
from snnlib.plots import figure_png, plot_membrane

__all__ = ["lif_trace_png", "lif_explorer"]


def lif_trace_png(tau: float, threshold: float, current: float, *, steps: int = 200, dt: float = 1.0) -> bytes:
    """Callback of the single-neuron slider demo: PNG of v(t) and spikes for a step current.

    The current (units of θ) switches on at 20 ms. ``tau`` and ``dt`` in ms.
    """
    steps = _checks.positive_int("steps", steps)
    current = _checks.finite_array("current", current)
    drive = np.zeros(steps)
    drive[int(20 / dt):] = float(current)
    s, v = simulate(drive, tau=tau, threshold=threshold, dt=dt)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    plot_membrane(v, s, dt=dt, threshold=threshold, ax=ax)
    ax.set_title(f"τ = {tau:g} ms, θ = {threshold:g}, I = {float(current):g}: {int(s.sum())} spikes")
    return figure_png(fig)


def lif_explorer(tau: float = 20.0, threshold: float = 1.0, current: float = 1.5) -> Any:
    """Sliders for tau, threshold and the input current over one LIF neuron's trace."""
    import ipywidgets as w

    sliders = {
        "tau": w.FloatSlider(value=tau, min=2.0, max=100.0, step=1.0, description="τ (ms)"),
        "threshold": w.FloatSlider(value=threshold, min=0.2, max=3.0, step=0.1, description="θ"),
        "current": w.FloatSlider(value=current, min=0.0, max=5.0, step=0.1, description="I"),
    }
    image = w.Image(format="png")

    def update(_change=None):
        image.value = lif_trace_png(**{k: s.value for k, s in sliders.items()})

    for s in sliders.values():
        s.observe(update, names="value")
    update()
    return w.VBox([w.HBox(list(sliders.values())), image])
