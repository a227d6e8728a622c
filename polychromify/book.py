"""Build the book: execute the section notebooks with papermill, then render them with Jupyter Book."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent   # the repository (the book's root: _config.yml, _toc.yml)
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "book" / "_executed"          # git-ignored; _toc.yml points here


def section_notebooks() -> list[Path]:
    """The notebooks of the book, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def build_book(profile: str = "quick", params: list[str] | None = None, only: str | None = None,
               list_params: bool = False) -> int:
    """Execute the notebooks (all, or ``only`` one) and build HTML into _build/html with warnings as errors."""
    if list_params:
        for notebook in section_notebooks():
            import papermill
            print(notebook.name)
            for name, info in papermill.inspect_notebook(str(notebook)).items():
                print(f"  {name} = {info['default']}  ({info['inferred_type_name']}) {info['help']}")
        return 0
    for notebook in section_notebooks():
        if only and not notebook.stem.startswith(only):
            continue
        code = execute(notebook, profile, params or [])
        if code:
            return code
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", str(ROOT), "--all", "--warningiserror", "--nitpick", "--keep-going"]
    return subprocess.run(cmd, cwd=ROOT).returncode


def execute(notebook: Path, profile: str, params: list[str]) -> int:
    """papermill-execute one notebook into the book tree; non-zero (with the notebook named) on failure."""
    import papermill
    values = {"profile": profile}
    for item in params:
        key, _, value = item.partition("=")
        values[key] = _literal(value)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(str(notebook), str(EXECUTED / notebook.name), parameters=values,
                                   cwd=str(ROOT), progress_bar=False)
    except papermill.PapermillExecutionError as err:
        print(f"polychromify book: {notebook.name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}",
              file=sys.stderr)
        return 1
    return 0


def _literal(text: str):
    """A -p value as int, float, bool, None or string."""
    import ast
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
