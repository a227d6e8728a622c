"""polychromify.product.files: the one atomic writer (files and folders), its permissions, and kill-safety."""
import json
import os
import stat

import numpy as np
import pytest

from polychromify.product import files
from polychromify.product.files import atomic_folder, atomic_path

UMASKS = [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]  # umask, a new file's mode, a new folder's mode


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=UMASKS, ids=["umask022", "umask077"])
def umask(request):
    """Run the test under a umask (restored after); yields (umask, file mode, folder mode)."""
    old = os.umask(request.param[0])
    yield request.param
    os.umask(old)


def test_atomic_path_writes_beside_the_target_under_a_hidden_partial_name(tmp_path):
    target = tmp_path / "deep" / "model.weights.h5"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.exists() and not target.exists()
        assert tmp.name.startswith(".model.") and ".partial" in tmp.name and tmp.name.endswith(".weights.h5")
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["model.weights.h5"]


def test_new_files_and_folders_get_the_umask_modes(tmp_path, umask):
    _, file_mode, folder_mode = umask
    with atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("a")
    with atomic_folder(tmp_path / "folder") as tmp:
        (tmp / "inside.txt").write_text("b")
    assert _mode(tmp_path / "a.txt") == file_mode
    assert _mode(tmp_path / "folder") == folder_mode
    assert _mode(tmp_path / "folder" / "inside.txt") == file_mode


@pytest.mark.parametrize("kept", [0o644, 0o600, 0o640])
def test_a_replaced_target_keeps_its_mode(tmp_path, umask, kept):
    target, folder = tmp_path / "a.txt", tmp_path / "folder"
    target.write_text("old")
    folder.mkdir()
    (folder / "old.txt").write_text("old")
    os.chmod(target, kept)
    os.chmod(folder, kept | 0o100)
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    with atomic_folder(folder) as tmp:
        (tmp / "new.txt").write_text("new")
    assert target.read_text() == "new" and _mode(target) == kept
    assert [p.name for p in folder.iterdir()] == ["new.txt"] and _mode(folder) == kept | 0o100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "folder"]


def test_an_error_inside_the_block_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_an_error_inside_the_block_leaves_the_old_folder_and_no_temporary_folder(tmp_path):
    target = tmp_path / "cache"
    target.mkdir()
    (target / "old.npy").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_folder(target) as tmp:
            (tmp / "sub").mkdir()
            (tmp / "sub" / "half.npy").write_text("half")
            raise KeyboardInterrupt
    assert [p.name for p in target.iterdir()] == ["old.npy"] and (target / "old.npy").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cache"]


def test_a_failed_swap_restores_the_old_folder(tmp_path, monkeypatch):
    target = tmp_path / "landscapes"
    target.mkdir()
    (target / "old.jpg").write_text("old")
    calls = []
    rename = os.rename

    def second_rename_fails(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the new folder into place, after the old one went aside
            raise OSError("disk gone")
        rename(src, dst)

    monkeypatch.setattr(files.os, "rename", second_rename_fails)
    with pytest.raises(OSError, match="disk gone"):
        with atomic_folder(target) as tmp:
            (tmp / "new.jpg").write_text("new")
    monkeypatch.undo()
    assert [p.name for p in target.iterdir()] == ["old.jpg"]
    assert [p.name for p in tmp_path.iterdir()] == ["landscapes"]


def test_without_overwrite_an_existing_target_is_kept(tmp_path):
    target, folder = tmp_path / "out.png", tmp_path / "cache"
    target.write_text("keep me")
    folder.mkdir()
    (folder / "index.json").write_text("theirs")
    with pytest.raises(FileExistsError):
        with atomic_path(target, overwrite=False) as tmp:
            tmp.write_text("new")
    with pytest.raises(FileExistsError):
        with atomic_folder(folder, overwrite=False) as tmp:
            (tmp / "index.json").write_text("ours")
    assert target.read_text() == "keep me" and (folder / "index.json").read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out.png"]


def test_without_overwrite_a_target_that_appears_while_writing_is_kept(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(FileExistsError):
        with atomic_path(target, overwrite=False) as tmp:
            tmp.write_text("ours")
            target.write_text("theirs")  # another process was faster
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_data_are_flushed_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    events = []  # ("fsync", inode) and ("rename", None), in order
    real = {name: getattr(os, name) for name in ("fsync", "replace", "rename")}

    def recording(name):
        def call(*args):
            events.append(("fsync", os.fstat(args[0]).st_ino) if name == "fsync" else ("rename", None))
            return real[name](*args)
        return call

    for name in real:
        monkeypatch.setattr(files.os, name, recording(name))
    with atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("a")
    inode = lambda path: os.stat(path).st_ino  # noqa: E731
    assert events == [("fsync", inode(tmp_path / "a.txt")), ("rename", None), ("fsync", inode(tmp_path))]
    events.clear()
    with atomic_folder(tmp_path / "folder") as tmp:
        (tmp / "inside.txt").write_text("b")
    assert events == [("fsync", inode(tmp_path / "folder" / "inside.txt")), ("fsync", inode(tmp_path / "folder")),
                      ("rename", None), ("fsync", inode(tmp_path))]


# ---------------------------------------------------------------- the package's writers

def test_the_package_writers_honour_the_umask_and_keep_a_replaced_mode(tmp_path, umask):
    from polychromify.product.colorize import write_image
    from polychromify.training.data import _write_atomically
    from polychromify.training.results import write_json
    _, file_mode, folder_mode = umask
    rgb = np.zeros((4, 6, 3), np.uint8)
    write_image(rgb, tmp_path / "photo_colorized.png")
    write_json(tmp_path / "metrics.json", {"psnr": 20.0})
    _write_atomically(tmp_path / "prepared" / "photos-32px-0123", {"rgb": rgb}, {"names": []})
    assert _mode(tmp_path / "photo_colorized.png") == file_mode
    assert _mode(tmp_path / "metrics.json") == file_mode
    assert _mode(tmp_path / "prepared" / "photos-32px-0123") == folder_mode
    assert _mode(tmp_path / "prepared" / "photos-32px-0123" / "rgb.npy") == file_mode

    for path in (tmp_path / "photo_colorized.png", tmp_path / "metrics.json"):  # --force keeps 0644 even under 077
        os.chmod(path, 0o644)
    write_image(rgb, tmp_path / "photo_colorized.png", force=True)
    write_json(tmp_path / "metrics.json", {"psnr": 21.0})
    assert _mode(tmp_path / "photo_colorized.png") == 0o644 and _mode(tmp_path / "metrics.json") == 0o644
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"psnr": 21.0}
    assert not [p for p in tmp_path.rglob("*") if ".partial" in p.name]


def test_debris_of_killed_writers_is_removed_at_the_next_write_and_live_writers_are_left_alone(tmp_path):
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    folder = tmp_path / "out"
    folder.mkdir()
    killed_file = folder / f".photo_colorized.{dead}-0a1b2c3d.partial.png"
    killed_file.write_bytes(b"half a png")
    killed_folder = folder / f".epoch-0003.{dead}-0a1b2c3d.partial"
    (killed_folder / "sub").mkdir(parents=True)
    live = folder / f".other.{os.getpid()}-0a1b2c3d.partial.png"  # this process, written after it started
    live.write_bytes(b"being written")
    reused = folder / f".older.{os.getpid()}-00000000.partial.png"  # same pid, but older than this process
    reused.write_bytes(b"left by a process that had this pid before")
    os.utime(reused, (1_000_000, 1_000_000))
    unrelated = folder / ".hidden-notes.txt"
    unrelated.write_text("mine")
    with files.atomic_path(folder / "new.png") as tmp:
        tmp.write_bytes(b"png")
    left = {p.name for p in folder.iterdir()}
    assert left == {live.name, unrelated.name, "new.png"}
