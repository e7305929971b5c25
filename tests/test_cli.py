"""`python -m snnlib edges` end to end, and every bad-input case: one line on stderr, exit 2, nothing written."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from snnlib.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def photo(tmp_path):
    img = (np.add.outer(np.arange(40), np.arange(48)) % 20 < 10).astype(np.uint8) * 200 + 20
    path = tmp_path / "stripes.png"
    Image.fromarray(img).save(path)
    return path


def test_end_to_end_in_a_subprocess(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "snnlib", "edges", str(ROOT / "data" / "MHW.jpg"), "--out", str(out),
         "--steps", "8"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.split()
    assert [Path(p).name for p in printed] == ["MHW_original.png", "MHW_edges.png", "MHW_side_by_side.png"]
    for p in printed:
        assert Image.open(p).size[0] > 0
    assert Image.open(out / "MHW_edges.png").size == (512, 600)
    assert "[snnlib]" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(x.name for x in out.iterdir()) == sorted(Path(p).name for p in printed)  # no leftovers


def test_options_are_used(photo, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["edges", str(photo), "--out", str(out), "--tau", "3", "--threshold", "0.3", "--steps", "8",
                 "--kernel", "dog", "--device", "hfox", "--seed", "4", "--encoding", "deterministic"]) == 0
    edges = np.asarray(Image.open(out / "stripes_edges.png"))
    assert edges.shape == (40, 48) and edges.max() == 255


def _bad(tmp_path, args, capsys):
    out = tmp_path / "never"
    code = main(["edges", *args, "--out", str(out)]) if "--out" not in args else main(["edges", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "error" in err[0], err
    assert not out.exists() or not any(out.iterdir())
    return err[0]


def test_missing_file(tmp_path, capsys):
    assert "no such file" in _bad(tmp_path, [str(tmp_path / "nope.jpg")], capsys)


def test_not_an_image(tmp_path, capsys):
    p = tmp_path / "notes.jpg"
    p.write_text("this is text, not a photo")
    assert "not an image" in _bad(tmp_path, [str(p)], capsys).lower()


def test_empty_file(tmp_path, capsys):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    assert "empty" in _bad(tmp_path, [str(p)], capsys)


def test_truncated_file(tmp_path, capsys):
    p = tmp_path / "cut.jpg"
    p.write_bytes((ROOT / "data" / "MHW.jpg").read_bytes()[:4000])
    assert "truncated" in _bad(tmp_path, [str(p)], capsys)


@pytest.mark.parametrize("args,word", [
    (["--tau", "0"], "tau"), (["--tau", "-3"], "tau"), (["--tau", "nan"], "tau"),
    (["--threshold", "0"], "threshold"), (["--steps", "0"], "steps"), (["--steps", "100000"], "steps"),
    (["--seed", "-1"], "seed"), (["--kernel", "canny"], "kernel"), (["--device", "graphene"], "device"),
    (["--tau", "fast"], "tau"),
])
def test_parameters_out_of_range(photo, tmp_path, capsys, args, word):
    assert word in _bad(tmp_path, [str(photo), *args], capsys)


def test_out_is_a_file(photo, tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    main(["edges", str(photo), "--out", str(f)])
    assert "not a folder" in capsys.readouterr().err
    assert f.read_text() == "x"


def test_large_photo_is_scaled_down_with_a_message(tmp_path, capsys):
    big = tmp_path / "big.png"
    Image.fromarray((np.indices((1100, 1300)).sum(axis=0) % 40 < 20).astype(np.uint8) * 255).save(big)
    assert main(["edges", str(big), "--out", str(tmp_path / "o"), "--steps", "2"]) == 0
    assert "scaled down to 1024×866 px" in capsys.readouterr().err
    assert Image.open(tmp_path / "o" / "big_edges.png").size == (1024, 866)


def test_defaults_are_the_pipelines():
    # -h needs no TensorFlow, so the command line repeats snnlib.edges' defaults: they must agree
    from snnlib import edges
    from snnlib.cli import _parser

    args = _parser().parse_args(["edges", "x.jpg"])
    assert (args.device, args.encoding, args.steps) == (edges.DEFAULT_DEVICE, edges.DEFAULT_ENCODING,
                                                        edges.DEFAULT_STEPS) == ("hfox", "deterministic", 32)
