"""The same code trains and evaluates on the JAX backend (TensorFlow is the default everywhere else)."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
import keras
from polychromify.training.runner import run_experiment
out = {}
for name in ["polychromify", "eccv16"]:
    run = run_experiment(name, "smoke", results_dir=sys.argv[1], verbose=0, image_size=16, max_images=24, epochs=1)
    out[name] = {"finished": run.finished, "backend": run.provenance["backend"],
                 "accuracy": run.metrics["model"]["test"]["accuracy"], "loss": run.history["loss"]}
print(json.dumps({"backend": keras.backend.backend(), "runs": out}))
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install jax)")
def test_experiments_run_on_jax(tmp_path, monkeypatch):
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("POLYCHROMIFY_DATA", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax"
    for name, run in report["runs"].items():
        assert run["finished"] and run["backend"] == "jax", name
        assert 0.0 <= run["accuracy"] <= 1.0
        assert all(loss == loss and loss < 1e3 for loss in run["loss"])  # finite
