"""The paper's experiments: which model, on which data, with which settings; run through the results store.

``run_experiment("polychromify", "quick")`` trains the final model with the quick profile, or loads it
when the store already holds a finished run with the same config and data, resuming an unfinished one.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .data import Dataset, load_dataset
from .files import exclusive
from .profiles import AUGMENTATIONS, LOSSES, Profile, get_profile
from .results import FINISHED, Run, environment, run_folder, store_dir, write_json


@dataclass(frozen=True)
class Experiment:
    """One model of the paper (or beyond it): what shapes its runs, and how it is trained, read and shown.

    The fields down to ``data_protocol`` shape a run and enter its config (``CONFIG_FIELDS``); the others
    say how to handle the model and change no stored run: no other module tests an experiment's name.
    """

    name: str
    model: str           # a key of models.BUILDERS
    section: str         # where the paper reports it
    title: str
    train_limit: int | None = None   # cap on training photos (the paper's model selection: 800)
    val_limit: int | None = None     # cap on validation photos (the paper's model selection: 200)
    batch_size: int | None = None    # None: the profile's
    data_protocol: str = "ours"      # "ours" (cleaned, content-hash split) or "author" (data.load_author_protocol)
    loss: str = "mse"                # "mse" (the paper's) or "mae" (L1: the per-pixel median instead of the mean)
    augment: str = "none"            # "none" (the paper's) or "flip": each training photo mirrored with p = 1/2
    # A longer schedule with the validation curve deciding (beyond the paper): up to ``epoch_factor`` times the
    # profile's epochs, stopped once the validation loss has not improved for ``patience`` epochs, ending with
    # the best validation epoch's weights (``training.fit``). The paper's: the profile's epochs, the last weights.
    epoch_factor: int = 1
    patience: int | None = None
    # -- how to handle it (not in the config)
    label: str = ""                  # short name in tables and legends
    colour: str = "k"                # its colour in every figure
    output: str = "ab"               # "ab": model-space Y; "classes": Zhang's 313 bins (decoded by annealed mean)
    trained: bool = True             # False: the author's own weights, adopted, not trained
    # Checkpoints too big for the repository (ECCV16: 32M parameters with Adam's two moments, about 390 MB;
    # AE v3: 5.5M, 66 MB) wait in the cache (``cache_dir``, by default ``settings.cache_dir()``) until the run
    # finishes, so such a run resumes only on the same machine.
    checkpoint_in_cache: bool = False
    # Hours per run on a 2-core CPU (the ECCV16s): the profile's eccv16_image_size / eccv16_epochs apply,
    # and the campaign trains it only in a sitting of its own.
    large: bool = False

    def __post_init__(self):
        for field_name, value, allowed in (("loss", self.loss, LOSSES), ("augment", self.augment, AUGMENTATIONS)):
            if value not in allowed:
                raise ValueError(f"experiment {self.name}: {field_name} must be one of {', '.join(allowed)}, "
                                 f"not {value!r}")
        from .profiles import _check
        _check(f"experiment {self.name}", "epoch_factor", self.epoch_factor, low=1, integer=True)
        _check(f"experiment {self.name}", "patience", self.patience, low=1, integer=True, optional=True)

    def compile(self, model, y_train=None, learning_rate: float = 1e-3):
        """Compile a built model: Adam and MSE on ab, or for ``classes`` Zhang's rebalanced cross-entropy
        (its class prior fitted on ``y_train``)."""
        if self.output == "classes":
            from . import eccv16
            return eccv16.compile_eccv16(model, y_train, learning_rate)
        from .training import compile_model
        return compile_model(model, learning_rate, loss=self.loss)

    def decode(self, out) -> np.ndarray:
        """The model's raw output as model-space Y (float32)."""
        if self.output == "classes":
            from . import eccv16
            out = eccv16.decode_ab(out)
        return np.asarray(out, dtype=np.float32)


# The fields that enter a run's config, in order. Fields added after runs were stored enter it only when not
# at their default (``_LATER_FIELDS``), so the runs stored before them keep their fingerprints.
CONFIG_FIELDS = ("name", "model", "section", "title", "train_limit", "val_limit", "batch_size", "data_protocol",
                 "loss", "augment", "epoch_factor", "patience")
_LATER_FIELDS = {"data_protocol": "ours", "loss": "mse", "augment": "none", "epoch_factor": 1, "patience": None}


# Section V.A compared the variants on 800 training / 200 validation photos with batch 16 (the author's
# notebook); tuning and the final comparison use the whole split with batch 32.
_SELECTION = dict(train_limit=800, val_limit=200, batch_size=16)
_ECCV16 = dict(checkpoint_in_cache=True, large=True)

EXPERIMENTS = {e.name: e for e in [
    Experiment("ae_v0", "ae_v0", "V.A", "AE v0: dense autoencoder", **_SELECTION, label="AE v0", colour="#9e9e9e"),
    Experiment("ae_v1", "ae_v1", "V.A", "AE v1: convolutional autoencoder", **_SELECTION, label="AE v1",
               colour="#8c6d31"),
    Experiment("ae_v2", "ae_v2", "V.A", "AE v2: convolutional + dense middle", **_SELECTION, label="AE v2",
               colour="#2ca02c"),
    Experiment("ae_v3", "ae_v3", "V.A", "AE v3: deep convolutional, strides + upsampling", **_SELECTION,
               label="AE v3", colour="#9467bd", checkpoint_in_cache=True),
    Experiment("cnn_selection", "cnn", "V.A", "CNN baseline", **_SELECTION, label="CNN", colour="#d62728"),
    Experiment("polychromify_v1", "polychromify_v1", "V.B, Table 1", "PolyChromify v1", label="PolyChromify v1",
               colour="#17becf"),
    Experiment("polychromify_v2", "polychromify_v2", "V.B, Table 1", "PolyChromify v2", label="PolyChromify v2",
               colour="#bcbd22"),
    Experiment("polychromify", "polychromify", "IV, Table 1 v3, Table 2", "PolyChromify (final, v3)",
               label="PolyChromify", colour="#ff7f0e"),
    Experiment("polychromify_v4", "polychromify_v4", "V.B, Table 1", "PolyChromify v4", label="PolyChromify v4",
               colour="#e377c2"),
    Experiment("polychromify_v5", "polychromify_v5", "V.B, Table 1", "PolyChromify v5", label="PolyChromify v5",
               colour="#7f7f7f"),
    Experiment("cnn", "cnn", "V.C, Table 2", "CNN baseline", label="CNN", colour="#d62728"),
    Experiment("eccv16", "eccv16", "V.C, Table 2", "ECCV16, the author's Keras translation (MSE)",
               label="ECCV16", colour="#1f77b4", **_ECCV16),
    Experiment("eccv16_zhang", "eccv16_zhang", "beyond the paper",
               "ECCV16 with Zhang et al.'s recipe (313 classes, rebalancing, annealed mean)",
               label="ECCV16, Zhang's recipe (beyond the paper)", colour="#08306b", output="classes", **_ECCV16),
    Experiment("polychromify_author_data", "polychromify", "beyond the paper",
               "PolyChromify (final) under the author's data protocol", data_protocol="author",
               label="PolyChromify, the author's data protocol", colour="#8c564b"),
    Experiment("polychromify_conv_output", "polychromify_conv_output", "beyond the paper",
               "PolyChromify (final) with the author's Conv2D(2, 3x3) output",
               label="PolyChromify, the author's Conv2D output", colour="#c49c94"),
    Experiment("polychromify_conv_output_author_data", "polychromify_conv_output", "beyond the paper",
               "The author's recipe: his Conv2D output and his data protocol", data_protocol="author",
               label="the author's recipe (his output and data protocol)", colour="#e7969c"),
    Experiment("polychromify_unet", "polychromify_unet", "beyond the paper",
               "PolyChromify as a U-Net (skip connections instead of the bottleneck, 341k parameters)",
               label="PolyChromify U-Net", colour="#2ca02c"),
    Experiment("polychromify_unet_author_data", "polychromify_unet", "beyond the paper",
               "PolyChromify U-Net under the author's data protocol", data_protocol="author",
               label="PolyChromify U-Net, the author's data protocol", colour="#98df8a"),
    Experiment("polychromify_unet_large", "polychromify_unet_large", "beyond the paper",
               "PolyChromify as a larger U-Net (1.2M parameters)", label="PolyChromify U-Net, large",
               colour="#006d2c"),
    Experiment("polychromify_unet_large_author_data", "polychromify_unet_large", "beyond the paper",
               "The larger U-Net under the author's data protocol", data_protocol="author",
               label="PolyChromify U-Net, large, the author's data protocol", colour="#74c476"),
    Experiment("polychromify_unet_large_author_data_long", "polychromify_unet_large", "beyond the paper",
               "The larger U-Net under the author's data protocol, trained up to twice as long with the validation "
               "curve deciding", data_protocol="author", epoch_factor=2, patience=10,
               label="PolyChromify U-Net, large, the author's data protocol, longer schedule", colour="#00441b"),
    Experiment("polychromify_classes", "polychromify_classes", "beyond the paper",
               "PolyChromify with Zhang's classification loss (313 classes, rebalancing, annealed mean)",
               label="PolyChromify, classification loss", colour="#17becf", output="classes"),
    Experiment("polychromify_l1", "polychromify", "beyond the paper",
               "PolyChromify (final) trained with the L1 loss (mean absolute error) instead of MSE", loss="mae",
               label="PolyChromify, L1 loss", colour="#d95f02"),
    Experiment("polychromify_flip", "polychromify", "beyond the paper",
               "PolyChromify (final) trained on randomly mirrored photos (horizontal flips)", augment="flip",
               label="PolyChromify, flips", colour="#7570b3"),
    Experiment("polychromify_unet_large_flip", "polychromify_unet_large", "beyond the paper",
               "The larger U-Net trained on randomly mirrored photos", augment="flip",
               label="PolyChromify U-Net, large, flips", colour="#e7298a"),
    Experiment("author_model", "author_model", "V.C (the author's trained final model)",
               "PolyChromify as the author trained it (his weights)", label="PolyChromify, the author's weights",
               colour="#000000", trained=False),
]}
# The model that is not trained: its weights are the author's own (``polychromify.author_model``).
AUTHOR_MODEL = "author_model"
# Why our final model generalizes worse than the author's trained one (book: "Our model and the author's"):
# one factor at a time, then both (his recipe retrained by us).
GENERALIZATION = ["polychromify", "polychromify_conv_output", "polychromify_author_data",
                  "polychromify_conv_output_author_data"]
# Beyond the paper (book: "Beyond the paper"): what fixes the pale colours, against the final model.
BEYOND = ["polychromify", "polychromify_unet", "polychromify_unet_large", "polychromify_classes", "polychromify_l1",
          "polychromify_flip", "polychromify_unet_large_flip", "polychromify_unet_author_data",
          "polychromify_unet_large_author_data", "polychromify_unet_large_author_data_long"]
SELECTION = ["ae_v0", "ae_v1", "ae_v2", "ae_v3", "cnn_selection"]
TUNING = ["polychromify_v1", "polychromify_v2", "polychromify", "polychromify_v4", "polychromify_v5"]
COMPARISON = ["cnn", "eccv16", "polychromify"]
LABELS = {name: e.label for name, e in EXPERIMENTS.items()}    # experiment -> short name
PALETTE = {name: e.colour for name, e in EXPERIMENTS.items()}  # experiment -> colour


def precision_study(profile: Profile) -> dict[str, dict]:
    """The runs of the final model that measure what training in mixed_bfloat16 costs, as profile changes by
    label: float32; float32 with the other seeds of ``profiles.SEEDS`` (how far a seed alone moves the scores);
    mixed_bfloat16 with the profile's seed."""
    from .profiles import SEEDS
    return {"float32": {"precision": "float32"},
            **{f"float32, seed {s}": {"precision": "float32", "seed": s} for s in SEEDS if s != profile.seed},
            "mixed_bfloat16": {"precision": "mixed_bfloat16"}}


def get_experiment(name: str) -> Experiment:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}") from None


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
        from .data import load_author_protocol
        return load_author_protocol(data_dir, profile.replace(image_size=size), cache_dir, quiet=quiet)
    if dataset is not None and dataset.image_size == size and dataset.protocol == "ours":
        return dataset
    return load_dataset(data_dir, profile.replace(image_size=size), cache_dir, quiet=quiet)


def _limit(x: np.ndarray, n: int | None) -> np.ndarray:
    return x if n is None else x[:n]


def make_config(experiment: Experiment, profile: Profile, dataset: Dataset) -> dict:
    """Everything that shapes a run; its hash names the run's folder."""
    from .models import MODEL_REVISIONS
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
    from .settings import cache_dir as configured
    return Path(cache_dir or configured()) / "checkpoints" / run.experiment / run.path.name


def _build_model(experiment: Experiment, image_size: int, precision: str = "float32",
                 bn_momentum: float | None = None):
    """The uncompiled model of an experiment under a precision policy."""
    from .models import build_model
    from .training import precision_policy
    with precision_policy(precision):
        return build_model(experiment.model, image_size, bn_momentum)


def build(experiment: Experiment, image_size: int, precision: str = "float32", y_train=None,
          learning_rate: float = 1e-3, bn_momentum: float | None = None):
    """The compiled model of an experiment (``Experiment.compile``)."""
    return experiment.compile(_build_model(experiment, image_size, precision, bn_momentum), y_train, learning_rate)


def predict_ab(experiment: Experiment, model, x: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Model-space Y predicted for L images (``Experiment.decode``: class scores by annealed mean)."""
    from .training import predict
    return experiment.decode(predict(model, x, batch_size))


def evaluate_predictions(experiment: Experiment, model, dataset: Dataset) -> dict:
    """The model's metrics on val and test (with the seconds each took): {"val": {...}, "test": {...}}."""
    from . import metrics
    out = {}
    for split in ("val", "test"):
        x, y = dataset.x[split], dataset.y[split]
        t = time.perf_counter()
        out[split] = metrics.evaluate(x, y, predict_ab(experiment, model, x))
        out[split]["seconds"] = time.perf_counter() - t
    return out


_BASELINES: dict[str, dict] = {}  # evaluate_baselines' results in this process, by what they depend on


def _baselines_key(experiment: Experiment, dataset: Dataset) -> str:
    """What the baselines depend on: the data, its split (names per split) and the training photos' limit."""
    import hashlib
    import json
    described = {"data": dataset.provenance(), "names": {k: list(v) for k, v in dataset.names.items()},
                 "train_limit": experiment.train_limit}
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def evaluate_baselines(experiment: Experiment, dataset: Dataset) -> dict:
    """The gray (ab = 0) and mean-ab (mean of the photos the experiment trained on) baselines' metrics on val
    and test: {"gray": {split: ...}, "mean_ab": {split: ...}}. They depend on the data, not on a model, so a
    process computes them once per data set, split and training limit (a campaign trains many runs on one)."""
    import copy

    from . import metrics
    key = None if dataset.synthetic else _baselines_key(experiment, dataset)
    if key in _BASELINES:
        return copy.deepcopy(_BASELINES[key])
    mean_ab = _limit(dataset.y_train, experiment.train_limit).reshape(-1, 2).mean(axis=0)
    out = {"gray": {}, "mean_ab": {}}
    for split in ("val", "test"):
        x, y = dataset.x[split], dataset.y[split]
        out["gray"][split] = metrics.evaluate(x, y, metrics.gray_baseline(y))
        out["mean_ab"][split] = metrics.evaluate(x, y, np.broadcast_to(mean_ab, y.shape).astype(np.float32))
    if key is not None:
        _BASELINES[key] = copy.deepcopy(out)
    return out


def evaluate_model(experiment: Experiment, model, dataset: Dataset) -> dict:
    """Metrics on val and test, beside the gray (ab = 0) and the mean-ab baselines (as ``metrics.json`` holds
    them)."""
    return {"model": evaluate_predictions(experiment, model, dataset), **evaluate_baselines(experiment, dataset)}


def store_samples(experiment: Experiment, run: Run, model, profile: Profile, dataset: Dataset) -> bool:
    """Store the run's colorizations of the book's dozen test photos (``polychromify.samples``) when it trained
    on its profile's own split; whether it did."""
    from . import samples
    if not samples.on_own_split(profile, dataset):
        return False
    samples.write_samples(run, lambda x: predict_ab(experiment, model, x), dataset)
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
    import keras

    from .training import best_epoch, fit, save_model_weights, training_done
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
    save_model_weights(model, run.weights, lambda: _build_model(experiment, s["image_size"], profile.precision))
    write_json(run.path / "history.json", history)
    t = time.perf_counter()
    write_json(run.path / "metrics.json", evaluate_model(experiment, model, dataset))
    store_samples(experiment, run, model, profile, dataset)
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
    from .author_model import load_author_model, weights_source
    from .training import save_model_weights
    started = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    size = settings(experiment, profile)["image_size"]
    model = load_author_model(size)
    save_model_weights(model, run.weights, lambda: _build_model(experiment, size))
    write_json(run.path / "history.json", {k: [] for k in ("loss", "accuracy", "val_loss", "val_accuracy",
                                                            "seconds")})
    t = time.perf_counter()
    write_json(run.path / "metrics.json", evaluate_model(experiment, model, dataset))
    store_samples(experiment, run, model, profile, dataset)
    _write_finished(run, dataset, profile, model, 0, 0, started, segments=[], weights=weights_source(),
                    timings={"train_seconds_this_session": 0.0, "train_seconds_total": 0.0,
                             "seconds_per_epoch": [], "evaluate_seconds": time.perf_counter() - t})
    return run


def obtain(name: str, profile: Profile | str = "quick", data_dir=None, results_dir=None,
           dataset: Dataset | None = None, cache_dir=None, **overrides) -> Run:
    """The run a notebook shows: stored if possible, trained if not.

    With real data (``data_dir`` a photo folder), this is ``run_experiment``: the run of exactly
    this config and data, loaded or trained. Without real data, a finished real-data run of the same
    experiment and profile in the store is used as it is (so the book builds from the committed store on a
    machine without the photos): with overrides, only a run of exactly those settings. Only when there is
    none is the experiment trained on synthetic data.
    """
    from .results import find_run
    if data_dir is None:
        stored = find_run(name, get_profile(profile, **overrides), results_dir, synthetic=False,
                          exact=bool(overrides))
        if stored is not None:
            return stored
    return run_experiment(name, profile, data_dir, results_dir, dataset=dataset, cache_dir=cache_dir, **overrides)


def load_trained(run: Run, precision: str = "float32"):
    """The trained Keras model of a finished run; ``errors.Damaged`` (naming the file and the repair) when its
    weights cannot be read."""
    from .errors import Damaged, reason
    if not run.weights.is_file():
        raise FileNotFoundError(f"{run.weights}: not here (large weights, such as ECCV16's, are not committed: "
                                f"they stay on the machine that trained them); {run.repair}")
    model = _build_model(get_experiment(run.experiment), run.config["image_size"], precision)
    try:
        model.load_weights(run.weights)
    except (OSError, ValueError, KeyError) as err:
        raise Damaged(f"{run.weights}: damaged weights ({reason(err)}); {run.repair}") from None
    return model
