"""Reading any image file into 8-bit RGB, and the one-line error for files that can't be read."""
from __future__ import annotations

import io
import stat
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")

# Largest image we agree to decode (pixels). 100 MP is beyond any camera photo and
# keeps one decode under ~400 MB of memory; Pillow's own bomb check is set to the same when we open one.
MAX_PIXELS = 100_000_000


class ImageError(ValueError):
    """A file that is not a usable image; ``str(err)`` is one line naming the file and the reason."""


def is_image_name(path: str | Path) -> bool:
    """Whether the file name has one of the supported image extensions."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def pillow_limit(max_pixels: int = MAX_PIXELS) -> None:
    """Set Pillow's decompression-bomb check (``Image.MAX_IMAGE_PIXELS``, process-wide) to ``MAX_PIXELS``, or
    to ``max_pixels`` if larger, before a file is opened (Pillow warns above it and refuses twice it).
    ``open_image`` itself refuses a file over its ``max_pixels`` from the header, before decoding it."""
    Image.MAX_IMAGE_PIXELS = max(max_pixels, MAX_PIXELS)


FLOAT_TOLERANCE = 1e-3  # float pixels may stray this far outside [0, 1] (rounding); further is an error


def _full_scale(image: Image.Image) -> float:
    """The value of white for a high-bit-depth Pillow mode, from the mode and the file's bit depth, never from
    the pixel values: 16-bit modes 65535; 32-bit integers from the TIFF's BitsPerSample; floats 1.0."""
    if image.mode.startswith("I;16"):
        return 65535.0
    if image.mode == "F":
        return 1.0
    tags = getattr(image, "tag_v2", {})
    bits = tags.get(258)
    bits = bits[0] if isinstance(bits, tuple) else bits
    if not bits:
        raise ValueError("32-bit integer pixels of unknown bit depth (save it as 8 or 16 bits)")
    sample_format = tags.get(339)  # 1 unsigned, 2 signed
    signed = (sample_format[0] if isinstance(sample_format, tuple) else sample_format) == 2
    return float(2 ** (bits - 1 if signed else bits) - 1)


def scaled_to_uint8(values: np.ndarray, white: float) -> np.ndarray:
    """High-bit-depth pixels (white = ``white``) as uint8; a one-line ValueError for NaN, infinite or (floats)
    out-of-range values, which would otherwise give a wrong picture silently."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError("pixels are NaN or infinite")
    if white == 1.0 and (values.min() < -FLOAT_TOLERANCE or values.max() > 1 + FLOAT_TOLERANCE):
        raise ValueError(f"floating-point pixels must lie in [0, 1], these span [{values.min():.4g}, "
                         f"{values.max():.4g}] (divide 8-bit values by 255)")
    return np.clip(values / white * 255.0 + 0.5, 0, 255).astype(np.uint8)


def to_8bit(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or float image (I;16, I, F) as 8-bit gray (L), scaled by ``_full_scale`` (read it
    before any transpose: the file's tags go with the decoded image only); other modes unchanged. ValueError
    for a scale that cannot be known or values outside it (floats: [0, 1])."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return Image.fromarray(scaled_to_uint8(np.asarray(image), _full_scale(image)), mode="L")
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode (1, L, LA, P, RGBA, CMYK, I;16, I, F, ...) as 8-bit RGB; alpha over white."""
    image = to_8bit(image)
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


def _file_kind(path: Path) -> str:
    """What a path that is not a regular file is: a FIFO, a socket, a device."""
    mode = path.stat().st_mode
    return ("FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode)
            else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special file")


def _format_by_signature(data: bytes) -> str | None:
    """The image format whose signature ``data`` starts with, by Pillow's own format checks, or None."""
    Image.init()
    head = bytes(data[:64])
    for name, (_, accept) in Image.OPEN.items():
        try:
            if accept and head and accept(head):
                return name
        except Exception:  # noqa: BLE001 - a plugin's check on a short or odd prefix
            continue
    return None


def open_image(source, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, dict]:
    """Decode a path, bytes, PIL image or array into (H, W, 3) uint8 RGB plus notes on what was done.

    Files over ``max_pixels`` are refused before they are decoded (``pillow_limit`` sets Pillow's check to it).

    The notes say the original mode and whether the EXIF orientation was applied, for the data report.
    Raises ImageError with one line naming the file and the reason.
    """
    name = str(source) if isinstance(source, (str, Path)) else "<image>"
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source), {"mode": f"array{source.dtype}", "rotated": False}
    try:
        if isinstance(source, Image.Image):
            image = source
        else:
            if isinstance(source, (str, Path)):
                path = Path(source)
                if not path.exists():
                    raise ImageError(f"{path}: " + ("a symbolic link to nothing, or a loop of links"
                                                    if path.is_symlink() else "no such file"))
                if path.is_dir():
                    raise ImageError(f"{path}: is a folder, not an image")
                if not path.is_file():  # never opened: reading a FIFO would wait for a writer
                    raise ImageError(f"{path}: not a regular file (a {_file_kind(path)}), not an image")
                if path.stat().st_size == 0:
                    raise ImageError(f"{path}: empty file (0 bytes)")
                data = path.read_bytes()
            else:
                data = bytes(source)
            pillow_limit(max_pixels)
            image = Image.open(io.BytesIO(data))
        if image.width * image.height > max_pixels:
            raise ImageError(f"{name}: {image.width}x{image.height} is over the limit of {max_pixels:,} pixels")
        mode = image.mode
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            raise ImageError(f"{name}: an animated or multi-page image ({frames} frames); save the one frame "
                             f"to use as its own file")
        orientation = image.getexif().get(0x0112, 1)
        try:
            image = to_8bit(image)
        except ValueError as err:
            raise ImageError(f"{name}: {err}") from None
        image = ImageOps.exif_transpose(image)
        rgb = np.asarray(to_rgb(image))
    except ImageError:
        raise
    except Image.DecompressionBombError as err:
        raise ImageError(f"{name}: over the limit of {max_pixels:,} pixels ({err})") from None
    except UnidentifiedImageError:
        known = _format_by_signature(data if not isinstance(source, Image.Image) else b"")
        if known:  # Pillow knows the signature but could not read what follows it
            raise ImageError(f"{name}: a damaged {known} file (its header cannot be read)") from None
        raise ImageError(f"{name}: not an image (unrecognised file format)") from None
    except Exception as err:  # noqa: BLE001 - a damaged file makes Pillow's plugins raise almost anything
        # (OSError, SyntaxError, ValueError, but also TypeError "Missing dimensions" from a damaged TIFF, ...)
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ImageError(f"{name}: cannot decode ({reason})") from None
    if rgb.size == 0:
        raise ImageError(f"{name}: image has zero size")
    return rgb, {"mode": mode, "rotated": orientation not in (1, None)}


def load_rgb(source, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Any image source as (H, W, 3) uint8 RGB (see ``open_image``)."""
    return open_image(source, max_pixels)[0]


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    """A gray (H, W), (H, W, 1), RGB or RGBA array of uint8, uint16 or float in [0, 1] as uint8 RGB (the scale
    from the dtype, never from the values)."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)) or 0 in a.shape:
        raise ImageError(f"<array>: expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {a.shape}")
    if a.dtype == np.uint16 or np.issubdtype(a.dtype, np.floating):
        try:
            a = scaled_to_uint8(a, 65535.0 if a.dtype == np.uint16 else 1.0)
        except ValueError as err:
            raise ImageError(f"<array>: {err}") from None
    elif a.dtype != np.uint8:
        raise ImageError(f"<array>: unsupported dtype {a.dtype} (use uint8, uint16 or float in [0, 1])")
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=-1)
    if a.shape[-1] == 4:
        alpha = a[..., 3:4].astype(np.float64) / 255.0
        a = (a[..., :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(a)


def resize_square(rgb: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square, then resize to (size, size) with an anti-aliased (Lanczos) filter."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(rgb[top:top + side, left:left + side])
    if side != size:
        square = square.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(square)
