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
- the EXIF orientation tag is applied (``ImageOps.exif_transpose``), so a phone
  photo comes out the way up it was taken;
- an image whose long side exceeds ``max_size`` is downscaled with a Lanczos
  filter, keeping the aspect ratio. Nothing is printed and no warning is raised
  (notebook outputs stay clean): the ``"snnlib.images"`` logger records it at
  INFO level, and :func:`load_image_info` returns the details in an
  :class:`ImageInfo`.

Every problem raises :class:`ImageError` (a ``ValueError``) with a one-line
message saying what is wrong and how to fix it. Pillow's guards stay on: the
decompression-bomb limit ``Image.MAX_IMAGE_PIXELS`` is not changed (above it,
even in Pillow's warning band, the image is refused), and
``ImageFile.LOAD_TRUNCATED_IMAGES`` stays False, so truncated files are errors.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["ImageError", "ImageInfo", "load_image", "load_image_info", "to_uint8", "save_png", "MIN_SIZE"]

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
    """

    source: str
    mode: str
    original_shape: tuple[int, int]
    shape: tuple[int, int]
    downscaled: bool
    exif_rotated: bool
    had_alpha: bool

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
        gray, mode, rotated, had_alpha = _read_file(Path(source))
        name = str(source)
    elif isinstance(source, Image.Image):
        gray, mode, rotated, had_alpha = _decode(lambda: contextlib.nullcontext(source), "the image")
        name = "<PIL image>"
    elif isinstance(source, (bytes, bytearray, memoryview)):
        name = "the uploaded file"
        if len(source) == 0:
            raise ImageError(f"{name} is empty (0 bytes), not an image; choose a photo file")
        data = bytes(source)
        gray, mode, rotated, had_alpha = _decode(lambda: Image.open(io.BytesIO(data)), name)
    else:
        gray, mode, had_alpha = _from_array(source)
        rotated, name = False, "<array>"
    original = (int(gray.shape[0]), int(gray.shape[1]))
    _check_size(original, name)
    gray, downscaled = _fit(gray, max_size)
    info = ImageInfo(source=name, mode=mode, original_shape=original, shape=(gray.shape[0], gray.shape[1]),
                     downscaled=downscaled, exif_rotated=rotated, had_alpha=had_alpha)
    if downscaled:
        logger.info("downscaled %s from %d×%d to %d×%d pixels (max_size=%d)",
                    name, original[1], original[0], gray.shape[1], gray.shape[0], max_size)
    return gray, info


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


def _read_file(path: Path) -> tuple[np.ndarray, str, bool, bool]:
    if not path.exists():
        raise ImageError(f"no such file: {path}; check the path or put your photo at {_DEFAULT_PHOTO}")
    if path.is_dir():
        raise ImageError(f"{path} is a directory, not an image file; pass the path of a photo inside it")
    if path.stat().st_size == 0:
        raise ImageError(f"{path} is an empty (0-byte) file, not an image; re-download or re-save the photo")
    return _decode(lambda: Image.open(path), str(path))


def _decode(open_image: Any, path: str) -> tuple[np.ndarray, str, bool, bool]:
    """Open (``open_image()`` gives a context-managed Pillow image), decode and convert, with every
    Pillow failure turned into a one-line :class:`ImageError` naming ``path``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open_image() as im:
                im.load()  # decode now, so that truncated data raises here
                return _from_pil(im, path)
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
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageError(
            f"{path} is truncated or corrupt ({_one_line(err)}); re-download or re-save the image"
        ) from None


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def _from_pil(im: Image.Image, name: str) -> tuple[np.ndarray, str, bool, bool]:
    """Grayscale float32 [0, 1] pixels of a Pillow image, after EXIF rotation."""
    mode = im.mode
    upright = ImageOps.exif_transpose(im)
    rotated = upright.size != im.size or _orientation(im) not in (None, 1)
    m = upright.mode
    if m == "1":
        return np.asarray(upright, dtype=np.float32), mode, rotated, False
    if m == "L":
        return (np.asarray(upright, dtype=np.float32) / 255.0), mode, rotated, False
    if m.startswith("I;16"):
        return (np.asarray(upright).astype(np.float32) / 65535.0), mode, rotated, False
    if m == "I":  # 32-bit integer, as 16-bit PNGs and TIFFs may open: treat as 0…65535
        return np.clip(np.asarray(upright, dtype=np.float64) / 65535.0, 0, 1).astype(np.float32), mode, rotated, False
    if m == "F":
        gray = _float_unit(np.asarray(upright, dtype=np.float64), name)
        return gray.astype(np.float32), mode, rotated, False
    if m in ("LA", "La"):
        la = np.asarray(upright.convert("LA"), dtype=np.float64) / 255.0
        return _over_white(la[..., 0], la[..., 1]).astype(np.float32), mode, rotated, True
    has_alpha = "A" in m or "a" in m or (m == "P" and "transparency" in upright.info)
    try:
        rgb = upright.convert("RGBA" if has_alpha else "RGB")
    except (ValueError, OSError):
        raise ImageError(f"{name} uses colour mode {m!r}, which cannot be converted to RGB; "
                         "save it as an RGB JPEG or PNG") from None
    arr = np.asarray(rgb, dtype=np.float64) / 255.0
    gray = arr[..., :3] @ _LUMA
    if has_alpha:
        gray = _over_white(gray, arr[..., 3])
    return gray.astype(np.float32), mode, rotated, has_alpha


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


def _fit(gray: np.ndarray, max_size: int | None) -> tuple[np.ndarray, bool]:
    """Downscale so that the long side is ``max_size`` (Lanczos, aspect kept); clip to [0, 1]."""
    h, w = gray.shape
    if max_size is None or max(h, w) <= max_size:
        return gray, False
    s = max_size / max(h, w)
    new_h = max_size if h >= w else max(MIN_SIZE, math.floor(h * s + 0.5))
    new_w = max_size if w > h else max(MIN_SIZE, math.floor(w * s + 0.5))
    small = Image.fromarray(gray.astype(np.float32)).resize((new_w, new_h), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0), True
