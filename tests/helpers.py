"""Helpers shared by several test modules: photos and made-up runs written to disk, executing a copy of the book."""
import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from polychromify.book import build as book
from polychromify.product.metrics import METRIC_KEYS
from polychromify.training.results import Run

# The team's materials beside the checkout (``../shared``): the paper's photos, scenes-dev, the paper's text, the
# author's SavedModel. A fresh clone has none of them, and the package never reads them; the tests that need
# them skip with a one-line reason (``needs``).
SHARED = Path(__file__).resolve().parents[2] / "shared"
LANDSCAPES = Path(os.environ.get("POLYCHROMIFY_DATA") or SHARED / "datasets" / "landscapes")  # as CI sets it
SCENES_DEV = SHARED / "datasets" / "scenes-dev"
PAPER_TEXT = SHARED / "paper" / "polychromify-report.txt"
AUTHOR_RESULTS = SHARED / "paper" / "author-2021-06" / "results"  # his repository's results/ at c325de0
SAVED_MODEL = AUTHOR_RESULTS / "Polychromify"


def needs(path: Path, what: str):
    """Skip unless ``path`` exists: one line naming what is missing and where it was looked for."""
    return pytest.mark.skipif(not Path(path).exists(), reason=f"{what}: not here ({path}; a clone without ../shared)")


def fake_run(root, name, val_accuracy=(0.5, 0.6), test_accuracy=0.6, synthetic=True, profile="smoke",
             params=1000, seconds=12.0, image_size=32):
    """A finished run folder with made-up numbers and an empty weights file (HDF5 with no weights: it opens,
    as the store's listing checks, but holds no model)."""
    path = root / name / f"{profile}-0123456789"
    path.mkdir(parents=True)
    data = {"source": "synthetic landscapes (procedural)" if synthetic else "landscapes",
            "synthetic": synthetic, "data_hash": "ab" * 32, "used": 48, "image_size": image_size,
            "split_sizes": {"train": 30, "val": 6, "test": 12}}
    metrics = {who: {split: {k: 0.5 for k in METRIC_KEYS} for split in ("val", "test")}
               for who in ("model", "gray", "mean_ab")}
    metrics["model"]["test"]["accuracy"] = test_accuracy
    metrics["gray"]["test"].update(psnr=20.0, ssim=0.9)
    files = {
        "config.json": {"experiment": {"name": name}, "profile": {"name": profile, "precision": "float32"},
                        "image_size": image_size,
                        "epochs": len(val_accuracy), "batch_size": 16, "data": data},
        "history.json": {"val_accuracy": list(val_accuracy), "accuracy": list(val_accuracy)},
        "metrics.json": metrics,
        "provenance.json": {"params": params, "train_images": 30, "val_images": 6, "git_commit": "0123abcd" * 5,
                            "timings": {"train_seconds_total": seconds}, "data": data,
                            "finished_at": "2026-01-01T00:00:00+00:00"},
    }
    for file, value in files.items():
        (path / file).write_text(json.dumps(value))
    empty_weights(path / "model.weights.h5")
    return Run(path)


def empty_weights(path: Path) -> None:
    """A valid HDF5 file with nothing in it, where a run keeps its weights."""
    import h5py
    with h5py.File(path, "w"):
        pass


SOURCES = ["_config.yml", "_toc.yml", "book", "notebooks"]
# Two at a time on two cores: the notebooks of a stage train disjoint experiments (03: section V.A; 04:
# Table 1, the CNN and ECCV16); the later ones load what those trained. Longest first.
FIRST_STAGE = ["04_tuning", "03_model_selection", "01_dataset", "02_method"]


def execute_book(root: Path) -> dict[str, int]:
    """Copy the book's sources into ``root`` and papermill-execute every section notebook there (smoke)."""
    for name in SOURCES:
        source = book.ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("_executed", ".ipynb_checkpoints"))
        else:
            shutil.copy2(source, root / name)
    values = {"profile": "smoke", "results_dir": str(root / "results")}
    notebooks = {nb.stem: nb for nb in book.section_notebooks(root)}
    stages = [[s for s in FIRST_STAGE if s in notebooks], [s for s in notebooks if s not in FIRST_STAGE]]
    codes = {}
    with pytest.MonkeyPatch.context() as env, ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        env.setenv("POLYCHROMIFY_CACHE", str(root / "cache"))
        env.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
        env.delenv("POLYCHROMIFY_DATA", raising=False)
        env.delenv("POLYCHROMIFY_RESULTS", raising=False)
        for stage in stages:
            jobs = {stem: pool.submit(book.execute, notebooks[stem], root / book.EXECUTED / f"{stem}.ipynb",
                                      values, root) for stem in stage}
            codes.update({stem: job.result() for stem, job in jobs.items()})
    return codes


def save_image(path: Path, rgb: np.ndarray, **kwargs) -> Path:
    """Save an RGB(A) array as an image file (parent folders made); its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path, **kwargs)
    return path
