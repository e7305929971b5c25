"""snnlib.data: the course photo from anywhere, the known-edges image bit for bit, a fixed stratified digits split."""

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snnlib import data
from snnlib.data import DigitsSplit, course_photo, load_digits_split, synthetic_shapes

ROOT = Path(__file__).resolve().parents[1]
PHOTO_SHA256 = "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130"  # data/README.md


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


# --------------------------------------------------------------------------- the course photo
def test_course_photo_is_the_absolute_path_of_the_checkout_s_photo():
    path = course_photo()
    assert isinstance(path, Path) and path.is_absolute()
    assert path == ROOT / "data" / "MHW.jpg"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PHOTO_SHA256


def test_course_photo_works_from_another_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = course_photo()
    assert path == ROOT / "data" / "MHW.jpg" and path.is_file()
    from snnlib.images import load_image

    assert load_image(path).shape == (600, 512)  # the 512 × 600 px portrait, [H, W]


def test_course_photo_from_a_notebook_folder_in_a_fresh_process():
    out = subprocess.run([sys.executable, "-c", "from snnlib.data import course_photo; print(course_photo())"],
                         cwd=ROOT / "notebooks", capture_output=True, text=True, timeout=120, check=True)
    assert Path(out.stdout.strip()) == ROOT / "data" / "MHW.jpg"


def test_a_missing_course_photo_says_where_it_looked_and_what_to_do(tmp_path, monkeypatch):
    gone = tmp_path / "site-packages" / "data" / "MHW.jpg"  # as in an installed wheel: no data/ folder
    monkeypatch.setattr(data, "_PHOTO", gone)
    with pytest.raises(FileNotFoundError) as err:
        course_photo()
    message = str(err.value)
    assert str(gone) in message
    assert "load_image('path/to/photo.jpg')" in message and "wheel" in message


# --------------------------------------------------------------------------- synthetic_shapes
# SHA-256 of the image (float64) and truth (bool) bytes, recorded from snnlib.edges.synthetic_shapes before
# it moved to snnlib.data: the move must not change a bit
SHAPES_GOLDEN = [
    ((96,), {}, "6bdd108af13adf0739a76dc02374db6d40f8bf40ed2e08d97cf194813c7d8aea",
     "4b549ba631f186fa9f5ac6325e5d394cbf5b3a13ef8f5521901b786303fbcf23", 688),
    ((64,), {"noise": 0.05, "seed": 3}, "af5bb26dc1501bfe566237ccd78c143f4a92c884b6febe3109f985566b865174",
     "59378a8ad7f191709040352d3c1dd9318302b7649ad56c9cd12fd0eb52b971e2", 450),
    ((40,), {"noise": 0.1, "contrast": 0.3, "seed": 7},
     "4009a309583b1031b9877cb7b8b35734430664f60f4192594621dc10c2d4548b",
     "7431674b9db5691f59b0717634546e601563959199d02d5cdbdc6cb603ffd42d", 272),
]


@pytest.mark.parametrize("args, kwargs, image_sha, truth_sha, n_edges", SHAPES_GOLDEN)
def test_synthetic_shapes_is_unchanged_bit_for_bit(args, kwargs, image_sha, truth_sha, n_edges):
    image, truth = synthetic_shapes(*args, **kwargs)
    assert image.dtype == np.float64 and truth.dtype == bool and image.shape == truth.shape == (args[0],) * 2
    assert int(truth.sum()) == n_edges
    assert _sha(image) == image_sha and _sha(truth) == truth_sha


def test_synthetic_shapes_levels_and_edges():
    image, truth = synthetic_shapes(64, contrast=0.4)
    # noise-free: the background and the three shapes, at 0.5, 0.5 ± contrast and 0.5 + 0.6 contrast
    np.testing.assert_allclose(np.unique(image), [0.1, 0.5, 0.74, 0.9])
    assert image[0, 0] == 0.5 and not truth[0, 0]
    # an edge pixel is one whose 4-neighbourhood holds another level, and only those
    grey = np.pad(image, 1, mode="edge")
    differs = ((grey[1:-1, 1:-1] != grey[:-2, 1:-1]) | (grey[1:-1, 1:-1] != grey[2:, 1:-1])
               | (grey[1:-1, 1:-1] != grey[1:-1, :-2]) | (grey[1:-1, 1:-1] != grey[1:-1, 2:]))
    np.testing.assert_array_equal(truth, differs)
    noisy, _ = synthetic_shapes(64, noise=0.3, seed=1)
    assert noisy.min() == 0.0 and noisy.max() == 1.0  # clipped into [0, 1]


def test_synthetic_shapes_is_still_importable_from_edges():
    from snnlib import edges

    assert edges.synthetic_shapes is synthetic_shapes


@pytest.mark.parametrize("kwargs, word", [({"size": 8}, "size"), ({"noise": -0.1}, "noise"),
                                          ({"contrast": 0.7}, "contrast")])
def test_synthetic_shapes_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        synthetic_shapes(**kwargs)


# --------------------------------------------------------------------------- digits
@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def test_digits_split_shapes_types_and_range(digits):
    assert isinstance(digits, DigitsSplit)
    x_train, y_train, x_test, y_test = digits  # unpacks in this order
    assert x_train.shape == (1347, 8, 8) and x_test.shape == (450, 8, 8)
    assert y_train.shape == (1347,) and y_test.shape == (450,)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    for x in (x_train, x_test):
        assert x.min() == 0.0 and x.max() == 1.0
        np.testing.assert_array_equal(x * 16, np.round(x * 16))  # the 0…16 counts / 16, exactly
    assert set(np.unique(y_train)) == set(np.unique(y_test)) == set(range(10))


def test_digits_split_is_the_whole_data_set_once():
    from sklearn.datasets import load_digits

    raw = load_digits()
    d = load_digits_split()
    images = np.concatenate([d.x_train, d.x_test]) * 16
    labels = np.concatenate([d.y_train, d.y_test])
    assert images.shape[0] == raw.images.shape[0] == 1797
    # every original image appears exactly once, with its label
    key = lambda imgs, ys: sorted(zip(map(bytes, imgs.astype(np.uint8).reshape(len(ys), -1)), ys.tolist()))  # noqa: E731
    assert key(images, labels) == key(raw.images, raw.target)


def test_digits_split_is_stratified(digits):
    n_class = np.bincount(np.concatenate([digits.y_train, digits.y_test]))
    n_test = np.bincount(digits.y_test, minlength=10)
    np.testing.assert_array_equal(n_class, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # round(0.25 · n_c) of every class, round half to even: 178 · 0.25 = 44.5 -> 44, 174 · 0.25 = 43.5 -> 44
    np.testing.assert_array_equal(n_test, [44, 46, 44, 46, 45, 46, 45, 45, 44, 45])
    assert np.all(np.abs(n_test / n_class - 0.25) <= 0.5 / n_class + 1e-12)


def test_digits_split_is_deterministic_and_follows_the_seed(digits):
    again = load_digits_split(seed=0)
    for a, b in zip(digits, again):
        np.testing.assert_array_equal(a, b)
    other = load_digits_split(seed=1)
    assert not np.array_equal(other.x_test, digits.x_test)
    np.testing.assert_array_equal(np.bincount(other.y_test), np.bincount(digits.y_test))  # still stratified
    # the same split in a fresh process
    code = ("import hashlib; from snnlib.data import load_digits_split; d = load_digits_split(); "
            "print(hashlib.sha256(d.x_test.tobytes() + d.y_test.tobytes()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == hashlib.sha256(digits.x_test.tobytes() + digits.y_test.tobytes()).hexdigest()


def test_digits_split_other_sizes():
    d = load_digits_split(test_size=0.5, seed=3)
    assert abs(d.x_test.shape[0] - 1797 / 2) <= 5 and d.x_train.shape[0] + d.x_test.shape[0] == 1797


@pytest.mark.parametrize("kwargs, words", [
    ({"test_size": 0.0}, "test_size must be a finite number > 0"),
    ({"test_size": 1.0}, r"test_size must be a fraction in \(0, 1\)"),
    ({"test_size": 0.001}, "leaves digit 0 .* with 0 test images"),
    ({"test_size": 0.999}, "at least one image of every class in each set"),
    ({"seed": -1}, "seed must be an integer"),
    ({"seed": 1.5}, "seed must be an integer"),
])
def test_digits_split_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        load_digits_split(**kwargs)


def test_importing_data_needs_neither_tensorflow_nor_sklearn():
    code = "import sys, snnlib.data; print('tensorflow' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False False"
