"""Getting the real data: zip ingestion, and the Kaggle download with no credentials or a stand-in client."""
import io
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from polychromify.training import download
from polychromify.training.download import (
    DownloadError,
    default_download_dir,
    download_kaggle,
    ingest_zip,
)


def _png_bytes(value: int) -> bytes:
    """A tiny solid-colour PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((4, 4, 3), value, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _zip(path: Path, members: dict) -> Path:
    """Write a zip with the given member names and contents."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def photo_zip(tmp_path):
    """A zip like a hand download: images at the top and in a nested folder, plus non-image files."""
    return _zip(tmp_path / "landscapes.zip", {
        "a.jpg": _png_bytes(10),          # the content type does not matter, the name does
        "b.PNG": _png_bytes(20),
        "nested/deeper/c.jpeg": _png_bytes(30),
        "nested/readme.txt": b"not an image",
        "nested/": b"",
        "__MACOSX/nested/._c.jpeg": b"resource fork",
    })


def test_ingest_extracts_only_images_and_keeps_folders(photo_zip, tmp_path):
    dest = tmp_path / "data" / "landscapes"
    result = ingest_zip(photo_zip, dest)
    assert result.images == 3 and Path(result) == dest
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert files == ["a.jpg", "b.PNG", "nested/deeper/c.jpeg"]
    assert (dest / "nested" / "deeper" / "c.jpeg").read_bytes() == _png_bytes(30)
    assert [p.name for p in dest.parent.iterdir()] == ["landscapes"]  # no temporary folders left


@pytest.mark.parametrize("evil", ["../escape.jpg", "ok/../../escape.jpg", "/abs/escape.jpg", "..\\escape.jpg"])
def test_zip_slip_member_is_rejected_before_writing(tmp_path, evil):
    bad = _zip(tmp_path / "bad.zip", {"fine.jpg": _png_bytes(1), evil: _png_bytes(2)})
    dest = tmp_path / "out" / "landscapes"
    with pytest.raises(DownloadError, match="unsafe member") as err:
        ingest_zip(bad, dest)
    assert repr(evil) in str(err.value)  # the message names the member
    assert not dest.exists() and not (tmp_path / "escape.jpg").exists()


def test_corrupt_zip_error_names_the_file(tmp_path):
    fake = tmp_path / "broken.zip"
    fake.write_bytes(b"this is not a zip archive at all" * 10)
    with pytest.raises(DownloadError, match="not a zip file") as err:
        ingest_zip(fake, tmp_path / "out")
    assert str(fake) in str(err.value)
    assert not (tmp_path / "out").exists()


def test_zip_without_images_is_an_error(tmp_path):
    empty = _zip(tmp_path / "docs.zip", {"readme.txt": b"hello"})
    with pytest.raises(DownloadError, match="no image files"):
        ingest_zip(empty, tmp_path / "out")


def test_existing_dest_is_refused_without_force_and_replaced_with_it(photo_zip, tmp_path):
    dest = tmp_path / "landscapes"
    dest.mkdir()
    (dest / "old.jpg").write_bytes(b"old")
    with pytest.raises(DownloadError, match="already exists"):
        ingest_zip(photo_zip, dest)
    assert (dest / "old.jpg").read_bytes() == b"old"  # untouched
    ingest_zip(photo_zip, dest, force=True)
    assert not (dest / "old.jpg").exists() and (dest / "a.jpg").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_default_download_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("POLYCHROMIFY_CACHE", str(tmp_path / "cache"))
    assert default_download_dir() == tmp_path / "cache" / "landscapes"
    monkeypatch.delenv("POLYCHROMIFY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_download_dir() == tmp_path / "xdg" / "polychromify" / "landscapes"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_download_dir() == tmp_path / "home" / ".cache" / "polychromify" / "landscapes"


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """An empty home and no Kaggle variables."""
    for name in ("KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))


def test_missing_credentials_raise_a_helpful_error(no_credentials, tmp_path):
    assert download.kaggle_credentials() is None
    dest = tmp_path / "landscapes"
    with pytest.raises(DownloadError) as err:
        download_kaggle(dest)
    message = str(err.value)
    for hint in ("kaggle.com/settings", "~/.kaggle/kaggle.json", "chmod 600", "--zip"):
        assert hint in message
    assert not dest.exists() and not list(tmp_path.glob(".landscapes*"))  # nothing started


def test_credentials_are_found_in_env_or_kaggle_json(no_credentials, monkeypatch, tmp_path):
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    assert download.kaggle_credentials() is None  # the key is missing too
    monkeypatch.setenv("KAGGLE_KEY", "secret")
    assert download.kaggle_credentials() == "$KAGGLE_USERNAME and $KAGGLE_KEY"
    monkeypatch.delenv("KAGGLE_KEY")
    token = tmp_path / "home" / ".kaggle" / "kaggle.json"
    token.parent.mkdir(parents=True)
    token.write_text('{"username": "someone", "key": "secret"}')
    assert download.kaggle_credentials() == str(token)


def test_corrupt_member_is_named_and_nothing_is_left(tmp_path):
    path = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("photo.jpg", b"x" * 1000)
    data = bytearray(path.read_bytes())
    data[data.index(b"x" * 100) + 50] = ord("y")  # breaks the member's CRC
    path.write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="'photo.jpg' is corrupt"):
        ingest_zip(path, tmp_path / "out" / "landscapes")
    assert list((tmp_path / "out").iterdir()) == []


def _fake_kaggle(monkeypatch, download_files):
    """Install a stand-in ``kaggle`` package whose KaggleApi.dataset_download_files is ``download_files``."""
    module = types.ModuleType("kaggle.api.kaggle_api_extended")
    module.KaggleApi = type("KaggleApi", (), {"authenticate": lambda self: None,
                                              "dataset_download_files": download_files})
    for name in ("kaggle", "kaggle.api"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, module.__name__, module)


def test_kaggle_download_lands_in_dest_via_a_temporary_folder(no_credentials, monkeypatch, photo_zip, tmp_path):
    monkeypatch.setenv("KAGGLE_API_TOKEN", "token")
    seen = {}

    def download_files(self, dataset, path, quiet, unzip):
        seen.update(dataset=dataset, path=Path(path))
        (Path(path) / "landscape-pictures.zip").write_bytes(photo_zip.read_bytes())

    _fake_kaggle(monkeypatch, download_files)
    dest = tmp_path / "data" / "landscapes"
    assert download_kaggle(dest) == dest
    assert seen["dataset"] == "arnaud58/landscape-pictures" and seen["path"].parent == dest.parent
    assert (dest / "nested" / "deeper" / "c.jpeg").exists()
    assert [p.name for p in dest.parent.iterdir()] == ["landscapes"]  # temporary folders removed


def test_kaggle_rejecting_the_credentials_is_a_download_error(no_credentials, monkeypatch, tmp_path):
    monkeypatch.setenv("KAGGLE_API_TOKEN", "expired")

    def download_files(self, dataset, path, quiet, unzip):
        raise SystemExit(1)  # what the kaggle package does on bad credentials

    _fake_kaggle(monkeypatch, download_files)
    with pytest.raises(DownloadError, match="refused the credentials"):
        download_kaggle(tmp_path / "landscapes")
    assert not (tmp_path / "landscapes").exists()
