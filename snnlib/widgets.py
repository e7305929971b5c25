"""ipywidgets wiring for the course. Every callback is a plain, named function
here that tests call directly; the widgets only connect sliders to it.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from snnlib import _checks
from snnlib.images import to_uint8
from snnlib.neurons import simulate
from snnlib.plots import figure_png, plot_membrane

__all__ = ["lif_trace_png", "lif_explorer", "edges_png", "render_edges", "edge_explorer"]


def lif_trace_png(tau: float, threshold: float, current: float, *, steps: int = 200, dt: float = 1.0) -> bytes:
    """Callback of the single-neuron slider demo: PNG of v(t) and spikes for a step current.

    The current (units of θ) switches on at 20 ms. ``tau`` and ``dt`` in ms.
    """
    steps = _checks.positive_int("steps", steps)
    dt = _checks.positive("dt", dt, unit="ms")
    current = float(_checks.finite_array("current", current, ndim=0))
    onset = int(round(20 / dt))
    if steps <= onset:
        raise ValueError(f"steps must be more than {onset} (the current switches on at 20 ms), got {steps}")
    drive = np.zeros(steps)
    drive[onset:] = current
    s, v = simulate(drive, tau=tau, threshold=threshold, dt=dt)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    plot_membrane(v, s, dt=dt, threshold=threshold, ax=ax)
    ax.set_title(f"τ = {tau:g} ms, θ = {threshold:g}, I = {current:g}: {int(s.sum())} spikes")
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


# ----------------------------------------------------------------------------- edge extraction
def edges_png(image: Any) -> bytes:
    """Encode a [H, W] map in [0, 1] as PNG bytes, fast (Pillow, light compression): the widget image."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def render_edges(extractor: Any, tau: float, threshold: float) -> tuple[bytes, str]:
    """Slider callback of notebook 05: re-run only the LIF neurons of a cached
    :class:`~snnlib.edges.EdgeExtractor` and return ``(png_bytes, status_text)``."""
    result = extractor.run(tau=tau, threshold=threshold)
    status = (f"τ = {tau:g} ms, θ = {threshold:g}: {result.output_spikes:,} LIF spikes "
              f"from {result.input_spikes:,} input spikes")
    return edges_png(result.edges), status


def edge_explorer(image: Any = "../data/MHW.jpg", *, tau: float = 5.0, threshold: float = 0.5,
                  steps: int = 32, kernel: str = "sobel", device: str = "ideal", seed: int = 0) -> Any:
    """The live demo: the original beside the edge feature map, with sliders for τ and θ.

    τ and θ re-run only the neurons (fast); steps, kernel and device re-program the
    crossbar and re-encode (slower). A path box and an upload button load your own photo.
    Mistakes (a missing file, a broken image) show as a message, never a traceback.
    """
    import ipywidgets as w

    from snnlib.edges import KERNELS, EdgeExtractor
    from snnlib.images import load_image_info
    from snnlib.memristor import PRESETS

    tau_s = w.FloatSlider(value=tau, min=1.0, max=50.0, step=1.0, description="τ (ms)", continuous_update=True)
    th_s = w.FloatSlider(value=threshold, min=0.05, max=2.0, step=0.05, description="θ", continuous_update=True)
    steps_d = w.Dropdown(options=sorted({8, 16, 32, 64, steps}), value=steps, description="steps T")
    kernel_d = w.Dropdown(options=list(KERNELS), value=kernel, description="kernel")
    device_d = w.Dropdown(options=sorted(PRESETS), value=device, description="device")
    path_t = w.Text(value=str(image) if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__") else "",
                    description="photo", placeholder="path/to/photo.jpg")
    load_b = w.Button(description="Load")
    upload = w.FileUpload(accept="image/*", multiple=False, description="Upload")
    status = w.HTML()
    original_img = w.Image(format="png", layout=w.Layout(width="48%"))
    edges_img = w.Image(format="png", layout=w.Layout(width="48%"))
    state: dict[str, Any] = {"source": image, "image": None, "extractor": None, "note": ""}

    def say(text: str, error: bool = False) -> None:
        color = "#b00020" if error else "#333"
        status.value = f"<span style='color:{color}'>{text}</span>"

    def rebuild(_change: Any = None, source: Any = None) -> None:
        """Re-encode and re-program. A new ``source`` is decoded (once) and kept only if it loads;
        otherwise the photo already decoded is reused."""
        try:
            if source is not None or state["image"] is None:
                img, info = load_image_info(state["source"] if source is None else source)
                note = (f" (photo scaled down from {info.original_shape[1]}×{info.original_shape[0]} px)"
                        if info.downscaled else "")
            else:
                img, note = state["image"], state["note"]
            extractor = EdgeExtractor(img, steps=steps_d.value, kernel=kernel_d.value, device=device_d.value,
                                      seed=seed)
        except ValueError as err:
            say(str(err), error=True)
            return
        if source is not None:
            state["source"] = source
        state.update(image=img, note=note, extractor=extractor)
        original_img.value = edges_png(extractor.image)
        rerun()

    def rerun(_change: Any = None) -> None:
        if state["extractor"] is None:
            return
        png, text = render_edges(state["extractor"], tau_s.value, th_s.value)
        edges_img.value = png
        say(text + state["note"])

    def load_path(_button: Any = None) -> None:
        rebuild(source=path_t.value.strip())

    def load_upload(_change: Any = None) -> None:
        if not upload.value:
            return
        item = upload.value[0]
        rebuild(source=bytes(item["content"]))  # decoded and checked by load_image_info

    tau_s.observe(rerun, names="value")
    th_s.observe(rerun, names="value")
    for d in (steps_d, kernel_d, device_d):
        d.observe(rebuild, names="value")
    load_b.on_click(load_path)
    upload.observe(load_upload, names="value")
    rebuild()
    return w.VBox([
        w.HBox([tau_s, th_s]),
        w.HBox([steps_d, kernel_d, device_d]),
        w.HBox([path_t, load_b, upload]),
        status,
        w.HBox([original_img, edges_img]),
    ])
