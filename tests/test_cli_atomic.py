"""`python -m snnlib edges` writes its three files all or none: whatever fails or is interrupted while
writing, the folder holds the previous set (or nothing), never a mix and never a `.partial-*` folder."""

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.figure
import pytest
from PIL import Image

import snnlib.images
from snnlib.cli import main

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["ok_edges.png", "ok_original.png", "ok_side_by_side.png"]


@pytest.fixture
def previous(tmp_path):
    """An output folder holding the files of an earlier run (marked, so that we see if they change)."""
    out = tmp_path / "o"
    out.mkdir()
    for name in NAMES:
        (out / name).write_bytes(b"previous " + name.encode())
    return out


def _unchanged(out):
    assert sorted(os.listdir(out)) == NAMES  # no .partial-*, no backups, nothing new
    for name in NAMES:
        assert (out / name).read_bytes() == b"previous " + name.encode()


def _run(photo, out, capsys):
    code = main(["edges", str(photo), "--out", str(out), "--steps", "2"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err.strip().splitlines(), captured.out


def test_a_run_replaces_the_previous_set_and_says_so(photo, previous, capsys):
    code, err, out = _run(photo, previous, capsys)
    assert code == 0
    assert [line for line in err if "replacing" in line] == [
        f"[snnlib] replacing {previous / n}" for n in ("ok_original.png", "ok_edges.png", "ok_side_by_side.png")]
    assert sorted(os.listdir(previous)) == NAMES
    assert out.split() == [str(previous / n) for n in ("ok_original.png", "ok_edges.png", "ok_side_by_side.png")]
    for name in NAMES:
        assert Image.open(previous / name).size[0] > 0  # real PNGs now


def test_same_stem_other_suffix_is_reported(photo, tmp_path, capsys):
    out = tmp_path / "o"
    assert _run(photo, out, capsys)[0] == 0
    jpg = tmp_path / "ok.jpg"
    Image.open(photo).convert("RGB").save(jpg)
    code, err, _ = _run(jpg, out, capsys)
    assert code == 0 and sum("replacing" in line for line in err) == 3


def test_disk_full_while_writing_the_third_file(photo, previous, capsys, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    code, err, out = _run(photo, previous, capsys)
    assert code == 2 and out == ""
    errors = [line for line in err if "error" in line]
    assert len(errors) == 1 and errors == err[-1:] and "no space left on the disk" in errors[0]
    assert "nothing written" in errors[0]
    _unchanged(previous)


def test_disk_full_into_an_empty_folder_leaves_nothing(photo, tmp_path, capsys, monkeypatch):
    real = snnlib.images.save_png
    calls = []

    def save(img, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(img, path)

    monkeypatch.setattr(snnlib.images, "save_png", save)
    out = tmp_path / "new" / "o"
    code, err, _ = _run(photo, out, capsys)
    assert code == 2 and "no space left" in err[-1]
    assert not (tmp_path / "new").exists()  # the folders made for the run are gone again


def test_interrupt_while_writing_keeps_the_previous_set(photo, previous, capsys, monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
    code, err, _ = _run(photo, previous, capsys)
    assert code == 130 and err[-1] == "interrupted; nothing written"
    _unchanged(previous)


def test_failure_in_the_middle_of_the_swap_is_undone(photo, previous, capsys, monkeypatch):
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 4:  # old edges moved to the backup, new original in place: then the disk refuses
            raise OSError(errno.EIO, "Input/output error", str(src))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code, err, _ = _run(photo, previous, capsys)
    assert calls[:3] == [("ok_original.png", "ok_original.png.previous"), ("ok_original.png", "ok_original.png"),
                         ("ok_edges.png", "ok_edges.png.previous")]
    assert code == 2 and "Input/output error" in err[-1] and "the folder is as it was" in err[-1]
    _unchanged(previous)


def test_interrupt_during_the_swap_is_held_until_the_set_is_complete(photo, previous, capsys, monkeypatch):
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between two renames
            time.sleep(0.05)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code, err, out = _run(photo, previous, capsys)
    assert len(calls) == 6  # all three swapped
    assert code == 130 and err[-1] == "interrupted; the files above were written completely"
    assert len(out.split()) == 3 and sorted(os.listdir(previous)) == NAMES
    for name in NAMES:
        assert not (previous / name).read_bytes().startswith(b"previous")


def _start(args, tmp_path, script=None):
    cmd = [sys.executable, "-c", script, *args] if script else [sys.executable, "-m", "snnlib", *args]
    # a child inherits an ignored SIGINT (tests started in the background): give it back its Ctrl-C
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if ignored else None)


def _wait_for(proc, marker, timeout=120):
    """Read stderr lines until one contains ``marker``; return the lines read."""
    lines, t0 = [], time.monotonic()
    while time.monotonic() - t0 < timeout:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    proc.kill()
    raise AssertionError(f"{marker!r} never appeared: {lines}")


SLOW_WRITER = """
import sys, time, types
import numpy as np
import snnlib.images as images
from snnlib.cli import main

class Extractor:  # the pipeline stood in for (this test is about writing; it spares TensorFlow's import)
    def __init__(self, image, **kwargs):
        self.image = image
    def run(self, **kwargs):
        return types.SimpleNamespace(original=self.image, edges=1 - self.image, output_spikes=0, params={})

sys.modules["snnlib.edges"] = types.SimpleNamespace(EdgeExtractor=Extractor)
real = images.save_png
def save(img, path):
    real(img, path)
    if path.name.endswith("_edges.png"):  # two of three files written into the .partial folder
        print("[test] written", path.name, file=sys.stderr, flush=True)
        time.sleep(60)
images.save_png = save
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_while_writing(photo, previous):
    proc = _start(["edges", str(photo), "--out", str(previous), "--steps", "2"], previous, SLOW_WRITER)
    _wait_for(proc, "[test] written")
    assert any(n.startswith(".partial-") for n in os.listdir(previous))  # really in the middle of writing
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["interrupted; nothing written"] and "Traceback" not in err
    _unchanged(previous)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_while_tensorflow_is_imported(photo, tmp_path, sig):
    out = tmp_path / "new"
    proc = _start(["edges", str(photo), "--out", str(out), "--steps", "2"], tmp_path)
    _wait_for(proc, "[snnlib] encoding")  # printed just before `import tensorflow`, which takes seconds
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["interrupted; nothing written"] and "Traceback" not in err
    assert not out.exists()  # the folder made for this run is removed again
