"""The book's in-browser colorizer: seconds per photo for the exported ONNX graph.

Two measurements of the same graph (``polychromify.browser``), on a 1 MP (1152x864) and a 4 MP (2304x1728)
synthetic landscape:

- native onnxruntime in Python, on 1 thread and on every core: what the graph costs without a browser;
- onnxruntime-web in headless Chromium, WebAssembly: on 1 thread, as on a static page (a host like GitHub
  Pages cannot send the headers of cross-origin isolation), and on threads, served with those headers
  (the page then uses up to 4 threads): the time the page reports from the moment the photo is decoded
  to both canvases drawn. Needs Debian's chromium and chromium-driver, selenium, and onnxruntime-web
  (``make ort-web``).

Each number is the median of ``--repeat`` runs; the load average is printed because other processes on the
machine slow everything down.

Run: python benchmarks/browser_speed.py [--repeat 3] [--model pretrained]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from polychromify import browser, webpage  # noqa: E402
from polychromify.colorize import get_model  # noqa: E402
from polychromify.synthetic import synthetic_landscape  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the browser helpers of the tests
from browser_helpers import browser_missing, headless_chromium, local_ort_web, write_local_page  # noqa: E402

SIZES = {"1 MP": (1152, 864), "4 MP": (2304, 1728)}  # (width, height)
ORT_WEB = local_ort_web()


def photo(width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(synthetic_landscape(5, 1024)).resize((width, height), Image.Resampling.BICUBIC))


def median_seconds(session, rgb: np.ndarray, small: np.ndarray, repeat: int) -> float:
    """The median seconds of ``repeat`` runs of the graph's onnxruntime ``session`` on one photo, after a warm-up."""
    browser.run_onnx(session, rgb, small)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        browser.run_onnx(session, rgb, small)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def native(onnx: Path, size: int, photos: dict, repeat: int) -> None:
    import onnxruntime as ort
    for threads in (1, os.cpu_count() or 1):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(onnx), options)
        for label, rgb in photos.items():
            small = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS))
            print(f"onnxruntime (Python), {threads} thread{'s' if threads > 1 else ''}, {label}: "
                  f"{median_seconds(session, rgb, small, repeat):.2f} s")


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
                times.append(float(widget.get_attribute("data-seconds")))
            print(f"onnxruntime-web {webpage.ORT_WEB_VERSION} in Chromium (WebAssembly, {threads} "
                  f"thread{'s' if threads > 1 else ''}{', cross-origin isolated' if isolated else ''}), {label}: "
                  f"{statistics.median(times[1:]):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default=None, help="as `polychromify colorize --model`; default: pretrained")
    args = parser.parse_args()
    model = get_model(args.model)
    print(f"model: {model.label or model.experiment}, input {model.image_size} px; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    photos = {label: photo(*size) for label, size in SIZES.items()}
    with tempfile.TemporaryDirectory() as folder:
        onnx = browser.export_onnx(Path(folder) / "colorizer.onnx", model)
        print(f"ONNX graph: {onnx.stat().st_size / 1e6:.2f} MB")
        native(onnx, model.image_size, photos, args.repeat)
        in_chromium(onnx, model.image_size, photos, args.repeat)


if __name__ == "__main__":
    main()
