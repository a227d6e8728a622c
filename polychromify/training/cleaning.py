"""Cleaning a folder of photos, and the report that accounts for every file found.

Every step is counted in the ``DataReport``; thresholds live in ``profiles.Cleaning``:

1. files whose name is not an image are ignored; files that don't decode are skipped with the reason;
   files that disagree with a ``<folder>.sha256`` manifest beside the folder are skipped;
2. the EXIF orientation is applied and every mode (gray, palette, CMYK, RGBA, 16-bit) becomes 8-bit RGB;
3. uniform black borders (padding from a centre crop of a smaller original) are cropped away;
   photos with too little left are dropped;
4. byte-identical and then pixel-identical duplicates are removed (first by file name kept), before
   splitting, so no photo is in two splits;
5. near-gray photos (99th percentile of Lab chroma below ``gray_chroma``) are removed: no colour to learn;
6. the rest is centre-cropped to a square and resized to ``image_size`` (``images.resize_square``).

Splitting and caching the cleaned photos is ``data``'s job.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from polychromify.product.color import rgb_to_lab
from polychromify.product.images import (
    ImageError,
    is_image_name,
    open_image,
    resize_square,
)
from polychromify.training.profiles import Cleaning

SPLITS = ("train", "val", "test")


# ---------------------------------------------------------------- cleaning steps

def black_borders(rgb: np.ndarray, cleaning: Cleaning = Cleaning()) -> tuple[int, int, int, int]:
    """Thickness of black padding on each side: (top, bottom, left, right).

    Padding from a centre crop is symmetric, so a pair of opposite sides counts only when both are
    at least ``border_min`` thick; a dark sky or a silhouette along one side is left alone.
    """
    brightest = rgb.max(axis=-1)
    dark_rows = np.percentile(brightest, 95, axis=1) <= cleaning.border_level
    dark_cols = np.percentile(brightest, 95, axis=0) <= cleaning.border_level

    def leading(flags: np.ndarray) -> int:
        return int(np.argmin(flags)) if not flags.all() else len(flags)

    def pair(flags: np.ndarray) -> tuple[int, int]:
        first, last = leading(flags), leading(flags[::-1])
        return (first, last) if min(first, last) >= cleaning.border_min else (0, 0)

    return pair(dark_rows) + pair(dark_cols)


def crop_borders(rgb: np.ndarray, cleaning: Cleaning = Cleaning()) -> tuple[np.ndarray | None, bool]:
    """The photo without its black borders and whether any were found; None when too little is left."""
    top, bottom, left, right = black_borders(rgb, cleaning)
    if not (top or bottom or left or right):
        return rgb, False
    h, w = rgb.shape[:2]
    inner = rgb[top:h - bottom, left:w - right]
    if min(inner.shape[:2], default=0) < cleaning.min_remaining * min(h, w):
        return None, True
    return inner, True


def chroma_p99(rgb: np.ndarray) -> float:
    """99th percentile of the Lab chroma sqrt(a^2 + b^2), on a copy at most 64 px wide."""
    small = np.asarray(Image.fromarray(rgb).reduce(max(1, min(rgb.shape[:2]) // 64)))
    lab = rgb_to_lab(small)
    return float(np.percentile(np.hypot(lab[..., 1], lab[..., 2]), 99))


def is_near_gray(rgb: np.ndarray, cleaning: Cleaning = Cleaning()) -> bool:
    """Whether a photo has (almost) no colour to learn from."""
    return chroma_p99(rgb) < cleaning.gray_chroma


# ---------------------------------------------------------------- the report

@dataclass
class DataReport:
    """What cleaning found and did; every photo found is accounted for."""

    source: str
    synthetic: bool = False
    found: int = 0                      # files with an image extension
    ignored: int = 0                    # other files (not an image extension)
    decoded: int = 0
    skipped: list = field(default_factory=list)          # [(file, reason)] not decodable / checksum
    converted: dict = field(default_factory=dict)        # original mode -> count (non-RGB modes)
    exif_rotated: int = 0
    verified: int = 0                   # files checked against a .sha256 manifest
    duplicate_groups: int = 0
    duplicates: list = field(default_factory=list)       # [(dropped, kept)] byte- or pixel-identical
    near_gray: list = field(default_factory=list)
    cropped: list = field(default_factory=list)          # black borders removed
    too_small: list = field(default_factory=list)        # dropped: too little left after cropping
    usable: int = 0                     # photos left after cleaning
    used: int = 0                       # of those, used by this profile (max_images)
    split_sizes: dict = field(default_factory=dict)
    image_size: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def lines(self) -> list[str]:
        """The report as printable lines."""
        out = [f"source:            {self.source}" + ("  [SYNTHETIC]" if self.synthetic else "")]
        if not self.synthetic:
            out += [
                f"found:             {self.found} image files ({self.ignored} other files ignored)",
                f"decoded:           {self.decoded}",
                f"skipped:           {len(self.skipped)}",
            ]
            out += [f"  - {reason}" for _, reason in self.skipped[:20]]
            if len(self.skipped) > 20:
                out.append(f"  ... and {len(self.skipped) - 20} more")
            modes = ", ".join(f"{m}: {n}" for m, n in sorted(self.converted.items())) or "none"
            out += [
                f"checksums:         {self.verified} verified against the folder's .sha256 manifest",
                f"converted to RGB:  {sum(self.converted.values())} ({modes})",
                f"EXIF-rotated:      {self.exif_rotated}",
                f"duplicates:        {len(self.duplicates)} removed ({self.duplicate_groups} groups)",
                f"black borders:     {len(self.cropped)} cropped, {len(self.too_small)} dropped as too small",
                f"near-gray:         {len(self.near_gray)} removed",
            ]
        sizes = "/".join(str(self.split_sizes.get(s, 0)) for s in SPLITS)
        out += [f"usable:            {self.usable} photos after cleaning",
                f"used:              {self.used} photos at {self.image_size} px",
                f"split:             train/val/test = {sizes} (paper: 2752/688/860 of 4300)"]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


# ---------------------------------------------------------------- finding and cleaning files

def find_files(root: Path) -> tuple[list[Path], int]:
    """Image files under root, recursively and sorted, and the number of other files ignored."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: data folder not found")
    images, ignored = [], 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if is_image_name(path):
            images.append(path)
        else:
            ignored += 1
    return images, ignored


def read_manifest(root: Path) -> dict[str, str]:
    """File name -> SHA-256 from a ``<folder>.sha256`` manifest beside the folder, if there is one."""
    manifest = Path(root).with_name(Path(root).name + ".sha256")
    if not manifest.is_file():
        return {}
    entries = {}
    for line in manifest.read_text().splitlines():
        digest, _, name = line.strip().partition("  ")
        if name:
            entries[name.lstrip("*")] = digest
    return entries


def _clean_one(path: Path, root: Path, cleaning: Cleaning, size: int, manifest: dict) -> dict:
    """Read, check and normalise one file; a dict saying what happened (no exception escapes)."""
    name = path.relative_to(root).as_posix()
    record = {"name": name}
    try:
        data = path.read_bytes()
    except OSError as err:
        return record | {"skip": f"{path}: cannot read ({err.strerror})"}
    record["sha"] = hashlib.sha256(data).hexdigest()
    expected = manifest.get(name)
    if expected is not None:
        record["verified"] = True
        if expected != record["sha"]:
            return record | {"skip": f"{path}: checksum differs from the folder's .sha256 manifest"}
    if not data:
        return record | {"skip": f"{path}: empty file (0 bytes)"}
    try:
        rgb, notes = open_image(data)
    except ImageError as err:
        return record | {"skip": f"{path}: {str(err).split(': ', 1)[-1]}"}
    record.update(mode=notes["mode"], rotated=notes["rotated"])
    rgb, had_border = crop_borders(rgb, cleaning)
    record["cropped"] = had_border
    if rgb is None:
        return record | {"too_small": True}
    record["pixels"] = hashlib.sha256(np.ascontiguousarray(rgb).tobytes() + str(rgb.shape).encode()).hexdigest()
    record["near_gray"] = is_near_gray(rgb, cleaning)
    record["rgb"] = resize_square(rgb, size)
    return record


def _progress(iterable, total: int, desc: str, show: bool):
    if not show:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc=desc, unit="img")


def clean_folder(root: Path, image_size: int = 128, cleaning: Cleaning = Cleaning(),
                 progress: bool = False) -> tuple[np.ndarray, list[str], list[str], DataReport]:
    """Clean every photo under root: (rgb (N, S, S, 3) uint8, names, content hashes, report)."""
    root = Path(root)
    files, ignored = find_files(root)
    manifest = read_manifest(root)
    report = DataReport(source=str(root), found=len(files), ignored=ignored, image_size=image_size)
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) + 1)) as pool:
        jobs = pool.map(lambda p: _clean_one(p, root, cleaning, image_size, manifest), files)
        records = list(_progress(jobs, len(files), "cleaning", progress))

    seen_bytes, seen_pixels, groups = {}, {}, set()
    kept = []
    for r in records:  # sorted by name: the first of duplicates is kept
        report.verified += bool(r.get("verified"))
        if "skip" in r:
            report.skipped.append((r["name"], r["skip"]))
            continue
        report.decoded += 1
        if r["mode"] != "RGB":
            report.converted[r["mode"]] = report.converted.get(r["mode"], 0) + 1
        report.exif_rotated += bool(r["rotated"])
        original = seen_bytes.get(r["sha"]) or seen_pixels.get(r.get("pixels"))
        if original is not None:
            report.duplicates.append((r["name"], original))
            groups.add(original)
            continue
        seen_bytes[r["sha"]] = r["name"]
        if r.get("too_small"):
            report.too_small.append(r["name"])
            continue
        seen_pixels[r["pixels"]] = r["name"]
        if r["cropped"]:
            report.cropped.append(r["name"])
        if r["near_gray"]:
            report.near_gray.append(r["name"])
            continue
        kept.append(r)
    report.duplicate_groups = len(groups)
    report.usable = report.used = len(kept)
    rgb = np.stack([r["rgb"] for r in kept]) if kept else np.zeros((0, image_size, image_size, 3), np.uint8)
    return rgb, [r["name"] for r in kept], [r["sha"] for r in kept], report
