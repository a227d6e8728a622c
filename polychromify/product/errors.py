"""The package's own errors: each one's text is one line naming the file, what is wrong and what to do.

The command line prints that line and exits non-zero (``cli.main``); a batch or a store listing reports the
damaged item and goes on with the others.
"""
from __future__ import annotations

import json
from pathlib import Path


class Damaged(ValueError):
    """A file of the results store, the cache or a checkpoint that cannot be read (truncated, not JSON, ...)."""


class Busy(RuntimeError):
    """Another process is working on the same thing (training the same run)."""


def reason(err: BaseException) -> str:
    """What went wrong, in a few words, from an exception of a reader (json, numpy, h5py, OSError)."""
    if isinstance(err, json.JSONDecodeError):
        return f"not valid JSON: {err.msg} at line {err.lineno}"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    text = str(err).splitlines()[0].strip() if str(err) else ""
    return text or type(err).__name__


def read_json(path: Path, advice: str = "") -> object:
    """JSON from a file; ``Damaged`` naming the file, the reason and ``advice`` (what to do) when it cannot
    be read or parsed (a missing file stays FileNotFoundError)."""
    path = Path(path)
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise
    except (ValueError, OSError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Damaged(f"{path}: damaged ({reason(err)})" + (f"; {advice}" if advice else "")) from None
