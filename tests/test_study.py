"""polychromify.studies.study: the verdict rule decides on the data; the store's per-photo scores feed it."""
from pathlib import Path

import numpy as np
import pytest

from polychromify.product.metrics import PHOTO_KEYS
from polychromify.studies.photo_scores import (
    PHOTO_SCORES,
    read_photo_scores,
    rows_of,
    write_photo_scores,
)
from polychromify.studies.study import (
    BETTER,
    CANNOT_TELL,
    WORSE,
    Entry,
    Scores,
    Study,
    against_paper,
    compare,
    run_scores,
)
from polychromify.training.results import list_runs

ROOT = Path(__file__).resolve().parents[1]


def _scores(key, values: dict, photos=None) -> Scores:
    n = len(next(iter(values.values())))
    photos = tuple(photos or (f"p{i:03d}" for i in range(n)))
    return Scores(key, photos, {k: np.asarray(v, float) for k, v in values.items()})


def _noise(seed, n=200, scale=0.02):
    return np.random.default_rng(seed).normal(0, scale, n)


def test_a_clear_gain_is_better_and_a_clear_loss_worse():
    base = 0.8 + _noise(0)
    ours = _scores("a/1", {"auc": base + 0.01 + _noise(1, scale=0.002)})
    theirs = _scores("b/1", {"auc": base})
    verdict = compare([ours], [theirs], "auc")
    assert verdict.verdict == BETTER and verdict.interval[0] > 0 and verdict.photos == 200
    assert compare([theirs], [ours], "auc").verdict == WORSE


def test_lower_is_better_where_the_registry_says_so():
    base = 10 + _noise(0, scale=1)
    lower = _scores("a/1", {"ab_rmse": base - 0.5})
    assert compare([lower], [_scores("b/1", {"ab_rmse": base})], "ab_rmse").verdict == BETTER
    result = compare([lower], [_scores("b/1", {"ab_rmse": base})], "ab_rmse")
    assert result.difference == pytest.approx(-0.5) and result.gain == pytest.approx(0.5)


def test_a_difference_inside_the_noise_cannot_be_told_apart():
    ours, theirs = _scores("a/1", {"auc": 0.8 + _noise(1)}), _scores("b/1", {"auc": 0.8 + _noise(2)})
    result = compare([ours], [theirs], "auc")
    assert result.verdict == CANNOT_TELL and result.interval[0] < 0 < result.interval[1]


def test_runs_that_disagree_in_sign_cannot_be_told_apart_even_when_their_mean_clears_zero():
    base = 0.8 + _noise(0)
    runs = [_scores(f"a/{i}", {"auc": base + shift}) for i, shift in enumerate((0.03, 0.02, -0.002))]
    result = compare(runs, [_scores("b/1", {"auc": base})], "auc")
    assert result.interval[0] > 0 and min(result.run_gains) < 0 < max(result.run_gains)
    assert result.verdict == CANNOT_TELL and result.runs == (3, 1)


def test_pairing_uses_only_the_photos_every_run_shares():
    a = _scores("a/1", {"auc": [0.9, 0.9, 0.9]}, photos=("x", "y", "z"))
    b = _scores("b/1", {"auc": [0.1, 0.8, 0.8]}, photos=("w", "y", "z"))
    result = compare([a], [b], "auc")
    assert result.photos == 2 and result.gain == pytest.approx(0.1)


def test_the_interval_is_the_same_for_the_same_scores():
    a, b = _scores("a/1", {"auc": 0.8 + _noise(1)}), _scores("b/1", {"auc": 0.8 + _noise(2)})
    assert compare([a], [b], "auc").interval == compare([a], [b], "auc").interval


@pytest.mark.parametrize("ours, verdict", [((0.70,), CANNOT_TELL), ((0.70, 0.71), BETTER), ((0.60, 0.61), WORSE),
                                           ((0.60, 0.70), CANNOT_TELL)])
def test_against_the_papers_single_number_only_our_spread_counts(ours, verdict):
    found = against_paper(list(ours), 0.65, "accuracy")
    assert found.verdict == verdict and ("no spread" in found.note or "ours alone" in found.note)


def test_per_photo_scores_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    L = rng.uniform(0, 100, (3, 16, 16, 1)).astype("f4")
    y = rng.uniform(-0.3, 0.3, (3, 16, 16, 2)).astype("f4")
    rows = rows_of("test", ["a.jpg", "b.jpg", "c.jpg"], L, y, {"model": y * 0.5, "gray": np.zeros_like(y)})
    write_photo_scores(tmp_path / PHOTO_SCORES, rows)
    table = read_photo_scores(tmp_path / PHOTO_SCORES)
    names, values = table[("test", "gray")]
    assert names == ["a.jpg", "b.jpg", "c.jpg"] and set(values) == set(PHOTO_KEYS)
    assert np.all(values["colorfulness_pred"] < 0.5) and np.all(table[("test", "model")][1]["auc"] > values["auc"])
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="bad.csv.gz: not a per-photo score table"):
        read_photo_scores(tmp_path / "bad.csv.gz")


# ---------------------------------------------------------------- the committed store

def _paper_runs():
    return [run for run in list_runs(ROOT / "results") if run.finished and run.path.name.startswith("paper-")]


def test_every_committed_paper_run_with_weights_has_its_per_photo_scores():
    runs = [run for run in _paper_runs() if run.weights.is_file()]
    assert runs
    missing = [f"{run.experiment}/{run.path.name}" for run in runs if not (run.path / PHOTO_SCORES).is_file()]
    assert not missing, missing


def test_per_photo_scores_average_to_the_stored_test_metrics():
    """The per-photo table of a run is the same model on the same photos as its metrics.json: every metric that
    is a mean over photos agrees (ab RMSE pools values and rebalanced AuC pools classes: not compared)."""
    for run in _paper_runs():
        scores = run_scores(run)
        if scores is None or run.config["profile"]["precision"] != "float32":
            continue
        stored = run.metrics["model"]["test"]
        assert len(scores.photos) == run.config["data"]["split_sizes"]["test"]
        for key in ("accuracy", "psnr", "ssim", "auc", "colorfulness_pred", "colorfulness_gap", "ciede2000"):
            assert scores.values[key].mean() == pytest.approx(stored[key], rel=1e-4, abs=1e-6), (run.path, key)
        gray = run_scores(run, predictor="gray").values["auc"].mean()
        assert gray == pytest.approx(run.metrics["gray"]["test"]["auc"], rel=1e-6)
        return
    pytest.fail("no float32 paper run with per-photo scores in the store")


def test_a_study_draws_its_intervals_from_the_store_without_photos():
    runs = {}
    for run in _paper_runs():
        if run.experiment in ("polychromify", "author_model") and run_scores(run, "scenes-dev") is not None:
            runs.setdefault(run.experiment, []).append(run)
    if len(runs) < 2:
        pytest.fail(f"the store lacks per-photo scores on scenes-dev of the final model or the author's: {runs}")
    study = Study("scenes-dev", {name: Entry(name, name, found) for name, found in runs.items()})
    against_gray = study.compare("polychromify", "polychromify", predictor="gray")
    assert against_gray["auc"].photos == 396 and against_gray["auc"].interval[0] <= against_gray["auc"].gain
    ours = study.compare("polychromify", "author_model")
    assert set(ours) == {"auc", "auc_rebalanced", "ab_rmse", "colorfulness_gap"}
    assert all(c.verdict in (BETTER, WORSE, CANNOT_TELL) and c.interval[0] <= c.interval[1] for c in ours.values())
