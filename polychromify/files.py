"""Writing files so that nobody ever sees half of one: write to a temporary path beside the target, then
rename it into place (a rename within a folder is atomic)."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(target, mode: int = 0o644):
    """Yield a temporary path beside ``target`` to write to; when the block ends without error it becomes
    ``target`` (replacing it) with permissions ``mode`` (default readable by everyone, as package data and
    web pages must be; ``mkstemp`` alone gives 0600), otherwise it is removed and ``target`` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + target.name + ".", suffix=".partial", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
