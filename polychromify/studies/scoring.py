"""Score models on photos: a stored run on its own val/test split, or any models on any folder of photos.

The paper measures every model on a test split of the landscape collection it trained on. How well a
model *generalizes* shows only on photos from elsewhere: ``score_folder(["author_model", "polychromify"],
"photos/scenes-dev", "paper")`` scores each model on every photo of a folder, beside the gray
(ab = 0) and the mean-ab baselines, with the same metrics (``metrics.evaluate``).

A folder's photos are not cleaned (no border cropping, no near-gray or duplicate removal, unlike
``data.load_dataset``): every image file under it (recursively; other files ignored) is read with
``images.open_image``, centre-cropped and resized to each model's input size (``images.resize_square``) and
converted with ``color.rgb_to_xy``. Files that do not decode are reported, one line each, and the rest are
still scored.

The mean-ab baseline predicts, everywhere, the mean ab of the landscape training split of the profile
(``data.load_dataset`` of ``train_data``, at the profile's image size; None: synthetic landscapes, and the
command line passes ``$POLYCHROMIFY_DATA``),
the same number a run's stored mean-ab baseline uses.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from polychromify.product import metrics
from polychromify.product.color import AB_SCALE, rgb_to_xy
from polychromify.product.images import ImageError, open_image, resize_square
from polychromify.product.trained import PRETRAINED
from polychromify.studies import photo_scores
from polychromify.training.cleaning import find_files
from polychromify.training.data import Dataset, load_dataset
from polychromify.training.experiments import get_experiment
from polychromify.training.profiles import Profile, from_stored, get_profile
from polychromify.training.resolve import load_trained, trained_model
from polychromify.training.results import (
    Run,
    find_run,
    list_runs,
    profile_name,
    run_folder,
    store_dir,
)
from polychromify.training.runner import (
    Datasets,
    evaluate_model,
    experiment_data,
    make_config,
    training_mean,
)

__all__ = ["evaluate_split", "read_folder", "score_folder", "score_run_photos", "score_runs_photos",
           "training_mean_ab", "training_split"]


# ---------------------------------------------------------------- a run on its own split

def training_split(folder, profile: Profile | str, results_dir=None) -> Dataset | None:
    """The cleaned, split data set of ``folder`` when it is a training collection of the store (its data
    hash under the profile is that of a finished run), else None."""
    profile = get_profile(profile)
    try:
        dataset = load_dataset(folder, profile, quiet=True)
    except ValueError:  # too few usable photos to split: no run trained on it
        return None
    hashes = {run.config["data"].get("data_hash") for run in list_runs(results_dir) if run.finished}
    return dataset if dataset.data_hash in hashes else None


def evaluate_split(name: str, profile: Profile | str, data_dir=None, results_dir=None,
                   dataset: Dataset | None = None) -> tuple[Run, dict]:
    """Recompute a stored run's metrics on its own val/test split: (the run, ``runner.evaluate_model``'s
    dict). The run is the one of exactly this profile and data, else the best finished one on this data;
    FileNotFoundError when there is none."""
    if name == PRETRAINED:
        raise ValueError("pretrained: the shipped model has no split of its own here; score it on another "
                         "folder (--data DIR)")
    experiment, profile = get_experiment(name), get_profile(profile)
    dataset = experiment_data(experiment, profile, data_dir, dataset)
    exact = run_folder(store_dir(results_dir), name, make_config(experiment, profile, dataset))
    run = exact if exact.finished else find_run(name, profile, results_dir, data_hash=dataset.data_hash)
    if run is None or run.config["image_size"] != dataset.image_size:
        raise FileNotFoundError(f"no finished run of {name} with profile {profile.name} on this data "
                                f"({dataset.report.source}); train it first: polychromify train {name} "
                                f"--profile {profile.name}")
    return run, evaluate_model(experiment, load_trained(run), dataset)


# ---------------------------------------------------------------- any model on any folder

def with_final_model(models, profile: Profile | str, results_dir=None) -> tuple[list[str], str | None]:
    """The models to score on a folder: those asked for, always beside our final model (its run of the
    profile), unless the shipped model stands in for it; and a note when there is no such run."""
    models, profile = list(models), get_profile(profile)
    if "polychromify" in models or PRETRAINED in models:
        return models, None
    if find_run("polychromify", profile, results_dir) is None:
        return models, f"no finished run of polychromify with profile {profile.name} to compare with"
    return models + ["polychromify"], None


def read_folder(folder, sizes) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], list[str], list[str]]:
    """Every image under ``folder`` at each of ``sizes``: ({size: (X, Y)}, names, skipped), where skipped
    holds one line per file that does not decode, naming it and the reason."""
    folder = Path(folder)
    files, _ = find_files(folder)
    sizes = sorted(set(sizes))
    rgb = {size: [] for size in sizes}
    names, skipped = [], []
    for path in files:
        try:
            photo = open_image(path)[0]
        except ImageError as err:
            skipped.append(str(err))
            continue
        names.append(path.relative_to(folder).as_posix())
        for size in sizes:
            rgb[size].append(resize_square(photo, size))
    if not names:
        raise ValueError(f"{folder}: no readable photos ({len(files)} image files, {len(skipped)} undecodable)")
    return {size: rgb_to_xy(np.stack(rgb[size])) for size in sizes}, names, skipped


def folder_hash(folder: Path, names: list[str]) -> str:
    """SHA-256 over the photos' own hashes, in ``names``' order: which photos a study scored."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(hashlib.sha256((folder / name).read_bytes()).digest())
    return digest.hexdigest()


def training_mean_ab(profile: Profile | str, data_dir=None) -> tuple[np.ndarray, str]:
    """The per-channel mean of Y (ab / AB_SCALE) over the profile's landscape training split, and that
    collection's source."""
    dataset = load_dataset(data_dir, profile, quiet=True)
    return dataset.y_train.reshape(-1, 2).mean(axis=0, dtype=np.float64), dataset.report.source


def score_folder(models, folder, profile: Profile | str = "paper", results_dir=None, train_data=None,
                 batch_size: int = 32) -> dict:
    """Score models (names for ``resolve.trained_model``) on every photo of ``folder`` beside the gray and mean-ab
    baselines, all with ``metrics.evaluate``; the baselines at the profile's image size, each model at its own.

    Returns a JSON-able dict: folder, profile, images (scored), names, skipped (one line per undecodable file),
    mean_ab (a, b in Lab units) with mean_ab_source (``train_data``; None: synthetic landscapes), and
    rows: {name: {"source", "image_size", "metrics"}} for each model, then "gray" and "mean_ab".
    """
    profile = get_profile(profile)
    scored = {name: trained_model(name, profile, results_dir) for name in models}
    arrays, names, skipped = read_folder(folder, [profile.image_size] + [s.image_size for s in scored.values()])
    mean_y, mean_source = training_mean_ab(profile, train_data)
    rows = {}
    for name, s in scored.items():
        x, y = arrays[s.image_size]
        rows[name] = {"source": s.source, "image_size": s.image_size,
                      "metrics": metrics.evaluate(x, y, s.predict_ab(x, batch_size))}
    x, y = arrays[profile.image_size]
    sources = {"gray": "ab = 0", "mean_ab": f"mean ab of the training split of {mean_source}"}
    for name, prediction in metrics.baselines(y, mean_y).items():
        rows[name] = {"source": sources[name], "image_size": profile.image_size,
                      "metrics": metrics.evaluate(x, y, prediction)}
    return {"folder": str(folder), "profile": profile.name, "images": len(names), "names": names,
            "skipped": skipped, "mean_ab": [float(v) * AB_SCALE for v in mean_y], "mean_ab_source": mean_source,
            "rows": rows}


# ---------------------------------------------------------------- per-photo evidence of every run

def score_run_photos(run: Run, dataset: Dataset, folders: dict[str, dict], cache: dict | None = None) -> Path:
    """Write a finished run's per-photo scores (``photo_scores``): its test split and each of ``folders``
    ({set name: {size: (X, Y)}, "names": [...]}), for the model, the gray and the mean-ab baselines."""
    trained = load_trained(run)
    size = int(run.config["image_size"])
    mean_y = training_mean(get_experiment(run.experiment), dataset)
    rows = []
    for set_name, (names, x, y) in {photo_scores.TEST: (dataset.names["test"], dataset.x_test, dataset.y_test),
                                    **{k: (v["names"], *v[size]) for k, v in folders.items()}}.items():
        predictions = {"model": trained.predict_ab(x), **metrics.baselines(y, mean_y)}
        rows += photo_scores.rows_of(set_name, list(names), x, y, predictions, cache)
    target = run.path / photo_scores.PHOTO_SCORES
    photo_scores.write_photo_scores(target, rows)
    return target


def score_runs_photos(data_dir, folders, profiles=("paper", "ablation"), results_dir=None, redo=False,
                      log=print, reverse: bool = False) -> list[Path]:
    """``score_run_photos`` for every finished run of ``profiles`` whose weights are here and whose photos
    (``data_dir``) are at hand; one line per run."""
    import keras  # its session cleared between runs
    sizes = sorted({int(run.config["image_size"]) for run in list_runs(results_dir) if run.finished})
    others = {}
    for folder in folders:
        arrays, names, skipped = read_folder(folder, sizes)
        others[Path(folder).name] = {"names": names, **arrays}
        for line in skipped:
            log(line)
    datasets, done, cache = Datasets(data_dir), [], {}
    for run in (reversed if reverse else list)(list_runs(results_dir)):
        if not run.finished or profile_name(run) not in profiles or not run.weights.is_file():
            continue
        if (run.path / photo_scores.PHOTO_SCORES).is_file() and not redo:
            continue
        profile = from_stored(run.config["profile"])
        dataset = datasets.get(get_experiment(run.experiment), profile)
        if dataset.data_hash != run.config["data"]["data_hash"]:
            log(f"skipped {run.path}: the photos at hand are not those it trained on")
            continue
        t = time.perf_counter()
        done.append(score_run_photos(run, dataset, others, cache))
        keras.backend.clear_session()
        log(f"scored  {run.experiment}/{run.path.name} in {time.perf_counter() - t:.0f} s")
    return done
