"""Edge extraction with a memristive spiking network: image → spikes → crossbar → LIF → edge map.

The pipeline, written once and used by the notebooks, the command line and the widgets:

1. **Image** (:func:`snnlib.images.load_image`): grayscale ``x`` in [0, 1], ``[H, W]``.
2. **Encoding** (:mod:`snnlib.encoders`): ``s = encode(x)``, spikes ``[T, H, W]`` —
   deterministic (sigma-delta) rate code (the default, :data:`DEFAULT_ENCODING`), Bernoulli rate code, or
   latency.
3. **Synapses on a crossbar** (:class:`snnlib.crossbar.Crossbar`): each edge
   kernel ``K`` (``k×k`` weights per output channel) is one crossbar column pair,
   programmed as conductances ``G⁺``, ``G⁻`` (S) with the device's non-idealities.
   A neuron at pixel ``p`` sees the spikes of its ``k×k`` neighbourhood as row
   voltages ``v_read·s`` and its column pair delivers

   .. math:: I_t(p) = v_{read} \\sum_{q \\in N(p)} s_t(q) \\, (G^+_q - G^-_q)

   i.e. a convolution of the spikes with the conductance kernels, computed for
   all ``T`` frames in one batched ``conv2d``. The current is converted back to
   weight units (divide by ``v_read·k``, see :class:`~snnlib.crossbar.Crossbar`)
   and scaled by ``gain`` into the neurons' units of threshold.
4. **LIF neurons** (:func:`snnlib.neurons.lif_step`): two per pixel and channel,
   an ON neuron fed ``+I`` and an OFF neuron fed ``−I`` (rectification, as in
   retinal ON/OFF cells). Their spike counts over ``T`` steps are the feature maps.
5. **Combination** — digital arithmetic after the spiking layer, not spiking: Sobel:
   ``sqrt((n⁺ₓ + n⁻ₓ)² + (n⁺ᵧ + n⁻ᵧ)²)``; centre-surround (DoG, Laplacian): ``n_ON + n_OFF``.
   Divided by its maximum into [0, 1] (an all-zero map stays zero): :attr:`EdgeResult.edges`.
6. **Display** (optional, for a screen or projector): :meth:`EdgeResult.display` clips the map at a high
   percentile and applies a gamma (:func:`snnlib.images.display_scale`); the raw map and counts stay.

**Current scaling and the saturation trap.** A LIF neuron fires at most once per
step, so any neuron whose input keeps it above threshold every step saturates at
``T`` spikes and strong edges are clipped to one flat value. Kernels are
normalised so that the sum of their positive weights is 1 (the largest possible
one-step response is 1 weight unit), and ``gain="auto"`` scales currents so that
the strongest edges of *this* image receive a mean input of ``1.0`` (in units of
threshold): the 99.5th percentile of the mean input the code delivers
(:func:`auto_gain_reference`). For the rate codes that is the analogue response
``|K * (x·p_max)|``; for the latency code, where every pixel spikes once and an
edge is a brief, large current, it is the time-mean of the delivered magnitude
``mean_t |K * s_t|``. On a sparse image (one small object on a flat background,
fewer than 0.5 % of pixels responding) the percentile is taken over the
responding pixels, so the object still fires. With the default ``threshold=0.5`` a
constant input of 1.0 fires on a quarter of the steps for ``tau = 5 ms`` (on the
course photo the strongest 0.5 % of edges fire on about 30 %), far from
saturation, and the slider range ``0.05–2`` spans from "everything fires" to
"only the strongest edges".

**Memory.** :func:`check_working_set` estimates the working set before anything is
allocated and refuses a run above :data:`MEMORY_BUDGET` (2 GB), saying which
``steps`` or image size would fit; the crossbar is read :data:`READ_CHUNK` frames at a
time and spikes are kept as bytes.

**Speed.** The crossbar currents do not depend on ``tau`` or ``threshold``:
:class:`EdgeExtractor` computes them once; ``run(tau=..., threshold=...)`` only
re-runs the LIF scan, compiled once with XLA (``tau`` and ``threshold`` enter as
tensors, so changing them does not retrace).

References: Sobel & Feldman (1968, "An isotropic 3×3 image gradient operator");
Marr & Hildreth, Proc. R. Soc. B 207 (1980) (difference of Gaussians /
Laplacian centre-surround); Kuffler, J. Neurophysiol. 16 (1953) (ON/OFF
centre-surround cells).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from scipy import ndimage

from snnlib import _checks, encoders
from snnlib._quiet import tf
from snnlib.crossbar import Crossbar, ProgramOptions, ReadOptions, read_pair
from snnlib.images import load_image
from snnlib.neurons import LIFParams, decay_and_gain, lif_update
from snnlib.options import ENCODINGS, KERNELS, MAX_STEPS

#: Crossbar options the edge pipeline passes on (see :class:`snnlib.crossbar.Crossbar`).
CROSSBAR_OPTIONS = (*(f.name for f in fields(ProgramOptions) if f.name != "device"),
                    *(f.name for f in fields(ReadOptions) if f.name not in ("r_wire", "dac_bits")))

__all__ = [
    "DEFAULT_DEVICE", "DEFAULT_ENCODING", "DEFAULT_STEPS", "KERNELS", "ENCODINGS", "EdgeResult", "EdgeExtractor", "extract_edges", "kernel_bank",
    "encode_image", "crossbar_convolution", "on_off_lif",
    "auto_gain_reference", "working_set_bytes", "check_working_set", "MEMORY_BUDGET",
    "sobel_magnitude",
    "gaussian_derivative_magnitude",
    # re-exported from snnlib.data, snnlib.metrics and snnlib.energy (see the end of this module)
    "synthetic_shapes", "edge_scores", "best_f1", "energy_estimate", "E_AC", "E_MAC",
]


#: The pipeline's defaults (the command line and the widgets follow them). The device is a real preset, the
#: HfOx RRAM of Wu et al. (VLSI 2018) as tabulated by NeuroSim: a memristive network by default; ``"ideal"``
#: (exact weights) stays one argument away, for comparison.
DEFAULT_DEVICE = "hfox"
#: The default spike code and number of steps, chosen by measurement (notebook 05, section 7): on unseen
#: synthetic scenes (noise σ 0–0.3, contrast 0.5 and 0.2; hfox, τ = 5 ms, θ = 0.5) the sigma-delta code
#: at T = 32 scores within about 0.01–0.02 BSDS F1 of the floating-point Sobel operator, the Bernoulli
#: code 0.02–0.58 below it (worst on low-contrast scenes, where its 1/√T noise swamps weak edges); T = 64
#: gains under 0.02 and doubles the slider's LIF time. The other codes are one argument away.
DEFAULT_ENCODING = "deterministic"
DEFAULT_STEPS = 32

# ----------------------------------------------------------------------------- kernels
def _gaussian(size: int, sigma: float) -> np.ndarray:
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


#: Largest kernel side (px) and channel count accepted for a kernel given as an array.
MAX_KERNEL_SIZE, MAX_KERNEL_CHANNELS = 15, 16


def kernel_bank(kernel: str | Any) -> np.ndarray:
    """Edge kernels as ``[k, k, C]`` weights, each channel normalised so that the larger of its positive
    and negative weight sums is 1 (the largest one-step response of a channel is 1 weight unit).

    * ``"sobel"``: C = 2, the horizontal and vertical Sobel derivatives
      ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] / 4`` and its transpose.
    * ``"dog"``: C = 1, a 5×5 difference of Gaussians, centre σ = 0.8 px minus
      surround σ = 1.6 px (ON-centre; Marr & Hildreth 1980).
    * ``"laplacian"``: C = 1, ``[[0, -1, 0], [-1, 4, -1], [0, -1, 0]] / 4`` (ON-centre).
    * ``"trained"``: C = 4, 7×7 kernels learned end to end through the chip (``hfox``, read noise) and the
      ON/OFF LIF neurons on synthetic scenes with noise σ up to 0.3, so that the map keeps edges and
      ignores noise; shipped as ``snnlib/kernels/trained_edges.npz``, regenerated by
      ``tools/train_edge_kernels.py`` (its metadata: ``numpy.load(...)["meta"]``, a JSON string).
    * ``"stdp"``: C = 4, 5×5 kernels learned without labels by STDP on ``hfox`` memristor synapses from
      ON/OFF patches of the course photo (winner-take-all LIF neurons, homeostatic thresholds; the most
      orientation-selective edge (odd) field of each of 4 orientations, seen through the input's DoG); shipped as
      ``snnlib/kernels/stdp_edges.npz``, regenerated by ``tools/train_stdp_kernels.py``
      (:mod:`snnlib.plasticity`).
    * an array ``[k, k, C]`` (or ``[k, k]``), k odd, up to 15 px and 16 channels: your own (or learned)
      kernels, normalised the same way.
    """
    if isinstance(kernel, str):
        _checks.one_of("kernel", kernel, KERNELS)
        if kernel in ("trained", "stdp"):
            from importlib import resources

            name = "trained_edges.npz" if kernel == "trained" else "stdp_edges.npz"
            with resources.files("snnlib.kernels").joinpath(name).open("rb") as fh:
                bank = np.load(fh, allow_pickle=False)["kernel"].astype(float)
        elif kernel == "sobel":
            kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
            bank = np.stack([kx, kx.T], axis=-1)
        elif kernel == "laplacian":
            bank = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=float)[..., None]
        else:
            dog = _gaussian(5, 0.8) - _gaussian(5, 1.6)
            bank = (dog - dog.mean())[..., None]  # zero sum: a flat image gives no response
    else:
        bank = _checks.finite_array("kernel", kernel, ndim=(2, 3))
        if bank.ndim == 2:
            bank = bank[..., None]
        k, k2, c = bank.shape
        if k != k2 or k % 2 == 0 or k > MAX_KERNEL_SIZE or c > MAX_KERNEL_CHANNELS:
            raise ValueError(f"kernel must be a name ({', '.join(KERNELS)}) or an array [k, k, C] with k odd "
                             f"(at most {MAX_KERNEL_SIZE}) and at most {MAX_KERNEL_CHANNELS} channels, "
                             f"got shape {bank.shape}")
    pos = np.clip(bank, 0, None).sum(axis=(0, 1), keepdims=True)
    neg = np.clip(-bank, 0, None).sum(axis=(0, 1), keepdims=True)
    scale = np.maximum(pos, neg)
    if np.any(scale == 0):
        raise ValueError("kernel has a channel whose weights are all zero; drop that channel")
    return bank / scale


def sobel_magnitude(image: Any) -> np.ndarray:
    """Classical baseline: Sobel gradient magnitude of a [H, W] image, scaled to [0, 1].

    The border rule is the spiking pipeline's: the image is mirrored about its edge pixel
    without repeating it (SciPy ``mode="mirror"`` = TensorFlow ``REFLECT``: ``c b | a b c``),
    so that baseline and SNN see the same neighbourhood at every pixel.
    """
    x = _checks.finite_array("image", image, ndim=2)
    gx = ndimage.sobel(x, axis=1, mode="mirror")
    gy = ndimage.sobel(x, axis=0, mode="mirror")
    mag = np.hypot(gx, gy)
    top = mag.max()
    return mag / top if top > 0 else mag


def gaussian_derivative_magnitude(image: Any, sigma: float = 1.0) -> np.ndarray:
    """Classical baseline with smoothing: the gradient magnitude of the [H, W] image smoothed by a
    Gaussian of ``sigma`` px, ``|∇(G_σ ⋆ x)|`` (Canny 1986's first stage; SciPy
    ``gaussian_gradient_magnitude``), scaled to [0, 1]; mirrored border as :func:`sobel_magnitude`.
    A fair reference for larger (learned) kernels: it averages noise over about ``6σ`` px."""
    x = _checks.finite_array("image", image, ndim=2)
    sigma = _checks.positive("sigma", sigma, unit="px", maximum=50.0)
    mag = ndimage.gaussian_gradient_magnitude(x, sigma, mode="mirror")
    top = mag.max()
    return mag / top if top > 0 else mag


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class EdgeResult:
    """What one run of the pipeline gives.

    Attributes:
        original: the grayscale input, [H, W] in [0, 1].
        edges: the edge feature map, [H, W] in [0, 1] (spike counts combined, divided by their maximum).
        counts: spike counts per neuron, [H, W, 2C]: the ON neuron of each of the C kernel channels,
            then the OFF neuron of each.
        input_spikes: total number of input (encoder) spikes.
        output_spikes: total number of LIF spikes.
        params: the settings of this run.
    """

    original: np.ndarray
    edges: np.ndarray
    counts: np.ndarray
    input_spikes: int
    output_spikes: int
    params: dict = field(default_factory=dict)

    def display(self, *, percentile: float = 99.0, gamma: float = 0.5,
                dark_on_light: bool = False) -> tuple[np.ndarray, str]:
        """The map as a screen or projector shows it well, and a note saying how:
        :func:`snnlib.images.display_scale` of :attr:`edges` (``edges`` itself is not changed)."""
        from snnlib.images import display_scale

        return display_scale(self.edges, percentile=percentile, gamma=gamma, dark_on_light=dark_on_light)

    @property
    def spike_count(self) -> int:
        """Total spikes in the network (input + LIF)."""
        return self.input_spikes + self.output_spikes

    @property
    def per_channel(self) -> np.ndarray:
        """Spike counts ON + OFF of each kernel channel, [H, W, C] (Sobel: channel 0 = Kx, 1 = Ky)."""
        c = self.counts.shape[-1] // 2
        return self.counts[..., :c] + self.counts[..., c:]


# ----------------------------------------------------------------------------- LIF scan
def _on_off_counts(currents, gain, threshold, reset):
    """Spike counts [H, W, 2C] of ON (fed +I) and OFF (fed −I) LIF neurons over currents [T, H, W, C]."""
    shape = tf.concat([tf.shape(currents)[1:-1], [2 * currents.shape[-1]]], axis=0)
    v = tf.zeros(shape, currents.dtype)
    counts = v
    for t in range(currents.shape[0]):  # T is static: unrolled, fused by XLA into one pass
        i_t = currents[t]
        drive = tf.concat([i_t, -i_t], axis=-1)  # ON neurons first, then OFF
        spikes, v, _ = lif_update(drive, v, None, gain=gain, threshold=threshold, reset=reset)
        counts += spikes
    return counts


@tf.function(jit_compile=True)
def _lif_edges(currents, gain, threshold, reset):
    """LIF counts [H, W, 2C] (ON of each channel, then OFF) → (counts, edge map [H, W] in [0, 1], total)."""
    counts = _on_off_counts(currents, gain, threshold, reset)
    edges = _combine(counts)
    return counts, edges, tf.reduce_sum(counts)


def _combine(counts: tf.Tensor) -> tf.Tensor:
    """The digital read-out after the spiking layer: ON + OFF per channel, the L2 norm over the channels
    (Sobel: √((n⁺ₓ + n⁻ₓ)² + (n⁺ᵧ + n⁻ᵧ)²); one centre-surround channel: n_ON + n_OFF), divided by its maximum."""
    c = counts.shape[-1] // 2
    per_channel = counts[..., :c] + counts[..., c:]
    strength = tf.sqrt(tf.reduce_sum(tf.square(per_channel), axis=-1))
    return tf.math.divide_no_nan(strength, tf.reduce_max(strength))


def on_off_lif(currents: Any, *, tau: float = 5.0, threshold: float = 0.5, reset: str = "zero",
               dt: float = 1.0) -> tuple[np.ndarray, np.ndarray, int]:
    """Stage 4 and 5: ON (fed +I) and OFF (fed −I) LIF neurons over ``currents`` [T, H, W, C]
    (units of threshold), and the combination into an edge map.

    Returns ``(counts [H, W, 2C], edges [H, W] in [0, 1], total spikes)``. The scan is one
    XLA program per shape (τ and θ enter as tensors: new values do not recompile).
    """
    tau, threshold, reset, dt = check_run_args(tau, threshold, reset, dt)
    x = tf.convert_to_tensor(currents, tf.float32)
    if x.shape.rank != 4:
        raise ValueError(f"currents must be [T, H, W, C], got shape {tuple(x.shape)}")
    _, gain = decay_and_gain(tau, dt, "exact")
    counts, edges, total = _lif_edges(x, tf.constant(float(gain), tf.float32), tf.constant(threshold, tf.float32),
                                      reset)
    return counts.numpy(), edges.numpy(), int(total.numpy())


def encode_image(image: Any, steps: int, encoding: str = DEFAULT_ENCODING, *, max_rate: float = 1.0,
                 seed: int = 0) -> tf.Tensor:
    """Stage 2: spikes ``[T, H, W]`` (uint8 0/1) of an image in [0, 1] with one of :data:`ENCODINGS`
    (``"deterministic"`` sigma-delta, the default; ``"rate"`` Bernoulli, seeded; ``"latency"``), through
    :func:`snnlib.encoders.encode`. ``max_rate`` is the spike probability per step of a white pixel."""
    _checks.one_of("encoding", encoding, ENCODINGS)
    code = encoders.resolve_code(encoding)
    params = {k: v for k, v in dict(max_rate=max_rate, seed=seed).items() if k in encoders.CODES[code].params}
    return tf.cast(encoders.encode(image, steps, encoding, **params), tf.uint8)


def crossbar_convolution(spikes: Any, crossbar: Crossbar, *, chip_seed: int | None = None, gain: float = 1.0,
                         pad_to: tuple[int, int] | None = None) -> tf.Tensor:
    """Stage 3: every pixel's crossbar read, all T frames, ``gain·(I⁺ − I⁻)/(v_read·k)`` [T, H, W, C].

    Each pixel's k×k neighbourhood is the set of rows of the programmed ``crossbar``'s column
    pairs (rows ``k·k``, one column pair per kernel channel): with row voltages ``v = v_read·s``
    (V), :func:`~snnlib.crossbar.read_pair` with a ``conv2d`` contraction gives ``I± = Σ_q v_q·G±_q``
    (A) and the chip's periphery — read noise ``σ·sqrt(Σ_q v_q²·G_q²)·z`` on ``I⁺`` and ``I⁻``
    (one shared draw for the reference column), then each column's ADC, whose range is the joint
    [min, max] of ``I⁺`` and ``I⁻`` over the whole ``[T, H, W]`` read. The border is mirrored
    (TensorFlow ``REFLECT``). Frames are read :data:`READ_CHUNK` at a time (bounded memory); the
    noise of frames ``t0 … t0 + READ_CHUNK − 1`` is seeded ``[chip_seed, 7919 + t0]``, so it depends
    on the seed only. With an ADC the read runs twice: once for the range, once to quantise.
    ``chip_seed`` (default: the crossbar's seed) seeds the read noise. ``pad_to`` = (H', W')
    zero-pads the result at the bottom and right. IR drop and a DAC are not modelled here (a k×k
    column is tiny and spikes are binary): a crossbar with ``r_wire`` or ``dac_bits`` is refused.
    """
    xb = crossbar
    if not isinstance(xb, Crossbar):
        raise ValueError(f"crossbar must be a snnlib.crossbar.Crossbar, got {type(xb).__name__}")
    for bad in ("r_wire", "dac_bits"):
        if getattr(xb, bad) not in (None, 0, 0.0):
            raise ValueError(f"{bad} is not modelled in the crossbar convolution (a k×k column is tiny); "
                             "program the crossbar without it")
    chip_seed = xb.seed if chip_seed is None else _checks.seed_value("chip_seed", chip_seed)
    gain = _checks.positive("gain", gain, maximum=_checks.FLOAT32_MAX)
    rows, c = xb.g_pos.shape
    k = int(round(rows**0.5))
    if k * k != rows:
        raise ValueError(f"the crossbar must have k·k rows (a k×k kernel per column pair), got {rows}")
    if tf.is_tensor(spikes):
        spikes = tf.cast(spikes, tf.uint8) if spikes.dtype == tf.bool else spikes
    else:
        spikes = _checks.finite_array("spikes", spikes, ndim=3, lo=0.0, hi=1.0)
    spikes = tf.convert_to_tensor(spikes)
    if spikes.shape.rank != 3:
        raise ValueError(f"spikes must be time-major [T, H, W], got shape {tuple(spikes.shape)}")
    steps, h, w = spikes.shape
    if min(h, w) <= k // 2:
        raise ValueError(f"the image ({w}×{h} px) must be larger than half the {k}×{k} kernel on each side")
    if pad_to is not None and (pad_to[0] < h or pad_to[1] < w):
        raise ValueError(f"pad_to {tuple(pad_to)} must be at least the image's (H, W) = ({h}, {w})")

    def kernel(g: np.ndarray) -> tf.Tensor:  # [k·k, n] (S) → conv2d filter [k, k, 1, n]
        return tf.constant(g.reshape(k, k, 1, -1), tf.float32)

    def conv(a: tf.Tensor, g: tf.Tensor) -> tf.Tensor:  # Σ over each pixel's neighbourhood
        return tf.nn.conv2d(a, g, strides=1, padding="VALID")

    g_pos, g_neg = kernel(xb.g_pos), kernel(xb.g_neg_columns)
    t_neg = kernel(xb.g_neg)

    def read(t0: int, **adc: Any) -> tuple[tf.Tensor, tf.Tensor]:  # (I⁺, I⁻) in A of frames t0…
        volts = _pad(tf.cast(spikes[t0:t0 + READ_CHUNK], tf.float32)[..., None] * xb.v_read, k)  # V
        return read_pair(volts, g_pos, t_neg, g_pos, g_neg, read_noise=xb.read_noise,
                         seed=[chip_seed, 7919 + t0], contract=conv, **adc)

    starts = range(0, steps, READ_CHUNK)
    adc: dict[str, Any] = {}
    if xb.adc_bits is not None:
        lo, hi = np.inf, -np.inf
        for t0 in starts:
            i_pos, i_neg = read(t0)
            lo = min(lo, float(tf.minimum(tf.reduce_min(i_pos), tf.reduce_min(i_neg))))
            hi = max(hi, float(tf.maximum(tf.reduce_max(i_pos), tf.reduce_max(i_neg))))
        adc = dict(adc_bits=xb.adc_bits, adc_range=(lo, hi))
    scale = gain / (xb.v_read * xb.k)
    hh, ww = pad_to if pad_to is not None else (h, w)
    room = [[0, 0], [0, hh - h], [0, ww - w], [0, 0]]
    frames = []
    for t0 in starts:
        i_pos, i_neg = read(t0, **adc)
        frames.append(tf.pad(tf.cast((i_pos - i_neg) * scale, tf.float32), room))
    return tf.concat(frames, axis=0)


# ----------------------------------------------------------------------------- memory and gain
#: Frames per crossbar read in :class:`EdgeExtractor` (bounds the read's intermediates).
READ_CHUNK = 8
#: The LIF scan runs on currents zero-padded to a multiple of this many px in H and W: XLA compiles
#: one program per shape and keeps it for the life of the process (about 10 MB each), so without
#: buckets a long classroom session would grow with every new photo size.
SHAPE_BUCKET = 128


def _bucket(n: int) -> int:
    return -(-int(n) // SHAPE_BUCKET) * SHAPE_BUCKET
#: Working-set budget of one :class:`EdgeExtractor` (bytes): larger requests are refused with a fix.
MEMORY_BUDGET = 2 * 1024**3
#: Bytes per pixel and step, transient, of each code's encoder (TensorFlow temporaries).
_ENCODE_BYTES = {"rate": 8, "deterministic": 9, "latency": 9}


def working_set_bytes(shape: tuple[int, int], steps: int, channels: int, encoding: str = "rate",
                      read_noise: bool = False) -> int:
    """Estimated peak memory (bytes) of :class:`EdgeExtractor` for an image ``shape`` = (H, W).

    Per pixel and step: the cached currents ``[T, H, W, C]`` (float32), the spikes (uint8) and
    the encoder's temporaries; once: one chunk of :data:`READ_CHUNK` frames of the crossbar
    read (voltages, column currents and, with read noise, its draws). Fitted to the peak
    resident memory of 1024² images at T = 32–128 (the TensorFlow runtime, ~0.7 GB, not counted).
    """
    h, w = shape
    px = h * w
    per_step = px * (4 * channels + 1 + _ENCODE_BYTES[encoding])
    chunk = min(READ_CHUNK, steps) * px * 4 * (1 + 3 * channels + (10 * channels if read_noise else 0))
    return steps * per_step + chunk


def check_working_set(shape: tuple[int, int], steps: int, channels: int, encoding: str = "rate",
                      read_noise: bool = False) -> None:
    """Refuse, before any allocation, a run whose :func:`working_set_bytes` exceed :data:`MEMORY_BUDGET`;
    the message says which ``steps`` or image size would fit."""
    need = working_set_bytes(shape, steps, channels, encoding, read_noise)
    if need <= MEMORY_BUDGET:
        return
    fit_steps = max(s for s in range(1, steps + 1)
                    if s == 1 or working_set_bytes(shape, s, channels, encoding, read_noise) <= MEMORY_BUDGET)
    scale = (MEMORY_BUDGET / need) ** 0.5
    side = max(16, int(max(shape) * scale))
    raise ValueError(f"{shape[1]}×{shape[0]} px at {steps} steps needs about {need / 1024**3:.1f} GB "
                     f"(limit {MEMORY_BUDGET / 1024**3:.0f} GB); use steps <= {fit_steps}, or scale the photo "
                     f"down to about {side} px on its long side (max_size={side})")


def auto_gain_reference(response: Any) -> tuple[float, str]:
    """The response ``gain="auto"`` scales to an input of 1.0, and how it was chosen.

    The 99.5th percentile of ``|response|`` over all pixels and channels — the strongest
    edges of the image. On a *sparse* image (one small object on a flat background) fewer
    than 0.5 % of the values carry an edge, so that percentile is set by the flat background
    (0, or its noise floor) and lies below a tenth of the strongest response: then the
    percentile is taken over the values above a tenth of the strongest (the object's edges),
    which a noise floor cannot move. An image with no response at all (flat) returns 0: it has
    no edges, and any gain gives a black map.
    """
    a = np.abs(np.asarray(response, dtype=np.float64)).ravel()
    top = float(a.max()) if a.size else 0.0
    if top == 0.0:
        return 0.0, "no edge response (a flat image): gain 1"
    ref = float(np.percentile(a, 99.5))
    if ref >= 0.1 * top:
        return ref, "99.5th percentile of the response"
    strong = a >= 0.1 * top
    return float(np.percentile(a[strong], 99.5)), (
        f"sparse image ({strong.mean():.2%} of the values within 10x of the strongest): "
        "99.5th percentile of those")


def _ideal_response(spikes: tf.Tensor, bank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time-mean of the ideal weighted input ``K * s_t`` and of its magnitude ``|K * s_t|``, [H, W, C] each."""
    k = bank.shape[0]
    kern = tf.constant(bank[:, :, None, :], tf.float32)
    total, total_abs = 0.0, 0.0
    for t0 in range(0, spikes.shape[0], READ_CHUNK):
        frames = _pad(tf.cast(spikes[t0:t0 + READ_CHUNK], tf.float32)[..., None], k)
        i_t = tf.nn.conv2d(frames, kern, 1, "VALID")
        total += tf.reduce_sum(i_t, axis=0)
        total_abs += tf.reduce_sum(tf.abs(i_t), axis=0)
    n = float(spikes.shape[0])
    return (total / n).numpy(), (total_abs / n).numpy()


# ----------------------------------------------------------------------------- pipeline
def check_run_args(tau: Any, threshold: Any, reset: Any = "zero", dt: Any = 1.0) -> tuple[float, float, str, float]:
    """Validate the LIF (slider) parameters once, through :meth:`snnlib.neurons.LIFParams.make` (the one
    validation of every neuron parameter): ``tau`` and ``dt`` in ms > 0, ``threshold`` > 0, a known reset."""
    p = LIFParams.make(tau=tau, threshold=threshold, reset=reset, dt=dt)
    return p.tau, p.threshold, p.reset, p.dt


class EdgeExtractor:
    """The edge pipeline with everything that ``tau`` and ``threshold`` do not change computed once.

    ``EdgeExtractor(image, steps=32, kernel="sobel", encoding="deterministic", device="hfox", seed=0)``
    loads and encodes the image, programs the crossbar and computes the input
    currents of every neuron for every step ``[T, H, W, C]``. Then
    ``run(tau=..., threshold=...)`` runs only the LIF neurons (the slider path).

    Args:
        image: a path (any image Pillow reads) or an array, see :func:`snnlib.images.load_image`.
        steps: number of time steps T (1..256); one step is ``dt`` = 1 ms.
        kernel: ``"sobel"``, ``"dog"`` or ``"laplacian"`` (:func:`kernel_bank`).
        encoding: ``"deterministic"`` (sigma-delta, the default: :data:`DEFAULT_ENCODING`), ``"rate"``
            (Bernoulli, seeded) or ``"latency"``.
        max_rate: spike probability per step of a white pixel (rate codes), in (0, 1].
        device: memristor preset name or :class:`~snnlib.memristor.DevicePreset`; default the HfOx RRAM
            preset ``"hfox"`` (:data:`DEFAULT_DEVICE`), ``"ideal"`` for exact weights (to compare).
        seed: seed of the encoder's spikes (and of the chip, unless ``chip_seed`` is given).
        chip_seed: seed of the device draws (variation, faults, pulse noise, read noise); default ``seed``.
            Fix ``seed`` and vary ``chip_seed`` to compare chips on the same spikes.
        gain: ``"auto"`` (see the module docstring) or a number: neuron input per weight unit.
        max_size: images longer than this on their long side are downscaled (px).
        **crossbar: non-idealities passed to :class:`~snnlib.crossbar.Crossbar`
            (``levels``, ``programming``, ``d2d_sigma``, ``read_noise``, ``stuck_on_rate``,
            ``stuck_off_rate``, ``drift_time``, ``adc_bits``, ``v_read``). ``r_wire`` and
            ``dac_bits`` are refused: a 3×3 or 5×5 column has negligible IR drop and binary
            spikes need no DAC — study those in notebook 04.
    """

    def __init__(self, image: Any, *, steps: int = DEFAULT_STEPS, kernel: str = "sobel",
                 encoding: str = DEFAULT_ENCODING,
                 max_rate: float = 1.0, device: Any = DEFAULT_DEVICE, seed: int = 0, chip_seed: int | None = None,
                 gain: float | str = "auto", max_size: int | None = 1024, **crossbar: Any) -> None:
        self.steps = _checks.positive_int("steps", steps)
        if self.steps > MAX_STEPS:
            raise ValueError(f"steps must be at most {MAX_STEPS}, got {steps}; more steps only cost time")
        self.kernel_weights = kernel_bank(kernel)  # validates a name or an array
        self.kernel = kernel if isinstance(kernel, str) else "custom"
        self.encoding = _checks.one_of("encoding", encoding, ENCODINGS)
        self.max_rate = _checks.in_range("max_rate", max_rate, 1e-6, 1.0)
        self.seed = _checks.seed_value("seed", seed)
        self.chip_seed = self.seed if chip_seed is None else _checks.seed_value("chip_seed", chip_seed)
        for bad in ("r_wire", "dac_bits"):
            if crossbar.get(bad) not in (None, 0, 0.0):
                raise ValueError(f"{bad} is not modelled in the edge pipeline (a k×k column is tiny); "
                                 "leave it out, or study it with snnlib.crossbar.Crossbar")
            crossbar.pop(bad, None)
        unknown = sorted(set(crossbar) - set(CROSSBAR_OPTIONS))
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; the crossbar options are "
                             f"{', '.join(CROSSBAR_OPTIONS)}")
        if gain != "auto":
            gain = _checks.positive("gain", gain)
        self.image = load_image(image, max_size=max_size)
        bank = self.kernel_weights
        k, _, c = bank.shape
        if min(self.image.shape) <= k // 2:
            raise ValueError(f"the image ({self.image.shape[1]}×{self.image.shape[0]} px) is too small for a "
                             f"{k}×{k} kernel: each side must be more than {k // 2} px")
        check_working_set(self.image.shape, self.steps, c, self.encoding,
                          read_noise=bool(crossbar.get("read_noise")))
        self.crossbar = Crossbar(bank.reshape(k * k, c), device=device, seed=self.chip_seed, **crossbar)
        self.device = self.crossbar.device

        # 0/1 spikes kept as uint8 (a quarter of float32); the read converts a few frames at a time
        spikes = encode_image(self.image, self.steps, self.encoding, max_rate=self.max_rate, seed=self.seed)
        self.input_spikes = int(tf.reduce_sum(tf.cast(spikes, tf.int64)).numpy())  # exact for any count
        if self.encoding == "latency":
            # the time-mean of the ideal current, and the mean |current| each neuron actually receives:
            # a latency code sends each pixel's spike once, so edges are brief, large currents
            analog, delivered = _ideal_response(spikes, bank)
        else:  # rate codes: the mean input per step is x·p_max (its expectation; sigma-delta: its value)
            analog = _convolve(self.image[None] * self.max_rate, bank)[0]
            delivered = analog
        self.analog = analog  # [H, W, C], ideal weights: the T → ∞ limit of the mean weighted input
        if gain == "auto":
            ref, self.gain_note = auto_gain_reference(delivered)
            gain = 1.0 / ref if ref > 0 else 1.0
        else:
            self.gain_note = "gain given"
        self.gain = float(gain)
        # [T, H', W', C] in units of threshold, zero-padded at the bottom and right to a multiple of
        # SHAPE_BUCKET px: the compiled LIF scan is then shared by every image of one bucket
        self._padded_currents = self._crossbar_currents(spikes)

    @property
    def currents(self) -> tf.Tensor:
        """Input current of every neuron at every step, ``[T, H, W, C]`` (units of threshold)."""
        h, w = self.image.shape
        padded = self._padded_currents
        return padded if padded.shape[1:3] == (h, w) else padded[:, :h, :w]

    def _crossbar_currents(self, spikes: tf.Tensor) -> tf.Tensor:
        h, w = self.image.shape
        return crossbar_convolution(spikes, self.crossbar, chip_seed=self.chip_seed, gain=self.gain,
                                    pad_to=(_bucket(h), _bucket(w)))

    # ------------------------------------------------------------------ slider stage
    def run(self, *, tau: float = 5.0, threshold: float = 0.5, reset: str = "zero", dt: float = 1.0) -> EdgeResult:
        """Run the LIF neurons on the cached currents: ``tau`` (ms) and ``threshold`` (units of the
        input scale) are the slider parameters; nothing upstream is recomputed."""
        tau, threshold, reset, dt = check_run_args(tau, threshold, reset, dt)
        _, gain = decay_and_gain(tau, dt, "exact")
        counts, edges, total = _lif_edges(
            self._padded_currents, tf.constant(float(gain), tf.float32),
            tf.constant(threshold, tf.float32), reset)
        h, w = self.image.shape  # the padding neurons get no current (they fire only if θ rounds to 0): crop
        counts = counts.numpy()[:h, :w]
        return EdgeResult(
            original=self.image,
            edges=edges.numpy()[:h, :w],
            counts=counts,
            input_spikes=self.input_spikes,
            output_spikes=int(counts.sum(dtype=np.int64)),
            params=dict(tau=tau, threshold=threshold, reset=reset, dt=dt, steps=self.steps, kernel=self.kernel,
                        encoding=self.encoding, device=self.device.name, seed=self.seed, chip_seed=self.chip_seed,
                        gain=self.gain, gain_note=self.gain_note),
        )

    def current_rmse(self) -> float:
        """RMS difference (weight units) between the time-averaged crossbar current and the analogue
        convolution ``K * (x·p_max)``: how well T steps of spikes estimate the ideal response."""
        mean_current = tf.reduce_mean(self.currents, axis=0).numpy() / self.gain
        return float(np.sqrt(np.mean((mean_current - self.analog) ** 2)))


def extract_edges(image: Any, *, tau: float = 5.0, threshold: float = 0.5, steps: int = DEFAULT_STEPS,
                  kernel: str = "sobel", device: Any = DEFAULT_DEVICE, seed: int = 0, **kwargs: Any) -> EdgeResult:
    """One-shot edge extraction: ``EdgeExtractor(image, ...).run(tau=..., threshold=...)``.

    >>> r = extract_edges(synthetic_shapes(32)[0], steps=16)
    >>> r.edges.shape, float(r.edges.max())
    ((32, 32), 1.0)
    """
    # the cheap checks before the expensive stage
    tau, threshold, reset, dt = check_run_args(tau, threshold, kwargs.pop("reset", "zero"), kwargs.pop("dt", 1.0))
    ex = EdgeExtractor(image, steps=steps, kernel=kernel, device=device, seed=seed, **kwargs)
    return ex.run(tau=tau, threshold=threshold, reset=reset, dt=dt)


def _pad(x: tf.Tensor, k: int) -> tf.Tensor:
    r = k // 2
    return tf.pad(x, [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")


def _convolve(frames: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """[N, H, W] · [k, k, C] → [N, H, W, C], reflect padding (the ideal analogue response)."""
    x = _pad(tf.constant(frames[..., None], tf.float32), bank.shape[0])
    return tf.nn.conv2d(x, tf.constant(bank[:, :, None, :], tf.float32), 1, "VALID").numpy()


# ----------------------------------------------------------------------------- quality
# The test image, the edge-map scores and the energy model moved by concern (architecture review,
# item 4): synthetic_shapes to snnlib.data, edge_scores and best_f1 to snnlib.metrics, E_AC, E_MAC and
# energy_estimate to snnlib.energy. They are re-exported here so that the old import paths
# (``from snnlib.edges import best_f1``) keep working until every caller imports them from their new
# modules; then these lines go. None of those modules imports this one, so there is no cycle.
from snnlib.data import synthetic_shapes  # noqa: E402  (re-export)
from snnlib.energy import E_AC, E_MAC, energy_estimate  # noqa: E402  (re-export)
from snnlib.metrics import best_f1, edge_scores  # noqa: E402  (re-export)
