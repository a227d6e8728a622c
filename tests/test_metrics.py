"""Metrics on hand-computed cases."""
import math

import numpy as np
import pytest

from polychromify.product import metrics

# ---------------------------------------------------------------- accuracy

def test_pixel_accuracy_counts_argmax_agreement():
    # 2x2 image; the larger channel (a=0, b=1) per pixel: truth a, b, a, b
    y_true = np.array([[[[0.5, 0.1], [0.1, 0.5]],
                        [[0.3, -0.2], [-0.4, 0.2]]]])
    # prediction: a (agrees), b (agrees), b (disagrees), b (agrees); magnitudes far off on purpose
    y_pred = np.array([[[[0.9, -0.9], [-0.9, 0.0]],
                        [[0.0, 0.1], [-0.9, -0.8]]]])
    assert metrics.pixel_accuracy(y_true, y_pred) == 0.75
    assert metrics.pixel_accuracy(y_true, y_true) == 1.0


def test_gray_prediction_scores_fraction_with_a_ge_b():
    # the gray baseline (a = b = 0) always "predicts" channel a: accuracy = share of pixels with a >= b
    y_true = np.array([[[[0.2, 0.1], [0.0, 0.3], [-0.1, -0.2], [0.1, 0.1]]]])  # a>=b: yes, no, yes, yes
    assert metrics.pixel_accuracy(y_true, metrics.gray_baseline(y_true)) == 0.75


def test_keras_accuracy_equals_numpy_and_keras_builtin():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    y_true = rng.uniform(-1, 1, (4, 5, 5, 2)).astype("float32")
    y_pred = rng.uniform(-1, 1, (4, 5, 5, 2)).astype("float32")
    expected = metrics.pixel_accuracy(y_true, y_pred)
    assert 0.3 < expected < 0.7  # random: neither trivially 0 nor 1

    per_sample = keras.ops.convert_to_numpy(metrics.keras_pixel_accuracy(y_true, y_pred))
    assert per_sample.shape == (4,)
    assert per_sample.mean() == pytest.approx(expected, abs=1e-6)
    builtin = keras.ops.convert_to_numpy(keras.metrics.categorical_accuracy(y_true, y_pred))
    assert builtin.mean() == pytest.approx(expected, abs=1e-6)

    # as compiled: the paper's metrics=['accuracy'] and ours are logged under the same name and agree
    model = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Identity()])
    logged = {}
    for metric in ("accuracy", metrics.keras_pixel_accuracy):
        model.compile(loss="mse", metrics=[metric])
        logged[str(metric)] = model.evaluate(y_pred, y_true, batch_size=4, verbose=0, return_dict=True)
    for result in logged.values():
        assert result["accuracy"] == pytest.approx(expected, abs=1e-6)


# ---------------------------------------------------------------- PSNR, SSIM

def test_psnr_of_known_mse():
    truth = np.full((8, 8, 3), 0.5)
    assert metrics.psnr(truth, truth + 0.1) == pytest.approx(20.0, abs=1e-9)   # MSE 0.01
    batch_true = np.stack([truth, truth])
    batch_pred = np.stack([truth + 0.1, truth - 0.01])                         # 20 dB and 40 dB
    assert metrics.psnr(batch_true, batch_pred) == pytest.approx(30.0, abs=1e-9)


def test_psnr_identical_images_is_capped():
    truth = np.random.default_rng(1).uniform(size=(2, 8, 8, 3))
    assert metrics.psnr(truth, truth) == metrics.PSNR_MAX == 100.0
    # one perfect image does not make the mean infinite
    pred = truth.copy()
    pred[1] += 0.1
    assert metrics.psnr(truth, np.clip(pred, 0, 1)) < 100.0


def test_ssim_identical_and_perturbed():
    rng = np.random.default_rng(2)
    image = rng.uniform(size=(24, 24, 3))
    assert metrics.ssim(image, image) == pytest.approx(1.0)
    noisy = np.clip(image + rng.normal(0, 0.1, image.shape), 0, 1)
    value = metrics.ssim(image, noisy)
    assert 0.0 < value < 0.99
    # batched = mean of the single images
    assert metrics.ssim(np.stack([image, image]), np.stack([image, noisy])) == pytest.approx((1 + value) / 2)


def test_ssim_matches_tf_image_ssim():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(3)
    a = rng.uniform(size=(2, 20, 20, 3)).astype("float32")
    b = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1).astype("float32")
    expected = float(tf.reduce_mean(tf.image.ssim(a, b, max_val=1.0)))
    assert metrics.ssim(a, b) == pytest.approx(expected, abs=1e-4)


# ---------------------------------------------------------------- AuC

def test_auc_zero_error_is_one():
    ab = np.random.default_rng(4).uniform(-50, 50, (2, 4, 4, 2))
    assert metrics.auc(ab, ab) == 1.0
    assert np.all(metrics.accuracy_curve(ab, ab) == 1.0)


def test_auc_constant_error_75():
    ab_true = np.zeros((3, 4, 2))
    ab_pred = np.broadcast_to([45.0, 60.0], (3, 4, 2))  # error sqrt(45^2 + 60^2) = 75 everywhere
    curve = metrics.accuracy_curve(ab_true, ab_pred)
    assert curve.shape == (151,)
    assert curve[74] == 0.0 and curve[75] == 1.0  # "<= t": the threshold 75 itself counts
    assert metrics.auc(ab_true, ab_pred) == pytest.approx((150 - 75 + 1) / 151)


def test_auc_mixed_errors():
    # half the pixels off by 0.5 (passes t >= 1), half off by 200 (never passes)
    ab_true = np.zeros((2, 2))
    ab_pred = np.array([[0.5, 0.0], [0.0, 200.0]])
    assert metrics.auc(ab_true, ab_pred) == pytest.approx(0.5 * 150 / 151)
    assert metrics.auc(ab_true, ab_pred, max_threshold=1) == pytest.approx(0.5 * 1 / 2)


def test_rebalanced_auc_weighs_each_colour_class_alike():
    # 9 gray pixels predicted exactly, 1 vivid pixel (a = 80) predicted gray: AuC is dominated by the gray ones,
    # the rebalanced AuC averages the two classes (1 and the vivid pixel's (150 - 80 + 1) / 151)
    ab_true = np.zeros((10, 2))
    ab_true[9] = [80.0, 0.0]
    ab_pred = np.zeros((10, 2))
    vivid = (150 - 80 + 1) / 151
    assert metrics.auc(ab_true, ab_pred) == pytest.approx((9 + vivid) / 10)
    assert metrics.rebalanced_auc(ab_true, ab_pred) == pytest.approx((1 + vivid) / 2)
    # equally frequent classes: the two agree; a perfect prediction scores 1
    balanced = np.repeat([[0.0, 0.0], [80.0, 0.0]], 5, axis=0)
    assert metrics.rebalanced_auc(balanced, ab_pred) == pytest.approx(metrics.auc(balanced, ab_pred))
    assert metrics.rebalanced_auc(balanced, balanced) == 1.0
    # colours within one 10-unit cell are one class
    near = np.array([[1.0, 2.0], [3.0, -4.0], [40.0, 40.0]])
    assert metrics.rebalanced_auc(near, np.zeros((3, 2))) == pytest.approx(
        (np.mean([1 - 3 / 151, 1 - 5 / 151]) + (150 - 57 + 1) / 151) / 2)


# ---------------------------------------------------------------- colorfulness

def test_colorfulness_of_gray_is_zero():
    gray = np.repeat(np.linspace(0, 1, 16).reshape(4, 4, 1), 3, axis=-1)
    assert metrics.colorfulness(gray) == pytest.approx(0.0, abs=1e-9)


def test_colorfulness_of_red_and_blue():
    image = np.zeros((2, 2, 3))
    image[0, :, 0] = 1.0  # top row pure red:    rg = 255, yb = 127.5
    image[1, :, 2] = 1.0  # bottom row pure blue: rg = 0,  yb = -255
    # rg: mean 127.5, std 127.5; yb: mean -63.75, std 191.25
    expected = math.sqrt(127.5 ** 2 + 191.25 ** 2) + 0.3 * math.sqrt(127.5 ** 2 + 63.75 ** 2)
    assert expected == pytest.approx(272.62, abs=0.01)
    assert metrics.colorfulness(image) == pytest.approx(expected)
    gray = np.full((2, 2, 3), 0.5)
    assert metrics.colorfulness_gap(np.stack([image, gray]), np.stack([gray, gray])) == pytest.approx(expected / 2)


# ---------------------------------------------------------------- Lab errors

def test_ab_rmse_known_value():
    ab_true = np.zeros((2, 3, 3, 2))
    ab_pred = ab_true + [3.0, 4.0]
    assert metrics.ab_rmse(ab_true, ab_pred) == pytest.approx(math.sqrt((9 + 16) / 2))
    # ties to the model-space MSE loss: 128 * sqrt(mse)
    mse = np.mean((ab_pred / 128 - ab_true / 128) ** 2)
    assert metrics.ab_rmse(ab_true, ab_pred) == pytest.approx(128 * math.sqrt(mse))


def test_ciede2000():
    lab = np.array([[[50.0, 20.0, -30.0], [70.0, -10.0, 40.0]]])
    assert metrics.ciede2000(lab, lab) == 0.0
    assert metrics.ciede2000(lab, lab + [0, 5, 0]) > 0.0
    # pure lightness difference 50 -> 60: dE = 10 / S_L, S_L = 1 + 0.015 * 25 / sqrt(20 + 25)
    s_l = 1 + 0.015 * 25 / math.sqrt(45)
    assert metrics.ciede2000([[50.0, 0, 0]], [[60.0, 0, 0]]) == pytest.approx(10 / s_l, rel=1e-6)


# ---------------------------------------------------------------- baselines

def test_baselines():
    y_like = np.ones((3, 4, 4, 2))
    gray = metrics.gray_baseline(y_like)
    assert gray.shape == y_like.shape and not gray.any()

    y_train = np.zeros((2, 4, 4, 2))
    y_train[0, ..., 0], y_train[1, ..., 0] = 0.1, 0.3   # mean a = 0.2
    y_train[..., 1] = -0.5                               # mean b = -0.5
    mean = metrics.mean_ab_baseline(y_train, y_like)
    assert mean.shape == y_like.shape
    np.testing.assert_allclose(mean[..., 0], 0.2, atol=1e-7)
    np.testing.assert_allclose(mean[..., 1], -0.5, atol=1e-7)


# ---------------------------------------------------------------- evaluate

def _random_split(n=5, size=16, seed=5):
    rng = np.random.default_rng(seed)
    L = rng.uniform(20, 80, (n, size, size, 1)).astype("float32")
    y_true = rng.uniform(-0.4, 0.4, (n, size, size, 2)).astype("float32")
    y_pred = np.clip(y_true + rng.normal(0, 0.1, y_true.shape), -1, 1).astype("float32")
    return L, y_true, y_pred


def test_evaluate_keys_and_batching():
    L, y_true, y_pred = _random_split()
    result = metrics.evaluate(L, y_true, y_pred, batch=2)  # batches of 2, 2, 1
    assert tuple(result) == metrics.METRIC_KEYS
    assert all(isinstance(v, float) and math.isfinite(v) for v in result.values())
    # the same as one batch, and as the functions applied to the whole set
    whole = metrics.evaluate(L, y_true, y_pred, batch=64)
    for key in metrics.METRIC_KEYS:
        assert result[key] == pytest.approx(whole[key], rel=1e-6), key
    ab_true, ab_pred = y_true * 128, y_pred * 128
    assert result["accuracy"] == pytest.approx(metrics.pixel_accuracy(y_true, y_pred))
    assert result["auc"] == pytest.approx(metrics.auc(ab_true, ab_pred))
    assert result["ab_rmse"] == pytest.approx(metrics.ab_rmse(ab_true, ab_pred), rel=1e-5)
    assert result["colorfulness_gap"] >= abs(result["colorfulness_true"] - result["colorfulness_pred"]) - 1e-9
    assert 0 < result["ciede2000"] and 0 < result["ssim"] < 1 and 10 < result["psnr"] < 100


def test_evaluate_perfect_and_gray_predictions():
    L, y_true, _ = _random_split()
    perfect = metrics.evaluate(L, y_true, y_true)
    assert perfect["accuracy"] == 1.0 and perfect["auc"] == 1.0
    assert perfect["ab_rmse"] == 0.0 and perfect["ciede2000"] == 0.0 and perfect["colorfulness_gap"] == 0.0
    assert perfect["psnr"] == 100.0 and perfect["ssim"] == pytest.approx(1.0)

    gray = metrics.evaluate(L, y_true, metrics.gray_baseline(y_true))
    assert gray["colorfulness_pred"] == pytest.approx(0.0, abs=0.05)  # ab = 0 is gray (float32 round-off)
    assert gray["colorfulness_gap"] == pytest.approx(gray["colorfulness_true"], abs=0.05)
    assert gray["ab_rmse"] > 0 and gray["auc"] < 1


def test_evaluate_rejects_mismatched_shapes():
    L, y_true, y_pred = _random_split()
    with pytest.raises(ValueError):
        metrics.evaluate(L, y_true, y_pred[:3])
