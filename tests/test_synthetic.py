"""The procedural landscapes: deterministic, well formed, colourful and landscape-like."""

import numpy as np
import pytest
from skimage.color import rgb2lab

from polychromify.training.synthetic import (
    SYNTHETIC_WARNING,
    image_seed,
    synthetic_landscape,
    synthetic_landscapes,
)


@pytest.fixture(scope="module")
def pictures():
    """40 pictures at 64 px, shared by the statistics tests."""
    return synthetic_landscapes(40, size=64, seed=1)


def test_same_seed_gives_identical_bytes():
    assert synthetic_landscape(7).tobytes() == synthetic_landscape(7).tobytes()
    assert not np.array_equal(synthetic_landscape(7), synthetic_landscape(8))


def test_picture_i_depends_only_on_seed_and_i():
    three, five = synthetic_landscapes(3, size=48, seed=2), synthetic_landscapes(5, size=48, seed=2)
    np.testing.assert_array_equal(three, five[:3])
    np.testing.assert_array_equal(five[4], synthetic_landscape(image_seed(2, 4), size=48))
    other_set = synthetic_landscapes(3, size=48, seed=3)
    assert not any(np.array_equal(a, b) for a in three for b in other_set)


@pytest.mark.parametrize("size", [8, 33, 128])
def test_shape_and_dtype(size):
    one = synthetic_landscape(0, size)
    assert one.shape == (size, size, 3) and one.dtype == np.uint8
    many = synthetic_landscapes(2, size)
    assert many.shape == (2, size, size, 3) and many.dtype == np.uint8


def test_too_small_size_is_refused():
    with pytest.raises(ValueError, match="size >= 8"):
        synthetic_landscape(0, 4)


def test_pictures_differ_from_each_other(pictures):
    flat = pictures.reshape(len(pictures), -1).astype(np.float32)
    distances = np.abs(flat[:, None] - flat[None]).mean(-1)
    off_diagonal = distances[~np.eye(len(pictures), dtype=bool)]
    assert off_diagonal.min() > 5.0  # mean absolute difference in 0..255 units


def test_pictures_are_colourful_and_not_flat(pictures):
    lab = rgb2lab(pictures)
    chroma = np.hypot(lab[..., 1], lab[..., 2]).reshape(len(pictures), -1)
    assert chroma.mean() > 15.0
    assert np.percentile(chroma, 99, axis=1).min() > 20.0  # data cleaning drops photos below 8
    assert lab[..., 0].reshape(len(pictures), -1).std(axis=1).min() > 5.0  # varied lightness


def test_sky_on_top_is_bluer_and_brighter_than_the_bottom(pictures):
    lab = rgb2lab(pictures)
    top, bottom = lab[:, :16], lab[:, -16:]
    assert top[..., 0].mean() > bottom[..., 0].mean() + 5.0      # brighter
    assert top[..., 2].mean() < bottom[..., 2].mean() - 10.0     # bluer (lower b*)
    assert (top[..., 2].mean(axis=(1, 2)) < 0).mean() > 0.8      # most skies have a blue top


def test_warning_names_both_ways_to_the_real_data():
    assert "SYNTHETIC" in SYNTHETIC_WARNING and "\n" not in SYNTHETIC_WARNING
    assert "POLYCHROMIFY_DATA" in SYNTHETIC_WARNING and "--data" in SYNTHETIC_WARNING
