"""The book's in-browser colorizer: seconds per photo, the network's graph (``polychromify.book.browser``) and the
full-resolution merge, on a 1 MP (1152x864) and a 4 MP (2304x1728) synthetic landscape:

- in Python, native onnxruntime and ``colorize.merge``, on 1 thread and on every core: what the same work
  costs without a browser;
- the page in headless Chromium, onnxruntime-web (WebAssembly) and the page's script: on 1 thread, as on a
  static page (a host like GitHub Pages cannot send the headers of cross-origin isolation), and on
  threads, served with those headers
  (the page then uses up to 4 threads): the time the page reports from the moment the photo is decoded
  to both canvases drawn. Needs Debian's chromium and chromium-driver, selenium, and onnxruntime-web
  (``make ort-web``).

Each number is the median of ``--repeat`` runs; the load average is printed because other processes on the
machine slow everything down.

The graph is the book's (weights quantized to 8 bits), or float32 with ``--float32``.

Run: python benchmarks/browser_speed.py [--repeat 3] [--model pretrained] [--float32]
"""
import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from polychromify.book import browser, webpage  # noqa: E402
from polychromify.product.colorize import merge  # noqa: E402
from polychromify.training.resolve import trained_model  # noqa: E402
from polychromify.training.synthetic import synthetic_landscape  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the browser helpers of the tests
from browser_helpers import (  # noqa: E402
    browser_missing,
    headless_chromium,
    local_ort_web,
    write_local_page,
)
from timing import median_seconds  # noqa: E402  (beside this script)

SIZES = {"1 MP": (1152, 864), "4 MP": (2304, 1728)}  # (width, height)
ORT_WEB = local_ort_web()


def photo(width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(synthetic_landscape(5, 1024)).resize((width, height), Image.Resampling.BICUBIC))


def native(onnx: Path, size: int, photos: dict, repeat: int) -> None:
    import onnxruntime as ort
    for threads in (1, os.cpu_count() or 1):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(onnx), options)
        plural = "s" if threads > 1 else ""
        for label, rgb in photos.items():
            small = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS))
            graph = median_seconds(lambda: browser.run_onnx(session, small), repeat)
            ab = browser.run_onnx(session, small)
            merged = median_seconds(lambda: merge(rgb, ab, workers=threads), repeat)
            print(f"onnxruntime and colorize.merge (Python), {threads} thread{plural}, {label}: "
                  f"{graph + merged:.2f} s (graph {graph:.3f} s, merge {merged:.3f} s)")


def in_chromium(onnx: Path, size: int, photos: dict, repeat: int) -> None:
    missing = browser_missing(ORT_WEB)
    if missing:
        print(f"onnxruntime-web in Chromium: skipped ({missing})")
        return
    with tempfile.TemporaryDirectory() as folder:
        write_local_page(folder, onnx.read_bytes(), size, ORT_WEB)
        for label, rgb in photos.items():
            Image.fromarray(rgb).save(Path(folder) / f"{label.replace(' ', '')}.png")
        for isolated in (False, True):
            measure_page(folder, photos, repeat, isolated)


def measure_page(folder, photos: dict, repeat: int, isolated: bool) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    with headless_chromium(folder, isolated=isolated) as driver:
        threads = driver.execute_script(
            "return self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1")
        if isolated and threads == 1:
            print("onnxruntime-web in Chromium, cross-origin isolated: one core only, nothing to add")
            return
        widget = driver.find_element(By.CSS_SELECTOR, ".polychromify-colorizer")
        for label in photos:
            times = []
            for _ in range(repeat + 1):  # the first run loads onnxruntime-web and the model
                driver.execute_script("arguments[0].dataset.state = 'waiting'", widget)
                widget.find_element(By.CSS_SELECTOR, '[data-role="file"]').send_keys(
                    str(Path(folder) / f"{label.replace(' ', '')}.png"))
                WebDriverWait(driver, 600).until(lambda _: widget.get_attribute("data-state") in ("done", "error"))
                if widget.get_attribute("data-state") == "error":
                    raise RuntimeError(widget.find_element(By.CSS_SELECTOR, '[data-role="status"]').text)
                times.append([float(widget.get_attribute(f"data-{part}seconds"))
                              for part in ("", "network-", "merge-")])
            total, network, merged = (statistics.median(t[i] for t in times[1:]) for i in range(3))
            print(f"onnxruntime-web {webpage.ORT_WEB_VERSION} in Chromium (WebAssembly, {threads} "
                  f"thread{'s' if threads > 1 else ''}{', cross-origin isolated' if isolated else ''}), {label}: "
                  f"{total:.2f} s (network {network:.3f} s, merge and drawing {merged:.3f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default=None, help="as `polychromify colorize --model`; default: pretrained")
    parser.add_argument("--float32", action="store_true", help="the float32 graph, not the book's 8-bit one")
    args = parser.parse_args()
    model = trained_model(args.model)
    print(f"model: {model.source}, input {model.image_size} px; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    photos = {label: photo(*size) for label, size in SIZES.items()}
    with tempfile.TemporaryDirectory() as folder:
        onnx = browser.export_onnx(Path(folder) / "colorizer.onnx", model, int8=not args.float32)
        print(f"ONNX graph ({'float32' if args.float32 else 'weights in 8 bits'}): {onnx.stat().st_size / 1e6:.2f} MB")
        native(onnx, model.image_size, photos, args.repeat)
        in_chromium(onnx, model.image_size, photos, args.repeat)


if __name__ == "__main__":
    main()
