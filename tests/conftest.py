"""Shared test fixtures: keep every test away from the real results store, the user cache and the real data."""
import os

import pytest

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
    from polychromify.experiments import run_experiment
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
    from polychromify.experiments import run_experiment
    results = tmp_path_factory.getbasetemp() / "smoke-store"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("POLYCHROMIFY_DATA", raising=False)
        run = run_experiment("polychromify", "smoke", results_dir=results, verbose=0)
    assert run.finished
    return results, run
