"""Where the photos, the results store and the cache are: the one place that reads the environment.

The library takes ``data_dir``, ``results_dir`` and ``cache_dir`` as arguments; the edges (the command line,
``Chapter.from_parameters`` in a notebook) resolve what was not given here and pass it down:

- ``$POLYCHROMIFY_DATA``: the folder of photos. Unset: synthetic landscapes (``data_dir=None`` in the
  library always means synthetic landscapes; the library never reads this variable).
- ``$POLYCHROMIFY_RESULTS``: the results store. Unset: the repository's ``results/`` when the package runs
  from a checkout (whatever the current folder, so ``polychromify train`` from another folder adds to the
  store the book reads), else ``$XDG_DATA_HOME/polychromify/results`` (``~/.local/share/...``) for an
  installed package. Never the current folder unless asked (``--results results``).
- ``$POLYCHROMIFY_CACHE``: prepared arrays, checkpoints of unfinished runs and downloads. Unset:
  ``$XDG_CACHE_HOME/polychromify`` (``~/.cache/polychromify``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_ENV = "POLYCHROMIFY_DATA"
RESULTS_ENV = "POLYCHROMIFY_RESULTS"
CACHE_ENV = "POLYCHROMIFY_CACHE"

ROOT = Path(__file__).resolve().parents[2]  # the repository, when the package runs from a checkout


def in_checkout(root: Path = ROOT) -> bool:
    """Whether the package runs from the repository (its book and results store beside it)."""
    return (root / "_toc.yml").is_file() and (root / "polychromify" / "__init__.py").is_file()


def default_results_dir(root: Path = ROOT, environ=None) -> Path:
    """The results store without ``$POLYCHROMIFY_RESULTS``: the checkout's ``results/``, else the user's data
    folder (``$XDG_DATA_HOME/polychromify/results``); an absolute path, never relative to the current folder."""
    if in_checkout(root):
        return root / "results"
    environ = os.environ if environ is None else environ
    return Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "polychromify" / "results"


def data_dir(environ=None) -> Path | None:
    """``$POLYCHROMIFY_DATA``, or None: synthetic landscapes."""
    value = (os.environ if environ is None else environ).get(DATA_ENV)
    return Path(value) if value else None


def results_dir(environ=None) -> Path:
    """``$POLYCHROMIFY_RESULTS``, else ``default_results_dir()``."""
    environ = os.environ if environ is None else environ
    value = environ.get(RESULTS_ENV)
    return Path(value) if value else default_results_dir(environ=environ)


def cache_dir(environ=None) -> Path:
    """``$POLYCHROMIFY_CACHE``, else ``$XDG_CACHE_HOME/polychromify`` (``~/.cache/polychromify``)."""
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV])
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "polychromify"


@dataclass(frozen=True)
class Settings:
    """The three folders, resolved once at the edge and passed down."""

    data_dir: Path | None
    results_dir: Path
    cache_dir: Path

    @classmethod
    def resolve(cls, data=None, results=None, cache=None, environ=None) -> "Settings":
        """The folders given; each one not given from the environment (see the module's docstring)."""
        return cls(Path(data) if data else data_dir(environ), Path(results) if results else results_dir(environ),
                   Path(cache) if cache else cache_dir(environ))
