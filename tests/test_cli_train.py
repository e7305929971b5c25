"""`python -m snnlib train-digits`: a tiny end-to-end run, the saved model, and one-line errors for bad arguments."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snnlib.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--epochs", "3", "--hidden", "32", "--steps", "8"]


def test_train_digits_tiny_run_saves_the_model(tmp_path, capsys):
    import keras

    from snnlib import learning

    out = tmp_path / "digits.keras"
    assert main(["train-digits", *TINY, "--seed", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("test accuracy: ideal "), lines
    assert "on chip hfox (seed 0)" in lines[0]
    ideal = float(lines[0].split("ideal ")[1].split(" %")[0])
    assert 60.0 < ideal <= 100.0, lines                            # 3 epochs of 32 neurons
    assert "epoch 3/3" in captured.err and "Traceback" not in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits.keras"]   # no temporary file left
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()
    model = keras.saving.load_model(out)
    assert model.input_shape == (None, 8, 64) and learning.lif_layer(model).units == 32
    x = learning.encode_digits(np.zeros((2, 8, 8)), 8)
    assert model.predict(x, verbose=0).shape == (2, 10)


def test_train_digits_hardware_aware_replaces_the_file(tmp_path, capsys):
    out = tmp_path / "m.keras"
    out.write_text("old")
    assert main(["train-digits", "--epochs", "1", "--finetune-epochs", "1", "--hidden", "8", "--steps", "4",
                 "--hardware-aware", "--device", "ag_si", "--chip-seed", "3", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "on chip ag_si (seed 3)" in captured.out and "hardware-aware" in captured.out
    assert "fine-tuning" in captured.err and f"replacing {out}" in captured.err
    assert out.read_bytes()[:2] == b"PK"                           # a .keras file is a zip archive


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def _bad(args, capsys):
    code = main(["train-digits", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "error" in err[0], err
    return err[0]


@pytest.mark.parametrize("args, match", [
    (["--epochs", "0"], "--epochs"),
    (["--epochs", "x"], "invalid int"),
    (["--finetune-epochs", "-1"], "--finetune-epochs"),
    (["--steps", "26"], "--steps"),
    (["--hidden", "0"], "--hidden"),
    (["--seed", "-1"], "--seed"),
    (["--chip-seed", str(2**63)], "--chip-seed"),
    (["--device", "nope"], "invalid choice"),
    (["--ideal", "--hardware-aware"], "not allowed"),
    (["--out", ""], "--out is empty"),
    (["--out", "model.h5"], "must end in .keras"),
    (["--bogus"], "unrecognized"),
])
def test_bad_arguments_one_line(args, match, capsys):
    assert match in _bad(args, capsys)


def test_bad_out_paths_fail_before_training(tmp_path, capsys):
    assert "does not exist" in _bad(["--out", str(tmp_path / "no" / "m.keras")], capsys)
    (tmp_path / "d.keras").mkdir()
    assert "is a folder" in _bad(["--out", str(tmp_path / "d.keras")], capsys)
    (tmp_path / "file").write_text("")
    assert "not a folder" in _bad(["--out", str(tmp_path / "file" / "m.keras")], capsys)
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            assert "cannot write" in _bad(["--out", str(ro / "m.keras")], capsys)
        finally:
            ro.chmod(0o700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.keras", "file", "ro"][: 3 if os.geteuid() else 2]


def test_help_answers_without_tensorflow():
    proc = subprocess.run([sys.executable, "-c", "import sys; from snnlib.cli import main; "
                           "code = main(['train-digits', '--steps', '0']); "
                           "print('tensorflow' in sys.modules, code)"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.stdout.split() == ["False", "2"], proc.stdout + proc.stderr
    assert "--steps" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "snnlib", "train-digits", "-h"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0 and "--hardware-aware" in proc.stdout
