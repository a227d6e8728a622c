"""polychromify verify: every finished run's metrics are recomputed from its weights and the photos."""
import json
import os
import shutil
from pathlib import Path

import pytest

from helpers import LANDSCAPES, needs
from polychromify import samples
from polychromify.cli import main
from polychromify.results import Run
from polychromify.verify import differences, verify_store

ROOT = Path(__file__).resolve().parent.parent


def test_differences_names_what_differs_beyond_float_noise_and_ignores_timings():
    stored = {"model": {"test": {"auc": 0.9, "psnr": 22.0, "seconds": 3.0}}}
    assert differences(stored, {"model": {"test": {"auc": 0.9 * (1 + 1e-6), "psnr": 22.0, "seconds": 9.0}}},
                       rtol=1e-4) == []
    found = differences(stored, {"model": {"test": {"auc": 0.91, "psnr": 22.0}}}, rtol=1e-4)
    assert found == ["model.test.auc: stored 0.9, recomputed 0.91"]
    assert differences({"a": 1.0}, {"b": 1.0}, 1e-4) == ["a only in the store", "b only in the recomputation"]


def test_a_faithful_run_verifies_and_a_tampered_one_is_reported(smoke_run, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    monkeypatch.setenv("POLYCHROMIFY_CACHE", str(Path(smoke_run.path).parents[2] / "cache"))
    store = tmp_path / "results"
    shutil.copytree(smoke_run.path.parent.parent, store)
    assert main(["verify", "--results", str(store)]) == 0
    assert "1 runs agree, 0 differ" in capsys.readouterr().out

    run = Run(store / smoke_run.experiment / smoke_run.path.name)
    metrics = run.metrics
    metrics["model"]["test"]["accuracy"] += 0.01  # a typed-in number
    (run.path / "metrics.json").write_text(json.dumps(metrics))
    assert main(["verify", "--results", str(store)]) == 1
    out = capsys.readouterr().out
    assert f"differs  polychromify/{run.path.name}: model.test.accuracy: stored" in out

    run.weights.unlink()
    checks = verify_store(store, log=lambda line: None)
    assert [(c.status, c.details) for c in checks] == [("skipped", ["its weights are not in the store"])]


def test_a_run_on_its_profiles_split_stores_the_books_dozen(store, smoke_run):
    _, run = store
    assert samples.read_samples(smoke_run) is None  # another split (max_images changed): no photos stored
    stored = samples.read_samples(run)
    assert stored is not None
    n = len(stored["names"])
    assert 0 < n <= samples.COUNT
    assert stored["truth"].shape == stored["colorized"].shape == (n, 32, 32, 3)
    assert stored["names"] == sorted(stored["names"], key=samples.photo_key)
    folder = run.path / samples.FOLDER
    assert all(os.stat(folder / f"{samples.photo_key(name)}.jpg").st_mode & 0o044 for name in stored["names"])


PHOTOS = LANDSCAPES


@needs(PHOTOS, "the landscape photos (set POLYCHROMIFY_DATA)")
def test_the_committed_table2_runs_reproduce_their_stored_metrics():
    """The paper-profile runs of Table 2 whose weights are committed (the final model, the CNN, the author's
    weights; ECCV16's are not committed) in CI: each costs about two minutes on 2 cores (predicting 1,421
    photos at 128 px), so CI checks these, bounded, and ``polychromify verify`` checks every run."""
    from polychromify.results import find_run
    from polychromify.verify import _Datasets, check_run
    datasets = _Datasets(PHOTOS)
    runs = [find_run(name, "paper", ROOT / "results", synthetic=False, exact=True)
            for name in ("polychromify", "cnn", "author_model")]
    checks = [check_run(run, datasets) for run in runs if run is not None]
    differ = [c.line() for c in checks if c.status == "differs"]
    assert not differ, "\n".join(differ)
    assert {c.run.experiment for c in checks if c.status == "ok"} >= {"polychromify", "author_model"}


def test_baselines_are_computed_once_per_split_not_once_per_photo_collection():
    """Seeds split the same photos differently: the gray and mean-ab baselines of seed 43 are not seed 42's
    (``verify`` once reused seed 42's for every seed, and reported the H200's seed-43 run as differing)."""
    import dataclasses

    from polychromify import experiments
    from polychromify.data import load_dataset
    from polychromify.experiments import evaluate_baselines, get_experiment
    from polychromify.profiles import get_profile
    synthetic = load_dataset(None, get_profile("smoke"), quiet=True)
    one = dataclasses.replace(synthetic, synthetic=False)  # the cache is for real photos only
    swapped = {"val": "test", "test": "val", "train": "train"}
    other = dataclasses.replace(one, **{field: {split: getattr(one, field)[swapped[split]] for split in swapped}
                                        for field in ("x", "y", "rgb", "names")})
    assert one.data_hash == other.data_hash  # the same photos, split otherwise
    final = get_experiment("polychromify")
    first, second = evaluate_baselines(final, one), evaluate_baselines(final, other)
    assert first["gray"]["test"] == second["gray"]["val"] != second["gray"]["test"]
    assert len([k for k in experiments._BASELINES]) >= 2
    first["gray"]["test"]["auc"] = -1.0  # a caller's change does not reach the cache
    assert evaluate_baselines(final, one)["gray"]["test"]["auc"] != -1.0
