"""Tests of polychromify.product.eccv16 (Zhang et al. 2016 colorizer)."""
import time

import keras
import numpy as np
import pytest
from keras import ops

import polychromify.product.eccv16 as eccv16_module
from polychromify.product.eccv16 import (
    ab_bins,
    annealed_mean,
    decode_ab,
    eccv16,
    soft_encode,
)
from polychromify.training.zhang_loss import (
    Eccv16Loss,
    eccv16_accuracy,
    rebalancing_weights,
)

Q = 313
PARAMS_TOTAL = 32_240_377
PARAMS_TRAINABLE = 32_235_385


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


# ---------------------------------------------------------------------- bins
def test_ab_bins_count_grid_and_range():
    import skimage.color  # noqa: F401  (time the computation, not the import)

    eccv16_module._ab_bins_cached.cache_clear()
    t = time.perf_counter()
    bins = ab_bins()
    assert time.perf_counter() - t < 2.0
    assert bins.shape == (Q, 2) and bins.dtype == np.float32
    assert np.all(np.abs(bins) <= 110)
    assert np.all(np.mod(bins, 10) == 0)
    assert len(np.unique(bins, axis=0)) == Q
    # the origin (gray) is a bin; a colour far outside sRGB is not
    assert any((bins == [0, 0]).all(1))
    assert not any((bins == [-110, 110]).all(1))
    # rows at the edge agree with Zhang's published list
    assert sorted(bins[bins[:, 0] == -90, 1].tolist()) == [50, 60, 70, 80, 90]
    assert bins[bins[:, 0] == -80, 1].min() == 20
    # cached: same object, and fast
    t = time.perf_counter()
    assert ab_bins() is bins
    assert time.perf_counter() - t < 0.01


# ----------------------------------------------------------------- soft encode
def test_soft_encode_five_bins_normalised_nearest_heaviest():
    bins = ab_bins()
    rng = np.random.default_rng(0)
    ab = rng.uniform(-60, 60, size=(3, 7, 2)).astype("float32")
    ab[0, 0] = [0.0, 0.0]      # exactly on a bin (4 ties at distance 10)
    ab[0, 1] = [5.0, 5.0]      # centre of a cell (4 bins at equal distance)
    z = np_(soft_encode(ab, bins))
    assert z.shape == (3, 7, Q)
    np.testing.assert_allclose(z.sum(-1), 1.0, atol=1e-5)
    assert np.all((z > 0).sum(-1) == 5)
    d = np.linalg.norm(ab[..., None, :] - bins, axis=-1)
    nearest_d = d.min(-1)
    # the heaviest bin is (one of) the nearest
    heaviest = z.argmax(-1)
    np.testing.assert_allclose(np.take_along_axis(d, heaviest[..., None], -1)[..., 0],
                               nearest_d, atol=1e-3)
    # Gaussian weights sigma 5: ratio of two used bins = exp(-(d1^2 - d2^2) / 50)
    used = np.nonzero(z[1, 2])[0]
    r = z[1, 2, used[0]] / z[1, 2, used[1]]
    expect = np.exp(-(d[1, 2, used[0]] ** 2 - d[1, 2, used[1]] ** 2) / 50.0)
    np.testing.assert_allclose(r, expect, rtol=1e-3)


def test_soft_encode_far_outside_is_finite():
    z = np_(soft_encode(np.array([[300.0, -300.0]], "float32")))
    assert np.all(np.isfinite(z)) and abs(z.sum() - 1) < 1e-5


# ----------------------------------------------------------------- rebalancing
def test_rebalancing_weights_normalised_and_favour_rare_bins():
    bins = ab_bins()
    rng = np.random.default_rng(1)
    # mostly desaturated pixels plus a few saturated ones
    ab = np.concatenate([rng.normal(0, 6, (20000, 2)),
                         rng.normal([50, 50], 3, (300, 2))]).astype("float32")
    w, p = rebalancing_weights(ab, bins, return_prior=True, max_pixels=10000)
    assert w.shape == (Q,) and w.dtype == np.float32
    np.testing.assert_allclose(np.sum(p), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.sum(p * w), 1.0, atol=1e-4)
    gray = np.argmin(np.linalg.norm(bins, axis=1))
    rare = np.argmin(np.linalg.norm(bins - [50, 50], axis=1))
    empty = np.argmin(np.linalg.norm(bins - [-80, 60], axis=1))
    assert p[gray] > p[rare] > p[empty]
    assert w[gray] < w[rare] < w[empty]
    # smoothing spreads mass to the neighbours of occupied bins
    nb = np.argmin(np.linalg.norm(bins - [10, 0], axis=1))
    assert p[nb] > 0.01
    # lam = 1: uniform weights
    np.testing.assert_allclose(rebalancing_weights(ab, bins, lam=1.0), 1.0, rtol=1e-5)
    # model-space input with scale=128 gives the same weights
    np.testing.assert_allclose(rebalancing_weights(ab / 128.0, bins, scale=128.0,
                                                   max_pixels=10000), w, rtol=1e-4)


# --------------------------------------------------------------- annealed mean
def test_annealed_mean_one_hot_and_mode():
    bins = ab_bins()
    i, j = 57, 200
    probs = np.full((2, Q), 1e-6, "float32")
    probs[0, i] = 1.0
    probs[1, i], probs[1, j] = 0.4, 0.35
    probs /= probs.sum(-1, keepdims=True)
    ab = np_(annealed_mean(probs, bins, from_logits=False))
    np.testing.assert_allclose(ab[0], bins[i], atol=0.05)
    # T = 1 is the plain mean: between the two bins; T -> 0 gives the mode
    mean = np_(annealed_mean(probs, bins, T=1.0, from_logits=False))[1]
    mode = np_(annealed_mean(probs, bins, T=0.01, from_logits=False))[1]
    np.testing.assert_allclose(mode, bins[i], atol=1e-3)
    assert np.linalg.norm(mean - bins[i]) > 10 * np.linalg.norm(mode - bins[i]) + 1.0
    # logits and probabilities give the same result
    np.testing.assert_allclose(np_(annealed_mean(np.log(probs), bins)),
                               np_(annealed_mean(probs, bins, from_logits=False)), atol=1e-3)


# ---------------------------------------------------------------------- model
@pytest.fixture(scope="module")
def small_model():
    keras.utils.set_random_seed(0)
    return eccv16(32, name="eccv16_small")


def test_parameter_count_exact_and_size_independent(small_model):
    big = eccv16(256)
    assert big.name == "eccv16"
    assert big.input_shape == (None, 256, 256, 1)
    assert big.count_params() == PARAMS_TOTAL
    assert sum(int(np.prod(v.shape)) for v in big.trainable_weights) == PARAMS_TRAINABLE
    assert small_model.count_params() == PARAMS_TOTAL
    assert getattr(big, "optimizer", None) is None  # uncompiled
    del big


def test_output_shape(small_model):
    x = np.linspace(0, 100, 2 * 32 * 32, dtype="float32").reshape(2, 32, 32, 1)
    y = np_(small_model(x, training=False))
    assert y.shape == (2, 8, 8, Q)
    assert np.all(np.isfinite(y))
    with pytest.raises(ValueError):
        eccv16(30)


def _toy_batch(n=4, s=32, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:s, 0:s] / (s - 1)
    L = np.stack([100 * (0.3 * xx + 0.7 * yy * (k + 1) / n) for k in range(n)])
    L = np.clip(L + rng.normal(0, 2, L.shape), 0, 100).astype("float32")[..., None]
    a = 0.4 * np.tanh((L[..., 0] - 50) / 20)           # ab depends on L: learnable
    b = -0.3 * np.cos(np.pi * L[..., 0] / 100)
    Y = np.stack([a, b], -1).astype("float32")
    return L, Y


def test_loss_finite_and_decreases(small_model):
    L, Y = _toy_batch()
    logits = small_model(L, training=False)
    w = rebalancing_weights(Y, scale=128.0)
    loss = Eccv16Loss(weights=w)
    v0 = float(np_(loss(Y, logits)))
    assert np.isfinite(v0) and v0 > 0
    # uniform logits: the loss is the mean weighted log Q
    z = np.zeros((4, 8, 8, Q), "float32")
    np.testing.assert_allclose(float(np_(Eccv16Loss()(Y, z))), np.log(Q), rtol=1e-4)
    # config round trip
    clone = Eccv16Loss.from_config(loss.get_config())
    np.testing.assert_allclose(float(np_(clone(Y, logits))), v0, rtol=1e-5)

    small_model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=loss,
                        metrics=[eccv16_accuracy])
    hist = small_model.fit(L, Y, batch_size=4, epochs=5, shuffle=False, verbose=0)
    losses = hist.history["loss"]
    assert "accuracy" in hist.history
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0]


# ------------------------------------------------------------- decode / metric
def test_decode_ab_shape_and_range():
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 5, (2, 8, 8, Q)).astype("float32")
    y = np_(decode_ab(logits))
    assert y.shape == (2, 32, 32, 2)
    assert y.min() >= -1.0 and y.max() <= 1.0
    # a confident prediction of one bin decodes to that bin / 128 everywhere
    bins = ab_bins()
    i = int(np.argmin(np.linalg.norm(bins - [40, -30], axis=1)))
    sharp = np.zeros((1, 2, 2, Q), "float32")
    sharp[..., i] = 30.0
    np.testing.assert_allclose(np_(decode_ab(sharp)), np.broadcast_to(bins[i] / 128, (1, 8, 8, 2)),
                               atol=1e-3)


def test_eccv16_accuracy_matches_numpy_argmax():
    bins = ab_bins()
    ia = int(np.argmin(np.linalg.norm(bins - [40, -30], axis=1)))  # decodes to a > b
    ib = int(np.argmin(np.linalg.norm(bins - [-20, 50], axis=1)))  # decodes to b > a
    logits = np.zeros((1, 2, 2, Q), "float32")
    logits[0, 0, 0, ia] = logits[0, 1, 1, ia] = 40.0
    logits[0, 0, 1, ib] = logits[0, 1, 0, ib] = 40.0
    y_true = np.zeros((1, 8, 8, 2), "float32")
    y_true[..., 0] = 0.5                     # a > b everywhere ...
    y_true[0, :4, :, :] = [-0.1, 0.2]        # ... except the top half
    pred = np_(decode_ab(logits))
    expect = (np.argmax(y_true, -1) == np.argmax(pred, -1)).astype("float32")
    got = np_(eccv16_accuracy(y_true, logits))
    assert got.shape == (1, 8, 8)
    np.testing.assert_array_equal(got, expect)
    assert 0.0 < got.mean() < 1.0            # the hand-made case is mixed
    assert eccv16_accuracy.__name__ == "accuracy"
