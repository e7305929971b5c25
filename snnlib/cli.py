"""Command line: ``python -m snnlib edges IMAGE --out DIR [options]``.

Writes ``<name>_original.png``, ``<name>_edges.png`` and ``<name>_side_by_side.png``
into DIR and prints their paths. Progress goes to stderr. A user mistake (missing
or unreadable image, a parameter out of range) prints one line on stderr and
exits with status 2; nothing is written unless every file could be made.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

USAGE_EXIT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(USAGE_EXIT)


def _parser() -> argparse.ArgumentParser:
    from snnlib.edges import ENCODINGS, KERNELS
    from snnlib.memristor import PRESETS

    p = _Parser(prog="python -m snnlib", description="Spiking-network tools of the snnlib course.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    e = sub.add_parser("edges", help="extract edges from a photo with a memristive LIF network",
                       description="Extract the edge feature map of an image with a spiking network whose "
                                   "synapses are memristor conductances and whose neurons are LIF.")
    e.add_argument("image", help="path of the photo (any format Pillow reads), e.g. data/MHW.jpg")
    e.add_argument("--out", default="results", help="output folder (default: results/)")
    e.add_argument("--tau", type=float, default=5.0, help="membrane time constant in ms (default 5)")
    e.add_argument("--threshold", type=float, default=0.5, help="firing threshold (default 0.5)")
    e.add_argument("--steps", type=int, default=32, help="time steps T, 1 ms each (default 32)")
    e.add_argument("--kernel", default="sobel", choices=KERNELS, help="edge kernel (default sobel)")
    e.add_argument("--encoding", default="rate", choices=ENCODINGS, help="spike code (default rate)")
    e.add_argument("--device", default="ideal", choices=sorted(PRESETS), help="memristor device preset")
    e.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return p


def _edges(args: argparse.Namespace) -> int:
    from snnlib import _checks
    from snnlib.edges import MAX_STEPS, EdgeExtractor, check_run_args
    from snnlib.images import load_image_info, save_png
    from snnlib.plots import side_by_side

    # every check before any work or output: a mistake costs one line and nothing else
    check_run_args(args.tau, args.threshold)
    if not 1 <= args.steps <= MAX_STEPS:
        raise ValueError(f"--steps must be between 1 and {MAX_STEPS}, got {args.steps}")
    _checks.seed_value("--seed", args.seed)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder; choose another output folder")
    t0 = time.perf_counter()
    image, info = load_image_info(args.image)
    if info.downscaled:
        (h0, w0), (h1, w1) = info.original_shape, info.shape
        _progress(f"{args.image} is {w0}×{h0} px: scaled down to {w1}×{h1} px (long side at most 1024 px)")

    _progress(f"encoding {args.image} ({args.steps} steps, {args.encoding} code) and programming the crossbar")
    ex = EdgeExtractor(image, steps=args.steps, kernel=args.kernel, encoding=args.encoding,
                       device=args.device, seed=args.seed)
    h, w = ex.image.shape
    _progress(f"crossbar currents ready for {h}×{w} px ({time.perf_counter() - t0:.1f} s); running LIF neurons")
    result = ex.run(tau=args.tau, threshold=args.threshold)
    _progress(f"{result.output_spikes} LIF spikes ({time.perf_counter() - t0:.1f} s); writing images")

    stem = Path(args.image).stem
    names = [f"{stem}_original.png", f"{stem}_edges.png", f"{stem}_side_by_side.png"]
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".partial-") as tmp:
        tmp = Path(tmp)
        save_png(result.original, tmp / names[0])
        save_png(result.edges, tmp / names[1])
        fig = side_by_side(result)
        fig.savefig(tmp / names[2], dpi=100, bbox_inches="tight")
        for name in names:
            os.replace(tmp / name, out / name)
    for name in names:
        print(out / name)
    return 0


def _progress(message: str) -> None:
    print(f"[snnlib] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 user error)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error already printed in one line (2)
        return int(exit_.code or 0)
    try:
        if args.command == "edges":
            return _edges(args)
    except ValueError as err:  # includes snnlib.images.ImageError: a user mistake, said in one line
        print(f"python -m snnlib {args.command}: error: {err}", file=sys.stderr)
        return USAGE_EXIT
    except KeyboardInterrupt:
        print("interrupted; nothing written", file=sys.stderr)
        return 130
    return 0


__all__ = ["main"]
