"""The landscape data set: the cleaned photos (``cleaning``) split, converted to CIELAB and cached.

The network sees X = L in [0, 100], shape (N, S, S, 1), and predicts Y = ab / AB_SCALE in [-1, 1],
shape (N, S, S, 2), as in the paper (section III). The colour conversion is ``color``'s (scikit-image's
sRGB <-> CIELAB, D65 white point).

The split is 64/16/20 (the paper: 2752/688/860 of 4300) and is decided per photo from a seeded hash of its
content, so it is deterministic given the seed, and adding or removing files never moves the photos
already there from one split to another (the price: split sizes are 64/16/20 only on average).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from polychromify.product.color import rgb_to_xy
from polychromify.product.errors import Damaged, read_json, reason
from polychromify.product.files import atomic_folder, remove_stale
from polychromify.product.images import pillow_limit
from polychromify.training import settings
from polychromify.training.cleaning import SPLITS, DataReport, clean_folder, find_files
from polychromify.training.profiles import Cleaning, Profile, get_profile
from polychromify.training.synthetic import SYNTHETIC_WARNING, synthetic_landscapes

CACHE_VERSION = 2


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
    remove_stale(folder.parent)  # what a killed preparation left (also when nothing is written this time)
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
        # the collection by its name and content hash, never the folder's path on this machine
        out = {"source": Path(self.report.source).name, "synthetic": self.synthetic, "data_hash": self.data_hash,
               "used": self.report.used, "split_sizes": dict(self.report.split_sizes),
               "image_size": self.image_size}
        return out if self.protocol == "ours" else out | {"protocol": self.protocol}


MIN_PHOTOS = 10  # fewer than this cannot be split 64/16/20 with a photo in every split


class TooFewPhotos(ValueError):
    """Too few usable photos to split train/val/test; ``report`` (the cleaning's) says what became of the rest."""

    def __init__(self, report: DataReport, used: int | None = None):
        if used is not None and used < report.usable:
            what = f"only {used} of its {report.usable} usable photos are used (--max-images)"
        else:
            found = "" if report.synthetic else f" of {report.found} image files"
            what = f"only {report.usable} usable photos{found} (the cleaning report says why the others are not used)"
        super().__init__(f"{report.source}: {what}; at least {MIN_PHOTOS}, with a photo in each of train, val "
                         f"and test, are needed")
        self.report = report


def check_enough(report: DataReport) -> None:
    """``TooFewPhotos`` unless the cleaning left at least ``MIN_PHOTOS`` usable photos."""
    if report.usable < MIN_PHOTOS:
        raise TooFewPhotos(report)


def _make_dataset(x, y, rgb, names, hashes, report: DataReport, profile: Profile, synthetic: bool) -> Dataset:
    """Subset (max_images) and split already-prepared arrays."""
    subset = choose_subset(hashes, profile.max_images, profile.seed)
    split = assign_splits([hashes[i] for i in subset], profile.seed, profile.split)
    sizes = {s: int((split == k).sum()) for k, s in enumerate(SPLITS)}
    if len(subset) < MIN_PHOTOS or min(sizes.values()) == 0:
        raise TooFewPhotos(report, len(subset))
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
    _, index, (x, y, rgb) = read_prepared(
        lambda: prepare(data_dir, profile.image_size, profile.cleaning, cache_dir, progress=progress),
        ("L", "Y", "rgb"))
    return _make_dataset(x, y, rgb, index["names"], index["hashes"], DataReport(**index["report"]), profile,
                         synthetic=False)


def read_prepared(make, arrays: tuple[str, ...]) -> tuple[Path, dict, list[np.ndarray]]:
    """``make()`` (which prepares a cache, or finds it prepared, and returns its folder), then its index and
    arrays (``read_cache``); a damaged cache is said in one line, removed and prepared again, once."""
    folder = make()
    try:
        return folder, *read_cache(folder, arrays)
    except Damaged as err:
        print(f"polychromify: {err}; preparing it again", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
        folder = make()
        return folder, *read_cache(folder, arrays)


def read_cache(folder: Path, arrays: tuple[str, ...]) -> tuple[dict, list[np.ndarray]]:
    """A prepared cache's index and arrays; ``errors.Damaged`` naming the file when one cannot be read or is
    not an index (an object with the names, hashes and report)."""
    index = read_json(folder / "index.json", f"delete {folder}")
    if not (isinstance(index, dict) and isinstance(index.get("names"), list)
            and isinstance(index.get("hashes"), list) and isinstance(index.get("report"), dict)):
        raise Damaged(f"{folder / 'index.json'}: damaged cache (not an index with names, hashes and a report)")
    out = []
    for key in arrays:
        path = folder / f"{key}.npy"
        try:
            array = np.load(path)
        except (OSError, ValueError, EOFError) as err:
            raise Damaged(f"{path}: damaged cache ({reason(err)})") from None
        if len(array) != len(index.get("names", ())):
            raise Damaged(f"{path}: damaged cache ({len(array)} photos, its index names {len(index['names'])})")
        out.append(array)
    return index, out


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


def _prepare_author(root: Path, size: int, folder: Path) -> None:
    """Read every image file as the author did (``_author_read``) into the cache ``folder``, unless it is there."""
    if (folder / "index.json").is_file():
        return
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
    _, index, (rgb,) = read_prepared(lambda: _prepare_author(root, size, folder) or folder, ("rgb",))
    names, hashes = index["names"], index["hashes"]
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
