"""The optional parts of the install (pyproject's extras) and a one-line error when one is missing.

The base install colorizes, trains and evaluates; ``[book]`` builds the book and runs its notebooks and
widgets, ``[web]`` exports the in-browser colorizer. ``require`` is called by the commands that need an
extra before they do any work, so a missing package is reported as the extra to install, not as a traceback.
"""
from __future__ import annotations

import importlib.util

# extra -> the modules it provides that the package imports (pyproject.toml's [project.optional-dependencies])
EXTRAS = {
    "web": ("tf2onnx", "onnx", "onnxruntime"),
    "book": ("papermill", "nbformat", "jupyter_book", "myst_nb", "ipykernel", "ipywidgets", "pandas",
             "matplotlib", "seaborn", "tf2onnx", "onnx"),
}


class MissingExtra(ImportError):
    """An extra of the install is missing; the message says which one to install, in one line."""


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (found without importing them)."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require(extra: str, command: str) -> None:
    """Raise ``MissingExtra`` unless every module of ``extra`` is installed; ``command`` names the caller
    (e.g. "polychromify book")."""
    absent = missing(extra)
    if absent:
        raise MissingExtra(f"{command} needs the [{extra}] extra: pip install 'polychromify[{extra}]' "
                           f"(missing: {', '.join(absent)})")
