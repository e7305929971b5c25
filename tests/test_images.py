"""Image loading: every Pillow mode to grayscale [0, 1], EXIF rotation, downscaling, clear errors."""

import io
import logging

import numpy as np
import pytest
from PIL import Image, ImageFile

from snnlib.images import ImageError, load_image, load_image_info, save_png, to_uint8

LUMA = np.array([0.299, 0.587, 0.114])


def _gradient_rgb(h=24, w=32):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), np.full_like(x, 80)], axis=-1).astype(np.uint8)


def _check_gray(img, shape):
    assert isinstance(img, np.ndarray) and img.dtype == np.float32
    assert img.shape == shape
    assert img.min() >= 0.0 and img.max() <= 1.0


# --------------------------------------------------------------------------- file formats and modes
def test_rgb_jpeg(tmp_path):
    path = tmp_path / "photo.jpg"
    rgb = _gradient_rgb()
    Image.fromarray(rgb).save(path, quality=95)
    img = load_image(path)
    _check_gray(img, (24, 32))
    expected = rgb @ LUMA / 255.0
    assert np.abs(img - expected).mean() < 0.02  # JPEG is lossy
    assert load_image(str(path)).shape == (24, 32)  # str paths too


def test_rgb_png_is_exact_luma(tmp_path):
    path = tmp_path / "photo.png"
    rgb = _gradient_rgb()
    Image.fromarray(rgb).save(path)
    np.testing.assert_allclose(load_image(path), rgb @ LUMA / 255.0, atol=1e-6)


def test_16bit_png_keeps_its_precision(tmp_path):
    path = tmp_path / "deep.png"
    a = np.zeros((5, 6), np.uint16)
    a[0, 0], a[1, 1], a[2, 2] = 65535, 1000, 32768
    Image.fromarray(a).save(path)
    with Image.open(path) as im:
        assert im.mode.startswith("I")
    img, info = load_image_info(path)
    _check_gray(img, (5, 6))
    assert img[0, 0] == 1.0
    np.testing.assert_allclose([img[1, 1], img[2, 2]], [1000 / 65535, 32768 / 65535], rtol=1e-6)
    assert info.mode.startswith("I")


def test_rgba_composited_over_white(tmp_path):
    path = tmp_path / "alpha.png"
    rgba = np.zeros((4, 5, 4), np.uint8)  # black everywhere
    rgba[:, :, 3] = 0          # fully transparent -> white
    rgba[0, :, 3] = 255        # opaque black row -> 0
    rgba[1, :, 3] = 51         # alpha 0.2 over white -> 0.8
    Image.fromarray(rgba).save(path)
    img, info = load_image_info(path)
    _check_gray(img, (4, 5))
    np.testing.assert_allclose(img[0], 0.0, atol=1e-6)
    np.testing.assert_allclose(img[1], 0.8, atol=1e-6)
    np.testing.assert_allclose(img[2:], 1.0, atol=1e-6)
    assert info.had_alpha


def test_palette_image(tmp_path):
    path = tmp_path / "palette.png"
    rgb = _gradient_rgb()
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(path)
    with Image.open(path) as im:
        assert im.mode == "P"
        expected = np.asarray(im.convert("RGB"), dtype=np.float64) @ LUMA / 255.0
    np.testing.assert_allclose(load_image(path), expected, atol=1e-6)


def test_palette_with_transparency_over_white(tmp_path):
    path = tmp_path / "ptrans.png"
    im = Image.new("P", (4, 4), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.info["transparency"] = 0  # index 0 (black) is transparent
    im.putpixel((0, 0), 1)       # one red opaque pixel
    im.save(path, transparency=0)
    img = load_image(path)
    assert img[0, 0] == pytest.approx(0.299, abs=1e-6)
    np.testing.assert_allclose(img.ravel()[1:], 1.0, atol=1e-6)


def test_cmyk_jpeg(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(_gradient_rgb()).convert("CMYK").save(path, quality=95)
    with Image.open(path) as im:
        assert im.mode == "CMYK"
        expected = np.asarray(im.convert("RGB"), dtype=np.float64) @ LUMA / 255.0
    img = load_image(path)
    _check_gray(img, (24, 32))
    np.testing.assert_allclose(img, expected, atol=1e-6)


def test_la_png(tmp_path):
    path = tmp_path / "la.png"
    la = np.zeros((3, 4, 2), np.uint8)
    la[..., 0] = 100
    la[0, :, 1] = 255  # opaque gray 100/255
    im = Image.fromarray(la)
    assert im.mode == "LA"
    im.save(path)
    img = load_image(path)
    np.testing.assert_allclose(img[0], 100 / 255, atol=1e-6)
    np.testing.assert_allclose(img[1:], 1.0, atol=1e-6)  # transparent -> white


def test_exif_rotated_jpeg_swaps_height_and_width(tmp_path):
    path = tmp_path / "rotated.jpg"
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.fromarray(rgb).save(path, exif=exif, quality=95)
    img, info = load_image_info(path)
    _check_gray(img, (40, 20))
    assert info.exif_rotated and info.original_shape == (40, 20)
    assert img[:20].mean() > 0.9 and img[20:].mean() < 0.1  # the white half is now on top


def test_big_image_is_downscaled_quietly_and_reported(tmp_path, caplog):
    path = tmp_path / "big.png"
    Image.fromarray(np.full((600, 1500), 128, np.uint8)).save(path)
    with caplog.at_level(logging.INFO, logger="snnlib"):
        img, info = load_image_info(path, max_size=500)
    _check_gray(img, (200, 500))
    assert info.downscaled and info.original_shape == (600, 1500) and info.shape == (200, 500)
    assert info.scale == pytest.approx(1 / 3)
    np.testing.assert_allclose(img, 128 / 255, atol=1e-4)
    assert any("downscaled" in r.getMessage() and "1500×600" in r.getMessage() for r in caplog.records)
    # tall images: the long side is the height; None never downscales
    assert load_image(np.zeros((900, 30)), max_size=300).shape == (300, 10)
    assert load_image(np.zeros((900, 30)), max_size=None).shape == (900, 30)
    # a small image is left alone, nothing logged
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="snnlib"):
        img, info = load_image_info(np.zeros((10, 10)))
    assert not info.downscaled and not caplog.records


def test_pillow_image_source():
    im = Image.fromarray(_gradient_rgb())
    np.testing.assert_allclose(load_image(im), _gradient_rgb() @ LUMA / 255.0, atol=1e-6)


# --------------------------------------------------------------------------- arrays
@pytest.mark.parametrize("arr, expected", [
    (np.full((3, 4), 255, np.uint8), 1.0),
    (np.full((3, 4), 65535, np.uint16), 1.0),
    (np.full((3, 4), 0.25), 0.25),
    (np.full((3, 4), 0.25, np.float32), 0.25),
    (np.full((3, 4), 51), 0.2),                       # int64 holding 0…255
    (np.ones((3, 4), bool), 1.0),
    (np.full((3, 4, 1), 0.5), 0.5),
    (np.full((3, 4, 3), 0.5), 0.5),
    (np.dstack([np.zeros((3, 4, 3)), np.full((3, 4), 0.5)]), 0.5),  # black at alpha 0.5 over white
])
def test_arrays(arr, expected):
    img = load_image(arr)
    _check_gray(img, (3, 4))
    np.testing.assert_allclose(img, expected, atol=1e-6)


def test_to_uint8_and_save_png_round_trip(tmp_path):
    img = np.linspace(0, 1, 12).reshape(3, 4)
    u8 = to_uint8(img)
    assert u8.dtype == np.uint8 and u8[0, 0] == 0 and u8[-1, -1] == 255
    path = save_png(img, tmp_path / "out.png")
    np.testing.assert_allclose(load_image(path), u8 / 255.0, atol=1e-6)
    with pytest.raises(ImageError, match="folder .* does not exist"):
        save_png(img, tmp_path / "nope" / "out.png")
    with pytest.raises(ImageError, match="NaN"):
        to_uint8([[np.nan]])


# --------------------------------------------------------------------------- errors
def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match=r"no such file: .*nothere\.jpg; check the path or put your photo at "
                                         r"data/MHW\.jpg"):
        load_image(tmp_path / "nothere.jpg")


def test_directory(tmp_path):
    with pytest.raises(ImageError, match="is a directory, not an image file"):
        load_image(tmp_path)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty \(0-byte\) file"):
        load_image(path)


def test_text_file_renamed_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("these are not pixels\n" * 20)
    with pytest.raises(ImageError, match="is not an image Pillow can read"):
        load_image(path)


def test_truncated_jpeg(tmp_path):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    path = tmp_path / "cut.jpg"
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path, quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="is truncated or corrupt"):
        load_image(path)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_decompression_bomb(tmp_path, monkeypatch):
    limit = Image.MAX_IMAGE_PIXELS
    warn_path, error_path = tmp_path / "warn.png", tmp_path / "bomb.png"
    Image.new("L", (40, 40)).save(warn_path)    # 1600 px: Pillow's warning band for a 1000 px limit
    Image.new("L", (100, 100)).save(error_path)  # 10000 px: above twice the limit, Pillow's error
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for path in (warn_path, error_path):
        with pytest.raises(ImageError, match="too many pixels to open safely.*decompression-bomb"):
            load_image(path)
    monkeypatch.undo()
    assert Image.MAX_IMAGE_PIXELS == limit  # the library never changes the guard


def test_nan_array():
    a = np.full((5, 5), 0.5)
    a[2, 2] = np.nan
    with pytest.raises(ImageError, match="contains NaN"):
        load_image(a)


@pytest.mark.parametrize("arr, words", [
    (np.zeros(10), r"must be shaped \[H, W\].*got shape \(10,\)"),
    (np.zeros((4, 4, 5)), r"must be shaped \[H, W\]"),
    (np.zeros((0, 4)), "image array is empty"),
    (np.zeros((2, 2)), r"only 2×2 pixels; an edge kernel needs at least 3×3"),
    (np.zeros((2, 50, 3), np.uint8), r"only 50×2 pixels"),
    (np.full((4, 4), 2.0), r"floats in \[2, 2\].*must lie in \[0, 1\]; divide by 255"),
    (np.full((4, 4), 300), r"must hold 0…255"),
    (np.zeros((4, 4), complex), "must be real"),
])
def test_bad_arrays(arr, words):
    with pytest.raises(ImageError, match=words):
        load_image(arr)


def test_tiny_image_file(tmp_path):
    path = tmp_path / "tiny.png"
    Image.new("RGB", (2, 2)).save(path)
    with pytest.raises(ImageError, match="tiny.png is only 2×2 pixels"):
        load_image(path)


@pytest.mark.parametrize("source", [42, None, "no/such/dir/img.png"])
def test_bad_source_types(source):
    with pytest.raises(ImageError, match="source must be|no such file"):
        load_image(source)


@pytest.mark.parametrize("max_size", [0, 2, 10.5, True])
def test_bad_max_size(max_size):
    with pytest.raises(ValueError, match="max_size must be an integer >= 3"):
        load_image(np.zeros((5, 5)), max_size=max_size)


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_bytes_source_is_decoded_with_the_same_guards():
    from snnlib.images import ImageError, load_image

    buf = io.BytesIO()
    Image.fromarray(np.full((20, 30, 3), 200, np.uint8)).save(buf, format="JPEG")
    data = buf.getvalue()
    assert load_image(data).shape == (20, 30)
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2])
    with pytest.raises(ImageError, match="empty"):
        load_image(b"")
    with pytest.raises(ImageError, match="not an image"):
        load_image(b"just some text")



def test_display_scale_formula_and_note():
    from snnlib.images import display_scale

    e = np.linspace(0.0, 1.0, 101, dtype=np.float32).reshape(1, -1)
    d, note = display_scale(e, percentile=90.0, gamma=0.5)
    p90 = np.percentile(e, 90.0)
    np.testing.assert_allclose(d, np.clip(e / p90, 0, 1) ** 0.5, rtol=1e-6)
    assert (d[e >= p90] == 1.0).all() and "90th percentile" in note and "γ = 0.5" in note
    inv, note = display_scale(e, percentile=100.0, gamma=1.0, dark_on_light=True)
    np.testing.assert_allclose(inv, 1.0 - e, atol=1e-6)
    assert "inverted" in note and "max" in note
    sparse = np.zeros((10, 10), np.float32)
    sparse[0, 0] = 0.3  # 1 % of pixels: the 99th percentile is 0, scaled on the maximum instead
    assert display_scale(sparse)[0][0, 0] == 1.0
    for bad in ({"percentile": 10}, {"gamma": 0.0}, {"gamma": float("nan")}):
        with pytest.raises(ValueError):
            display_scale(e, **bad)
