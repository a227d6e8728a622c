"""Beyond the paper: what fixes the final model's pale colours? The measurements behind the book's chapter
"Beyond the paper", stored as a study in the results store.

The paper ends with two claims it does not test: the autoencoder's bottleneck does not suit colorization
(section VI.A), and MSE gives a pale blue-to-yellow gradient where Zhang et al.'s methods are more vivid
(V.C, VI). The study trains the alternatives of ``experiments.BEYOND`` on the same photos with one harness
and scores each on its own landscape test split and on photos of another collection (``scenes-dev``,
never trained on), with the measures that see vividness as well as error:

- AuC (Zhang et al. 2016, thresholds 0 to 150) and its class-rebalanced form (``metrics.rebalanced_auc``:
  every colour class counts alike, so predicting sepia everywhere no longer pays);
- ab RMSE, and the colourfulness gap (Hasler and Suesstrunk's M, |truth - prediction| per photo).

Beside them: the gray (ab = 0) baseline, our paper-profile final model and the author's trained model (on
the other collection). The runs are at the ``ablation`` profile (128 px, 800 photos, 10 epochs, the final
model's own run among them): what a 2-core CPU affords for four models, not the paper's scale.

The result is ``<results>/studies/beyond-<folder>.json``, written atomically with what it was computed from
(runs, the folder's data hash, the machine), and beside it ``beyond-<folder>/``: ``PHOTOS`` of the folder's
photos (a fixed choice, ``samples.chosen``) as 128 px thumbnails with each model's colorization, for the
chapter's figure. ``polychromify study beyond --data DIR`` recomputes both.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .color import AB_SCALE
from .experiments import BEYOND, experiment_data, get_experiment, load_trained, predict_ab
from .profiles import get_profile
from .results import find_run, read_study, seeded_runs, study_file, write_study

STUDY_PROFILE = "ablation"
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


def study_runs(results_dir=None, profile: str = STUDY_PROFILE) -> dict[str, list]:
    """Experiment of ``BEYOND`` -> its finished real-data runs at the study's profile (one per seed)."""
    return seeded_runs(BEYOND, get_profile(profile), results_dir)


def scores(L, y_true, y_pred) -> dict:
    """The study's four measures (and the rest of ``metrics.evaluate``) of a prediction in model space."""
    from . import metrics
    result = metrics.evaluate(L, y_true, y_pred)
    y_pred = np.clip(np.asarray(y_pred, np.float32), -1.0, 1.0)
    result["auc_rebalanced"] = metrics.rebalanced_auc(np.asarray(y_true) * AB_SCALE, y_pred * AB_SCALE)
    return result


def run_study(folder, results_dir=None, data_dir=None, log=print) -> Path:
    """Score every model of the study on its test split and on ``folder``; write the study file, return its path.

    ``data_dir``: the landscape collection the runs trained on (their test splits are cut from it again)."""
    from .evaluation import read_folder
    from .generalization import folder_hash
    folder = Path(folder)
    profile = get_profile(STUDY_PROFILE)
    arrays, names, skipped = read_folder(folder, [profile.image_size])
    x, y = arrays[profile.image_size]
    dataset = experiment_data(get_experiment("polychromify"), profile, data_dir, quiet=True)
    from .samples import chosen
    picks = chosen(names, PHOTOS)
    shown = {}  # model key -> its Y of the chosen photos
    models = {}
    for name, runs in study_runs(results_dir).items():
        for run in runs:
            if run.config["data"]["data_hash"] != dataset.data_hash:
                log(f"skipped {run.path}: trained on other photos than {data_dir}")
                continue
            experiment, model = get_experiment(name), load_trained(run)
            seed = run.config["profile"]["seed"]
            y_pred = predict_ab(experiment, model, x)
            if seed == min(r.config["profile"]["seed"] for r in runs):
                shown[name] = y_pred[picks]
            models[f"{name} (seed {seed})"] = {
                "experiment": name, "run": str(run.path), "profile": STUDY_PROFILE, "seed": seed,
                "parameters": int(model.count_params()),
                "train_seconds": run.provenance.get("train_seconds_total"),
                "test": scores(dataset.x_test, dataset.y_test, predict_ab(experiment, model, dataset.x_test)),
                "folder": scores(x, y, y_pred)}
            log(f"scored {name} seed {seed}")
    references = {}
    for name in ("polychromify", "author_model"):
        run = find_run(name, "paper", results_dir, synthetic=False, exact=name == "polychromify")
        if run is None or run.config["image_size"] != profile.image_size:
            continue
        y_pred = predict_ab(get_experiment(name), load_trained(run), x)
        shown[f"{name}-paper"] = y_pred[picks]
        references[name] = {"experiment": name, "run": str(run.path), "profile": "paper",
                            "folder": scores(x, y, y_pred)}
        log(f"scored {name} (paper profile)")
    gray = np.zeros_like(y)
    photos = _store_photos(photos_dir(folder, results_dir), [names[i] for i in picks], x[picks], y[picks], shown)
    study = {"folder": str(folder), "folder_hash": folder_hash(folder, names), "images": len(names),
             "skipped": skipped, "image_size": profile.image_size, "profile": STUDY_PROFILE,
             "data_hash": dataset.data_hash, "test_images": len(dataset.x_test),
             "models": models, "references": references,
             "baselines": {"gray": {"test": scores(dataset.x_test, dataset.y_test, np.zeros_like(dataset.y_test)),
                                    "folder": scores(x, y, gray)}},
             "photos": photos, "shown": list(shown),
             "pending": [name for name in BEYOND if not any(m["experiment"] == name for m in models.values())]}
    return write_study(study_path(folder, results_dir), study)


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


def verdicts(study: dict, reference: str = "polychromify") -> dict[str, dict[str, float]]:
    """Each alternative against the final model at the same (ablation) scale, per measure and where
    (``test`` / ``folder``): the difference, signed so that > 0 means better. The mean over seeds of each."""
    def mean(name, where, key):
        values = [m[where][key] for m in study["models"].values() if m["experiment"] == name]
        return float(np.mean(values)) if values else float("nan")
    out = {}
    for name in dict.fromkeys(m["experiment"] for m in study["models"].values()):
        if name == reference:
            continue
        out[name] = {f"{where}/{key}": (1 if HIGHER_IS_BETTER[key] else -1)
                     * (mean(name, where, key) - mean(reference, where, key))
                     for where in ("test", "folder") for key in MEASURES}
    return out


def default_candidate(study: dict, reference: str = "polychromify", margin: float = 0.01) -> tuple[str | None, str]:
    """Which model of the study should become the default colorizer, and why (one sentence): the one that, on the
    other collection, beats the paper's final model (its paper-profile run, ``references``) on all four measures
    and the gray baseline's AuC by at least ``margin`` (1 point); among several, the best rebalanced AuC.
    (None, the reason) when none does."""
    paper = study.get("references", {}).get(reference)
    if paper is None:
        return None, "the paper-profile final model is not in the study, so no model can be compared with it"
    gray = study["baselines"]["gray"]["folder"]["auc"]
    winners = {}
    for name in dict.fromkeys(m["experiment"] for m in study["models"].values()):
        values = [m["folder"] for m in study["models"].values() if m["experiment"] == name]
        mean = {key: float(np.mean([v[key] for v in values])) for key in MEASURES}
        beats = all((mean[k] > paper["folder"][k]) == HIGHER_IS_BETTER[k] and mean[k] != paper["folder"][k]
                    for k in MEASURES)
        if beats and mean["auc"] >= gray + margin:
            winners[name] = mean["auc_rebalanced"]
    if not winners:
        return None, (f"no model of the study beats the paper's final model on all of {', '.join(MEASURES.values())} "
                      f"and the gray baseline's AuC by {100 * margin:.0f} point on the other collection")
    best = max(winners, key=winners.get)
    return best, (f"{best} beats the paper's final model on all of {', '.join(MEASURES.values())} and the gray "
                  f"baseline's AuC by at least {100 * margin:.0f} point on the other collection")
