"""The author's trained final model: PolyChromify as Ghiotto trained it in June 2021, with his weights.

Section V.C reports this model (Table 2, Fig. 5). His public repository (github.com/davide97g/polychromify,
commit c325de0, MIT licence) ships it as a TensorFlow 2.5 Keras SavedModel in ``results/Polychromify``.
Keras 3's ``TFSMLayer`` cannot load it under TensorFlow 2.21 (its optimizer slots), so we rebuild the
architecture with Keras layers and read the variables from the SavedModel's checkpoint
(``variables/variables``) with ``tf.train.load_checkpoint``, skipping the optimizer's slots and the metrics.

That conversion is done once (``convert``, ``polychromify pretrained author SAVEDMODEL``, from a path given
explicitly) and its result ships in the package, ``pretrained/author/``: ``model.weights.h5`` (the same
bytes as the converted weights of the results store's ``author_model`` runs), his ``LICENSE`` and
``source.json`` (his repository, commit and the SHA-256 of the SavedModel's variables files, and of the
weights file). Every profile, command and notebook takes his weights from there (``load_author_model``);
nothing reads his SavedModel but the conversion.

The architecture (his ``Sequential`` "Polychromify_v3"): Conv2D 16-32-64 (3x3, relu, same), Dense
256-128-64-128-256 (relu, per pixel), Conv2D 64-32-16 (3x3, relu, same), Conv2D(2, 3x3, tanh) output;
input L in [0, 100] (not normalised), output ab / 128. 293,330 parameters: our final model
(``models.polychromify``, 293,074) with his Conv2D(2, 3x3) output instead of the paper's Dense(2), i.e. the
architecture of ``polychromify_conv_output``.

He trained it on a random 64% of the same Kaggle collection (4,300 photos, his split of
``train_test_split``), so our test split likely contains photos it trained on: its scores on our val/test
split are optimistic, and only a collection it never saw (``studies.scoring.score_folder``) measures how it
generalizes.

It is fully convolutional, so the same weights run at any input size; it was trained at 128 px, and a run of
the ``author_model`` experiment evaluates it at the profile's image size (64 px for ``quick``), where it sees
its photos at half the scale it learned on.

Licence: his weights are MIT-licensed, "Copyright (c) 2021 Davide Ghiotto" (``AUTHOR_LICENCE``; the full
notice ships beside them); a run records that notice, his repository and commit and the SHA-256 of the
weights (``weights_source``).
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import lazy_loader

from polychromify.product.files import atomic_path
from polychromify.product.models import build_model

keras = lazy_loader.load("keras")  # loaded at first use: importing the package starts no TensorFlow

AUTHOR_LICENCE = "Copyright (c) 2021 Davide Ghiotto, MIT licence"
AUTHOR_IMAGE_SIZE = 128  # px: what he trained it on
PARAMS = 293_330
ORIGIN = {"repository": "https://github.com/davide97g/polychromify", "commit": "c325de0",
          "path": "results/Polychromify", "date": "June 2021"}
AUTHOR_DIR = Path(__file__).resolve().parent / "pretrained" / "author"  # his weights, converted, in the package
WEIGHTS = "model.weights.h5"
SOURCE = "source.json"
LICENSE = "LICENSE"

__all__ = ["AUTHOR_DIR", "AUTHOR_IMAGE_SIZE", "AUTHOR_LICENCE", "ORIGIN", "author_model", "convert",
           "load_author_model", "read_saved_model", "weights_source"]


def author_model(image_size: int = AUTHOR_IMAGE_SIZE) -> keras.Model:
    """The author's final model, section V.C, as his code builds it: our final model with his
    Conv2D(2, 3x3, tanh) output (``models.polychromify(output_kernel=3)``); 293,330 parameters. Uncompiled,
    untrained; ``load_author_model`` gives it his weights."""
    return build_model("author_model", image_size)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def load_author_model(image_size: int = AUTHOR_IMAGE_SIZE, folder=None) -> keras.Model:
    """``author_model(image_size)`` with his weights, from the converted copy in ``folder`` (default: the one
    shipped in the package, ``AUTHOR_DIR``). FileNotFoundError naming the file when it is missing,
    ValueError when its SHA-256 is not the one its ``source.json`` records."""
    folder = Path(folder or AUTHOR_DIR)
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise FileNotFoundError(f"{weights}: not here (convert the author's SavedModel: "
                                f"polychromify pretrained author SAVEDMODEL --dest {folder})")
    expected = _read_source(folder).get("weights_sha256")
    if expected and _sha256(weights) != expected:
        raise ValueError(f"{weights}: its SHA-256 is not the one {folder / SOURCE} records (damaged or replaced)")
    model = author_model(image_size)
    model.load_weights(weights)
    return model


def _read_source(folder: Path) -> dict:
    path = Path(folder) / SOURCE
    return json.loads(path.read_text()) if path.is_file() else {}


def weights_source(folder=None) -> dict:
    """What a run records about his weights: the licence notice, his repository and commit, the SHA-256 of the
    SavedModel's variables files they were converted from, and the SHA-256 of the converted weights file.
    No path of this machine: the weights are named by their place in the package."""
    folder = Path(folder or AUTHOR_DIR)
    source = _read_source(folder)
    return {"licence": AUTHOR_LICENCE, "origin": source.get("origin", ORIGIN),
            "variables_sha256": source.get("variables_sha256", {}),
            "weights": f"polychromify/product/pretrained/author/{WEIGHTS}" if folder == AUTHOR_DIR else folder.name,
            "weights_sha256": _sha256(folder / WEIGHTS)}


# ---------------------------------------------------------------- the conversion, from his SavedModel

def _variables_prefix(folder: Path) -> Path:
    """The checkpoint prefix inside a SavedModel; FileNotFoundError with the reason when it is missing."""
    prefix = folder / "variables" / "variables"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (the author's SavedModel, his repository's "
                                f"{ORIGIN['path']} at commit {ORIGIN['commit']})")
    if not prefix.with_name("variables.index").is_file():
        raise FileNotFoundError(f"{folder}: not a SavedModel (variables/variables.index is missing)")
    return prefix


def _read_variables(folder: Path) -> dict[int, dict[str, object]]:
    """The checkpoint's layer weights: {layer index: {"kernel": array, "bias": array}}, optimizer slots and
    metrics left out."""
    import tensorflow as tf  # the conversion alone needs TensorFlow's checkpoint reader
    prefix = _variables_prefix(folder)
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        names = reader.get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{folder}: cannot read the SavedModel's variables ({reason})") from None
    out: dict[int, dict[str, object]] = {}
    for name in names:
        parts = name.split("/")
        if len(parts) == 4 and parts[0].startswith("layer_with_weights-") and parts[2:] == [".ATTRIBUTES",
                                                                                            "VARIABLE_VALUE"]:
            out.setdefault(int(parts[0].rsplit("-", 1)[1]), {})[parts[1]] = reader.get_tensor(name)
    return out


def read_saved_model(saved_model, image_size: int = AUTHOR_IMAGE_SIZE) -> keras.Model:
    """``author_model(image_size)`` with the weights read from his SavedModel folder ``saved_model``.

    FileNotFoundError when the SavedModel is missing, ValueError when it cannot be read or its variables do
    not fit the model (count or shape), each one line naming the folder and the reason.
    """
    folder = Path(saved_model)
    stored = _read_variables(folder)
    model = author_model(image_size)
    targets = [layer for layer in model.layers if layer.weights]
    if sorted(stored) != list(range(len(targets))):
        raise ValueError(f"{folder}: {len(stored)} layers with weights, the model has {len(targets)}")
    for i, layer in enumerate(targets):
        values = []
        for variable in layer.weights:  # kernel, then bias
            key = variable.path.rsplit("/", 1)[-1]
            value = stored[i].get(key)
            if value is None or tuple(value.shape) != tuple(variable.shape):
                found = "missing" if value is None else f"shaped {tuple(value.shape)}"
                raise ValueError(f"{folder}: layer_with_weights-{i}/{key} is {found}, "
                                 f"{layer.name} needs {tuple(variable.shape)}")
            values.append(value)
        layer.set_weights(values)
    return model


def convert(saved_model, dest=None, licence=None) -> Path:
    """Convert his SavedModel (the folder ``saved_model``, given explicitly) into ``dest`` (default: the
    package's ``AUTHOR_DIR``): ``model.weights.h5``, ``source.json`` and ``LICENSE`` (his licence file
    ``licence``, default the ``LICENSE`` beside the SavedModel's ``results`` folder, else the one already in
    ``dest``). Each file is written whole or not at all; returns ``dest``."""
    folder = Path(saved_model)
    dest = Path(dest or AUTHOR_DIR)
    model = read_saved_model(folder)
    licence = Path(licence) if licence else folder.parent.parent / LICENSE
    if not licence.is_file() and not (dest / LICENSE).is_file():
        raise FileNotFoundError(f"{licence}: his licence file is not here (give it with --licence)")
    dest.mkdir(parents=True, exist_ok=True)
    with atomic_path(dest / WEIGHTS) as partial:
        model.save_weights(partial)
    if licence.is_file() and licence.resolve() != (dest / LICENSE).resolve():
        with atomic_path(dest / LICENSE) as partial:
            shutil.copyfile(licence, partial)
    variables = {f.name: _sha256(f) for f in sorted((folder / "variables").iterdir()) if f.is_file()}
    source = {"origin": ORIGIN, "licence": AUTHOR_LICENCE, "variables_sha256": variables,
              "image_size": AUTHOR_IMAGE_SIZE, "params": int(model.count_params()),
              "weights_sha256": _sha256(dest / WEIGHTS)}
    with atomic_path(dest / SOURCE) as partial:
        Path(partial).write_text(json.dumps(source, indent=2, sort_keys=True) + "\n")
    return dest
