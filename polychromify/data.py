"""The landscape data: find photos, clean them, convert to CIELAB, split, and cache the arrays.

The network sees X = L in [0, 100], shape (N, S, S, 1), and predicts Y = ab / AB_SCALE in [-1, 1],
shape (N, S, S, 2), as in the paper (section III). The colour conversion is ``color``'s (scikit-image's
sRGB <-> CIELAB, D65 white point).

Cleaning (every step is counted in the ``DataReport``; thresholds live in ``profiles.Cleaning``):

1. files whose name is not an image are ignored; files that don't decode are skipped with the reason;
   files that disagree with a ``<folder>.sha256`` manifest beside the folder are skipped;
2. the EXIF orientation is applied and every mode (gray, palette, CMYK, RGBA, 16-bit) becomes 8-bit RGB;
3. uniform black borders (padding from a centre crop of a smaller original) are cropped away;
   photos with too little left are dropped;
4. byte-identical and then pixel-identical duplicates are removed (first by file name kept), before
   splitting, so no photo is in two splits;
5. near-gray photos (99th percentile of Lab chroma below ``gray_chroma``) are removed: no colour to learn;
6. the rest is centre-cropped to a square and resized to ``image_size`` with an anti-aliased filter.

The split is 64/16/20 (the paper: 2752/688/860 of 4300) and is decided per photo from a seeded hash of its
content, so it is deterministic given the seed, and adding or removing files never moves the photos
already there from one split to another (the price: split sizes are 64/16/20 only on average).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from . import settings
from .color import rgb_to_lab, rgb_to_xy
from .files import atomic_folder
from .images import ImageError, is_image_name, open_image, pillow_limit
from .profiles import Cleaning, Profile, get_profile

SPLITS = ("train", "val", "test")
CACHE_VERSION = 2


# ---------------------------------------------------------------- resizing

def resize_square(rgb: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square, then resize to (size, size) with an anti-aliased (Lanczos) filter."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(rgb[top:top + side, left:left + side])
    if side != size:
        square = square.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(square)


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


# ---------------------------------------------------------------- split

def _unit_hash(*parts) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:15], 16) / 16**15


def assign_splits(hashes: list[str], seed: int, fractions=(0.64, 0.16, 0.20)) -> np.ndarray:
    """Split index (0 train, 1 val, 2 test) per photo, from a seeded hash of its content."""
    edges = np.cumsum(fractions) / np.sum(fractions)
    return np.array([int(np.searchsorted(edges, _unit_hash(seed, h), side="right")) for h in hashes], dtype=int)


def choose_subset(hashes: list[str], n: int | None, seed: int) -> np.ndarray:
    """Indices of n photos picked by a seeded hash (nested: a larger n keeps the smaller n's photos)."""
    order = sorted(range(len(hashes)), key=lambda i: _unit_hash(seed, "subset", hashes[i]))
    return np.sort(np.array(order[:n] if n else order, dtype=int))


# ---------------------------------------------------------------- cache

def _cache(cache_dir: Path | None) -> Path:
    """The cache folder given, else the configured one (``settings.cache_dir``)."""
    return Path(cache_dir) if cache_dir else settings.cache_dir()


def manifest_key(root: Path, image_size: int, cleaning: Cleaning) -> str:
    """Cache key: the file list with sizes and modification times, the image size and the cleaning settings."""
    files, _ = find_files(root)
    stats = [(p, p.stat()) for p in files]
    entries = [(p.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns) for p, st in stats]
    manifest = root.with_name(root.name + ".sha256")
    payload = {"version": CACHE_VERSION, "root": str(Path(root).resolve()), "files": entries,
               "manifest": manifest.stat().st_mtime_ns if manifest.is_file() else None,
               "image_size": image_size, "cleaning": dataclasses.asdict(cleaning)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _write_atomically(folder: Path, arrays: dict, index: dict) -> None:
    """Write arrays and an index into a temporary folder, then rename it into place (``files.atomic_folder``)."""
    try:
        with atomic_folder(folder, overwrite=False) as tmp:
            for key, value in arrays.items():
                np.save(tmp / f"{key}.npy", value)
            (tmp / "index.json").write_text(json.dumps(index))
    except FileExistsError:  # another process finished the same cache first
        if not (folder / "index.json").is_file():
            raise


def prepare(root: Path, image_size: int = 128, cleaning: Cleaning = Cleaning(), cache_dir: Path | None = None,
            progress: bool = False) -> Path:
    """Clean the folder and cache L, Y and RGB at image_size; returns the cache folder (reused when current)."""
    root = Path(root)
    key = manifest_key(root, image_size, cleaning)
    folder = _cache(cache_dir) / "prepared" / f"{root.name}-{image_size}px-{key[:16]}"
    if (folder / "index.json").is_file():
        return folder
    rgb, names, hashes, report = clean_folder(root, image_size, cleaning, progress=progress)
    x, y = rgb_to_xy(rgb) if len(rgb) else (np.zeros(rgb.shape[:3] + (1,), np.float32),
                                            np.zeros(rgb.shape[:3] + (2,), np.float32))
    data_hash = hashlib.sha256("\n".join(hashes).encode()).hexdigest()
    index = {"names": names, "hashes": hashes, "report": report.to_dict(), "data_hash": data_hash, "key": key}
    _write_atomically(folder, {"L": x, "Y": y, "rgb": rgb}, index)
    return folder


# ---------------------------------------------------------------- the data set

@dataclass
class Dataset:
    """Cleaned photos split into train/val/test: L (X), ab / AB_SCALE (Y), RGB and file names per split."""

    x: dict
    y: dict
    rgb: dict
    names: dict
    report: DataReport
    data_hash: str
    synthetic: bool = False
    protocol: str = "ours"  # "ours" (cleaned, content-hash split) or "author" (load_author_protocol)

    @property
    def x_train(self): return self.x["train"]

    @property
    def y_train(self): return self.y["train"]

    @property
    def x_val(self): return self.x["val"]

    @property
    def y_val(self): return self.y["val"]

    @property
    def x_test(self): return self.x["test"]

    @property
    def y_test(self): return self.y["test"]

    @property
    def image_size(self) -> int:
        return self.report.image_size

    def provenance(self) -> dict:
        """What a result needs to record about its data."""
        out = {"source": self.report.source, "synthetic": self.synthetic, "data_hash": self.data_hash,
               "used": self.report.used, "split_sizes": dict(self.report.split_sizes),
               "image_size": self.image_size}
        return out if self.protocol == "ours" else out | {"protocol": self.protocol}


MIN_PHOTOS = 10  # fewer than this cannot be split 64/16/20 with a photo in every split


def _make_dataset(x, y, rgb, names, hashes, report: DataReport, profile: Profile, synthetic: bool) -> Dataset:
    """Subset (max_images) and split already-prepared arrays."""
    subset = choose_subset(hashes, profile.max_images, profile.seed)
    split = assign_splits([hashes[i] for i in subset], profile.seed, profile.split)
    sizes = {s: int((split == k).sum()) for k, s in enumerate(SPLITS)}
    if len(subset) < MIN_PHOTOS or min(sizes.values()) == 0:
        raise ValueError(f"{report.source}: only {len(subset)} usable photos "
                         f"(split {sizes}); at least {MIN_PHOTOS} are needed to split train/val/test")
    report = dataclasses.replace(report, used=len(subset), split_sizes=sizes)
    parts = {s: subset[split == k] for k, s in enumerate(SPLITS)}
    used_hashes = [hashes[i] for i in subset]
    return Dataset(
        x={s: np.ascontiguousarray(x[i]) for s, i in parts.items()},
        y={s: np.ascontiguousarray(y[i]) for s, i in parts.items()},
        rgb={s: rgb[i] for s, i in parts.items()},
        names={s: [names[j] for j in i] for s, i in parts.items()},
        report=report, synthetic=synthetic,
        data_hash=hashlib.sha256("\n".join(used_hashes).encode()).hexdigest())


def load_dataset(data_dir: str | Path | None = None, profile: Profile | str = "quick",
                 cache_dir: Path | None = None, progress: bool = False, quiet: bool = False) -> Dataset:
    """The cleaned, split data set for a profile.

    ``data_dir`` None means synthetic landscapes (``profile.max_images`` of them, 400 when unset), with a
    loud warning; ``$POLYCHROMIFY_DATA`` is read at the edge (``settings.data_dir``), never here.
    """
    profile = get_profile(profile)
    data_dir = Path(data_dir) if data_dir else None
    if data_dir is None:
        from .synthetic import SYNTHETIC_WARNING, synthetic_landscapes
        if not quiet:
            print(SYNTHETIC_WARNING, file=sys.stderr)
        n = profile.max_images or 400
        rgb = synthetic_landscapes(n, profile.image_size, seed=profile.seed)
        x, y = rgb_to_xy(rgb)
        hashes = [hashlib.sha256(img.tobytes()).hexdigest() for img in rgb]
        names = [f"synthetic-{i:05d}" for i in range(n)]
        report = DataReport(source="synthetic landscapes (procedural)", synthetic=True,
                            usable=n, used=n, image_size=profile.image_size)
        return _make_dataset(x, y, rgb, names, hashes, report, profile, synthetic=True)
    folder = prepare(data_dir, profile.image_size, profile.cleaning, cache_dir, progress=progress)
    index = json.loads((folder / "index.json").read_text())
    report = DataReport(**index["report"])
    x, y, rgb = (np.load(folder / f"{k}.npy") for k in ("L", "Y", "rgb"))
    return _make_dataset(x, y, rgb, index["names"], index["hashes"], report, profile, synthetic=False)


# ---------------------------------------------------------------- the author's protocol

def _author_read(path: Path, size: int) -> np.ndarray | str:
    """One photo as the author's ``flow_from_directory`` read it (PIL: to RGB, squashed to size x size
    with nearest-neighbour, Keras' default), or the reason it cannot be read."""
    try:
        pillow_limit()
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB").resize((size, size), Image.NEAREST))
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        return f"{path}: cannot decode ({err})"


def load_author_protocol(data_dir: str | Path | None = None, profile: Profile | str = "paper",
                         cache_dir: Path | None = None, quiet: bool = False) -> Dataset:
    """The data set as the author's notebook of June 2021 built it, for measuring what the protocol changes.

    Every image file is kept (duplicates, near-gray, padded and grayscale photos included), squashed to
    ``image_size`` with nearest-neighbour (no crop, no anti-aliasing), and split with scikit-learn's
    ``train_test_split``, 80/20 and then 80/20 again, with ``random_state`` = the profile's seed (his: 42).
    With 4,319 files that is 2,764/691/864 (his 4,300: 2,752/688/860). Differences from his notebook:
    he read the first batch of 4,300 of his files in a shuffled order we cannot recover; we read the files
    sorted by name. Photos that do not decode are skipped with their reason in the report.
    ``profile.max_images`` takes a seeded random subset before splitting.
    """
    from sklearn.model_selection import train_test_split
    profile = get_profile(profile)
    if not data_dir:
        raise ValueError("the author's data protocol needs real photos: pass data_dir (--data DIR) or set "
                         f"${settings.DATA_ENV}")
    root = Path(data_dir)
    size = profile.image_size
    key = hashlib.sha256(json.dumps({"protocol": "author", "key": manifest_key(root, size, Cleaning())}
                                    ).encode()).hexdigest()
    folder = _cache(cache_dir) / "prepared" / f"{root.name}-author-{size}px-{key[:16]}"
    if not (folder / "index.json").is_file():
        files, ignored = find_files(root)
        report = DataReport(source=str(root), found=len(files), ignored=ignored, image_size=size)
        with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) + 1)) as pool:
            read = list(pool.map(lambda p: _author_read(p, size), files))
        kept = [(p, r) for p, r in zip(files, read) if not isinstance(r, str)]
        report.skipped = [(p.relative_to(root).as_posix(), r) for p, r in zip(files, read) if isinstance(r, str)]
        report.decoded = report.usable = report.used = len(kept)
        rgb = np.stack([r for _, r in kept]) if kept else np.zeros((0, size, size, 3), np.uint8)
        names = [p.relative_to(root).as_posix() for p, _ in kept]
        hashes = [hashlib.sha256(p.read_bytes()).hexdigest() for p, _ in kept]
        _write_atomically(folder, {"rgb": rgb}, {"names": names, "hashes": hashes, "report": report.to_dict()})
    index = json.loads((folder / "index.json").read_text())
    rgb, names, hashes = np.load(folder / "rgb.npy"), index["names"], index["hashes"]
    order = np.arange(len(names))
    if profile.max_images and profile.max_images < len(order):
        order = np.sort(np.random.default_rng(profile.seed).choice(len(order), profile.max_images, replace=False))
    if len(order) < MIN_PHOTOS:
        raise ValueError(f"{root}: only {len(order)} readable photos; at least {MIN_PHOTOS} are needed")
    rest, test = train_test_split(order, test_size=0.2, random_state=profile.seed)
    train, val = train_test_split(rest, test_size=0.2, random_state=profile.seed)
    parts = {"train": train, "val": val, "test": test}
    x, y = rgb_to_xy(rgb)
    report = dataclasses.replace(DataReport(**index["report"]), used=len(order),
                                 split_sizes={s: len(i) for s, i in parts.items()})
    used = [hashes[i] for s in SPLITS for i in parts[s]]
    if not quiet:
        print(f"author's data protocol: {len(order)} photos, split {'/'.join(str(len(parts[s])) for s in SPLITS)}",
              file=sys.stderr)
    return Dataset(
        x={s: x[i] for s, i in parts.items()},
        y={s: y[i] for s, i in parts.items()},
        rgb={s: rgb[i] for s, i in parts.items()},
        names={s: [names[j] for j in i] for s, i in parts.items()},
        report=report, protocol="author",
        data_hash=hashlib.sha256(("author\n" + "\n".join(used)).encode()).hexdigest())
