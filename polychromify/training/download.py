"""Getting the real photos: the Kaggle download, or the extraction of a zip downloaded by hand.

Both write the images into a hidden temporary folder next to the target and rename it into
place only when complete (``files.atomic_folder``), so the target is never half written.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from polychromify.product.files import atomic_folder
from polychromify.product.images import IMAGE_EXTENSIONS, is_image_name
from polychromify.training import settings

KAGGLE_DATASET = "arnaud58/landscape-pictures"
KAGGLE_URL = f"https://www.kaggle.com/datasets/{KAGGLE_DATASET}"

SETUP_HELP = (
    "Create an API token at https://www.kaggle.com/settings (section API, 'Create New Token'), "
    "save the downloaded kaggle.json as ~/.kaggle/kaggle.json and run `chmod 600 ~/.kaggle/kaggle.json` "
    "(or export KAGGLE_USERNAME and KAGGLE_KEY, or KAGGLE_API_TOKEN). "
    f"Alternatively download the zip by hand from {KAGGLE_URL} "
    "and run `polychromify data download --zip FILE`."
)
CREDENTIALS_HELP = "No Kaggle credentials found. " + SETUP_HELP


class DownloadError(RuntimeError):
    """Getting the data failed; ``str(err)`` says why and what to do."""


@dataclass(frozen=True)
class Ingested:
    """Where the images were put and how many; usable as a path (``Path(result)``)."""

    path: Path
    images: int

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return f"{self.path} ({self.images} images)"


def default_download_dir(cache_dir: Path | None = None) -> Path:
    """``<cache_dir>/landscapes``; the cache None: ``settings.cache_dir()`` (``$POLYCHROMIFY_CACHE``, else
    ``$XDG_CACHE_HOME/polychromify``, ``~/.cache/...``)."""
    return Path(cache_dir or settings.cache_dir()) / "landscapes"


def kaggle_credentials() -> str | None:
    """Where Kaggle credentials were found (env variable or file), or None; the places the ``kaggle`` package reads."""
    if os.environ.get("KAGGLE_API_TOKEN"):
        return "$KAGGLE_API_TOKEN"
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return "$KAGGLE_USERNAME and $KAGGLE_KEY"
    home = Path(os.path.expanduser("~"))
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    names = ("kaggle.json", "access_token", "access_token.txt", "credentials.json")
    candidates = [home / ".kaggle" / name for name in names]
    candidates.append(config_home / "kaggle" / "kaggle.json")
    if os.environ.get("KAGGLE_CONFIG_DIR"):
        candidates.insert(0, Path(os.environ["KAGGLE_CONFIG_DIR"]) / "kaggle.json")
    return next((str(path) for path in candidates if path.is_file()), None)


def download_kaggle(dest: Path, dataset: str = KAGGLE_DATASET, force: bool = False) -> Path:
    """Download the Kaggle data set's images into ``dest`` (replaced only with ``force``) and return ``dest``.

    Needs the ``kaggle`` package and credentials (see ``CREDENTIALS_HELP``); raises DownloadError otherwise.
    """
    dest = Path(dest)
    if kaggle_credentials() is None:
        raise DownloadError(CREDENTIALS_HELP)
    _check_free(dest, force)
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi
    except ImportError:
        raise DownloadError("the `kaggle` package is missing: pip install kaggle") from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.download-", dir=dest.parent))
    try:
        api = KaggleApi()
        api.authenticate()
        api.dataset_download_files(dataset, path=str(work), quiet=False, unzip=False)
        zips = sorted(work.glob("*.zip"))
        if not zips:
            raise DownloadError(f"the download of {dataset} produced no zip file in {work}")
        ingest_zip(zips[0], dest, force=force)
    except SystemExit:  # the kaggle package exits when it rejects the credentials
        raise DownloadError(f"Kaggle refused the credentials from {kaggle_credentials()}. {SETUP_HELP}") from None
    except DownloadError:
        raise
    except Exception as err:  # network, HTTP or quota errors from the kaggle client
        raise DownloadError(f"downloading {dataset} failed: {err}") from err
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def ingest_zip(zip_path: Path, dest: Path, force: bool = False) -> Ingested:
    """Extract the image files of a zip into ``dest``, keeping their sub-folders; returns the folder and the count.

    Only names ending in one of ``IMAGE_EXTENSIONS`` (any case) are extracted; macOS ``__MACOSX/`` and ``._*``
    resource forks are skipped. A member with an absolute path or a ``..`` component (zip slip) rejects the
    whole zip before anything is written. An existing, non-empty ``dest`` is replaced only with ``force``.
    """
    zip_path, dest = Path(zip_path), Path(dest)
    if not zip_path.is_file():
        raise DownloadError(f"{zip_path}: no such file")
    _check_free(dest, force)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as err:
        raise DownloadError(f"{zip_path}: not a zip file ({err}); download it again from {KAGGLE_URL}") from None
    with archive:
        members = [(info, _safe_member(zip_path, info.filename)) for info in archive.infolist()]
        images = [(info, rel) for info, rel in members if _is_wanted(info, rel)]
        if not images:
            kinds = ", ".join(ext.lstrip(".") for ext in IMAGE_EXTENSIONS)
            raise DownloadError(f"{zip_path}: no image files ({kinds}) in the zip")
        with atomic_folder(dest) as work:  # an existing dest (force) is swapped out when this one is complete
            for info, rel in images:
                _extract(archive, zip_path, info, work.joinpath(*rel.parts))
    return Ingested(dest, len(images))


def _check_free(dest: Path, force: bool) -> None:
    """Refuse an existing non-empty ``dest`` unless ``force``."""
    if dest.exists() and not force and (not dest.is_dir() or any(dest.iterdir())):
        raise DownloadError(f"{dest} already exists; pass force=True (--force) to replace it")


def _safe_member(zip_path: Path, name: str) -> PurePosixPath:
    """A zip member's name as a relative path, or DownloadError if it is absolute or climbs out with ``..``."""
    posix = name.replace("\\", "/")
    rel = PurePosixPath(posix)
    if rel.is_absolute() or PureWindowsPath(name).drive or ".." in rel.parts:
        raise DownloadError(f"{zip_path}: unsafe member {name!r} (absolute path or '..'); refusing to extract")
    return rel


def _is_wanted(info: zipfile.ZipInfo, rel: PurePosixPath) -> bool:
    """An image file, not a folder entry nor a macOS resource fork."""
    return (not info.is_dir() and is_image_name(rel.name)
            and not rel.name.startswith("._") and "__MACOSX" not in rel.parts)


def _extract(archive: zipfile.ZipFile, zip_path: Path, info: zipfile.ZipInfo, target: Path) -> None:
    """Copy one member's bytes to ``target``; DownloadError naming the member if its data is corrupt."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with archive.open(info) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise DownloadError(f"{zip_path}: member {info.filename!r} is corrupt ({err}); download it again") from None
