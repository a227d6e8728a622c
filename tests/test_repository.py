"""What a clone holds: no path of the machine that built or trained anything, and a package that never reads
the team's folder beside the checkout (``../shared``), so that ``make book`` and ``make test`` work in a clone
with nothing beside it."""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Where build and training machines keep their files: a path under one of these in a committed file names a
# machine, not the project (the store records a photo collection by its name and content hash instead).
MACHINE_ROOTS = re.compile(r"(?<![\w.~/-])/(?:work|home|root|Users|tmp|mnt|scratch)/[\w.-]")


def tracked_text_files() -> list[Path]:
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout: no list of tracked files")
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    files = []
    for name in names.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file() and not path.is_symlink():
            with open(path, "rb") as f:
                head = f.read(8192)
            if b"\0" not in head:  # text, not weights or images
                files.append(path)
    return files


def test_no_tracked_file_holds_a_build_machines_absolute_path():
    files = tracked_text_files()
    assert len(files) > 100
    here = {str(ROOT), str(ROOT.parent), str(Path.home())} - {"/"}
    found = []
    for path in files:
        if path == Path(__file__):
            continue  # this file: the examples of the check below
        text = path.read_text(errors="replace")
        for line_number, line in enumerate(text.splitlines(), 1):
            if MACHINE_ROOTS.search(line) or any(h in line for h in here):
                found.append(f"{path.relative_to(ROOT)}:{line_number}: {line.strip()[:100]}")
    assert not found, "\n".join(found[:20])


def test_the_check_finds_what_it_looks_for():
    for line in ('"source": "/work/main/../shared/datasets/landscapes"', "saved in /home/me/photos/x.jpg",
                 "'/Users/anna/polychromify'", "at /tmp/pytest-of-root/book"):
        assert MACHINE_ROOTS.search(line), line
    for line in ('"source": "landscapes"', "read /proc/self/stat", "https://github.com/x/y", "a/work/b"):
        assert not MACHINE_ROOTS.search(line), line


def test_the_package_names_no_path_into_the_teams_shared_folder():
    """The package never reads ``../shared``: no code or docstring points there (a path comes in as an option
    or an environment variable, at the edge); the author's materials are named by their public source."""
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
             for path in sorted((ROOT / "polychromify").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(r"\.\./shared|shared/(?:datasets|paper)|author-2021-06", line)]
    assert not found, "\n".join(found)
