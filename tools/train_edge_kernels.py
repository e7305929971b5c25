"""Train the edge network's kernels end to end, with the chip in the loop, and write ``kernel="trained"``.

Usage::

    python tools/train_edge_kernels.py                       # writes snnlib/kernels/trained_edges.npz
    python tools/train_edge_kernels.py --out /tmp/k.npz --iterations 50

(A maintainer's tool of the repository: it is not part of the installed ``snnlib`` package.)

The network is the edge pipeline of :mod:`snnlib.edges`, written with trainable kernels:

1. a synthetic scene (:func:`snnlib.data.synthetic_shapes`: several sizes, contrasts, noise
   σ ∈ [0, 0.3], noise seeds, flips and transposes), encoded for ``T`` steps with the pipeline's
   code (:func:`snnlib.edges.encode_image`, Bernoulli rate, seeded);
2. the spikes read through :class:`snnlib.crossbar.CrossbarConv2D` — the same chip as the pipeline
   (``hfox``: 128 conductance levels, read noise), mirrored border, straight-through gradients —
   whose kernel is normalised per channel as :func:`snnlib.edges.kernel_bank` normalises it, and
   scaled by the pipeline's ``gain="auto"`` (the 99.5th percentile of the ideal analogue response → 1);
3. ON (fed +I) and OFF (fed −I) LIF neurons (τ = 5 ms, θ = 0.5, reset to zero), stepped with
   :func:`snnlib.neurons.lif_update` and a fast-sigmoid surrogate gradient (the reset's gradient is
   stopped), back-propagated through all ``T`` steps;
4. the pipeline's read-out: ON + OFF per channel, L2 norm over the channels, divided by its maximum.

The loss is a class-balanced binary cross-entropy of ``sigmoid(a·(map − b))`` (``a``, ``b`` trained
too: the benchmark picks its own threshold) against the true edges (two pixels wide, one each side
of a boundary); the pixels just outside them are ignored, so a response one pixel wide of the
boundary is not punished. Adam with a geometrically decaying rate, fixed seeds everywhere, deterministic TensorFlow ops: the same seed
gives the same file, bit for bit, on one machine.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "snnlib" / "kernels" / "trained_edges.npz"

#: Everything the result depends on (besides the library and the machine); stored in the file.
PARAMS: dict[str, Any] = dict(
    seed=0,
    kernel_size=7,
    channels=4,
    device="hfox",
    read_noise=0.02,
    chip_seed=0,
    steps=32,
    encoding="rate",
    max_rate=1.0,
    tau=5.0,
    threshold=0.5,
    sizes=[64, 96],
    noise_levels=[0.0, 0.1, 0.2, 0.3],
    contrasts=[0.25, 0.35, 0.5],
    scene_seeds=[0, 1, 2, 3, 4, 5, 6, 7],  # noise seeds of the training scenes; evaluate on others
    batch=4,
    iterations=500,
    learning_rate=0.02,
    final_learning_rate=0.002,  # the rate decays geometrically to this over the iterations
    init_scale=0.1,
)


def _scenes(params: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The training set: every (size, contrast, noise, seed) scene, flipped/transposed by its seed."""
    from snnlib.data import synthetic_shapes

    out = []
    for size in params["sizes"]:
        for contrast in params["contrasts"]:
            for noise in params["noise_levels"]:
                for s in params["scene_seeds"]:
                    img, truth = synthetic_shapes(size, noise=noise, contrast=contrast, seed=s)
                    out.append((img, truth))
    return out


def _augment(img: np.ndarray, truth: np.ndarray, code: int) -> tuple[np.ndarray, np.ndarray]:
    """One of the 8 symmetries of the square (``code`` 0…7)."""
    if code & 1:
        img, truth = img[:, ::-1], truth[:, ::-1]
    if code & 2:
        img, truth = img[::-1], truth[::-1]
    if code & 4:
        img, truth = img.T, truth.T
    return np.ascontiguousarray(img), np.ascontiguousarray(truth)


def _targets(truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(label, weight) per pixel: edges 1, the ring just outside them ignored, the rest 0; the two classes
    weighted to half of the loss each (class balance)."""
    from scipy import ndimage

    near = ndimage.binary_dilation(truth, np.ones((3, 3), bool)) & ~truth
    neg = ~truth & ~near
    w = np.zeros(truth.shape, np.float32)
    w[truth] = 0.5 / max(truth.sum(), 1)
    w[neg] = 0.5 / max(neg.sum(), 1)
    return truth.astype(np.float32), w


def train(params: dict[str, Any] | None = None, *, iterations: int | None = None,
          verbose: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Train; return ``(kernel [k, k, C] float32, normalised as kernel_bank does, info)``.

    ``params`` overrides entries of :data:`PARAMS`; ``iterations`` overrides its iteration count.
    ``info`` holds the parameters used, the loss of each iteration and the wall time.
    """
    import keras

    from snnlib._quiet import tf
    from snnlib.crossbar import CrossbarConv2D
    from snnlib.edges import encode_image
    from snnlib.neurons import decay_and_gain, lif_update, spike_function

    p = {**PARAMS, **(params or {})}
    if iterations is not None:
        p["iterations"] = int(iterations)
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(p["seed"])
    rng = np.random.default_rng(p["seed"])
    k, c, steps = p["kernel_size"], p["channels"], p["steps"]

    def normalise(w: tf.Tensor) -> tf.Tensor:  # [k, k, 1, C]: kernel_bank's rule, differentiable
        pos = tf.reduce_sum(tf.nn.relu(w), axis=(0, 1, 2), keepdims=True)
        neg = tf.reduce_sum(tf.nn.relu(-w), axis=(0, 1, 2), keepdims=True)
        return w / tf.maximum(tf.maximum(pos, neg), 1e-6)

    class NormalisedConv(CrossbarConv2D):  # the chip stores the normalised kernel, as in the pipeline
        def _matrix(self) -> tf.Tensor:
            return tf.reshape(normalise(self.kernel), (-1, self.filters))

    init = rng.normal(0.0, p["init_scale"], (k, k, 1, c)).astype(np.float32)
    layer = NormalisedConv(c, k, padding="reflect", device=p["device"], read_noise=p["read_noise"],
                           seed=p["chip_seed"], use_bias=False,
                           kernel_initializer=keras.initializers.Constant(init))
    layer.build((None, None, None, 1))
    a = tf.Variable(8.0, dtype=tf.float32, name="slope")
    b = tf.Variable(0.25, dtype=tf.float32, name="offset")
    variables = [layer.kernel, a, b]
    decay = (p["final_learning_rate"] / p["learning_rate"]) ** (1.0 / max(p["iterations"] - 1, 1))
    schedule = keras.optimizers.schedules.ExponentialDecay(p["learning_rate"], decay_steps=1, decay_rate=decay)
    opt = keras.optimizers.Adam(learning_rate=schedule)
    opt.build(variables)
    _, lif_gain = decay_and_gain(p["tau"], 1.0, "exact")
    lif_gain, theta = float(lif_gain), float(p["threshold"])
    spike_fn = spike_function("fast_sigmoid")
    r = k // 2

    def edge_map(spikes: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
        """spikes [B, T, H, W] (0/1 float), images [B, H, W] → maps [B, H, W] in [0, 1]."""
        bsz, h, w = tf.shape(spikes)[0], tf.shape(spikes)[2], tf.shape(spikes)[3]
        frames = tf.reshape(spikes, (-1, h, w, 1))
        currents = tf.reshape(layer(frames), (bsz, steps, h, w, c))  # weight units
        # gain="auto": the 99.5th percentile of |K * (x·p_max)| of each image → 1.0
        kern = normalise(layer.kernel)
        x = tf.pad(images[..., None] * p["max_rate"], [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
        analog = tf.abs(tf.nn.conv2d(x, kern, 1, "VALID"))
        flat = tf.sort(tf.reshape(analog, (bsz, -1)), axis=-1)
        n = tf.shape(flat)[1]
        idx = tf.cast(tf.round(0.995 * tf.cast(n - 1, tf.float32)), tf.int32)
        gain = 1.0 / tf.maximum(flat[:, idx], 1e-6)
        currents = currents * gain[:, None, None, None, None]
        v = tf.zeros((bsz, h, w, 2 * c))
        counts = tf.zeros_like(v)
        for t in range(steps):
            i_t = currents[:, t]
            drive = tf.concat([i_t, -i_t], axis=-1)
            s_t, v, _ = lif_update(drive, v, None, gain=lif_gain, threshold=theta, reset="zero",
                                   spike_fn=spike_fn)
            counts += s_t
        per_channel = counts[..., :c] + counts[..., c:]
        strength = tf.sqrt(tf.reduce_sum(tf.square(per_channel), axis=-1) + 1e-6)
        return strength / tf.reduce_max(strength, axis=(1, 2), keepdims=True)

    @tf.function
    def step(spikes, images, labels, weights):
        with tf.GradientTape() as tape:
            m = edge_map(spikes, images)
            logits = a * (m - b)
            bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
            loss = tf.reduce_sum(bce * weights) / tf.cast(tf.shape(m)[0], tf.float32)
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))
        return loss

    scenes = _scenes(p)
    by_size: dict[int, list[int]] = {}
    for i, (img, _) in enumerate(scenes):
        by_size.setdefault(img.shape[0], []).append(i)
    sizes = sorted(by_size)
    losses = []
    start = time.perf_counter()
    for it in range(p["iterations"]):
        pool = by_size[sizes[it % len(sizes)]]
        pick = rng.choice(len(pool), size=p["batch"], replace=False)
        imgs, spk, lab, wts = [], [], [], []
        for j in pick:
            img, truth = _augment(*scenes[pool[j]], int(rng.integers(8)))
            y, wt = _targets(truth)
            enc_seed = int(rng.integers(2**31))
            spk.append(tf.cast(encode_image(img, steps, p["encoding"], max_rate=p["max_rate"], seed=enc_seed),
                               tf.float32))
            imgs.append(img.astype(np.float32))
            lab.append(y)
            wts.append(wt)
        loss = float(step(tf.stack(spk), tf.constant(np.stack(imgs)), tf.constant(np.stack(lab)),
                          tf.constant(np.stack(wts))))
        losses.append(loss)
        if verbose and (it % 10 == 0 or it == p["iterations"] - 1):
            print(f"iteration {it:4d}  loss {loss:.4f}  ({time.perf_counter() - start:.0f} s)", flush=True)
    kernel = normalise(layer.kernel).numpy()[:, :, 0, :].astype(np.float32)
    info = dict(params=p, losses=losses, seconds=time.perf_counter() - start,
                slope=float(a.numpy()), offset=float(b.numpy()))
    return kernel, info


def save(path: Path, kernel: np.ndarray, info: dict[str, Any]) -> None:
    """Write ``kernel`` and its metadata (a JSON string) to ``path`` (.npz, no pickles)."""
    meta = dict(info["params"], final_loss=info["losses"][-1] if info["losses"] else None,
                description="edge kernels [k, k, C] learned end to end through the chip (CrossbarConv2D) and "
                            "ON/OFF LIF neurons with a surrogate gradient; tools/train_edge_kernels.py")
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"kernel": np.ascontiguousarray(kernel, np.float32), "meta": np.array(json.dumps(meta, sort_keys=True))}
    # np.savez stamps each member with the current time; a fixed stamp makes the file reproducible byte for byte
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, value, allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())


#: Evaluation scenes: noise seeds none of the training scenes uses.
EVAL_SEEDS = tuple(range(100, 108))


def evaluate(kernel: Any = "trained", *, noises: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3),
             seeds: tuple[int, ...] = EVAL_SEEDS, size: int = 96, device: str = "hfox", read_noise: float = 0.02,
             steps: int = 32, gauss_sigma: float = 1.2) -> dict[float, dict[str, tuple[float, float, float]]]:
    """BSDS-style F1 on unseen scenes: {σ: {method: (F1, precision, recall)}}, each the mean over ``seeds``.

    Methods: analogue Sobel (:func:`snnlib.edges.sobel_magnitude`), the SNN with ``kernel="sobel"``, the
    SNN with ``kernel`` (default the shipped ``"trained"``), and the analogue Gaussian-gradient magnitude
    (σ = ``gauss_sigma`` px) as a reference. The SNN runs on ``device`` with ``read_noise``, ``steps``
    steps, spikes seeded by the scene's seed and a chip seeded ``1000 + seed``.
    """
    from scipy import ndimage

    from snnlib.data import synthetic_shapes
    from snnlib.edges import EdgeExtractor, sobel_magnitude
    from snnlib.metrics import bsds_f1

    table: dict[float, dict[str, tuple[float, float, float]]] = {}
    for noise in noises:
        rows: dict[str, list] = {"Sobel": [], "SNN-Sobel": [], "SNN-trained": [], "Gaussian-gradient": []}
        for s in seeds:
            img, truth = synthetic_shapes(size, noise=noise, seed=s)
            rows["Sobel"].append(bsds_f1(sobel_magnitude(img), truth))
            g = ndimage.gaussian_gradient_magnitude(img, gauss_sigma, mode="mirror")
            rows["Gaussian-gradient"].append(bsds_f1(g / g.max() if g.max() > 0 else g, truth))
            for name, kern in (("SNN-Sobel", "sobel"), ("SNN-trained", kernel)):
                ex = EdgeExtractor(img, steps=steps, kernel=kern, device=device, seed=s, chip_seed=1000 + s,
                                   read_noise=read_noise)
                rows[name].append(bsds_f1(ex.run().edges, truth))
        table[noise] = {m: tuple(float(np.mean([getattr(r, f) for r in v])) for f in ("f1", "precision", "recall"))
                        for m, v in rows.items()}
    return table


def print_table(table: dict[float, dict[str, tuple[float, float, float]]]) -> None:
    methods = list(next(iter(table.values())))
    print("noise σ | " + " | ".join(f"{m} F1 (P / R)" for m in methods))
    for noise, row in table.items():
        print(f"{noise:7.2f} | " + " | ".join(f"{f:.3f} ({p:.3f} / {r:.3f})" for f, p, r in row.values()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT.relative_to(ROOT)})")
    ap.add_argument("--iterations", type=int, default=None, help=f"default {PARAMS['iterations']}")
    ap.add_argument("--seed", type=int, default=None, help=f"default {PARAMS['seed']}")
    ap.add_argument("--evaluate", nargs="?", const=str(OUT), default=None, metavar="NPZ",
                    help="instead of training, print the F1 table of a kernel file (default the shipped one)")
    args = ap.parse_args(argv)
    if args.evaluate is not None:
        with np.load(args.evaluate, allow_pickle=False) as data:
            print_table(evaluate(data["kernel"]))
        return 0
    overrides = {} if args.seed is None else {"seed": args.seed}
    kernel, info = train(overrides, iterations=args.iterations, verbose=True)
    save(args.out, kernel, info)
    print(f"wrote {args.out}: kernel {kernel.shape}, {info['seconds']:.0f} s, final loss {info['losses'][-1]:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
