"""`python -m snnlib edges`: every failure a user can cause on the input or the output side is one line on
stderr and exit status 2, found before the image is decoded (and so before TensorFlow is imported)."""

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image

import snnlib.images
from snnlib import cli
from snnlib.cli import main

ROOT = Path(__file__).resolve().parents[1]
LONG = "n" * 300  # longer than the 255 bytes a file name may have


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if the CLI gets as far as decoding the image."""
    def decode(*args, **kwargs):
        raise AssertionError("the image was decoded although a check should have stopped the run first")
    monkeypatch.setattr(snnlib.images, "load_image_info", decode)


def _fails(args, capsys):
    """Run the CLI in-process; it must exit 2 with exactly one line on stderr. Returns that line."""
    code = main(["edges", *args])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in captured.err, lines
    assert captured.out == ""
    return lines[0]


def _entries(folder):
    return sorted(os.listdir(folder))


# --------------------------------------------------------------------------- the output side
def test_out_below_a_regular_file(photo, tmp_path, capsys, no_decoding):
    f = tmp_path / "file"
    f.write_text("x")
    line = _fails([str(photo), "--out", str(f / "sub")], capsys)
    assert "is a file, not a folder" in line and "--out" in line
    assert f.read_text() == "x"


def test_out_is_a_dangling_symlink(photo, tmp_path, capsys, no_decoding):
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "gone")
    line = _fails([str(photo), "--out", str(link)], capsys)
    assert "symbolic link" in line and "does not exist" in line
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_out_through_a_symlink_loop(photo, tmp_path, capsys, no_decoding):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert "symbolic links" in _fails([str(photo), "--out", str(tmp_path / "a" / "x")], capsys)


@pytest.mark.parametrize("where", ["last", "middle"])
def test_out_with_an_over_long_name(photo, tmp_path, capsys, no_decoding, where):
    out = tmp_path / LONG if where == "last" else tmp_path / LONG / "x"
    line = _fails([str(photo), "--out", str(out)], capsys)
    assert "too long" in line and "255" in line
    assert len(line) < 400  # the path is shortened in the message
    assert _entries(tmp_path) == ["ok.png"]


def test_out_empty(photo, capsys, no_decoding):
    assert "--out is empty" in _fails([str(photo), "--out", ""], capsys)


def test_out_not_writable(photo, tmp_path, capsys, monkeypatch, no_decoding):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:  # root writes through any mode bits: make the probe meet the kernel's refusal instead
        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")
        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        line = _fails([str(photo), "--out", str(ro)], capsys)
        assert "cannot write there (permission denied)" in line
        assert _entries(ro) == []
    finally:
        ro.chmod(0o755)


def test_out_not_creatable(photo, tmp_path, capsys, monkeypatch, no_decoding):
    parent = tmp_path / "ro"
    parent.mkdir()
    made = []
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):  # the second level cannot be made: the first one is removed again
        if Path(path).name == "b":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        made.append(Path(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    line = _fails([str(photo), "--out", str(parent / "a" / "b")], capsys)
    assert "cannot make the folder" in line and "permission denied" in line
    assert made == [parent / "a"] and _entries(parent) == []


def test_out_an_existing_folder_where_an_output_file_goes(photo, tmp_path, capsys, no_decoding):
    (tmp_path / "o" / "ok_edges.png").mkdir(parents=True)
    assert "is a folder" in _fails([str(photo), "--out", str(tmp_path / "o")], capsys)


def test_out_disk_full_before_the_work(photo, tmp_path, capsys, monkeypatch, no_decoding):
    monkeypatch.setattr(cli.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(1 << 30, 1 << 30, 4096))
    assert "only 4 KB free" in _fails([str(photo), "--out", str(tmp_path / "o")], capsys)
    assert not (tmp_path / "o").exists()  # the folder made for this run is removed again


def test_output_name_too_long(tmp_path, capsys, no_decoding):
    photo = tmp_path / ("p" * 245 + ".png")  # a valid name, but NAME_side_by_side.png would be 262 bytes
    Image.new("L", (8, 8)).save(photo)
    line = _fails([str(photo), "--out", str(tmp_path / "o")], capsys)
    assert "would be 262 bytes long" in line and "shorter name" in line
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- the input side
def test_image_path_empty(tmp_path, capsys):
    line = _fails(["", "--out", str(tmp_path / "o")], capsys)
    assert "image path is empty" in line
    assert not (tmp_path / "o").exists()


def test_image_is_a_symlink_loop(tmp_path, capsys):
    (tmp_path / "x.png").symlink_to(tmp_path / "y.png")
    (tmp_path / "y.png").symlink_to(tmp_path / "x.png")
    assert "symbolic links" in _fails([str(tmp_path / "x.png"), "--out", str(tmp_path / "o")], capsys)


def test_image_is_a_dangling_symlink(tmp_path, capsys):
    (tmp_path / "x.png").symlink_to(tmp_path / "gone.png")
    line = _fails([str(tmp_path / "x.png"), "--out", str(tmp_path / "o")], capsys)
    assert "symbolic link" in line and "does not exist" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_image_is_a_fifo(tmp_path, capsys):  # opening it would block forever
    os.mkfifo(tmp_path / "pipe.png")
    assert "named pipe (FIFO)" in _fails([str(tmp_path / "pipe.png"), "--out", str(tmp_path / "o")], capsys)


@pytest.mark.skipif(not os.path.exists("/dev/urandom"), reason="no /dev/urandom on this system")
def test_image_is_a_device(tmp_path, capsys):  # reading it would never end
    assert "is a device" in _fails(["/dev/urandom", "--out", str(tmp_path / "o")], capsys)


def test_image_path_with_an_over_long_name(tmp_path, capsys):
    line = _fails([str(tmp_path / (LONG + ".png")), "--out", str(tmp_path / "o")], capsys)
    assert "too long" in line


def test_image_below_a_regular_file(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert "no such file" in _fails([str(tmp_path / "f" / "x.png"), "--out", str(tmp_path / "o")], capsys)


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("args,flag", [
    (["--seed", str(2**63)], "--seed"), (["--seed", "-1"], "--seed"), (["--tau", "-1"], "--tau"),
    (["--tau", "inf"], "--tau"), (["--threshold", "1e39"], "--threshold"), (["--steps", "257"], "--steps"),
])
def test_arguments_are_named_by_their_flag_and_checked_first(tmp_path, capsys, no_decoding, args, flag):
    out = tmp_path / "o"
    line = _fails(["does-not-exist.png", "--out", str(out), *args], capsys)  # the argument, not the file
    assert line.split("error: ", 1)[1].startswith(flag), line
    assert not out.exists()


def test_out_is_checked_before_the_image_is_decoded(tmp_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("not an image")  # would fail when decoded
    (tmp_path / "f").write_text("x")
    assert "--out" in _fails([str(text), "--out", str(tmp_path / "f" / "sub")], capsys)


def test_help_and_early_errors_do_not_import_tensorflow(photo, tmp_path):
    """-h, a bad argument and a bad --out answer without TensorFlow (and so in a fraction of a second)."""
    (tmp_path / "f").write_text("x")
    code = (
        "import sys, contextlib, io\n"
        "import snnlib, snnlib.cli as c\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    codes = [c.main(['-h']), c.main(['edges', 'x.png', '--tau', '-1']),\n"
        f"             c.main(['edges', {str(photo)!r}, '--out', {str(tmp_path / 'f' / 'sub')!r}])]\n"
        "assert 'usage:' in out.getvalue()\n"
        "print(codes, 'tensorflow' in sys.modules, sorted(set(dir(snnlib)) & {'LIFCell', 'extract_edges'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == "[0, 2, 2] False ['LIFCell', 'extract_edges']"
    assert len(proc.stderr.strip().splitlines()) == 2  # one line for each of the two errors
    # the real entry point: -X importtime lists every module imported
    for args, status in ((["-h"], 0), (["edges", "x.png", "--tau", "-1"], 2)):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "snnlib", *args], capture_output=True,
                              text=True, timeout=60, cwd=ROOT)
        assert proc.returncode == status and ("usage: python -m snnlib" in proc.stdout) == (status == 0)
        assert "snnlib.cli" in proc.stderr and "tensorflow" not in proc.stderr


def test_lazy_package_names():
    import snnlib
    from snnlib.neurons import LIFCell

    assert snnlib.LIFCell is LIFCell and snnlib.neurons.LIFCell is LIFCell
    assert {"LIFCell", "EdgeExtractor", "PRESETS", "__version__", "edges"} <= set(dir(snnlib))
    assert snnlib.__version__ == "0.1.0"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        snnlib.nope  # noqa: B018
    assert os.environ.get("TF_CPP_MIN_LOG_LEVEL") and os.environ.get("TF_ENABLE_ONEDNN_OPTS")
