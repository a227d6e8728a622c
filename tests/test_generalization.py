"""The generalization study's tables, verdicts and figure (made-up study), and reading checkpoints from git."""
import subprocess

import pytest

from polychromify.book import figures, prose, tables
from polychromify.studies import generalization
from polychromify.training.results import Run


def _m(auc, rmse, psnr=22.0, accuracy=0.6):
    return {"auc": auc, "ab_rmse": rmse, "psnr": psnr, "accuracy": accuracy}


@pytest.fixture
def study():
    ablation = lambda name, seed, auc: {"experiment": name, "profile": "ablation", "seed": seed,  # noqa: E731
                                        "folder": _m(auc, 14.0), "test": _m(0.88, 15.0)}
    return {
        "images": 396, "image_size": 128,
        "models": {
            "author_model": {"experiment": "author_model", "profile": "paper", "folder": _m(0.91, 12.5),
                             "test": _m(0.878, 16.7)},
            "polychromify": {"experiment": "polychromify", "profile": "paper", "folder": _m(0.89, 14.3),
                             "test": _m(0.880, 15.9)},
            "a": ablation("polychromify", 42, 0.890), "b": ablation("polychromify", 43, 0.892),
            "c": ablation("polychromify_conv_output", 42, 0.891),
            "d": ablation("polychromify_author_data", 42, 0.900),
        },
        "baselines": {"gray": _m(0.896, 14.46), "mean_ab": _m(0.894, 14.47)},
        "baselines_test": {"gray": _m(0.87, 17.5), "mean_ab": _m(0.86, 17.6)},
        "epochs": {"points": [{"epoch": e, "folder": _m(a, 14.0)} for e, a in ((1, 0.893), (10, 0.8975), (25, 0.89))]},
    }


def test_generalization_table_and_verdict(study):
    table = tables.generalization(study)
    assert table.loc["PolyChromify, the author's weights", ("other collection", "AuC \u2191")] == 0.91
    assert table.loc["gray baseline (ab = 0)", ("landscape test split", "ab RMSE \u2193")] == 17.5
    note = prose.generalization_note(study)
    assert "The author's trained model beats the gray baseline on both AuC and ab RMSE." in note
    assert "Our paper-profile model beats the gray baseline on ab RMSE only, **not on AuC**." in note
    assert "2.0 AuC points below" in note
    assert "Over its" not in note  # one seed: no spread to speak of


def test_the_gap_to_the_authors_model_is_read_against_our_seeds(study):
    study["models"]["polychromify"]["seeds"] = {"42": _m(0.890, 14.3), "43": _m(0.897, 13.7), "44": _m(0.891, 14.5)}
    note = prose.generalization_note(study)
    assert "Over its 3 seeds our model's AuC there is 89.3 (seeds 89.0 to 89.7, a spread of 0.7 points)" in note
    assert "1 of 3 seeds beat gray's AuC, 2 its ab RMSE" in note
    assert "The author's model is 1.7 AuC points above our mean, **more than** the spread between our seeds." in note
    study["models"]["polychromify"]["seeds"]["44"] = _m(0.905, 14.0)
    assert "within the spread between our seeds" in prose.generalization_note(study)


def test_ablations_are_read_against_the_spread_between_seeds(study):
    table = tables.ablations(study)
    assert table.loc["PolyChromify", ("", "seeds")] == 2
    assert table.loc["PolyChromify", ("other collection", "AuC \u2191 spread")] == pytest.approx(0.002)
    note = prose.ablation_note(study)
    assert "its 2 seeds are 0.2 points apart" in note
    assert "PolyChromify, the author's Conv2D output: +0.0 points, within the spread" in note
    assert "PolyChromify, the author's data protocol: +0.9 points, larger than the spread" in note


def test_epochs_note_and_figure(study):
    note = prose.epochs_note(study)
    assert note.startswith("On the other collection our model does best after epoch 10 (AuC 89.8)")
    assert "at the expense of other photos" in note and "1.3 points below the author's model" in note
    fig = figures.generalization_epochs(study)
    assert len(fig.axes[0].lines) == 3


def test_checkpoint_commits_finds_each_epoch_in_the_history(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)
    git("init", "-q")
    run = tmp_path / "results" / "polychromify" / "paper-0123456789"
    for epoch in (1, 2):
        folder = run / "checkpoint" / f"epoch-{epoch:04d}"
        if epoch == 2:
            subprocess.run(["git", "rm", "-rq", "results"], cwd=tmp_path, check=True)
        folder.mkdir(parents=True)
        (folder / "model.weights.h5").write_bytes(bytes([epoch]))
        git("add", "-A")
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", f"epoch {epoch}")
    commits = generalization.checkpoint_commits(Run(run), tmp_path)
    assert sorted(commits) == [1, 2] and len(set(commits.values())) == 2


def test_framing_reads_the_authors_lead_on_whole_and_closer_photos(study):
    assert "not in the stored study" in prose.framing_note(study)
    study["models"]["polychromify"]["seeds"] = {"42": _m(0.890, 14.3), "43": _m(0.894, 13.7)}
    study["framing"] = {"zoom": 2, "gray": _m(0.896, 14.5),
                        "models": {"author_model": _m(0.902, 13.0),
                                   "polychromify": {"42": _m(0.886, 14.6), "43": _m(0.898, 14.2)}}}
    table = tables.framing(study)
    ours = table.loc["PolyChromify (paper profile, mean of 2 seeds)"]
    assert ours[("2x closer (central part)", "AuC \u2191")] == pytest.approx(0.892)
    assert ours[("whole photos", "AuC \u2191 spread")] == pytest.approx(0.004)
    assert list(table.columns)[:2] == [("whole photos", "AuC \u2191"), ("whole photos", "AuC \u2191 spread")]
    note = prose.framing_note(study)
    assert "leads our mean by 1.0 AuC points instead of 1.8" in note
    assert "about 44 % of his lead, not all of it**; what is left is within the spread" in note
    study["framing"]["models"]["author_model"] = _m(0.890, 13.0)
    assert "his lead is gone" in prose.framing_note(study)
    study["framing"]["models"]["author_model"] = _m(0.915, 13.0)
    assert "Framing does not explain his lead" in prose.framing_note(study)


def test_the_authors_protocol_at_paper_scale_is_read_against_our_seeds(study):
    assert "not in the stored study yet" in prose.protocol_note(study)
    study["models"]["polychromify"]["seeds"] = {"42": _m(0.890, 14.3), "43": _m(0.894, 13.7)}
    entry = lambda auc, rmse: {"precision": "mixed_bfloat16", "seed": 42, "folder": _m(auc, rmse)}  # noqa: E731
    study["protocol"] = {"author_data": entry(0.899, 13.9), "polychromify": entry(0.891, 14.4)}
    note = prose.protocol_note(study)
    assert "+0.8 AuC points and -0.50 ab RMSE" in note
    assert "**larger than** the 0.4 points between our float32 seeds" in note
    assert "still 1.1 points above it" in note


def test_central_crops_the_middle_of_a_batch():
    import numpy as np
    x = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    assert generalization.central(x, 2)[0, :, :, 0].tolist() == [[5, 6], [9, 10]]
