"""polychromify verify: every finished run's metrics are recomputed from its weights and the photos."""
import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import LANDSCAPES, needs

from polychromify.cli import main
from polychromify.studies.verify import differences
from polychromify.training import samples
from polychromify.training.results import Run

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
    assert f"differs        polychromify/{run.path.name}: model.test.accuracy: stored" in out


@pytest.mark.parametrize("damage", ["truncated", "empty", "deleted"])
def test_weights_that_cannot_be_read_fail_the_check(smoke_run, tmp_path, monkeypatch, capsys, damage):
    """``: > S/polychromify/smoke-*/model.weights.h5; polychromify verify``: damaged, exit 1 (it was skipped, 0)."""
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    store = tmp_path / "results"
    shutil.copytree(smoke_run.path.parent.parent, store)
    weights = Run(store / smoke_run.experiment / smoke_run.path.name).weights
    if damage == "deleted":
        weights.unlink()
    else:
        weights.write_bytes(weights.read_bytes()[:2000] if damage == "truncated" else b"")
    assert main(["verify", "--profile", "smoke", "--results", str(store)]) == 1
    out = capsys.readouterr().out
    assert f"damaged        polychromify/{smoke_run.path.name}: {weights}: " in out
    assert "0 runs agree, 0 differ, 1 damaged" in out


def test_a_run_whose_provenance_was_deleted_fails_the_check(smoke_run, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    store = tmp_path / "results"
    shutil.copytree(smoke_run.path.parent.parent, store)
    (store / smoke_run.experiment / smoke_run.path.name / "provenance.json").unlink()
    assert main(["verify", "--results", str(store)]) == 1
    out = capsys.readouterr().out
    assert "provenance.json: missing, though its metrics are there" in out and "1 damaged" in out


def test_weights_too_big_to_keep_are_listed_by_name_as_not_verifiable(smoke_run, tmp_path, monkeypatch, capsys):
    """ECCV16's 129 MB are not committed: such a run is named, and does not fail the check by itself; but a
    check where no run at all could be verified fails (it proved nothing)."""
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    monkeypatch.setenv("POLYCHROMIFY_CACHE", str(Path(smoke_run.path).parents[2] / "cache"))
    store = tmp_path / "results"
    shutil.copytree(smoke_run.path.parent.parent, store)
    big = store / "eccv16" / smoke_run.path.name
    shutil.copytree(smoke_run.path, big)
    provenance = json.loads((big / "provenance.json").read_text())
    (big / "provenance.json").write_text(json.dumps({**provenance, "params": 32_241_936}))
    (big / "model.weights.h5").unlink()
    assert main(["verify", "--results", str(store)]) == 0
    out = capsys.readouterr().out
    assert f"1 not verifiable (eccv16/{smoke_run.path.name})" in out and "1 runs agree" in out
    assert main(["verify", "--results", str(store), "--experiment", "eccv16"]) == 1
    assert "none could be checked here" in capsys.readouterr().out


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
def test_the_committed_final_model_reproduces_its_stored_test_metrics():
    """The paper-profile final model of Table 2 (seed 42): its metrics on the 837 test photos, recomputed from
    its committed weights and the photos, in CI. Predicting is what costs (28.7 GFLOP a photo: about 0.18 s on
    the slowest of our 2-core machines), so CI checks the test split of this one run, and
    ``polychromify verify --data PHOTOS`` checks both splits of every run (the CNN, the author's weights, every
    seed) and the baselines. The author's weights are checked by their bytes: the shipped copy is the store's
    (``test_author_model``)."""
    from polychromify.product import metrics
    from polychromify.studies.verify import RTOL, differences
    from polychromify.training.experiments import get_experiment
    from polychromify.training.profiles import from_stored
    from polychromify.training.resolve import load_trained
    from polychromify.training.results import find_run
    from polychromify.training.runner import experiment_data
    run = find_run("polychromify", "paper", ROOT / "results", synthetic=False, exact=True)
    assert run is not None and run.config["profile"]["precision"] == "float32"
    experiment = get_experiment(run.experiment)
    dataset = experiment_data(experiment, from_stored(run.config["profile"]), PHOTOS, quiet=True)
    assert dataset.data_hash == run.config["data"]["data_hash"]
    x, y = dataset.x["test"], dataset.y["test"]
    recomputed = metrics.evaluate(x, y, load_trained(run).predict_ab(x))
    stored = {k: v for k, v in run.metrics["model"]["test"].items() if k != "seconds"}
    found = differences(stored, {k: v for k, v in recomputed.items() if k != "seconds"}, RTOL)
    assert not found, found


def test_baselines_are_computed_once_per_split_not_once_per_photo_collection():
    """Seeds split the same photos differently: the gray and mean-ab baselines of seed 43 are not seed 42's
    (``verify`` once reused seed 42's for every seed, and reported the H200's seed-43 run as differing)."""
    import dataclasses

    from polychromify.training import runner
    from polychromify.training.data import load_dataset
    from polychromify.training.experiments import get_experiment
    from polychromify.training.profiles import get_profile
    from polychromify.training.runner import evaluate_baselines
    synthetic = load_dataset(None, get_profile("smoke"), quiet=True)
    one = dataclasses.replace(synthetic, synthetic=False)  # the cache is for real photos only
    swapped = {"val": "test", "test": "val", "train": "train"}
    other = dataclasses.replace(one, **{field: {split: getattr(one, field)[swapped[split]] for split in swapped}
                                        for field in ("x", "y", "rgb", "names")})
    assert one.data_hash == other.data_hash  # the same photos, split otherwise
    final = get_experiment("polychromify")
    first, second = evaluate_baselines(final, one), evaluate_baselines(final, other)
    assert first["gray"]["test"] == second["gray"]["val"] != second["gray"]["test"]
    assert len([k for k in runner._BASELINES]) >= 2
    first["gray"]["test"]["auc"] = -1.0  # a caller's change does not reach the cache
    assert evaluate_baselines(final, one)["gray"]["test"]["auc"] != -1.0
