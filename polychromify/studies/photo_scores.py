"""Per-photo evidence: every metric of each photo a run is scored on, kept beside the run in the store.

A run's ``metrics.json`` keeps averages only; an interval needs the photos. ``score_run`` scores a finished run
on each photo of its own test split and of other folders (scenes-dev), beside the gray (ab = 0) and mean-ab
(the mean ab of the photos it trained on) baselines, and writes ``photo_scores.csv.gz`` into the run's folder:
one row per (set, photo, predictor) with every key of ``metrics.PHOTO_KEYS``. The file is small (about a
hundred kilobytes) and committed, so the studies draw paired intervals on a clone without photos.

Pairing is by photo name within a set: two runs of one collection share the photos of their test splits that
are the same files (each seed of the final model draws its own split), and all photos of another folder.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
from pathlib import Path

import numpy as np

from polychromify.product import metrics
from polychromify.product.files import atomic_path

PHOTO_SCORES = "photo_scores.csv.gz"
TEST = "test"                                 # the set name of a run's own test split
PREDICTORS = ("model", "gray", "mean_ab")     # what each photo is scored for
COLUMNS = ("set", "photo", "predictor") + metrics.PHOTO_KEYS


def rows_of(set_name: str, names: list[str], L, y_true, predictions: dict[str, np.ndarray],
            cache: dict | None = None) -> list[list]:
    """The table's rows for one set: each predictor's per-photo scores (``metrics.per_photo``). ``cache``
    keeps the scores of the baselines, which many runs share, by a digest of what they depend on."""
    rows = []
    for predictor, y_pred in predictions.items():
        key = None
        if cache is not None and predictor != "model":
            key = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in (L, y_true, y_pred))
                                 ).hexdigest()
        if key in (cache or {}):
            scores = cache[key]
        else:
            scores = metrics.per_photo(L, y_true, y_pred)
            if key is not None:
                cache[key] = scores
        for i, name in enumerate(names):
            rows.append([set_name, name, predictor] + [f"{scores[k][i]:.7g}" for k in metrics.PHOTO_KEYS])
    return rows


def write_photo_scores(path: Path, rows: list[list]) -> None:
    """The rows as a gzip-compressed CSV with the header ``COLUMNS``, written atomically (mtime 0, so the same
    scores give the same bytes)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    with atomic_path(Path(path)) as tmp:
        Path(tmp).write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))


def read_photo_scores(path: Path) -> dict[tuple[str, str], tuple[list[str], dict[str, np.ndarray]]]:
    """A run's per-photo scores: {(set, predictor): (photo names, {metric key: values})}; ValueError naming the
    file when it is not such a table."""
    path = Path(path)
    try:
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a per-photo score table ({err})") from None
    reader = csv.reader(lines)
    header = tuple(next(reader, ()))
    if header[:3] != COLUMNS[:3] or not set(metrics.PHOTO_KEYS) <= set(header):
        raise ValueError(f"{path}: not a per-photo score table (its header is {', '.join(header[:5])}...)")
    groups: dict[tuple[str, str], tuple[list[str], dict[str, list]]] = {}
    for row in reader:
        names, values = groups.setdefault((row[0], row[2]), ([], {k: [] for k in header[3:]}))
        names.append(row[1])
        for key, value in zip(header[3:], row[3:]):
            values[key].append(float(value))
    return {key: (names, {k: np.asarray(v) for k, v in values.items()}) for key, (names, values) in groups.items()}
