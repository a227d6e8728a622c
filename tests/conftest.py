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
