"""The author's trained final model: PolyChromify as Ghiotto trained it in June 2021, with his weights.

Section V.C reports this model (Table 2, Fig. 5). His repository (``../shared/paper/author-2021-06``,
commit c325de0) ships it as a TensorFlow 2.5 Keras SavedModel in ``results/Polychromify``. Keras 3's
``TFSMLayer`` cannot load it under TensorFlow 2.21 (its optimizer slots), so we rebuild the architecture
with Keras layers and read the variables from the SavedModel's checkpoint (``variables/variables``) with
``tf.train.load_checkpoint``, skipping the optimizer's slots and the metrics.

The architecture (his ``Sequential`` "Polychromify_v3"): Conv2D 16-32-64 (3x3, relu, same), Dense
256-128-64-128-256 (relu, per pixel), Conv2D 64-32-16 (3x3, relu, same), Conv2D(2, 3x3, tanh) output;
input L in [0, 100] (not normalised), output ab / 128. 293,330 parameters: our final model
(``models.polychromify``, 293,074) with his Conv2D(2, 3x3) output instead of the paper's Dense(2), i.e. the
architecture of ``polychromify_conv_output``.

He trained it on a random 64% of the same Kaggle collection (4,300 photos, his split of
``train_test_split``), so our test split likely contains photos it trained on: its scores on our val/test
split are optimistic, and only a collection it never saw (``evaluation.score_folder``) measures how it
generalizes.

It is fully convolutional, so it runs at any input size; it was trained at 128 px, and a run of the
``author_model`` experiment evaluates it at the profile's image size (64 px for ``quick``), where it sees
its photos at half the scale it learned on.

Licence: his weights are MIT-licensed, "Copyright (c) 2021 Davide Ghiotto" (``AUTHOR_LICENCE``); a run
records that notice, the SavedModel's path and the SHA-256 of its variables files (``weights_source``).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import keras

AUTHOR_MODEL_ENV = "POLYCHROMIFY_AUTHOR_MODEL"
# Relative to the repository root: the author's materials shared beside the checkout.
DEFAULT_AUTHOR_MODEL = Path(__file__).resolve().parents[1] / "../shared/paper/author-2021-06/results/Polychromify"
AUTHOR_LICENCE = "Copyright (c) 2021 Davide Ghiotto, MIT licence"
AUTHOR_IMAGE_SIZE = 128  # px: what he trained it on
PARAMS = 293_330

__all__ = ["AUTHOR_LICENCE", "AUTHOR_MODEL_ENV", "author_model", "author_model_path", "load_author_model",
           "load_author_weights", "weights_source"]

def author_model(image_size: int = AUTHOR_IMAGE_SIZE) -> keras.Model:
    """The author's final model, section V.C, as his code builds it: our final model with his
    Conv2D(2, 3x3, tanh) output (``models.polychromify(output_kernel=3)``); 293,330 parameters. Uncompiled,
    untrained; ``load_author_weights`` gives it his weights."""
    from .models import build_model
    return build_model("author_model", image_size)


def author_model_path(path=None) -> Path:
    """The SavedModel folder: ``path``, else ``$POLYCHROMIFY_AUTHOR_MODEL``, else the shared author's copy."""
    return Path(path or os.environ.get(AUTHOR_MODEL_ENV) or DEFAULT_AUTHOR_MODEL)


def _variables_prefix(folder: Path) -> Path:
    """The checkpoint prefix inside a SavedModel; FileNotFoundError with the reason when it is missing."""
    prefix = folder / "variables" / "variables"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (the author's SavedModel; set ${AUTHOR_MODEL_ENV})")
    if not prefix.with_name("variables.index").is_file():
        raise FileNotFoundError(f"{folder}: not a SavedModel (variables/variables.index is missing)")
    return prefix


def _read_variables(folder: Path) -> dict[int, dict[str, object]]:
    """The checkpoint's layer weights: {layer index: {"kernel": array, "bias": array}}, optimizer slots and
    metrics left out."""
    import tensorflow as tf
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


def load_author_weights(model: keras.Model, path=None) -> Path:
    """Load the author's weights into ``author_model(...)`` (any image size); returns the SavedModel folder.

    FileNotFoundError when the SavedModel is missing, ValueError when it cannot be read or its variables do
    not fit the model (count or shape), each one line naming the folder and the reason.
    """
    folder = author_model_path(path)
    stored = _read_variables(folder)
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
    return folder


def load_author_model(image_size: int = AUTHOR_IMAGE_SIZE, path=None) -> keras.Model:
    """``author_model(image_size)`` with the author's weights loaded."""
    model = author_model(image_size)
    load_author_weights(model, path)
    return model


def weights_source(path=None) -> dict:
    """What a run records about the weights: the SavedModel's folder, the SHA-256 of each of its variables
    files, and the licence notice."""
    folder = author_model_path(path)
    _variables_prefix(folder)
    digests = {}
    for file in sorted((folder / "variables").iterdir()):
        with open(file, "rb") as f:
            digests[file.name] = hashlib.file_digest(f, "sha256").hexdigest()
    return {"saved_model": str(folder.resolve()), "variables_sha256": digests, "licence": AUTHOR_LICENCE,
            "origin": "github.com/davide97g/polychromify results/Polychromify (commit c325de0, June 2021)"}
