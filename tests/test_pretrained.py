"""polychromify.product.pretrained: export a run with its model card, load it back, refuse what must not be shipped."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from polychromify import cli
from polychromify.product.pretrained import (
    CARD,
    CARD_MD,
    PRETRAINED_DIR,
    WEIGHTS,
    load_pretrained,
    pretrained_card,
)
from polychromify.product.trained import load_model
from polychromify.studies.model_card import export_pretrained
from polychromify.training.resolve import load_trained
from polychromify.training.results import Run


def test_export_and_load_give_the_same_predictions(store, tmp_path):
    _, run = store
    dest = export_pretrained(run, tmp_path / "pretrained", allow_synthetic=True)
    assert {p.name for p in dest.iterdir()} == {WEIGHTS, CARD, CARD_MD}
    x = np.random.default_rng(0).uniform(0, 100, (3, 32, 32, 1)).astype(np.float32)
    shipped, original = load_pretrained(dest), load_trained(run)
    np.testing.assert_array_equal(shipped.predict(x, verbose=0), original.model.predict(x, verbose=0))
    assert shipped.count_params() == 293_074


def test_the_card_records_training_data_and_test_metrics(store, tmp_path):
    _, run = store
    card = pretrained_card(export_pretrained(run, tmp_path, allow_synthetic=True))
    assert card["experiment"] == "polychromify" and card["profile"] == "smoke"
    assert card["image_size"] == 32 and card["epochs"] == 2 and card["params"] == 293_074
    assert card["data"]["data_hash"] == run.config["data"]["data_hash"]
    assert card["data"]["split_sizes"] == run.config["data"]["split_sizes"] and card["data"]["used"] == 48
    assert card["test_metrics"]["model"]["psnr"] == run.metrics["model"]["test"]["psnr"]
    assert set(card["test_metrics"]) == {"model", "gray", "mean_ab"}
    assert card["git_commit"] and card["versions"]["keras"]
    assert "not the paper's profile" in card["note"] and "synthetic" in card["note"]
    text = (tmp_path / CARD_MD).read_text()
    assert "smoke profile" in text and f"{card['test_metrics']['gray']['psnr']:.4f}" in text
    assert (tmp_path / WEIGHTS).stat().st_size == card["weights_bytes"] < 2_000_000  # weights only


def test_synthetic_runs_are_not_shipped_by_default(store, tmp_path):
    _, run = store
    with pytest.raises(ValueError, match="synthetic"):
        export_pretrained(run, tmp_path)
    assert not (tmp_path / CARD).exists()


def test_unfinished_runs_are_refused(store, tmp_path):
    _, run = store
    unfinished = tmp_path / "polychromify" / "smoke-unfinished"
    unfinished.mkdir(parents=True)
    shutil.copy(run.path / "config.json", unfinished)
    with pytest.raises(ValueError, match="not finished"):
        export_pretrained(Run(unfinished), tmp_path / "out", allow_synthetic=True)


def test_a_missing_or_altered_model_is_a_clear_error(store, tmp_path):
    _, run = store
    with pytest.raises(FileNotFoundError, match="no pretrained model"):
        load_pretrained(tmp_path / "nothing")
    dest = export_pretrained(run, tmp_path / "p", allow_synthetic=True)
    card = json.loads((dest / CARD).read_text())
    card["weights_sha256"] = "0" * 64
    (dest / CARD).write_text(json.dumps(card))
    with pytest.raises(ValueError, match="does not match"):
        load_pretrained(dest)


def test_cli_export_wants_a_real_data_run(store, tmp_path, capsys):
    results, _ = store
    code = cli.main(["pretrained", "export", "--profile", "smoke", "--results", str(results),
                     "--dest", str(tmp_path)])
    assert code == 1 and "no finished real-data run" in capsys.readouterr().err
    assert not (tmp_path / CARD).exists()


def test_the_shipped_model_is_real_and_loads():
    if not (PRETRAINED_DIR / CARD).is_file():
        pytest.skip("no pretrained model shipped in this checkout")
    card = pretrained_card()
    assert card["data"]["synthetic"] is False and card["data"]["used"] > 0
    model = load_pretrained()  # also checks the weights against the card's SHA-256
    assert model.input_shape[1:] == (card["image_size"], card["image_size"], 1)
    assert model.count_params() == card["params"]
    assert card["profile"] == "paper" or "not the paper's profile" in card["note"]


def test_the_card_says_where_and_how_long_it_trained_and_that_it_was_resumed():
    from polychromify.studies.model_card import card_markdown
    card = json.loads((PRETRAINED_DIR / CARD).read_text())
    card["machine"] = {"cpus": 2, "platform": "Linux-x", "cpu": {"model": "AMD EPYC", "features": ["avx512_bf16"]}}
    card["timings"] = {"train_seconds_total": 7300.0, "train_seconds_this_session": 7300.0,
                       "seconds_per_epoch": [300.0, 500.0, 400.0]}
    text = card_markdown(card).split("Training time")[1]
    assert "- 7300 s of training (2.0 h) on 2 CPUs of an AMD EPYC (avx512_bf16), Linux-x" in text
    assert "per epoch: 300 to 500 s, median 400 s" in text and "resumed" not in text
    card["timings"]["train_seconds_this_session"] = 900.0
    assert "resumed from a checkpoint: the last session trained 900 s" in card_markdown(card)


def test_model_paper_is_the_papers_final_model_whichever_model_is_the_default(store, tmp_path):
    from polychromify.product.pretrained import paper_model_dir
    _, run = store
    default = export_pretrained(run, tmp_path / "pretrained", allow_synthetic=True)  # a quick-profile run
    with pytest.raises(FileNotFoundError, match="the paper's final model is not shipped here"):
        paper_model_dir(default)
    card = json.loads((default / CARD).read_text())
    shutil.copytree(default, default / "paper")   # the paper's model shipped beside another default
    (default / "paper" / CARD).write_text(json.dumps({**card, "profile": "paper"}))
    assert paper_model_dir(default) == default / "paper"
    (default / CARD).write_text(json.dumps({**card, "profile": "paper"}))
    shutil.rmtree(default / "paper")
    assert paper_model_dir(default) == default    # the default is the paper's model itself


def test_colorize_model_paper_is_todays_default():
    from polychromify.product.pretrained import is_papers_model
    if not (PRETRAINED_DIR / CARD).is_file() or not is_papers_model(pretrained_card()):
        pytest.skip("the shipped default is not the paper's model")
    paper, default = load_model("paper"), load_model()
    x = np.random.default_rng(0).uniform(0, 100, (1, 128, 128, 1)).astype(np.float32)
    np.testing.assert_array_equal(paper.model.predict(x, verbose=0), default.model.predict(x, verbose=0))
    assert paper.source.startswith("paper (polychromify, paper profile)")


def test_colorize_model_paper_is_the_papers_model_beside_another_default():
    from polychromify.product.pretrained import is_papers_model
    if not (PRETRAINED_DIR / CARD).is_file() or is_papers_model(pretrained_card()):
        pytest.skip("the shipped default is the paper's model")
    paper, default = load_model("paper"), load_model()
    assert is_papers_model(pretrained_card(PRETRAINED_DIR / "paper"))
    assert paper.source.startswith("paper (polychromify, paper profile)")
    assert paper.model.count_params() == 293074 and default.model.count_params() != 293074
    x = np.random.default_rng(0).uniform(0, 100, (1, 128, 128, 1)).astype(np.float32)
    assert not np.allclose(paper.model.predict(x, verbose=0), default.model.predict(x, verbose=0))


def test_the_card_carries_the_models_scores_on_the_other_collection(store, tmp_path):
    from polychromify.studies.beyond import run_key
    _, run = store
    def s(auc, rebalanced, rmse, gap):
        return {"auc": auc, "auc_rebalanced": rebalanced, "ab_rmse": rmse, "colorfulness_gap": gap, "psnr": 1.0}
    study = {"folder": "/somewhere/scenes-dev", "images": 396, "image_size": 128,
             "provenance": {"computed_at": "2026-12-05T20:00:00+00:00"},
             "baselines": {"gray": {"folder": s(0.8958, 0.6324, 14.46, 36.0)}},
             "models": {"ours": {"experiment": "polychromify", "key": run_key(run), "profile": "paper",
                                 "folder": s(0.89, 0.66, 14.0, 19.0)},
                        "seed 43": {"experiment": "polychromify", "key": "polychromify/other", "profile": "paper",
                                    "folder": s(0.88, 0.64, 15.0, 21.0)}},
             "references": {}}
    card = pretrained_card(export_pretrained(run, tmp_path, allow_synthetic=True, study=study))
    other = card["other_collection"]
    assert other["folder"] == "scenes-dev" and other["model"]["auc"] == 0.89 and "psnr" not in other["model"]
    assert other["paper_model"]["ab_rmse"] == pytest.approx(14.5) and other["paper_model_seeds"] == 2
    text = (tmp_path / CARD_MD).read_text()
    assert "On photos of another collection (scenes-dev, 396 photos never trained on" in text
    assert "| measure | this model | paper's final model (2 runs) | gray (ab = 0) |" in text  # it is the final model
    assert "| rebalanced AuC, higher is better | 0.6600 | 0.6500 | 0.6324 |" in text
    assert not other["chosen_on_it"] and "optimistic" not in text
    study["models"]["ours"]["key"] = "polychromify/not-this-run"       # the study never scored this run
    card = pretrained_card(export_pretrained(run, tmp_path / "again", allow_synthetic=True, study=study))
    assert card["other_collection"] is None and "another collection" not in (tmp_path / "again" / CARD_MD).read_text()


def test_the_card_of_a_default_chosen_among_seeds_says_its_own_scores_are_optimistic(store, tmp_path, monkeypatch):
    """The card's wording for a default chosen among seeds (the rule that chooses it, ``beyond.default_candidate``,
    is tested on the committed store's per-photo scores in test_beyond; this made-up study has none)."""
    from polychromify.studies import model_card
    from polychromify.studies.beyond import run_key
    _, run = store
    def s(auc, rebalanced, rmse, gap):
        return {"auc": auc, "auc_rebalanced": rebalanced, "ab_rmse": rmse, "colorfulness_gap": gap}
    def entry(name, key, folder):
        return {"experiment": name, "key": key, "profile": "paper", "folder": folder}
    study = {"folder": "scenes-dev", "images": 396, "image_size": 128, "references": {},
             "baselines": {"gray": {"folder": s(0.8958, 0.6324, 14.46, 36.0)}},
             "models": {"p": entry("polychromify", "polychromify/p", s(0.89, 0.66, 14.0, 19.0)),
                        "u42": entry("polychromify_unet", "polychromify_unet/u42", s(0.905, 0.68, 12.8, 16.0)),
                        "u43": entry("polychromify_unet", run_key(run), s(0.909, 0.67, 12.4, 15.0))}}
    monkeypatch.setattr(model_card, "default_candidate", lambda study, **_: ("polychromify_unet", "chosen"))
    card = pretrained_card(export_pretrained(run, tmp_path, allow_synthetic=True, study=study))
    other = card["other_collection"]
    assert other["chosen_on_it"] and other["its_seed_count"] == 2 and other["its_seeds"]["auc"] == pytest.approx(0.907)
    text = (tmp_path / CARD_MD).read_text()
    assert "| measure | this model | its recipe (2 runs) | paper's final model (1 run) | gray (ab = 0) |" in text
    assert "| AuC, higher is better | 0.9090 | 0.9070 | 0.8900 | 0.8958 |" in text
    assert "so its own scores here are optimistic" in text


def test_the_shipped_default_is_the_committed_studys_choice():
    """The default colorizer is what the "Beyond the paper" study chose (``beyond.default_candidate`` and
    ``default_run``), or the paper's model when it chose none: re-export when the study changes its mind."""
    from polychromify.product.pretrained import is_papers_model
    from polychromify.studies import beyond
    study = beyond.load_study("scenes-dev", Path(__file__).resolve().parents[1] / "results")
    if study is None:
        pytest.skip("the results store holds no study of the other collection")
    winner, why = beyond.default_candidate(study)
    card = pretrained_card()
    if winner is None:
        assert is_papers_model(card), why
    else:
        assert f"{card['experiment']}/{card['run']}" == beyond.default_run(study, winner), why
