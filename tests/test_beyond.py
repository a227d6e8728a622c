"""The "Beyond the paper" study: its scores, table and verdicts (made-up study), and its command."""
import numpy as np
import pytest

from polychromify import beyond, metrics, prose, tables


def _s(auc, rebalanced, rmse, gap):
    return {"auc": auc, "auc_rebalanced": rebalanced, "ab_rmse": rmse, "colorfulness_gap": gap}


@pytest.fixture
def study():
    def run(name, seed, folder, test=None):
        return {"experiment": name, "seed": seed, "parameters": 1000, "folder": folder,
                "test": test or _s(0.88, 0.60, 15.0, 20.0)}
    return {
        "images": 396, "image_size": 128,
        "models": {
            "polychromify (seed 42)": run("polychromify", 42, _s(0.890, 0.55, 14.0, 19.0)),
            "polychromify_unet (seed 42)": run("polychromify_unet", 42, _s(0.900, 0.60, 13.0, 15.0)),
            "polychromify_classes (seed 42)": run("polychromify_classes", 42, _s(0.880, 0.62, 15.0, 12.0)),
        },
        "references": {"author_model": {"experiment": "author_model", "folder": _s(0.91, 0.58, 12.5, 17.0)}},
        "baselines": {"gray": {"folder": _s(0.896, 0.40, 14.46, 25.0), "test": _s(0.87, 0.35, 17.5, 28.0)}},
    }


def test_scores_add_the_rebalanced_auc_to_the_usual_metrics():
    rng = np.random.default_rng(0)
    L = rng.uniform(0, 100, (2, 16, 16, 1)).astype(np.float32)
    y_true = rng.uniform(-0.5, 0.5, (2, 16, 16, 2)).astype(np.float32)
    y_pred = np.zeros_like(y_true)
    got = beyond.scores(L, y_true, y_pred)
    assert got["auc"] == pytest.approx(metrics.auc(y_true * 128, y_pred))
    assert got["auc_rebalanced"] == pytest.approx(metrics.rebalanced_auc(y_true * 128, y_pred))
    assert set(beyond.MEASURES) <= set(got)


def test_verdicts_are_signed_so_that_positive_is_better(study):
    found = beyond.verdicts(study)
    assert set(found) == {"polychromify_unet", "polychromify_classes"}
    unet = found["polychromify_unet"]
    assert unet["folder/auc"] == pytest.approx(0.01) and unet["folder/ab_rmse"] == pytest.approx(1.0)
    assert unet["folder/colorfulness_gap"] == pytest.approx(4.0)
    classes = found["polychromify_classes"]
    assert classes["folder/auc"] == pytest.approx(-0.01) and classes["folder/auc_rebalanced"] == pytest.approx(0.07)


def test_table_and_note(study):
    table = tables.beyond(study)
    assert table.loc["PolyChromify U-Net (ablation)", ("other collection", "rebalanced AuC \u2191")] == 0.60
    assert table.loc["gray baseline (ab = 0)", ("landscape test split", "ab RMSE \u2193")] == 17.5
    assert table.loc["PolyChromify, the author's weights (paper profile)",
                     ("other collection", "colourfulness gap \u2193")] == 17.0
    note = prose.beyond_note(study)
    assert "**PolyChromify U-Net** against the final model, on the other collection: better on 4 of 4" in note
    assert "bottleneck does not suit colorization*: **supported**" in note
    assert "classification is more vivid*: **partly supported (2 of 4 measures)**" in note
    assert "One seed per model" in note
    del study["models"]["polychromify_classes (seed 42)"]
    assert "not tested yet (the run of PolyChromify, classification loss is pending)" in prose.beyond_note(study)
    del study["models"]["polychromify (seed 42)"]
    assert prose.beyond_note(study) == "The final model's ablation run is not in the study yet."


def test_the_command_needs_a_folder(capsys):
    from polychromify import cli
    with pytest.raises(SystemExit):
        cli.main(["study", "beyond"])
    assert "--data" in capsys.readouterr().err


def test_the_studys_photos_are_stored_read_back_and_drawn(tmp_path):
    from polychromify import figures
    from polychromify.color import rgb_to_xy
    from polychromify.synthetic import synthetic_landscape
    rgb = np.stack([synthetic_landscape(seed, 16) for seed in (1, 2)])
    x, y = rgb_to_xy(rgb)
    names = ["a.jpg", "b.jpg"]
    study = {"folder": str(tmp_path / "scenes"), "shown": ["polychromify"],
             "photos": beyond._store_photos(beyond.photos_dir(tmp_path / "scenes", tmp_path), names, x, y,
                                            {"polychromify": np.zeros_like(y)})}
    photos = beyond.stored_photos(study, tmp_path)
    assert set(photos) == {"truth", "polychromify"} and photos["truth"].shape == (2, 16, 16, 3)
    assert np.abs(photos["truth"].astype(int) - rgb).mean() < 8          # JPEG of the photo itself
    gray = photos["polychromify"].astype(int)
    assert np.abs(gray[..., 0] - gray[..., 2]).max() <= 3                # ab = 0: gray
    fig = figures.beyond_photos(photos, {"polychromify": "final"})
    assert len(fig.axes) == 2 * 3 and fig.axes[1].get_title() == "final"


def test_the_default_candidate_must_beat_the_papers_model_everywhere_and_gray_by_a_point(study):
    study["references"]["polychromify"] = {"experiment": "polychromify", "folder": _s(0.885, 0.50, 14.5, 20.0)}
    name, why = beyond.default_candidate(study)      # the U-Net beats it everywhere, but gray by only 0.4 points
    assert name is None and "no model of the study beats" in why
    study["baselines"]["gray"]["folder"]["auc"] = 0.89
    name, why = beyond.default_candidate(study)      # the classification model: AuC below the paper's model
    assert name == "polychromify_unet" and why.startswith("polychromify_unet beats the paper's final model")
    study["models"]["polychromify_unet (seed 42)"]["folder"]["ab_rmse"] = 14.5   # a tie is not a win
    assert beyond.default_candidate(study)[0] is None
    del study["references"]["polychromify"]
    assert beyond.default_candidate(study)[0] is None
