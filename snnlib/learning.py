r"""Training spiking networks on a memristor chip: surrogate gradients, hardware-aware training, fresh chips.

The digits network (scikit-learn's 8×8 handwritten digits, :func:`snnlib.data.load_digits_split`)::

    spikes [N, T, 64] ─ CrossbarDense(hidden) ─ LIF(hidden) ─ CrossbarDense(10) ─ mean over T ─ logits [N, 10]
       (rate code)        tile 0 of the chip                  tile 1 of the chip

**Forward pass.** Each pixel :math:`x \in [0, 1]` becomes a spike train (:func:`encode_digits`).
At every step :math:`t` (1 ms) the first crossbar turns the input spikes into currents
:math:`I_j[t] = \sum_i s_i[t]\,W_{ij} + b_j` (read as :math:`(I^+ - I^-)/(v_{read} k)` from the
programmed conductances, :class:`~snnlib.crossbar.CrossbarDense`), the LIF neurons integrate them
(exact update :math:`v \leftarrow v + (1 - e^{-\Delta t/\tau})(I - v)`, spike
:math:`z = H(v - \theta)`, reset to 0; :mod:`snnlib.neurons`), and the readout crossbar gives
:math:`u_k[t] = \sum_j z_j[t]\,V_{jk} + c_k`. The logits are the time average

.. math::  \ell_k = \frac{1}{T}\sum_{t=1}^{T} u_k[t] = \sum_j \bar z_j V_{jk} + c_k,
           \qquad \bar z_j = \frac{1}{T}\sum_t z_j[t]

— the membrane of a non-leaky integrator read out at the end, i.e. a linear read of the hidden
firing rates. Why this readout: it is linear in the spike counts, so the cross-entropy gradient
reaches every hidden spike of every step directly (no second threshold whose surrogate would
dampen it, no "dead" output neuron that never fires), and it trains in a few epochs; a spiking
output layer with a spike-count loss trains markedly slower for the same accuracy. The readout is on
the chip too (a second tile), so the whole network lives on memristors.

**Backward pass: BPTT through the surrogate.** The loss is the softmax cross-entropy of
:math:`\ell`. Keras unrolls the LIF layer over the :math:`T` steps (a ``keras.layers.RNN``) and
back-propagates through time; the Heaviside step, whose derivative is 0 almost everywhere, is given
the SuperSpike surrogate :math:`\partial z/\partial v = 1/(1 + k|v - \theta|)^2` (k = 25), and the
reset's dependence on the spike is cut (``stop_gradient``), the usual, stable choice (Neftci,
Mostafa & Zenke, "Surrogate gradient learning in spiking neural networks", IEEE Signal Process. Mag.
36(6):51–63, 2019; Zenke & Ganguli, Neural Comput. 30:1514, 2018). Through the crossbar the
roundings (levels, DAC, ADC) pass the identity gradient (straight-through estimator).

**Hardware-aware training** (noise injection, Joshi et al., "Accurate deep neural network inference
using computational phase-change memory", Nat. Commun. 11:2473, 2020): the non-idealities are
switched on in the crossbar layers during training — conductance levels of the device, device-to-device
variation :math:`G \leftarrow G e^{\sigma z}`, read noise (fresh every read) — and, by default, a
*fresh chip* is drawn for every batch (:class:`ChipResampler`: ``deploy(chip_seed=...)`` with a
seeded sequence of chip seeds disjoint from the evaluation chips), so the network learns weights
that work on any chip of the device, not on one. Deployment is then tested on chips it never saw
(:func:`evaluate_on_chips`, :func:`accuracy_sweep`).

**Chips and seeds.** One seed is one chip, as everywhere in snnlib: tile 0 (the hidden layer) of
chip ``s`` is exactly ``Crossbar(W, seed=s)`` with the same options; tile 1 (the readout) uses the
derived seed :func:`tile_seed` ``(s, 1)`` so that the two arrays of one chip do not share draws.

**Determinism.** :func:`train_digits` seeds Python, NumPy and TensorFlow
(``keras.utils.set_random_seed``), turns on TensorFlow's op determinism, shuffles with a seeded
generator and uses a fixed learning-rate schedule: on one machine a run repeats bit for bit. Across
CPUs the float sums may still be ordered differently, and training, being chaotic, can then move the
test accuracy by a sample or two of the 450 (0.2–0.5 %): compare with thresholds, not exact counts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np

from snnlib import _checks
from snnlib._quiet import tf
from snnlib.crossbar import CrossbarDense
from snnlib.neurons import LIF

__all__ = ["DIGITS_STEPS", "DIGITS_HIDDEN", "HARDWARE_AWARE_CHIP", "IDEAL_CHIP", "SWEEP_PARAMETERS", "MAX_DIGITS_STEPS",
           "encode_digits", "tile_seed", "build_digits_model", "train_digits", "train_hardware_aware", "ChipResampler",
           "crossbar_layers", "lif_layer", "clone_on_chip", "accuracy", "ideal_accuracy", "evaluate_on_chips",
           "accuracy_sweep", "SweepResult", "learned_lif_parameters"]

#: Default time steps T of the digits network (1 ms each).
DIGITS_STEPS = 16
#: Most time steps :func:`build_digits_model` and :func:`encode_digits` take for the digits (the course's T ≤ 25).
MAX_DIGITS_STEPS = 25
#: Default hidden LIF neurons.
DIGITS_HIDDEN = 256
#: The non-idealities switched on for hardware-aware training (:func:`train_digits`, ``hardware_aware=True``):
#: the device's own levels, device-to-device σ = 0.5 (lognormal) and 2 % read noise.
HARDWARE_AWARE_CHIP = {"d2d_sigma": 0.5, "read_noise": 0.02}
#: The ideal deployment (:func:`ideal_accuracy`): a continuous, noiseless, fault-free device.
IDEAL_CHIP = {"device": "ideal", "levels": None, "d2d_sigma": 0.0, "stuck_on_rate": 0.0, "stuck_off_rate": 0.0,
              "drift_time": 0.0, "read_noise": 0.0, "dac_bits": None, "adc_bits": None, "programming": "direct"}
#: The CrossbarDense options :func:`accuracy_sweep` and :func:`clone_on_chip` can set.
SWEEP_PARAMETERS = ("d2d_sigma", "stuck_on_rate", "stuck_off_rate", "levels", "read_noise", "drift_time",
                    "dac_bits", "adc_bits", "programming", "device")
_CHIP_KEYS = SWEEP_PARAMETERS + ("mapping", "w_max", "v_read")
#: Non-trainable chip variables of a CrossbarDense: they belong to the chip, not to the trained network.
_CHIP_VARIABLES = ("pulse_z", "d2d_z", "stuck_u", "drift_factor", "read_step")
_SEED_MAX = 2**63 - 1
#: Chip seeds drawn for hardware-aware training start here: far from the small seeds used for evaluation.
_TRAIN_CHIP_BASE = 2**62


# ----------------------------------------------------------------------------- input
def encode_digits(x: Any, steps: int = DIGITS_STEPS, code: str = "rate", *, seed: int = 0) -> np.ndarray:
    r"""Spike-encode digit images ``x`` [N, 8, 8] (or [N, 64]) in [0, 1]: **batch-major** float32 [N, T, 64].

    * ``"rate"``: Bernoulli spikes, probability :math:`p = x` per 1 ms step (:func:`snnlib.encoders.rate`
      with ``max_rate = 1`` kHz), seeded by ``seed`` (the same seed gives the same spikes);
    * ``"latency"``: one spike per pixel at step :math:`\mathrm{round}((1 - x)(T - 1))`, none for
      :math:`x \le 0.01` (:func:`snnlib.encoders.latency`, linear); deterministic, ``seed`` unused.

    The encoders of :mod:`snnlib.encoders` are time-major ``[T, ...]``; Keras layers want
    ``[batch, T, features]``, hence the transpose here.
    """
    from snnlib.encoders import latency, rate

    steps = _checks.positive_int("steps", steps, maximum=MAX_DIGITS_STEPS)
    code = _checks.one_of("code", code, ("rate", "latency"))
    seed = _checks.seed_value("seed", seed)
    arr = _checks.finite_array("x", x, lo=0.0, hi=1.0)
    if arr.ndim < 2 or arr.ndim > 3 or (arr.ndim == 3 and arr.shape[1:] != (8, 8)) or (
            arr.ndim == 2 and arr.shape[1] != 64):
        raise ValueError(f"x must be digit images [N, 8, 8] or [N, 64], got shape {arr.shape}")
    flat = arr.reshape(arr.shape[0], 64).astype(np.float32)
    spikes = rate(flat, steps, seed=seed) if code == "rate" else latency(flat, steps)
    return np.ascontiguousarray(np.transpose(spikes.numpy(), (1, 0, 2)))


def tile_seed(chip_seed: int, tile: int) -> int:
    """The ``Crossbar`` seed of tile ``tile`` (0, 1, …) of chip ``chip_seed``: tile 0 is ``chip_seed``
    itself; further tiles get independent seeds derived by ``numpy.random.SeedSequence([chip_seed, tile])``."""
    chip_seed = _checks.seed_value("chip_seed", chip_seed)
    if tile == 0:
        return chip_seed
    return int(np.random.SeedSequence([chip_seed, int(tile)]).generate_state(1, np.uint64)[0] >> np.uint64(1))


# ----------------------------------------------------------------------------- the model
def _chip_options(device: Any, chip: dict | None) -> dict:
    chip = dict(chip or {})
    unknown = sorted(set(chip) - set(_CHIP_KEYS))
    if unknown:
        raise ValueError(f"chip has unknown option(s) {', '.join(map(repr, unknown))}; "
                         f"the CrossbarDense options are {', '.join(_CHIP_KEYS)}")
    return {"device": device, **chip}


def build_digits_model(*, hidden: int = DIGITS_HIDDEN, steps: int = DIGITS_STEPS, device: Any = "hfox",
                       chip: dict | None = None, chip_seed: int = 0, tau: float = 10.0, threshold: float = 0.3,
                       train_tau: bool = False, train_threshold: bool = False, per_neuron: bool = False,
                       surrogate: str = "fast_sigmoid", seed: int = 0) -> keras.Model:
    r"""The digits network on a chip (see the module docstring): ``[N, T, 64]`` spikes → ``[N, 10]`` logits.

    Parameters
    ----------
    hidden : int
        LIF neurons of the hidden layer (256: 64 → 256 → 10, 18 944 synapses on 2 tiles, 37 888 devices).
    steps : int
        Time steps T (1 ms each), at most 25.
    device : str
        Memristor preset of both tiles (:data:`snnlib.memristor.PRESETS`; default ``"hfox"``:
        TaOx/HfOx, 128 levels, 1–10 µS, on/off 10).
    chip : dict
        The non-idealities of both tiles, any :class:`~snnlib.crossbar.CrossbarDense` option:
        ``levels`` (None → the device's), ``programming``, ``d2d_sigma``, ``stuck_on_rate``,
        ``stuck_off_rate``, ``drift_time`` (s), ``read_noise``, ``dac_bits``, ``adc_bits``, ``mapping``,
        ``w_max``, ``v_read``. ``{}`` = the device's levels and nothing else.
    chip_seed : int
        The chip: tile 0 has seed ``chip_seed``, tile 1 :func:`tile_seed` ``(chip_seed, 1)``.
    tau, threshold : float
        LIF membrane time constant (ms) and threshold (weight units of the currents). τ = 10 ms with
        θ = 0.3: a neuron integrates its input over most of the T = 16 ms window (the gain per step is
        1 − e^(−0.1) ≈ 0.095) and fires after a few steps of a strong input; θ = 0.3 trained faster than
        0.5 in our runs (same accuracy, fewer epochs).
    train_tau, train_threshold, per_neuron : bool
        Learn τ and/or θ (one per neuron with ``per_neuron``), see :func:`learned_lif_parameters`.
    surrogate : str
        ``"fast_sigmoid"`` (SuperSpike) or ``"arctan"``.
    seed : int
        Seed of the weight initialisation (Glorot uniform).
    """
    hidden = _checks.positive_int("hidden", hidden, maximum=4096)
    steps = _checks.positive_int("steps", steps, maximum=MAX_DIGITS_STEPS)
    seed = _checks.seed_value("seed", seed)
    chip_seed = _checks.seed_value("chip_seed", chip_seed)
    opts = _chip_options(device, chip)
    init = lambda k: keras.initializers.GlorotUniform(seed=seed * 2 + k)  # noqa: E731
    inputs = keras.Input((steps, 64), name="spikes")
    h = CrossbarDense(hidden, seed=tile_seed(chip_seed, 0), kernel_initializer=init(0), name="synapses_in",
                      **opts)(inputs)
    z = LIF(hidden, tau=tau, threshold=threshold, train_tau=train_tau, train_threshold=train_threshold,
            per_neuron=per_neuron, surrogate=surrogate, name="lif")(h)
    u = CrossbarDense(10, seed=tile_seed(chip_seed, 1), kernel_initializer=init(1), name="synapses_out",
                      **opts)(z)
    logits = keras.layers.GlobalAveragePooling1D(name="mean_over_time")(u)
    return keras.Model(inputs, logits, name="digits_snn")


def crossbar_layers(model: keras.Model) -> list[CrossbarDense]:
    """The :class:`~snnlib.crossbar.CrossbarDense` layers (the chip's tiles) of ``model``, in order."""
    return [layer for layer in model.layers if isinstance(layer, CrossbarDense)]


def lif_layer(model: keras.Model) -> LIF:
    """The (first) :class:`~snnlib.neurons.LIF` layer of ``model``."""
    for layer in model.layers:
        if isinstance(layer, LIF):
            return layer
    raise ValueError(f"model {model.name!r} has no LIF layer")


# ----------------------------------------------------------------------------- hardware-aware training
class ChipResampler(keras.callbacks.Callback):
    """Program the network onto a fresh chip before every training batch (noise injection, Joshi et al. 2020).

    Batch ``b`` of epoch ``e`` runs on chip ``2**62 + seed·2**40 + e·2**20 + b`` (tile seeds by
    :func:`tile_seed`): a fixed, seeded sequence, disjoint from the small chip seeds used for
    evaluation, so every evaluation chip is one the network never saw. The draws are non-trainable
    variables of the layers, so the compiled training step sees the new chip without retracing. At
    the end of training the model is put back on ``chip_seed``.
    """

    def __init__(self, *, seed: int = 0, chip_seed: int = 0):
        super().__init__()
        self.seed = _checks.seed_value("seed", seed) % 2**21
        self.chip_seed = _checks.seed_value("chip_seed", chip_seed)
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = int(epoch)

    def on_train_batch_begin(self, batch, logs=None):
        chip = _TRAIN_CHIP_BASE + self.seed * 2**40 + (self._epoch % 2**20) * 2**20 + int(batch) % 2**20
        _deploy(self.model, chip)

    def on_train_end(self, logs=None):
        _deploy(self.model, self.chip_seed)


def _deploy(model: keras.Model, chip_seed: int, drift_time: float | None = None) -> None:
    for k, layer in enumerate(crossbar_layers(model)):
        layer.deploy(chip_seed=tile_seed(chip_seed, k), drift_time=drift_time)


class _EpochLine(keras.callbacks.Callback):
    """One line per epoch to a stream (the command line's progress on stderr)."""

    def __init__(self, stream: Any, epochs: int):
        super().__init__()
        self.stream, self.epochs = stream, epochs

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        print(f"[snnlib] epoch {epoch + 1}/{self.epochs}: loss {logs.get('loss', float('nan')):.4f}, "
              f"train accuracy {100 * logs.get('accuracy', float('nan')):.1f} % "
              f"({time.perf_counter() - self._t0:.1f} s)", file=self.stream, flush=True)


class _TrainingBatches(keras.utils.PyDataset):
    """The training set as Keras batches: spikes encoded per epoch, shuffled by a seeded permutation per epoch."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, *, steps: int, code: str, seed: int,
                 batch_size: int, fresh_spikes: bool):
        super().__init__()
        self.images, self.labels = images, labels
        self.steps, self.code, self.seed, self.batch_size = steps, code, seed, batch_size
        self.fresh = fresh_spikes and code == "rate"
        self.epoch = 0
        self._prepare()

    def _prepare(self) -> None:
        enc_seed = tile_seed(self.seed, self.epoch + 1) if self.fresh else self.seed
        self.spikes = encode_digits(self.images, self.steps, self.code, seed=enc_seed)
        self.order = np.random.default_rng([self.seed, 7, self.epoch]).permutation(len(self.labels))

    def __len__(self) -> int:
        return math.ceil(len(self.labels) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.spikes[rows], self.labels[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._prepare()


def train_digits(data: Any = None, *, epochs: int = 15, steps: int = DIGITS_STEPS, hidden: int = DIGITS_HIDDEN,
                 device: Any = "hfox", hardware_aware: bool = False, chip: dict | None = None,
                 resample_chips: bool = True, chip_seed: int = 0, code: str = "rate", batch_size: int = 64,
                 learning_rate: float = 1e-2, tau: float = 10.0, threshold: float = 0.3, train_tau: bool = False,
                 train_threshold: bool = False, per_neuron: bool = False, seed: int = 0, verbose: Any = 0,
                 callbacks: Sequence[keras.callbacks.Callback] = (), progress: Any = None,
                 validation: bool = False, fresh_spikes: bool = True,
                 init: keras.Model | None = None, clip_sigmas: float | None = 2.0) -> tuple[keras.Model, keras.callbacks.History]:
    r"""Train the digits network with Keras' own ``model.fit`` (BPTT through the surrogate); return ``(model, history)``.

    Parameters
    ----------
    data : DigitsSplit, optional
        From :func:`snnlib.data.load_digits_split` (default: its fixed split, 1347 train / 450 test).
    epochs, batch_size, learning_rate : int, int, float
        Adam with the learning rate decayed by a cosine from ``learning_rate`` to 5 % of it over the run
        (``keras.optimizers.schedules.CosineDecay``, a fixed schedule: deterministic).
    steps, hidden, device, code, tau, threshold, train_tau, train_threshold, per_neuron
        As :func:`build_digits_model` and :func:`encode_digits`. The test images are encoded once with
        ``seed + 1``.
    fresh_spikes : bool
        Encode the training images anew every epoch (rate code: new Bernoulli draws, seeded by
        ``(seed, epoch)``): the network sees a new spike train of each image every epoch, which
        regularises it (data augmentation for free); False encodes them once with ``seed``.
    hardware_aware : bool
        False: train on the device's levels only (the chip ``{}``), the "ideal" training.
        True: train with the non-idealities in the loop, ``chip`` (default :data:`HARDWARE_AWARE_CHIP`,
        d2d σ = 0.5 and 2 % read noise on top of the device's levels), and with the weights clipped
        (``clip_sigmas``). The recipe that works (Joshi et al. 2020): start from the ideally trained
        network (``init``) and fine-tune ~10 epochs at a lower learning rate (3e-3), see
        :func:`train_hardware_aware`.
    chip : dict, optional
        The training chip's non-idealities (overrides the defaults above).
    resample_chips : bool
        With device-to-device variation or stuck devices in ``chip``, draw a fresh chip for every batch
        (:class:`ChipResampler`); False trains on the one chip ``chip_seed``.
    chip_seed : int
        The chip the returned model is programmed on.
    seed : int
        Weight initialisation, shuffling (Keras' own, seeded by ``keras.utils.set_random_seed``), encoding:
        everything random in the run.
    verbose : int or "auto"
        Keras' ``fit`` verbosity (2: one line per epoch).
    callbacks : sequence of keras callbacks
        Added to the run (e.g. ``keras.callbacks.CSVLogger``).
    progress : file, optional
        Write one line per epoch there (the command line passes ``sys.stderr``).
    init : keras.Model, optional
        Start from this trained model's weights (kernels, biases, τ, θ; not its chip) instead of a fresh
        initialisation: fine-tuning.
    clip_sigmas : float or None
        Hardware-aware only: clip each tile's weights to ``±w_max`` with ``w_max = clip_sigmas·std(W)`` of
        its kernel at the start (the layer's ``w_max``, saved with the model and used on every chip it is
        deployed on). Why: the programmed range is ``[−w_max, w_max]``, and the error of a device —
        its G_min offset times ``e^{σz} − 1``, a stuck-on device's full ``G_max`` — is a fraction of that
        range, whatever the weight. With ``w_max = max|W|`` (no clipping) a few large weights set the
        range and every other weight drowns in it; noise in the loop alone cannot fix that, because the
        gradient does not pass through ``max|W|``. Clipping at 2 σ shrinks the range about 2.5-fold and
        training recovers the accuracy lost to clipping. None: ``w_max = max|W|``.
    validation : bool
        Also report the test-set loss and accuracy per epoch (``validation_data``; the test set is not
        used for any choice here).

    The returned ``history.history`` holds ``loss`` and ``accuracy`` per epoch (and ``val_*``) and
    ``history.seconds`` the wall time of ``fit``. ``model.snnlib_data = (x_test_spikes, y_test)`` keeps the
    encoded test set for :func:`evaluate_on_chips`.
    """
    from snnlib.data import load_digits_split

    epochs = _checks.positive_int("epochs", epochs, maximum=10_000)
    batch_size = _checks.positive_int("batch_size", batch_size, maximum=1 << 20)
    learning_rate = _checks.positive("learning_rate", learning_rate, maximum=10.0)
    seed = _checks.seed_value("seed", seed)
    if data is None:
        data = load_digits_split()
    if chip is None:
        chip = dict(HARDWARE_AWARE_CHIP) if hardware_aware else {}
    elif not hardware_aware:
        raise ValueError("chip= sets the non-idealities of hardware-aware training; pass hardware_aware=True "
                         "with it (ideal training uses the device's levels only)")
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    x_test = encode_digits(data.x_test, steps, code, seed=(seed + 1) % (_SEED_MAX + 1))
    y_train, y_test = np.asarray(data.y_train, np.int64), np.asarray(data.y_test, np.int64)
    model = build_digits_model(hidden=hidden, steps=steps, device=device, chip=chip, chip_seed=chip_seed,
                               tau=tau, threshold=threshold, train_tau=train_tau, train_threshold=train_threshold,
                               per_neuron=per_neuron, seed=seed)
    if init is not None:
        _copy_trained(init, model)
    if hardware_aware and clip_sigmas is not None and "w_max" not in chip:
        clip_sigmas = _checks.positive("clip_sigmas", clip_sigmas, maximum=1e6)
        for layer in crossbar_layers(model):  # before the first trace: w_max is read as a Python number
            layer.w_max = float(clip_sigmas * np.std(layer.kernel.numpy()))
    n_batches = math.ceil(len(y_train) / batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * n_batches, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    cbs = list(callbacks)
    if resample_chips and (chip.get("d2d_sigma") or chip.get("stuck_on_rate") or chip.get("stuck_off_rate")
                           or chip.get("programming") == "pulses"):
        cbs.insert(0, ChipResampler(seed=seed, chip_seed=chip_seed))
    if progress is not None:
        cbs.append(_EpochLine(progress, epochs))
    batches = _TrainingBatches(data.x_train, y_train, steps=steps, code=code, seed=seed, batch_size=batch_size,
                               fresh_spikes=fresh_spikes)
    t0 = time.perf_counter()
    history = model.fit(batches, epochs=epochs, verbose=verbose, callbacks=cbs,
                        validation_data=(x_test, y_test) if validation else None)
    history.seconds = time.perf_counter() - t0
    model.snnlib_data = (x_test, y_test)
    return model, history


def train_hardware_aware(data: Any = None, *, ideal: keras.Model | None = None, epochs: int = 15,
                         finetune_epochs: int = 10, finetune_learning_rate: float = 3e-3, chip: dict | None = None,
                         **kwargs: Any) -> tuple[keras.Model, keras.callbacks.History]:
    """Hardware-aware training in two phases: :func:`train_digits` ideally for ``epochs`` (skipped when an
    ``ideal`` model is given), then fine-tuned with the non-idealities ``chip`` in the loop
    (:data:`HARDWARE_AWARE_CHIP` by default, a fresh chip per batch, weights clipped at 2 σ) for
    ``finetune_epochs`` at ``finetune_learning_rate``. ``kwargs`` go to both phases (``hidden``,
    ``steps``, ``device``, ``seed`` …). Returns the fine-tuned model and the fine-tuning history, whose
    ``seconds`` include the ideal phase's."""
    seconds = 0.0
    if ideal is None:
        ideal, h0 = train_digits(data, epochs=epochs, **kwargs)
        seconds = h0.seconds
    model, history = train_digits(data, epochs=finetune_epochs, learning_rate=finetune_learning_rate,
                                  hardware_aware=True, chip=chip, init=ideal, **kwargs)
    history.seconds += seconds
    return model, history


# ----------------------------------------------------------------------------- deployment
def clone_on_chip(model: keras.Model, chip_seed: int | None = None, **overrides: Any) -> keras.Model:
    """A copy of the trained ``model`` programmed on another chip and/or with other non-idealities.

    The model is rebuilt from its config with ``overrides`` applied to every
    :class:`~snnlib.crossbar.CrossbarDense` layer (any of :data:`SWEEP_PARAMETERS` and ``mapping``,
    ``w_max``, ``v_read``; e.g. ``d2d_sigma=0.3``, ``levels=16``, ``drift_time=3600``), and the
    layers of tile ``k`` get the seed :func:`tile_seed` ``(chip_seed, k)`` (``chip_seed=None`` keeps
    the model's chip). Then every trained weight (kernels, biases, τ, θ) is copied; the chip's own
    draws (``pulse_z``, ``d2d_z``, ``stuck_u``), drift factor and read-noise counter are those of the
    new chip (the counter starts at 0, so a clone reads the same noise every time it is evaluated the
    same way). No retraining. Tile 0 of the clone is exactly ``Crossbar(W, seed=chip_seed, ...)``
    with the same options and the trained ``W``. ``overrides`` values are validated by the layers.
    """
    unknown = sorted(set(overrides) - set(_CHIP_KEYS))
    if unknown:
        raise ValueError(f"clone_on_chip got unknown option(s) {', '.join(map(repr, unknown))}; "
                         f"the CrossbarDense options are {', '.join(_CHIP_KEYS)}")
    if chip_seed is not None:
        chip_seed = _checks.seed_value("chip_seed", chip_seed)
    config = model.get_config()
    _check_overrides(config, overrides)
    k = 0
    for spec in config["layers"]:
        if _is_crossbar_dense(spec):
            spec["config"].update(overrides)
            if chip_seed is not None:
                spec["config"]["seed"] = tile_seed(chip_seed, k)
            k += 1
    clone = model.__class__.from_config(config)
    _copy_trained(model, clone)
    return clone


def _copy_trained(source: keras.Model, target: keras.Model) -> None:
    """Copy every trained weight (not the chip variables) from ``source`` into the same-shaped ``target``."""
    if len(source.layers) != len(target.layers):
        raise ValueError(f"init must be a model of the same architecture ({len(target.layers)} layers), "
                         f"got one with {len(source.layers)}")
    for new, old in zip(target.layers, source.layers):
        chip_vars = _CHIP_VARIABLES if isinstance(new, CrossbarDense) else ()
        old_vars = {v.path.split("/")[-1]: v for v in old.weights}
        for var in new.weights:
            name = var.path.split("/")[-1]
            if name in chip_vars:
                continue
            if name not in old_vars or tuple(old_vars[name].shape) != tuple(var.shape):
                raise ValueError(f"init has no weight {new.name}/{name} of shape {tuple(var.shape)}; "
                                 "pass a model built with the same hidden, steps and per_neuron")
            var.assign(old_vars[name])


def _is_crossbar_dense(spec: dict) -> bool:
    return spec.get("class_name") == "CrossbarDense" or spec.get("registered_name") == "snnlib>CrossbarDense"


def _check_overrides(config: dict, overrides: dict) -> None:
    """Validate ``overrides`` as the layers will (Keras would wrap the layer's ValueError in a TypeError)."""
    from snnlib.crossbar import ProgramOptions, ReadOptions

    for spec in config["layers"]:
        if _is_crossbar_dense(spec):
            c = {**spec["config"], **overrides}
            ProgramOptions.make(c["device"], mapping=c["mapping"], levels=c["levels"], programming=c["programming"],
                                d2d_sigma=c["d2d_sigma"], stuck_on_rate=c["stuck_on_rate"],
                                stuck_off_rate=c["stuck_off_rate"], drift_time=c["drift_time"])
            ReadOptions.make(v_read=c["v_read"], dac_bits=c["dac_bits"], adc_bits=c["adc_bits"],
                             read_noise=c["read_noise"])
            if c["w_max"] is not None:
                _checks.positive("w_max", c["w_max"])


def accuracy(model: keras.Model, x: Any, y: Any, *, batch_size: int = 450) -> float:
    """Fraction of correctly classified samples (argmax of the logits), evaluated in fixed batches."""
    x = np.asarray(x, np.float32)
    batch_size = _checks.positive_int("batch_size", batch_size)
    # direct calls, not model.predict: no graph to trace per clone (5x faster for a sweep of clones)
    logits = np.concatenate([np.asarray(model(x[i:i + batch_size], training=False))
                             for i in range(0, len(x), batch_size)])
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(y)))


def ideal_accuracy(model: keras.Model, x_test: Any = None, y_test: Any = None) -> float:
    """Test accuracy of ``model``'s trained weights on the ideal deployment (:data:`IDEAL_CHIP`: a continuous,
    noiseless device; a clipping ``w_max`` learned in hardware-aware training is kept, it is part of the weights)."""
    x, y = _test_data(model, x_test, y_test)
    return accuracy(clone_on_chip(model, **IDEAL_CHIP), x, y)


def _test_data(model: keras.Model, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    if x is None or y is None:
        if getattr(model, "snnlib_data", None) is None:
            raise ValueError("pass x_test and y_test (encoded spikes [N, T, 64] and labels): this model "
                             "does not carry its test set (models from train_digits do)")
        return model.snnlib_data
    return np.asarray(x, np.float32), np.asarray(y)


def evaluate_on_chips(model: keras.Model, x_test: Any = None, y_test: Any = None, *,
                      chip_seeds: Iterable[int] = range(1, 6), **chip: Any) -> np.ndarray:
    """Test accuracy of the trained ``model`` on fresh chips: one entry per seed of ``chip_seeds``.

    Each chip is :func:`clone_on_chip` ``(model, seed, **chip)``: the same trained weights on the chip
    of that seed with the non-idealities ``chip`` (e.g. ``d2d_sigma=0.3``, ``read_noise=0.02``; any
    option not given keeps the model's). The default seeds 1–5 are chips no model saw in training
    (:class:`ChipResampler` trains on seeds from 2**62 on; the model itself sits on chip 0).
    ``x_test`` / ``y_test`` default to the encoded test set a :func:`train_digits` model carries.
    """
    x, y = _test_data(model, x_test, y_test)
    return np.array([accuracy(clone_on_chip(model, int(s), **chip), x, y) for s in chip_seeds])


class SweepResult(NamedTuple):
    """:func:`accuracy_sweep`'s answer: ``accuracy[i, j]`` is chip ``chip_seeds[j]`` at ``values[i]``."""

    parameter: str
    values: tuple
    chip_seeds: tuple
    accuracy: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.accuracy.mean(axis=1)

    @property
    def std(self) -> np.ndarray:
        """Sample standard deviation over the chips (ddof = 1; 0 for one chip)."""
        n = self.accuracy.shape[1]
        return self.accuracy.std(axis=1, ddof=1) if n > 1 else np.zeros(len(self.values))

    def table(self, label: str = "") -> str:
        """The sweep as text, one row per value: ``mean ± sd`` in % over the chips."""
        head = f"{label + ': ' if label else ''}test accuracy (%) vs {self.parameter}, " \
               f"{len(self.chip_seeds)} chips (mean ± sd)"
        rows = [f"  {self.parameter} = {v!s:>8}: {100 * m:5.1f} ± {100 * s:4.1f}"
                for v, m, s in zip(self.values, self.mean, self.std)]
        return "\n".join([head, *rows])


def accuracy_sweep(model: keras.Model, data: Any = None, parameter: str = "d2d_sigma",
                   values: Sequence[Any] = (0.0, 0.1, 0.2, 0.3, 0.5), chip_seeds: Iterable[int] = range(1, 6),
                   **fixed: Any) -> SweepResult:
    """Test accuracy of the trained ``model`` vs one chip ``parameter`` over ``values``, on every chip of ``chip_seeds``.

    ``parameter``: one of :data:`SWEEP_PARAMETERS` (``"d2d_sigma"``, ``"stuck_on_rate"``,
    ``"stuck_off_rate"``, ``"levels"``, ``"read_noise"``, ``"drift_time"`` (s; the ``pcm`` device
    drifts), ``"dac_bits"``, ``"adc_bits"`` …). ``data``: ``(x_test_spikes, y_test)`` or None for the
    test set the model carries. ``fixed``: other options held during the sweep (e.g. ``read_noise=0``
    to sweep d2d alone). Each point is :func:`clone_on_chip` — the layers rebuilt with the value,
    the trained weights copied, no retraining.
    """
    parameter = _checks.one_of("parameter", parameter, SWEEP_PARAMETERS)
    x, y = _test_data(model, *(data if data is not None else (None, None)))
    seeds = tuple(int(s) for s in chip_seeds)
    values = tuple(values)
    acc = np.array([[accuracy(clone_on_chip(model, s, **{**fixed, parameter: v}), x, y) for s in seeds]
                    for v in values])
    return SweepResult(parameter, values, seeds, acc)


def learned_lif_parameters(model: keras.Model) -> dict[str, np.ndarray]:
    """τ (ms) and θ of the model's LIF layer as arrays (one entry per neuron with ``per_neuron``)."""
    cell = lif_layer(model).cell
    return {"tau": np.atleast_1d(np.asarray(cell.tau.numpy(), np.float64)),
            "threshold": np.atleast_1d(np.asarray(cell.threshold.numpy(), np.float64))}
