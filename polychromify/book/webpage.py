"""The web page of the in-browser colorizer: markup, the model embedded, and the script ``webpage.js``.

``colorizer_html`` is what the book's chapter *Colorize anything* shows; ``write_web_page`` writes the same
colorizer as a standalone page (``polychromify web``). The page loads onnxruntime-web on first use, from
``ort_url`` (the book serves its own copy, ``book_ort_url``; a standalone page uses the jsDelivr CDN), and
runs the ONNX graph of ``browser`` on the reader's device, in float32 or with ``int8`` quantized weights, and
merges its output with the photo in its own script. (Serving the page and opening it in headless Chromium
is for the tests and benchmarks only: ``tests/browser_helpers.py``.)
"""
from __future__ import annotations

import base64
import html
import io
import json
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from polychromify.book.browser import onnx_bytes
from polychromify.product.color import table_recipe
from polychromify.product.files import atomic_path
from polychromify.product.images import load_rgb
from polychromify.training.resolve import trained_model

__all__ = ["ORT_WEB_SRI", "ORT_WEB_URL", "ORT_WEB_VERSION", "book_ort_url", "colorizer_html", "page_html",
           "write_web_page"]

ORT_WEB_VERSION = "1.30.0"   # onnxruntime-web, from npm; its WebAssembly files load from beside the script
ORT_WEB_URL = f"https://cdn.jsdelivr.net/npm/onnxruntime-web@{ORT_WEB_VERSION}/dist/ort.wasm.min.js"
# Subresource Integrity of that file (the npm package's dist/ort.wasm.min.js, which the CDN serves unchanged;
# tests/test_browser.py checks it against the copy ``make ort-web`` fetches): the browser runs it only if it
# is those bytes
ORT_WEB_SRI = "sha384-Bw6URI+Gvoadw0do7/QrSHUC9D1vCYYK5OSqChFyhyV5mzPL4oe2rOAFljAnS8Sq"
SCRIPT = Path(__file__).resolve().parent / "webpage.js"
# What the page loads of onnxruntime-web's dist/: the script and the WebAssembly runtime it imports beside it.
ORT_WEB_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
BOOK_STATIC = Path("book") / "_static"    # the book's static folder (``html_static_path``), under its root


def ort_web_dist(root: Path) -> Path:
    """Where ``make ort-web`` unpacks onnxruntime-web from npm: ``<root>/.cache/onnxruntime-web-<v>/package/dist``."""
    return Path(root) / ".cache" / f"onnxruntime-web-{ORT_WEB_VERSION}" / "package" / "dist"


def book_ort_url(root: Path | None = None, log=None) -> str:
    """The ``ort_url`` of the book's colorizer: onnxruntime-web served from the book itself (copied into its
    static folder, ``_static/ort/``, which the executed chapters reach as ``../../_static/ort/``), so a reader
    offline or behind a firewall gets a working page. ``root``: the book's root (default: the current
    folder, where the build executes the notebooks). Without a local copy (``make ort-web``), the CDN's URL,
    with a warning on ``log`` (default: stderr)."""
    import shutil
    import sys
    root = Path(root or Path.cwd())
    dist, dest = ort_web_dist(root), root / BOOK_STATIC / "ort"
    if not all((dist / name).is_file() for name in ORT_WEB_FILES):
        print(f"polychromify: onnxruntime-web {ORT_WEB_VERSION} is not in {dist} (make ort-web): the book's "
              f"colorizer loads it from a CDN and will not work offline", file=log or sys.stderr)
        return ORT_WEB_URL
    for name in ORT_WEB_FILES:
        target = dest / name
        if not target.is_file() or target.stat().st_size != (dist / name).stat().st_size:
            with atomic_path(target) as tmp:
                shutil.copyfile(dist / name, tmp)
    return f"../../_static/ort/{ORT_WEB_FILES[0]}"


def page_html(onnx: bytes, image_size: int, ort_url: str = ORT_WEB_URL, example=None,
              example_name: str = "example.jpg", ort_integrity: str | None = None) -> str:
    """The colorizer for a web page: markup, the model (embedded, so that a book opened from disk works too),
    the constants of ``color``'s lookup tables and the script of ``webpage.js``. Only onnxruntime-web is
    fetched, from ``ort_url``, on first use.

    ``example``: an optional uint8 RGB photo the reader can try with one click (embedded as a JPEG).
    ``ort_integrity``: the script's Subresource Integrity hash (default: ``ORT_WEB_SRI`` for the CDN's copy).
    """
    integrity = ort_integrity or (ORT_WEB_SRI if ort_url == ORT_WEB_URL else "")
    root = f"polychromify-{uuid.uuid4().hex[:8]}"
    sample = ""
    if example is not None:
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(example, np.uint8)).save(buffer, format="JPEG", quality=90)
        url = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
        sample = (f'<button type="button" data-role="example" data-src="{url}" '
                  f'data-name="{html.escape(example_name)}">Try an example</button>')
    figure = 'style="margin: 0; flex: 1 1 0; min-width: 12em"'
    canvas = 'style="max-width: 100%; height: auto; border: 1px solid #ccc"'
    return f"""<div id="{root}" class="polychromify-colorizer" data-size="{int(image_size)}" \\
data-ort="{html.escape(ort_url)}" data-ort-integrity="{html.escape(integrity)}" data-state="idle">
<p><input type="file" accept="image/*" data-role="file"> {sample}
<label>chroma <input type="range" min="0" max="2" step="0.05" value="1" data-role="chroma">
<span data-role="chroma-value">1.00</span></label>
<button type="button" data-role="save" disabled>Save the result</button></p>
<p data-role="status" aria-live="polite"></p>
<div style="display: flex; gap: 1em; flex-wrap: wrap">
<figure {figure}><canvas data-role="gray" {canvas}></canvas><figcaption>lightness only: what the network
sees</figcaption></figure>
<figure {figure}><canvas data-role="result" {canvas}></canvas><figcaption>colorized</figcaption></figure>
</div>
<script type="application/octet-stream" data-role="model">{base64.b64encode(onnx).decode()}</script>
<script type="application/json" data-role="colour">{json.dumps(table_recipe())}</script>
</div>
<script>{SCRIPT.read_text()}</script>
<script>polychromifyColorizer(document.getElementById("{root}"));</script>
"""


def colorizer_html(model=None, example=None, ort_url: str = ORT_WEB_URL, int8: bool = False) -> str:
    """``page_html`` for ``model`` (as ``resolve.trained_model``; None: the pretrained one), with ``example``
    (a path, PIL image or array, as ``colorize``) turned black and white, as a reader's old photo would be;
    ``int8``: the model's weights quantized to 8 bits (``browser.export_onnx``)."""
    resolved = trained_model(model)
    if example is not None:
        example = np.asarray(Image.fromarray(load_rgb(example)).convert("L").convert("RGB"))
    return page_html(onnx_bytes(resolved, int8), resolved.image_size, ort_url, example)


def write_web_page(path, model=None, force: bool = False, title: str = "PolyChromify: colorize a photo",
                   int8: bool = False) -> Path:
    """A standalone web page with the colorizer of ``model`` (None: the pretrained one), for anyone to host or
    open from disk (``polychromify web``); ``int8``: its weights quantized to 8 bits, a third of the size.
    Written through a temporary file; an existing file is kept unless ``force``."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"{path}: the page must end in .html")
    if path.exists() and not force:
        raise FileExistsError(f"{path}: exists (use --force to overwrite)")
    model = trained_model(model)
    with atomic_path(path) as tmp:
        tmp.write_text(f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
                       f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
                       f"<title>{html.escape(title)}</title></head>\n<body style='font-family: sans-serif; "
                       f"max-width: 60em; margin: 1em auto; padding: 0 1em'>\n<h1>{html.escape(title)}</h1>\n"
                       f"<p>Choose a black-and-white landscape photo: it is colorized on this device, nothing is "
                       f"uploaded. Model: {html.escape(model.source)}"
                       f"{', weights quantized to 8 bits' if int8 else ''}.</p>\n"
                       f"{colorizer_html(model, int8=int8)}</body></html>\n", encoding="utf-8")
    return path
