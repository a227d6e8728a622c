"""Training throughput: images/s and achieved GFLOP/s of the final model (and ECCV16), float32 vs mixed_bfloat16.

What it measures: for each model and precision, the model is built and compiled by the package
(``runner.build``: Adam + MSE for PolyChromify, the rebalanced cross-entropy for ECCV16), then
trained with ``train_on_batch`` on random batches (L uniform in [0, 100], Y uniform in [-1, 1]).
The first step (tracing, XLA compilation) is timed separately and excluded; the throughput is the
batch size divided by the median of the timed steps.

FLOPs are counted analytically from the built model's layers: multiply-adds of Conv2D
(Ho*Wo*kh*kw*Cin/groups*Cout), Dense applied per pixel (pixels*in*units) and Conv2DTranspose
(Hi*Wi*kh*kw*Cin*Cout); batch norm, activations, upsampling and bias additions are ignored.
Forward FLOPs = 2 x MACs; a training step (forward + backward) = 3 x forward.

Run:  python benchmarks/train_throughput.py [--steps 10] [--image-size 128] [--models polychromify,eccv16]
      [--precisions float32,mixed_bfloat16] [--batch-size 32] [--eccv16-steps N] [--jit-compile]

Thread pools and oneDNN are set by the environment (TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS,
TF_ENABLE_ONEDNN_OPTS), so compare settings by running this script under each.

Measured 2026-12-02 on an Intel Xeon with AMX (2 cores, TensorFlow 2.21, Keras 3.15; the final model,
batch 32, 128 px; images/s):
    float32, defaults (oneDNN on, XLA off)    5.57
    float32, --jit-compile (XLA)              4.19
    float32, TF_NUM_INTEROP_THREADS=1         4.66   (also with TF_NUM_INTRAOP_THREADS=2: 4.69)
    float32, TF_ENABLE_ONEDNN_OPTS=0          2.31
    mixed_bfloat16, defaults                 12.92
    mixed_bfloat16, --jit-compile             3.98
The defaults are the fastest float32; bf16 on AMX is 2.3x faster, which is why the campaign's flexible runs
start in bf16 on such CPUs (polychromify.training.campaign). Two training processes at once share the two cores
badly (each about 2.4-5 images/s): the campaign trains one run at a time.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from polychromify.training.experiments import get_experiment
from polychromify.training.provenance import cpu_info  # noqa: E402
from polychromify.training.runner import build

TARGET_IMAGES_PER_S = 6.0  # the final model with bf16


def forward_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one image's forward pass through the model's Conv2D, Dense and Conv2DTranspose layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):  # before Conv2D: it is not a subclass, but be safe
            kh, kw, cout, cin = layer.kernel.shape
            _, hi, wi, _ = layer.input.shape
            total += hi * wi * kh * kw * cin * cout
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin_per_group, cout = layer.kernel.shape
            _, ho, wo, _ = layer.output.shape
            total += ho * wo * kh * kw * cin_per_group * cout
        elif isinstance(layer, keras.layers.Dense):
            units_in, units = layer.kernel.shape
            pixels = int(np.prod(layer.output.shape[1:-1]))  # a Dense layer acts on the last axis
            total += pixels * units_in * units
    return int(total)


def print_hardware_bound(cpu: dict, gflop_per_image: float) -> None:
    """What the target needs against an upper bound of this CPU's float32 arithmetic.

    The bound assumes two fused-multiply-add units per core of the widest vector width the CPU reports
    (AVX-512: 16 float32 lanes, AVX2: 8), i.e. the best case of current x86 cores.
    """
    flags = set(cpu["features"])
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    hw_bf16 = sorted(flags & {"avx512_bf16", "amx_bf16"})
    print(f"cpu: {cpu['model']}, {os.cpu_count()} cores at {cpu['mhz'] or 0:.0f} MHz; "
          f"vectors: {'AVX-512' if lanes == 16 else 'AVX2' if lanes == 8 else 'SSE'}; "
          f"hardware bf16: {', '.join(hw_bf16) if hw_bf16 else 'none (bf16 arithmetic is emulated)'}")
    if cpu["mhz"]:
        peak = os.cpu_count() * cpu["mhz"] / 1e3 * 2 * 2 * lanes  # cores x GHz x 2 FMA units x 2 FLOP x lanes
        need = TARGET_IMAGES_PER_S * gflop_per_image
        print(f"the target needs {need:.0f} GFLOP/s; this CPU's float32 peak is at most {peak:.0f} GFLOP/s"
              f"{' (the target is above it)' if need > peak else ''}")


def measure(name: str, precision: str, image_size: int, batch_size: int, steps: int, seed: int = 0,
            jit_compile: bool = False) -> dict:
    """Build, compile and train one model for 1 + steps batches; the timings and the FLOP count.
    ``jit_compile``: recompile it with XLA (Keras' ``jit_compile=True``; off on CPUs by default)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (batch_size, image_size, image_size, 1)).astype("float32")
    y = rng.uniform(-1, 1, (batch_size, image_size, image_size, 2)).astype("float32")
    keras.utils.set_random_seed(seed)
    model = build(get_experiment(name), image_size, precision, y_train=y)
    if jit_compile:
        model.compile(optimizer=model.optimizer, loss=model.loss, jit_compile=True)
    start = time.perf_counter()
    model.train_on_batch(x, y)  # warm-up: tracing and compilation
    warmup = time.perf_counter() - start
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    loss = float(np.ravel(loss)[0])
    step = statistics.median(times)
    flops = 3 * 2 * forward_macs(model)  # training FLOPs per image
    images_per_s = batch_size / step
    result = {"model": name, "precision": precision, "params": model.count_params(), "warmup_s": warmup,
              "step_s": step, "images_per_s": images_per_s, "gflop_per_image": flops / 1e9,
              "gflop_per_s": flops * images_per_s / 1e9, "steps": steps, "loss": loss}
    del model
    keras.backend.clear_session()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per model and precision (default 10)")
    parser.add_argument("--eccv16-steps", type=int, help="timed steps for ECCV16 (default: steps // 4, at least 2)")
    parser.add_argument("--image-size", type=int, default=128, help="input side in px (default 128, the paper's)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per step (default 32, the paper's)")
    parser.add_argument("--models", default="polychromify,eccv16", help="comma-separated experiment names")
    parser.add_argument("--precisions", default="float32,mixed_bfloat16", help="comma-separated precisions")
    parser.add_argument("--jit-compile", action="store_true", help="compile the training step with XLA")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # rows appear as they are measured, even in a log file

    devices = ", ".join(sorted({d.device_type for d in __import__("tensorflow").config.list_logical_devices()})) \
        if keras.backend.backend() == "tensorflow" else "?"
    print(f"backend: {keras.backend.backend()} (keras {keras.__version__}; devices: {devices}; "
          f"{os.cpu_count()} CPUs)")
    print(f"batch {args.batch_size}, {args.image_size} px, random data; median of the timed steps, "
          f"warm-up step excluded")
    print(f"target: >= {TARGET_IMAGES_PER_S:g} images/s for the final model with bf16")
    header = (f"{'model':14}{'precision':16}{'params':>12}{'steps':>6}{'warm-up s':>11}{'step s':>9}"
              f"{'images/s':>10}{'GFLOP/img':>11}{'GFLOP/s':>9}")
    print(header)
    print("-" * len(header))
    results = []
    for name in args.models.split(","):
        steps = args.steps
        if name == "eccv16":
            steps = args.eccv16_steps or max(2, args.steps // 4)
        for precision in args.precisions.split(","):
            r = measure(name, precision, args.image_size, args.batch_size, steps, jit_compile=args.jit_compile)
            results.append(r)
            print(f"{r['model']:14}{r['precision']:16}{r['params']:>12,}{r['steps']:>6}{r['warmup_s']:>11.1f}"
                  f"{r['step_s']:>9.3f}{r['images_per_s']:>10.2f}{r['gflop_per_image']:>11.2f}"
                  f"{r['gflop_per_s']:>9.1f}", flush=True)
    final = [r for r in results if r["model"] == "polychromify" and r["precision"] == "mixed_bfloat16"]
    mine = [r for r in results if r["model"] == "polychromify"]
    if mine and args.image_size == 128:
        print_hardware_bound(cpu_info(), mine[0]["gflop_per_image"])
    if final and args.image_size == 128:
        verdict = "met" if final[0]["images_per_s"] >= TARGET_IMAGES_PER_S else "NOT met"
        print(f"target {verdict}: {final[0]['images_per_s']:.2f} images/s for polychromify with mixed_bfloat16")


if __name__ == "__main__":
    main()
