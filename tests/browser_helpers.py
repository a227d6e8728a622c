"""Checking the in-browser colorizer's page in a real browser: for tests/test_browser.py and
benchmarks/browser_speed.py, not part of the package.

``write_local_page`` writes the page of ``polychromify.book.webpage`` with onnxruntime-web served from a local copy
(``make ort-web`` fetches it from npm), ``headless_chromium`` serves a folder on localhost and opens it in
Debian's Chromium driven by selenium, and ``browser_missing`` says why that cannot run here.
"""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from pathlib import Path

from polychromify.book.webpage import (
    ORT_WEB_FILES,
    ORT_WEB_SRI,
    ORT_WEB_VERSION,
    page_html,
)

ORT_WEB_ENV = "POLYCHROMIFY_ORT_WEB"  # a local copy of onnxruntime-web's dist/ folder
ROOT = Path(__file__).resolve().parent.parent


def local_ort_web() -> Path:
    """onnxruntime-web's ``dist/`` folder for pages served without network: ``$POLYCHROMIFY_ORT_WEB``, else
    where ``make ort-web`` unpacks it (``.cache/`` of the repository)."""
    default = ROOT / ".cache" / f"onnxruntime-web-{ORT_WEB_VERSION}" / "package" / "dist"
    return Path(os.environ.get(ORT_WEB_ENV) or default)


def in_ci() -> bool:
    """Whether this is CI (``CI=true``, as CI services and ``.ci/run`` set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(missing: str | None) -> None:
    """Skip the test with ``missing`` (why the browser cannot run here); in CI fail instead: CI installs
    Chromium and onnxruntime-web, so a missing one is a broken check, never a reason to pass."""
    if missing:
        import pytest
        if in_ci():
            pytest.fail(f"{missing}; CI=true, where the browser, PDF and colorizer tests may not skip")
        pytest.skip(missing)


def browser_missing(ort_dist: Path | None = None) -> str | None:
    """Why the page cannot be opened in headless Chromium here (None: it can)."""
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    ort_dist = ort_dist or local_ort_web()
    if not (ort_dist / ORT_WEB_FILES[0]).is_file():
        return f"onnxruntime-web not found in {ort_dist} (make ort-web)"
    return None


def write_local_page(folder, onnx: bytes, image_size: int, ort_dist, example=None) -> Path:
    """A page with the colorizer in ``folder``, using the onnxruntime-web files of ``ort_dist`` (the package's
    ``dist/`` folder from npm) copied beside it, so that it works with no network. Returns the page."""
    folder = Path(folder)
    (folder / "ort").mkdir(parents=True, exist_ok=True)
    for name in ORT_WEB_FILES:
        shutil.copy(Path(ort_dist) / name, folder / "ort" / name)
    page = folder / "index.html"
    page.write_text("<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'></head>"
                    f"<body>{page_html(onnx, image_size, 'ort/' + ORT_WEB_FILES[0], example, ort_integrity=ORT_WEB_SRI)}"
                    "</body></html>")  # the CDN's hash: these bytes must pass the browser's integrity check
    return page


@contextlib.contextmanager
def headless_chromium(folder, logs: bool = False, isolated: bool = False):
    """Serve ``folder`` on localhost and open its index.html in headless Chromium (Debian's chromium and
    chromium-driver, driven by selenium): yields the selenium driver. With ``logs`` the driver keeps the
    console (``driver.get_log("browser")``) and the network requests (``driver.get_log("performance")``).
    With ``isolated`` the server sends the two headers that make a page cross-origin isolated (COOP and
    COEP), as a host that allows it would: then WebAssembly may use threads."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def end_headers(self):
            if isolated:
                self.send_header("Cross-Origin-Opener-Policy", "same-origin")
                self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            super().end_headers()
    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # the browser closing a connection early (a BrokenPipeError) is not the page's fault
    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(flag)
    if logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
        try:
            driver.base_url = f"http://127.0.0.1:{server.server_port}/"
            driver.get(driver.base_url + "index.html")
            yield driver
        finally:
            driver.quit()
    finally:
        server.shutdown()
