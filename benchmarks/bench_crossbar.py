"""Benchmark of the crossbar: the exact IR-drop solve and the TF vector–matrix multiply.

    python benchmarks/bench_crossbar.py

Prints one table (median of repeats). Ratios compare against the ideal ``v @ G`` in the same run.
"""

from __future__ import annotations

import time

import numpy as np

import snnlib  # noqa: F401  (quiet TensorFlow)
from snnlib._quiet import tf
from snnlib.crossbar import Crossbar, crossbar_currents, crossbar_transfer
from snnlib.memristor import get_device


def timed(fn, repeats: int = 7) -> float:
    fn()  # warm-up (tracing, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    rng = np.random.default_rng(0)
    dev = get_device("hfox")
    g64 = rng.uniform(dev.g_min, dev.g_max, (64, 64))
    v64 = rng.uniform(0, 0.2, 64)
    w256 = rng.normal(size=(256, 256))
    x = tf.constant(rng.uniform(0, 1, (64, 256)), tf.float32)
    ideal = Crossbar.ideal(w256)
    noisy = Crossbar(w256, device="hfox", read_noise=0.02, adc_bits=8, dac_bits=8, seed=0)
    fn_ideal = tf.function(ideal.matmul)
    fn_noisy = tf.function(noisy.matmul)
    loss = 1 - crossbar_currents(g64, v64, r_wire=1.0).sum() / (v64 @ g64).sum()

    rows = [
        ("64×64 ideal currents, v @ G (NumPy)", timed(lambda: crossbar_currents(g64, v64))),
        ("64×64 IR drop, r_wire = 1 Ω, one vector", timed(lambda: crossbar_currents(g64, v64, r_wire=1.0), 3)),
        ("64×64 IR-drop transfer matrix (all inputs)", timed(lambda: crossbar_transfer(g64, 1.0), 3)),
        ("256×256 Crossbar.matmul, batch 64, ideal, eager", timed(lambda: ideal.matmul(x))),
        ("  … in tf.function", timed(lambda: fn_ideal(x))),
        ("256×256 matmul + read noise, 8-bit DAC/ADC, tf.function", timed(lambda: fn_noisy(x))),
    ]
    base = rows[0][1]
    print(f"{'operation':<58}{'median ms':>10}{'× v@G 64':>10}")
    for name, t in rows:
        print(f"{name:<58}{1000 * t:>10.2f}{t / base:>10.0f}")
    print(f"IR drop at r_wire = 1 Ω on 64×64 hfox: total column current {100 * loss:.2f} % below ideal")


if __name__ == "__main__":
    main()
