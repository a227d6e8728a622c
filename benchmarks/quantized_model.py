"""Would an 8-bit model keep the quality of the book's colorizer? Size, speed and scores, float32 against int8.

The browser graph of ``polychromify.book.browser`` is exported twice, in float32 and with ``int8`` (the
network's convolutions quantized by onnxruntime's dynamic quantization: weights to 8 bits, activations
quantized on the fly; the small copy's L stays float32), and both graphs colorize the same photos with
native onnxruntime and ``colorize.merge``, as the page does with onnxruntime-web and its script. Printed:
the file sizes (what a phone downloads), the seconds of the graph on one thread, and on ``--photos`` photos of a folder
(default: the scenes-dev collection, photos unlike the training set) the ab scores of each graph's output
against the photo's own colours: AuC (Zhang's, thresholds 0 to 150), ab RMSE and the colourfulness
gap, and how far the two graphs' outputs lie apart in 8-bit levels.

Run: python benchmarks/quantized_model.py [--photos 100] [--folder ../shared/datasets/scenes-dev]
     [--model pretrained]
"""
import argparse
import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from timing import median_seconds  # noqa: E402  (beside this script)

from polychromify.book import browser
from polychromify.product import metrics  # noqa: E402
from polychromify.product.color import rgb_to_lab  # noqa: E402
from polychromify.product.images import load_rgb  # noqa: E402
from polychromify.training.cleaning import find_files  # noqa: E402
from polychromify.training.resolve import trained_model  # noqa: E402

SCENES_DEV = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "scenes-dev"


def session(path: Path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options)


def small_copy(rgb: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS))


def graph_seconds(graph, size: int, repeat: int = 3) -> float:
    rgb = np.random.default_rng(0).integers(0, 256, (size, size, 3), np.uint8)
    return median_seconds(lambda: browser.run_onnx(graph, rgb), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--folder", type=Path, default=SCENES_DEV)
    parser.add_argument("--model", default=None, help="as `polychromify colorize --model`; default: pretrained")
    args = parser.parse_args()
    model = trained_model(args.model)
    photos = find_files(args.folder)[0][: args.photos]
    if not photos:
        raise SystemExit(f"{args.folder}: no photos")
    with tempfile.TemporaryDirectory() as folder:
        paths = {"float32": browser.export_onnx(Path(folder) / "colorizer.onnx", model),
                 "int8": browser.export_onnx(Path(folder) / "colorizer.int8.onnx", model, int8=True)}
        graphs = {name: session(path) for name, path in paths.items()}
        print(f"model: {model.source}, input {model.image_size} px; "
              f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
              f"{len(photos)} photos of {args.folder.name}")
        truth, outputs = [], {name: [] for name in graphs}
        for path in photos:
            rgb = load_rgb(path)
            small = small_copy(rgb, model.image_size)
            truth.append(rgb_to_lab(rgb)[..., 1:].reshape(-1, 2))
            for name, graph in graphs.items():
                outputs[name].append(browser.colorize_like_the_page(graph, rgb, small))
        truth_rgb = [np.asarray(load_rgb(p), np.float32) / 255 for p in photos]
        for name in graphs:
            ab = np.concatenate([rgb_to_lab(o)[..., 1:].reshape(-1, 2) for o in outputs[name]])
            gap = statistics.mean(metrics.colorfulness_gap(t[None], (o / 255)[None])
                                  for t, o in zip(truth_rgb, outputs[name]))
            print(f"{name:8s} {paths[name].stat().st_size / 1e6:.2f} MB, "
                  f"graph {graph_seconds(graphs[name], model.image_size):.3f} s (1 thread); "
                  f"AuC {metrics.auc(np.concatenate(truth), ab):.4f}, "
                  f"ab RMSE {metrics.ab_rmse(np.concatenate(truth), ab):.2f}, colourfulness gap {gap:.2f}")
        levels = [np.abs(a.astype(np.int16) - b).mean() for a, b in zip(outputs["float32"], outputs["int8"])]
        print(f"int8 against float32: {statistics.mean(levels):.2f} 8-bit levels apart on average "
              f"(the worst photo {max(levels):.2f})")


if __name__ == "__main__":
    main()
