"""Compile and fit a model with the paper's recipe, checkpointing every epoch so a killed run resumes.

The paper: Adam (fixed learning rate), MSE, batch 32, 25 epochs, ``metrics=['accuracy']`` (which Keras
resolves to categorical accuracy on the (H, W, 2) output; see ``metrics.pixel_accuracy``).

A checkpoint is a folder ``epoch-NNNN`` holding the model weights with the optimizer's variables
(Keras 3 stores both in ``.weights.h5``) and the history so far, written in a hidden ``.partial`` folder
and renamed when complete (``files.atomic_folder``), so a run killed at any moment (SIGKILL, power loss)
resumes after the last finished epoch. The shuffling order of each epoch depends only on (seed, epoch),
so a resumed run sees the same batches as an uninterrupted one.

With a ``patience`` (beyond the paper, which trains a fixed 25 epochs and keeps the last weights) the
validation curve decides: training stops once the validation loss has not improved for ``patience`` epochs,
and the model ends with the weights of its best validation epoch (kept in every checkpoint as ``best.npz``).
"""
from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import time
from pathlib import Path

import lazy_loader
import numpy as np

from polychromify.product.errors import Damaged, read_json, reason
from polychromify.product.files import atomic_folder, atomic_path
from polychromify.product.metrics import keras_pixel_accuracy
from polychromify.training.profiles import AUGMENTATIONS, PRECISIONS

keras = lazy_loader.load("keras")  # loaded at first use: the command line starts without TensorFlow


@contextlib.contextmanager
def precision_policy(precision: str = "float32"):
    """Build models under a Keras dtype policy (float32 or mixed_bfloat16), restoring the old one after."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def compile_model(model: keras.Model, learning_rate: float = 1e-3, loss="mse", metrics=None) -> keras.Model:
    """Adam with a fixed learning rate, MSE and the paper's pixel 'accuracy' (overridable)."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss,
                  metrics=metrics if metrics is not None else [keras_pixel_accuracy])
    return model


# ---------------------------------------------------------------- checkpoints

def finished_epochs(folder: Path) -> list[Path]:
    """Complete checkpoint folders, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and re.fullmatch(r"epoch-\d{4}", p.name))


def best_epoch(history: dict) -> int | None:
    """The 1-based epoch of the lowest validation loss so far (the first of ties); None without validation."""
    losses = history.get("val_loss", [])
    return int(np.argmin(losses)) + 1 if losses else None


def stopped_early(history: dict, patience: int | None) -> bool:
    """Whether the validation loss has not improved for ``patience`` epochs (never without a patience)."""
    best = best_epoch(history)
    return patience is not None and best is not None and len(history["val_loss"]) - best >= patience


def save_checkpoint(model: keras.Model, folder: Path, epoch: int, history: dict,
                    segments: list | None = None, best_weights: list | None = None) -> Path:
    """Write weights, optimizer state, history and training segments after ``epoch`` (1-based) atomically,
    with the best validation epoch's weights when given; keep only the newest, and remove what killed writes
    left (``.partial`` folders)."""
    final = folder / f"epoch-{epoch:04d}"
    with atomic_folder(final) as partial:
        model.save_weights(partial / "model.weights.h5")  # with the optimizer's variables
        if best_weights is not None:
            np.savez(partial / "best.npz", *best_weights)
        (partial / "history.json").write_text(json.dumps({"epoch": epoch, "history": history,
                                                          "segments": segments or []}))
    finished = set(finished_epochs(folder))
    for old in folder.iterdir():
        if old != final and (old in finished or old.name.endswith(".partial")):
            shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(model: keras.Model, folder: Path) -> tuple[int, dict, list]:
    """Restore the newest complete checkpoint into a compiled model: (epochs done, history, segments);
    (0, {}, []) if none. Checkpoints written before segments were recorded give an empty list."""
    done = finished_epochs(folder)
    if not done:
        return 0, {}, []
    latest = done[-1]
    repair = (f"train from scratch with --retrain (or delete {latest}: the run then starts again); "
              f"nothing else is affected")
    state = read_json(latest / "history.json", repair)
    model.optimizer.build(model.trainable_variables)  # so that its saved variables load too
    try:
        model.load_weights(latest / "model.weights.h5")
        return int(state["epoch"]), state["history"], state.get("segments", [])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise Damaged(f"{latest}: damaged checkpoint ({reason(err)}); {repair}") from None


def load_best_weights(folder: Path) -> list | None:
    """The best validation epoch's weights kept in the newest complete checkpoint (``model.get_weights()``
    order), or None when it keeps none."""
    done = finished_epochs(folder)
    if not done or not (done[-1] / "best.npz").is_file():
        return None
    try:
        with np.load(done[-1] / "best.npz") as stored:
            return [stored[f"arr_{i}"] for i in range(len(stored.files))]
    except (OSError, ValueError, KeyError) as err:
        raise Damaged(f"{done[-1] / 'best.npz'}: damaged checkpoint ({reason(err)}); train from scratch with "
                      f"--retrain (or delete {done[-1]}: the run then starts again)") from None


# ---------------------------------------------------------------- fit

@functools.cache
def _keras_classes():
    """The training data and checkpoint callback, defined at first use: Keras loads only when training starts."""

    class _Shuffled(keras.utils.PyDataset):
        """Batches of (x, y) in an order that depends only on (seed, epoch), so a resumed run sees the same batches;
        with ``augment="flip"`` each photo of a batch is mirrored (L and ab alike) on a coin drawn from
        (seed, epoch, batch), as reproducible as the order."""

        def __init__(self, x, y, batch_size: int, seed: int, augment: str = "none"):
            super().__init__()
            if augment not in AUGMENTATIONS:
                raise ValueError(f"augment must be one of {', '.join(AUGMENTATIONS)}, not {augment!r}")
            self.x, self.y, self.batch_size, self.seed, self.augment = x, y, batch_size, seed, augment
            self.set_epoch(0)

        def set_epoch(self, epoch: int) -> None:
            self.epoch = epoch
            self.order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))

        def __len__(self) -> int:
            return -(-len(self.x) // self.batch_size)

        def __getitem__(self, i: int):
            index = np.sort(self.order[i * self.batch_size:(i + 1) * self.batch_size])
            x, y = self.x[index], self.y[index]
            if self.augment == "flip":
                mirror = np.random.default_rng([self.seed, self.epoch, i]).random(len(index)) < 0.5
                x[mirror], y[mirror] = x[mirror, :, ::-1], y[mirror, :, ::-1]  # fancy indexing made copies: inputs kept
            return x, y


    class _EpochCheckpoint(keras.callbacks.Callback):
        """Set the epoch's batch order, time the epoch, extend the history and checkpoint when it ends; with a
        ``patience``, keep the best validation epoch's weights and stop once it lies ``patience`` epochs back."""

        def __init__(self, folder: Path | None, history: dict, data: _Shuffled, segments: list,
                     patience: int | None = None, best_weights: list | None = None):
            super().__init__()
            self.folder, self.history, self.data, self.segments = folder, history, data, segments
            self.patience, self.best_weights = patience, best_weights

        def on_epoch_begin(self, epoch, logs=None):
            self.data.set_epoch(epoch)
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            logs["seconds"] = time.perf_counter() - self.start
            for key, value in logs.items():
                self.history.setdefault(key, []).append(float(value))
            if self.segments:
                self.segments[-1]["last_epoch"] = epoch + 1
                self.segments[-1]["seconds"] = self.segments[-1].get("seconds", 0.0) + logs["seconds"]
            if self.patience is not None:
                if best_epoch(self.history) == epoch + 1:
                    self.best_weights = self.model.get_weights()
                self.model.stop_training = stopped_early(self.history, self.patience)
            if self.folder is not None:
                save_checkpoint(self.model, self.folder, epoch + 1, self.history, self.segments, self.best_weights)

    return _Shuffled, _EpochCheckpoint


def fit(model: keras.Model, x_train, y_train, x_val=None, y_val=None, *, epochs: int = 25, batch_size: int = 32,
        seed: int = 42, checkpoint_dir: Path | None = None, verbose: int | str = "auto",
        max_epochs_this_call: int | None = None, segments: list | None = None,
        segment: dict | None = None, augment: str = "none", patience: int | None = None) -> dict:
    """Train a compiled model; resume from ``checkpoint_dir`` if it holds a checkpoint. Returns the history.

    The history maps loss, accuracy, val_loss, val_accuracy and seconds (per epoch) to lists with one
    value per epoch, the resumed epochs included. ``max_epochs_this_call`` stops early (for tests and
    time-boxed sessions); call again to continue. ``augment`` (``AUGMENTATIONS``): "flip" mirrors training photos.
    ``patience`` (needs validation data): stop once the validation loss has not improved for that many epochs
    (``stopped_early``) and end with the best validation epoch's weights.

    A run trained in several sittings (a *segment* each, perhaps on different machines) keeps one record
    per segment: pass ``segment`` (what to record: machine, commit, ...) and a list ``segments``, which is
    filled with the checkpoint's earlier segments and this one (``first_epoch``, ``last_epoch``, ``seconds``).
    """
    start_epoch, history, earlier = (load_checkpoint(model, Path(checkpoint_dir)) if checkpoint_dir
                                     else (0, {}, []))
    if patience is not None and x_val is None:
        raise ValueError("a patience needs validation data: the validation curve decides when to stop")
    if segments is None:
        segments = []
    segments[:] = earlier
    last = epochs if max_epochs_this_call is None else min(epochs, start_epoch + max_epochs_this_call)
    if stopped_early(history, patience):
        last = start_epoch  # it stopped in an earlier sitting
    best = load_best_weights(Path(checkpoint_dir)) if checkpoint_dir and patience is not None else None
    if segment is not None and start_epoch < last:
        segments.append({**segment, "first_epoch": start_epoch + 1, "last_epoch": start_epoch, "seconds": 0.0})
    _Shuffled, _EpochCheckpoint = _keras_classes()
    data = _Shuffled(x_train, y_train, batch_size, seed, augment)
    callback = _EpochCheckpoint(Path(checkpoint_dir) if checkpoint_dir else None, history, data, segments,
                                patience, best)
    if start_epoch < last:
        validation = (x_val, y_val) if x_val is not None else None
        model.fit(data, initial_epoch=start_epoch, epochs=last, validation_data=validation, shuffle=False,
                  validation_batch_size=batch_size, callbacks=[callback], verbose=verbose)
    if patience is not None and callback.best_weights is not None:
        model.set_weights(callback.best_weights)
    return history


def training_done(history: dict, epochs: int, patience: int | None = None) -> bool:
    """Whether a run's training is over: all its epochs trained, or stopped by the validation curve."""
    return len(history.get("loss", [])) >= epochs or stopped_early(history, patience)


def save_model_weights(model: keras.Model, path: Path, rebuild) -> None:
    """Save only the model's weights (no optimizer state) atomically; ``rebuild()`` makes a fresh twin."""
    twin = rebuild()
    twin.set_weights(model.get_weights())
    with atomic_path(path) as partial:
        twin.save_weights(partial)


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Model output for a batch of L images, as float32 numpy."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float32)
