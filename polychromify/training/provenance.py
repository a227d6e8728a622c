"""Provenance: which code and which machine computed a result. The git commit (of the checkout, or
``$POLYCHROMIFY_GIT_COMMIT`` for a work tree copied without its .git), the versions, the CPU and its features,
and on JAX the accelerators. Every finished run and every study records ``environment()``."""
from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

from polychromify import __version__
from polychromify.training.parallel import accelerator_kinds

GIT_COMMIT_ENV = "POLYCHROMIFY_GIT_COMMIT"  # the commit of a work tree copied without its .git


def git_commit(cwd: Path | None = None) -> str:
    """The commit of the code this process runs, with '+dirty' when the work tree had changes; 'unknown' outside
    git. Read once per process and folder (at the first call, soon after the code was imported): a campaign
    that trains for hours records the commit it started from, not wherever the checkout has moved since.
    ``$POLYCHROMIFY_GIT_COMMIT``, when set, comes first: a copy of the work tree (what a device machine gets)
    may carry no ``.git`` or an older one (seen on the H200: the session's first commit, so '+dirty')."""
    if os.environ.get(GIT_COMMIT_ENV):
        return os.environ[GIT_COMMIT_ENV]
    return _git_commit(str(cwd or Path(__file__).resolve().parent))


@functools.lru_cache(maxsize=None)
def _git_commit(where: str) -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


CPU_FEATURES = ("fma", "avx2", "avx512f", "avx512_bf16", "amx_bf16")  # what decides float32/bf16 training speed


def cpu_info(cpuinfo: str | Path = "/proc/cpuinfo") -> dict:
    """The CPU's model, clock (MHz) and which of ``CPU_FEATURES`` it has (Linux; "?" and none elsewhere)."""
    info = {"model": "?", "mhz": None, "features": []}
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return info
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "model name" and info["model"] == "?":
            info["model"] = value
        elif key == "cpu MHz" and info["mhz"] is None:
            info["mhz"] = float(value)
        elif key == "flags" and not info["features"]:
            info["features"] = [f for f in CPU_FEATURES if f in value.split()]
    return info


def environment() -> dict:
    """Versions of what computed a result, and the machine it ran on."""
    import keras
    import numpy

    backend = keras.backend.backend()
    versions = {"polychromify": __version__, "keras": keras.__version__, "numpy": numpy.__version__,
                "python": platform.python_version()}
    try:
        versions[backend] = importlib.metadata.version(backend)
    except importlib.metadata.PackageNotFoundError:
        pass
    env = {"backend": backend, "versions": versions, "git_commit": git_commit(),
           "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                       "cpus": os.cpu_count(), "cpu": cpu_info()}}
    return env | _devices(backend)


def _devices(backend: str) -> dict:
    """On JAX: the accelerators' kinds (one per device, e.g. "NVIDIA H200"; none on a CPU) with the float32
    matrix precision asked of them (``jax_default_matmul_precision``: "default" lets a GPU use TF32) and,
    while ``parallel.data_parallel`` is active, over how many devices the batches are split."""
    if backend != "jax":
        return {}
    import jax
    import keras

    out = {}
    kinds = accelerator_kinds()
    if kinds:
        out["accelerators"] = kinds
        out["matmul_precision"] = str(jax.config.jax_default_matmul_precision or "default")
    distribution = keras.distribution.distribution()
    if distribution is not None:
        devices = distribution.device_mesh.devices
        out["data_parallel"] = {"devices": int(devices.size), "platform": str(devices.flat[0]).split(":")[0]}
    return out
