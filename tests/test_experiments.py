"""polychromify.training.experiments: run_experiment trains, records, loads and resumes runs in the results store."""
import math
import re
import shutil

import numpy as np
import pytest

from polychromify.product.metrics import METRIC_KEYS
from polychromify.training import fit as training
from polychromify.training import runner
from polychromify.training.experiments import EXPERIMENTS, get_experiment
from polychromify.training.profiles import get_profile
from polychromify.training.results import Run, find_run, list_runs, read_json
from polychromify.training.runner import run_experiment, settings

SMOKE = dict(image_size=16, epochs=1, max_images=24)  # 24 synthetic pictures at 16 px: seconds
RUN_FILES = {"config.json", "history.json", "metrics.json", "model.weights.h5", "provenance.json"}


@pytest.fixture
def store(smoke_run):
    """The shared store with one finished smoke run of the final model (conftest's smoke_run): (folder, run)."""
    return smoke_run.path.parent.parent, smoke_run


@pytest.fixture
def store_copy(smoke_run, tmp_path):
    """A copy of that store that a test may add runs to: (folder, run)."""
    folder = tmp_path / "results"
    shutil.copytree(smoke_run.path.parent.parent, folder)
    return folder, Run(folder / smoke_run.experiment / smoke_run.path.name)


@pytest.fixture(autouse=True)
def _isolated(isolated):
    """Every test here: synthetic data, the default store and the cache in tmp_path."""


def _assert_metrics(metrics: dict):
    assert set(metrics) == {"model", "gray", "mean_ab"}
    for who, splits in metrics.items():
        assert set(splits) == {"val", "test"}
        for values in splits.values():
            assert set(METRIC_KEYS) <= set(values)
            assert all(math.isfinite(values[k]) for k in METRIC_KEYS)
            assert 0.0 <= values["accuracy"] <= 1.0 and 0.0 <= values["auc"] <= 1.0
    assert metrics["gray"]["test"]["colorfulness_pred"] == pytest.approx(0.0, abs=0.05)  # ab = 0: gray


def test_finished_run_holds_everything(store):
    results_dir, run = store
    assert run.finished
    assert run.path.parent == results_dir / "polychromify"
    assert re.fullmatch(r"smoke-[0-9a-f]{10}", run.path.name)
    assert {p.name for p in run.path.iterdir()} == RUN_FILES  # the checkpoint is gone once finished

    config = run.config
    assert config["experiment"]["name"] == "polychromify"
    assert config["profile"]["name"] == "smoke"
    assert (config["image_size"], config["epochs"], config["batch_size"]) == (16, 1, 16)
    assert config["data"]["synthetic"] is True and config["data"]["used"] == 24

    history = run.history
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert all(len(v) == 1 for v in history.values())
    _assert_metrics(run.metrics)
    assert "seconds" in run.metrics["model"]["test"]

    prov = run.provenance
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?|unknown", prov["git_commit"])
    assert prov["backend"] == "tensorflow" or prov["backend"] in prov["versions"]
    assert {"polychromify", "keras", "numpy", "python"} <= set(prov["versions"])
    assert prov["data"]["data_hash"] == config["data"]["data_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", prov["data"]["data_hash"])
    assert prov["params"] == 293_074 and prov["precision"] == "float32"
    assert prov["train_images"] == config["data"]["split_sizes"]["train"]
    timings = prov["timings"]
    assert timings["train_seconds_total"] == pytest.approx(sum(history["seconds"]))
    assert timings["train_seconds_this_session"] > 0 and timings["evaluate_seconds"] > 0
    assert prov["started_at"] <= prov["finished_at"]


def test_a_second_call_loads_the_run_without_training(store, monkeypatch):
    results_dir, run = store
    before = run.provenance
    mtimes = {p.name: p.stat().st_mtime_ns for p in run.path.iterdir()}

    def no_training(*args, **kwargs):
        raise AssertionError("fit must not be called for a finished run")

    monkeypatch.setattr(runner, "fit", no_training)
    again = run_experiment("polychromify", "smoke", results_dir=results_dir, verbose=0, **SMOKE)
    assert again.path == run.path and again.finished
    assert again.provenance == before
    assert {p.name: p.stat().st_mtime_ns for p in run.path.iterdir()} == mtimes


def test_unfinished_run_is_resumed_from_its_checkpoint(store_copy, monkeypatch):
    results_dir, finished = store_copy
    partial = run_experiment("polychromify", "smoke", results_dir=results_dir, verbose=0,
                             max_epochs_this_call=1, **(SMOKE | {"epochs": 2}))
    assert partial.path != finished.path  # another config, another folder
    assert partial.path.parent == finished.path.parent
    assert not partial.finished
    assert {p.name for p in partial.path.iterdir()} == {"config.json", "checkpoint"}
    assert [p.name for p in partial.checkpoint_dir.iterdir()] == ["epoch-0001"]
    saved = read_json(partial.checkpoint_dir / "epoch-0001" / "history.json")

    runs = {r.path: r.finished for r in list_runs(results_dir)}
    assert runs == {finished.path: True, partial.path: False}
    assert find_run("polychromify", "smoke", results_dir).path == finished.path  # the unfinished one is ignored

    resumed_from = []
    original = training.load_checkpoint

    def recording_load(model, folder):
        state = original(model, folder)
        resumed_from.append(state[0])
        return state

    monkeypatch.setattr(training, "load_checkpoint", recording_load)
    done = run_experiment("polychromify", "smoke", results_dir=results_dir, verbose=0, **(SMOKE | {"epochs": 2}))
    assert done.path == partial.path and done.finished
    assert resumed_from == [1]
    assert {p.name for p in done.path.iterdir()} == RUN_FILES
    history = done.history
    assert all(len(v) == 2 for v in history.values())
    for key, values in saved["history"].items():
        assert history[key][:1] == values
    assert done.provenance["timings"]["train_seconds_total"] == pytest.approx(sum(history["seconds"]))
    assert len(list_runs(results_dir, "polychromify")) == 2
    # one record per sitting, each with its epochs, time, machine and commit
    segments = done.provenance["segments"]
    assert [(s["first_epoch"], s["last_epoch"]) for s in segments] == [(1, 1), (2, 2)]
    assert [s["seconds"] for s in segments] == pytest.approx(history["seconds"])
    assert all(s["machine"]["cpu"] and s["git_commit"] and s["started_at"] for s in segments)


@pytest.mark.parametrize("name,params", [("eccv16", 32_241_005), ("eccv16_zhang", 32_240_377)])
def test_eccv16_smoke_runs_finish_with_finite_metrics_and_checkpoint_in_the_cache(tmp_path, monkeypatch, name,
                                                                                   params):
    # ECCV16 has its own image size in the profiles (it costs 100x more); 16 px is a multiple of 8
    saved = []
    original = training.save_checkpoint
    monkeypatch.setattr(training, "save_checkpoint", lambda m, folder, *a, **k: saved.append(folder) or
                        original(m, folder, *a, **k))
    run = run_experiment(name, "smoke", results_dir=tmp_path / "results", verbose=0, eccv16_image_size=16,
                         epochs=1, max_images=24, batch_size=32)
    assert run.finished
    assert run.config["image_size"] == 16 and run.config["epochs"] == 1
    assert {p.name for p in run.path.iterdir()} == RUN_FILES
    assert run.provenance["params"] == params
    assert np.all(np.isfinite(run.history["loss"]))
    _assert_metrics(run.metrics)
    # its 390 MB checkpoints never go into the store, which is committed, but into the user cache
    assert saved and all(tmp_path / "cache" in folder.parents for folder in saved)
    assert not (run.path / "checkpoint").exists()


def test_settings_give_eccv16_its_own_size_and_epochs():
    smoke = get_profile("smoke")
    assert settings(get_experiment("eccv16"), smoke) == {"image_size": 32, "epochs": 1, "batch_size": 16}
    assert settings(get_experiment("polychromify"), smoke.replace(image_size=64)) == {
        "image_size": 64, "epochs": 2, "batch_size": 16}
    assert settings(get_experiment("ae_v0"), smoke)["batch_size"] == 16  # model selection: batch 16
    assert settings(get_experiment("eccv16"), get_profile("paper"))["image_size"] == 128


def test_unknown_experiment_is_a_value_error_listing_the_choices():
    with pytest.raises(ValueError, match="unknown experiment 'nope'") as err:
        get_experiment("nope")
    assert all(name in str(err.value) for name in EXPERIMENTS)


def test_a_run_checkpointed_before_the_wings_resumes_after_them(tmp_path, monkeypatch):
    """``tests/data/store-before-wings``: ae_v0 at the smoke profile (16 px, 24 images, 2 epochs) stopped after
    its first epoch by the code of commit 54560a3, the last before the package became wings. The same settings
    today find its folder (the fingerprint is unchanged), resume from the checkpoint and train one epoch only."""
    from pathlib import Path
    store = tmp_path / "store"
    shutil.copytree(Path(__file__).parent / "data" / "store-before-wings", store)
    before = store / "ae_v0" / "smoke-c6f614b3a3"
    assert (before / "checkpoint" / "epoch-0001" / "model.weights.h5").is_file() and not (before / "metrics.json").exists()
    epochs = []
    original = training.load_checkpoint

    def recording_load(model, folder):
        found = original(model, folder)
        epochs.append(found[0])
        return found

    monkeypatch.setattr(training, "load_checkpoint", recording_load)
    run = run_experiment("ae_v0", "smoke", results_dir=store, image_size=16, max_images=24, epochs=2, verbose=0)
    assert run.path == before and run.finished
    assert epochs == [1] and len(run.history["loss"]) == 2
    assert run.provenance["segments"]  # the second segment, on this machine
