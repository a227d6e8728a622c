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


def test_verdicts_are_signed_so_that_positive_is_better_and_compare_within_a_profile(study):
    found = beyond.verdicts(study)
    assert set(found) == {"polychromify_unet", "polychromify_classes"}
    unet = found["polychromify_unet"]
    assert unet["folder/auc"] == pytest.approx(0.01) and unet["folder/ab_rmse"] == pytest.approx(1.0)
    assert unet["folder/colorfulness_gap"] == pytest.approx(4.0)
    classes = found["polychromify_classes"]
    assert classes["folder/auc"] == pytest.approx(-0.01) and classes["folder/auc_rebalanced"] == pytest.approx(0.07)
    assert beyond.verdicts(study, "paper") == {}   # only the final model at the paper profile so far


def test_table_and_note(study):
    table = tables.beyond(study)
    assert table.loc["PolyChromify U-Net (ablation profile)", ("other collection", "rebalanced AuC \u2191")] == 0.60
    assert table.loc["PolyChromify (paper profile)", ("other collection", "AuC \u2191")] == pytest.approx(0.886)
    assert table.loc["PolyChromify (paper profile)", ("", "seeds")] == 2
    assert table.loc["gray baseline (ab = 0), ablation test split", ("landscape test split", "ab RMSE \u2193")] == 17.5
    assert table.loc["PolyChromify, the author's weights (paper profile)",
                     ("other collection", "colorfulness gap \u2193")] == 17.0
    note = prose.beyond_note(study)
    assert ("**PolyChromify U-Net** (ablation profile) against the final model at the same profile, on the other "
            "collection: better on 4 of 4") in note
    assert "bottleneck does not suit colorization*: **supported**" in note
    assert "classification is more vivid*: **partly supported (2 of 4 measures)**" in note
    assert "1 at the ablation profile, 2 at the paper profile" in note
    del study["models"]["c"]
    assert "not tested yet (the run of PolyChromify, classification loss is pending)" in prose.beyond_note(study)
    for key in ("a", "d", "e"):
        del study["models"][key]
    assert prose.beyond_note(study) == "The final model's runs are not in the study yet."


def test_a_claim_is_read_against_the_final_models_seed_spread_where_it_has_seeds(study):
    # paper profile: the final model's two seeds (d, e) are 0.002 AuC, 0.02 rebalanced, 0.2 RMSE, 0 gap apart
    study["models"]["f"] = {"experiment": "polychromify_unet", "profile": "paper", "seed": 42, "parameters": 1,
                            "folder": _s(0.887, 0.60, 14.35, 16.0), "test": _s(0.88, 0.60, 15.0, 20.0)}
    assert beyond.spreads(study, "polychromify", "paper") == pytest.approx(
        {"auc": 0.002, "auc_rebalanced": 0.02, "ab_rmse": 0.2, "colorfulness_gap": 0.0})
    assert beyond.spreads(study, "polychromify", "ablation") is None  # one seed
    note = prose.beyond_note(study)
    line = next(x for x in note.splitlines() if "bottleneck" in x)
    # better than the mean on AuC (+0.001), rebalanced AuC, gap; worse on RMSE (-0.05): only two beyond the spread
    assert "**partly supported (2 of 4 measures)**" in line and "at the paper profile" in line
    assert "read against the spread of the final model's 2 seeds there" in line
    assert line.endswith("within it on AuC, ab RMSE.")


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


def test_the_default_candidate_must_beat_the_papers_model_everywhere_and_gray_by_a_point(study):
    name, why = beyond.default_candidate(study)      # the U-Net beats it, but only at the ablation profile
    assert name is None and "no model trained at the paper's profile beats" in why
    study["models"]["f"] = {**study["models"]["b"], "profile": "paper"}
    name, why = beyond.default_candidate(study)      # at the paper profile it beats gray by only 0.4 points
    assert name is None
    study["baselines"]["gray"]["folder"]["auc"] = 0.89
    name, why = beyond.default_candidate(study)
    assert name == "polychromify_unet" and why.startswith("polychromify_unet beats the paper's final model")
    study["models"]["f"]["folder"]["ab_rmse"] = 14.4   # the paper model's mean: a tie is not a win
    assert beyond.default_candidate(study)[0] is None
    for key in ("d", "e"):
        del study["models"][key]
    assert "not in the study" in beyond.default_candidate(study)[1]


def test_a_bf16_variant_is_read_against_the_final_model_in_bf16_not_float32(study):
    study["baselines"]["gray"]["folder"]["auc"] = 0.89
    # better than the float32 final model (d, e) on every measure, but not than its bf16 runs
    study["models"]["g"] = {**study["models"]["b"], "experiment": "polychromify_l1", "profile": "paper-bf16"}
    study["models"]["h"] = {**study["models"]["a"], "profile": "paper-bf16", "folder": _s(0.905, 0.61, 12.9, 14.0)}
    assert beyond.default_candidate(study)[0] is None
    assert beyond.verdicts(study, "paper-bf16")["polychromify_l1"]["folder/auc"] == pytest.approx(-0.005)
    study["models"]["h"]["folder"] = _s(0.899, 0.59, 13.1, 15.5)  # now the bf16 final model is beaten everywhere
    assert beyond.default_candidate(study)[0] == "polychromify_l1"
    assert beyond.group_profile("paper-bf16").precision == "mixed_bfloat16"
    assert beyond.group_profile("paper").precision == "float32"


def test_a_model_under_the_authors_protocol_is_compared_on_the_other_collection_only(study):
    study["models"]["p"] = {"experiment": "polychromify_unet_author_data", "profile": "ablation", "seed": 42,
                            "parameters": 1000, "folder": _s(0.899, 0.56, 13.5, 18.0), "test": None,
                            "own_test": _s(0.95, 0.9, 5.0, 3.0), "data_protocol": "author"}
    found = beyond.verdicts(study)["polychromify_unet_author_data"]
    assert found["folder/auc"] == pytest.approx(0.009)
    assert not any(key.startswith("test/") for key in found)   # its split holds duplicates of its training photos
    row = tables.beyond(study).loc["PolyChromify U-Net, the author's data protocol (ablation profile)"]
    assert row[("other collection", "ab RMSE \u2193")] == 13.5
    assert np.isnan(row[("landscape test split", "AuC \u2191")])
    assert "its landscape test split is another protocol's" in prose.beyond_note(study)


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


def test_an_eccv16_is_a_reference_read_against_the_final_model_of_its_arithmetic(study):
    study["models"]["h"] = {**study["models"]["a"], "profile": "paper-bf16", "folder": _s(0.889, 0.55, 14.4, 19.4),
                            "test": _s(0.88, 0.55, 15.0, 25.0)}
    study["references"]["eccv16_zhang"] = {"experiment": "eccv16_zhang", "profile": "paper",
                                           "precision": "mixed_bfloat16", "parameters": 32_000_000,
                                           "folder": _s(0.880, 0.60, 15.4, 12.4), "test": _s(0.87, 0.62, 16, 20)}
    group, deltas = beyond.reference_verdicts(study)["eccv16_zhang"]
    assert group == "paper-bf16"                          # bf16 against bf16, not the float32 seeds d and e
    assert deltas["folder/auc_rebalanced"] == pytest.approx(0.05)
    assert deltas["folder/colorfulness_gap"] == pytest.approx(7.0) and deltas["folder/ab_rmse"] == pytest.approx(-1.0)
    assert "author_model" not in beyond.reference_verdicts(study)  # trained on other photos: no verdict
    row = tables.beyond(study).loc["ECCV16, Zhang's recipe (beyond the paper) (paper profile)"]
    assert row[("landscape test split", "rebalanced AuC \u2191")] == 0.62 and row[("", "parameters")] == 32_000_000
    note = prose.beyond_note(study)
    assert "more vivid colours than the final model*, with ECCV16, Zhang's recipe" in note
    assert "paper-bf16 runs: **supported** on the two measures of vividness" in note
    study["references"]["eccv16_zhang"]["folder"] = _s(0.880, 0.50, 15.4, 22.0)
    assert "**not supported** on the two measures of vividness" in prose.beyond_note(study)


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


def test_a_change_to_another_model_than_the_final_one_is_read_against_that_model(study):
    base, variant = "polychromify_unet_large_author_data", "polychromify_unet_large_author_data_long"
    assert beyond.VARIANTS[variant][0] == base
    for seed, auc in ((42, 0.905), (43, 0.908)):  # the base's two seeds: spread 0.003 on AuC
        study["models"][f"b{seed}"] = {"experiment": base, "profile": "paper", "seed": seed, "folder": _s(auc, 0.68, 12.6, 16.0)}
    study["models"]["v"] = {"experiment": variant, "profile": "paper", "seed": 42, "folder": _s(0.9165, 0.70, 12.0, 14.0)}
    line = next(l for l in prose.beyond_note(study).splitlines() if l.startswith("- **A longer schedule"))
    assert "against PolyChromify U-Net, large, the author's data protocol, paper profile): **helps**" in line
    assert "(AuC +0.010," in line                                                  # against the base's mean, 0.9065
    assert "the spread of the 2 seeds of PolyChromify U-Net, large, the author's data protocol" in line
    study["models"]["v"]["folder"] = _s(0.9070, 0.66, 13.0, 17.0)                 # within the spread on AuC
    line = next(l for l in prose.beyond_note(study).splitlines() if l.startswith("- **A longer schedule"))
    assert "**better beyond the spread on 0, worse on 3 of 4 measures**" in line and "within it on AuC" in line


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


def test_among_several_winners_the_default_is_the_one_with_more_seeds(study):
    for key, name, seed, rebalanced in (("x", "polychromify_unet", 42, 0.70), ("y", "polychromify_unet", 43, 0.70),
                                        ("z", "polychromify_unet_large", 42, 0.75)):
        study["models"][key] = {"experiment": name, "profile": "paper", "seed": seed,
                                "folder": _s(0.910, rebalanced, 12.0, 15.0)}
    assert beyond.default_candidate(study)[0] == "polychromify_unet"      # two seeds before one, better or not
    study["models"]["w"] = {**study["models"]["z"], "seed": 43}
    assert beyond.default_candidate(study)[0] == "polychromify_unet_large"  # as many seeds: the better rebalanced AuC


def test_the_decisions_are_data_that_the_prose_only_phrases(study):
    """The study decides (``claim_readings``, ``variant_readings``, ``vividness_verdicts``); the tests above read
    the sentences, these the decisions themselves."""
    claims = beyond.claim_readings(study)
    assert claims["polychromify_unet"].verdict == beyond.SUPPORTED and claims["polychromify_unet"].wins == 4
    assert claims["polychromify_classes"].verdict == f"{beyond.PARTLY} (2 of 4 measures)"
    assert claims["polychromify_classes"].profile == "ablation" and claims["polychromify_classes"].noise is None
    del study["models"]["c"]
    assert beyond.claim_readings(study)["polychromify_classes"] is None  # not tested yet
    study["models"]["f"] = {"experiment": "polychromify_unet", "profile": "paper", "seed": 42, "parameters": 1,
                            "folder": _s(0.887, 0.60, 14.35, 16.0), "test": _s(0.88, 0.60, 15.0, 20.0)}
    reading = beyond.claim_readings(study)["polychromify_unet"]
    assert reading.profile == "paper" and reading.noise_of == "polychromify" and reading.seeds == 2
    assert (reading.wins, reading.losses) == (2, 0)
    assert reading.noise == pytest.approx({"auc": 0.002, "auc_rebalanced": 0.02, "ab_rmse": 0.2,
                                           "colorfulness_gap": 0.0})


def test_the_default_rule_is_stated_once_and_names_every_measure():
    rule = beyond.default_rule()
    assert all(METRICS[k].label in rule for k in beyond.MEASURES) and "1 point" in rule
    assert "2 point" in beyond.default_rule(0.02)
