"""The data set: Lab conversion, split, cache, the author's protocol, and the real landscape set when present
(cleaning itself: ``test_cleaning.py``)."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
from helpers import SHARED, needs, save_image

from polychromify.product import files
from polychromify.training import data
from polychromify.training.data import assign_splits, load_dataset, prepare
from polychromify.training.profiles import Cleaning, get_profile
from polychromify.training.synthetic import synthetic_landscape

REAL = SHARED / "datasets" / "landscapes"  # the team's copy, whose README lists its defects


def test_split_is_deterministic_disjoint_and_stable_when_files_are_added():
    hashes = [f"{i:064x}" for i in range(2000)]
    split = assign_splits(hashes, seed=42)
    assert np.array_equal(split, assign_splits(hashes, seed=42))
    fractions = np.bincount(split, minlength=3) / len(split)
    assert np.allclose(fractions, [0.64, 0.16, 0.20], atol=0.03)
    more = assign_splits(hashes + [f"{i:064x}" for i in range(5000, 5500)], seed=42)
    assert np.array_equal(more[:2000], split)                  # nobody moved
    assert not np.array_equal(assign_splits(hashes, seed=7), split)


def test_dataset_splits_have_no_shared_photo(messy_photos, tmp_path):
    profile = get_profile("smoke", image_size=32, max_images=None)
    ds = load_dataset(messy_photos, profile, cache_dir=tmp_path / "cache")
    names = [set(ds.names[s]) for s in data.SPLITS]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    assert sum(map(len, names)) == 20 == ds.report.used
    assert ds.x_train.shape[1:] == (32, 32, 1) and ds.y_train.shape[1:] == (32, 32, 2)
    assert ds.report.split_sizes == {s: len(ds.names[s]) for s in data.SPLITS}


def test_cache_is_reused_and_written_atomically(messy_photos, tmp_path):
    cache = tmp_path / "cache"
    first = prepare(messy_photos, 32, Cleaning(), cache)
    stamp = (first / "L.npy").stat().st_mtime_ns
    assert prepare(messy_photos, 32, Cleaning(), cache) == first
    assert (first / "L.npy").stat().st_mtime_ns == stamp                    # reused, not rebuilt
    assert not [p for p in first.parent.iterdir() if ".partial" in p.name]  # no temp folder left
    assert sorted(p.name for p in first.iterdir()) == ["L.npy", "Y.npy", "index.json", "rgb.npy"]  # the layout
    assert set(json.loads((first / "index.json").read_text())) == {"names", "hashes", "report", "data_hash", "key"}
    assert prepare(messy_photos, 24, Cleaning(), cache) != first                  # size is part of the key
    assert prepare(messy_photos, 32, Cleaning(gray_chroma=1.0), cache) != first   # so are the thresholds
    save_image(messy_photos / "new.png", synthetic_landscape(seed=999, size=64))
    assert prepare(messy_photos, 32, Cleaning(), cache) != first                  # and the file list


def test_interrupted_cache_write_leaves_no_cache(messy_photos, tmp_path, monkeypatch):
    cache = tmp_path / "cache"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "rename", crash)  # killed at the rename into place
    with pytest.raises(KeyboardInterrupt):
        prepare(messy_photos, 32, Cleaning(), cache)
    monkeypatch.undo()
    leftovers = list((cache / "prepared").iterdir())
    assert leftovers == []                                # neither a half cache nor a temp folder
    assert (prepare(messy_photos, 32, Cleaning(), cache) / "index.json").is_file()


def test_empty_and_too_small_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="usable photos"):
        load_dataset(tmp_path / "empty", "smoke", cache_dir=tmp_path / "c")
    for i in range(4):
        save_image(tmp_path / "few" / f"{i}.png", synthetic_landscape(seed=i, size=32))
    with pytest.raises(ValueError, match="only 4 usable photos"):
        load_dataset(tmp_path / "few", "smoke", cache_dir=tmp_path / "c")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_dataset(tmp_path / "missing", "smoke", cache_dir=tmp_path / "c")


def test_synthetic_default_says_so(monkeypatch, capsys, tmp_path):
    """``data_dir=None`` is synthetic landscapes, whatever ``$POLYCHROMIFY_DATA`` says (read at the edge only)."""
    monkeypatch.setenv("POLYCHROMIFY_DATA", str(tmp_path / "no-such-folder"))
    ds = load_dataset(None, get_profile("smoke", max_images=30))
    assert ds.synthetic and ds.report.synthetic
    assert "SYNTHETIC" in capsys.readouterr().err
    assert sum(ds.report.split_sizes.values()) == 30


def test_max_images_subsets_are_nested(monkeypatch):
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    small = load_dataset(None, get_profile("smoke", max_images=20), quiet=True)
    large = load_dataset(None, get_profile("smoke", max_images=40), quiet=True)
    for split in data.SPLITS:
        assert set(small.names[split]) <= set(large.names[split])


@needs(REAL, "the paper's landscape set")
def test_real_landscapes_report_finds_the_documented_defects(tmp_path):
    """The shared set's README: 4,319 files, 150 groups / 176 redundant duplicates, 127 near-gray,
    3 stored as grayscale, 1 CMYK, 411 with black padding. Our thresholds are our own, so the
    near-gray and padding counts are checked to within 10%."""
    cache = Path(os.environ.get("POLYCHROMIFY_CACHE", tmp_path))
    ds = load_dataset(REAL, get_profile("paper"), cache_dir=cache)
    r = ds.report
    assert r.found == 4319 and r.decoded == 4319 and not r.skipped
    assert r.verified == 4319
    assert len(r.duplicates) == 176 and r.duplicate_groups == 150
    assert r.converted == {"L": 3, "CMYK": 1}
    assert 114 <= len(r.near_gray) <= 140
    assert 370 <= len(r.cropped) + len(r.too_small) <= 452
    assert r.usable == 4319 - 176 - len(r.near_gray) - len(r.too_small)
    assert sum(r.split_sizes.values()) == r.usable
    train, val, test = (r.split_sizes[s] for s in data.SPLITS)
    assert abs(train / r.usable - 0.64) < 0.02 and abs(test / r.usable - 0.20) < 0.02
    assert ds.x_train.shape[1:] == (128, 128, 1)


# ---------------------------------------------------------------- the author's protocol

def test_author_protocol_keeps_every_readable_file_and_splits_80_20_twice(messy_photos, tmp_path):
    from sklearn.model_selection import train_test_split
    dataset = data.load_author_protocol(messy_photos, get_profile("smoke", image_size=32), cache_dir=tmp_path / "cache",
                                        quiet=True)
    names = sorted(n for s in data.SPLITS for n in dataset.names[s])
    # duplicates, the near-gray, boxed, mostly-black, RGBA and CMYK photos are all kept; the two that do not
    # decode are reported, one line each naming the file
    readable = {"gray.png", "boxed.png", "mostly_black.png", "alpha.png", "cmyk.jpg", "zz_copy_of_good00.png",
                "zz_pixels_of_good01.png", "sub/nested.jpg", *(f"good{i:02d}.png" for i in range(16))}
    assert set(names) == readable and len(names) == len(readable)
    assert sorted(name for name, _ in dataset.report.skipped) == ["empty.png", "fake.jpg"]
    assert all(reason.startswith(str(messy_photos)) for _, reason in dataset.report.skipped)
    # the split is scikit-learn's, applied as the author's notebook applied it
    order = np.arange(len(readable))
    rest, test = train_test_split(order, test_size=0.2, random_state=get_profile("smoke").seed)
    train, val = train_test_split(rest, test_size=0.2, random_state=get_profile("smoke").seed)
    assert {s: len(dataset.names[s]) for s in data.SPLITS} == {"train": len(train), "val": len(val),
                                                               "test": len(test)}
    assert dataset.protocol == "author" and dataset.provenance()["protocol"] == "author"
    assert dataset.x_train.shape[1:] == (32, 32, 1) and dataset.y_test.shape[1:] == (32, 32, 2)


def test_author_protocol_squashes_with_nearest_neighbour(tmp_path):
    root = tmp_path / "photos"
    stripes = np.zeros((40, 80, 3), np.uint8)
    stripes[:, ::2] = 255  # one-pixel stripes: nearest keeps pure black and white, a filter would gray them
    for i in range(12):
        save_image(root / f"p{i:02d}.png", stripes)
    dataset = data.load_author_protocol(root, get_profile("smoke", image_size=20), cache_dir=tmp_path / "c",
                                        quiet=True)
    rgb = np.concatenate([dataset.rgb[s] for s in data.SPLITS])
    assert rgb.shape[1:] == (20, 20, 3)  # squashed, not centre-cropped
    assert set(np.unique(rgb)) <= {0, 255}


def test_our_protocol_is_untouched_by_the_authors(messy_photos, tmp_path):
    ours = load_dataset(messy_photos, get_profile("smoke", image_size=32), cache_dir=tmp_path / "cache")
    assert ours.protocol == "ours" and "protocol" not in ours.provenance()  # stored fingerprints stay valid
