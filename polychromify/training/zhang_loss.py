"""Training ECCV16 with Zhang et al.'s recipe (and any model with their class output): the class-rebalanced
multinomial cross-entropy on soft-encoded targets (Eq. 2), its rebalancing weights from the training photos'
ab prior (Eq. 3-4), the pixel "accuracy" Keras logs for it, and compiling. The builders, the bins and the
decoding by annealed mean live with the product (``product.eccv16``)."""
from __future__ import annotations

import keras
import numpy as np

from polychromify.product.color import AB_SCALE
from polychromify.product.eccv16 import (
    ab_bins,
    decode_ab,
    soft_encode,
)

__all__ = ["Eccv16Loss", "compile_eccv16", "eccv16_accuracy", "rebalancing_weights"]


@keras.saving.register_keras_serializable(package="polychromify", name="eccv16_accuracy")
def eccv16_accuracy(y_true, y_pred_logits):
    """The project's pixel "accuracy" for ECCV16: decode the logits (``decode_ab``,
    default bins and T), then per pixel 1.0 where argmax over (a, b) of the decoded Y
    equals that of y_true, else 0.0 -- what Keras' ``"accuracy"`` (categorical accuracy)
    reports for the autoencoders' (N, H, W, 2) outputs. Returns (N, H, W); Keras averages.
    Named ``accuracy`` so that fit logs it as ``accuracy`` / ``val_accuracy``.
    """
    y_pred = decode_ab(y_pred_logits)
    y_true = keras.ops.cast(y_true, "float32")
    hit = keras.ops.equal(keras.ops.argmax(y_true, axis=-1), keras.ops.argmax(y_pred, axis=-1))
    return keras.ops.cast(hit, "float32")


eccv16_accuracy.__name__ = "accuracy"


# ------------------------------------------------------------------- rebalancing
def rebalancing_weights(ab_train, bins=None, lam: float = 0.5, sigma: float = 5.0, *,
                        scale: float = 1.0, max_pixels: int = 1_000_000, seed: int = 0,
                        return_prior: bool = False):
    """Class-rebalancing weights w (Q,) float32 (Sec. 2.2, Eq. 3-4).

    ab_train: array (..., 2) of training-set ab values in Lab units (pass the model-space
    Y with ``scale=128``). At most ``max_pixels`` pixels, drawn at random (``seed``), are
    used. The empirical prior p is the nearest-bin histogram, smoothed by a Gaussian of
    ``sigma`` ab units across bins (mass-conserving: each bin's mass is spread over the
    bins by their ab distance). Then w ∝ ((1 - lam) p + lam / Q)^-1, normalised so that
    sum_q p_q w_q = 1. With ``return_prior=True`` returns (w, p).
    """
    from scipy.spatial import cKDTree

    bins = ab_bins() if bins is None else np.asarray(bins, np.float32)
    q = len(bins)
    ab = np.asarray(ab_train, dtype=np.float32).reshape(-1, 2) * scale
    if len(ab) == 0:
        raise ValueError("rebalancing_weights: no ab values given")
    if len(ab) > max_pixels:
        rng = np.random.default_rng(seed)
        ab = ab[rng.choice(len(ab), size=max_pixels, replace=False)]
    _, nearest = cKDTree(bins).query(ab)
    counts = np.bincount(nearest, minlength=q).astype(np.float64)
    p = counts / counts.sum()
    d2 = np.sum((bins[:, None, :].astype(np.float64) - bins[None, :, :]) ** 2, axis=-1)
    kernel = np.exp(-d2 / (2.0 * sigma**2))
    kernel /= kernel.sum(axis=0, keepdims=True)  # column r spreads bin r's mass
    p = kernel @ p
    p /= p.sum()
    w = 1.0 / ((1.0 - lam) * p + lam / q)
    w /= np.sum(p * w)
    if return_prior:
        return w.astype(np.float32), p.astype(np.float32)
    return w.astype(np.float32)


# ----------------------------------------------------------------------- model
@keras.saving.register_keras_serializable(package="polychromify", name="Eccv16Loss")
class Eccv16Loss(keras.losses.Loss):
    """Class-rebalanced multinomial cross-entropy on soft-encoded targets (Eq. 2).

    y_true: model-space Y (N, H, W, 2) in [-1, 1] at full resolution; y_pred: logits
    (N, h, w, Q) with H = f h (f is read from the static shapes; 4, as for ``eccv16``,
    when they are unknown). Y is average-pooled over f x f
    blocks, multiplied by 128, soft-encoded (5 nearest bins, sigma 5); each pixel is
    weighted by the rebalancing weight of its nearest bin; the result is the mean over
    pixels of w * (-sum_q z_q log softmax(logits)_q).

    bins: (Q, 2) bin centres (default ``ab_bins()``); weights: (Q,) rebalancing weights
    (default: ones, i.e. no rebalancing). ``get_config`` stores both as lists.
    """

    def __init__(self, bins=None, weights=None, k: int = 5, sigma: float = 5.0,
                 name: str = "eccv16_loss", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.bins = np.array(ab_bins() if bins is None else bins, dtype=np.float32)
        q = len(self.bins)
        self.weights = (np.ones(q, np.float32) if weights is None
                        else np.array(weights, dtype=np.float32).reshape(-1))
        if len(self.weights) != q:
            raise ValueError(f"Eccv16Loss: {len(self.weights)} weights for {q} bins")
        self.k = int(k)
        self.sigma = float(sigma)

    def call(self, y_true, y_pred):
        y_true = keras.ops.cast(y_true, "float32")
        logits = keras.ops.cast(y_pred, "float32")
        h_true, h_pred = y_true.shape[1], logits.shape[1]
        factor = h_true // h_pred if h_true and h_pred else 4  # unknown shapes: eccv16's 4
        if factor > 1:
            y_true = keras.ops.average_pool(y_true, pool_size=factor, strides=factor,
                                      padding="valid", data_format="channels_last")
        z = soft_encode(y_true * AB_SCALE, self.bins, k=self.k, sigma=self.sigma)
        w = keras.ops.take(keras.ops.convert_to_tensor(self.weights), keras.ops.argmax(z, axis=-1))
        ce = -keras.ops.sum(z * keras.ops.log_softmax(logits, axis=-1), axis=-1)
        return w * ce  # (N, h, w); the reduction averages over all pixels

    def get_config(self):
        config = super().get_config()
        config.update(bins=self.bins.tolist(), weights=self.weights.tolist(),
                      k=self.k, sigma=self.sigma)
        return config


def compile_eccv16(model: keras.Model, y_train=None, learning_rate: float = 1e-3) -> keras.Model:
    """Compile with Adam, the rebalanced loss (weights from the training set's own ab prior) and the
    project's pixel accuracy on the decoded output. ``y_train`` is model-space Y; None: no rebalancing.

    Deviation: Zhang et al. used Adam with lr 3e-5 and weight decay for 450k iterations on ImageNet;
    for a from-scratch comparison at the paper's scale we keep the paper's Adam settings for every model.
    """
    weights = None if y_train is None else rebalancing_weights(np.asarray(y_train), scale=AB_SCALE)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=Eccv16Loss(weights=weights),
                  metrics=[eccv16_accuracy])
    return model
