"""Shared test fixtures: keep every test away from the real results store, the user cache and the real data."""
import os
import shutil

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is first imported


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Results store and cache in tmp_path, synthetic data (``$POLYCHROMIFY_DATA`` unset); returns tmp_path."""
    monkeypatch.setenv("POLYCHROMIFY_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("POLYCHROMIFY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """One finished smoke run of the final model (synthetic data, 16 px, 1 epoch); copy its store to change it."""
    from polychromify.training.runner import run_experiment
    root = tmp_path_factory.mktemp("smoke-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("POLYCHROMIFY_DATA", raising=False)
        mp.setenv("POLYCHROMIFY_CACHE", str(root / "cache"))
        return run_experiment("polychromify", "smoke", image_size=16, epochs=1, max_images=24,
                              results_dir=root / "results", verbose=0)


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A results store holding a finished smoke run of polychromify (32 px, 2 epochs), shared by the
    colorize, pretrained and widgets tests: (results folder, run)."""
    from polychromify.training.runner import run_experiment
    results = tmp_path_factory.getbasetemp() / "smoke-store"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("POLYCHROMIFY_DATA", raising=False)
        run = run_experiment("polychromify", "smoke", results_dir=results, verbose=0)
    assert run.finished
    return results, run


@pytest.fixture(scope="session")
def executed_notebooks(tmp_path_factory):
    """A copy of the book whose notebooks were executed with the smoke profile, once per session:
    (its root, notebook stem -> papermill's exit code)."""
    from helpers import execute_book
    root = tmp_path_factory.mktemp("book")
    return root, execute_book(root)


@pytest.fixture(scope="session")
def executed_book(executed_notebooks):
    """The root of the executed book copy (``executed_notebooks``)."""
    return executed_notebooks[0]


@pytest.fixture(scope="session")
def built_book(executed_book):
    """The executed book copy rendered to HTML (``_build/html``), once per session."""
    from polychromify.book import build as book
    assert book.build_html(executed_book) == 0
    return executed_book


@pytest.fixture(scope="session")
def notebook_exit_codes(executed_notebooks):
    """Notebook stem -> papermill's exit code in the executed book copy."""
    return executed_notebooks[1]


@pytest.fixture
def messy_photos(tmp_path):
    """A folder with 16 good photos and one of every problem the cleaner must handle."""
    from helpers import save_image

    from polychromify.training.synthetic import synthetic_landscape
    root = tmp_path / "photos"
    for i in range(16):
        save_image(root / f"good{i:02d}.png", synthetic_landscape(seed=i, size=64))
    save_image(root / "sub" / "nested.jpg", synthetic_landscape(seed=100, size=64), quality=95)
    shutil.copy(root / "good00.png", root / "zz_copy_of_good00.png")        # byte-identical
    Image.open(root / "good01.png").save(root / "zz_pixels_of_good01.png", compress_level=1)  # pixel-identical
    gray = synthetic_landscape(seed=200, size=64).mean(axis=-1).astype(np.uint8)
    save_image(root / "gray.png", np.repeat(gray[..., None], 3, -1))               # near-gray (RGB stored)
    boxed = synthetic_landscape(seed=300, size=64)
    boxed[:8], boxed[-8:] = 0, 0                                              # letterboxed
    save_image(root / "boxed.png", boxed)
    dark = np.zeros((64, 64, 3), np.uint8)
    dark[30:34, 30:34] = 200
    save_image(root / "mostly_black.png", dark)                                     # too little left after cropping
    (root / "notes.txt").write_text("not a photo")
    (root / "fake.jpg").write_text("a text file named .jpg")
    (root / "empty.png").write_bytes(b"")
    rgba = np.dstack([synthetic_landscape(seed=400, size=64), np.full((64, 64), 255, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(root / "alpha.png")
    Image.fromarray(synthetic_landscape(seed=500, size=64)).convert("CMYK").save(root / "cmyk.jpg")
    return root
