"""polychromify.product.color: the float path is scikit-image, and the lookup-table and keras.ops paths agree with it.

Tolerances, and why they are what they are:

- L of the lookup tables: 0.0075. The Y -> L table has 65536 rows, so Y is off by at most half a row, and
  the steepest part of L(Y) (the linear part, slope CIE_KAPPA = 903.3) turns that into 0.0069 L; float32
  rounding adds less than 1e-4. Over all 2^24 colours the largest error is 0.00696.
- L of keras.ops: 2e-4. It is the exact formula in float32, so only rounding is left.
- uint8 RGB: one level, and only at rounding ties, under 0.5% of random colours (about 0.2% are). The
  float32 arithmetic and the 65536-step tables move a value by much less than one level, so the result is
  off only where the exact value lies next to the middle between two levels.
"""
import warnings

import keras
import numpy as np
import pytest
from skimage import color as skcolor
from skimage.color import colorconv

from polychromify.product.color import (
    AB_SCALE,
    CIE_EPSILON,
    CIE_KAPPA,
    D65_WHITE,
    F_INVERSE_KNEE,
    F_SLOPE,
    L_MAX,
    in_srgb_gamut,
    lab_planes_to_rgb8,
    lab_to_rgb,
    lab_to_rgb8,
    lightness,
    lightness_ops,
    rgb_to_lab,
    rgb_to_xy,
    xy_to_rgb,
)

L_TOLERANCE_TABLES = 0.0075
L_TOLERANCE_OPS = 2e-4
SHARE_OFF_BY_ONE_LEVEL = 0.005


def _random_rgb(seed=0, shape=(200, 250)):
    rgb = np.random.default_rng(seed).integers(0, 256, shape + (3,), dtype=np.uint8)
    rgb[0, :4] = [[0, 0, 0], [255, 255, 255], [1, 1, 1], [254, 254, 254]]
    return rgb


def _random_lab(seed=1, shape=(150, 200), ab_range=110.0):
    """Random L in [0, 100] and ab, most of it outside sRGB: (L (H, W), ab (H, W, 2)) in float32."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, L_MAX, shape).astype(np.float32),
            rng.uniform(-ab_range, ab_range, shape + (2,)).astype(np.float32))


def _float_rgb8(L, ab):
    """The float path's RGB of L, ab, rounded to 8 bits: the reference for the uint8 paths."""
    return (lab_to_rgb(np.concatenate([L[..., None], ab], axis=-1)) * 255 + 0.5).astype(np.uint8)


def _levels(a, b):
    return np.abs(np.asarray(a).astype(int) - np.asarray(b).astype(int))


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


# ---------------------------------------------------------------- constants

def test_constants_are_scikit_images_and_the_cie_fractions():
    assert AB_SCALE == 128.0 and L_MAX == 100.0
    assert np.allclose(D65_WHITE, [0.95047, 1.0, 1.08883], atol=1e-6)
    assert CIE_EPSILON == pytest.approx((6 / 29) ** 3, abs=1e-6)
    assert CIE_KAPPA == pytest.approx((29 / 3) ** 3, abs=0.01)
    assert F_INVERSE_KNEE == pytest.approx(6 / 29, abs=1e-7)
    assert F_SLOPE == pytest.approx((29 / 6) ** 2 / 3, abs=1e-4)
    # scikit-image uses the same curve: a dark gray, below CIE_EPSILON, has L = CIE_KAPPA * Y
    y = 0.004
    assert skcolor.xyz2lab(np.array([[y * D65_WHITE]]))[0, 0, 0] == pytest.approx(CIE_KAPPA * y, abs=0.01)


# ---------------------------------------------------------------- the float path: scikit-image

def test_float_path_is_scikit_image():
    rgb = _random_rgb()
    assert np.array_equal(rgb_to_lab(rgb), skcolor.rgb2lab(rgb.astype(np.float32) / 255).astype(np.float32))
    lab = rgb_to_lab(rgb)  # in gamut, so nothing is clipped
    assert np.array_equal(lab_to_rgb(lab), np.clip(skcolor.lab2rgb(lab), 0, 1).astype(np.float32))


def test_lab_round_trip_within_one_level():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(2, 64, 64, 3), dtype=np.uint8)
    x, y = rgb_to_xy(rgb)
    assert x.shape == (2, 64, 64, 1) and y.shape == (2, 64, 64, 2)
    assert 0 <= x.min() and x.max() <= 100 and np.abs(y).max() <= 1
    back = np.round(xy_to_rgb(x, y) * 255)
    assert np.abs(back - rgb).max() <= 1


def test_ab_scale_maps_pure_colours_into_unit_range():
    x, y = rgb_to_xy(np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]]], np.uint8))
    assert np.abs(y).max() < 1 and np.abs(y[0, 3]).max() < 1e-3   # gray has ab = 0
    assert y[0, 0, 0] * AB_SCALE == pytest.approx(80.1, abs=0.5)   # sRGB red: a* = 80.1


def test_float_path_clips_lightness_and_gamut_quietly():
    lab = np.array([[[120.0, 0, 0], [-10.0, 0, 0], [50.0, 100.0, -120.0], [30.0, -100.0, 110.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-image's "negative Z values clipped" is silenced
        rgb = lab_to_rgb(lab)
    assert rgb.dtype == np.float32 and 0 <= rgb.min() and rgb.max() <= 1
    assert np.array_equal(rgb[0, :2], lab_to_rgb([[[L_MAX, 0, 0], [0, 0, 0]]])[0])  # L clipped to [0, L_MAX]
    assert np.allclose(rgb[0, 0], 1, atol=1e-5) and np.array_equal(rgb[0, 1], [0, 0, 0])
    assert ((rgb[0, 2:] == 0) | (rgb[0, 2:] == 1)).any(axis=-1).all()  # outside sRGB: a channel at its limit
    # xy_to_rgb is the same conversion in model space
    assert np.array_equal(xy_to_rgb(lab[..., :1], lab[..., 1:] / AB_SCALE), rgb)


def test_float_path_computes_in_the_precision_of_its_input():
    L, ab = _random_lab(ab_range=60.0)
    lab = np.concatenate([L[..., None], ab], axis=-1)
    single, double = lab_to_rgb(lab), lab_to_rgb(lab.astype(np.float64))
    assert single.dtype == double.dtype == np.float32
    assert 0 < np.abs(single - double).max() < 1e-5


# ---------------------------------------------------------------- the lookup tables, against scikit-image

def test_lightness_is_the_cielab_l_of_the_float_path():
    rgb = _random_rgb()
    assert np.abs(lightness(rgb) - rgb_to_lab(rgb)[..., 0]).max() < L_TOLERANCE_TABLES
    grays = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=-1)
    assert np.abs(lightness(grays) - rgb_to_lab(grays)[..., 0]).max() < L_TOLERANCE_TABLES


def test_lab_to_rgb8_is_the_float_path_to_one_level_gamut_clipping_included():
    L, ab = _random_lab()
    assert not in_srgb_gamut(L, ab).all()  # most of these colours are clipped
    diff = _levels(lab_to_rgb8(L, ab), _float_rgb8(L, ab))
    assert diff.max() <= 1 and (diff > 0).mean() < SHARE_OFF_BY_ONE_LEVEL


def test_a_photos_own_lab_gives_it_back_exactly():
    # what colorize does with a perfect model; exact for all 2^24 colours (checked once; here a sample)
    rgb = _random_rgb()
    assert np.array_equal(lab_to_rgb8(lightness(rgb), rgb_to_lab(rgb)[..., 1:]), rgb)


def test_neutral_colours_are_exactly_gray_and_lightness_is_clipped():
    L = np.linspace(-10, 110, 241, dtype=np.float32)[None]
    gray = lab_planes_to_rgb8(L)
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
    assert np.array_equal(lab_to_rgb8(L, np.zeros(L.shape + (2,))), gray)  # a = b = 0 is gray too
    assert (gray[L <= 0] == 0).all() and (gray[L >= L_MAX] == 255).all()
    assert (np.diff(gray[0, :, 0].astype(int)) >= 0).all()  # lighter is never darker
    assert _levels(gray[..., 0], _float_rgb8(L, np.zeros(L.shape + (2,)))[..., 0]).max() <= 1


def test_planes_written_into_out():
    L, ab = _random_lab(shape=(20, 30))
    out = np.zeros((20, 30, 3), np.uint8)
    assert lab_planes_to_rgb8(L, ab[..., 0], ab[..., 1], out=out) is out
    assert np.array_equal(out, lab_to_rgb8(L, ab))


def test_in_srgb_gamut_is_scikit_images_gamut():
    L, ab = _random_lab(seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        xyz = skcolor.lab2xyz(np.concatenate([L[..., None], ab], axis=-1).astype(np.float64))
    linear = xyz @ colorconv.rgb_from_xyz.T  # scikit-image's linear sRGB, before its clipping
    margin = np.minimum(linear.min(axis=-1), 1 - linear.max(axis=-1))  # < 0: outside
    inside = in_srgb_gamut(L, ab)
    assert 0.1 < inside.mean() < 0.5
    assert np.array_equal(inside[np.abs(margin) > 2e-4], margin[np.abs(margin) > 2e-4] > 0)  # tolerance 1e-4
    lab = rgb_to_lab(_random_rgb())  # the colours of pixels are all inside, those on its surface too
    assert in_srgb_gamut(lab[..., 0], lab[..., 1:]).all()


# ---------------------------------------------------------------- keras.ops, against both

def test_lightness_ops_is_the_float_paths_l():
    rgb = _random_rgb()
    L = _numpy(lightness_ops(rgb))
    assert L.shape == rgb.shape[:-1] + (1,)
    assert np.abs(L[..., 0] - rgb_to_lab(rgb)[..., 0]).max() < L_TOLERANCE_OPS
    assert np.abs(L[..., 0] - lightness(rgb)).max() < L_TOLERANCE_TABLES
