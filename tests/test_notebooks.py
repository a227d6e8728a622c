"""Every section notebook runs through papermill with the smoke profile on synthetic landscapes.

The notebooks are executed once per session, as ``polychromify book`` does (two at a time), into a copy of
the book's sources in a temporary folder with its own results store (so experiments trained by 04 are
loaded by 05), by the session fixture ``executed_book`` of ``conftest.py``; ``test_book.py`` renders that same
copy. Each notebook must run without an error output and glue every expected figure (a PNG) and number
(finite).
"""
import base64
import math
from pathlib import Path

import nbformat
import pytest

from polychromify.book import build as book

GLUE_PREFIX = "application/papermill.record/"
EXPECTED = {
    "01_dataset": {
        "figures": ["fig_samples", "fig_lab", "fig_ab"],
        "numbers": ["n_usable", "n_used", "n_train", "n_val", "n_test", "low_chroma"],
    },
    "02_method": {
        "figures": ["fig_architecture"],
        "numbers": ["params_final", "receptive_field", "image_size"],
    },
    "03_model_selection": {
        "figures": ["fig_selection"],
        "numbers": ["val_accuracy_ae_v0", "val_accuracy_ae_v1", "val_accuracy_ae_v2", "val_accuracy_ae_v3",
                    "val_accuracy_cnn_selection", "gray_val_accuracy"],
    },
    "04_tuning": {
        "figures": ["fig_tuning"],
        "numbers": [f"val_accuracy_{n}" for n in ("polychromify_v1", "polychromify_v2", "polychromify",
                                                  "polychromify_v4", "polychromify_v5", "cnn", "eccv16")],
    },
    "05_results": {
        "figures": ["fig_examples", "fig_best", "fig_worst"],
        "numbers": [f"{metric}_{n}" for n in ("cnn", "eccv16", "polychromify")
                    for metric in ("test_accuracy", "paper_test_accuracy", "psnr", "ciede2000", "colorfulness")]
        + ["psnr_gray", "ciede2000_gray", "colorfulness_true"],
        "texts": ["summary_1", "summary_2", "summary_3"],
    },
    "07_beyond": {"figures": ["fig_beyond", "fig_beyond_photos"], "numbers": []},
}
def read(root: Path, stem: str):
    return nbformat.read(root / book.EXECUTED / f"{stem}.ipynb", as_version=4)


def glued(notebook) -> dict[str, dict]:
    """Glue key -> its mime bundle (without papermill's record prefix)."""
    out = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = len(meta.get("mime_prefix", ""))
                out[meta["name"]] = {k[prefix:]: v for k, v in output["data"].items()}
    return out


@pytest.mark.parametrize("stem", [path.stem for path in book.section_notebooks()])  # the book's order, once
def test_notebook_runs_and_glues_everything(executed_book, notebook_exit_codes, stem):
    assert notebook_exit_codes[stem] == 0, f"{stem} failed; see {executed_book / book.EXECUTED / stem}.ipynb"
    notebook = read(executed_book, stem)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    data = glued(notebook)
    for key in EXPECTED.get(stem, {}).get("figures", []):
        assert key in data, f"{stem}: figure {key} not glued"
        assert base64.b64decode(data[key]["image/png"]).startswith(b"\x89PNG")
    for key in EXPECTED.get(stem, {}).get("numbers", []):
        assert key in data, f"{stem}: number {key} not glued"
        assert math.isfinite(float(data[key]["text/plain"])), f"{stem}: {key} = {data[key]['text/plain']}"
    for key in EXPECTED.get(stem, {}).get("texts", []):
        assert key in data and len(data[key]["text/plain"]) > 20, f"{stem}: sentence {key} not glued"


def test_every_section_notebook_runs(executed_book, notebook_exit_codes):
    """Notebooks beyond 01..05 (the colorizer) run with the smoke profile too."""
    assert {stem: code for stem, code in notebook_exit_codes.items() if code} == {}


def test_notebooks_are_committed_without_outputs_and_tag_their_parameters():
    for path in book.section_notebooks():
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), f"{path.name}: first code cell not `parameters`"
        if path.stem in EXPECTED:
            assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name} has outputs"


def test_injected_parameters_are_hidden(executed_book):
    for stem in EXPECTED:
        injected = [c for c in read(executed_book, stem).cells
                    if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and book.HIDDEN in injected[0].metadata["tags"]
        assert 'profile = "smoke"' in injected[0].source


def test_smoke_numbers_match_the_model_and_the_paper(executed_book):
    method = glued(read(executed_book, "02_method"))
    assert int(method["params_final"]["text/plain"]) == 293_074
    assert int(method["receptive_field"]["text/plain"]) == 13
    results = glued(read(executed_book, "05_results"))
    assert float(results["paper_test_accuracy_polychromify"]["text/plain"]) == pytest.approx(0.6846, abs=1e-4)
    assert "synthetic" in results["table2_verdict_text"]["text/plain"]
    # three smoke runs (float32, seed 43, bf16), trained here: no per-photo scores, so no verdict, and it says why
    precision = results["precision_verdict_text"]["text/plain"]
    assert "The mixed_bfloat16 run against the float32 run of the same seed" in precision
    assert "no per-photo scores" in precision and "better" not in precision and "worse" not in precision
    assert "against the trivial baselines: not compared" in results["metrics_verdict_text"]["text/plain"]
    assert "mixed_bfloat16" in results["precision_table"]["text/html"]


def test_the_widgets_notebook_runs_headless_and_keeps_a_still_of_each_widget(executed_book):
    """notebooks/06_colorize, executed with papermill (smoke profile, a temporary results store) by the
    session fixture of conftest.py, has no error; for the static page its widget views, widget state and
    stderr (TensorFlow's log) are gone, and one still of each widget stays (``book.for_the_page``)."""
    executed = executed_book / book.EXECUTED / "06_colorize.ipynb"
    assert executed.is_file()
    notebook = nbformat.read(executed, 4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if book.WIDGET_VIEW in o.get("data", {})]
    assert "widgets" not in notebook.metadata
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    stills = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(stills) >= 4  # the full-resolution example and a still of each widget
    assert (executed_book / "results" / "polychromify").is_dir()


def test_notebooks_only_call_and_plot():
    """No code cell of a section notebook holds a loop, a branch, a definition or more than 12 lines: the work is
    one package function per section (``book.pages``)."""
    import ast
    for path in book.section_notebooks():
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "code":
                continue
            lines = [line for line in cell.source.splitlines() if line.strip()]
            logic = [type(node).__name__ for node in ast.walk(ast.parse(cell.source))
                     if isinstance(node, (ast.For, ast.While, ast.comprehension, ast.If, ast.IfExp, ast.FunctionDef,
                                          ast.Lambda, ast.ClassDef))]
            assert len(lines) <= 12 and not logic, f"{path.name}, cell {i}: {len(lines)} lines, {logic}"
