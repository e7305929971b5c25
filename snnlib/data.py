"""Data the course uses: the course photo, a test image with known edges, and a small digits data set.

=============================  ===============================================================
function                       what it gives
=============================  ===============================================================
:func:`course_photo`           the absolute path of ``data/MHW.jpg``, from any working directory
:func:`synthetic_shapes`       a test image with exactly known edges, and those edges
:func:`load_digits_split`      scikit-learn's 8×8 handwritten digits, a fixed stratified split
=============================  ===============================================================

As in ``skimage.data``, the functions only *provide* data; loading a photo into
an array is :func:`snnlib.images.load_image`, e.g. ``load_image(course_photo())``.
This module imports neither TensorFlow nor scikit-learn when it is loaded (scikit-learn
only inside :func:`load_digits_split`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from snnlib import _checks

__all__ = ["course_photo", "synthetic_shapes", "load_digits_split", "DigitsSplit", "DIGITS_TEST_SIZE",
           "DIGITS_SEED"]

#: Where a checkout keeps the course photo: ``<root>/data/MHW.jpg`` beside ``<root>/snnlib/``.
_PHOTO = Path(__file__).resolve().parent.parent / "data" / "MHW.jpg"

#: Default share of each digit class that :func:`load_digits_split` holds out for testing.
DIGITS_TEST_SIZE = 0.25
#: Default seed of the split of :func:`load_digits_split`.
DIGITS_SEED = 0


# ----------------------------------------------------------------------------- the course photo
def course_photo() -> Path:
    """The absolute path of the course photo, ``data/MHW.jpg``, whatever the working directory.

    The photo is looked up next to the package (``<root>/data/MHW.jpg`` for the package
    at ``<root>/snnlib/``), so a notebook in ``notebooks/``, the command line at the root
    and a test in a temporary folder all find the same file. It is a portrait of
    Rear Admiral Grace M. Hopper (U.S. Navy photograph, public domain; see
    ``data/README.md``). Put your own photo at that path to make it the course photo.

    Returns
    -------
    pathlib.Path
        The absolute path of the file (it exists).

    Raises
    ------
    FileNotFoundError
        When the file is not there, e.g. in an installed wheel, which carries the
        package but not the repository's ``data/`` folder. The message says where it
        looked; pass the path of a photo to the functions instead.

    Examples
    --------
    >>> from snnlib.images import load_image
    >>> load_image(course_photo()).shape  # doctest: +SKIP
    (600, 512)
    """
    if not _PHOTO.is_file():
        raise FileNotFoundError(
            f"the course photo is not at {_PHOTO} (snnlib looks for data/MHW.jpg beside the snnlib package "
            "folder, as in a checkout of the repository; an installed wheel does not carry it). Pass the "
            "path of a photo instead, e.g. load_image('path/to/photo.jpg'), or put one at that path; "
            "Matplotlib ships the same photo: matplotlib.cbook.get_sample_data('grace_hopper.jpg', "
            "asfileobj=False)"
        )
    return _PHOTO


# ----------------------------------------------------------------------------- known edges
def synthetic_shapes(size: int = 96, *, noise: float = 0.0, contrast: float = 0.5,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A test image with exactly known edges: a rectangle, a disc and a triangle on a mid-grey background.

    Returns ``(image, truth)``: the image in [0, 1] with additive Gaussian noise of σ = ``noise``
    (clipped), and the boolean edge map — pixels whose 4-neighbourhood crosses a shape boundary.
    """
    size = _checks.positive_int("size", size, minimum=16)
    noise = _checks.non_negative("noise", noise)
    contrast = _checks.in_range("contrast", contrast, 0.0, 0.5)
    yy, xx = np.mgrid[0:size, 0:size] / size
    labels = np.zeros((size, size), dtype=int)
    labels[(xx > 0.1) & (xx < 0.45) & (yy > 0.12) & (yy < 0.5)] = 1
    labels[(xx - 0.7) ** 2 + (yy - 0.3) ** 2 < 0.18**2] = 2
    labels[(yy > 0.6) & (yy < 0.9) & (np.abs(xx - 0.45) < (yy - 0.6) * 0.9)] = 3
    levels = np.array([0.5, 0.5 + contrast, 0.5 - contrast, 0.5 + contrast * 0.6])
    image = levels[labels]
    if noise > 0:
        image = image + np.random.default_rng(seed).normal(0.0, noise, image.shape)
    truth = np.zeros_like(labels, dtype=bool)
    truth[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    truth[:, :-1] |= labels[:, 1:] != labels[:, :-1]
    truth[1:, :] |= labels[1:, :] != labels[:-1, :]
    truth[:-1, :] |= labels[1:, :] != labels[:-1, :]
    return np.clip(image, 0.0, 1.0), truth


# ----------------------------------------------------------------------------- digits
class DigitsSplit(NamedTuple):
    """The train/test split of :func:`load_digits_split` (unpacks in this order).

    Attributes
    ----------
    x_train, x_test : numpy.ndarray
        float32 images ``[N, 8, 8]`` in [0, 1] (the 0…16 pixel counts divided by 16, exact).
    y_train, y_test : numpy.ndarray
        int64 labels ``[N]``, the digit 0…9 each image shows.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits_split(*, test_size: float = DIGITS_TEST_SIZE, seed: int = DIGITS_SEED) -> DigitsSplit:
    r"""scikit-learn's handwritten digits (1797 images of 8×8 px), split into train and test, stratified.

    The images come from :func:`sklearn.datasets.load_digits` (shipped inside scikit-learn;
    nothing is downloaded). The split is done here, in NumPy, so that it is fixed by
    ``seed`` alone and not by a scikit-learn version:

    1. for each digit :math:`c = 0 … 9` in turn, of its :math:`n_c` images (in the data
       set's order) :math:`\mathrm{round}(\text{test\_size}\cdot n_c)` are held out for
       testing (NumPy's round half to even): the first of ``rng.permutation(n_c)``, with
       one generator ``rng = numpy.random.default_rng(seed)`` used for all classes in turn;
    2. both sets keep the data set's order (ascending index); shuffle per epoch when training.

    So every class has the same share in both sets, to within one image. With the
    defaults (``test_size=0.25``, ``seed=0``) the test set holds 450 images and the
    training set 1347.

    Parameters
    ----------
    test_size : float
        Share of each class held out for testing, in (0, 1); every class must keep at
        least one image on each side.
    seed : int
        Seed of the split (0 … 2**63 − 1). The same seed gives the same split in every
        run and process.

    Returns
    -------
    DigitsSplit
        ``(x_train, y_train, x_test, y_test)``: float32 images ``[N, 8, 8]`` in [0, 1]
        and int64 labels ``[N]``.

    Raises
    ------
    ImportError
        If scikit-learn is not installed (``pip install 'scikit-learn>=1.4,<2'``).

    References
    ----------
    E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
    Learning Repository, 1998 (doi:10.24432/C50P49); F. Pedregosa et al.,
    "Scikit-learn: Machine learning in Python", JMLR 12, 2011.

    Examples
    --------
    >>> d = load_digits_split()
    >>> d.x_train.shape, d.x_test.shape, d.x_train.dtype.name, d.y_test.dtype.name
    ((1347, 8, 8), (450, 8, 8), 'float32', 'int64')
    """
    test_size = _checks.positive("test_size", test_size)
    if test_size >= 1.0:
        raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size!r}; e.g. 0.25")
    seed = _checks.seed_value("seed", seed)
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ImportError("load_digits_split needs scikit-learn: pip install 'scikit-learn>=1.4,<2' "
                          "(it is in requirements.txt)") from err
    digits = load_digits()
    images = np.asarray(digits.images, dtype=np.float64)
    labels = np.asarray(digits.target, dtype=np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(labels.size, dtype=bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        n_test = int(np.round(test_size * members.size))
        if not 1 <= n_test <= members.size - 1:
            raise ValueError(f"test_size={test_size:g} leaves digit {c} ({members.size} images) with "
                             f"{n_test} test images; choose a test_size that keeps at least one image of "
                             "every class in each set, e.g. 0.25")
        test[members[rng.permutation(members.size)[:n_test]]] = True
    x = (images / 16.0).astype(np.float32)  # 0…16 counts → [0, 1], exactly (k/16 is a float32)
    return DigitsSplit(x_train=x[~test], y_train=labels[~test], x_test=x[test], y_test=labels[test])

