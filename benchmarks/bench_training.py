"""Training speed of the spiking digits network on a memristor crossbar beside a plain Keras ANN of the same size.

    .venv/bin/python benchmarks/bench_training.py [--epochs 5] [--hidden 256] [--steps 16] [--batch 64]

Both train with Keras' ``fit`` on the same 1347 digits, the same batch size and optimiser, in the same run:

* SNN: spikes [N, T, 64] → CrossbarDense(hidden, hfox) → LIF(hidden) → CrossbarDense(10) → mean over T
  (:func:`snnlib.learning.build_digits_model`), BPTT through T steps with the surrogate gradient;
* ANN: pixels [N, 64] → Dense(hidden, relu) → Dense(10), float32.

The first epoch (graph tracing) is timed apart; the table gives the median of the following epochs and that
divided by the number of batches (one training step). A benchmark, not a test: it prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from snnlib import learning  # noqa: E402
from snnlib.data import load_digits_split  # noqa: E402


class _Clock(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(time.perf_counter() - self._t)


def _time_fit(model, x, y, epochs, batch):
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    clock = _Clock()
    model.fit(x, y, batch_size=batch, epochs=epochs + 1, shuffle=True, verbose=0, callbacks=[clock])
    return clock.epochs[0], statistics.median(clock.epochs[1:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--hidden", type=int, default=learning.DIGITS_HIDDEN)
    p.add_argument("--steps", type=int, default=learning.DIGITS_STEPS)
    p.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    keras.utils.set_random_seed(0)
    d = load_digits_split()
    n_batches = -(-len(d.y_train) // a.batch)
    spikes = learning.encode_digits(d.x_train, a.steps)
    snn = learning.build_digits_model(hidden=a.hidden, steps=a.steps)
    ann = keras.Sequential([keras.Input((64,)), keras.layers.Dense(a.hidden, activation="relu"),
                            keras.layers.Dense(10)])
    first_s, epoch_s = _time_fit(snn, spikes, d.y_train, a.epochs, a.batch)
    first_a, epoch_a = _time_fit(ann, d.x_train.reshape(-1, 64), d.y_train, a.epochs, a.batch)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"digits, 1347 training images, batch {a.batch} ({n_batches} steps per epoch), 64-{a.hidden}-10, "
          f"{cores} CPU cores; median of {a.epochs} epochs after the first")
    print(f"{'model':<40} {'1st epoch (s)':>14} {'epoch (s)':>10} {'step (ms)':>10}")
    rows = [(f"SNN on hfox crossbars, T = {a.steps}, LIF", first_s, epoch_s),
            ("Keras ANN, Dense relu", first_a, epoch_a)]
    for name, first, epoch in rows:
        print(f"{name:<40} {first:>14.2f} {epoch:>10.3f} {1000 * epoch / n_batches:>10.2f}")
    print(f"{'ratio SNN / ANN':<40} {first_s / first_a:>14.1f} {epoch_s / epoch_a:>10.1f} "
          f"{epoch_s / epoch_a:>10.1f}")


if __name__ == "__main__":
    main()
