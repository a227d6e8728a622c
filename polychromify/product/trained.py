"""A trained model, ready to predict: the one type that colorize, scoring, figures and the studies use.

``TrainedModel`` holds a Keras model with what it takes to read it: the builder it was built with (its output:
ab, or Zhang's colour classes, ``models.output_of``), its square input size, and where it came from.
``load_model`` resolves what the product can on its own: the shipped models (``"pretrained"``, the default;
``"paper"``; ``"author_model"``, the author's own weights), a folder of model files (a shipped model's, with
``model_card.json``, or a run's, with ``config.json``, beside ``model.weights.h5``), a Keras model or a
``TrainedModel``. An experiment's name means its best run in the results store: the training wing resolves it
(``polychromify.training.resolve.trained_model``), and hands the product a ``TrainedModel``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polychromify.product import author_model, pretrained
from polychromify.product.eccv16 import decode_ab
from polychromify.product.errors import Damaged, reason
from polychromify.product.models import BUILDERS, build_model, output_of

PRETRAINED = "pretrained"           # the default colorizer shipped in the package
PAPER = pretrained.PAPER_MODEL      # the paper's final model, shipped
AUTHOR = "author_model"             # the author's own trained weights, shipped
SHIPPED = (PRETRAINED, PAPER, AUTHOR)
WEIGHTS = "model.weights.h5"

__all__ = ["AUTHOR", "PAPER", "PRETRAINED", "SHIPPED", "TrainedModel", "is_model_folder", "load_model",
           "model_folder"]


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A Keras model with its builder's name (``models.BUILDERS``), the experiment it belongs to, and a line
    saying where its weights came from."""

    model: object          # keras.Model
    builder: str
    experiment: str
    source: str

    @property
    def image_size(self) -> int:
        """Its square input size, in pixels."""
        return int(self.model.input_shape[1])

    @property
    def output(self) -> str:
        """ "ab" (model-space Y) or "classes" (Zhang's 313 bins)."""
        return output_of(self.builder)

    def decode(self, out) -> np.ndarray:
        """The raw output as model-space Y, ab / 128 (float32): class scores by Zhang's annealed mean."""
        if self.output == "classes":
            out = decode_ab(out)
        return np.asarray(out, dtype=np.float32)

    def predict_ab(self, x: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """Model-space Y for a batch of L images (N, S, S, 1), ``batch_size`` at a time."""
        return self.decode(self.model.predict(np.asarray(x, np.float32), batch_size=batch_size, verbose=0))


_CACHE: dict = {}  # shipped models and model folders, by their weights file and its modification time


def _cached(key_file: Path, label: str, load) -> TrainedModel:
    key = (label, str(key_file), key_file.stat().st_mtime_ns if key_file.is_file() else None)
    if key not in _CACHE:
        _CACHE[key] = load()
    return _CACHE[key]


def is_model_folder(folder: Path | str) -> bool:
    """Whether ``folder`` holds model files: a shipped model's card or a run's config."""
    return any((Path(folder) / name).is_file() for name in (pretrained.CARD, "config.json"))


def model_folder(folder: Path | str, label: str | None = None) -> TrainedModel:
    """The model in a folder of model files: ``model_card.json`` (a shipped model) or ``config.json`` (a run)
    beside ``model.weights.h5``; ``label`` names it in its source line (default: the folder's name).
    FileNotFoundError or ``Damaged`` with a one-line reason."""
    folder = Path(folder)
    label = label or folder.name
    if (folder / pretrained.CARD).is_file():
        card = pretrained.pretrained_card(folder)
        return TrainedModel(pretrained.load_pretrained(folder), card["model"], card["experiment"],
                            f"{label} ({card['experiment']}, {card['profile']} profile)")
    config_file, weights = folder / "config.json", folder / WEIGHTS
    if not config_file.is_file():
        raise FileNotFoundError(f"{folder}: not a model (no model_card.json or config.json)")
    if not weights.is_file():
        raise FileNotFoundError(f"{weights}: not here (large weights, such as ECCV16's, are not committed)")
    try:
        config = json.loads(config_file.read_text())
        builder, size = config["experiment"]["model"], int(config["image_size"])
        experiment = config["experiment"]["name"]
    except (ValueError, KeyError, TypeError) as err:
        raise Damaged(f"{config_file}: damaged config ({reason(err)})") from None
    model = build_model(builder, size)
    try:
        model.load_weights(weights)
    except (OSError, ValueError, KeyError) as err:
        raise Damaged(f"{weights}: damaged weights ({reason(err)})") from None
    return TrainedModel(model, builder, experiment, f"{folder.parent.name}/{folder.name}")


def load_model(model=None) -> TrainedModel:
    """Resolve ``model``: None or "pretrained" (the shipped default), "paper" (the paper's final model as
    shipped), "author_model" (his weights as shipped), a folder of model files, a ``TrainedModel`` or a Keras
    model (built by ``models.build_model``: its name is its builder's; another name is read as ab).
    Loaded models are cached. ValueError or FileNotFoundError with a one-line reason; an experiment's name
    says where to resolve it."""
    if isinstance(model, TrainedModel):
        return model
    if model is not None and not isinstance(model, (str, Path)):
        builder = model.name if model.name in BUILDERS else "polychromify"
        return TrainedModel(model, builder, model.name, f"a Keras model ({model.name})")
    name = str(model or PRETRAINED)
    if name in (PRETRAINED, PAPER):
        folder = pretrained.paper_model_dir() if name == PAPER else pretrained.PRETRAINED_DIR
        return _cached(folder / WEIGHTS, name, lambda: model_folder(folder, name))
    if name == AUTHOR:
        weights = author_model.AUTHOR_DIR / WEIGHTS
        return _cached(weights, name, lambda: TrainedModel(
            author_model.load_author_model(), AUTHOR, AUTHOR,
            f"{AUTHOR} (his weights as shipped, {author_model.AUTHOR_IMAGE_SIZE} px)"))
    if is_model_folder(name):
        folder = Path(name)
        return _cached(folder / WEIGHTS, str(folder.resolve()), lambda: model_folder(folder))
    raise ValueError(f"{name}: not a shipped model ({', '.join(SHIPPED)}) or a folder of model files; an "
                     f"experiment's trained run is found by `polychromify colorize --model {name}` or "
                     f"polychromify.training.resolve.trained_model({name!r})")
