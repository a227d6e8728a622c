"""polychromify.training.parallel: data-parallel training through keras.distribution, checked on two CPU devices.

JAX can split the host CPU into several devices (``--xla_force_host_platform_device_count``), so the same
code path as on a multi-GPU host runs here, in a subprocess (the flag must be set before JAX starts).
"""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json
import keras
import numpy as np
from keras.src.backend.jax import distribution_lib

from polychromify.training.experiments import get_experiment
from polychromify.training.runner import build
from polychromify.training.parallel import data_parallel, describe_devices
from polychromify.training.provenance import environment
from polychromify.training.fit import fit, predict

rng = np.random.default_rng(0)
x = rng.uniform(0, 100, (64 + 3, 32, 32, 1)).astype("float32")
y = np.concatenate([np.tanh((x - 50) / 30), -0.5 * np.tanh((x - 40) / 20)], axis=-1).astype("float32")
placed = []  # (rows of the batch, rows each device holds) for every batch Keras placed


def train():
    keras.utils.set_random_seed(1)
    model = build(get_experiment("polychromify"), 32)
    before = [np.array(w) for w in model.get_weights()]
    history = fit(model, x[:64], y[:64], x[64:], y[64:], epochs=1, batch_size=16, verbose=0)
    changed = any(not np.array_equal(a, np.array(b)) for a, b in zip(before, model.get_weights()))
    return model, history, changed


out = {"devices": describe_devices()}
with data_parallel(batch_size=[32, 16]) as used:
    place = distribution_lib.distribute_data_input  # the context's: record what it does to each batch
    def recording(batch, layout, batch_dim_name):
        array = place(batch, layout, batch_dim_name)
        placed.append([int(batch.shape[0]), sorted(int(s.data.shape[0]) for s in array.addressable_shards)])
        return array
    distribution_lib.distribute_data_input = recording
    mesh = keras.distribution.distribution().device_mesh
    model, history, changed = train()
    kernel = model.trainable_variables[0].value
    out.update(used=used, mesh_devices=int(mesh.devices.size), history=history, changed=changed,
               kernel_devices=len(kernel.sharding.device_set), replicated=bool(kernel.sharding.is_fully_replicated),
               prediction=predict(model, x[64:], batch_size=32).tolist(), environment=environment())
    keras.backend.clear_session()
    out["after_clear_session"] = keras.distribution.distribution() is not None
out["after"] = keras.distribution.distribution() is None
out["placed"] = placed
single, history, _ = train()  # the same training on one device
out["single_history"] = history
out["single_prediction"] = predict(single, x[64:], batch_size=32).tolist()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def two_devices():
    """The script's report, run on JAX with the CPU split into two devices and no GPU."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("JAX is not installed (pip install jax): keras.distribution needs the JAX backend")
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_devices_share_the_training(two_devices):
    report = two_devices
    assert report["devices"]["count"] == 2 and report["devices"]["backend"] == "jax"
    assert report["used"].startswith("jax backend: data-parallel over 2 devices")
    assert report["mesh_devices"] == 2
    assert report["kernel_devices"] == 2 and report["replicated"]  # each variable is on both devices
    losses = report["history"]["loss"] + report["history"]["val_loss"]
    assert all(loss == loss and abs(loss) < 1e6 for loss in losses)  # finite
    assert report["changed"]


def test_batches_are_split_and_uneven_ones_replicated(two_devices):
    placed = two_devices["placed"]
    assert [16, [8, 8]] in placed                      # a training batch: 8 rows on each device
    assert [3, [3, 3]] in placed                       # 3 validation photos, which 2 do not divide: on both
    assert all(shards == [rows // 2] * 2 if rows % 2 == 0 else shards == [rows] * 2 for rows, shards in placed)


def test_two_devices_train_as_one_does(two_devices):
    """Splitting a batch changes only the order of float sums: the same loss and predictions as one device."""
    import numpy as np
    report = two_devices
    np.testing.assert_allclose(report["history"]["loss"], report["single_history"]["loss"], rtol=1e-3)
    np.testing.assert_allclose(report["history"]["val_loss"], report["single_history"]["val_loss"], rtol=1e-3)
    np.testing.assert_allclose(report["prediction"], report["single_prediction"], atol=1e-3)


def test_the_distribution_lives_as_long_as_the_context(two_devices):
    assert two_devices["after_clear_session"]  # the campaign clears the session between runs
    assert two_devices["after"]


def test_provenance_names_no_accelerator_on_cpu(two_devices):
    env = two_devices["environment"]
    assert env["backend"] == "jax" and "accelerators" not in env
    assert env["data_parallel"] == {"devices": 2, "platform": "cpu"}


def test_tensorflow_distributes_nothing():
    import keras

    from polychromify.training.parallel import data_parallel, describe_devices
    if keras.backend.backend() != "tensorflow":
        pytest.skip("this session's backend is not TensorFlow")
    with data_parallel(always=True) as used:
        assert keras.distribution.distribution() is None
    assert used.startswith("tensorflow backend: keras.distribution is not supported")
    assert describe_devices()["backend"] == "tensorflow"


def test_device_count_divides_the_batches():
    from polychromify.training.parallel import usable_device_count
    assert usable_device_count(8, [32, 16]) == 8
    assert usable_device_count(3, 32) == 2
    assert usable_device_count(1, [32, 16]) == 1


def test_a_copy_without_git_records_the_commit_it_is_given(tmp_path, monkeypatch):
    """A device machine gets the work tree without .git: its runs' provenance names the commit passed in."""
    from polychromify.training.provenance import GIT_COMMIT_ENV, git_commit
    monkeypatch.delenv(GIT_COMMIT_ENV, raising=False)
    assert git_commit(tmp_path) == "unknown"
    monkeypatch.setenv(GIT_COMMIT_ENV, "0123abc")
    assert git_commit(tmp_path) == "0123abc"


def test_the_commit_passed_in_wins_over_a_stale_git_in_the_copy(monkeypatch):
    """The H200's copy of the work tree carried the session's first .git: without the variable winning, the runs
    trained there recorded that older commit, '+dirty', instead of the one they ran."""
    from polychromify.training.provenance import GIT_COMMIT_ENV, git_commit
    monkeypatch.delenv(GIT_COMMIT_ENV, raising=False)
    here = git_commit()  # this checkout's own (a git work tree)
    monkeypatch.setenv(GIT_COMMIT_ENV, "0123abc")
    assert git_commit() == "0123abc" != here


def test_a_process_records_the_commit_it_started_from(tmp_path, monkeypatch):
    """A campaign trains for hours while the checkout moves on: its runs record the commit its code came from."""
    import subprocess

    from polychromify.training.provenance import GIT_COMMIT_ENV, git_commit
    monkeypatch.delenv(GIT_COMMIT_ENV, raising=False)
    git = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    (tmp_path / "f").write_text("1")
    git("add", "f")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    first = git_commit(tmp_path)
    (tmp_path / "f").write_text("2")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "two")
    assert git_commit(tmp_path) == first and not first.endswith("+dirty")
