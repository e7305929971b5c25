"""Re-execute course notebooks in place, top to bottom, the way nbval will.

Usage::

    python tools/execute_notebooks.py                 # every notebook in notebooks/
    python tools/execute_notebooks.py notebooks/01_*.ipynb

(A maintainer's tool of the repository: it is not part of the installed ``snnlib`` package.)

Each notebook runs in a fresh kernel of the current Python environment, in its
own folder, with execution counts 1..n and no timing metadata, and is saved
with its outputs (but no saved widget state). The run time of each is printed, so the one-minute budget per
notebook can be checked.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place; return its wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        # no saved widget state: it would hold the explorer's image buffers (MBs of PNG) and whatever path
        # the kernel resolved; a reader of the committed notebook sees the widget's text output instead
        store_widget_state=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: all in notebooks/)")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    for path in paths:
        seconds = execute(path.resolve(), args.timeout)
        print(f"{path.name}: {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
