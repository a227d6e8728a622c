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


def test_epochs_note_and_figure(study):
    note = prose.epochs_note(study)
    assert "highest after epoch 10 (89.8) and ends, after epoch 25, at 89.0" in note and "not verdicts" in note
    assert "1.2 points below the author's model (91.0)" in note  # 91.0 - 89.8, the numbers as printed
    assert "gray baseline scores 89.6, below its highest and above its last" in note
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


def test_central_crops_the_middle_of_a_batch():
    import numpy as np
    x = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    assert generalization.central(x, 2)[0, :, :, 0].tolist() == [[5, 6], [9, 10]]


def test_generalization_table_names_its_rows_and_the_ablation_table_its_runs(study):
    table = tables.generalization(study)
    assert table.loc["PolyChromify, the author's weights (his own weights)", ("other collection", "AuC \u2191")] == 0.91
    assert "PolyChromify (paper profile, seed None alone)" not in table.index
    ablation = tables.ablations(study)
    assert ablation.loc["PolyChromify", ("", "runs")] == "mean of 2 runs, seeds 42 and 43"
    assert ablation.loc["PolyChromify, the author's Conv2D output", ("", "runs")] == "seed 42 alone"
    assert ablation.loc["PolyChromify", ("other collection", "AuC \u2191 range over runs")] == pytest.approx(0.002)
    assert "framing" not in study and "not in the stored study" in prose.framing_note(study, {})
    assert "not in the stored study yet" in prose.protocol_note(study, None, None)
