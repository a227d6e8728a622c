"""Running an experiment: its settings and data under a profile, its config (whose hash names its run), the
fit under the run's lock, the metrics it records, and the one policy for what a notebook shows (``obtain``).

``run_experiment("polychromify", "quick")`` trains the final model with the quick profile, or loads it when
the store already holds a finished run with the same config and data, resuming an unfinished one.
"""
from __future__ import annotations

import copy
import hashlib
import json
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from polychromify.product import metrics
from polychromify.product.author_model import load_author_model, weights_source
from polychromify.product.files import exclusive
from polychromify.product.models import MODEL_REVISIONS
from polychromify.product.trained import TrainedModel
from polychromify.training import samples
from polychromify.training.data import Dataset, load_author_protocol, load_dataset
from polychromify.training.experiments import (
    _LATER_FIELDS,
    CONFIG_FIELDS,
    Experiment,
    get_experiment,
)
from polychromify.training.fit import (
    best_epoch,
    compile_model,
    fit,
    save_model_weights,
    training_done,
)
from polychromify.training.profiles import Profile, get_profile
from polychromify.training.provenance import environment
from polychromify.training.resolve import build_for
from polychromify.training.results import (
    FINISHED,
    Run,
    find_run,
    run_folder,
    store_dir,
    write_json,
)
from polychromify.training.settings import cache_dir as configured_cache


def settings(experiment: Experiment, profile: Profile) -> dict:
    """The effective image size, epochs and batch size of an experiment under a profile."""
    eccv = experiment.large
    return {
        "image_size": (profile.eccv16_image_size or profile.image_size) if eccv else profile.image_size,
        "epochs": 0 if not experiment.trained else
                  (profile.eccv16_epochs or profile.epochs) if eccv else profile.epochs * experiment.epoch_factor,
        "batch_size": experiment.batch_size or profile.batch_size,
    }


def experiment_data(experiment: Experiment, profile: Profile, data_dir=None, dataset: Dataset | None = None,
                    quiet: bool = False, cache_dir=None) -> Dataset:
    """The data set an experiment trains on (at its image size); ``data_dir`` None: synthetic landscapes."""
    size = settings(experiment, profile)["image_size"]
    if experiment.data_protocol == "author":
        return load_author_protocol(data_dir, profile.replace(image_size=size), cache_dir, quiet=quiet)
    if dataset is not None and dataset.image_size == size and dataset.protocol == "ours":
        return dataset
    return load_dataset(data_dir, profile.replace(image_size=size), cache_dir, quiet=quiet)


def _limit(x: np.ndarray, n: int | None) -> np.ndarray:
    return x if n is None else x[:n]


def make_config(experiment: Experiment, profile: Profile, dataset: Dataset) -> dict:
    """Everything that shapes a run; its hash names the run's folder."""
    described = {k: getattr(experiment, k) for k in CONFIG_FIELDS
                 if _LATER_FIELDS.get(k, object()) != getattr(experiment, k)}
    config = {"experiment": described, "profile": profile.to_dict(), **settings(experiment, profile),
              "data": dataset.provenance()}
    if experiment.model in MODEL_REVISIONS:
        config["model_revision"] = MODEL_REVISIONS[experiment.model]
    return config


def checkpoint_dir(experiment: Experiment, run: Run, cache_dir=None) -> Path:
    """Where a run's checkpoint lives: in its folder of the store, or (``checkpoint_in_cache``) in the cache
    (``cache_dir``, else ``settings.cache_dir()``)."""
    if not experiment.checkpoint_in_cache:
        return run.checkpoint_dir
    return Path(cache_dir or configured_cache()) / "checkpoints" / run.experiment / run.path.name


def compile_for(experiment: Experiment, model, y_train=None, learning_rate: float = 1e-3):
    """Compile a built model: Adam and the experiment's loss on ab, or for class outputs Zhang's rebalanced
    cross-entropy (its class prior fitted on ``y_train``)."""
    if experiment.output == "classes":
        from polychromify.training.zhang_loss import (
            compile_eccv16,  # defines Keras classes: loaded when used
        )
        return compile_eccv16(model, y_train, learning_rate)
    return compile_model(model, learning_rate, loss=experiment.loss)


def build(experiment: Experiment, image_size: int, precision: str = "float32", y_train=None,
          learning_rate: float = 1e-3, bn_momentum: float | None = None):
    """The compiled model of an experiment (``compile_for``)."""
    return compile_for(experiment, build_for(experiment.name, image_size, precision, bn_momentum), y_train,
                       learning_rate)


def training_mean(experiment: Experiment, dataset: Dataset) -> np.ndarray:
    """The mean ab (model space) of the photos the experiment trains on: the mean-ab baseline's prediction."""
    return _limit(dataset.y_train, experiment.train_limit).reshape(-1, 2).mean(axis=0)


def evaluate_predictions(trained: TrainedModel, dataset: Dataset) -> dict:
    """The model's metrics on val and test (with the seconds each took): {"val": {...}, "test": {...}}."""
    out = {}
    for split in ("val", "test"):
        x, y = dataset.x[split], dataset.y[split]
        t = time.perf_counter()
        out[split] = metrics.evaluate(x, y, trained.predict_ab(x))
        out[split]["seconds"] = time.perf_counter() - t
    return out


_BASELINES: dict[str, dict] = {}  # evaluate_baselines' results in this process, by what they depend on


def _baselines_key(experiment: Experiment, dataset: Dataset) -> str:
    """What the baselines depend on: the data, its split (names per split) and the training photos' limit."""
    described = {"data": dataset.provenance(), "names": {k: list(v) for k, v in dataset.names.items()},
                 "train_limit": experiment.train_limit}
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def evaluate_baselines(experiment: Experiment, dataset: Dataset) -> dict:
    """The gray (ab = 0) and mean-ab (mean of the photos the experiment trained on) baselines' metrics on val
    and test: {"gray": {split: ...}, "mean_ab": {split: ...}}. They depend on the data, not on a model, so a
    process computes them once per data set, split and training limit (a campaign trains many runs on one)."""
    key = None if dataset.synthetic else _baselines_key(experiment, dataset)
    if key in _BASELINES:
        return copy.deepcopy(_BASELINES[key])
    mean = training_mean(experiment, dataset)
    out = {"gray": {}, "mean_ab": {}}
    for split in ("val", "test"):
        x, y = dataset.x[split], dataset.y[split]
        for name, prediction in metrics.baselines(y, mean).items():
            out[name][split] = metrics.evaluate(x, y, prediction)
    if key is not None:
        _BASELINES[key] = copy.deepcopy(out)
    return out


def evaluate_model(experiment: Experiment, trained: TrainedModel, dataset: Dataset) -> dict:
    """Metrics on val and test, beside the gray (ab = 0) and the mean-ab baselines (as ``metrics.json`` holds
    them)."""
    return {"model": evaluate_predictions(trained, dataset), **evaluate_baselines(experiment, dataset)}


def store_samples(trained: TrainedModel, run: Run, profile: Profile, dataset: Dataset) -> bool:
    """Store the run's colorizations of the book's dozen test photos (``polychromify.training.samples``) when it trained
    on its profile's own split; whether it did."""
    if not samples.on_own_split(profile, dataset):
        return False
    samples.write_samples(run, trained.predict_ab, dataset)
    return True


def run_experiment(name: str, profile: Profile | str = "quick", data_dir=None, results_dir=None,
                   dataset: Dataset | None = None, retrain: bool = False, verbose: int | str = "auto",
                   max_epochs_this_call: int | None = None, cache_dir=None, **overrides) -> Run:
    """Train (or load, or resume) one experiment and record it in the results store; returns its Run.

    ``data_dir`` None: synthetic landscapes. ``results_dir`` / ``cache_dir`` None: ``settings``' folders.

    ``overrides`` change profile fields for this run (epochs=3, image_size=64, precision=...).
    With ``max_epochs_this_call`` the run may stop unfinished (its checkpoint stays); call again to go on.
    The author's model is not trained: ``adopt_author_model`` stores his weights and evaluates them.
    """
    experiment = get_experiment(name)
    profile = get_profile(profile, **overrides)
    dataset = experiment_data(experiment, profile, data_dir, dataset, cache_dir=cache_dir)
    config = make_config(experiment, profile, dataset)
    run = run_folder(store_dir(results_dir), name, config)
    if run.finished and not retrain:
        return run
    # One process per run: a second one says who is training it (``errors.Busy``) instead of colliding.
    with exclusive(run.path.parent / f".{run.path.name}.lock", f"{run.path}: training"):
        if run.finished and not retrain:  # finished by the process that held the lock
            return run
        return _train(experiment, profile, dataset, config, run, retrain, verbose, max_epochs_this_call, cache_dir)


def _train(experiment: Experiment, profile: Profile, dataset: Dataset, config: dict, run: Run, retrain: bool,
           verbose, max_epochs_this_call: int | None, cache_dir) -> Run:
    """``run_experiment``'s work, under the run's lock."""
    import keras  # the optional heavy dependency of training
    checkpoints = checkpoint_dir(experiment, run, cache_dir)
    if retrain and run.path.exists():
        (run.path / FINISHED).unlink(missing_ok=True)
        shutil.rmtree(checkpoints, ignore_errors=True)
    write_json(run.path / "config.json", config)
    if not experiment.trained:
        return adopt_author_model(experiment, profile, dataset, run)

    started = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    s = settings(experiment, profile)
    keras.utils.set_random_seed(profile.seed)
    x_train, y_train = _limit(dataset.x_train, experiment.train_limit), _limit(dataset.y_train, experiment.train_limit)
    x_val, y_val = _limit(dataset.x_val, experiment.val_limit), _limit(dataset.y_val, experiment.val_limit)
    model = build(experiment, s["image_size"], profile.precision, y_train, profile.learning_rate,
                  profile.bn_momentum)
    t = time.perf_counter()
    segments = []
    history = fit(model, x_train, y_train, x_val, y_val, epochs=s["epochs"], batch_size=s["batch_size"],
                  seed=profile.seed, checkpoint_dir=checkpoints, verbose=verbose,
                  max_epochs_this_call=max_epochs_this_call, segments=segments, augment=experiment.augment,
                  segment={**environment(), "started_at": started}, patience=experiment.patience)
    train_seconds = time.perf_counter() - t
    if not training_done(history, s["epochs"], experiment.patience):
        return run  # stopped on purpose before its end (max_epochs_this_call); the checkpoint resumes it
    save_model_weights(model, run.weights, lambda: build_for(experiment.name, s["image_size"], profile.precision))
    trained = TrainedModel(model, experiment.model, experiment.name, f"{run.experiment}/{run.path.name}")
    write_json(run.path / "history.json", history)
    t = time.perf_counter()
    write_json(run.path / "metrics.json", evaluate_model(experiment, trained, dataset))
    store_samples(trained, run, profile, dataset)
    eval_seconds = time.perf_counter() - t
    kept = {"epochs_trained": len(history["loss"]), "best_epoch": best_epoch(history)} if experiment.patience else {}
    _write_finished(run, dataset, profile, model, len(x_train), len(x_val), started, segments=segments, **kept,
                    timings={
        "train_seconds_this_session": train_seconds, "train_seconds_total": float(sum(history.get("seconds", []))),
        "seconds_per_epoch": history.get("seconds", []), "evaluate_seconds": eval_seconds})
    shutil.rmtree(checkpoints, ignore_errors=True)
    return run


def _write_finished(run: Run, dataset: Dataset, profile: Profile, model, train_images: int, val_images: int,
                    started: str, timings: dict, segments: list, **extra) -> None:
    """Write the run's provenance, last: from now on the run is finished."""
    write_json(run.path / FINISHED, {
        **environment(), "data": dataset.provenance(), "profile": profile.name, "precision": profile.precision,
        "params": int(model.count_params()), "train_images": int(train_images), "val_images": int(val_images),
        "timings": timings, "segments": segments, **extra,
        "started_at": started, "finished_at": datetime.now(timezone.utc).isoformat(timespec="microseconds")})


def adopt_author_model(experiment: Experiment, profile: Profile, dataset: Dataset, run: Run) -> Run:
    """Finish the run of the author's trained model without training: his weights (the converted copy shipped
    in the package, ``author_model.load_author_model``) at the profile's image size, saved as the run's
    weights and evaluated on our val/test split like every run. Its history is empty and its provenance names
    his repository and commit, the SHA-256 of the weights and the licence."""
    started = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    size = settings(experiment, profile)["image_size"]
    model = load_author_model(size)
    save_model_weights(model, run.weights, lambda: build_for(experiment.name, size))
    trained = TrainedModel(model, experiment.model, experiment.name, weights_source()["weights"])
    write_json(run.path / "history.json", {k: [] for k in ("loss", "accuracy", "val_loss", "val_accuracy",
                                                            "seconds")})
    t = time.perf_counter()
    write_json(run.path / "metrics.json", evaluate_model(experiment, trained, dataset))
    store_samples(trained, run, profile, dataset)
    _write_finished(run, dataset, profile, model, 0, 0, started, segments=[], weights=weights_source(),
                    timings={"train_seconds_this_session": 0.0, "train_seconds_total": 0.0,
                             "seconds_per_epoch": [], "evaluate_seconds": time.perf_counter() - t})
    return run


def obtain(name: str, profile: Profile, data_dir=None, results_dir=None, dataset: Dataset | None = None,
           cache_dir=None, exact: bool = False, train: bool = True) -> Run | None:
    """The one policy for the run a notebook shows: stored if possible, trained if not (``profile`` resolved
    once, at the notebook's edge; ``exact``: the profile was changed there, so only a run of exactly its
    settings qualifies).

    - ``train`` False: a finished real-data run of the experiment and profile in the store, or None.
    - Without real data (``data_dir`` None): that stored run, so the book builds from the committed store on a
      machine without the photos; only when there is none is the experiment trained on synthetic data.
    - With real data and the profile unchanged: a stored run on the same photos (the same data hash, however
      the folder was reached: the store records a collection by name and content hash, never by path); else,
      and with a changed profile, ``run_experiment``: the run of exactly this config and data, loaded or
      trained.
    """
    if not train or data_dir is None:
        stored = find_run(name, profile, results_dir, synthetic=False, exact=exact)
        if stored is not None or not train:
            return stored
    elif not exact:
        data = experiment_data(get_experiment(name), profile, data_dir, dataset, quiet=True, cache_dir=cache_dir)
        stored = find_run(name, profile, results_dir, data_hash=data.data_hash)
        if stored is not None:
            return stored
        dataset = data
    return run_experiment(name, profile, data_dir, results_dir, dataset=dataset, cache_dir=cache_dir)


class Datasets:
    """Data sets loaded once for all the runs that share them (their baselines' metrics are computed once per
    data, split and training limit by ``runner.evaluate_baselines`` itself)."""

    def __init__(self, data_dir):
        self.data_dir, self.loaded = data_dir, {}

    def get(self, experiment, profile):
        key = json.dumps([experiment.data_protocol, settings(experiment, profile)["image_size"], profile.seed,
                          profile.max_images, list(profile.split), profile.cleaning.__dict__], sort_keys=True)
        if key not in self.loaded:
            self.loaded[key] = experiment_data(experiment, profile, self.data_dir, quiet=True)
        return self.loaded[key]
