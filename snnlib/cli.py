"""Command line: ``python -m snnlib edges IMAGE --out DIR [options]``.

Writes ``<name>_original.png``, ``<name>_edges.png`` (the raw map: spike counts combined and divided
by their maximum, linear) and ``<name>_side_by_side.png`` (the photo beside the map scaled for display,
:func:`snnlib.images.display_scale`, with the scaling stated under it) into DIR and prints their paths.
The defaults (device, code, T) are :mod:`snnlib.edges`' own; progress goes to stderr.

Failures: a user mistake or a problem of the machine that the user can fix (a
missing, unreadable or odd input, a parameter out of range, an output folder
that cannot be made or written, a full disk) prints one line on stderr and exits
with status 2. Everything that can be checked without doing the work is checked
first, in this order and before TensorFlow is even imported: the parameters,
the input path (``os.stat`` only), the output folder (made if missing, then a
probe file is created and removed in it); then the image is decoded (Pillow
only), and only then is TensorFlow loaded. Ctrl-C or SIGTERM at any moment
prints ``interrupted; nothing written`` and exits with status 130 (one that
arrives during the final swap of files is held until the swap is complete, and
says so instead).

All or nothing: the three files are written into a hidden ``DIR/.partial-*``
folder first, then swapped in (:class:`_Outputs`); whatever fails or is
interrupted, DIR holds either the previous set of files (if there was one) or
the new set, never a mix, and no ``.partial-*`` folder is left behind (only a
SIGKILL or a power cut in the few milliseconds of the swap could do that).
Each existing file that is replaced is named on stderr (``replacing DIR/x_edges.png``):
``x.png`` and ``x.jpg`` share their output names.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from snnlib._messages import middle_cut, os_reason

USAGE_EXIT = 2
INTERRUPT_EXIT = 130
INTERRUPTED = "interrupted; nothing written"
_PROG = "python -m snnlib"
#: Refuse to start when the output disk has less free space than this (the three PNGs of a 1024 px image
#: take one to a few MB; below 1 MiB the disk is, in practice, full).
_MIN_FREE_BYTES = 1 << 20


#: snnlib.edges' defaults, repeated here so that -h needs no TensorFlow (a test checks that they agree).
_DEFAULT_DEVICE, _DEFAULT_ENCODING, _DEFAULT_STEPS = "hfox", "deterministic", 32


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(USAGE_EXIT)


def _parser() -> argparse.ArgumentParser:
    # TensorFlow-free modules only, so that -h and argument errors answer at once
    from snnlib.memristor import PRESETS
    from snnlib.options import ENCODINGS, KERNELS, MAX_STEPS

    p = _Parser(prog=_PROG, description="Spiking-network tools of the snnlib course.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    e = sub.add_parser("edges", help="extract edges from a photo with a memristive LIF network",
                       description="Extract the edge feature map of an image with a spiking network whose "
                                   "synapses are memristor conductances and whose neurons are LIF. Writes "
                                   "NAME_original.png, NAME_edges.png (the raw map, linear) and "
                                   "NAME_side_by_side.png (the map scaled for display, the scaling stated) into "
                                   "--out (all three or none; existing ones are replaced, and said so).")
    e.add_argument("image", help="path of the photo (any format Pillow reads), e.g. data/MHW.jpg")
    e.add_argument("--out", default="results", help="output folder, made if missing (default: results/)")
    e.add_argument("--tau", type=float, default=5.0, help="membrane time constant in ms (default 5)")
    e.add_argument("--threshold", type=float, default=0.5, help="firing threshold (default 0.5)")
    e.add_argument("--steps", type=int, default=_DEFAULT_STEPS,
                   help=f"time steps T, 1 ms each, 1 to {MAX_STEPS} (default {_DEFAULT_STEPS})")
    e.add_argument("--kernel", default="sobel", choices=KERNELS, help="edge kernel (default sobel)")
    e.add_argument("--encoding", default=_DEFAULT_ENCODING, choices=ENCODINGS,
                   help=f"spike code: rate (Bernoulli), deterministic (sigma-delta) or latency "
                        f"(default {_DEFAULT_ENCODING})")
    e.add_argument("--device", default=_DEFAULT_DEVICE, choices=sorted(PRESETS),
                   help=f"memristor device preset (default {_DEFAULT_DEVICE}; 'ideal' = exact weights, to compare)")
    e.add_argument("--seed", type=int, default=0, help="random seed, 0 to 2**63 - 1 (default 0)")
    _train_digits_parser(sub, PRESETS)
    return p


# ----------------------------------------------------------------------------- the train-digits command

#: Most epochs ``train-digits`` accepts (one epoch takes about half a second on 2 cores).
_MAX_EPOCHS = 1000
#: Most time steps of the digits network (snnlib.learning.MAX_DIGITS_STEPS; kept here so -h needs no TensorFlow).
_MAX_DIGITS_STEPS = 25


def _train_digits_parser(sub, presets) -> None:
    t = sub.add_parser("train-digits", help="train a spiking digits classifier on a memristor chip",
                       description="Train a spiking network (64 inputs -> LIF hidden layer -> 10) whose synapses are "
                                   "memristor crossbars on scikit-learn's 8x8 digits (1347 train / 450 test "
                                   "images), with surrogate gradients through Keras' fit. Progress on stderr; the "
                                   "last line on stdout gives the test accuracy on the ideal deployment and on a "
                                   "programmed chip of the device (device-to-device sigma 0.5, 2 %% read noise, "
                                   "the device's levels).")
    t.add_argument("--device", default="hfox", choices=sorted(presets), help="memristor device preset (default hfox)")
    t.add_argument("--epochs", type=int, default=15, help=f"training epochs, 1 to {_MAX_EPOCHS} (default 15)")
    t.add_argument("--finetune-epochs", type=int, default=10,
                   help="with --hardware-aware: epochs of fine-tuning with the chip in the loop (default 10)")
    t.add_argument("--steps", type=int, default=16, help=f"time steps T, 1 ms each, 1 to {_MAX_DIGITS_STEPS} "
                                                         "(default 16)")
    t.add_argument("--hidden", type=int, default=256, help="hidden LIF neurons, 1 to 4096 (default 256)")
    t.add_argument("--seed", type=int, default=0, help="random seed of the training, 0 to 2**63 - 1 (default 0)")
    t.add_argument("--chip-seed", type=int, default=0, help="the chip the network is programmed on (default 0)")
    mode = t.add_mutually_exclusive_group()
    mode.add_argument("--hardware-aware", dest="hardware_aware", action="store_true",
                      help="after the ideal training, fine-tune with the non-idealities in the loop")
    mode.add_argument("--ideal", dest="hardware_aware", action="store_false",
                      help="train with the device's levels only (the default)")
    t.add_argument("--out", default=None, help="save the trained model there (a .keras file, written atomically)")


# ----------------------------------------------------------------------------- the edges command


def _edges(args: argparse.Namespace) -> int:
    from snnlib import _checks
    from snnlib.images import check_image_path
    from snnlib.options import MAX_STEPS

    # 1. every check that needs no work, before any work or output: a mistake costs one line and nothing else
    tau = _checks.positive("--tau", args.tau, unit="ms", maximum=_checks.FLOAT32_MAX)
    threshold = _checks.positive("--threshold", args.threshold, maximum=_checks.FLOAT32_MAX)
    steps = _checks.positive_int("--steps", args.steps, maximum=MAX_STEPS)
    seed = _checks.seed_value("--seed", args.seed)
    check_image_path(args.image)  # os.stat only: missing, a folder, a FIFO, a device, a link loop …
    stem = Path(args.image).stem
    outputs = _Outputs(args.out, [f"{stem}_original.png", f"{stem}_edges.png", f"{stem}_side_by_side.png"])
    try:
        outputs.prepare()
        return _run(args, outputs, tau=tau, threshold=threshold, steps=steps, seed=seed)
    except BaseException:
        outputs.discard()  # the folders this run made, if still empty
        raise


def _run(args: argparse.Namespace, outputs: _Outputs, *, tau: float, threshold: float, steps: int,
         seed: int) -> int:
    from snnlib.images import load_image_info, save_png

    # 2. decode (NumPy and Pillow only): a bad file still answers before TensorFlow is loaded
    t0 = time.perf_counter()
    image, info = load_image_info(args.image)  # checked again: the message names the path as typed
    if info.frames > 1:
        _progress(f"{args.image} has {info.frames} frames (an animation or a multipage file): "
                  "using the first one only")
    if info.downscaled:
        (h0, w0), (h1, w1) = info.original_shape, info.shape
        _progress(f"{args.image} is {w0}×{h0} px: scaled down to {w1}×{h1} px (long side at most 1024 px)")

    # 3. the work
    _progress(f"encoding {args.image} ({steps} steps, {args.encoding} code) and programming the crossbar")
    import matplotlib  # files only, no window; set in-process (an environment variable would leak into
    matplotlib.use("Agg")  # every child process of a caller that runs main() in-process, e.g. test workers)
    from snnlib.edges import EdgeExtractor
    from snnlib.plots import side_by_side

    _checkpoint()
    ex = EdgeExtractor(image, steps=steps, kernel=args.kernel, encoding=args.encoding,
                       device=args.device, seed=seed)
    h, w = ex.image.shape
    _progress(f"crossbar currents ready for {h}×{w} px ({time.perf_counter() - t0:.1f} s); running LIF neurons")
    result = ex.run(tau=tau, threshold=threshold)
    _progress(f"{result.output_spikes} LIF spikes ({time.perf_counter() - t0:.1f} s); writing images")

    # 4. the files, all or none
    def figure(path: Path) -> None:
        import matplotlib.pyplot as plt

        fig = side_by_side(result)
        try:
            fig.savefig(path, dpi=100, bbox_inches="tight", format="png")
        finally:
            plt.close(fig)

    _checkpoint()
    late = outputs.write([lambda p: save_png(result.original, p), lambda p: save_png(result.edges, p), figure])
    _print_paths(outputs.paths)
    if late:  # Ctrl-C or SIGTERM during the swap: it was let finish, so the files are complete
        print("interrupted; the files above were written completely", file=sys.stderr)
        return INTERRUPT_EXIT
    return 0


def _checkpoint() -> None:
    """Raise the interrupt a library swallowed (it happens during TensorFlow's import): Ctrl-C means stop."""
    if _received:
        raise KeyboardInterrupt


def _probe_write(folder: str | os.PathLike, what: str) -> None:
    """Create and remove a probe file in ``folder``: the one sure test that we may write there (as root,
    permission bits say nothing). ``what`` starts the one-line error."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".snnlib-probe-", dir=folder)
        try:
            os.write(fd, b"\n")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as err:
        raise ValueError(f"{what} ({_reason(err)}); choose a folder you can write to") from None


def _progress(message: str) -> None:
    print(f"[snnlib] {message}", file=sys.stderr, flush=True)


def _print_paths(paths: list[Path]) -> None:
    for path in paths:
        try:
            print(path)
        except UnicodeEncodeError:  # a file name the terminal's encoding cannot show: its bytes as they are
            sys.stdout.flush()
            sys.stdout.buffer.write(os.fsencode(path) + b"\n")
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # `... | head -1`: the reader has gone, the files are written
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _train_digits(args: argparse.Namespace) -> int:
    from snnlib import _checks

    # 1. every check that needs no work, before TensorFlow is loaded
    epochs = _checks.positive_int("--epochs", args.epochs, maximum=_MAX_EPOCHS)
    finetune = _checks.positive_int("--finetune-epochs", args.finetune_epochs, maximum=_MAX_EPOCHS)
    steps = _checks.positive_int("--steps", args.steps, maximum=_MAX_DIGITS_STEPS)
    hidden = _checks.positive_int("--hidden", args.hidden, maximum=4096)
    seed = _checks.seed_value("--seed", args.seed)
    chip_seed = _checks.seed_value("--chip-seed", args.chip_seed)
    out = None if args.out is None else _model_path(args.out)

    # 2. the work
    t0 = time.perf_counter()
    _progress("loading the digits (scikit-learn) and TensorFlow")
    from snnlib.data import load_digits_split

    data = load_digits_split()
    _checkpoint()
    from snnlib import learning

    _checkpoint()
    common = dict(steps=steps, hidden=hidden, device=args.device, seed=seed, chip_seed=chip_seed)
    _progress(f"training {64}-{hidden}-10 spiking network on {args.device} crossbars, T = {steps} steps, "
              f"{epochs} epochs")
    model, history = learning.train_digits(data, epochs=epochs, progress=sys.stderr, **common)
    if args.hardware_aware:
        _checkpoint()
        _progress(f"fine-tuning with the chip in the loop ({finetune} epochs: a fresh chip per batch, "
                  f"d2d sigma {learning.HARDWARE_AWARE_CHIP['d2d_sigma']:g}, read noise "
                  f"{100 * learning.HARDWARE_AWARE_CHIP['read_noise']:g} %, weights clipped at 2 sd)")
        model, h2 = learning.train_hardware_aware(data, ideal=model, finetune_epochs=finetune,
                                                  progress=sys.stderr, **common)
        history.seconds += h2.seconds
    _checkpoint()
    x, y = model.snnlib_data
    ideal = learning.ideal_accuracy(model, x, y)
    chip = learning.clone_on_chip(model, chip_seed, **learning.HARDWARE_AWARE_CHIP)
    on_chip = learning.accuracy(chip, x, y)
    _progress(f"trained in {history.seconds:.1f} s ({time.perf_counter() - t0:.1f} s in all)")

    # 3. the file, atomically
    late = False
    if out is not None:
        _checkpoint()
        late = _save_model(model, out)
    kind = "hardware-aware" if args.hardware_aware else "ideal training"
    line = (f"test accuracy: ideal {100 * ideal:.1f} %, on chip {args.device} (seed {chip_seed}) "
            f"{100 * on_chip:.1f} % [{kind}]")
    try:
        print(line, flush=True)
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if late:
        print(f"interrupted; {_short(out)} was written completely", file=sys.stderr)
        return INTERRUPT_EXIT
    return 0


def _model_path(text: str) -> Path:
    """Check ``--out`` for a model before any work: a ``.keras`` name in an existing, writable folder."""
    if text == "":
        raise ValueError("--out is empty; give a file name, e.g. --out model.keras")
    path = Path(text)
    shown = _short(path)
    if path.suffix != ".keras" or path.name == ".keras":
        raise ValueError(f"--out {shown}: the model file must end in .keras (Keras' format), e.g. --out model.keras")
    folder = path.parent
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        raise ValueError(f"--out {shown}: the folder {_short(folder)} does not exist; make it first") from None
    except (OSError, ValueError) as err:
        raise ValueError(f"--out {shown}: {_reason(err)}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(f"--out {shown}: {_short(folder)} is not a folder")
    with contextlib.suppress(OSError):
        if stat.S_ISDIR(os.stat(path).st_mode):
            raise ValueError(f"--out {shown} is a folder; give a file name, e.g. --out {_short(path / 'model.keras')}")
    if len(os.fsencode(path.name)) + 24 > _name_max(folder):
        raise ValueError(f"--out {shown}: the file name is too long for this file system")
    with _interrupts_held(reraise=True):
        _probe_write(folder, f"--out {shown}: cannot write into {_short(folder)}")
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(folder).free
        if free < _MIN_FREE_BYTES:
            raise ValueError(f"--out {shown}: only {free // 1024} KB free on its disk; free some space")
    return path


def _save_model(model, path: Path) -> bool:
    """Save ``model`` to ``path`` atomically: a temporary ``.keras`` file in the same folder, then ``os.replace``.
    Returns True when Ctrl-C or SIGTERM arrived during the rename (held until it was done)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.partial-", suffix=".keras", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            model.save(tmp)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; the model gets the usual permissions
        except OSError as err:
            raise ValueError(f"cannot write {_short(path)} ({_reason(err)}); nothing written") from None
        if os.path.lexists(path):
            _progress(f"replacing {path}")
        with _interrupts_held() as pending:
            try:
                os.replace(tmp, path)
            except OSError as err:
                raise ValueError(f"cannot write {_short(path)} ({_reason(err)}); nothing written") from None
        _progress(f"saved the trained model to {path}")
        return bool(pending)
    finally:
        with _interrupts_held():
            with contextlib.suppress(OSError):
                os.unlink(tmp)


# ----------------------------------------------------------------------------- the output folder


class _Outputs:
    """The files of one run in one folder: checked before the work, written all or none.

    :meth:`prepare` (before any work) makes the folder if it is missing, remembering which folders it
    made, and proves it writable with a probe file. :meth:`write` saves every file into a fresh
    ``.partial-*`` folder inside it, then swaps them in under an exclusive lock on the folder (so two
    runs cannot interleave their swaps): each existing file is first moved into the ``.partial-*``
    folder as a backup, then the new one is renamed into place. Renames within one folder are atomic
    and take microseconds; Ctrl-C and SIGTERM are held back while the swap (or its undo) runs, and any
    error in it puts the backups back. Then the ``.partial-*`` folder with the backups is removed. So a
    failure or an interrupt at any point leaves the previous set or the new set, never a mix. If even
    the undo fails (the folder was made read-only meanwhile), the message says where the backups are.
    """

    def __init__(self, folder: str, names: list[str]):
        if folder == "":
            raise ValueError("--out is empty; give an output folder, e.g. --out results")
        self.folder = Path(folder)
        self.names = list(names)
        self.paths = [self.folder / n for n in self.names]
        self._created: list[Path] = []
        self._shown = _short(self.folder)

    # -- before the work
    def prepare(self) -> None:
        self._make_folder()
        limit = _name_max(self.folder)
        longest = max(self.names, key=lambda n: len(os.fsencode(n)))
        if len(os.fsencode(longest)) > limit:
            raise ValueError(f"the output name {_short(longest)} would be {len(os.fsencode(longest))} bytes long, "
                             f"more than the {limit} a file name may have here; rename the photo "
                             "(or copy it) to a shorter name")
        for path in self.paths:
            with contextlib.suppress(OSError):
                if stat.S_ISDIR(os.lstat(path).st_mode):
                    raise ValueError(f"--out {self._shown}: {path.name} there is a folder, and it would be "
                                     "replaced by an image; move it away or choose another --out")
        with _interrupts_held(reraise=True):
            _probe_write(self.folder, f"--out {self._shown}: cannot write there")
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(self.folder).free
            if free < _MIN_FREE_BYTES:
                raise ValueError(f"--out {self._shown}: only {free // 1024} KB free on its disk; "
                                 "free some space or choose another folder")

    def _make_folder(self) -> None:
        out, shown = self.folder, self._shown
        missing: list[Path] = []  # the folders to make, innermost first
        p = out
        while True:
            try:
                st = os.stat(p)
                break
            except (FileNotFoundError, NotADirectoryError):
                if os.path.islink(p):
                    raise ValueError(f"--out {shown}: {_short(p)} is a symbolic link to {_link(p)}, which does "
                                     "not exist; make that folder or choose another --out") from None
                missing.append(p)
                if p.parent == p:
                    raise ValueError(f"--out {shown}: no folder on this path exists") from None
                p = p.parent
            except (OSError, ValueError) as err:
                raise ValueError(f"--out {shown}: {_reason(err)}") from None
        if not stat.S_ISDIR(st.st_mode):
            if p == out:
                raise ValueError(f"--out {shown} exists and is not a folder; choose another output folder")
            raise ValueError(f"--out {shown}: {_short(p)} is a file, not a folder; choose another output folder")
        for d in reversed(missing):
            try:
                os.mkdir(d)
            except FileExistsError:  # made meanwhile by someone else: theirs, not ours to remove
                if not os.path.isdir(d):
                    raise ValueError(f"--out {shown}: {_short(d)} appeared meanwhile and is not a folder") from None
                continue
            except OSError as err:
                raise ValueError(f"--out {shown}: cannot make the folder {_short(d)} ({_reason(err)})") from None
            self._created.append(d)

    def discard(self) -> None:
        """Remove the folders :meth:`prepare` made, innermost first, as far as they are still empty."""
        with _interrupts_held():
            for d in reversed(self._created):
                try:
                    os.rmdir(d)
                except OSError:
                    break  # not empty (or gone): keep it and its parents
            self._created = []

    # -- the files
    def write(self, savers: list[Callable[[Path], object]]) -> bool:
        """Write ``savers[i](path)`` as ``self.names[i]``, all or none; return True when an interrupt
        arrived during the swap (it was held until the swap was complete)."""
        tmp: Path | None = None
        keep_tmp = False
        try:
            try:
                tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.folder))
                for name, save in zip(self.names, savers):
                    save(tmp / name)
            except OSError as err:
                raise ValueError(f"cannot write the images into {self._shown} ({_reason(err)}); "
                                 "nothing written") from None
            lock = _lock(self.folder)  # waits while another run swaps (interruptible: nothing moved yet)
            try:
                with _interrupts_held() as pending:
                    try:
                        self._swap(tmp)
                    except _RestoreFailed:
                        keep_tmp = True
                        raise
                    shutil.rmtree(tmp, ignore_errors=True)
                    self._created = []  # the folder now holds our files: never remove it
            finally:
                _unlock(lock)
            return bool(pending)
        finally:
            if tmp is not None and not keep_tmp:
                with _interrupts_held():
                    shutil.rmtree(tmp, ignore_errors=True)

    def _swap(self, tmp: Path) -> None:
        for path in self.paths:
            if os.path.lexists(path):
                _progress(f"replacing {path}")
        done: list[tuple[Path, Path | None]] = []  # (target, backup of the old file or None)
        try:
            for name, path in zip(self.names, self.paths):
                backup = None
                if os.path.lexists(path):
                    backup = tmp / f"{name}.previous"
                    os.replace(path, backup)
                done.append((path, backup))
                os.replace(tmp / name, path)
        except OSError as err:
            self._undo(tmp, done, err)
            raise ValueError(f"cannot write the images into {self._shown} ({_reason(err)}); "
                             "nothing written, the folder is as it was") from None

    def _undo(self, tmp: Path, done: list[tuple[Path, Path | None]], cause: OSError) -> None:
        try:
            for path, backup in reversed(done):
                if backup is not None:
                    os.replace(backup, path)
                elif not os.path.lexists(tmp / path.name):  # ours was moved in: take it out again
                    os.unlink(path)
        except OSError as err:
            raise _RestoreFailed(f"cannot write the images into {self._shown} ({_reason(cause)}), and the "
                                 f"previous files could not be put back ({_reason(err)}); they are in {tmp}") \
                from None


class _RestoreFailed(ValueError):
    pass


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _lock(folder: Path) -> int | None:
    """An exclusive ``flock`` on the folder itself (no lock file to leave behind); None where unsupported."""
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing releases the flock


def _link(path: Path) -> str:
    try:
        return repr(os.readlink(path))
    except OSError:
        return "a missing file"


def _reason(err: BaseException) -> str:
    return os_reason(err)


def _short(value: object, limit: int = 120) -> str:
    return middle_cut(value, limit)


# ----------------------------------------------------------------------------- interrupts


#: signals received during the current :func:`main` (a library may swallow the KeyboardInterrupt one raises)
_received: list[int] = []


def _raise_interrupt(signum, frame):  # Ctrl-C, and SIGTERM the same way: the same cleanup runs
    _received.append(signum)
    raise KeyboardInterrupt


@contextlib.contextmanager
def _interrupts_held(reraise: bool = False) -> Iterator[list[int]]:
    """Hold Ctrl-C and SIGTERM back for the block (e.g. a swap of files that must not be cut in two).

    Yields the list of signals that arrived; with ``reraise`` a held one is raised as KeyboardInterrupt
    when the block ends normally. Python runs signal handlers in the main thread only, whichever thread
    the signal hit, so swapping the handlers (rather than masking signals) holds them reliably; outside
    the main thread nothing can be swapped and the block runs as is.
    """
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return
    held = {}
    try:
        for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
            if sig is None:
                continue
            old = signal.getsignal(sig)
            if old is signal.SIG_IGN:
                continue
            held[sig] = old
            signal.signal(sig, lambda signum, frame: pending.append(signum))
        yield pending
    finally:
        for sig, old in held.items():
            signal.signal(sig, signal.SIG_DFL if old is None else old)
    if pending and reraise:
        raise KeyboardInterrupt


def _install_interrupt_handlers() -> Callable[[], None]:
    """SIGTERM raises KeyboardInterrupt like Ctrl-C, and both are remembered in ``_received`` (so that an
    error a library made of the interrupt still reads as one). Handlers someone else installed are kept.
    Returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    installed = {}
    for sig, default in ((signal.SIGINT, signal.default_int_handler),
                         (getattr(signal, "SIGTERM", None), signal.SIG_DFL)):
        if sig is not None and signal.getsignal(sig) is default:
            signal.signal(sig, _raise_interrupt)
            installed[sig] = default

    def undo() -> None:
        for sig, old in installed.items():
            signal.signal(sig, old)

    return undo


# ----------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 user error, 130 interrupted)."""
    restore = lambda: None  # noqa: E731
    _received.clear()
    try:
        restore = _install_interrupt_handlers()
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM, at any moment (the TensorFlow import included)
        return _interrupted()
    except Exception as err:
        # an extension hit by Ctrl-C while TensorFlow is imported may raise "ImportError: initialization
        # failed" (caused by the KeyboardInterrupt) or even a bare TypeError (the interrupt swallowed)
        if _received or _from_interrupt(err):
            return _interrupted()
        raise
    finally:
        restore()


def _interrupted() -> int:
    with contextlib.suppress(OSError, ValueError):
        print(INTERRUPTED, file=sys.stderr, flush=True)
    return INTERRUPT_EXIT


def _from_interrupt(err: BaseException) -> bool:
    """True when ``err`` was raised because of a KeyboardInterrupt (its cause or context, transitively)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def _main(argv: list[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error already printed in one line (2)
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else USAGE_EXIT)
    try:
        if args.command == "edges":
            return _edges(args)
        if args.command == "train-digits":
            return _train_digits(args)
    except (ValueError, OSError, MemoryError) as err:
        if _received or _from_interrupt(err):  # a Ctrl-C that a library turned into another error
            raise KeyboardInterrupt from None
        _error(args.command, _message(err))
        return USAGE_EXIT
    return 0


def _message(err: BaseException) -> str:
    if isinstance(err, MemoryError):
        return "out of memory; use a smaller image or fewer --steps"
    if isinstance(err, OSError):  # the machine: a file system refusing, a full disk …
        where = f"{_short(err.filename)}: " if getattr(err, "filename", None) else ""
        return f"{where}{_reason(err)}"
    return _one_line(err)  # ValueError, incl. snnlib.images.ImageError: a user mistake, said in one line


def _error(command: str, message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(f"{_PROG} {command}: error: {message}", file=sys.stderr, flush=True)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


__all__ = ["main"]
