"""scripts/gpu_data.py: the finished runs' weights leave the tree for a device call and come back unchanged."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gpu_data():
    spec = importlib.util.spec_from_file_location("gpu_data", ROOT / "scripts" / "gpu_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(root: Path, name: str, finished: bool, weights: bytes) -> Path:
    run = root / "results" / "polychromify" / name
    (run / "checkpoint" / "epoch-0003").mkdir(parents=True)
    (run / "checkpoint" / "epoch-0003" / "model.weights.h5").write_bytes(b"checkpoint")
    if finished:
        (run / "provenance.json").write_text("{}")
        (run / "model.weights.h5").write_bytes(weights)
    return run


def test_stash_moves_only_finished_weights_and_restore_puts_them_back(gpu_data, tmp_path):
    done = _run(tmp_path, "paper-aaaa", True, b"weights of a finished run")
    begun = _run(tmp_path, "paper-bbbb", False, b"")
    assert gpu_data.stash_weights(tmp_path) == 1
    assert not (done / "model.weights.h5").exists()  # does not travel
    assert (begun / "checkpoint" / "epoch-0003" / "model.weights.h5").is_file()  # travels: the device resumes it
    assert (done / "provenance.json").is_file()  # travels: the device knows the run is finished
    assert gpu_data.restore_weights(tmp_path) == 1
    assert (done / "model.weights.h5").read_bytes() == b"weights of a finished run"
    assert not (tmp_path / gpu_data.STASH).exists()


def test_restore_never_overwrites_a_file_that_came_back(gpu_data, tmp_path):
    done = _run(tmp_path, "paper-aaaa", True, b"stashed")
    gpu_data.stash_weights(tmp_path)
    (done / "model.weights.h5").write_bytes(b"new")
    with pytest.raises(SystemExit, match="exists again"):
        gpu_data.restore_weights(tmp_path)
    assert (done / "model.weights.h5").read_bytes() == b"new"
    assert (tmp_path / gpu_data.STASH / "results" / "polychromify" / "paper-aaaa" / "model.weights.h5").is_file()
