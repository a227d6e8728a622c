"""Evaluation metrics for colorization: the paper's "accuracy", PSNR, SSIM, AuC, colorfulness, ab errors.

Units: ``pixel_accuracy`` takes model-space targets Y = ab / 128 in [-1, 1], shape (N, H, W, 2).
Every other metric takes ab or Lab in CIELAB units (multiply Y by ``polychromify.product.color.AB_SCALE`` first) or RGB
floats in [0, 1]. ``evaluate`` does these conversions for a whole split and returns every metric.

Batched inputs (N, H, W, C) give the mean over images; since all images of a split have the same size,
per-pixel metrics (accuracy, AuC, ab RMSE, CIEDE2000) are the same averaged per image or per pixel.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from skimage import color
from skimage.metrics import structural_similarity

from polychromify.product.color import AB_SCALE, lab_to_rgb

AUC_MAX_THRESHOLD = 150  # Zhang et al. 2016: thresholds 0..150 on the ab error
PSNR_MAX = 100.0         # dB, returned for identical images (8-bit images never exceed ~95 dB)


# ---------------------------------------------------------------- the paper's "accuracy"

def pixel_accuracy(y_true, y_pred):
    """Fraction of pixels where the larger of the two channels (a or b) is the same in truth and prediction.

    This is what Keras reports for ``metrics=['accuracy']`` with an MSE loss on an (N, H, W, 2) output
    (categorical accuracy: argmax over the last axis; on a tie the first channel, a, wins). It measures
    only whether "a > b" agrees, per pixel; it says nothing about the size of the colour error: a
    prediction with the right a-vs-b order but ten times the saturation scores 100%, and a constant
    prediction scores the fraction of pixels on its side (the gray baseline, ab = 0, counts as "a" and
    scores the fraction with a >= b), often ~50% or more. Value in [0, 1]; 0.5 is not "chance" here.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)))


def keras_pixel_accuracy(y_true, y_pred):
    """``pixel_accuracy`` as a Keras metric function: per-sample fraction of pixels whose argmax agrees.

    Equal to ``keras.metrics.categorical_accuracy`` (which returns the per-pixel matches; Keras averages
    both to the same number). Keras logs it as "accuracy", like the paper's ``metrics=['accuracy']``.
    Value in [0, 1].
    """
    from keras import ops

    matches = ops.cast(ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1)), "float32")
    if len(matches.shape) == 1:
        return matches
    return ops.mean(matches, axis=list(range(1, len(matches.shape))))


# Keras names a metric function after its __name__; this makes the logs read "accuracy", "val_accuracy".
keras_pixel_accuracy.__name__ = "accuracy"


# ---------------------------------------------------------------- image quality (RGB in [0, 1])

def _batched(x):
    """An (H, W, C) image or (N, H, W, C) batch as a float (N, H, W, C) batch."""
    x = np.asarray(x)
    x = x.astype(np.float64 if x.dtype == np.float64 else np.float32, copy=False)
    return x[None] if x.ndim == 3 else x


def psnr_per_image(rgb_true, rgb_pred):
    """PSNR in dB of each image, 10 log10(1 / MSE) for RGB in [0, 1]; identical images give PSNR_MAX."""
    rgb_true, rgb_pred = _batched(rgb_true), _batched(rgb_pred)
    mse = np.mean((rgb_true.astype(np.float64) - rgb_pred) ** 2, axis=(1, 2, 3))
    return np.minimum(10.0 * np.log10(1.0 / np.maximum(mse, 1e-300)), PSNR_MAX)


def psnr(rgb_true, rgb_pred):
    """Mean over images of the peak signal-to-noise ratio, in dB, for RGB floats in [0, 1].

    Higher is better; each image is capped at PSNR_MAX = 100 dB (identical images, where PSNR is
    infinite), so one perfect image can't make the mean infinite.
    """
    return float(np.mean(psnr_per_image(rgb_true, rgb_pred)))


def ssim_per_image(rgb_true, rgb_pred):
    """SSIM of each image (11x11 Gaussian window, sigma 1.5, as ``tf.image.ssim``), RGB in [0, 1]."""
    rgb_true, rgb_pred = _batched(rgb_true), _batched(rgb_pred)
    return np.array([
        structural_similarity(t, p, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                              data_range=1.0, channel_axis=-1)
        for t, p in zip(rgb_true, rgb_pred)])


def ssim(rgb_true, rgb_pred):
    """Mean over images of the structural similarity (Wang et al. 2004) for RGB floats in [0, 1].

    scikit-image with a Gaussian window (sigma 1.5, truncated to 11x11), population covariances,
    averaged over R, G, B, matching ``tf.image.ssim``'s defaults. Value in [-1, 1]; 1 for identical images.
    """
    return float(np.mean(ssim_per_image(rgb_true, rgb_pred)))


# ---------------------------------------------------------------- AuC (Zhang et al. 2016)

def accuracy_curve(ab_true, ab_pred, max_threshold=AUC_MAX_THRESHOLD):
    """Fraction of pixels whose ab Euclidean error (Lab units) is <= t, for t = 0, 1, ..., max_threshold.

    Returns an array of max_threshold + 1 values in [0, 1], non-decreasing.
    """
    error = np.linalg.norm(np.asarray(ab_true, np.float64) - np.asarray(ab_pred, np.float64), axis=-1)
    # error <= t  <=>  ceil(error) <= t for integer t, so a histogram of ceil(error) gives the whole curve.
    bins = np.minimum(np.ceil(error).astype(np.int64).ravel(), max_threshold + 1)
    counts = np.bincount(bins, minlength=max_threshold + 2)[: max_threshold + 1]
    return np.cumsum(counts) / error.size


def auc(ab_true, ab_pred, max_threshold=AUC_MAX_THRESHOLD):
    """Area under ``accuracy_curve`` (Zhang et al. 2016's AuC, without class rebalancing), normalized.

    The mean of the curve over the integer thresholds 0..max_threshold: 1 for a perfect prediction,
    (max_threshold - e + 1) / (max_threshold + 1) for a constant integer error e. Value in [0, 1].
    """
    return float(np.mean(accuracy_curve(ab_true, ab_pred, max_threshold)))


REBALANCE_GRID = 10  # Zhang et al. 2016's colour classes: ab cells of 10 x 10 Lab units


def rebalanced_auc(ab_true, ab_pred, max_threshold=AUC_MAX_THRESHOLD, grid=REBALANCE_GRID):
    """Zhang et al. 2016's class-rebalanced AuC: each pixel weighted inversely by how often its true colour's
    class (ab rounded to a grid of ``grid`` Lab units) occurs in the pixels scored, so that every colour
    present counts as much as any other: the mean over classes of each class's AuC. A model that predicts
    the common desaturated colours well and the rare vivid ones badly scores lower here than on ``auc``;
    when every class is as frequent as any other the two agree. Value in [0, 1]."""
    ab_true = np.asarray(ab_true, np.float64).reshape(-1, 2)
    error = np.linalg.norm(ab_true - np.asarray(ab_pred, np.float64).reshape(-1, 2), axis=-1)
    # a pixel's share of the area: the fraction of thresholds t = 0..max_threshold with error <= t
    score = np.clip(max_threshold + 1 - np.ceil(error), 0, max_threshold + 1) / (max_threshold + 1)
    cells = np.round(ab_true / grid).astype(np.int64)
    _, classes, counts = np.unique(cells[:, 0] * 100_000 + cells[:, 1], return_inverse=True, return_counts=True)
    return float(np.mean(np.bincount(classes.ravel(), weights=score) / counts))


# ---------------------------------------------------------------- colorfulness (Hasler & Suesstrunk 2003)

def colorfulness_per_image(rgb):
    """Hasler & Suesstrunk's colorfulness of each image, RGB in [0, 1] scaled to 0..255."""
    rgb = _batched(rgb).astype(np.float64) * 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    axes = (1, 2)
    std = np.sqrt(rg.std(axis=axes) ** 2 + yb.std(axis=axes) ** 2)
    mean = np.sqrt(rg.mean(axis=axes) ** 2 + yb.mean(axis=axes) ** 2)
    return std + 0.3 * mean


def colorfulness(rgb):
    """Mean colorfulness M of RGB images in [0, 1] (Hasler & Suesstrunk 2003, on the 0..255 scale).

    0 for a gray image; about 15 "slightly", 33 "moderately", 59 "quite", 82 "highly", 109 "extremely"
    colourful (the paper's scale). Value >= 0.
    """
    return float(np.mean(colorfulness_per_image(rgb)))


def colorfulness_gap(rgb_true, rgb_pred):
    """Mean over images of |colorfulness(truth) - colorfulness(prediction)|; 0 is best, value >= 0.

    Shows desaturation (the typical MSE failure) even where PSNR looks good.
    """
    return float(np.mean(np.abs(colorfulness_per_image(rgb_true) - colorfulness_per_image(rgb_pred))))


# ---------------------------------------------------------------- colour errors in Lab units

def ab_rmse(ab_true, ab_pred):
    """Root mean squared error over all a and b values, in Lab units; 0 is best, value >= 0.

    Per value (not per-pixel Euclidean distance), so it equals 128 * sqrt(the model's MSE loss).
    """
    diff = np.asarray(ab_true, np.float64) - np.asarray(ab_pred, np.float64)
    return float(np.sqrt(np.mean(diff ** 2)))


def ciede2000(lab_true, lab_pred):
    """Mean CIEDE2000 colour difference over pixels of two Lab arrays (..., 3); 0 is best, ~2.3 is "just noticeable"."""
    return float(np.mean(color.deltaE_ciede2000(lab_true, lab_pred, channel_axis=-1)))


# ---------------------------------------------------------------- baselines

def gray_baseline(y_like):
    """The no-colour prediction: ab = 0 everywhere, shaped like y_like (any units)."""
    return np.zeros_like(np.asarray(y_like, dtype=np.float32))


def mean_ab_baseline(y_train, y_like):
    """The training set's per-channel mean ab, broadcast to y_like's shape (same units as y_train)."""
    y_train = np.asarray(y_train, dtype=np.float64)
    mean = y_train.reshape(-1, y_train.shape[-1]).mean(axis=0)
    return np.broadcast_to(mean, np.shape(y_like)).astype(np.float32)


BASELINES = ("gray", "mean_ab")  # the trivial predictions every score is reported beside


def baselines(y_like, mean_y) -> dict[str, np.ndarray]:
    """The two trivial predictions shaped like ``y_like`` (model space): "gray", ab = 0 everywhere, and
    "mean_ab", the training photos' mean ``mean_y`` (a, b) everywhere."""
    return {"gray": gray_baseline(y_like),
            "mean_ab": np.broadcast_to(np.asarray(mean_y, np.float64), np.shape(y_like)).astype(np.float32)}


# ---------------------------------------------------------------- everything for one split

# ---------------------------------------------------------------- the registry: every metric once

@dataclass(frozen=True)
class Metric:
    """One metric: its key (in ``metrics.json``, the studies and the per-photo tables), how it is shown, its
    unit and range, and which way is better (None: a description, not a score, such as a colourfulness)."""

    key: str
    label: str
    unit: str
    low: float
    high: float | None
    higher_is_better: bool | None
    how: str

    @property
    def arrow(self) -> str:
        """ "↑" (higher is better), "↓" (lower is better) or "" (not a score)."""
        return {True: "\u2191", False: "\u2193", None: ""}[self.higher_is_better]

    @property
    def column(self) -> str:
        """Its column title: label, unit in brackets, arrow: "PSNR [dB] ↑"."""
        return " ".join(part for part in (self.label, f"[{self.unit}]" if self.unit == "dB" else "", self.arrow)
                        if part)

    @property
    def direction(self) -> str:
        """ "higher is better", "lower is better" or "" (not a score)."""
        return {True: "higher is better", False: "lower is better", None: ""}[self.higher_is_better]

    def gain(self, value, reference):
        """How much better ``value`` is than ``reference``: positive when better, in the metric's unit."""
        if self.higher_is_better is None:
            raise ValueError(f"{self.key} is not a score: neither value is better")
        return (value - reference) if self.higher_is_better else (reference - value)


METRICS = {m.key: m for m in [
    Metric("accuracy", "accuracy", "", 0.0, 1.0, True,
           "the paper's \"accuracy\": the fraction of pixels where a > b agrees with the truth (pixel_accuracy)"),
    Metric("psnr", "PSNR", "dB", 0.0, PSNR_MAX, True, "peak signal-to-noise ratio of the RGB image, per photo"),
    Metric("ssim", "SSIM", "", -1.0, 1.0, True, "structural similarity of the RGB image (Wang et al. 2004)"),
    Metric("auc", "AuC", "", 0.0, 1.0, True,
           "area under the curve of pixels within an ab error of 0..150 (Zhang et al. 2016)"),
    Metric("auc_rebalanced", "rebalanced AuC", "", 0.0, 1.0, True,
           "AuC with every true colour class weighted alike (Zhang et al. 2016): rewards vivid colours"),
    Metric("colorfulness_pred", "colorfulness", "", 0.0, None, None,
           "Hasler and Suesstrunk's colourfulness of the prediction (the truth's beside it)"),
    Metric("colorfulness_true", "colorfulness of the truth", "", 0.0, None, None,
           "Hasler and Suesstrunk's colourfulness of the true photo"),
    Metric("colorfulness_gap", "colorfulness gap", "", 0.0, None, False,
           "|colourfulness of the truth - of the prediction|, per photo: desaturation shows here"),
    Metric("ab_rmse", "ab RMSE", "Lab units", 0.0, None, False, "root mean squared error of a and b"),
    Metric("ciede2000", "CIEDE2000", "", 0.0, None, False, "CIEDE2000 colour difference, per pixel"),
]}
# What ``evaluate`` returns for a split, and what ``per_photo`` adds (rebalanced AuC pools a photo's classes).
METRIC_KEYS = ("accuracy", "psnr", "ssim", "auc", "colorfulness_pred", "colorfulness_true",
               "colorfulness_gap", "ab_rmse", "ciede2000")
PHOTO_KEYS = METRIC_KEYS + ("auc_rebalanced",)
# The columns a table of scores shows (the command line's, the book's, a model card's), and the four measures of
# the studies: error (AuC, ab RMSE) beside vividness (rebalanced AuC, colourfulness gap), as Zhang et al. report.
TABLE_KEYS = ("accuracy", "psnr", "ssim", "auc", "colorfulness_pred", "colorfulness_gap", "ab_rmse", "ciede2000")
STUDY_KEYS = ("auc", "auc_rebalanced", "ab_rmse", "colorfulness_gap")


def _rgb_of(lab: np.ndarray) -> np.ndarray:
    """RGB of a float32 Lab batch for the image metrics, a and b first clipped to [-128, 127] (the range of
    8-bit Lab): only a prediction at the tanh limit, ab = 128, is changed."""
    return lab_to_rgb(np.concatenate([lab[..., :1], np.clip(lab[..., 1:], -128.0, 127.0)], axis=-1))


def _checked(who: str, L, y_true, y_pred) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inputs of ``evaluate`` and ``per_photo`` as float32 arrays, the prediction clipped to [-1, 1];
    ValueError when they are empty or do not match."""
    L = np.asarray(L, dtype=np.float32)
    y_true = np.asarray(y_true, dtype=np.float32)
    y_pred = np.clip(np.asarray(y_pred, dtype=np.float32), -1.0, 1.0)
    if len(L) == 0 or y_true.shape != y_pred.shape or L.shape[:-1] != y_true.shape[:-1]:
        raise ValueError(f"{who} needs matching non-empty arrays, got L {L.shape}, "
                         f"y_true {y_true.shape}, y_pred {y_pred.shape}")
    return L, y_true, y_pred


def _views(L, y_true, y_pred) -> tuple[np.ndarray, ...]:
    """One batch in every form the metrics read: Lab of the truth and of the prediction, their RGB, and their
    colourfulness per image."""
    lab_true = np.concatenate([L, y_true * AB_SCALE], axis=-1)
    lab_pred = np.concatenate([L, y_pred * AB_SCALE], axis=-1)
    rgb_true, rgb_pred = _rgb_of(lab_true), _rgb_of(lab_pred)
    return (lab_true, lab_pred, rgb_true, rgb_pred, colorfulness_per_image(rgb_true),
            colorfulness_per_image(rgb_pred))


def _batch_sums(L, y_true, y_pred) -> tuple[dict, np.ndarray]:
    """One batch's contribution to ``evaluate``: the sums of the metrics over its images, and its AuC curve
    weighted by its size."""
    k = len(L)  # images in this batch: per-image means are weighted by it
    lab_true, lab_pred, rgb_true, rgb_pred, c_true, c_pred = _views(L, y_true, y_pred)
    sums = {
        "accuracy": k * pixel_accuracy(y_true, y_pred),
        "psnr": psnr_per_image(rgb_true, rgb_pred).sum(),
        "ssim": ssim_per_image(rgb_true, rgb_pred).sum(),
        "colorfulness_true": c_true.sum(),
        "colorfulness_pred": c_pred.sum(),
        "colorfulness_gap": np.abs(c_true - c_pred).sum(),
        "ab_rmse": k * ab_rmse(lab_true[..., 1:], lab_pred[..., 1:]) ** 2,  # mean of squares
        "ciede2000": k * ciede2000(lab_true, lab_pred),
    }
    return sums, k * accuracy_curve(lab_true[..., 1:], lab_pred[..., 1:])


def evaluate(L, y_true, y_pred, batch=64, workers: int | None = None, rebalanced: bool = False):
    """All metrics of a prediction for one split, as a dict of floats with the keys ``METRIC_KEYS`` (and, with
    ``rebalanced``, "auc_rebalanced": ``rebalanced_auc`` over every pixel of the split, as the studies report it).

    L: (N, H, W, 1) in [0, 100]; y_true, y_pred: model-space (N, H, W, 2) in [-1, 1] (y_pred is clipped
    to that range). Images are converted to RGB with the true L and processed ``batch`` at a time, the
    batches on ``workers`` threads (default: the CPU count, at most 16); their sums are added in batch
    order, so the result does not depend on the number of threads.
    """
    L, y_true, y_pred = _checked("evaluate", L, y_true, y_pred)
    n = len(L)

    parts = [slice(start, start + batch) for start in range(0, n, batch)]
    workers = workers or min(16, os.cpu_count() or 1)
    with ThreadPoolExecutor(max(1, min(workers, len(parts)))) as pool:
        batches = list(pool.map(lambda part: _batch_sums(L[part], y_true[part], y_pred[part]), parts))
    sums = dict.fromkeys(METRIC_KEYS, 0.0)
    curve = np.zeros(AUC_MAX_THRESHOLD + 1)
    for batch_sums, batch_curve in batches:
        for key, value in batch_sums.items():
            sums[key] += value
        curve += batch_curve

    result = {key: float(value / n) for key, value in sums.items()}
    result["ab_rmse"] = float(np.sqrt(result["ab_rmse"]))
    result["auc"] = float(np.mean(curve / n))
    if rebalanced:
        result["auc_rebalanced"] = rebalanced_auc(y_true * AB_SCALE, y_pred * AB_SCALE)
    return {key: result[key] for key in METRIC_KEYS + (("auc_rebalanced",) if rebalanced else ())}


# ---------------------------------------------------------------- every metric of each photo


def per_photo(L, y_true, y_pred, batch: int = 64) -> dict[str, np.ndarray]:
    """Every metric of each photo: {key: array of N values} for the keys ``PHOTO_KEYS``.

    Same inputs as ``evaluate``. The mean over photos equals ``evaluate``'s value for every key except two that
    pool pixels: ``ab_rmse`` here is each photo's own RMSE (the mean of per-photo RMSEs, not the RMSE of all
    values) and ``auc_rebalanced`` rebalances over each photo's own colour classes. Paired comparisons of two
    models (the studies' intervals) use these per-photo values.
    """
    L, y_true, y_pred = _checked("per_photo", L, y_true, y_pred)
    out = {key: [] for key in PHOTO_KEYS}
    for start in range(0, len(L), batch):
        part = slice(start, start + batch)
        lab_true, lab_pred, rgb_true, rgb_pred, c_true, c_pred = _views(L[part], y_true[part], y_pred[part])
        ab_t, ab_p = lab_true[..., 1:], lab_pred[..., 1:]
        out["accuracy"].append(np.mean(np.argmax(y_true[part], -1) == np.argmax(y_pred[part], -1), axis=(1, 2)))
        out["psnr"].append(psnr_per_image(rgb_true, rgb_pred))
        out["ssim"].append(ssim_per_image(rgb_true, rgb_pred))
        out["auc"].append(np.array([auc(t, p) for t, p in zip(ab_t, ab_p)]))
        out["auc_rebalanced"].append(np.array([rebalanced_auc(t, p) for t, p in zip(ab_t, ab_p)]))
        out["colorfulness_pred"].append(c_pred)
        out["colorfulness_true"].append(c_true)
        out["colorfulness_gap"].append(np.abs(c_true - c_pred))
        out["ab_rmse"].append(np.sqrt(np.mean((ab_t.astype(np.float64) - ab_p) ** 2, axis=(1, 2, 3))))
        out["ciede2000"].append(np.mean(color.deltaE_ciede2000(lab_true, lab_pred, channel_axis=-1), axis=(1, 2)))
    return {key: np.concatenate(values).astype(np.float64) for key, values in out.items()}
