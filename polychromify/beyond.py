"""Beyond the paper: what fixes the final model's pale colours? The measurements behind the book's chapter
"Beyond the paper", stored as a study in the results store.

The paper ends with two claims it does not test: the autoencoder's bottleneck does not suit colorization
(section VI.A), and MSE gives a pale blue-to-yellow gradient where Zhang et al.'s methods are more vivid
(V.C, VI). The study trains the alternatives of ``experiments.BEYOND`` on the same photos with one harness
and scores each on its own landscape test split and on photos of another collection (``scenes-dev``,
never trained on), with the measures that see vividness as well as error. (A model trained under the author's
data protocol is scored on the other collection like the rest; its own test split, with duplicates of its
training photos, is stored apart as ``own_test`` and not compared.)

- AuC (Zhang et al. 2016, thresholds 0 to 150) and its class-rebalanced form (``metrics.rebalanced_auc``:
  every colour class counts alike, so predicting sepia everywhere no longer pays);
- ab RMSE, and the colourfulness gap (Hasler and Suesstrunk's M, |truth - prediction| per photo).

Every model is run at the ``ablation`` profile (128 px, 800 photos, 10 epochs: what a 2-core CPU affords for
several models) and, where trained, at the ``paper`` profile, in float32 or (``paper-bf16``, what a lent GPU
affords for many) in mixed_bfloat16: the study's groups (``PROFILES``); each model is compared with the final
model's runs of the same group, beside the gray (ab = 0) baseline and, on the other collection, the author's
trained model.

The result is ``<results>/studies/beyond-<folder>.json``, written atomically with what it was computed from
(runs, the folder's data hash, the machine), and beside it ``beyond-<folder>/``: ``PHOTOS`` of the folder's
photos (a fixed choice, ``samples.chosen``) as 128 px thumbnails with each model's colorization, for the
chapter's figure. ``polychromify study beyond --data DIR`` recomputes both.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .color import AB_SCALE
from .experiments import AUTHOR_MODEL, BEYOND, experiment_data, get_experiment, load_trained, predict_ab
from .profiles import get_profile
from .results import find_run, read_study, seeded_runs, study_file, write_study

STUDY_PROFILE = "ablation"
# The study's groups: label -> (profile, overrides). Every model at the ablation profile; at the paper's, those
# trained so far, each read against the final model's runs of its own arithmetic.
PROFILES = {STUDY_PROFILE: (STUDY_PROFILE, {}), "paper": ("paper", {}),
            "paper-bf16": ("paper", {"precision": "mixed_bfloat16"})}
MEASURES = {"auc": "AuC", "auc_rebalanced": "rebalanced AuC", "ab_rmse": "ab RMSE",
            "colorfulness_gap": "colourfulness gap"}
HIGHER_IS_BETTER = {"auc": True, "auc_rebalanced": True, "ab_rmse": False, "colorfulness_gap": False}
PHOTOS = 6  # photos of the other collection shown colorized by every model
TRUTH = "truth"


def study_path(folder, results_dir=None) -> Path:
    return study_file("beyond", folder, results_dir)


def photos_dir(folder, results_dir=None) -> Path:
    return study_file("beyond", folder, results_dir).with_suffix("")


def _store_photos(target: Path, names: list[str], x, y, predictions: dict) -> list[dict]:
    """The chosen photos' thumbnails and every model's colorization of them (``predictions``: key -> Y of
    those photos), as JPEGs in ``target``; returns the photos' entries for the study file."""
    from .color import xy_to_rgb
    from .samples import photo_key, to_uint8, write_jpeg
    for key, y_of in {TRUTH: y, **predictions}.items():
        for name, rgb in zip(names, xy_to_rgb(x, y_of)):
            write_jpeg(to_uint8(rgb), target / key / f"{photo_key(name)}.jpg")
    return [{"name": name, "key": photo_key(name)} for name in names]


def group_profile(group: str):
    """The profile of a group of the study (``PROFILES``)."""
    name, overrides = PROFILES[group]
    return get_profile(name, **overrides)


def study_runs(results_dir=None, group: str = STUDY_PROFILE) -> dict[str, list]:
    """Experiment of ``BEYOND`` -> its finished real-data runs of a group of the study (one per seed)."""
    return seeded_runs(BEYOND, group_profile(group), results_dir)


def scores(L, y_true, y_pred) -> dict:
    """The study's four measures (and the rest of ``metrics.evaluate``) of a prediction in model space."""
    from . import metrics
    result = metrics.evaluate(L, y_true, y_pred)
    y_pred = np.clip(np.asarray(y_pred, np.float32), -1.0, 1.0)
    result["auc_rebalanced"] = metrics.rebalanced_auc(np.asarray(y_true) * AB_SCALE, y_pred * AB_SCALE)
    return result


def run_study(folder, results_dir=None, data_dir=None, log=print) -> Path:
    """Score every model of the study (its runs at each of ``PROFILES``) on its own test split and on
    ``folder``; write the study file, return its path.

    ``data_dir``: the landscape collection the runs trained on (their test splits are cut from it again)."""
    from .evaluation import read_folder
    from .generalization import folder_hash
    from .samples import chosen
    folder = Path(folder)
    size = get_profile(STUDY_PROFILE).image_size
    arrays, names, skipped = read_folder(folder, [size])
    x, y = arrays[size]
    picks = chosen(names, PHOTOS)
    shown = {}  # "<experiment>-<profile>" -> its Y of the chosen photos (its first seed)
    models, test_gray, test_images, hashes = {}, {}, {}, {}
    for profile_name in PROFILES:
        runs_of = {name: runs for name, runs in study_runs(results_dir, profile_name).items() if runs}
        if not runs_of:
            continue
        profile = group_profile(profile_name)
        datasets = {}  # data protocol -> its dataset at this profile (the author's: its own random split)
        def data_of(experiment):
            if experiment.data_protocol not in datasets:
                datasets[experiment.data_protocol] = experiment_data(experiment, profile, data_dir, quiet=True)
            return datasets[experiment.data_protocol]
        dataset = data_of(get_experiment("polychromify"))
        hashes[profile_name], test_images[profile_name] = dataset.data_hash, len(dataset.x_test)
        test_gray[profile_name] = scores(dataset.x_test, dataset.y_test, np.zeros_like(dataset.y_test))
        for name, runs in runs_of.items():
            experiment = get_experiment(name)
            own = data_of(experiment)
            for run in runs:
                if run.config["data"]["data_hash"] != own.data_hash or run.config["image_size"] != size:
                    log(f"skipped {run.path}: trained on other photos than {data_dir}, or at another size")
                    continue
                model = load_trained(run)
                seed = run.config["profile"]["seed"]
                y_pred = predict_ab(experiment, model, x)
                shown.setdefault(f"{name}-{profile_name}", y_pred[picks])
                test = scores(own.x_test, own.y_test, predict_ab(experiment, model, own.x_test))
                models[f"{name} ({profile_name}, seed {seed})"] = {
                    "experiment": name, "run": str(run.path), "profile": profile_name, "seed": seed,
                    "parameters": int(model.count_params()),
                    "train_seconds": run.provenance.get("train_seconds_total"),
                    # another protocol's test split is other photos (the author's: duplicates of its training
                    # photos among them), so its scores there are kept apart, not set beside ours
                    **({"test": test} if own is dataset else {"test": None, "own_test": test,
                                                              "data_protocol": experiment.data_protocol}),
                    "folder": scores(x, y, y_pred)}
                log(f"scored {name} ({profile_name}, seed {seed})")
    references = {}
    run = find_run(AUTHOR_MODEL, "paper", results_dir, synthetic=False)
    if run is not None and run.config["image_size"] == size:
        y_pred = predict_ab(get_experiment(AUTHOR_MODEL), load_trained(run), x)
        shown[f"{AUTHOR_MODEL}-paper"] = y_pred[picks]
        references[AUTHOR_MODEL] = {"experiment": AUTHOR_MODEL, "run": str(run.path), "profile": "paper",
                                    "folder": scores(x, y, y_pred)}
        log("scored the author's trained model")
    photos = _store_photos(photos_dir(folder, results_dir), [names[i] for i in picks], x[picks], y[picks], shown)
    study = {"folder": str(folder), "folder_hash": folder_hash(folder, names), "images": len(names),
             "skipped": skipped, "image_size": size, "profiles": list(hashes), "data_hashes": hashes,
             "test_images": test_images, "models": models, "references": references,
             "baselines": {"gray": {"folder": scores(x, y, np.zeros_like(y)), "test": test_gray}},
             "photos": photos, "shown": list(shown),
             "pending": pending(models, results_dir)}
    return write_study(study_path(folder, results_dir), study)


def pending(models: dict, results_dir=None) -> list[str]:
    """The study's runs not yet scored: each model of ``BEYOND`` at the ablation profile, and the paper-scale
    runs the campaign plans for them (``campaign.CAMPAIGN``; the 256 px run is scored at another size, not
    here) that are not finished."""
    from .campaign import CAMPAIGN, finished
    scored = {(m["experiment"], m["profile"]) for m in models.values()}
    return ([f"{name} ({STUDY_PROFILE})" for name in BEYOND if (name, STUDY_PROFILE) not in scored]
            + [f"{entry.label} (paper)" for entry in CAMPAIGN if entry.experiment in BEYOND
               and "image_size" not in entry.overrides and finished(entry, "paper", results_dir) is None])


def load_study(folder_name: str = "scenes-dev", results_dir=None) -> dict | None:
    """The stored study of a folder (by name), or None."""
    return read_study(study_path(folder_name, results_dir))


def stored_photos(study: dict, results_dir=None) -> dict[str, np.ndarray]:
    """The study's photos: {"truth": uint8 RGB (N, S, S, 3), and each shown model's colorization}."""
    from PIL import Image
    folder = photos_dir(study["folder"], results_dir)
    out = {}
    for key in [TRUTH, *study.get("shown", [])]:
        paths = [folder / key / f"{p['key']}.jpg" for p in study.get("photos", [])]
        if paths and all(p.is_file() for p in paths):
            out[key] = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])
    return out


def _means(study: dict, name: str, profile: str, where: str) -> dict[str, float] | None:
    """The mean over seeds of a model's four measures at a profile, on the folder or its test split."""
    values = [m[where] for m in study["models"].values()
              if m["experiment"] == name and m["profile"] == profile and m.get(where) is not None]
    return {key: float(np.mean([v[key] for v in values])) for key in MEASURES} if values else None


def spreads(study: dict, name: str, profile: str, where: str = "folder") -> dict[str, float] | None:
    """How far a model's seeds at a profile are apart on each of the four measures (largest minus smallest),
    or None below two seeds."""
    values = [m[where] for m in study["models"].values()
              if m["experiment"] == name and m["profile"] == profile and m.get(where) is not None]
    if len(values) < 2:
        return None
    return {key: float(np.ptp([v[key] for v in values])) for key in MEASURES}


def verdicts(study: dict, profile: str = STUDY_PROFILE, reference: str = "polychromify") -> dict[str, dict]:
    """Each alternative against the final model at the same profile, per measure and where (``test`` /
    ``folder``): the difference of the means over seeds, signed so that > 0 means better."""
    out = {}
    base = {where: _means(study, reference, profile, where) for where in ("test", "folder")}
    if base["folder"] is None:
        return out
    for name in dict.fromkeys(m["experiment"] for m in study["models"].values() if m["profile"] == profile):
        if name == reference:
            continue
        mine = {where: _means(study, name, profile, where) for where in ("test", "folder")}
        out[name] = {f"{where}/{key}": (1 if HIGHER_IS_BETTER[key] else -1) * (mine[where][key] - base[where][key])
                     for where in ("test", "folder") if mine[where] and base[where] for key in MEASURES}
    return out


def default_candidate(study: dict, reference: str = "polychromify", margin: float = 0.01) -> tuple[str | None, str]:
    """Which model of the study should become the default colorizer, and why (one sentence): the one trained at
    the paper's profile that, on the other collection, beats the paper's final model (the mean over its seeds in
    the same arithmetic, float32 or bf16) on all four measures and the gray baseline's AuC by at least ``margin``
    (1 point); among several, the best rebalanced AuC. (None, the reason) when none does."""
    groups = [g for g in PROFILES if PROFILES[g][0] == "paper" and _means(study, reference, g, "folder")]
    if not groups:
        return None, "the paper-profile final model is not in the study, so no model can be compared with it"
    gray = study["baselines"]["gray"]["folder"]["auc"]
    winners = {}
    for group in groups:  # float32 against float32, bf16 against bf16
        paper = _means(study, reference, group, "folder")
        for name in dict.fromkeys(m["experiment"] for m in study["models"].values() if m["profile"] == group):
            mean = _means(study, name, group, "folder")
            beats = all((mean[k] > paper[k]) == HIGHER_IS_BETTER[k] and mean[k] != paper[k] for k in MEASURES)
            if name != reference and beats and mean["auc"] >= gray + margin:
                winners[name] = max(winners.get(name, -1.0), mean["auc_rebalanced"])
    if not winners:
        return None, (f"no model trained at the paper's profile beats the paper's final model on all of "
                      f"{', '.join(MEASURES.values())} and the gray baseline's AuC by {100 * margin:.0f} point on "
                      "the other collection")
    best = max(winners, key=winners.get)
    return best, (f"{best} beats the paper's final model on all of {', '.join(MEASURES.values())} and the gray "
                  f"baseline's AuC by at least {100 * margin:.0f} point on the other collection")
