"""Benchmark of the edge pipeline's slider path (issue: ≤ 50 ms median per update on 2 cores,
≥ 2× faster than the same LIF dynamics in NumPy, measured in the same run).

    python benchmarks/bench_edges.py [--size 512] [--steps 32] [--repeats 15]

Prints one table. Absolute times depend on the machine and its load; the ratios
in the last column are the figures to compare across runs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import snnlib  # noqa: F401  (quiet TensorFlow)
from snnlib.edges import EdgeExtractor
from snnlib.images import load_image
from snnlib.neurons import decay_and_gain
from snnlib.widgets import render_edges


def numpy_lif_counts(currents: np.ndarray, decay: float, gain: float, threshold: float) -> np.ndarray:
    """The same ON/OFF LIF dynamics as snnlib.edges, written straight in NumPy (in-place, vectorised)."""
    shape = currents.shape[1:]
    v_on, v_off = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    n_on, n_off = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    drive = np.empty(shape, np.float32)
    for i_t in currents:
        np.multiply(i_t, gain, out=drive)
        v_on *= decay
        v_on += drive
        v_off *= decay
        v_off -= drive
        s_on = v_on >= threshold
        s_off = v_off >= threshold
        v_on[s_on] = 0.0
        v_off[s_off] = 0.0
        n_on += s_on
        n_off += s_off
    return np.concatenate([n_on, n_off], axis=-1)  # [H, W, 2C]: ON of each channel, then OFF


def timed(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--encoding", default=None, help="spike code (default: the pipeline's, sigma-delta)")
    ap.add_argument("--device", default=None, help="memristor preset (default: the pipeline's, hfox)")
    args = ap.parse_args()

    from PIL import Image

    photo = load_image("data/MHW.jpg")
    image = np.asarray(Image.fromarray((photo * 255).astype(np.uint8)).resize((args.size, args.size))) / 255.0

    t0 = time.perf_counter()
    options = {k: v for k, v in dict(encoding=args.encoding, device=args.device).items() if v is not None}
    ex = EdgeExtractor(image, steps=args.steps, kernel="sobel", seed=0, **options)
    ex.run(tau=5.0, threshold=0.5)
    first = time.perf_counter() - t0

    taus = iter(np.linspace(2.0, 40.0, 10 * args.repeats))
    cached, _ = timed(lambda: ex.run(tau=float(next(taus)), threshold=0.5), args.repeats)
    ths = iter(np.linspace(0.1, 1.5, 10 * args.repeats))
    update, _ = timed(lambda: render_edges(ex, 5.0, float(next(ths))), args.repeats)

    currents = ex.currents.numpy()
    decay, gain = decay_and_gain(5.0, 1.0, "exact")
    ref = numpy_lif_counts(currents, float(decay), float(gain), 0.5)
    tf_counts = ex.run(tau=5.0, threshold=0.5).counts
    agree = float(np.mean(ref == tf_counts))
    numpy_t, _ = timed(lambda: numpy_lif_counts(currents, float(decay), float(gain), 0.5), max(3, args.repeats // 3))

    c = currents.shape[-1]
    print(f"edge pipeline, {args.size}×{args.size} px, T = {args.steps}, sobel, device {ex.device.name}, "
          f"{ex.encoding} code: {c} current channels → "
          f"{2 * c} LIF populations ({2 * c * args.size**2 * args.steps / 1e6:.0f} M neuron-steps)")
    print(f"{'stage':<44}{'median ms':>10}{'× cached':>10}")
    rows = [
        ("first full run (load, encode, crossbar, compile, LIF)", first),
        ("cached τ/θ change: EdgeExtractor.run", cached),
        ("whole slider update: run + map → PNG bytes", update),
        ("same LIF dynamics in NumPy (in-place loop)", numpy_t),
    ]
    for name, t in rows:
        print(f"{name:<44}{1000 * t:>10.1f}{t / cached:>10.2f}")
    print(f"NumPy / TF speed-up: {numpy_t / cached:.2f}×; spike counts agree on {100 * agree:.3f} % of neurons")


if __name__ == "__main__":
    main()
