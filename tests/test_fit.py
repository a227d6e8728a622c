"""polychromify.training.fit: the fit history, checkpoints that survive a SIGKILL, exact resumption, precision policies."""
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from polychromify.product.models import build_model
from polychromify.training import fit as training
from polychromify.training.fit import (
    compile_model,
    fit,
    load_checkpoint,
    precision_policy,
    save_checkpoint,
)

MODEL, SIZE, SEED = "ae_v0", 8, 7  # the smallest model: per-pixel dense layers on 8x8 images
HISTORY_KEYS = {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}


def _data(n=12, seed=0):
    """Tiny random L (in [0, 100]) and Y (in [-1, 1]) with a learnable link between them."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (n, SIZE, SIZE, 1)).astype("float32")
    y = np.concatenate([np.tanh((x - 50) / 30), -0.5 * np.tanh((x - 40) / 20)], axis=-1).astype("float32")
    return x[: n - 4], y[: n - 4], x[n - 4:], y[n - 4:]


def _model(seed=SEED):
    """A freshly built and compiled model whose initial weights depend only on the seed."""
    keras.utils.set_random_seed(seed)
    return compile_model(build_model(MODEL, SIZE))


def _checkpoints(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if re.fullmatch(r"epoch-\d{4}", p.name))


def _assert_same_weights(a, b, atol=0.0):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        np.testing.assert_allclose(u, v, rtol=0, atol=atol)


@pytest.fixture(scope="module")
def uninterrupted():
    """A model trained for 2 epochs in one call, and its history."""
    model = _model()
    history = fit(model, *_data(), epochs=2, batch_size=4, seed=SEED, verbose=0)
    return model, history


def test_fit_returns_one_value_per_epoch(uninterrupted):
    model, history = uninterrupted
    assert set(history) == HISTORY_KEYS
    assert all(len(values) == 2 for values in history.values())
    assert all(isinstance(v, float) and np.isfinite(v) for values in history.values() for v in values)
    assert all(0.0 <= v <= 1.0 for v in history["accuracy"] + history["val_accuracy"])
    assert all(s > 0 for s in history["seconds"])
    assert history["loss"] != [history["loss"][0]] * 2  # it trained


def test_resumed_run_equals_uninterrupted_run(uninterrupted, tmp_path):
    reference, full = uninterrupted
    folder = tmp_path / "checkpoint"
    interrupted = _model()
    first = fit(interrupted, *_data(), epochs=2, batch_size=4, seed=SEED, checkpoint_dir=folder, verbose=0,
                max_epochs_this_call=1)
    assert all(len(values) == 1 for values in first.values())
    assert [p.name for p in _checkpoints(folder)] == ["epoch-0001"]

    # A new process builds a new model with other initial weights: the checkpoint restores the weights
    # and Adam's moments and step count bit for bit.
    restored = _model(seed=SEED + 1)
    assert load_checkpoint(restored, folder)[:2] == (1, first)
    _assert_same_weights(restored, interrupted)
    saved_state = {v.path.split("/", 1)[1]: np.asarray(v) for v in interrupted.optimizer.variables}
    loaded_state = {v.path.split("/", 1)[1]: np.asarray(v) for v in restored.optimizer.variables}
    assert saved_state.keys() == loaded_state.keys() and len(saved_state) > 2
    for key, value in saved_state.items():
        np.testing.assert_array_equal(loaded_state[key], value, err_msg=key)

    resumed_model = _model(seed=SEED + 1)
    history = fit(resumed_model, *_data(), epochs=2, batch_size=4, seed=SEED, checkpoint_dir=folder, verbose=0)
    assert set(history) == HISTORY_KEYS
    assert all(len(values) == 2 for values in history.values())
    assert history["seconds"][0] == first["seconds"][0]  # epoch 1 was not run again
    assert history["loss"][0] == first["loss"][0]
    assert [p.name for p in _checkpoints(folder)] == ["epoch-0002"]  # only the newest is kept
    assert int(resumed_model.optimizer.iterations.numpy()) == int(reference.optimizer.iterations.numpy()) == 4
    # The data order depends only on (seed, epoch), so both runs saw the same batches, and on this
    # CPU the weights are usually bit-identical. Once, under heavy CPU contention, they differed by
    # 1e-4 (floating-point nondeterminism, amplified by Adam on near-zero gradients), so the check
    # uses a tolerance: half an Adam step (lr 1e-3). A resume that lost Adam's state is 3e-3 off and
    # its epoch-2 loss 17% off.
    np.testing.assert_allclose(history["loss"], full["loss"], rtol=1e-3)
    np.testing.assert_allclose(history["val_loss"], full["val_loss"], rtol=1e-3)
    _assert_same_weights(resumed_model, reference, atol=5e-4)

    # a finished checkpoint is not trained again
    before = resumed_model.get_weights()
    again = fit(resumed_model, *_data(), epochs=2, batch_size=4, seed=SEED, checkpoint_dir=folder, verbose=0)
    assert again == history
    for u, v in zip(before, resumed_model.get_weights()):
        np.testing.assert_array_equal(u, v)


_KILL_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    from polychromify.product.models import build_model
    from polychromify.training.fit import compile_model, fit
    data = np.load(sys.argv[1])
    keras.utils.set_random_seed(int(sys.argv[3]))
    model = compile_model(build_model(sys.argv[4], int(sys.argv[5])))
    fit(model, data["x"], data["y"], data["xv"], data["yv"], epochs=10_000, batch_size=4, seed=int(sys.argv[3]),
        checkpoint_dir=sys.argv[2], verbose=0)
""")


def test_training_killed_with_sigkill_resumes_after_the_last_finished_epoch(tmp_path, monkeypatch):
    x, y, xv, yv = _data()
    np.savez(tmp_path / "data.npz", x=x, y=y, xv=xv, yv=yv)
    folder = tmp_path / "checkpoint"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(tmp_path / "data.npz"), str(folder), str(SEED), MODEL, str(SIZE)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while not (folder.is_dir() and _checkpoints(folder)):
            if proc.poll() is not None:
                pytest.fail(f"the training process ended early ({proc.returncode}): {proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                pytest.fail("no checkpoint within 180 s")
            time.sleep(0.02)
        time.sleep(0.3)  # let it get into a later epoch, possibly in the middle of writing a checkpoint
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    # what the killed run left: its newest complete checkpoint (a half-written one may lie beside it)
    latest = _checkpoints(folder)[-1]
    saved = json.loads((latest / "history.json").read_text())
    done = saved["epoch"]
    assert latest.name == f"epoch-{done:04d}"
    assert all(len(values) == done for values in saved["history"].values())

    epochs = done + 2
    started = []
    original_begin = training._keras_classes()[1].on_epoch_begin

    def recording_begin(self, epoch, logs=None):
        started.append(epoch)
        return original_begin(self, epoch, logs)

    monkeypatch.setattr(training._keras_classes()[1], "on_epoch_begin", recording_begin)
    model = _model(seed=SEED + 1)
    history = fit(model, x, y, xv, yv, epochs=epochs, batch_size=4, seed=SEED, checkpoint_dir=folder, verbose=0)
    assert started == [done, done + 1]  # 0-based: it started right after the last finished epoch
    assert set(history) == HISTORY_KEYS
    assert all(len(values) == epochs for values in history.values())
    for key, values in saved["history"].items():
        assert history[key][:done] == values  # the killed run's epochs, as it recorded them
    assert [p.name for p in _checkpoints(folder)] == [f"epoch-{epochs:04d}"]
    assert int(model.optimizer.iterations.numpy()) == epochs * 2  # 8 images, batch 4: 2 steps per epoch


def test_a_leftover_partial_checkpoint_is_ignored(tmp_path):
    folder = tmp_path / "checkpoint"
    model = _model()
    model.optimizer.build(model.trainable_variables)
    history = {"loss": [0.5, 0.4], "seconds": [1.0, 1.0]}
    save_checkpoint(model, folder, 2, history)
    partial = folder / "epoch-0003.partial"  # a run killed while writing epoch 3
    partial.mkdir()
    (partial / "model.weights.h5").write_bytes(b"truncated")
    (partial / "history.json").write_text('{"epoch": 3, "hist')

    fresh = _model(seed=SEED + 1)
    assert load_checkpoint(fresh, folder) == (2, history, [])
    _assert_same_weights(fresh, model)

    only_partial = tmp_path / "only-partial"
    (only_partial / "epoch-0001.partial").mkdir(parents=True)
    assert load_checkpoint(_model(), only_partial) == (0, {}, [])
    assert load_checkpoint(_model(), tmp_path / "missing") == (0, {}, [])


def test_the_checkpoint_layout_is_unchanged_and_leftovers_are_cleaned(tmp_path, umask022):
    """Runs of a campaign resume across versions: ``epoch-NNNN/{model.weights.h5, history.json}``, the newest only."""
    folder = tmp_path / "checkpoint"
    model = _model()
    model.optimizer.build(model.trainable_variables)
    history = {"loss": [0.5, 0.4], "seconds": [1.0, 1.0]}
    segments = [{"machine": "here", "first_epoch": 1, "last_epoch": 2, "seconds": 2.0}]
    save_checkpoint(model, folder, 1, {"loss": [0.5], "seconds": [1.0]})
    (folder / "epoch-0002.partial").mkdir()  # what killed writes left: the old name and the new one
    (folder / ".epoch-0002.0badf00d.partial").mkdir()
    assert save_checkpoint(model, folder, 2, history, segments) == folder / "epoch-0002"
    assert [p.name for p in folder.iterdir()] == ["epoch-0002"]
    assert sorted(p.name for p in (folder / "epoch-0002").iterdir()) == ["history.json", "model.weights.h5"]
    assert (folder / "epoch-0002" / "history.json").read_text() == json.dumps(
        {"epoch": 2, "history": history, "segments": segments})
    assert _mode(folder / "epoch-0002") == 0o755 and _mode(folder / "epoch-0002" / "model.weights.h5") == 0o644

    fresh = _model(seed=SEED + 1)
    assert load_checkpoint(fresh, folder) == (2, history, segments)
    _assert_same_weights(fresh, model)

    by_hand = tmp_path / "older" / "epoch-0003"  # a checkpoint as earlier versions wrote it
    by_hand.mkdir(parents=True)
    model.save_weights(by_hand / "model.weights.h5")
    (by_hand / "history.json").write_text(json.dumps({"epoch": 3, "history": history}))
    assert load_checkpoint(_model(seed=SEED + 2), by_hand.parent) == (3, history, [])


def test_save_model_weights_writes_only_the_weights_atomically(tmp_path, umask022):
    model = _model()
    path = tmp_path / "run" / "model.weights.h5"
    training.save_model_weights(model, path, lambda: build_model(MODEL, SIZE))
    assert [p.name for p in path.parent.iterdir()] == ["model.weights.h5"]
    assert _mode(path) == 0o644
    fresh = build_model(MODEL, SIZE)
    fresh.load_weights(path)
    _assert_same_weights(fresh, model)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def umask022():
    """Run the test under umask 022 (restored after)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_precision_policy_rejects_unknown_names_and_restores_the_previous_policy():
    original = keras.mixed_precision.global_policy().name
    try:
        with pytest.raises(ValueError, match="unknown precision 'float16'.*float32.*mixed_bfloat16"):
            with precision_policy("float16"):
                pass
        assert keras.mixed_precision.global_policy().name == original

        keras.mixed_precision.set_global_policy("float32")
        with precision_policy("mixed_bfloat16"):
            assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert keras.mixed_precision.global_policy().name == "float32"

        keras.mixed_precision.set_global_policy("mixed_bfloat16")  # a non-default previous policy
        with pytest.raises(RuntimeError):
            with precision_policy("float32"):
                assert keras.mixed_precision.global_policy().name == "float32"
                raise RuntimeError("restored even when the block fails")
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy(original)


def _batches(augment, seed=SEED, epoch=1):
    x, y, _, _ = _data(n=36)
    data = training._keras_classes()[0](x, y, batch_size=8, seed=seed, augment=augment)
    data.set_epoch(epoch)
    return x.copy(), y.copy(), x, y, [data[i] for i in range(len(data))]


def test_flip_mirrors_some_photos_of_each_epoch_l_and_ab_alike_and_reproducibly():
    x0, y0, x, y, plain = _batches("none")
    _, _, _, _, flipped = _batches("flip")
    _, _, _, _, again = _batches("flip")
    mirrored = kept = 0
    for (px, py), (fx, fy), (ax, ay) in zip(plain, flipped, again):
        np.testing.assert_array_equal(fx, ax)  # the same coins for the same (seed, epoch, batch)
        np.testing.assert_array_equal(fy, ay)
        for i in range(len(px)):
            if np.array_equal(fx[i], px[i]):
                np.testing.assert_array_equal(fy[i], py[i])
                kept += 1
            else:  # mirrored left-right: L and its ab together
                np.testing.assert_array_equal(fx[i], px[i][:, ::-1])
                np.testing.assert_array_equal(fy[i], py[i][:, ::-1])
                mirrored += 1
    assert mirrored and kept
    np.testing.assert_array_equal(x, x0)  # the training arrays themselves are never changed
    np.testing.assert_array_equal(y, y0)
    _, _, _, _, other_epoch = _batches("flip", epoch=2)
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(flipped, other_epoch))


def test_unknown_augmentations_and_losses_are_refused_in_one_line():
    x, y, _, _ = _data()
    with pytest.raises(ValueError, match="augment must be one of none, flip, not 'rotate'"):
        training._keras_classes()[0](x, y, 4, SEED, augment="rotate")
    from polychromify.training.experiments import Experiment
    with pytest.raises(ValueError, match="experiment bad: loss must be one of mse, mae, not 'huber'"):
        Experiment("bad", "polychromify", "beyond", "bad", loss="huber")


def test_an_l1_experiment_trains_with_mean_absolute_error():
    from polychromify.training.experiments import get_experiment
    from polychromify.training.runner import compile_for
    model = compile_for(get_experiment("polychromify_l1"), build_model("ae_v0", SIZE))
    x, y, _, _ = _data()
    pred = np.asarray(model.predict(x, verbose=0))
    loss = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(float(np.mean(np.abs(pred - y))), rel=1e-4)
    assert loss != pytest.approx(float(np.mean((pred - y) ** 2)), rel=1e-2)


def test_the_validation_curve_decides_when_a_patience_is_given():
    assert training.best_epoch({"val_loss": [0.5, 0.3, 0.3, 0.4]}) == 2  # the first of ties
    assert training.best_epoch({"loss": [0.5]}) is None
    assert training.stopped_early({"val_loss": [0.5, 0.3, 0.4, 0.35]}, patience=2)
    assert not training.stopped_early({"val_loss": [0.5, 0.3, 0.4]}, patience=2)
    assert not training.stopped_early({"val_loss": [0.5, 0.3, 0.4, 0.35]}, patience=None)
    assert training.training_done({"loss": [1, 1], "val_loss": [0.5, 0.4]}, epochs=2)
    assert not training.training_done({"loss": [1], "val_loss": [0.5]}, epochs=2, patience=1)
    with pytest.raises(ValueError, match="patience needs validation data"):
        fit(_model(), *_data()[:2], epochs=2, patience=1, verbose=0)


def _noisy():
    """Training data with a learnable link, and validation photos whose colours are noise: the validation loss
    soon stops improving."""
    x_train, y_train, x_val, y_val = _data(n=24)
    return x_train, y_train, x_val, np.random.default_rng(1).uniform(-1, 1, y_val.shape).astype("float32")


def test_a_patience_stops_training_and_keeps_the_best_epochs_weights_across_sittings(tmp_path):
    whole = _model()
    history = fit(whole, *_noisy(), epochs=30, batch_size=4, seed=SEED, verbose=0, patience=2)
    best = training.best_epoch(history)
    assert len(history["loss"]) == best + 2 < 30  # stopped two epochs after its best
    at_best = _model()
    fit(at_best, *_noisy(), epochs=best, batch_size=4, seed=SEED, verbose=0)
    _assert_same_weights(whole, at_best)  # and ended with the best epoch's weights, not the last

    folder = tmp_path / "checkpoint"
    fit(_model(), *_noisy(), epochs=30, batch_size=4, seed=SEED, verbose=0, patience=2, checkpoint_dir=folder,
        max_epochs_this_call=best + 1)
    assert (_checkpoints(folder)[-1] / "best.npz").is_file()
    resumed = _model(seed=SEED + 1)  # another process: the best weights come from the checkpoint
    assert fit(resumed, *_noisy(), epochs=30, batch_size=4, seed=SEED, verbose=0, patience=2,
               checkpoint_dir=folder)["loss"] == history["loss"]
    _assert_same_weights(resumed, at_best)
    again = _model(seed=SEED + 2)  # a sitting after it stopped trains nothing and still ends with the best weights
    assert len(fit(again, *_noisy(), epochs=30, batch_size=4, seed=SEED, verbose=0, patience=2,
                   checkpoint_dir=folder)["loss"]) == best + 2
    _assert_same_weights(again, at_best)
