"""Colorizations that a finished run stores for the book's figures, so that Fig. 5 needs neither weights nor
photos: the same dozen test photos for every run of a profile's own split.

The dozen are the first ``COUNT`` photos of the test split in the order of the SHA-256 of their names (a
fixed order that favours no file-name prefix). A run folder holds ``samples/index.json`` (the photos, the
image size and each photo's PSNR) and one JPEG per photo: the model's colorization at the run's image size.
The photos themselves are stored once per store, as the figure's thumbnails:
``<store>/thumbnails/<size>px/<key>.jpg``.

Only runs on the own split of a profile the book renders store samples (not, say, a run with another seed,
whose test photos differ, or the ablation studies' runs): so the repository holds one dozen thumbnails per
book profile, not a dozen per run.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

from polychromify.product.color import xy_to_rgb
from polychromify.product.files import atomic_path
from polychromify.product.metrics import psnr_per_image
from polychromify.training.profiles import get_profile

COUNT = 12
FOLDER = "samples"
THUMBNAILS = "thumbnails"
QUALITY = 95  # JPEG quality of the stored images


def photo_key(name: str) -> str:
    """A photo's file-name-safe key (its name's SHA-256, shortened)."""
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def chosen(names: list[str], count: int = COUNT) -> list[int]:
    """Indices of the fixed dozen among a split's photo names."""
    order = sorted(range(len(names)), key=lambda i: photo_key(names[i]))
    return order[:count]


BOOK_PROFILES = ("smoke", "quick", "paper")  # the profiles the book renders (not the ablation studies')


def on_own_split(profile, dataset) -> bool:
    """Whether a data set is the own split of a profile the book renders (the one its figures show)."""
    if profile.name not in BOOK_PROFILES:
        return False
    try:
        named = get_profile(profile.name)
    except ValueError:
        return False
    same = all(getattr(profile, f) == getattr(named, f) for f in ("seed", "max_images", "split", "cleaning"))
    return same and dataset.protocol == "ours"


def thumbnail_path(results_dir: Path, name: str, size: int) -> Path:
    return Path(results_dir) / THUMBNAILS / f"{size}px" / f"{photo_key(name)}.jpg"


def write_jpeg(rgb8: np.ndarray, path: Path) -> None:
    with atomic_path(path) as tmp:
        Image.fromarray(rgb8).save(tmp, format="JPEG", quality=QUALITY)


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.round(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)


def write_samples(run, predict_ab, dataset) -> Path:
    """Colorize the dozen test photos with ``predict_ab`` (L images -> model-space Y) and store them in the run
    folder (and the photos' thumbnails in the store, where missing). Returns the index file."""
    results_dir = run.path.parent.parent
    picks = chosen(dataset.names["test"])
    x, y = dataset.x["test"][picks], dataset.y["test"][picks]
    names = [dataset.names["test"][i] for i in picks]
    rgb_pred = xy_to_rgb(x, predict_ab(x))
    psnr = psnr_per_image(xy_to_rgb(x, y), rgb_pred)
    folder = run.path / FOLDER
    size = int(x.shape[1])
    for name, truth, pred in zip(names, dataset.rgb["test"][picks], rgb_pred):
        thumb = thumbnail_path(results_dir, name, size)
        if not thumb.is_file():
            write_jpeg(np.asarray(truth, np.uint8), thumb)
        write_jpeg(to_uint8(pred), folder / f"{photo_key(name)}.jpg")
    index = folder / "index.json"
    with atomic_path(index) as tmp:
        tmp.write_text(json.dumps({"image_size": size, "photos": [
            {"name": n, "key": photo_key(n), "psnr": float(p)} for n, p in zip(names, psnr)]}, indent=2) + "\n")
    return index


def read_samples(run) -> dict | None:
    """A run's stored dozen: {"names", "psnr", "truth" (uint8 RGB), "colorized" (uint8 RGB)}, or None when the
    run stores none (or its thumbnails are missing)."""
    index = run.path / FOLDER / "index.json"
    if not index.is_file():
        return None
    info = json.loads(index.read_text())
    results_dir = run.path.parent.parent
    truth, colorized = [], []
    for photo in info["photos"]:
        thumb = thumbnail_path(results_dir, photo["name"], info["image_size"])
        mine = run.path / FOLDER / f"{photo['key']}.jpg"
        if not (thumb.is_file() and mine.is_file()):
            return None
        truth.append(np.asarray(Image.open(thumb).convert("RGB")))
        colorized.append(np.asarray(Image.open(mine).convert("RGB")))
    return {"names": [p["name"] for p in info["photos"]], "psnr": np.array([p["psnr"] for p in info["photos"]]),
            "truth": np.stack(truth), "colorized": np.stack(colorized)}


def stored_photos(results_dir: Path) -> np.ndarray | None:
    """The store's thumbnails of the book's test photos (real photos), as uint8 RGB (N, S, S, 3): the dozen at
    the largest size a run on real photos stored them; None when the store holds no such run."""
    found = stored_test_photos(results_dir)
    return None if found is None else found[1]


def stored_test_photos(results_dir: Path) -> tuple[list[str], np.ndarray] | None:
    """``stored_photos`` with the photos' file names: (names, uint8 RGB (N, S, S, 3)), or None."""
    best = None
    for index in Path(results_dir).glob(f"*/*/{FOLDER}/index.json"):
        config = index.parent.parent / "config.json"
        if not config.is_file() or json.loads(config.read_text())["data"].get("synthetic", True):
            continue
        info = json.loads(index.read_text())
        thumbs = [thumbnail_path(results_dir, photo["name"], info["image_size"]) for photo in info["photos"]]
        if thumbs and all(t.is_file() for t in thumbs) and (best is None or info["image_size"] > best[0]):
            best = (info["image_size"], thumbs, [photo["name"] for photo in info["photos"]])
    if best is None:
        return None
    return best[2], np.stack([np.asarray(Image.open(t).convert("RGB")) for t in best[1]])


def stored_photo(results_dir: Path) -> np.ndarray | None:
    """The first of ``stored_photos``, or None."""
    photos = stored_photos(results_dir)
    return None if photos is None else photos[0]
