#!/usr/bin/env bash
# Fill .gpu-wheels/ (git-ignored) with the Python wheels scripts/gpu_campaign.sh installs on the device
# machine, which reaches no package registry. Run it here, once, from the repository root:
#
#     bash scripts/gpu_wheels.sh              # wheels for the device's Python (3.12)
#     PYVER=3.11 WHEELS="$(mktemp -d)" bash scripts/gpu_wheels.sh   # for a local test of the install path
#
# What travels is small: keras and the two of its requirements the device's image lacks (namex, optree),
# about 2.9 MB. Everything else polychromify imports while training (numpy, scikit-image, scikit-learn,
# scipy, pillow, h5py, tqdm, absl-py, rich, ml-dtypes, packaging) and JAX with CUDA are in the image
# (the device tool's KINDS.md: JAX 0.11 with its CUDA 13 plugin). JAX cannot be carried: measured with
# `pip download --no-deps` for Linux x86-64, Python 3.12, JAX 0.10.2, the JAX wheels are 271 MB (jaxlib
# 85.5, jax-cuda12-pjrt 174.4, jax-cuda12-plugin 8.1, jax 3.2) and the nvidia-*-cu12 wheels they need
# 3,019 MB (cudnn 716, cublas 581, cusparse 367, nccl 352, cusolver 338, nvshmem 281, cufft 201, nvrtc 90,
# nvcc 41, nvjitlink 40, cupti 10, runtime 3.5), against 64 MiB for everything that travels.
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER=${PYVER:-3.12}
WHEELS=${WHEELS:-.gpu-wheels}
PYTHON=${PYTHON:-.venv/bin/python}
# The versions this checkout is tested with (its venv), so that the device trains with the same Keras.
version() { "$PYTHON" -c "import importlib.metadata as m; print(m.version('$1'))"; }
PINS=("keras==$(version keras)" "namex==$(version namex)" "optree==$(version optree)")

mkdir -p "$WHEELS"
rm -f "$WHEELS"/*.whl
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --implementation cp --python-version "$PYVER" \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$WHEELS" "${PINS[@]}"
[[ "$WHEELS" = /* ]] || git check-ignore -q "$WHEELS" \
    || echo "warning: $WHEELS is not git-ignored: it would travel uncarried and show as untracked" >&2
ls -l "$WHEELS"
du -sh "$WHEELS"
