"""What chapter 1 shows of the photos, kept in the results store so that a machine without them shows the same.

When a notebook runs with the real photos, ``write_summary`` stores, for the data set it used (its data hash),
the cleaning report, the share of low-chroma training pixels, a seeded sample of training pixels' ab values
(for the ab-distribution figure) and the names of a few training photos; ``<store>/data/<hash>.json`` and
``.npy``, a few hundred kilobytes. ``read_summary`` gives it back on a machine without the photos (every fresh
clone), where the figures of photos use the store's thumbnails of the book's test photos
(``samples.stored_photo``) instead of synthetic landscapes.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from polychromify.book.tables import low_chroma_fraction
from polychromify.product.color import AB_SCALE
from polychromify.product.errors import read_json
from polychromify.product.files import atomic_path
from polychromify.training.cleaning import DataReport

FOLDER = "data"
AB_SAMPLE = 40_000  # training pixels kept for the ab-distribution figure


def _paths(results_dir: Path, data_hash: str) -> tuple[Path, Path]:
    base = Path(results_dir) / FOLDER / data_hash[:16]
    return base.with_suffix(".json"), base.with_suffix(".npy")


def write_summary(dataset, results_dir: Path, seed: int = 0) -> Path | None:
    """Store the summary of a real data set (nothing for synthetic landscapes); returns the JSON file."""
    if dataset.synthetic:
        return None
    y = np.asarray(dataset.y_train, np.float32).reshape(-1, 2)
    pick = np.random.default_rng(seed).choice(len(y), min(AB_SAMPLE, len(y)), replace=False)
    ab = np.clip(np.round(y[np.sort(pick)] * AB_SCALE), -127, 127).astype(np.int8)  # Lab units, to 1 unit
    record = {"data": dataset.provenance(), "report": dataset.report.to_dict(),
              "low_chroma": low_chroma_fraction(dataset.y_train), "ab_sample_pixels": len(ab)}
    folder = str(record["report"]["source"]).rstrip("/") + "/"
    record["data"]["source"] = record["report"]["source"] = Path(folder).name  # no machine's path in the store
    record["report"]["skipped"] = [(name, reason.replace(folder, "")) for name, reason in record["report"]["skipped"]]
    json_path, npy_path = _paths(results_dir, dataset.data_hash)
    with atomic_path(npy_path) as tmp, open(tmp, "wb") as f:
        np.save(f, ab)
    with atomic_path(json_path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return json_path


def read_summary(results_dir: Path, data_hash: str) -> dict | None:
    """The stored summary of a data set: its record with ``report`` (a ``cleaning.DataReport``) and
    ``y_sample`` (model-space Y of the sampled training pixels, (N, 1, 1, 2)); None when the store has none."""
    json_path, npy_path = _paths(results_dir, data_hash)
    if not (json_path.is_file() and npy_path.is_file()):
        return None
    record = read_json(json_path, f"delete {json_path} (a notebook run with the photos writes it again)")
    record["report"] = DataReport(**record["report"])
    record["y_sample"] = (np.load(npy_path).astype(np.float32) / AB_SCALE).reshape(-1, 1, 1, 2)
    return record
