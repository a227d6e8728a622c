"""The book build: ``polychromify book`` executes the notebooks and renders HTML with warnings as errors.

``test_html_has_both_tables`` renders the book copy that ``test_notebooks.py`` executed with the smoke
profile (the same session fixture, so nothing is executed twice); CI runs it with the other tests.
"""
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml
from browser_helpers import require
from helpers import fake_run
from nbformat.v4 import new_code_cell, new_notebook

from polychromify import cli
from polychromify.book import build as book
from polychromify.book.chapter import Chapter, plain, provenance
from polychromify.training.profiles import get_profile

ROOT = Path(__file__).resolve().parents[1]


def _tables(html: str) -> list[str]:
    return re.findall(r"<table.*?</table>", html, flags=re.S)


def test_html_has_both_tables(built_book):
    executed_book = built_book
    pages = executed_book / "_build" / "html" / "book"
    for page, caption in [("04_tuning", "Table 1"), ("05_results", "Table 2")]:
        html = (pages / "_executed" / f"{page}.html").read_text()
        assert caption in html
        assert any(">paper<" in t and "ours (smoke profile)" in t for t in _tables(html)), page
        assert "injected-parameters" not in html and 'profile = "smoke"' not in html
        assert "Provenance." in html
    assert html.count("<img") >= 3  # 05: the three colorization figures
    for page in ("intro", "related_work", "conclusion", "references"):
        assert (pages / f"{page}.html").is_file()
    intro = (pages / "intro.html").read_text()
    assert "synthetic landscapes" in intro  # the glued provenance of the runs
    assert "What held and what did not" in intro and "<img" in intro and "Reproduced: every model" in intro
    references = (pages / "references.html").read_text()
    assert "Zhang et al. 2016" in references and "Yatziv and Sapiro 2006" in references  # author-year labels
    for html_file in (executed_book / "_build" / "html").rglob("*.html"):
        html = html_file.read_text()
        remote = re.findall(r"<(?:script|link)\b[^>]*(?:src|href)=\"(https?://[^\"]+)", html)
        assert not remote, f"{html_file.name} loads {remote}"  # scripts and styles come from the book itself
        assert html.count("THEBE_JS_URL") == 0 and "widget-state+json" not in html, html_file.name
        assert str(executed_book) not in html and str(ROOT) not in html, html_file.name  # no machine's paths


def test_list_params_prints_every_parameter(capsys):
    assert cli.main(["book", "--list-params"]) == 0
    out = capsys.readouterr().out
    for name in ("profile", "data_dir", "results_dir", "image_size", "epochs", "batch_size", "max_images",
                 "seed", "precision"):
        assert re.search(rf"^{name} = .+  # \S", out, flags=re.M), name
    assert 'profile = "paper"  # smoke|quick|paper' in out  # the book's default: the paper's scale


def _notebook(path, *sources):
    cells = [new_code_cell(sources[0], metadata={"tags": ["parameters"]}),
             *(new_code_cell(s) for s in sources[1:])]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_a_failing_notebook_names_itself_and_its_cell(tmp_path, capsys):
    _notebook(tmp_path / "notebooks" / "01_broken.ipynb", 'profile = "quick"  # p', "x = 1", "1 / 0")
    assert book.build_book("smoke", root=tmp_path) == 1
    err = capsys.readouterr().err
    assert "01_broken.ipynb failed in cell 3" in err and "ZeroDivisionError" in err
    assert book.build_book("smoke", only="07", root=tmp_path) == 2


def test_injected_parameters_cell_is_hidden_and_params_parsed(tmp_path):
    _notebook(tmp_path / "notebooks" / "01_ok.ipynb", 'profile = "quick"  # p\nepochs = None  # e',
              "assert profile == 'smoke' and epochs == 3")
    out = tmp_path / "out.ipynb"
    values = {"profile": "smoke", **dict(map(book.parse_param, ["epochs=3"]))}
    assert book.execute(tmp_path / "notebooks" / "01_ok.ipynb", out, values, cwd=tmp_path) == 0
    injected = [c for c in nbformat.read(out, as_version=4).cells
                if "injected-parameters" in c.metadata.get("tags", [])]
    assert book.HIDDEN in injected[0].metadata["tags"]


def test_parse_param():
    assert book.parse_param("epochs=3") == ("epochs", 3)
    assert book.parse_param("data_dir=/x/y") == ("data_dir", "/x/y")
    assert book.parse_param("max_images=None") == ("max_images", None)
    with pytest.raises(ValueError):
        book.parse_param("epochs")


def test_chapter_keeps_only_real_overrides():
    chapter = Chapter.from_parameters("smoke", None, None, epochs=None, image_size=16)
    assert chapter.overrides == {"image_size": 16}
    assert chapter.profile.image_size == 16 and chapter.profile.epochs == 2


def test_chapter_resolves_the_environment_once_and_passes_it_down(tmp_path, monkeypatch):
    """The notebook's edge: ``data_dir`` / ``results_dir`` None are ``$POLYCHROMIFY_DATA`` /
    ``$POLYCHROMIFY_RESULTS``, read by ``from_parameters``; a chapter made directly is synthetic."""
    monkeypatch.setenv("POLYCHROMIFY_DATA", str(tmp_path / "photos"))
    monkeypatch.setenv("POLYCHROMIFY_RESULTS", str(tmp_path / "store"))
    chapter = Chapter.from_parameters("smoke")
    assert chapter.data_dir == chapter.real_data == tmp_path / "photos"
    assert chapter.results_dir == tmp_path / "store"
    given = Chapter.from_parameters("smoke", tmp_path / "other", tmp_path / "results")
    assert (given.data_dir, given.results_dir) == (tmp_path / "other", tmp_path / "results")
    monkeypatch.setenv("POLYCHROMIFY_DATA", str(tmp_path / "changed"))  # read once: no effect now
    assert chapter.varied(epochs=1).data_dir == tmp_path / "photos"
    assert Chapter(chapter.profile).real_data is None


def test_provenance_names_profile_data_and_commit(tmp_path, monkeypatch):
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    chapter = Chapter.from_parameters("smoke")
    runs = {"cnn": fake_run(tmp_path, "cnn"), "polychromify": fake_run(tmp_path, "polychromify", synthetic=False)}
    text = provenance(chapter, runs, figures=True).data
    assert "Profile `smoke`" in text
    assert "Results of cnn: trained on synthetic landscapes" in text
    assert "Results of polychromify: trained on the real photos (`landscapes`" in text
    assert "commit `0123abcd01`" in text and "test the code, not the paper's claims" in text
    assert "Photos in the figures: synthetic landscapes" in text
    assert "`" not in plain(text) and "**" not in plain(text)


def test_the_paper_edition_never_trains_and_shows_what_the_store_lacks_as_pending(tmp_path, monkeypatch):
    """At the paper profile a missing run is pending, not trained (hours a run): with an empty store the
    result chapters still execute, and say what is missing."""
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    monkeypatch.setenv("POLYCHROMIFY_CACHE", str(tmp_path / "cache"))
    empty = tmp_path / "results"
    empty.mkdir()
    chapter = Chapter.from_parameters("paper", results_dir=empty)
    assert not chapter.trains and chapter.obtain("polychromify", "cnn") == {}
    assert chapter.pending == ["polychromify", "cnn"]
    assert chapter.seed_runs() == {"polychromify": []}
    for name in ("03_model_selection", "04_tuning", "05_results"):
        out = tmp_path / f"{name}.ipynb"
        assert book.execute(book.ROOT / "notebooks" / f"{name}.ipynb", out,
                            {"profile": "paper", "results_dir": str(empty)}) == 0
        text = out.read_text()
        assert "Not trained at the paper profile yet (the campaign trains them)" in text
        assert not list(empty.iterdir())  # nothing was trained or written


def test_chapter_six_colorizes_a_real_photo_whenever_one_is_at_hand(isolated, messy_photos):
    """The store's thumbnail of a real test photo whenever the store has one (never one of synthetic landscapes),
    with or without a photo folder, so every build shows the same; else the folder's first test photo at full
    size; a synthetic landscape only when neither is at hand."""
    import json

    from PIL import Image

    from polychromify.training.samples import thumbnail_path
    store = isolated / "store"
    bare = Chapter(get_profile("smoke"), None, store)
    real = np.full((64, 64, 3), (40, 90, 160), np.uint8)
    for synthetic, size in ((True, 128), (False, 64)):
        run = fake_run(store, "cnn" if synthetic else "polychromify", synthetic=synthetic)
        (run.path / "samples").mkdir()
        name = f"photo-{size}.jpg"
        (run.path / "samples" / "index.json").write_text(json.dumps(
            {"image_size": size, "photos": [{"name": name, "key": "k", "psnr": 20.0}]}))
        thumb = thumbnail_path(store, name, size)
        thumb.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((size, size, 3), np.uint8) if synthetic else real).save(thumb, quality=95)
        photo, source = bare.example_photo()
        if synthetic:
            assert "synthetic" in source and photo.shape == (512, 512, 3)
    assert "thumbnails" in source and photo.shape == (64, 64, 3) and np.abs(photo.astype(int) - real).max() <= 3
    with_photos = Chapter(get_profile("smoke", image_size=32), messy_photos, store)
    assert with_photos.example_photo()[1] == source  # the store's thumbnail in both builds
    empty = Chapter(get_profile("smoke", image_size=32), messy_photos, isolated / "empty")
    photo, source = empty.example_photo()
    name = empty.dataset.names["test"][0]
    assert name in source and photo.shape == (64, 64, 3)  # the file at full size, not the 32 px copy


def test_executed_notebooks_lose_widget_views_state_and_stderr_for_the_page(tmp_path):
    """What a static page cannot run (widgets) and what nobody should download (TensorFlow's log) goes;
    the injected parameters are hidden; every other output stays."""
    notebook = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["injected-parameters"]}),
                                   new_code_cell("widget")])
    notebook.cells[1].outputs = [
        nbformat.from_dict({"output_type": "stream", "name": "stderr", "text": "I0000 00:00:1 port.cc:153] oneDNN"}),
        nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "kept"}),
        nbformat.from_dict({"output_type": "display_data", "metadata": {},
                            "data": {book.WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "VBox()"}}),
        nbformat.from_dict({"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR"}}),
    ]
    notebook.metadata["widgets"] = {book.WIDGET_STATE: {"state": {"abc": {}}}}
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    book.for_the_page(path)
    page = nbformat.read(path, as_version=4)
    assert book.HIDDEN in page.cells[0].metadata["tags"]
    assert [o.get("name") or next(iter(o["data"])) for o in page.cells[1].outputs] == ["stdout", "image/png"]
    assert "widgets" not in page.metadata


def _chapter_titles(root) -> list[str]:
    """The first heading of every page of the table of contents (Markdown files and notebooks)."""
    import yaml
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    titles = []
    for name in files:
        source = root / "notebooks" / (Path(name).name + ".ipynb") if "_executed" in name else root / f"{name}.md"
        text = (nbformat.read(source, 4).cells[0].source if source.suffix == ".ipynb" else source.read_text())
        titles.append(next(line[2:].strip() for line in text.splitlines() if line.startswith("# ")))
    return titles


def test_the_pdf_holds_every_chapter(executed_book):
    """``polychromify book --pdf``: the whole book, printed from the same executed notebooks."""
    require(None if any(shutil.which(name) for name in book.CHROMIUM) else "Chromium not found (apt-get install chromium)")
    import pypdf
    assert book.build_pdf(executed_book) == 0
    reader = pypdf.PdfReader(executed_book / book.PDF)
    text = " ".join(page.extract_text() for page in reader.pages)
    titles = _chapter_titles(executed_book)
    assert len(titles) == 14
    missing = [title for title in titles if title not in text]
    assert not missing, f"chapters missing from the PDF: {missing}"
    assert sum(len(page.images) for page in reader.pages) >= 10  # the figures are in it, not broken links


def _chromium_missing() -> str | None:
    import importlib.util
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install chromium chromium-driver)"
    return None if importlib.util.find_spec("selenium") else "selenium is not installed (pip install -e '.[dev]')"


def test_every_page_reads_at_phone_and_laptop_width_with_nothing_from_other_hosts(built_book):
    """Each page of the built book in headless Chromium at 390 px (a phone) and 1280 px (a laptop): no page
    wider than the screen (wide tables scroll in their box), no console error, no request to another host."""
    require(_chromium_missing())
    import json
    from urllib.parse import urlparse

    from browser_helpers import headless_chromium
    site = built_book / "_build" / "html"
    pages = sorted(p.relative_to(site).as_posix() for p in (site / "book").rglob("*.html"))
    assert len(pages) >= 12
    problems = []
    with headless_chromium(site, logs=True) as driver:
        for width in (390, 1280):
            driver.set_window_size(width, 900)
            for page in pages:
                driver.get_log("browser"), driver.get_log("performance")  # forget the previous page's
                driver.get(driver.base_url + page)
                inner, scroll = driver.execute_script(
                    "return [window.innerWidth, document.documentElement.scrollWidth]")
                errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
                requests = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
                hosts = {urlparse(m["params"]["request"]["url"]).hostname for m in requests
                         if m["method"] == "Network.requestWillBeSent"
                         and m["params"]["request"]["url"].startswith("http")} - {"127.0.0.1", "localhost"}
                if scroll > inner or errors or hosts:
                    problems.append(f"{page} at {width} px: {scroll} px wide, errors {errors[:2]}, hosts {hosts}")
    assert not problems, "\n".join(problems)


def test_broken_links_finds_missing_files_and_fragments_only(tmp_path):
    site = tmp_path / "html"
    (site / "book" / "_images").mkdir(parents=True)
    (site / "book" / "_images" / "a.png").write_bytes(b"png")
    (site / "book" / "other.html").write_text('<h2 id="part">x</h2>')
    (site / "book" / "page.html").write_text(
        '<a href="other.html#part">ok</a> <a href="#top" id="top">ok</a> <img src="_images/a.png">'
        '<a href="https://example.org/x">external</a> <img src="data:image/png;base64,AA">'
        '<a href="other.html#nowhere">bad fragment</a> <img src="_images/missing.png"> <a href="../gone.html">x</a>')
    assert book.broken_links(site) == [
        "book/page.html: ../gone.html: no such file",
        "book/page.html: _images/missing.png: no such file",
        "book/page.html: other.html#nowhere: no element #nowhere on that page",
    ]


def test_chapter_one_shows_the_real_photos_summary_on_a_machine_without_them(isolated, messy_photos):
    """Run once with the photos, chapter 1 stores their summary; without them it shows that summary (the real
    report, the real pixels' ab sample) and the store's test photos, never synthetic landscapes."""
    import json

    from PIL import Image

    from polychromify.training.samples import thumbnail_path
    store = isolated / "store"
    profile = get_profile("smoke", image_size=32)
    with_photos = Chapter(profile, messy_photos, store)
    seen = with_photos.data_view()
    assert not seen.synthetic and seen.report.found == 26
    dataset = with_photos.dataset
    run = fake_run(store, "polychromify", synthetic=False)  # a run on those photos, with its dozen stored
    config = json.loads((run.path / "config.json").read_text())
    config["data"] = dataset.provenance()
    config["profile"] = json.loads(json.dumps(profile.to_dict()))
    (run.path / "config.json").write_text(json.dumps(config))
    (run.path / "samples").mkdir()
    names = dataset.names["test"][:3]
    (run.path / "samples" / "index.json").write_text(json.dumps(
        {"image_size": 32, "photos": [{"name": n, "key": "k", "psnr": 20.0} for n in names]}))
    for name in names:
        thumbnail_path(store, name, 32).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(thumbnail_path(store, name, 32))
    without = Chapter(profile, None, store).data_view()
    assert not without.synthetic and "results store" in without.source
    assert without.report.found == 26 and without.report.near_gray == ["gray.png"]  # the real report
    assert without.photos.shape == (3, 32, 32, 3) and without.y_train.shape[1:] == (1, 1, 2)
    assert abs(without.low_chroma - seen.low_chroma) < 1e-9
    assert str(messy_photos) not in next((store / "data").glob("*.json")).read_text()  # no machine's path
    empty = Chapter(profile, None, isolated / "empty").data_view()
    assert empty.synthetic and "synthetic landscapes" in empty.source


def test_the_parameters_and_the_chapter_order_come_from_one_place():
    """Each notebook's parameters cell is the one ``build.PARAMETERS`` writes, and the notebooks run in the order
    of the table of contents."""
    import nbformat
    for path in book.section_notebooks():
        cell = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
        assert cell.source == book.parameters_cell(path.stem), f"{path.name}: run build.sync_parameters()"
    toc = yaml.safe_load((book.ROOT / "_toc.yml").read_text())
    listed = [Path(c["file"]).name for part in toc["parts"] for c in part["chapters"]
              if c["file"].startswith("book/_executed/")]
    assert [p.stem for p in book.section_notebooks()] == listed
