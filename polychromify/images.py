"""Reading any image file into 8-bit RGB, and the one-line error for files that can't be read."""
from __future__ import annotations

import io
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


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode (1, L, LA, P, RGBA, CMYK, I;16, I, F, ...) as 8-bit RGB; alpha over white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        values = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        image = Image.fromarray(values, mode="L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


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
                    raise ImageError(f"{path}: no such file")
                if path.is_dir():
                    raise ImageError(f"{path}: is a folder, not an image")
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
        orientation = image.getexif().get(0x0112, 1)
        image = ImageOps.exif_transpose(image)
        rgb = np.asarray(to_rgb(image))
    except ImageError:
        raise
    except Image.DecompressionBombError as err:
        raise ImageError(f"{name}: over the limit of {max_pixels:,} pixels ({err})") from None
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image (unrecognised file format)") from None
    except (OSError, SyntaxError, ValueError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ImageError(f"{name}: cannot decode ({reason})") from None
    if rgb.size == 0:
        raise ImageError(f"{name}: image has zero size")
    return rgb, {"mode": mode, "rotated": orientation not in (1, None)}


def load_rgb(source, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Any image source as (H, W, 3) uint8 RGB (see ``open_image``)."""
    return open_image(source, max_pixels)[0]


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    """A gray (H, W), (H, W, 1), RGB or RGBA array of uint8, uint16 or float in [0, 1] as uint8 RGB."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)) or 0 in a.shape:
        raise ImageError(f"<array>: expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {a.shape}")
    if a.dtype == np.uint16:
        a = (a.astype(np.float64) / 257.0 + 0.5).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        a = (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise ImageError(f"<array>: unsupported dtype {a.dtype}")
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
