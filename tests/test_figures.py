"""The book's figures: each function returns a matplotlib Figure that renders to PNG."""
import io

import numpy as np
import pytest
from helpers import fake_run
from matplotlib.figure import Figure

from polychromify.book import figures
from polychromify.product.color import rgb_to_xy
from polychromify.product.models import build_model
from polychromify.training.synthetic import synthetic_landscapes


@pytest.fixture(scope="module")
def rgb():
    return synthetic_landscapes(6, 32, seed=1)


def png(figure: Figure) -> bytes:
    assert isinstance(figure, Figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_data_figures(rgb):
    x, y = rgb_to_xy(rgb)
    assert png(figures.sample_grid(rgb, columns=4, rows=2)).startswith(b"\x89PNG")
    assert len(figures.sample_grid(rgb, columns=4, rows=3).axes) == 8  # 6 photos: two rows of four
    png(figures.lab_channels(rgb[0]))
    png(figures.ab_distribution(y, max_pixels=500))


def test_architecture_draws_every_layer():
    model = build_model("polychromify", 32)
    figure = figures.architecture(model)
    png(figure)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "32\u00d732\u00d7256" in texts  # dense1's output shape
    assert "293,074 parameters" in figure.axes[0].get_title()


def test_validation_curves_with_and_without_the_paper():
    histories = {"ae_v0": {"val_accuracy": [0.5, 0.6]}, "eccv16": {"val_accuracy": [0.4]}}
    png(figures.validation_curves(histories, {"ae_v0": 0.54}, {"ae_v0": "AE v0"}))
    png(figures.validation_curves(histories))


def test_colorizations_and_ranking(rgb, tmp_path):
    x, y = rgb_to_xy(rgb)
    worse = np.zeros_like(y)
    order = figures.rank_images(x, y, y * 0.5)
    assert sorted(order) == list(range(len(x)))
    figure = figures.colorizations(x, y, {"polychromify": worse}, order[:2], {"polychromify": "PolyChromify"})
    png(figure)
    assert [ax.get_title() for ax in figure.axes[:3]] == ["gray input", "ground truth", "PolyChromify"]


def test_predictions_skip_runs_without_weights_or_of_another_size(tmp_path):
    x = np.zeros((2, 32, 32, 1), np.float32)
    runs = {"eccv16": fake_run(tmp_path, "eccv16"), "cnn": fake_run(tmp_path, "cnn", image_size=64)}
    runs["eccv16"].weights.unlink()  # not kept, as ECCV16's 129 MB are not
    (runs["cnn"].weights).write_bytes(b"")
    predicted, missing = figures.predictions(runs, x)
    assert predicted == {}
    assert "weights" in missing["eccv16"] and "64 px" in missing["cnn"]
