"""The pretrained PolyChromify shipped inside the package, with its model card.

This package, ``polychromify/product/pretrained/``, holds its code (this file) and three files of package data,
written by ``studies.model_card.export_pretrained`` from a finished run of the results store:

- ``model.weights.h5``: the model's weights only (no optimizer state; about 1.2 MB for 293,074 float32
  parameters);
- ``model_card.json``: what the model is and how far to trust it: experiment, profile, image size, epochs,
  the data it was trained on (source, hash, counts per split), its metrics on the test split next to the
  gray and mean-ab baselines, commit, versions, timings, and the SHA-256 of the weights file;
- ``MODEL_CARD.md``: the same card for people.

``load_pretrained()`` builds the model named in the card at its image size and loads the weights.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from polychromify.product.errors import Damaged, reason
from polychromify.product.models import build_model

PRETRAINED_DIR = Path(__file__).resolve().parent  # the files lie beside this module
WEIGHTS = "model.weights.h5"
CARD = "model_card.json"
CARD_MD = "MODEL_CARD.md"
PAPER_PROFILE = "paper"
PAPER_MODEL = "paper"   # ``--model paper``: the paper's final model, whichever model is the default
PAPER_DIR = PRETRAINED_DIR / "paper"  # where it is shipped when the default is another model


def is_papers_model(card: dict) -> bool:
    """Whether a model card describes the paper's final model trained at the paper's profile."""
    return card.get("experiment") == "polychromify" and card.get("profile") == PAPER_PROFILE


def paper_model_dir(default: Path | str | None = None) -> Path:
    """The folder of the shipped paper's final model: ``PAPER_DIR`` when the default model is another one,
    else the default's own folder when it is the paper's model; FileNotFoundError otherwise."""
    default = Path(default or PRETRAINED_DIR)
    for folder in (default / "paper", default):
        if (folder / CARD).is_file() and is_papers_model(json.loads((folder / CARD).read_text())):
            return folder
    raise FileNotFoundError(f"{default}: the paper's final model is not shipped here; export its paper-profile "
                            f"run with `polychromify pretrained export --dest {default / 'paper'}`")


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pretrained_card(path: Path | str | None = None) -> dict:
    """The shipped model card; FileNotFoundError when no model is shipped."""
    folder = Path(path or PRETRAINED_DIR)
    if not (folder / CARD).is_file() or not (folder / WEIGHTS).is_file():
        raise FileNotFoundError(f"{folder}: no pretrained model here; export a finished run with "
                                f"`polychromify pretrained export`")
    return json.loads((folder / CARD).read_text())


def load_pretrained(path: Path | str | None = None, check: bool = True):
    """The pretrained model (an uncompiled ``keras.Model``) built at its card's image size, weights loaded.

    ``check`` verifies the weights file against the SHA-256 in the card (a ValueError if they differ).
    """
    folder = Path(path or PRETRAINED_DIR)
    card = pretrained_card(folder)
    if check and card.get("weights_sha256") and sha256(folder / WEIGHTS) != card["weights_sha256"]:
        raise ValueError(f"{folder / WEIGHTS}: does not match its model card (an interrupted export?); export again")
    model = build_model(card["model"], card["image_size"])
    try:
        model.load_weights(folder / WEIGHTS)
    except (OSError, ValueError, KeyError) as err:
        raise Damaged(f"{folder / WEIGHTS}: damaged weights ({reason(err)}); reinstall the package or export "
                      f"again (polychromify pretrained export)") from None
    return model
