"""TensorFlow's start-up noise, kept off the user's screen: what TensorFlow, XLA and absl write straight to
file descriptor 2 when TensorFlow is imported and its devices first start (``TF_CPP_MIN_LOG_LEVEL`` does not
reach these lines). One filter (``NOISE``) serves the command line, for its whole run (``filter_stderr``),
and the library, around TensorFlow's start only (``tensorflow_start``), so that ``from polychromify import
colorize`` in a script or a notebook prints none of it either. Every other line passes, in order.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import threading

__all__ = ["NOISE", "filter_stderr", "quiet_tensorflow_import", "tensorflow_start"]

# "WARNING: All log messages before absl::InitializeLog() ...", info and warning lines ("I0000
# 00:00:1796182550.888948 2383 port.cc:153] ...": before absl is initialised the time is seconds since the
# epoch; "I1202 03:12:00.123 ..." after), the CPU-features notice and its second line, the failed CUDA probe of
# a machine without a GPU; and, from each notebook kernel that ``polychromify book`` starts, ipykernel's notice
# that its local kernel talks over TCP on the loopback.
NOISE = re.compile(rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
                   rb"|[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] .*"
                   rb"|E\d{4} \d\d:\d\d:\d+\.\d+ +\d+ cuda_[a-z_]+\.cc:\d+\] failed call to cuInit.*"
                   rb"|To enable the following instructions: .*, in other operations, rebuild TensorFlow with the "
                   rb"appropriate compiler flags\."
                   rb"|\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption\..*")


def _pump(read: int, out: int) -> threading.Thread:
    """A thread copying lines from the pipe ``read`` to ``out``, but for ``NOISE``; it ends with the pipe."""
    def pump() -> None:
        with os.fdopen(read, "rb") as pipe:
            for line in pipe:
                if not NOISE.fullmatch(line.rstrip(b"\r\n")):
                    os.write(out, line)
    thread = threading.Thread(target=pump, name="stderr-filter", daemon=True)
    thread.start()
    return thread


def filter_stderr() -> None:
    """For the rest of the process, pass what native code writes to descriptor 2 through the filter; Python's
    own ``sys.stderr`` (messages, progress bars) goes to the terminal directly. (The command line's.)"""
    import atexit
    sys.stderr.flush()
    terminal = os.dup(2)
    sys.stderr = os.fdopen(os.dup(terminal), "w", buffering=1, encoding=sys.stderr.encoding,
                           errors="backslashreplace")
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)
    thread = _pump(read, terminal)

    def restore() -> None:
        os.dup2(terminal, 2)  # closes the pipe's last writer (but for children still running): the pump ends
        thread.join(timeout=2)
    atexit.register(restore)


_started: set[str] = set()
_lock = threading.Lock()


@contextlib.contextmanager
def tensorflow_start(stage: str):
    """Filter descriptor 2 for the block the first time a ``stage`` runs ("import": TensorFlow's import;
    "devices": its first model, when the devices start); later blocks run as they are. Where descriptor 2
    cannot be duplicated (closed), nothing is filtered."""
    with _lock:
        first = stage not in _started
        _started.add(stage)
    if not first:
        yield
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)
    thread = _pump(read, saved)
    try:
        yield
    finally:
        if sys.stderr is not None:
            sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last writer closes: the pump drains it and ends
        thread.join(timeout=5)
        os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, its module run with descriptor 2 filtered."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with tensorflow_start("import"):
            self.loader.exec_module(module)


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` once, as Python would, and gives it ``_QuietLoader``."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once; and so that the lookup below finds the real package
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_tensorflow_import() -> None:
    """Whenever TensorFlow is first imported in this process (by Keras, or by anyone), filter its start-up
    lines; ``models.build_model`` does the same for the devices' start. (Called by the package's ``__init__``.)"""
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
