"""Read any photo safely as a grayscale float32 image in [0, 1], with clear errors.

:func:`load_image` accepts a path (``str`` or ``pathlib.Path``), a Pillow image, or
an array, and always returns a 2-D ``float32`` array ``[H, W]`` with values in
[0, 1]:

- colour is reduced to luma with the ITU-R BT.601 weights Pillow uses for ``"L"``,
  :math:`Y = 0.299 R + 0.587 G + 0.114 B`, computed in floating point so 16-bit
  images keep their precision;
- transparent pixels are composited **over white**
  (:math:`Y' = \\alpha Y + (1 - \\alpha)`), as a viewer shows them on a page; the
  colour under a transparent pixel is often arbitrary (black), and dropping the
  alpha channel would turn it into false edges;
- the EXIF orientation tag is applied (the transpositions of
  ``ImageOps.exif_transpose``), so a phone photo comes out the way up it was taken;
- an image whose long side exceeds ``max_size`` is downscaled with a Lanczos
  filter, keeping the aspect ratio. Nothing is printed and no warning is raised
  (notebook outputs stay clean): the ``"snnlib.images"`` logger records it at
  INFO level, and :func:`load_image_info` returns the details in an
  :class:`ImageInfo`;
- a big file is shrunk *before* it becomes floating point, so that memory stays
  bounded (a 9459×9459 RGB PNG, the largest Pillow accepts, needs under 1 GB):
  a JPEG is decoded directly at 1/2, 1/4 or 1/8 size (``Image.draft``, which also
  hands over the luma plane Y of the file's YCbCr), any other file is box-averaged
  by an integer factor at 8 or 16 bits (``Image.reduce``, with premultiplied
  alpha, so compositing over white afterwards equals compositing first), and only
  the reduced image goes through the float luma and the final Lanczos step;
- an animated GIF/PNG/WebP or a multipage TIFF gives its first frame;
  :attr:`ImageInfo.frames` says how many there were.

Every problem raises :class:`ImageError` (a ``ValueError``) with a one-line
message saying what is wrong and how to fix it. Pillow's guards stay on: the
decompression-bomb limit ``Image.MAX_IMAGE_PIXELS`` is not changed (above it,
even in Pillow's warning band, the image is refused), and
``ImageFile.LOAD_TRUNCATED_IMAGES`` stays False, so truncated files are errors.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import math
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image, UnidentifiedImageError

from snnlib._messages import middle_cut, os_reason

__all__ = ["ImageError", "ImageInfo", "load_image", "load_image_info", "check_image_path", "to_uint8", "display_scale",
           "save_png", "MIN_SIZE"]

logger = logging.getLogger(__name__)

#: Smallest accepted height and width: an edge kernel needs a 3×3 neighbourhood.
MIN_SIZE = 3

_LUMA = np.array([0.299, 0.587, 0.114])
_DEFAULT_PHOTO = "data/MHW.jpg"


class ImageError(ValueError):
    """An image that cannot be used: missing, unreadable, corrupt, too big or too small."""


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`load_image_info` did to produce the image.

    Attributes
    ----------
    source : str
        The path, or ``"<array>"`` / ``"<PIL image>"``.
    mode : str
        Pillow mode of the file (``"RGB"``, ``"I;16"``, …) or the array's dtype.
    original_shape : tuple[int, int]
        ``(H, W)`` after EXIF rotation, before downscaling.
    shape : tuple[int, int]
        ``(H, W)`` of the returned image.
    downscaled : bool
        True when the long side exceeded ``max_size``.
    exif_rotated : bool
        True when an EXIF orientation tag changed the image.
    had_alpha : bool
        True when transparency was composited over white.
    frames : int
        Number of frames (pages) in the file; only the first is used.
    """

    source: str
    mode: str
    original_shape: tuple[int, int]
    shape: tuple[int, int]
    downscaled: bool
    exif_rotated: bool
    had_alpha: bool
    frames: int = 1

    @property
    def scale(self) -> float:
        """Factor applied to the long side (1.0 when not downscaled)."""
        return max(self.shape) / max(self.original_shape)


# ----------------------------------------------------------------------------- public


def load_image(source: Any, *, max_size: int | None = 1024) -> np.ndarray:
    """Load a photo or array as a grayscale ``float32`` image ``[H, W]`` in [0, 1].

    Parameters
    ----------
    source : str, pathlib.Path, bytes, PIL.Image.Image or array_like
        A file Pillow can read (JPEG, PNG incl. 16-bit, TIFF, BMP, GIF, WebP …),
        the bytes of such a file (an upload), a Pillow image, or an array ``[H, W]``, ``[H, W, 1]``, ``[H, W, 2]``
        (gray + alpha), ``[H, W, 3]`` (RGB) or ``[H, W, 4]`` (RGBA). Arrays:
        ``uint8`` is divided by 255, ``uint16`` by 65535, other integers must lie
        in 0…255, floats and bools must lie in [0, 1].
    max_size : int or None
        Longest side allowed, in pixels (default 1024, at least 3). A larger image
        is downscaled (Lanczos) so its long side is exactly ``max_size``; the
        short side is rounded and kept >= 3. ``None`` never downscales.

    Returns
    -------
    numpy.ndarray
        float32, shape ``[H, W]``, values in [0, 1], H and W >= 3.

    Raises
    ------
    ImageError
        Missing file, a directory, an empty, non-image, truncated or corrupt file,
        a decompression bomb, an array with NaN, a wrong shape, or an image
        smaller than 3×3.

    Examples
    --------
    >>> img = load_image(np.full((4, 6, 3), 255, dtype=np.uint8))
    >>> img.shape, img.dtype, float(img.max())
    ((4, 6), dtype('float32'), 1.0)
    """
    return load_image_info(source, max_size=max_size)[0]


def load_image_info(source: Any, *, max_size: int | None = 1024) -> tuple[np.ndarray, ImageInfo]:
    """Like :func:`load_image`, but also return an :class:`ImageInfo` saying what was done.

    Examples
    --------
    >>> img, info = load_image_info(np.zeros((10, 40)), max_size=20)
    >>> img.shape, info.downscaled, info.original_shape
    ((5, 20), True, (10, 40))
    """
    max_size = _max_size(max_size)
    if isinstance(source, (str, os.PathLike)):
        name = str(source)
        path = check_image_path(source)
        d = _decode(lambda: Image.open(path), name, max_size, own=True)
    elif isinstance(source, Image.Image):
        name = "<PIL image>"
        d = _decode(lambda: contextlib.nullcontext(source), "the image", max_size, own=False)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        name = "the uploaded file"
        if len(source) == 0:
            raise ImageError(f"{name} is empty (0 bytes), not an image; choose a photo file")
        data = bytes(source)
        d = _decode(lambda: Image.open(io.BytesIO(data)), name, max_size, own=True)
    else:
        gray, mode, had_alpha = _from_array(source)
        original = (int(gray.shape[0]), int(gray.shape[1]))
        _check_size(original, "<array>")
        target = _target(original, max_size)
        d = _Decoded(_resize(gray, target), mode, original, False, had_alpha, 1)
        name = "<array>"
    gray, original = d.gray, d.original
    downscaled = max_size is not None and max(original) > max_size
    info = ImageInfo(source=name, mode=d.mode, original_shape=original, shape=(gray.shape[0], gray.shape[1]),
                     downscaled=downscaled, exif_rotated=d.rotated, had_alpha=d.had_alpha, frames=d.frames)
    if downscaled:
        logger.info("downscaled %s from %d×%d to %d×%d pixels (max_size=%d)",
                    name, original[1], original[0], gray.shape[1], gray.shape[0], max_size)
    return gray, info


def check_image_path(source: str | os.PathLike) -> Path:
    """Return ``Path(source)`` if it names a regular, non-empty file, else raise :class:`ImageError`.

    Only the file system is asked (``os.stat``); nothing is opened, so the command
    line can check its input in a few microseconds, before any work starts. A
    named pipe or a device (``/dev/urandom``) is refused here: opening one would
    block or read forever.
    """
    text = os.fspath(source)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if text == "":
        raise ImageError(f"the image path is empty ({text!r}); give the path of a photo, e.g. {_DEFAULT_PHOTO}")
    path = Path(text)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise ImageError(f"{path} is a symbolic link to {_link_target(path)}, which does not exist; "
                             "fix the link or pass the photo itself") from None
        raise ImageError(f"no such file: {path}; check the path or put your photo at {_DEFAULT_PHOTO}") from None
    except NotADirectoryError:
        raise ImageError(f"no such file: {path} (a folder on its path is a file); check the path") from None
    except PermissionError:
        raise ImageError(f"cannot read {path}: permission denied on a folder of its path; "
                         "check the permissions") from None
    except (OSError, ValueError) as err:  # ELOOP, ENAMETOOLONG, an embedded NUL …
        raise ImageError(f"cannot open {_short_path(path)}: {_os_reason(err)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageError(f"{path} is a directory, not an image file; pass the path of a photo inside it")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise ImageError(f"{path} is {kind}, not an image file; pass the path of a photo file")
    if st.st_size == 0:
        raise ImageError(f"{path} is an empty (0-byte) file, not an image; re-download or re-save the photo")
    return path


def to_uint8(img: Any) -> np.ndarray:
    """Convert an image in [0, 1] to ``uint8`` 0…255: ``round(255 · clip(img, 0, 1))``.

    Examples
    --------
    >>> to_uint8([[0.0, 0.5, 1.0]]).tolist()
    [[0, 128, 255]]
    """
    try:
        arr = np.asarray(img, dtype=np.float64)
    except (TypeError, ValueError):
        raise ImageError(f"img must be an array of numbers in [0, 1], got {type(img).__name__}") from None
    if arr.size and not np.all(np.isfinite(arr)):
        raise ImageError("img contains NaN or infinite values; clean it first, e.g. np.nan_to_num(img)")
    return np.floor(np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def display_scale(edge_map: Any, *, percentile: float = 99.0, gamma: float = 0.5,
                  dark_on_light: bool = False) -> tuple[np.ndarray, str]:
    """Map an edge map in [0, 1] to what a screen or projector shows well; returns ``(display, note)``.

    .. math:: d = \\min\\left(1, \\frac{e}{e_{p}}\\right)^{\\gamma}

    where :math:`e_p` is the ``percentile``-th percentile of the map (over all pixels), so the brightest
    ``100 - percentile`` % saturate, and :math:`\\gamma < 1` lifts faint edges (a spike-count map is
    mostly dark: on the course photo the median is 0 and the 90th percentile 0.12 of the maximum).
    ``dark_on_light`` gives :math:`1 - d` (dark lines on white, as on paper). This is display only: the
    raw counts are unchanged, and ``note`` says what was done, for the figure's caption.
    """
    from snnlib import _checks

    e = _checks.finite_array("edge_map", edge_map).astype(np.float32)
    if e.size == 0:
        raise ValueError("edge_map must not be empty")
    percentile = float(percentile)
    if not 50.0 <= percentile <= 100.0:
        raise ValueError(f"percentile must be in [50, 100] (100 = scale on the maximum), got {percentile:g}")
    gamma = float(gamma)
    if not 0.1 <= gamma <= 3.0:
        raise ValueError(f"gamma must be in [0.1, 3] (1 = linear, < 1 lifts faint edges), got {gamma:g}")
    top = float(np.percentile(e, percentile)) if percentile < 100.0 else float(e.max())
    if top <= 0.0:  # fewer than (100 - percentile) % of the pixels carry an edge: scale on the maximum
        top = float(e.max())
    d = np.zeros_like(e) if top <= 0.0 else np.clip(e / top, 0.0, 1.0) ** gamma
    if dark_on_light:
        d = 1.0 - d
    clip = "max" if percentile >= 100.0 else f"{percentile:g}th percentile"
    note = f"display: clipped at the {clip}, γ = {gamma:g}" + (", inverted" if dark_on_light else "")
    return d.astype(np.float32), note


def save_png(img: Any, path: str | os.PathLike) -> Path:
    """Save a grayscale ``[H, W]`` or RGB ``[H, W, 3]`` image in [0, 1] as an 8-bit PNG; return the path."""
    arr = to_uint8(img)
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)) or arr.size == 0:
        raise ImageError(f"img must be shaped [H, W] or [H, W, 3], got shape {arr.shape}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ImageError(f"cannot save {path}: folder {path.parent} does not exist; create it first")
    Image.fromarray(arr).save(path, format="PNG")
    return path


# ----------------------------------------------------------------------------- files


class _Decoded(NamedTuple):
    gray: np.ndarray
    mode: str
    original: tuple[int, int]
    rotated: bool
    had_alpha: bool
    frames: int


_TRANSPOSE = {  # EXIF orientation -> the transposition that makes the image upright (as ImageOps.exif_transpose)
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _link_target(path: Path) -> str:
    try:
        return repr(os.readlink(path))
    except OSError:
        return "a missing file"


def _short_path(path: Any, limit: int = 80) -> str:
    return middle_cut(path, limit)


def _os_reason(err: BaseException) -> str:
    """A one-line reason for an OSError (advice for the common ones, :func:`snnlib._messages.os_reason`)."""
    return _one_line(err) if isinstance(err, ValueError) else os_reason(err)


def _decode(open_image: Any, path: str, max_size: int | None, *, own: bool) -> _Decoded:
    """Open (``open_image()`` gives a context-managed Pillow image), decode, shrink and convert, with every
    Pillow failure turned into a one-line :class:`ImageError` naming ``path``. ``own``: the image is ours
    to change (``draft``); a caller's Pillow image is only read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open_image() as im:
                return _from_pil(im, path, max_size, own)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        limit = Image.MAX_IMAGE_PIXELS
        raise ImageError(
            f"{path} has too many pixels to open safely (Pillow's decompression-bomb limit is "
            f"{limit} pixels: {err}); shrink it with an image editor first"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            f"{path} is not an image Pillow can read; use a JPEG or PNG file"
        ) from None
    except PermissionError:
        raise ImageError(f"cannot read {path}: permission denied; check the file's permissions") from None
    except MemoryError:
        raise ImageError(f"{path} needs more memory to decode than is free; shrink it first") from None
    except OSError as err:
        if getattr(err, "errno", None) in (errno.ENAMETOOLONG, errno.ELOOP, errno.EISDIR, errno.ENXIO):
            raise ImageError(f"cannot open {_short_path(path)}: {_os_reason(err)}") from None
        raise ImageError(
            f"{path} is truncated or corrupt ({_one_line(err)}); re-download or re-save the image"
        ) from None
    except (SyntaxError, ValueError, EOFError) as err:
        raise ImageError(
            f"{path} is truncated or corrupt ({_one_line(err)}); re-download or re-save the image"
        ) from None


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def _frames(im: Image.Image) -> int:
    try:
        return max(1, int(getattr(im, "n_frames", 1)))
    except Exception:  # a broken later frame only means "we cannot count them"; frame 0 is what we use
        return 1


def _from_pil(im: Image.Image, name: str, max_size: int | None, own: bool) -> _Decoded:
    """Grayscale float32 [0, 1] pixels of a Pillow image, upright (EXIF), at most ``max_size`` long.

    A small image takes the exact path: decoded, rotated, converted in floating point. A big one is
    shrunk first, while still 8 or 16 bits (see the module docstring), and converted afterwards.
    """
    mode = im.mode
    frames = _frames(im)
    if frames > 1 and own:
        im.seek(0)
    w, h = im.size  # as stored, before EXIF rotation (and before a draft shrinks it)
    big = max_size is not None and max(w, h) > max_size
    if big and own and im.format in ("JPEG", "MPO"):
        # decode at 1/2, 1/4 or 1/8 size, as luma Y for a colour JPEG, still at least the final size
        th, tw = _target((h, w), max_size)
        im.draft("L", (tw, th))
    im.load()  # decode now, so that truncated data raises here
    orientation = _orientation(im)
    rotated = orientation in _TRANSPOSE
    upright_shape = (w, h) if orientation in (5, 6, 7, 8) else (h, w)
    _check_size(upright_shape, name)
    if not big:
        upright = im.transpose(_TRANSPOSE[orientation]) if rotated else im
        gray, had_alpha = _gray(upright, name)
        return _Decoded(gray, mode, upright_shape, rotated, had_alpha, frames)
    target = _target(upright_shape, max_size)
    small, had_alpha = _shrink(im, target[::-1] if orientation in (5, 6, 7, 8) else target, name)
    if rotated:
        small = small.transpose(_TRANSPOSE[orientation])
    gray, _ = _gray(small, name)
    return _Decoded(_resize(gray, target), mode, upright_shape, rotated, had_alpha, frames)


def _has_alpha(im: Image.Image) -> bool:
    m = im.mode
    return "A" in m or "a" in m or (m == "P" and "transparency" in im.info)


def _shrink(im: Image.Image, target: tuple[int, int], name: str) -> tuple[Image.Image, bool]:
    """Box-average ``im`` by the largest integer factor that keeps it at least ``target`` (H, W), still in
    integers: 8-bit L/RGB, premultiplied La/RGBa for transparency, 32-bit I for 16-bit data, F checked first."""
    m = im.mode
    had_alpha = _has_alpha(im)
    if m == "1":
        im = im.convert("L")
    elif m.startswith("I;16"):
        im = im.convert("I")
    elif m == "F":
        _float_unit(np.asarray(im), name)  # NaN or values outside [0, 1] are refused before averaging hides them
    elif m in ("LA", "La"):
        im = im.convert("La")
    elif had_alpha:
        if m not in ("RGBA", "RGBa"):
            im = _convert(im, "RGBA", name)
        if im.mode == "RGBA":
            im = im.convert("RGBa")
    elif m not in ("L", "I", "RGB"):
        im = _convert(im, "RGB", name)
    w, h = im.size
    factor = max(1, min(w // target[1], h // target[0]))
    if factor == 1:
        return im, had_alpha
    small = im.reduce(factor)
    if small.mode == "F":  # a float sum may round a hair above 1
        small = Image.fromarray(np.clip(np.asarray(small), 0.0, 1.0))
    return small, had_alpha


def _convert(im: Image.Image, mode: str, name: str) -> Image.Image:
    try:
        return im.convert(mode)
    except (ValueError, OSError):
        raise ImageError(f"{name} uses colour mode {im.mode!r}, which cannot be converted to RGB; "
                         "save it as an RGB JPEG or PNG") from None


#: rows of an RGB image converted to float at a time: bounds the float64 copies (an image up to
#: this many pixels is converted in one piece, exactly as a single array expression)
_CHUNK_PIXELS = 2**20


def _gray(im: Image.Image, name: str) -> tuple[np.ndarray, bool]:
    """Grayscale float32 [0, 1] of an (upright) Pillow image, and whether alpha was composited over white."""
    m = im.mode
    if m == "1":
        return np.asarray(im, dtype=np.float32), False
    if m == "L":
        return (np.asarray(im, dtype=np.float32) / 255.0), False
    if m.startswith("I;16"):
        return (np.asarray(im).astype(np.float32) / 65535.0), False
    if m == "I":  # 32-bit integer, as 16-bit PNGs and TIFFs may open: treat as 0…65535
        return np.clip(np.asarray(im, dtype=np.float64) / 65535.0, 0, 1).astype(np.float32), False
    if m == "F":
        return _float_unit(np.asarray(im, dtype=np.float64), name).astype(np.float32), False
    if m in ("LA", "La"):
        if m == "La":  # premultiplied (a shrunk image): L·α + (1 − α) is already L_p + (1 − α)
            la = np.asarray(im, dtype=np.float64) / 255.0
            return (la[..., 0] + (1.0 - la[..., 1])).astype(np.float32), True
        la = np.asarray(im.convert("LA"), dtype=np.float64) / 255.0
        return _over_white(la[..., 0], la[..., 1]).astype(np.float32), True
    has_alpha = _has_alpha(im)
    if m == "RGBa":
        rgb = im
    else:
        rgb = _convert(im, "RGBA" if has_alpha else "RGB", name)
    w, h = rgb.size
    gray = np.empty((h, w), np.float32)
    rows = max(1, _CHUNK_PIXELS // max(w, 1))
    for r0 in range(0, h, rows):
        part = rgb if rows >= h else rgb.crop((0, r0, w, min(h, r0 + rows)))
        arr = np.array(part, dtype=np.float64)
        arr /= 255.0
        g = arr[..., :3] @ _LUMA
        if m == "RGBa":
            g = g + (1.0 - arr[..., 3])
        elif has_alpha:
            g = _over_white(g, arr[..., 3])
        gray[r0:r0 + arr.shape[0]] = g
    return gray, has_alpha


def _orientation(im: Image.Image) -> int | None:
    try:
        return im.getexif().get(0x0112)
    except Exception:  # malformed EXIF only means "no rotation known"
        return None


# ----------------------------------------------------------------------------- arrays


def _from_array(source: Any) -> tuple[np.ndarray, str, bool]:
    try:
        arr = np.asarray(source)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim == 0 or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ImageError(
            f"source must be a path (str or pathlib.Path), a PIL image or an array of numbers, "
            f"got {type(source).__name__}"
        )
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ImageError("image array must be real, got complex values; pass np.abs(a) or a.real")
    if arr.size == 0:
        raise ImageError(f"image array is empty (shape {arr.shape}); pass an image with pixels")
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise ImageError(
            f"image array must be shaped [H, W] (gray), [H, W, 3] (RGB) or [H, W, 4] (RGBA); "
            f"got shape {arr.shape}"
        )
    dtype = str(arr.dtype)
    if arr.dtype == np.uint8:
        x = arr / 255.0
    elif arr.dtype == np.uint16:
        x = arr / 65535.0
    elif arr.dtype == bool:
        x = arr.astype(np.float64)
    elif np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise ImageError(
                f"integer image array ({dtype}) must hold 0…255, but it spans [{arr.min()}, {arr.max()}]; "
                "pass uint16 for 16-bit data or floats in [0, 1]"
            )
        x = arr / 255.0
    else:
        x = _float_unit(arr.astype(np.float64), "image array")
    if x.ndim == 2:
        return x.astype(np.float32), dtype, False
    c = x.shape[2]
    if c == 1:
        return x[..., 0].astype(np.float32), dtype, False
    if c == 2:
        return _over_white(x[..., 0], x[..., 1]).astype(np.float32), dtype, True
    gray = x[..., :3] @ _LUMA
    if c == 4:
        gray = _over_white(gray, x[..., 3])
    return gray.astype(np.float32), dtype, c == 4


def _float_unit(x: np.ndarray, name: str) -> np.ndarray:
    if not np.all(np.isfinite(x)):
        raise ImageError(f"{name} contains NaN or infinite values; clean it first, e.g. np.nan_to_num(a)")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise ImageError(
            f"{name} holds floats in [{lo:.4g}, {hi:.4g}], but they must lie in [0, 1]; "
            "divide by 255 (8-bit values) or rescale, e.g. (a - a.min()) / (a.max() - a.min())"
        )
    return x


def _over_white(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return alpha * gray + (1.0 - alpha)


# ----------------------------------------------------------------------------- size


def _max_size(max_size: Any) -> int | None:
    if max_size is None:
        return None
    if isinstance(max_size, bool) or not isinstance(max_size, (int, np.integer)) or max_size < MIN_SIZE:
        raise ValueError(
            f"max_size must be an integer >= {MIN_SIZE} (the longest side in pixels) or None, got {max_size!r}"
        )
    return int(max_size)


def _check_size(shape: tuple[int, int], name: str) -> None:
    h, w = shape
    if h < MIN_SIZE or w < MIN_SIZE:
        raise ImageError(
            f"{name} is only {w}×{h} pixels; an edge kernel needs at least "
            f"{MIN_SIZE}×{MIN_SIZE}, so use a larger image"
        )


def _target(shape: tuple[int, int], max_size: int | None) -> tuple[int, int]:
    """(H, W) that ``shape`` is downscaled to: the long side ``max_size``, the short one rounded, >= 3."""
    h, w = shape
    if max_size is None or max(h, w) <= max_size:
        return h, w
    s = max_size / max(h, w)
    new_h = max_size if h >= w else max(MIN_SIZE, math.floor(h * s + 0.5))
    new_w = max_size if w > h else max(MIN_SIZE, math.floor(w * s + 0.5))
    return new_h, new_w


def _resize(gray: np.ndarray, target: tuple[int, int]) -> np.ndarray:
    """Resize to ``target`` (H, W) with Lanczos, in float32, clipped to [0, 1]; as is when already that size."""
    if gray.shape == tuple(target):
        return gray
    small = Image.fromarray(gray.astype(np.float32)).resize((target[1], target[0]), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)
