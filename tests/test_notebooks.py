"""Every section notebook runs through papermill with the smoke profile on synthetic landscapes.

The notebooks are executed once per session, as ``polychromify book`` does (two at a time), into a copy of
the book's sources in a temporary folder with its own results store (so experiments trained by 04 are
loaded by 05); ``test_book.py`` renders that same copy. Each notebook must run without an error output and glue
every expected figure (a PNG) and number (finite).
"""
import base64
import math
import shutil
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat
import pytest

from polychromify import book

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
    },
}
SOURCES = ["_config.yml", "_toc.yml", "book", "notebooks"]
# Two at a time on two cores: the notebooks of a stage train disjoint experiments (03: section V.A; 04:
# Table 1, the CNN and ECCV16); the later ones load what those trained. Longest first.
FIRST_STAGE = ["04_tuning", "03_model_selection", "01_dataset", "02_method"]
_SESSION: dict = {}


def execute_book(root: Path) -> dict[str, int]:
    """Copy the book's sources into ``root`` and papermill-execute every section notebook there (smoke)."""
    for name in SOURCES:
        source = book.ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("_executed", ".ipynb_checkpoints"))
        else:
            shutil.copy2(source, root / name)
    values = {"profile": "smoke", "results_dir": str(root / "results")}
    notebooks = {nb.stem: nb for nb in book.section_notebooks(root)}
    stages = [[s for s in FIRST_STAGE if s in notebooks], [s for s in notebooks if s not in FIRST_STAGE]]
    codes = {}
    with pytest.MonkeyPatch.context() as env, ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        env.setenv("POLYCHROMIFY_CACHE", str(root / "cache"))
        env.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
        env.delenv("POLYCHROMIFY_DATA", raising=False)
        env.delenv("POLYCHROMIFY_RESULTS", raising=False)
        for stage in stages:
            jobs = {stem: pool.submit(book.execute, notebooks[stem], root / book.EXECUTED / f"{stem}.ipynb",
                                      values, root) for stem in stage}
            codes.update({stem: job.result() for stem, job in jobs.items()})
    return codes


@pytest.fixture(scope="session")
def executed_book(tmp_path_factory) -> Path:
    """The root of a book copy whose notebooks were executed with the smoke profile (once per session)."""
    if "root" not in _SESSION:
        root = tmp_path_factory.mktemp("book")
        _SESSION["codes"] = execute_book(root)
        _SESSION["root"] = root
    return _SESSION["root"]


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


@pytest.mark.parametrize("stem", list(EXPECTED))
def test_notebook_runs_and_glues_everything(executed_book, stem):
    assert _SESSION["codes"][stem] == 0, f"{stem} failed; see {executed_book / book.EXECUTED / stem}.ipynb"
    notebook = read(executed_book, stem)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    data = glued(notebook)
    for key in EXPECTED[stem]["figures"]:
        assert key in data, f"{stem}: figure {key} not glued"
        assert base64.b64decode(data[key]["image/png"]).startswith(b"\x89PNG")
    for key in EXPECTED[stem]["numbers"]:
        assert key in data, f"{stem}: number {key} not glued"
        assert math.isfinite(float(data[key]["text/plain"])), f"{stem}: {key} = {data[key]['text/plain']}"


def test_every_section_notebook_runs(executed_book):
    """Notebooks beyond 01..05 (the colorizer) run with the smoke profile too."""
    assert {stem: code for stem, code in _SESSION["codes"].items() if code} == {}


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
    precision = results["precision_verdict_text"]["text/plain"]  # three smoke runs: float32, seed 43, bf16
    assert "Trained in mixed_bfloat16 instead of float32" in precision and "Changing only the seed" in precision
    assert "mixed_bfloat16" in results["precision_table"]["text/html"]
