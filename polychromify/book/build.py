"""The book's build: papermill executes the section notebooks, then Jupyter Book renders them.

``build_book`` executes ``notebooks/NN_*.ipynb`` with papermill into ``book/_executed/`` (git-ignored, where
``_toc.yml`` points), makes them fit for a static page (``for_the_page``), and builds HTML into
``_build/html`` with warnings as errors. What the notebooks call inside (``Chapter``, ``provenance``,
``glue_figure``) is ``chapter``.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from polychromify.product.files import atomic_path
from polychromify.training.profiles import BOOK_PROFILE

ROOT = Path(__file__).resolve().parents[2]  # the repository (the book's root: _config.yml, _toc.yml)
EXECUTED = Path("book") / "_executed"            # relative to the root; git-ignored
HIDDEN = "remove-cell"                           # Jupyter Book tag that drops a cell from the page


# ---------------------------------------------------------------- the build

# Every parameter of the section notebooks, once: name -> (default, help). Each notebook's tagged parameters cell
# is written from here (``parameters_cell``, ``sync_parameters``; a test checks that they agree), papermill
# overrides these names, and ``Chapter.from_parameters`` resolves the None defaults through the profile.
PARAMETERS = {
    "profile": (BOOK_PROFILE, "smoke|quick|paper"),
    "data_dir": (None, "photo folder; None: $POLYCHROMIFY_DATA, else synthetic landscapes"),
    "results_dir": (None, "results store; None: $POLYCHROMIFY_RESULTS, else results/"),
    "image_size": (None, "network input side in px; None: the profile's"),
    "epochs": (None, "training epochs; None: the profile's"),
    "batch_size": (None, "training batch size; None: the profile's"),
    "max_images": (None, "cap on the cleaned photos used; None: the profile's"),
    "seed": (None, "split, shuffling and weight initialisation; None: the profile's"),
    "precision": (None, "float32|mixed_bfloat16; None: the profile's"),
    "folder": ("scenes-dev", "the other collection the study scored (its folder name)"),
}
TRAINING = ("profile", "data_dir", "results_dir", "image_size", "epochs", "batch_size", "max_images", "seed",
            "precision")
# which parameters each notebook takes (every other notebook: TRAINING); a chapter that reads a stored study
# trains nothing
NOTEBOOK_PARAMETERS = {"07_beyond": ("profile", "data_dir", "results_dir", "folder")}


def section_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks of the book, in the order of the table of contents (``_toc.yml``: the one place that orders
    the chapters), then any other ``notebooks/NN_*.ipynb`` by name."""
    import yaml
    root = Path(root)
    found = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    toc = yaml.safe_load((root / "_toc.yml").read_text()) if (root / "_toc.yml").is_file() else {}
    order = [Path(c["file"]).name for part in toc.get("parts", []) for c in part.get("chapters", [])
             if Path(c["file"]).parent == EXECUTED]
    return sorted(found, key=lambda nb: (order.index(nb.stem) if nb.stem in order else len(order), nb.name))


def parameters_cell(stem: str) -> str:
    """The source of a notebook's tagged parameters cell: literals only, each with its help as a comment."""
    names = NOTEBOOK_PARAMETERS.get(stem, TRAINING)
    def literal(value) -> str:
        return json.dumps(value) if isinstance(value, str) else repr(value)
    return "\n".join(f"{name} = {literal(PARAMETERS[name][0])}  # {PARAMETERS[name][1]}" for name in names)


def sync_parameters(root: Path = ROOT) -> list[Path]:
    """Write every section notebook's parameters cell from ``PARAMETERS``; returns the notebooks changed."""
    import nbformat
    changed = []
    for path in section_notebooks(root):
        notebook = nbformat.read(path, as_version=4)
        cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        if cell.source != parameters_cell(path.stem):
            cell.source = parameters_cell(path.stem)
            nbformat.write(notebook, path)
            changed.append(path)
    return changed


def parameters(root: Path = ROOT) -> dict[str, dict]:
    """Every notebook parameter: name -> papermill's description (default, type, help) and the notebooks."""
    import papermill
    found: dict[str, dict] = {}
    for notebook in section_notebooks(root):
        for name, info in papermill.inspect_notebook(str(notebook)).items():
            found.setdefault(name, {**info, "notebooks": []})["notebooks"].append(notebook.stem)
    return found


def list_parameters(root: Path = ROOT) -> None:
    """Print every notebook parameter with its default and help (and where it is, if not everywhere)."""
    everywhere = len(section_notebooks(root))
    for name, info in parameters(root).items():
        where = "" if len(info["notebooks"]) == everywhere else f"  [only {', '.join(info['notebooks'])}]"
        print(f"{name} = {info['default']}  # {info['help']}{where}")


def build_book(profile: str = BOOK_PROFILE, params: list[str] | None = None, only: str | None = None,
               list_params: bool = False, root: Path = ROOT, pdf: bool = False) -> int:
    """Execute the notebooks (all, or ``only`` those whose name starts so) and build the HTML book (and, with
    ``pdf``, its PDF: ``build_pdf``).

    Returns 0, or non-zero after printing which notebook and cell failed.
    """
    root = Path(root)
    if list_params:
        list_parameters(root)
        return 0
    notebooks = section_notebooks(root)
    chosen = [nb for nb in notebooks if not only or nb.stem.startswith(only)]
    if not chosen:
        print(f"polychromify book: no notebook matches {only!r}; choose one of "
              f"{', '.join(nb.stem for nb in notebooks)}", file=sys.stderr)
        return 2
    values = {"profile": profile, **dict(parse_param(p) for p in params or [])}
    for notebook in chosen:
        code = execute(notebook, root / EXECUTED / notebook.name, values, cwd=root)
        if code:
            return code
    missing = [nb.stem for nb in notebooks if not (root / EXECUTED / nb.name).is_file()]
    if missing:
        print(f"polychromify book: not executed yet: {', '.join(missing)}; run `polychromify book` "
              "once without --only", file=sys.stderr)
        return 2
    code = build_html(root)
    if code == 0:
        broken = broken_links(root / "_build" / "html")
        for line in broken:
            print(f"polychromify book: {line}", file=sys.stderr)
        code = 1 if broken else 0
    return build_pdf(root) if pdf and code == 0 else code


def broken_links(site: Path) -> list[str]:
    """Every internal link, image, script and style sheet of a built site that does not resolve: a missing file,
    or a ``#fragment`` that names no element of its page. External links (with a scheme) are not followed."""
    from html.parser import HTMLParser
    from urllib.parse import unquote, urlparse

    class Page(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.targets = set(), []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            for key in ("id", "name"):
                if attrs.get(key):
                    self.ids.add(attrs[key])
            for key in ("href", "src"):
                if attrs.get(key) and not (tag == "a" and key == "src"):
                    self.targets.append(attrs[key])

    site = Path(site)
    pages = {}
    for html_file in site.rglob("*.html"):
        if "_static" in html_file.relative_to(site).parts:
            continue  # the theme's template snippets, not pages
        parser = Page()
        parser.feed(html_file.read_text(errors="replace"))
        pages[html_file.resolve()] = parser
    broken = []
    for html_file, parser in pages.items():
        for target in parser.targets:
            url = urlparse(target)
            if url.scheme or target.startswith("//"):
                continue  # external (http, mailto, data: ...)
            path = (html_file.parent / unquote(url.path)).resolve() if url.path else html_file
            if path.is_dir():
                path = path / "index.html"
            where = f"{html_file.relative_to(site.resolve())}: {target}"
            if not path.exists():
                broken.append(f"{where}: no such file")
            elif url.fragment and path in pages and unquote(url.fragment) not in pages[path].ids:
                broken.append(f"{where}: no element #{url.fragment} on that page")
    return sorted(broken)


def build_html(root: Path = ROOT, builder: str = "html") -> int:
    """``jupyter-book build`` of the whole book, warnings as errors (``-W -n --keep-going``); ``builder`` html
    (``_build/html``) or singlehtml (``_build/singlehtml``: every chapter on one page)."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", str(root), "--all", "--warningiserror", "--nitpick", "--keep-going",
           "--builder", builder]
    return subprocess.run(cmd, cwd=root).returncode


PDF = Path("_build") / "pdf" / "polychromify.pdf"   # relative to the root


def _printable(folder: Path) -> Path:
    """The single page of a ``singlehtml`` build, fixed for printing: with the root document in ``book/``,
    Sphinx writes the page there but points its images at ``_images/`` beside it, one folder too deep."""
    index = folder / "index.html"
    pages = [p for p in folder.glob("**/*.html") if p != index and "_static" not in p.parts]
    page = max(pages, key=lambda p: p.stat().st_size)  # the page (index.html only redirects to it)
    depth = len(page.relative_to(folder).parts) - 1
    fixed = page.read_text().replace('src="_images/', f'src="{"../" * depth}_images/')
    printable = page.with_name("_print.html")
    printable.write_text(fixed)
    return printable
CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def build_pdf(root: Path = ROOT, timeout: int = 300) -> int:
    """The whole book as one PDF (``PDF``): the executed notebooks rendered on one page (Jupyter Book's
    ``singlehtml`` builder), printed by headless Chromium, written atomically. Returns 0, else 2 after one line
    saying why (no Chromium: ``apt-get install chromium``)."""
    root = Path(root)
    browser = next((shutil.which(name) for name in CHROMIUM if shutil.which(name)), None)
    if browser is None:
        print("polychromify book: --pdf needs Chromium to print the book (apt-get install chromium)", file=sys.stderr)
        return 2
    code = build_html(root, "singlehtml")
    if code:
        return code
    page = _printable(root / "_build" / "singlehtml")
    target = root / PDF
    try:
        with atomic_path(target) as tmp:  # a failed print leaves no half PDF
            done = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu",
                                   "--no-pdf-header-footer", "--virtual-time-budget=20000", f"--print-to-pdf={tmp}",
                                   page.as_uri()], capture_output=True, text=True, timeout=timeout)
            if done.returncode or not tmp.stat().st_size:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"Chromium could not print {page} ({last})")
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        print(f"polychromify book: {err}", file=sys.stderr)
        return 2
    print(f"polychromify book: wrote {target}")
    return 0


def execute(notebook: Path, output: Path, values: dict, cwd: Path = ROOT) -> int:
    """papermill-execute one notebook into ``output`` and make it fit for the page (``for_the_page``).

    Returns 0, or 1 after printing the notebook, the failing cell and the error.
    """
    import papermill
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(str(notebook), str(output), parameters=values, cwd=str(cwd),
                                   progress_bar=False)
    except papermill.PapermillExecutionError as err:
        first_line = next((line for line in (err.source or "").splitlines() if line.strip()), "")
        print(f"polychromify book: {notebook.name} failed in cell {err.cell_index} "
              f"(execution count {err.exec_count}, starting `{first_line}`): {err.ename}: {err.evalue}\n"
              f"  the executed notebook, with the traceback: {output}", file=sys.stderr)
        return 1
    except Exception as err:  # the kernel died, a parameter is malformed, ...
        print(f"polychromify book: {notebook.name} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    for_the_page(output)
    return 0


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def for_the_page(path: Path) -> None:
    """Make an executed notebook fit for the static book and for download, in place:

    - the cell papermill injected (``injected-parameters``) is tagged so that the book leaves it out;
    - stderr outputs (TensorFlow's and absl's start-up log, the synthetic-data banner, which provenance states)
      are dropped, so a downloaded notebook does not carry them either;
    - widget views and the saved widget state are dropped: without a kernel the controls would do nothing,
      and Jupyter Book would load require.js and the widget manager from two CDNs for them. Each widget's
      still (its ``snapshot()`` cell) stays, with the page pointing to the live ways of running it.
    """
    import nbformat
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and HIDDEN not in tags:
            tags.append(HIDDEN)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not _off_the_page(o)]
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)


def _off_the_page(output: dict) -> bool:
    """Whether an output is a stderr stream or a widget view (see ``for_the_page``)."""
    stderr = output.get("output_type") == "stream" and output.get("name") == "stderr"
    return stderr or WIDGET_VIEW in output.get("data", {})


def parse_param(item: str) -> tuple[str, object]:
    """A ``-p key=value`` pair; the value as int, float, bool, None or (otherwise) string."""
    import ast
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"-p {item!r}: expected KEY=VALUE")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    return key.strip(), value
