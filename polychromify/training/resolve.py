"""Which trained model: a name, a run or a folder becomes a ``product.trained.TrainedModel``.

The one resolver for a trained model, used by the command line, scoring, the figures and both studies:

- a shipped model (``"pretrained"``, ``"paper"``) or a folder of model files: the product's
  ``trained.load_model``;
- a run folder of the results store: that run, checked (``results.resolve_run``);
- an experiment's name: its best finished run (``results.find_run``: of ``profile`` when given, else of any
  profile, the larger-scale profiles first, real data first); the author's model with no such run is his
  weights as shipped in the package, at the profile's image size.
"""
from __future__ import annotations

from pathlib import Path

from polychromify.product.author_model import load_author_model, weights_source
from polychromify.product.errors import Damaged, reason
from polychromify.product.models import build_model
from polychromify.product.trained import (
    AUTHOR,
    SHIPPED,
    TrainedModel,
    is_model_folder,
    load_model,
)
from polychromify.training.experiments import get_experiment
from polychromify.training.fit import precision_policy
from polychromify.training.profiles import Profile, get_profile
from polychromify.training.results import Run, find_run, resolve_run

__all__ = ["build_for", "load_trained", "trained_model"]


def build_for(experiment: str, image_size: int, precision: str = "float32", bn_momentum: float | None = None):
    """The uncompiled Keras model of an experiment under a precision policy."""
    with precision_policy(precision):
        return build_model(get_experiment(experiment).model, image_size, bn_momentum)


def load_trained(run: Run, precision: str = "float32") -> TrainedModel:
    """The trained model of a finished run; FileNotFoundError (weights not here) or ``errors.Damaged`` (naming
    the file and the repair) when its weights cannot be read."""
    if not run.weights.is_file():
        raise FileNotFoundError(f"{run.weights}: not here (large weights, such as ECCV16's, are not committed: "
                                f"they stay on the machine that trained them); {run.repair}")
    experiment = get_experiment(run.experiment)
    model = build_for(experiment.name, int(run.config["image_size"]), precision)
    try:
        model.load_weights(run.weights)
    except (OSError, ValueError, KeyError) as err:
        raise Damaged(f"{run.weights}: damaged weights ({reason(err)}); {run.repair}") from None
    synthetic = " (synthetic data)" if run.config["data"].get("synthetic") else ""
    return TrainedModel(model, experiment.model, experiment.name, f"{run.experiment}/{run.path.name}{synthetic}")


def trained_model(name, profile: Profile | str | None = None, results_dir=None) -> TrainedModel:
    """Resolve a shipped model's name, a folder, a run or an experiment's name (see the module's docstring)."""
    if isinstance(name, Run):
        return load_trained(name)
    if not isinstance(name, (str, Path)) or str(name) in SHIPPED and str(name) != AUTHOR:
        return load_model(name)
    folder = Path(name)
    if (folder / "config.json").is_file():
        return load_trained(resolve_run(folder))
    if is_model_folder(folder):
        return load_model(folder)
    experiment = get_experiment(str(name))  # a clear error for an unknown name
    profile = get_profile(profile) if profile is not None else None
    if not experiment.trained and find_run(experiment.name, profile, results_dir) is None:
        size = profile.image_size if profile is not None else None
        if size is None:
            return load_model(AUTHOR)
        return TrainedModel(load_author_model(size), AUTHOR, AUTHOR, weights_source()["weights"])
    return load_trained(resolve_run(str(name), profile, results_dir))
