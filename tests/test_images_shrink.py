"""Big images are shrunk while still 8/16-bit integers, before any float copy: bounded memory, same
meaning (luma, alpha over white, 16-bit precision, EXIF rotation); special files are refused without
opening them; the first frame of an animation is used and counted."""

import os
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from snnlib.images import ImageError, check_image_path, load_image, load_image_info

LUMA = np.array([0.299, 0.587, 0.114])


def _lanczos(gray, size):
    """What the float path gives: the full-size float image resized with Lanczos (the reference)."""
    small = Image.fromarray(gray.astype(np.float32)).resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(small), 0, 1)


def test_big_png_needs_no_full_size_float_copy(tmp_path):
    h, w = 2400, 3000
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // w, y * 255 // h, (x + y) % 256], axis=-1).astype(np.uint8)
    path = tmp_path / "big.png"
    Image.fromarray(rgb).save(path, compress_level=1)
    expected = _lanczos(rgb @ LUMA / 255.0, (1024, 819))
    del rgb, x, y
    tracemalloc.start()
    try:
        img, info = load_image_info(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a float64 RGB copy of the full image alone would be 173 MB (the float path of before peaked at 260 MB here);
    # what remains is the 1200×1500 image after the 8-bit box average, converted a megapixel at a time
    assert peak < 100e6, f"{peak / 1e6:.0f} MB of NumPy arrays"
    assert img.shape == (819, 1024) and info.original_shape == (2400, 3000) and info.downscaled
    # box-averaged at 8 bits first (factor 2), then Lanczos: close to Lanczos on the exact float luma
    assert np.abs(img - expected).mean() < 0.01


def test_big_rgba_is_composited_over_white_as_if_at_full_size(tmp_path):
    # a 1-px checkerboard of transparent black and opaque white: over white it is white everywhere.
    # Averaging colour and alpha separately (not premultiplied) would give 0.75 instead.
    rgba = np.zeros((90, 2400, 4), np.uint8)
    on = (np.indices((90, 2400)).sum(axis=0) % 2).astype(bool)
    rgba[on] = 255
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba).save(path)
    img, info = load_image_info(path, max_size=600)
    assert img.shape == (23, 600) and info.had_alpha
    np.testing.assert_allclose(img, 1.0, atol=2e-3)


def test_big_la_over_white(tmp_path):
    la = np.zeros((40, 1600, 2), np.uint8)
    la[:, ::2] = (0, 255)   # opaque black columns
    la[:, 1::2] = (0, 0)    # transparent columns: white
    Image.fromarray(la).save(tmp_path / "la.png")
    img = load_image(tmp_path / "la.png", max_size=400)
    np.testing.assert_allclose(img, 0.5, atol=3e-3)


def test_big_16_bit_keeps_its_precision(tmp_path):
    a = np.full((60, 1200), 1000, np.uint16)  # 1000/65535 = 0.015259; 8 bits would give 4/255 = 0.015686
    a[:, ::2] = 1001
    Image.fromarray(a).save(tmp_path / "deep.png")
    img, info = load_image_info(tmp_path / "deep.png", max_size=300)
    assert img.shape == (15, 300) and info.mode.startswith("I")
    np.testing.assert_allclose(img, 1000.5 / 65535, atol=0.6 / 65535)  # the box average rounds to 16 bits


def test_big_float_tiff_is_checked_before_averaging(tmp_path):
    f = np.full((30, 900), 0.25, np.float32)
    f[3, 4] = 2.0  # one value out of range: averaging it away must not hide it
    Image.fromarray(f).save(tmp_path / "f.tif")
    with pytest.raises(ImageError, match=r"must lie in \[0, 1\]"):
        load_image(tmp_path / "f.tif", max_size=300)
    f[3, 4] = 0.25
    Image.fromarray(f).save(tmp_path / "f.tif")
    np.testing.assert_allclose(load_image(tmp_path / "f.tif", max_size=300), 0.25, atol=1e-6)


@pytest.mark.parametrize("mode", ["P", "1", "CMYK"])
def test_big_other_modes(tmp_path, mode):
    rgb = np.zeros((50, 1500, 3), np.uint8)
    rgb[:, 750:] = 255
    im = Image.fromarray(rgb).convert(mode)
    path = tmp_path / ("x.tif" if mode == "CMYK" else "x.png")
    im.save(path)
    img = load_image(path, max_size=300)
    assert img.shape == (10, 300)
    assert img[:, :140].max() < 0.02 and img[:, 160:].min() > 0.98


def test_big_jpeg_decoded_at_reduced_size_and_rotated(tmp_path):
    rgb = np.zeros((1200, 2400, 3), np.uint8)
    rgb[:, :1200] = (200, 120, 40)  # left half coloured, right half black
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display: the left half ends up on top
    path = tmp_path / "phone.jpg"
    Image.fromarray(rgb).save(path, exif=exif, quality=95)
    img, info = load_image_info(path, max_size=600)
    assert info.original_shape == (2400, 1200) and info.shape == (600, 300) and info.exif_rotated
    assert info.mode == "RGB"
    np.testing.assert_allclose(img[:280].mean(), np.dot([200, 120, 40], LUMA) / 255, atol=0.01)
    assert img[320:].max() < 0.02


def test_jpeg_draft_keeps_memory_small(tmp_path):
    rgb = np.zeros((3000, 4000, 3), np.uint8)
    rgb[::50] = 255
    path = tmp_path / "big.jpg"
    Image.fromarray(rgb).save(path, quality=90)
    del rgb
    tracemalloc.start()
    try:
        img = load_image(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert img.shape == (768, 1024) and peak < 25e6


def test_animated_gif_uses_the_first_frame_and_says_so(tmp_path):
    frames = [Image.fromarray(np.full((8, 10), v, np.uint8)) for v in (0, 128, 255)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    img, info = load_image_info(path)
    assert info.frames == 3
    np.testing.assert_allclose(img, 0.0, atol=1e-6)
    assert load_image_info(np.zeros((4, 4)))[1].frames == 1


def test_multipage_tiff(tmp_path):
    pages = [Image.fromarray(np.full((6, 6), v, np.uint8)) for v in (51, 200)]
    path = tmp_path / "pages.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    img, info = load_image_info(path)
    assert info.frames == 2 and img[0, 0] == pytest.approx(0.2)


# --------------------------------------------------------------------------- special files
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_special_paths_are_refused_without_opening_them(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "dangling.png").symlink_to(tmp_path / "gone.png")
    cases = {
        "": "image path is empty",
        str(tmp_path / "pipe.png"): r"named pipe \(FIFO\)",
        str(tmp_path / "loop.png"): "symbolic links",
        str(tmp_path / "dangling.png"): "symbolic link to .*gone.png.*does not exist",
        str(tmp_path / ("x" * 300 + ".png")): "too long",
    }
    if os.path.exists("/dev/urandom"):
        cases["/dev/urandom"] = "is a device"
    for path, words in cases.items():
        with pytest.raises(ImageError, match=words):
            check_image_path(path)
        with pytest.raises(ImageError, match=words):
            load_image(path)
    good = tmp_path / "good.png"
    Image.new("L", (4, 4)).save(good)
    assert check_image_path(str(good)) == good
