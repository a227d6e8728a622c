"""Where a chapter's material comes from, on the repository's committed results store: the pages render from the
store alone wherever it holds what they need (a photo folder changes nothing there), and each provenance header
describes the runs it heads, not the profile."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from polychromify.book.chapter import Chapter, plain, provenance_lines
from polychromify.training.experiments import SELECTION
from polychromify.training.results import list_runs, profile_name

RESULTS = Path(__file__).resolve().parents[1] / "results"  # the committed store


@pytest.fixture
def no_folder(monkeypatch, tmp_path):
    """No photo folder from the environment, and a cache in tmp_path."""
    monkeypatch.delenv("POLYCHROMIFY_DATA", raising=False)
    monkeypatch.setenv("POLYCHROMIFY_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _tiny_photos(folder: Path) -> Path:
    """A few tiny JPEGs: too few to clean and split, so a chapter that needed them would fail."""
    folder.mkdir()
    for i in range(3):
        noise = np.random.default_rng(i).integers(0, 256, (24, 24, 3), dtype=np.uint8)
        Image.fromarray(noise).save(folder / f"photo{i}.jpg", quality=90)
    return folder


def test_the_paper_pages_show_the_store_with_or_without_a_photo_folder(no_folder):
    """Chapter 1's data and the demonstrations' photo are the store's in both builds: equal, and the folder is
    never read (its data set is never loaded, and the store is not written)."""
    stored = sorted((RESULTS / "data").iterdir())
    with_folder = Chapter.from_parameters("paper", data_dir=_tiny_photos(no_folder / "photos"), results_dir=RESULTS)
    without = Chapter.from_parameters("paper", results_dir=RESULTS)
    assert with_folder.real_data is not None and without.real_data is None
    seen, bare = with_folder.data_view(), without.data_view()
    assert seen.report == bare.report and seen.low_chroma == bare.low_chroma and seen.source == bare.source
    assert seen.pictures == bare.pictures and not seen.synthetic
    assert np.array_equal(seen.photos, bare.photos) and np.array_equal(seen.y_train, bare.y_train)
    assert "results store" in seen.source and "folder" not in seen.source
    (photo, source), (bare_photo, bare_source) = with_folder.example_photo(), without.example_photo()
    assert np.array_equal(photo, bare_photo) and source == bare_source and "folder" not in source
    assert with_folder.results_data() == without.results_data()
    (names, pictures), (bare_names, bare_pictures) = with_folder.test_photos(), without.test_photos()
    assert names == bare_names and len(names) == 12 and np.array_equal(pictures, bare_pictures)  # the colorizer's menu
    assert "dataset" not in with_folder.__dict__  # the photo folder was not loaded
    assert sorted((RESULTS / "data").iterdir()) == stored


def test_the_selection_header_describes_its_runs_not_the_profile(no_folder):
    """Chapter 3's runs trained on 800/200 photos, batch 16, in mixed_bfloat16, all alike: one sentence for
    them all; each run whose commit has uncommitted changes is named in a sentence that says so."""
    chapter = Chapter.from_parameters("paper", results_dir=RESULTS)
    runs = chapter.obtain(*SELECTION)
    assert set(runs) == set(SELECTION)
    lines = provenance_lines(chapter, runs)
    settings = [line for line in lines if "batch" in line]
    assert len(settings) == 1 and all(name in settings[0] for name in SELECTION)
    for fact in ("128 px", "25 epochs", "batch 16", "800 training and 200 validation photos", "mixed_bfloat16",
                 "TensorFlow on AMD EPYC (CPU)"):
        assert fact in settings[0]
    assert "batch 32" not in " ".join(lines) and "all photos" not in " ".join(lines)
    dirty = [name for name, run in runs.items() if run.provenance["git_commit"].endswith("+dirty")]
    assert dirty
    uncommitted = [line for line in lines if "from uncommitted changes on top of commit" in line]
    for name in dirty:
        base = runs[name].provenance["git_commit"].removesuffix("+dirty")[:10]
        assert any(name in line and f"`{base}`" in line for line in uncommitted), name
    assert lines[-1].startswith("Executed ")


def test_a_run_without_its_machine_says_so_and_the_prose_form_is_one_sentence(no_folder):
    """A run whose CPU was not recorded reads "machine not recorded"; ``label=False`` opens with one sentence
    that reads inside a paragraph, without Markdown marks once ``plain``."""
    unrecorded = next((run for run in list_runs(RESULTS) if profile_name(run) == "paper" and not any(
        r.get("accelerators") or (r.get("machine") or {}).get("cpu") for r in
        run.provenance.get("segments") or [run.provenance])), None)
    assert unrecorded is not None
    chapter = Chapter.from_parameters("paper", results_dir=RESULTS)
    lines = provenance_lines(chapter, {unrecorded.experiment: unrecorded}, label=False)
    assert "machine not recorded" in lines[0] and "CPU not recorded" not in " ".join(lines)
    assert lines[0].startswith("The results come from runs of the `paper` profile")
    text = " ".join(plain(line) for line in lines)
    assert "`" not in text and "**" not in text
