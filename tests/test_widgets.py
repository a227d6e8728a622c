"""polychromify.book.widgets, driven headless (set values, click, read the outputs), and notebooks/06_colorize."""
import datetime
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from polychromify.book import widgets
from polychromify.product.color import rgb_to_lab
from polychromify.training.data import load_dataset

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def app(store):
    results, run = store
    dataset = load_dataset(None, "smoke", quiet=True)
    app = widgets.colorizer(results_dir=results, dataset=dataset)
    app.model.value = str(run.path)
    return app


def _png_of(rgb) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------- colorizer

def test_colorizer_offers_the_runs_of_the_store(app, store):
    _, run = store
    assert str(run.path) in [value for _, value in app.model.options]
    assert app.result is not None and app.result_image.value and app.gray_image.value and app.truth_image.value
    assert "PSNR" in app.metrics.value and "gray input" in app.metrics.value


def test_picking_another_test_photo_changes_the_result_and_metrics(app):
    app.photo.value = 0
    before_image, before_metrics = app.result_image.value, app.metrics.value
    app.photo.value = 1
    assert app.result_image.value != before_image and app.metrics.value != before_metrics
    assert np.array_equal(app.truth, app.photos[1][1])


def test_chroma_slider_scales_the_colour(app):
    app.chroma.value = 1.0
    colour = np.abs(rgb_to_lab(app.result)[..., 1:]).mean()
    image = app.result_image.value
    app.chroma.value = 0.0
    assert app.result_image.value != image
    assert np.array_equal(app.result[..., 0], app.result[..., 1]) and np.array_equal(app.result[..., 1], app.result[..., 2])
    app.chroma.value = 2.0
    assert np.abs(rgb_to_lab(app.result)[..., 1:]).mean() > colour
    app.chroma.value = 1.0


def test_choosing_another_model_predicts_again(app, store):
    _, run = store
    app.model.value = str(run.path)
    ab = app.ab.copy()
    others = [value for _, value in app.model.options if value != str(run.path)]
    if not others:
        pytest.skip("only one model to choose from")
    app.model.value = others[0]
    assert not np.array_equal(app.ab, ab)
    app.model.value = str(run.path)


def test_uploading_a_gray_photo_has_no_truth(app):
    gray = np.tile(np.linspace(0, 255, 90).astype(np.uint8), (70, 1))
    app.upload.value = ({"name": "gray.png", "type": "image/png", "size": 0, "content": memoryview(_png_of(gray)),
                         "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    assert app.result.shape == (70, 90, 3) and app.truth is None
    assert "no truth" in app.metrics.value and app.truth_image.value == b""
    assert "gray.png" in app.status.value


def test_uploading_a_colour_photo_is_its_own_truth(app):
    colour = np.zeros((40, 50, 3), np.uint8)
    colour[..., 0], colour[..., 2] = 200, 60
    app.upload.value = ({"name": "red.png", "type": "image/png", "size": 0, "content": memoryview(_png_of(colour)),
                         "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    assert app.truth is not None and "PSNR" in app.metrics.value


def test_a_bad_upload_says_so(app):
    before = app.result_image.value
    app.upload.value = ({"name": "x.png", "type": "image/png", "size": 3, "content": memoryview(b"abc"),
                         "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    assert "not an image" in app.status.value and app.result_image.value == before


def test_save_button_writes_the_full_result_once(app, tmp_path):
    target = tmp_path / "saved.png"
    app.save_path.value = str(target)
    app.overwrite.value = False
    app.save_button.click()
    assert np.array_equal(np.asarray(Image.open(target)), app.result)
    app.chroma.value = 0.5
    app.save_button.click()
    assert "exists" in app.status.value
    app.overwrite.value = True
    app.save_button.click()
    assert np.array_equal(np.asarray(Image.open(target)), app.result)
    app.chroma.value = 1.0


# ---------------------------------------------------------------- Lab explorer

def test_ab_plane_is_gray_at_the_centre_and_marks_the_gamut():
    plane = widgets.ab_plane(50.0, size=256)
    centre = plane[100, 160]  # a, b about (+32, +27): inside sRGB at L 50, a warm colour
    assert centre[0] > centre[2]
    corner = plane[255, 255]  # a = 127, b = -128: outside sRGB at L 50: the checkerboard's gray
    assert corner[0] == corner[1] == corner[2] and corner[0] >= 215
    marked = widgets.ab_plane(50.0, size=256, marker=(0.0, 0.0))
    assert not np.array_equal(marked, plane)


def test_lab_explorer_follows_the_pixel_and_the_slider():
    photo = np.zeros((40, 60, 3), np.uint8)
    photo[:, :30] = (30, 60, 200)     # a dark blue half
    photo[:, 30:] = (240, 220, 120)   # a light yellow half
    explorer = widgets.lab_explorer(photo)
    explorer.x.value, explorer.y.value = 5, 5
    blue_plane, blue_text = explorer.plane_image.value, explorer.readout.value
    assert explorer.lightness.value == round(float(rgb_to_lab(photo[5, 5])[0]))
    explorer.x.value = 50
    assert explorer.lightness.value == round(float(rgb_to_lab(photo[5, 50])[0]))
    assert explorer.readout.value != blue_text and explorer.plane_image.value != blue_plane
    plane = explorer.plane_image.value
    explorer.lightness.value = 20
    assert explorer.plane_image.value != plane and "L 20" in explorer.readout.value
    assert explorer.snapshot().width > 256


# ---------------------------------------------------------------- live training

def test_live_training_updates_every_epoch():
    live = widgets.live_training(epochs=3, image_size=32, max_images=24)
    assert live.losses == [] and live.plot_image.value == b""
    live.button.click()
    assert len(live.losses) == len(live.val_losses) == len(live.strips) == 3
    assert len(set(live.strips)) == 3  # the predictions change epoch by epoch
    assert min(live.losses[1:]) < live.losses[0]
    assert bytes(live.plot_image.value).startswith(b"\x89PNG") and live.strip_image.value == live.strips[-1]
    assert live.progress.value == 3 and not live.button.disabled
    assert "epoch 3/3" in live.status.value


def test_live_training_trains_on_synthetic_landscapes_even_with_photos_configured(tmp_path, monkeypatch):
    """It says synthetic landscapes, and $POLYCHROMIFY_DATA (a folder of a few photos) does not change that:
    the library never reads the environment (it once cleaned and trained on the configured photos)."""
    from polychromify.training.synthetic import synthetic_landscapes
    photos = tmp_path / "photos"
    photos.mkdir()
    for i, rgb in enumerate(synthetic_landscapes(6, 48, seed=5)):
        Image.fromarray(rgb).save(photos / f"photo{i}.png")
    monkeypatch.setenv("POLYCHROMIFY_DATA", str(photos))
    monkeypatch.setenv("POLYCHROMIFY_CACHE", str(tmp_path / "cache"))
    live = widgets.live_training(epochs=1, image_size=16, max_images=24)
    assert "synthetic landscapes" in live.status.value
    live.train()
    assert live.dataset.synthetic and live.dataset.report.used == 24
    assert not (tmp_path / "cache").exists()  # the photos were not cleaned or cached


# ---------------------------------------------------------------- no ipywidgets needed elsewhere

def test_the_package_and_cli_do_not_import_ipywidgets():
    code = ("import sys, polychromify.product.colorize, polychromify.product.pretrained, polychromify.cli, polychromify.book.widgets; "
            "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


