"""The book's in-browser colorizer: the ONNX graph and the page's merge equal ``colorize``, and the page works in
a real browser.

The graph is checked with onnxruntime against ``colorize.predict_small_ab``, the page's merge (its JavaScript)
against ``colorize.merge`` and its tables against ``color``'s. The page is driven in headless Chromium
(Debian's chromium and chromium-driver, with selenium) against onnxruntime-web from npm; that test skips
when one of them is missing (``make ort-web`` fetches onnxruntime-web into ``.cache/``; ``.ci/run`` installs
everything).
"""
import base64
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from browser_helpers import (
    browser_missing,
    headless_chromium,
    in_ci,
    local_ort_web,
    require,
    write_local_page,
)
from PIL import Image

from polychromify.book import browser, webpage
from polychromify.product.trained import TrainedModel, load_model
from polychromify.training.synthetic import synthetic_landscape

if in_ci():  # CI installs [dev]: a missing one fails the module instead of skipping it
    import onnx
    import onnxruntime as ort
else:
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -e '.[dev]')")
    onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install -e '.[dev]')")
colorize_module = sys.modules["polychromify.product.colorize"]
ORT_WEB = local_ort_web()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The shipped pretrained model's browser graph: (path, onnxruntime session, model size)."""
    path = browser.export_onnx(tmp_path_factory.mktemp("onnx") / "colorizer.onnx")
    return path, ort.InferenceSession(str(path)), load_model().image_size


def _photo(height, width, seed=2):
    return np.asarray(Image.fromarray(synthetic_landscape(seed, 128)).resize((width, height)))


def _small(rgb, size):
    """The small copy as ``colorize.predict_small_ab`` makes it."""
    return np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0))


def _levels(a, b):
    return np.abs(a.astype(int) - b.astype(int))


def test_graph_is_the_networks_ab_of_the_small_copy(exported):
    _, session, size = exported
    assert [i.name for i in session.get_inputs()] == list(browser.INPUTS)
    assert [o.name for o in session.get_outputs()] == list(browser.OUTPUTS)
    rgb = _photo(97, 133)
    small = _small(rgb, size)
    ab = browser.run_onnx(session, small)
    assert ab.shape == (size, size, 2) and ab.dtype == np.float32
    # predict_small_ab resizes with the same Lanczos filter: the same small copy, the same prediction
    assert np.abs(ab - colorize_module.predict_small_ab(rgb)).max() < 0.01
    assert np.abs(ab).max() > 5                         # it predicts colour


@pytest.mark.parametrize("shape", [(97, 133), (256, 256), (5, 3)])
def test_graph_and_merge_equal_colorize_within_one_level(exported, shape):
    _, session, size = exported
    rgb = _photo(*shape)
    out = browser.colorize_like_the_page(session, rgb, _small(rgb, size))
    assert out.shape == rgb.shape
    assert _levels(out, colorize_module.colorize(rgb)).max() <= 1
    assert _levels(out, rgb).max() > 5  # it did change the colours


def test_alpha_is_ignored(exported):
    _, session, size = exported
    small = _small(_photo(40, 60), size)
    clear = np.concatenate([small, np.zeros((size, size, 1), np.uint8)], axis=-1)
    assert (browser.run_onnx(session, clear) == browser.run_onnx(session, small)).all()


JAX_SCRIPT = """
import sys, keras, numpy as np
from PIL import Image
from polychromify.book import browser
from polychromify.training.synthetic import synthetic_landscape
colorize = sys.modules["polychromify.product.colorize"]
rgb = np.asarray(Image.fromarray(synthetic_landscape(2, 128)).resize((133, 97)))
graph = browser.build_browser_model()
size = graph.inputs[0].shape[1]
small = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0))
rgba = np.concatenate([small, np.full(small.shape[:-1] + (1,), 255, np.uint8)], axis=-1)[None]
ab = np.asarray(graph(rgba)["ab"])[0]
print(keras.backend.backend(), float(np.abs(ab - colorize.predict_small_ab(rgb)).max()))
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install jax)")
def test_graph_runs_on_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", JAX_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    backend, difference = result.stdout.split()[-2:]
    assert backend == "jax" and float(difference) < 0.01


def test_eccv16_is_refused_with_a_reason():
    bins = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(313, 1)])
    with pytest.raises(ValueError, match="313 colour bins"):
        browser.build_browser_model(TrainedModel(bins, "eccv16_zhang", "eccv16_zhang", "eccv16_zhang test"))


def test_export_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "colorizer.onnx"
    target.write_bytes(b"previous")
    model = TrainedModel(keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 1)]), "polychromify",
                         "polychromify", "test")

    def fail(self, *args, **kwargs):
        Path(args[0]).write_bytes(b"half")
        raise RuntimeError("export failed")
    monkeypatch.setattr(keras.Model, "export", fail)
    with pytest.raises(RuntimeError):
        browser.export_onnx(target, model)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["colorizer.onnx"]


@pytest.fixture(scope="module")
def exported_int8(tmp_path_factory):
    """The same graph with its weights quantized to 8 bits: (path, onnxruntime session)."""
    path = browser.export_onnx(tmp_path_factory.mktemp("onnx8") / "colorizer.int8.onnx", int8=True)
    return path, ort.InferenceSession(str(path))


def test_int8_graph_is_a_third_of_the_size_and_colours_within_a_few_levels(exported, exported_int8):
    path, session, size = exported
    path8, session8 = exported_int8
    assert path8.stat().st_size < 0.4 * path.stat().st_size
    assert [p.name for p in path8.parent.iterdir()] == [path8.name]  # the float32 intermediate is gone
    rgb = _photo(120, 160)
    small = _small(rgb, size)
    full, int8 = (browser.colorize_like_the_page(s, rgb, small) for s in (session, session8))
    assert _levels(int8, rgb).max() > 5                      # it colorizes
    assert _levels(int8, full).mean() < 3                    # close to the float32 graph


def test_the_standalone_page_pins_onnxruntime_web_by_its_hash(tmp_path):
    """The page of ``polychromify web`` loads onnxruntime-web from the CDN with Subresource Integrity, and the
    hash is that of the npm package's file (the CDN serves npm's files unchanged)."""
    import hashlib
    page = webpage.write_web_page(tmp_path / "page.html", model=None)
    text = page.read_text()
    assert f'data-ort="{webpage.ORT_WEB_URL}" data-ort-integrity="{webpage.ORT_WEB_SRI}"' in text
    assert "script.integrity = integrity" in text
    local = local_ort_web() / webpage.ORT_WEB_FILES[0]
    require(None if local.is_file() else f"onnxruntime-web not found in {local.parent} (make ort-web)")
    digest = base64.b64encode(hashlib.sha384(local.read_bytes()).digest()).decode()
    assert webpage.ORT_WEB_SRI == f"sha384-{digest}"


def test_page_embeds_model_and_example():
    html = webpage.page_html(b"\x00model", 64, example=_photo(10, 10))
    assert base64.b64encode(b"\x00model").decode() in html
    assert webpage.ORT_WEB_URL in html and "data:image/jpeg;base64," in html
    assert html.count('data-role="') >= 8 and "polychromifyColorizer(" in html


# ---------------------------------------------------------------- the page in headless Chromium

@pytest.fixture(scope="module")
def page(exported, tmp_path_factory):
    """The colorizer page served on localhost, open in headless Chromium: (driver, widget element, folder)."""
    missing = browser_missing(ORT_WEB)
    require(missing)
    from selenium.webdriver.common.by import By
    folder = tmp_path_factory.mktemp("page")
    path, _, size = exported
    write_local_page(folder, path.read_bytes(), size, ORT_WEB, example=_photo(64, 96))
    with headless_chromium(folder) as driver:
        yield driver, driver.find_element(By.CSS_SELECTOR, ".polychromify-colorizer"), folder


def _wait(driver, widget, states=("done", "error"), timeout=120):
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, timeout).until(lambda _: widget.get_attribute("data-state") in states)
    return widget.get_attribute("data-state")


def _role(widget, role):
    from selenium.webdriver.common.by import By
    return widget.find_element(By.CSS_SELECTOR, f'[data-role="{role}"]')


def _canvas(driver, widget, role):
    url = driver.execute_script(f"return arguments[0].querySelector('[data-role=\"{role}\"]').toDataURL()", widget)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def _upload(driver, widget, path):
    driver.execute_script("arguments[0].dataset.state = 'waiting'", widget)
    _role(widget, "file").send_keys(str(path))
    return _wait(driver, widget)


def _from_js(driver, script, *args):
    """Run ``script`` (its last value: a typed array) in the page; its bytes back as a NumPy array."""
    encoded = driver.execute_script(script + """
        const bytes = new Uint8Array(result.buffer, result.byteOffset, result.byteLength);
        let text = "";
        for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
        return btoa(text);""", *args)
    return np.frombuffer(base64.b64decode(encoded), np.uint8)


TABLES_JS = """
    const tables = polychromifyColourTables(arguments[0]);
    const result = {y: new Float32Array([...tables.y[0], ...tables.y[1], ...tables.y[2]]), L: tables.L,
                    encode: tables.encode}[arguments[1]];"""


def test_page_builds_colors_lookup_tables_bit_for_bit(page):
    from polychromify.product import color
    driver, _, _ = page
    expected = color.lookup_tables()
    for name, dtype in (("y", np.float32), ("L", np.float32), ("encode", np.uint8)):
        table = _from_js(driver, TABLES_JS, color.table_recipe(), name).view(dtype)
        assert np.array_equal(table, expected[name].ravel()), name


MERGE_JS = """
    const [recipe, rgbaText, width, height, abText, size, chroma, which] = arguments;
    const decode = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const ab = new Float32Array(decode(abText).buffer);
    const result = polychromifyMerge(polychromifyColourTables(recipe), decode(rgbaText), width, height, ab, size,
                                     chroma)[which];"""


@pytest.mark.parametrize("chroma", [1.0, 0.5, 2.0, 0.0])
def test_page_merges_like_colorize_merge(page, chroma):
    """The page's JavaScript merge against ``colorize.merge`` on the same photo and ab: the same float32
    arithmetic and tables, so all but a few pixel values are identical and none is more than one level off
    (a float32 sum that rounds the other way lands on the next row of a 65536-row table)."""
    from polychromify.product import color
    driver, _, _ = page
    rng = np.random.default_rng(3)
    height, width, size = 150, 210, 32
    rgb = np.concatenate([_photo(height, width, seed=4)[:75], rng.integers(0, 256, (75, width, 3), np.uint8)])
    ab = np.concatenate([colorize_module.predict_small_ab(rgb)[::4, ::4][:16],
                         rng.uniform(-110, 110, (16, size, 2))]).astype(np.float32)   # predicted, and extreme
    rgba = np.concatenate([rgb, np.full((height, width, 1), 255, np.uint8)], axis=-1)
    args = [color.table_recipe(), base64.b64encode(rgba.tobytes()).decode(), width, height,
            base64.b64encode(ab.tobytes()).decode(), size, chroma]
    colour = _from_js(driver, MERGE_JS, *args, "rgba").reshape(height, width, 4)
    gray = _from_js(driver, MERGE_JS, *args, "gray").reshape(height, width, 4)
    assert (colour[..., 3] == 255).all() and (gray[..., 3] == 255).all()
    expected = colorize_module.merge(rgb, ab, chroma)
    off = _levels(colour[..., :3], expected)
    assert off.max() <= 1 and (off > 0).mean() < 1e-3, (off.max(), (off > 0).mean())
    assert np.array_equal(gray[..., :3], colorize_module.merge(rgb, ab, 0.0))
    if chroma == 0.0:
        assert np.array_equal(colour, gray)


def test_page_colorizes_an_upload_like_python(page):
    driver, widget, folder = page
    rgb = _photo(150, 210, seed=4)
    Image.fromarray(rgb).save(folder / "photo.png")
    assert _upload(driver, widget, folder / "photo.png") == "done", _role(widget, "status").text
    assert "photo.png: 210 × 150 px" in _role(widget, "status").text
    result, gray = _canvas(driver, widget, "result"), _canvas(driver, widget, "gray")
    assert result.shape == gray.shape == rgb.shape
    # Only the small copy differs (the browser's resampling, not Lanczos): a few levels at most.
    assert np.abs(result.astype(int) - colorize_module.colorize(rgb)).mean() < 1.0
    assert _levels(gray, colorize_module.colorize(rgb, chroma=0.0)).max() <= 1
    assert _role(widget, "save").is_enabled()
    assert float(widget.get_attribute("data-seconds")) > 0


def test_page_chroma_slider_reruns(page):
    driver, widget, folder = page
    Image.fromarray(_photo(80, 120, seed=5)).save(folder / "slider.png")
    assert _upload(driver, widget, folder / "slider.png") == "done"
    driver.execute_script("const s = arguments[0]; s.value = '0'; arguments[1].dataset.state = 'waiting';"
                          "s.dispatchEvent(new Event('input'));", _role(widget, "chroma"), widget)
    assert _wait(driver, widget) == "done"
    assert _role(widget, "chroma-value").text == "0.00"
    assert (_canvas(driver, widget, "result") == _canvas(driver, widget, "gray")).all()


def test_page_example_button(page):
    driver, widget, _ = page
    driver.execute_script("arguments[0].dataset.state = 'waiting'", widget)
    _role(widget, "example").click()
    assert _wait(driver, widget) == "done"
    assert _canvas(driver, widget, "result").shape == (64, 96, 3)


def test_page_bad_file_says_why_and_next_file_works(page):
    driver, widget, folder = page
    (folder / "notes.jpg").write_text("not an image")
    assert _upload(driver, widget, folder / "notes.jpg") == "error"
    assert _role(widget, "status").text.startswith("notes.jpg: not an image this browser can read")
    assert not _role(widget, "save").is_enabled()
    Image.fromarray(_photo(30, 40)).save(folder / "after.png")
    assert _upload(driver, widget, folder / "after.png") == "done"


# ---------------------------------------------------------------- polychromify web

def test_cli_writes_a_page_and_keeps_an_existing_one(store, tmp_path, capsys):
    from polychromify import cli
    results, run = store
    page = tmp_path / "site" / "colorizer.html"
    assert cli.main(["web", str(page), "--model", "polychromify", "--results", str(results),
                     "--onnx", str(tmp_path / "model.onnx")]) == 0
    text = page.read_text()
    assert (page.stat().st_mode & 0o777) == 0o644  # a page to host: readable by the web server
    assert text.startswith("<!doctype html>") and "polychromifyColorizer(" in text
    embedded = text.split('data-role="model">', 1)[1].split("</script>", 1)[0]
    for graph in (base64.b64decode(embedded), (tmp_path / "model.onnx").read_bytes()):
        session = ort.InferenceSession(graph)
        assert [i.name for i in session.get_inputs()] == list(browser.INPUTS)
        assert session.get_inputs()[0].shape[1:] == [run.config["image_size"], run.config["image_size"], 4]
    small_page = tmp_path / "int8.html"
    assert cli.main(["web", str(small_page), "--model", "polychromify", "--results", str(results), "--int8"]) == 0
    text8 = small_page.read_text()
    assert "weights quantized to 8 bits" in text8
    onnx8 = base64.b64decode(text8.split('data-role="model">', 1)[1].split("</script>", 1)[0])
    assert any(node.op_type == "DynamicQuantizeLinear" for node in onnx.load_from_string(onnx8).graph.node)
    assert [i.name for i in ort.InferenceSession(onnx8).get_inputs()] == list(browser.INPUTS)
    page.write_text("mine")
    assert cli.main(["web", str(page), "--results", str(results)]) == 2
    assert "exists (use --force to overwrite)" in capsys.readouterr().err
    assert page.read_text() == "mine"
    assert cli.main(["web", str(tmp_path / "page.txt"), "--results", str(results)]) == 2
    assert "must end in .html" in capsys.readouterr().err
    assert sorted(p.name for p in page.parent.iterdir()) == ["colorizer.html"]


def test_page_takes_a_dropped_photo(page):
    driver, widget, _ = page
    driver.execute_script("""
        const [widget, url] = arguments;
        widget.dataset.state = "waiting";
        fetch(url).then((r) => r.blob()).then((blob) => {
            const data = new DataTransfer();
            data.items.add(new File([blob], "dropped.jpg", { type: "image/jpeg" }));
            widget.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
        });""", widget, _role(widget, "example").get_attribute("data-src"))
    assert _wait(driver, widget) == "done"
    assert _role(widget, "status").text.startswith("dropped.jpg: 96 × 64 px")


def test_page_says_when_onnxruntime_web_cannot_load(exported, tmp_path):
    missing = browser_missing(ORT_WEB)
    require(missing)
    from selenium.webdriver.common.by import By
    path, _, size = exported
    (tmp_path / "index.html").write_text("<!doctype html><html><head><meta charset='utf-8'></head><body>"
                                         + webpage.page_html(path.read_bytes(), size, ort_url="ort/missing.js",
                                                             example=_photo(20, 30)) + "</body></html>")
    with headless_chromium(tmp_path) as driver:
        widget = driver.find_element(By.CSS_SELECTOR, ".polychromify-colorizer")
        _role(widget, "example").click()
        assert _wait(driver, widget) == "error"
        assert _role(widget, "status").text == "example.jpg: could not load onnxruntime-web from ort/missing.js"
        driver.execute_script("arguments[0].dataset.state = 'waiting'", widget)
        _role(widget, "example").click()  # tries again, and says so again
        assert _wait(driver, widget) == "error"


def test_the_book_serves_onnxruntime_web_itself_and_says_so_when_it_cannot(tmp_path):
    """The executed chapter points at the book's own copy (``../../_static/ort/``), copied from what
    ``make ort-web`` unpacked; without that copy, the CDN's URL and a warning that offline it will not work."""
    import io

    from polychromify.book import webpage
    log = io.StringIO()
    assert webpage.book_ort_url(tmp_path, log=log) == webpage.ORT_WEB_URL
    assert "make ort-web" in log.getvalue() and "offline" in log.getvalue()
    dist = webpage.ort_web_dist(tmp_path)
    dist.mkdir(parents=True)
    for i, name in enumerate(webpage.ORT_WEB_FILES):
        (dist / name).write_bytes(b"x" * (i + 1))
    assert webpage.book_ort_url(tmp_path) == "../../_static/ort/ort.wasm.min.js"
    copied = tmp_path / "book" / "_static" / "ort"
    assert sorted(p.name for p in copied.iterdir()) == sorted(webpage.ORT_WEB_FILES)
    assert (copied / "ort-wasm-simd-threaded.wasm").read_bytes() == b"xxx"


def test_page_with_the_int8_graph_colorizes_like_the_float_graph(exported, exported_int8, tmp_path):
    missing = browser_missing(ORT_WEB)
    require(missing)
    from selenium.webdriver.common.by import By
    (_, session, size), (path8, _) = exported, exported_int8
    write_local_page(tmp_path, path8.read_bytes(), size, ORT_WEB)
    rgb = _photo(90, 120, seed=6)
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    with headless_chromium(tmp_path) as driver:
        widget = driver.find_element(By.CSS_SELECTOR, ".polychromify-colorizer")
        assert _upload(driver, widget, tmp_path / "photo.png") == "done", _role(widget, "status").text
        result = _canvas(driver, widget, "result")
    assert _levels(result, browser.colorize_like_the_page(session, rgb, _small(rgb, size))).mean() < 3
