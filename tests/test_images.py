"""Reading every kind of image file into 8-bit RGB, and the one-line errors for files that can't be read."""
import io

import numpy as np
import pytest
from PIL import Image

from polychromify.product.images import ImageError, load_rgb, open_image
from polychromify.training.synthetic import synthetic_landscape


@pytest.fixture
def photo():
    return synthetic_landscape(seed=3, size=48)


def test_rgb_jpeg_and_png(tmp_path, photo):
    Image.fromarray(photo).save(tmp_path / "a.png")
    Image.fromarray(photo).save(tmp_path / "a.jpg", quality=95)
    assert np.array_equal(load_rgb(tmp_path / "a.png"), photo)
    jpeg = load_rgb(tmp_path / "a.jpg")
    assert jpeg.shape == photo.shape and jpeg.dtype == np.uint8
    assert np.abs(jpeg.astype(int) - photo).mean() < 6


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (8, 1))
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    rgb, notes = open_image(tmp_path / "g.png")
    assert notes["mode"] == "L"
    assert rgb.shape == (8, 25, 3)
    assert np.array_equal(rgb[..., 0], gray) and np.array_equal(rgb[..., 1], gray)


def test_rgba_is_composited_over_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200          # red
    rgba[:2, :, 3] = 255        # top half opaque, bottom half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    rgb = load_rgb(tmp_path / "t.png")
    assert rgb[0, 0].tolist() == [200, 0, 0]
    assert rgb[3, 3].tolist() == [255, 255, 255]


def test_palette_png(tmp_path, photo):
    Image.fromarray(photo).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "p.png")
    rgb = load_rgb(tmp_path / "p.png")
    assert rgb.shape == photo.shape and np.abs(rgb.astype(int) - photo).mean() < 12


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257 * 128, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "d.png")
    rgb, notes = open_image(tmp_path / "d.png")
    assert notes["mode"].startswith("I")
    assert rgb[0, :, 0].tolist() == [0, 128, 255]


def test_cmyk_jpeg(tmp_path, photo):
    Image.fromarray(photo).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    rgb, notes = open_image(tmp_path / "c.jpg")
    assert notes["mode"] == "CMYK"
    assert rgb.shape == photo.shape
    assert np.abs(rgb.astype(int) - photo).mean() < 12  # colours survive, not inverted


def test_exif_orientation_is_applied(tmp_path):
    image = np.zeros((20, 40, 3), np.uint8)
    image[:, :20] = (255, 0, 0)  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6             # "rotate 90 CW to display"
    Image.fromarray(image).save(tmp_path / "r.jpg", exif=exif, quality=95)
    rgb, notes = open_image(tmp_path / "r.jpg")
    assert notes["rotated"] is True
    assert rgb.shape == (40, 20, 3)
    assert rgb[5, 10, 0] > 200 and rgb[35, 10, 0] < 60  # red is now on top


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b"this is not an image\n", "not an image"),
])
def test_bad_files_give_one_line_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageError) as err:
        load_rgb(path)
    message = str(err.value)
    assert str(path) in message and reason in message and "\n" not in message


def test_truncated_jpeg(tmp_path, photo):
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageError, match="cannot decode"):
        load_rgb(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_rgb(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        load_rgb(tmp_path)


def test_arrays_of_any_layout():
    gray = np.full((5, 6), 0.5)
    assert load_rgb(gray).tolist() == np.full((5, 6, 3), 128, np.uint8).tolist()
    assert load_rgb(np.full((2, 2, 1), 65535, np.uint16)).max() == 255
    with pytest.raises(ImageError, match="expected"):
        load_rgb(np.zeros((2, 2, 5), np.uint8))


def test_the_pixel_limit_is_per_call_and_importing_leaves_pillow_alone(tmp_path, photo):
    import subprocess
    import sys
    Image.fromarray(photo).save(tmp_path / "a.png")  # 48 x 48
    with pytest.raises(ImageError, match="over the limit of 2,000 pixels"):
        open_image(tmp_path / "a.png", max_pixels=2000)
    assert load_rgb(tmp_path / "a.png", max_pixels=48 * 48).shape == (48, 48, 3)
    code = ("from PIL import Image; default = Image.MAX_IMAGE_PIXELS; import polychromify.product.images, polychromify.training.data; "
            "assert Image.MAX_IMAGE_PIXELS == default, Image.MAX_IMAGE_PIXELS")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- fuzzing the reader

def _encodings(rng) -> list[tuple[str, bytes, tuple | None]]:
    """Valid files of every mode the formats hold, at odd sizes: (label, bytes, (height, width))."""
    cases = []
    modes = {"PNG": ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"], "JPEG": ["L", "RGB", "CMYK"],
             "TIFF": ["1", "L", "RGB", "RGBA", "CMYK", "I;16", "I", "F"], "WEBP": ["RGB", "RGBA"],
             "BMP": ["1", "L", "P", "RGB"], "GIF": ["L", "P"]}
    sizes = [(1, 1), (1, 37), (29, 1), (5, 17), (48, 64)]
    for fmt, names in modes.items():
        for mode in names:
            h, w = sizes[int(rng.integers(len(sizes)))]
            rgb = (rng.random((h, w, 3)) * 255).astype(np.uint8)
            image = Image.fromarray(rgb)
            if mode == "I;16":
                image = Image.fromarray((rng.random((h, w)) * 65535).astype(np.uint16))
            elif mode == "I":
                image = Image.fromarray((rng.random((h, w)) * 2**31).astype(np.int32))
            elif mode == "F":
                image = Image.fromarray(rng.random((h, w)).astype(np.float32))
            else:
                image = image.convert(mode)
            buffer = io.BytesIO()
            image.save(buffer, format=fmt)
            cases.append((f"{fmt} {mode} {w}x{h}", buffer.getvalue(), (h, w)))
    return cases


def _damaged(rng, data: bytes) -> list[bytes]:
    """Truncations, flipped bytes and a spliced header of one valid file."""
    cut = [data[:int(n)] for n in rng.integers(1, max(2, len(data)), 4)]
    flipped = []
    for _ in range(4):
        mutable = bytearray(data)
        for at in rng.integers(0, len(data), 1 + len(data) // 50):
            mutable[at] ^= int(rng.integers(1, 256))
        flipped.append(bytes(mutable))
    return cut + flipped + [data[:16] + rng.bytes(200)]


def _read_within(data: bytes, seconds: int = 10):
    """``open_image`` of the bytes, failing the test on a hang (SIGALRM)."""
    import signal

    def hang(signum, frame):
        raise AssertionError(f"open_image hung for {seconds} s")
    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        return open_image(data)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.filterwarnings("ignore")
def test_fuzzing_the_reader_gives_a_clean_error_or_a_correct_image_never_a_traceback_or_a_hang():
    """Random bytes, and every format's modes at odd sizes, whole and damaged: each read is either an
    ``ImageError`` (one line naming the source) or uint8 RGB of the file's size, within seconds."""
    rng = np.random.default_rng(2026)
    cases = [(f"random {n} bytes", rng.bytes(int(n)), None) for n in rng.integers(0, 3000, 30)]
    magic = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
             b"BM", b"GIF89a"]
    cases += [(f"{m[:4]!r} then noise", m + rng.bytes(int(rng.integers(0, 500))), None) for m in magic]
    for seed in range(40):  # a damaged TIFF's TypeError ("Missing dimensions") escaped in a few of these
        rng = np.random.default_rng(seed)
        valid = _encodings(rng)
        cases += valid
        cases += [(f"{label}, damaged", data, None) for label, whole, _ in valid for data in _damaged(rng, whole)]
    outcomes = {"image": 0, "error": 0}
    for label, data, size in cases:
        try:
            rgb, _ = _read_within(data)
        except ImageError as err:
            text = str(err)
            assert text.startswith("<image>: ") and "\n" not in text and len(text) < 300, (label, text)
            assert size is None, f"{label}: a valid file was refused: {text}"
            outcomes["error"] += 1
            continue
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3, label
        if size is not None:
            assert rgb.shape[:2] == size, label
        outcomes["image"] += 1
    assert outcomes["error"] > 1000 and outcomes["image"] > 1000  # both kinds were exercised
