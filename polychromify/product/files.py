"""Writing files and folders so that nobody ever sees half of one: write to a temporary sibling, make it
durable, then rename it into place (a rename within a folder is atomic). The package's one atomic writer.

Permissions are those of any new file: 0666 for files and 0777 for folders, less the umask; a replaced
target keeps its read, write and execute bits (never setuid, setgid or sticky ones). Nothing is ever
written through a symbolic link: a link at the target's name is replaced by the new file itself, with the
umask's mode (never the mode of what it pointed to), and a lock file that is a link is refused. The umask
is never read nor changed: ``os.umask`` can only read it by setting it,
which would give other threads' files a wrong mode meanwhile. The temporary file or folder is created
with 0666 or 0777 and the kernel applies the umask, as it does for any ``open``.

Temporary names are hidden and contain ``.partial`` (``.<stem>.<pid>-<random>.partial<suffixes>`` for a
file, so writers that read the extension still work; ``.<name>.<pid>-<random>.partial`` for a folder),
which ``.gitignore`` ignores. A process killed mid-write leaves only such a name behind; the next write
into the same folder removes it (``remove_stale``) once its writer is gone: its process id is no longer
running, or the debris is older than that process (the id was reused).
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import time
from pathlib import Path

from polychromify.product.errors import Busy

__all__ = ["atomic_folder", "atomic_path", "exclusive", "remove_stale"]

_PARTIAL = re.compile(r"^\..*\.(?:(?P<pid>\d+)-)?[0-9a-f]{8}\.partial")  # also the names before pids were added
_CLEANED: set[str] = set()  # folders this process has cleaned already (once each)


def _partial_name(target: Path, folder: bool) -> Path:
    """A fresh hidden sibling name for ``target`` that names this process, ending like it for a file."""
    suffix = "" if folder else "".join(target.suffixes)
    stem = target.name[:len(target.name) - len(suffix)]
    return target.with_name(f".{stem}.{os.getpid()}-{secrets.token_hex(4)}.partial{suffix}")


def _process_started(pid: int) -> float | None:
    """When a running process started (seconds since the epoch), or None when no such process runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it runs, as another user
    try:  # Linux: field 22 of /proc/<pid>/stat is the start in clock ticks after boot (/proc/stat's btime)
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return 0.0  # running, start unknown: keep its files


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files and folders that killed writers left in ``folder`` (their process is no
    longer running, or started after they were written); the ones of live writers stay. Returns the removed."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for path in entries:
        match = _PARTIAL.match(path.name)
        if not match:
            continue
        try:
            written = path.lstat().st_mtime
        except OSError:
            continue
        started = _process_started(int(match["pid"])) if match["pid"] else None
        if match["pid"] is None and time.time() - written < 3600:
            continue  # an old-style name (no pid): only when it is clearly stale
        if started is None or started > written + 1:
            _remove(path)
            removed.append(path)
    return removed


def _clean_once(folder: Path) -> None:
    key = str(Path(folder).resolve())
    if key not in _CLEANED:
        _CLEANED.add(key)
        remove_stale(folder)


def _kept_mode(target: Path, folder: bool) -> int | None:
    """The rwx permissions of an existing ``target`` of the same kind, or None (none there, another kind, or a
    symbolic link, which is replaced and whose target's mode is never copied)."""
    try:
        st = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(st.st_mode) or stat.S_ISDIR(st.st_mode) != folder:
        return None
    return stat.S_IMODE(st.st_mode) & 0o777


def _fsync(path: Path) -> None:
    """Flush a file's data, or a folder's entries, to the disk (folders: where the system allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if path.is_dir():  # Windows cannot open folders
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder``, the folder itself last."""
    for root, dirs, files in os.walk(folder):
        for name in files:
            if not os.path.islink(os.path.join(root, name)):
                _fsync(Path(root) / name)
    for root, dirs, files in os.walk(folder, topdown=False):
        _fsync(Path(root))


def _remove(path: Path) -> None:
    """Remove a file, link or folder tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(target, overwrite: bool = True):
    """Yield a temporary path beside ``target`` to write a file to; when the block ends without error its
    data are flushed to disk and it becomes ``target``, otherwise it is removed and ``target`` is untouched.

    An existing ``target`` is replaced, keeping its permissions; with ``overwrite=False`` it is never
    replaced, even one that appears while writing (FileExistsError): the file is hard-linked into place,
    which fails when the name exists.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_once(target.parent)
    while True:
        tmp = _partial_name(target, folder=False)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the kernel applies the umask
            break
        except FileExistsError:
            continue
        except OSError as err:  # a read-only folder, a full disk: name the file asked for, not the temporary
            raise _about(err, target) from None
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
    try:
        yield tmp
        _fsync(tmp)
        if overwrite:
            kept = _kept_mode(target, folder=False)
            os.chmod(tmp, mode if kept is None else kept)
            os.replace(tmp, target)
        else:
            os.chmod(tmp, mode)
            _link(tmp, target)
        _fsync(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _about(err: OSError, target: Path) -> OSError:
    """The same error, naming ``target`` (what the caller asked to write) instead of its temporary sibling."""
    return type(err)(err.errno, err.strerror, str(target))


def _link(tmp: Path, target: Path) -> None:
    """Give ``tmp``'s file the name ``target``, never replacing one (FileExistsError)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise FileExistsError(f"{target}: exists") from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise FileExistsError(f"{target}: exists") from None
        os.replace(tmp, target)


@contextlib.contextmanager
def atomic_folder(target, overwrite: bool = True):
    """Yield a new temporary folder beside ``target`` to fill; when the block ends without error every file
    in it is flushed to disk and it becomes ``target``, otherwise it is removed and ``target`` is untouched.

    An existing ``target`` is replaced (a folder keeps its permissions): it is renamed aside, the new folder
    renamed in and the old one removed, restored if the second rename fails (a folder cannot be swapped
    in one step, so a kill between the two renames leaves ``target`` missing and both under ``.partial``
    names). With ``overwrite=False`` an existing non-empty ``target`` is kept (FileExistsError).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_once(target.parent)
    while True:
        tmp = _partial_name(target, folder=True)
        try:
            os.mkdir(tmp, 0o777)  # the kernel applies the umask
            break
        except FileExistsError:
            continue
        except OSError as err:
            raise _about(err, target) from None
    try:
        yield tmp
        _fsync_tree(tmp)
        kept = _kept_mode(target, folder=True)
        if kept is not None:
            os.chmod(tmp, kept)
        old = None
        if overwrite and (target.exists() or target.is_symlink()):
            old = _partial_name(target, folder=True)
            os.rename(target, old)  # aside: a non-empty folder cannot be replaced in one step
        try:
            os.rename(tmp, target)  # POSIX replaces an empty folder, never a non-empty one
        except BaseException as err:
            if old is not None:
                os.rename(old, target)
            elif isinstance(err, OSError) and target.exists():
                raise FileExistsError(f"{target}: exists") from None
            raise
        _fsync(target.parent)  # the new name is durable before the old folder goes
        if old is not None:
            _remove(old)
    finally:
        _remove(tmp)


@contextlib.contextmanager
def exclusive(lock: Path, what: str):
    """Hold an exclusive lock on the file ``lock`` (``fcntl.flock``, released by the kernel when the process
    ends, however it ends) for the block, its pid written in it. ``errors.Busy`` at once, naming ``what`` and
    the other process, when another process holds it."""
    import fcntl

    lock = Path(lock)
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:  # never through a symbolic link: its target would be truncated and overwritten
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as err:
        if err.errno == errno.ELOOP or lock.is_symlink():
            raise ValueError(f"{lock}: is a symbolic link; a lock file is never written through one (remove "
                             f"the link, then run the command again)") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"{lock}: not a regular file; remove it, then run the command again")
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise Busy(f"{what}: another process (pid {holder}) is at it; wait for it to end (a stopped run "
                       f"resumes from its checkpoint), then run the command again") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
