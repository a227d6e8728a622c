"""The "Beyond the paper" study: its scores, table and verdicts (made-up study), and its command."""
import numpy as np
import pytest

from polychromify.book import prose, tables
from polychromify.product import metrics
from polychromify.product.metrics import METRICS
from polychromify.studies import beyond


def _s(auc, rebalanced, rmse, gap):
    return {"auc": auc, "auc_rebalanced": rebalanced, "ab_rmse": rmse, "colorfulness_gap": gap}


@pytest.fixture
def study():
    def run(name, folder, profile="ablation", seed=42, test=None):
        return {"experiment": name, "profile": profile, "seed": seed, "parameters": 1000, "folder": folder,
                "test": test or _s(0.88, 0.60, 15.0, 20.0)}
    return {
        "images": 396, "image_size": 128,
        "models": {
            "a": run("polychromify", _s(0.890, 0.55, 14.0, 19.0)),
            "b": run("polychromify_unet", _s(0.900, 0.60, 13.0, 15.0)),
            "c": run("polychromify_classes", _s(0.880, 0.62, 15.0, 12.0)),
            "d": run("polychromify", _s(0.885, 0.50, 14.5, 20.0), "paper"),
            "e": run("polychromify", _s(0.887, 0.52, 14.3, 20.0), "paper", seed=43),
        },
        "references": {"author_model": {"experiment": "author_model", "folder": _s(0.91, 0.58, 12.5, 17.0)}},
        "baselines": {"gray": {"folder": _s(0.896, 0.40, 14.46, 25.0),
                               "test": {"ablation": _s(0.87, 0.35, 17.5, 28.0), "paper": _s(0.86, 0.3, 18, 29)}}},
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


def test_table_and_note(study):
    table = tables.beyond(study)
    assert table.loc["PolyChromify U-Net (ablation profile)", ("other collection", "rebalanced AuC \u2191")] == 0.60
    assert table.loc["PolyChromify (paper profile)", ("other collection", "AuC \u2191")] == pytest.approx(0.886)
    assert table.loc["PolyChromify (paper profile)", ("", "runs")] == "mean of 2 runs, seeds 42 and 43"
    assert table.loc["gray baseline (ab = 0), ablation test split", ("landscape test split", "ab RMSE \u2193")] == 17.5
    assert table.loc["PolyChromify, the author's weights (paper profile)",
                     ("other collection", "colorfulness gap \u2193")] == 17.0
    empty = {"alternatives": {}, "claims": {name: None for name in beyond.CLAIMS}, "variants": {}}
    assert prose.beyond_note(empty) == "The final model's runs are not in the study yet."


def test_figures_of_the_study(study):
    from polychromify.book import figures
    fig = figures.beyond_measures(study)
    assert len(fig.axes) == 4 and len(fig.axes[0].patches) == 4    # four (experiment, profile) groups


def test_the_command_needs_a_folder(capsys):
    from polychromify import cli
    with pytest.raises(SystemExit):
        cli.main(["study", "beyond"])
    assert "--data" in capsys.readouterr().err


def test_the_studys_photos_are_stored_read_back_and_drawn(tmp_path):
    from polychromify.book import figures
    from polychromify.product.color import rgb_to_xy
    from polychromify.training.synthetic import synthetic_landscape
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


def test_pending_lists_the_ablation_runs_and_the_campaigns_unfinished_paper_runs(tmp_path):
    from polychromify.training.experiments import BEYOND
    models = {"x": {"experiment": "polychromify", "profile": "ablation"}}
    got = beyond.pending(models, tmp_path)   # an empty store: nothing is finished
    assert "polychromify (ablation)" not in got and "polychromify_unet (ablation)" in got
    assert len([g for g in got if g.endswith("(ablation)")]) == len(BEYOND) - 1
    assert "polychromify_unet (seed=43) (paper)" in got
    assert "polychromify_flip (precision=mixed_bfloat16, seed=44) (paper)" in got
    assert not any("image_size" in g for g in got)       # the 256 px run is scored at its own size, not here
    assert not any(g.startswith("eccv16") for g in got)  # not a model of this study


def _run(tmp_path, key: str, weights: bytes | None):
    from polychromify.training.results import Run
    path = tmp_path / key
    path.mkdir(parents=True)
    if weights is not None:
        (path / "model.weights.h5").write_bytes(weights)
    return Run(path)


def test_a_stored_score_is_reused_only_for_the_same_weights_on_the_same_photos(tmp_path):
    import hashlib
    old = _run(tmp_path, "polychromify_unet/paper-1", b"old weights")
    digest = beyond.weights_digest(old)
    assert digest == hashlib.sha256(b"old weights").hexdigest()
    entry = {"key": "polychromify_unet/paper-1", "weights_sha256": digest, "profile": "paper", "folder": _s(1, 1, 1, 1)}
    previous = {"folder_hash": "photos", "data_hashes": {"paper": "split"}, "models": {"x": entry}, "references": {},
                "provenance": {"computed_at": "2026-12-05T14:34:38+00:00"}}
    earlier = beyond.earlier_scores(previous, "photos", {"paper": "split"})
    assert beyond.reusable(earlier, old, digest) == entry                      # same weights: reused as it was
    assert beyond.reusable(earlier, old, "other weights") is None              # retrained: scored again
    carried = beyond.reusable(earlier, old, None)                              # weights not on this machine
    assert carried["carried"] == "2026-12-05T14:34:38+00:00" and carried["folder"] == entry["folder"]
    assert beyond.reusable(earlier, _run(tmp_path, "polychromify_unet/paper-2", b"x"), None) is None
    assert beyond.earlier_scores(previous, "other photos", {"paper": "split"}) == {}
    assert beyond.earlier_scores(previous, "photos", {"paper": "another split"}) == {}
    assert beyond.earlier_scores(None, "photos", {}) == {}
    assert beyond.weights_digest(_run(tmp_path, "eccv16/paper-1", None)) is None
    # the test split is part of "the same photos": another seed's split, or none recorded, is scored again
    on_split = {**entry, "test_split": "seed 42's"}
    earlier = beyond.earlier_scores({**previous, "models": {"x": on_split}}, "photos", {"paper": "split"})
    assert beyond.reusable(earlier, old, digest, "seed 42's") == on_split
    assert beyond.reusable(earlier, old, digest, "seed 43's") is None
    older = beyond.earlier_scores(previous, "photos", {"paper": "split"})  # no split recorded: the group seed's
    assert beyond.reusable(older, old, digest, "any", group_seed=True) == entry
    assert beyond.reusable(older, old, digest, "any", group_seed=False) is None


def test_each_seed_of_a_run_under_the_authors_protocol_is_scored_on_its_own_split(messy_photos, tmp_path):
    """The author's protocol draws its split from the seed: a run of seed 43 must be checked against seed 43's data
    (the study once used the group's seed 42 for every run and skipped seeds 43 and 44 as trained on other photos)."""
    from polychromify.training.experiments import get_experiment
    from polychromify.training.results import Run
    from polychromify.training.runner import experiment_data
    run = Run(tmp_path / "run")
    run.path.mkdir()
    (run.path / "config.json").write_text('{"profile": {"seed": 43}}')
    profile = beyond.run_profile(run, "paper-bf16")
    assert profile == beyond.group_profile("paper-bf16").replace(seed=43) and profile.precision == "mixed_bfloat16"
    experiment = get_experiment("polychromify_unet_large_author_data")
    small = [p.replace(image_size=32) for p in (profile, beyond.group_profile("paper-bf16"))]
    of_run, of_group = (experiment_data(experiment, p, messy_photos, quiet=True, cache_dir=tmp_path / "c") for p in small)
    assert of_run.data_hash != of_group.data_hash  # another split: the old key would have skipped the run


def test_the_default_run_is_the_chosen_models_paper_run_best_on_the_other_collections_auc(study):
    for seed, auc in ((42, 0.903), (43, 0.909), (44, 0.906)):
        study["models"][f"u{seed}"] = {"experiment": "polychromify_unet", "profile": "paper", "seed": seed,
                                       "key": f"polychromify_unet/paper-{seed}", "folder": _s(auc, 0.7, 12.0, 15.0)}
    study["models"]["ablation"] = {"experiment": "polychromify_unet", "profile": "ablation", "seed": 42,
                                   "key": "polychromify_unet/ablation-1", "folder": _s(0.95, 0.7, 12.0, 15.0)}
    assert beyond.default_run(study, "polychromify_unet") == "polychromify_unet/paper-43"  # not the ablation run
    assert beyond.default_run(study, "polychromify_l1") is None


def test_the_chapter_says_which_run_is_the_default_and_whether_the_package_ships_it(study):
    assert prose.beyond_default(study, None, "none beats it", None) == (
        "The default colorizer stays the paper's final model: none beats it.")
    study["models"]["u"] = {"experiment": "polychromify_unet", "profile": "paper", "seed": 43,
                            "key": "polychromify_unet/paper-43", "folder": _s(0.909, 0.7, 12.0, 15.0)}
    card = {"experiment": "polychromify_unet", "run": "paper-43"}
    text = prose.beyond_default(study, "polychromify_unet", "it beats it", card)
    assert "is shipped (`polychromify_unet/paper-43`, seed 43: AuC 0.9090, rebalanced AuC 0.7000" in text
    assert "optimistic" in text and "The package ships" not in text
    stale = prose.beyond_default(study, "polychromify_unet", "it beats it", {"experiment": "polychromify", "run": "p"})
    assert stale.endswith("The package ships `polychromify/p` instead: export the chosen run with "
                          "`polychromify pretrained export --run results/polychromify_unet/paper-43`.")


def test_the_default_rule_is_stated_once_and_names_every_measure():
    rule = beyond.default_rule()
    assert all(METRICS[k].label in rule for k in beyond.MEASURES) and "1 point" in rule
    assert "2 point" in beyond.default_rule(0.02)


def test_a_claim_or_variant_is_decided_from_its_measures_verdicts_under_the_one_rule():
    from types import SimpleNamespace as V
    found = lambda *vs: {f"m{i}": V(verdict=v) for i, v in enumerate(vs)}  # noqa: E731
    assert beyond.decide(found("better", "better")) == beyond.SUPPORTED
    assert beyond.decide(found("worse", "cannot tell apart")) == beyond.NOT_SUPPORTED
    assert beyond.decide(found("cannot tell apart", "cannot tell apart")) == beyond.NOT_SHOWN
    assert beyond.decide(found("better", "worse")) == f"{beyond.PARTLY} (1 of 2 measures)"
    assert beyond.decide(found("worse", "worse"), "variant") == "hurts"
    assert beyond.decide(found("better", "cannot tell apart"), "variant") == "mixed: better on 1, cannot tell apart on 1 of 2 measures"


def test_on_the_committed_store_the_default_rests_on_paired_verdicts_of_every_measure():
    stored = beyond.load_study("scenes-dev")
    if stored is None:
        pytest.skip("the committed store holds no beyond study")
    paired = beyond.study_of(stored)
    winner, why = beyond.default_candidate(stored)
    assert winner == "polychromify_unet_large_author_data" and "by the one rule" in why
    found = beyond.alternatives(paired)[(winner, "paper-bf16")]
    assert {c.verdict for c in found.values()} == {"better"} and all(c.photos == 396 for c in found.values())
    claims = beyond.claim_readings(paired)
    assert claims["polychromify_unet"].profile == "paper" and next(iter(claims["polychromify_unet"].found.values())).runs == (3, 3)
    assert claims["polychromify_classes"].profile == "ablation"
