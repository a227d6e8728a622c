"""Colorize any photo at its own resolution with a trained model.

As Zhang et al. (2016) do, the network sees only a small copy of the photo: the whole image, resized
(aspect ratio ignored) to the model's square input, converted to L. Its ab prediction is upsampled
bilinearly to the original size and merged with the original full-resolution L, so the result keeps every
detail of the input; only the colour is at the model's resolution, which the eye hardly notices.

Inputs: a path, bytes, a PIL image or an array, of any size and mode (gray, palette, RGB, RGBA, CMYK,
16-bit, EXIF-rotated), read by ``images.open_image``. Images over ``MAX_PIXELS`` (100 megapixels) are
refused with an ``ImageError``, as are files that are missing, empty, truncated or not images.

Speed: the full-resolution part (L of the input, ab upsampling, Lab -> RGB) runs in blocks of rows that
stay in the CPU cache, on threads (numpy releases the GIL), with the lookup-table conversions of ``color``
(scikit-image's CIELAB to within 0.01 L and one 8-bit level); bilinear upsampling is one small matrix
product across and a blend of two rows down. ``benchmarks/colorize_speed.py`` measures every stage.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from polychromify.product.color import (
    AB_SCALE,
    lab_planes_to_rgb8,
    lightness,
    rgb_to_lab,
)
from polychromify.product.files import atomic_path
from polychromify.product.images import MAX_PIXELS, ImageError, load_rgb
from polychromify.product.trained import TrainedModel, load_model

OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
JPEG_QUALITY = 95
PNG_COMPRESS_LEVEL = 1  # zlib level: a 12 MP photo is written in half the time of the default 6, ~15% larger
OUTPUT_SUFFIX = "_colorized"
_BLOCK_ROWS = 64        # rows per block of the full-resolution pass (a few MB: stays in cache)

__all__ = ["MAX_PIXELS", "TrainedModel", "colorize", "colorize_files", "load_model", "merge", "output_path",
           "predict_small_ab", "upsample_ab", "write_image"]


# ---------------------------------------------------------------- bilinear upsampling of ab

def _bilinear_taps(n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output pixel: the two input pixels and the weight of the second, for bilinear resampling
    with pixel centres aligned and edges clamped (as Pillow, OpenCV and scikit-image do)."""
    centre = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
    low = np.floor(centre).astype(np.intp)
    return low, np.minimum(low + 1, n_in - 1), (centre - low).astype(np.float32)


def _bilinear_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) weights of that resampling."""
    low, high, weight = _bilinear_taps(n_out, n_in)
    matrix = np.zeros((n_out, n_in), np.float32)
    rows = np.arange(n_out)
    np.add.at(matrix, (rows, low), 1 - weight)
    np.add.at(matrix, (rows, high), weight)
    return matrix


class _Upsampler:
    """Bilinear upsampling of a small (h, w, C) array to (H, W), any block of rows at a time.

    Across: one small matrix product per channel, (h, w) @ (w, W), done once. Down: each output row
    blends two of those rows.
    """

    def __init__(self, small: np.ndarray, height: int, width: int):
        small = np.asarray(small, np.float32)
        across = _bilinear_matrix(width, small.shape[1])
        self.wide = [small[..., c] @ across.T for c in range(small.shape[-1])]  # each (h, W)
        self.low, self.high, weight = _bilinear_taps(height, small.shape[0])
        self.weight = weight[:, None]

    def __call__(self, part: slice) -> list[np.ndarray]:
        """The upsampled channels of rows ``part``, each (rows, W) float32."""
        low, high, weight = self.low[part], self.high[part], self.weight[part]
        out = []
        for wide in self.wide:
            top = wide[low]
            top += (wide[high] - top) * weight
            out.append(top)
        return out


def upsample_ab(ab: np.ndarray, height: int, width: int) -> np.ndarray:
    """A small ab (h, w, 2) resampled bilinearly to (height, width, 2), float32."""
    return np.stack(_Upsampler(ab, height, width)(slice(0, height)), axis=-1)


# ---------------------------------------------------------------- colorize

def predict_small_ab(rgb: np.ndarray, model=None) -> np.ndarray:
    """The model's ab, in Lab units, for the whole photo resized to its input size: (S, S, 2) float32."""
    model = load_model(model)
    size = model.image_size
    small = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0))
    x = rgb_to_lab(small)[None, ..., :1]
    y = model.decode(model.model.predict_on_batch(x))
    return np.clip(y[0], -1.0, 1.0) * AB_SCALE


MAX_CHROMA = 10.0  # beyond this every colour is clipped to the sRGB gamut's edge


def check_chroma(chroma) -> float:
    """``chroma`` if it is a number from 0 to ``MAX_CHROMA``, else a one-line ValueError (NaN or infinity
    would give an all-black picture)."""
    try:
        value = float(chroma)
    except (TypeError, ValueError):
        raise ValueError(f"chroma must be a number from 0 to {MAX_CHROMA:g}, not {chroma!r}") from None
    if not 0.0 <= value <= MAX_CHROMA:  # False for NaN
        raise ValueError(f"chroma must be a number from 0 to {MAX_CHROMA:g}, not {chroma!r}")
    return value


def merge(rgb: np.ndarray, ab: np.ndarray, chroma: float = 1.0, workers: int | None = None) -> np.ndarray:
    """The full-resolution L of ``rgb`` (H, W, 3) with ``ab`` (h, w, 2) upsampled to (H, W) and scaled by chroma.

    Returns uint8 RGB (H, W, 3). Runs in blocks of rows on ``workers`` threads (default: the CPU count).
    """
    check_chroma(chroma)
    rgb = np.asarray(rgb, np.uint8)
    height, width = rgb.shape[:2]
    ab = np.asarray(ab, np.float32) * np.float32(chroma)
    up = _Upsampler(ab, height, width) if np.any(ab) else None  # None: no colour at all, exactly gray
    out = np.empty((height, width, 3), np.uint8)

    def block(part: slice) -> None:
        a, b = up(part) if up is not None else (None, None)
        lab_planes_to_rgb8(lightness(rgb[part]), a, b, out=out[part])

    parts = [slice(i, min(i + _BLOCK_ROWS, height)) for i in range(0, height, _BLOCK_ROWS)]
    workers = workers or min(8, os.cpu_count() or 1)
    if workers == 1 or len(parts) == 1:
        for part in parts:
            block(part)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(block, parts))
    return out


def colorize(image, model=None, chroma: float = 1.0) -> np.ndarray:
    """Colorize a photo at its own resolution: uint8 RGB (H, W, 3) of the input's size.

    ``image``: a path, bytes, PIL image or array of any mode (see ``images.open_image``; at most
    ``MAX_PIXELS``). ``model``: anything ``trained.load_model`` takes (None: the shipped default colorizer;
    "paper", "author_model", a folder of model files, a ``TrainedModel``, a ``keras.Model``); an experiment's
    run in the results store comes as a ``TrainedModel`` from ``training.resolve.trained_model``. ``chroma``
    scales the predicted ab (0: gray).
    """
    rgb = load_rgb(image)
    return merge(rgb, predict_small_ab(rgb, load_model(model)), chroma)


# ---------------------------------------------------------------- files

def write_image(rgb: np.ndarray, path: Path, force: bool = False) -> None:
    """Write uint8 RGB as PNG or JPEG (from the extension) atomically (``files.atomic_path``).

    Without ``force`` an existing file is never replaced (FileExistsError), even one that appears while
    writing; with it, a replaced file keeps its permissions.
    """
    path = Path(path)
    kind = OUTPUT_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: unsupported output format (use {', '.join(OUTPUT_FORMATS)})")
    if path.exists() and not force:
        raise FileExistsError(f"{path}: exists (use --force to overwrite)")
    options = {"quality": JPEG_QUALITY} if kind == "JPEG" else {"compress_level": PNG_COMPRESS_LEVEL}
    try:
        with atomic_path(path, overwrite=force) as tmp:
            Image.fromarray(rgb).save(tmp, format=kind, **options)
    except FileExistsError:
        raise FileExistsError(f"{path}: exists (use --force to overwrite)") from None


def output_path(source: Path, output: Path | None = None, outdir: Path | None = None, fmt: str = "png") -> Path:
    """Where a colorized file goes: ``output``, else ``<stem>_colorized.<fmt>`` in ``outdir`` or beside the input."""
    if output is not None:
        return Path(output)
    source = Path(source)
    return Path(outdir or source.parent) / f"{source.stem}{OUTPUT_SUFFIX}.{fmt}"


def expand_inputs(inputs) -> list[Path]:
    """The files to colorize: each file as given; a folder given as an input stands for the files directly in it
    (sorted; not its subfolders, hidden files or earlier ``*_colorized`` outputs), so ``colorize old_photos/``
    does the folder. A folder with no such files stays in the list, to be reported as a folder."""
    files = []
    for path in map(Path, inputs):
        try:
            inside = sorted(p for p in path.iterdir() if not p.name.startswith(".")
                            and not p.stem.endswith(OUTPUT_SUFFIX) and not p.is_dir()) if path.is_dir() else [path]
        except OSError:  # unreadable folder: reported as that input's one line
            inside = [path]
        files.extend(inside or [path])
    return files


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (False when either cannot be resolved: a symlink loop, say)."""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return False


def _check_outdir(outdir: Path) -> None:
    """A one-line ValueError when ``outdir`` can be neither used nor created (a symlink loop, a file)."""
    try:
        resolved = Path(outdir).resolve()
    except (OSError, RuntimeError) as err:
        raise ValueError(f"--outdir {outdir}: cannot be used ({getattr(err, 'strerror', None) or err})") from None
    if resolved.exists() and not resolved.is_dir():
        raise ValueError(f"--outdir {outdir}: is a file, not a folder")


def _resolved(target: Path, source: Path) -> Path:
    """``target`` resolved, or a ValueError naming ``source`` (a symlink loop on the way)."""
    try:
        return target.resolve()
    except (OSError, RuntimeError):
        raise ValueError(f"{source}: output {target} cannot be resolved (a symlink loop?)") from None


def _one_line(error: BaseException) -> str:
    """An exception as one line, the file named: OSError's strerror and filename rather than its repr."""
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror}"
    text = str(error).splitlines()[0] if str(error) else ""
    return text or type(error).__name__


def colorize_files(inputs, output=None, outdir=None, model=None, force: bool = False, chroma: float = 1.0,
                   fmt: str = "png", progress: bool = True, err=None) -> list[tuple]:
    """Colorize many files (a folder: the files in it, ``expand_inputs``); one result per file: (input, output
    path or None, error line or None).

    A file that fails (unreadable, not an image, truncated, empty, over ``MAX_PIXELS``, or whose output
    exists without ``force``) gets one line on ``err`` (default stderr) and the others are still done.
    An input file is never overwritten, even with ``force``; ``output`` needs exactly one input.
    """
    inputs = expand_inputs(inputs)
    err = err or sys.stderr
    if output is not None and len(inputs) != 1:
        raise ValueError(f"-o/--output takes exactly one input, got {len(inputs)}; use --outdir for several")
    if output is not None and outdir is not None:
        raise ValueError("give -o/--output or --outdir, not both")
    if output is not None and Path(output).suffix.lower() not in OUTPUT_FORMATS:
        raise ValueError(f"{output}: unsupported output format (use {', '.join(OUTPUT_FORMATS)})")
    if f".{fmt}" not in OUTPUT_FORMATS:
        raise ValueError(f"unsupported format {fmt!r} (use png or jpg)")
    check_chroma(chroma)
    if outdir is not None:
        _check_outdir(outdir)
    resolved = None  # loaded at the first readable photo: bad input is reported without loading TensorFlow
    from tqdm.auto import tqdm
    results, written = [], {}
    bar = tqdm(inputs, desc="colorizing", unit="img", disable=not progress, file=err)
    for source in bar:
        target = output_path(source, output, outdir, fmt)
        try:
            if source.is_dir():
                raise ValueError(f"{source}: is a folder with no photos directly in it")
            if any(_same_file(target, p) for p in inputs):
                raise ValueError(f"{source}: output {target} is an input; refusing to overwrite it")
            key = _resolved(target, source)
            if key in written:
                raise ValueError(f"{source}: output {target} was already written for {written[key]}")
            if target.exists() and not force:
                raise FileExistsError(f"{source}: output {target} exists (use --force to overwrite)")
            rgb = load_rgb(source)
        except (ImageError, ValueError, OSError) as error:
            results.append((source, None, _report(error, source, bar, err)))
            continue
        resolved = resolved or load_model(model)  # a bad --model stops the batch: one line
        try:
            write_image(merge(rgb, predict_small_ab(rgb, resolved), chroma), target, force=force)
            written[key] = source
            results.append((source, target, None))
        except (ImageError, ValueError, OSError) as error:
            results.append((source, None, _report(error, source, bar, err)))
    return results


def _report(error: BaseException, source: Path, bar, err) -> str:
    """Write a failed file's one line (naming it) above the progress bar; returns the line."""
    line = _one_line(error)
    if not line.startswith(str(source)):
        line = f"{source}: {line}"
    bar.write(f"polychromify colorize: {line}", file=err)
    return line
