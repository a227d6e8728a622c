"""ECCV16: the classification colorizer of Zhang, Isola & Efros (2016), trained from scratch.

Reference: R. Zhang, P. Isola, A. A. Efros, "Colorful Image Colorization", ECCV 2016
(arXiv:1603.08511). Section numbers below refer to that paper.

The network predicts, for every pixel of a 1/4-resolution grid, a distribution over Q
quantised ab bins (Sec. 2.1); it is trained with a class-rebalanced multinomial
cross-entropy against soft-encoded targets (Sec. 2.1, 2.2) and decoded with the
"annealed mean" (Sec. 2.3). This module holds all of it:

- ``ab_bins``             the Q in-gamut ab bin centres (Sec. 2.1, Fig. 3a);
- ``soft_encode``         Gaussian soft encoding over the 5 nearest bins (Sec. 2.1);
- ``rebalancing_weights`` class-rebalancing weights from an empirical prior (Sec. 2.2, Eq. 3-4);
- ``annealed_mean``       decoding to ab in Lab units (Sec. 2.3, Eq. 5);
- ``eccv16``              the VGG-style network (Sec. 3 / Fig. 2, Table 4 of the supplement);
- ``Eccv16Loss``          the loss on the project's common targets Y = ab/128;
- ``decode_ab``           logits -> full-resolution model-space Y;
- ``eccv16_accuracy``     the project's "accuracy" metric computed on decoded ECCV16 output.

Project conventions: the input X is the L channel in [0, 100], shape (N, H, W, 1); the
target Y is ab/128 in [-1, 1], shape (N, H, W, 2), the same target every other model of
the project trains on. ECCV16 therefore never sees its quantised targets directly: the
loss downsamples and encodes Y itself.

Deviations from the paper, and why
----------------------------------
1. **Gamut / Q.** Zhang et al. keep "the Q = 313 values which are in-gamut" but ship the
   bins as a file (``pts_in_hull.npy``) without the recipe. We regenerate them (nothing is
   downloaded). The literal criterion -- keep a 10x10 cell if some sRGB colour (any L)
   falls inside it -- gives only Q = 262: Zhang's list is evidently looser, it contains
   bins such as (a, b) = (-90, 50) or (100, 0) that lie more than 10 units outside the
   sRGB gamut. We therefore keep a grid point (multiples of 10 in [-110, 110]^2) whose
   *centre* lies within ``1.4 * grid`` = 14 ab units (Euclidean) of the ab projection of
   the sRGB gamut. This gives exactly **Q = 313**, and 313 for every margin in
   [13.8, 14.1] (the margin is the single tuned number; 14 sits inside that plateau).
   The rows at the edges agree with the published list (a = -90: b = 50..90; a = -80:
   b from 20), but the set is not guaranteed identical to Zhang's bin for bin (e.g. we
   keep a = 110, b = -60). The gamut is sampled on the six faces of the RGB cube: the
   ab projection of a solid equals that of its surface, and this is exact and fast
   (forward ``color.rgb_to_lab`` instead of probing Lab points with ``lab_to_rgb``).
2. **Input normalisation** (L - 50)/100 is done inside the model by a ``Rescaling``
   layer (as in the authors' PyTorch port), so the model consumes the project's X as is.
3. **Batch normalisation** uses Keras ``BatchNormalization`` with a learnable scale and
   offset (as the authors' PyTorch port, ``nn.BatchNorm2d``); the original Caffe model
   used a non-affine ``BatchNorm``. Epsilon is set to 1e-5 as in PyTorch.
4. **Output head.** The model returns Q logits at 1/4 resolution. The authors' deploy
   network ends with a fixed 1x1 convolution (annealed mean) and a x4 upsampling; here
   these are the functions ``annealed_mean`` / ``decode_ab`` outside the model, so the
   model's output is what the loss needs. The logits layer runs in float32 under a
   mixed-precision policy (numerical stability of the softmax).
5. **Target downsampling.** The loss average-pools Y over 4x4 blocks to the logits'
   resolution (the Caffe data layer sub-sampled instead); averaging uses every pixel.
6. **Class-rebalancing prior** is estimated on the project's own training set (not
   ImageNet), from a random subsample of pixels, by nearest-bin histogram smoothed with
   a Gaussian (sigma = 5) across bins by their ab distance (the paper smooths the
   histogram on the ab plane; with bins 10 apart this is the same operation on the
   bin lattice).
7. **Training hyper-parameters** (Adam, lr 3e-5, weight decay 1e-3, 450k iterations on
   ImageNet) are not part of this module: the project's training code chooses them, and
   the model is trained from scratch on the landscape data set, with the same Y as the
   other models. Weight initialisation is the Keras default (Glorot uniform).
8. **Decoding to model space.** ``decode_ab`` divides the annealed mean by 128, upsamples
   bilinearly x4 and clips to [-1, 1] so it is comparable with the other models' output.

Serialisation: ``Eccv16Loss`` implements ``get_config`` (bins and weights are stored as
lists) and is registered as ``polychromify>Eccv16Loss``; ``eccv16_accuracy`` is a plain
registered function. Saving only the model weights (``model.save_weights``) and
rebuilding model and loss in code is the intended use.
"""
from __future__ import annotations

import functools

import lazy_loader
import numpy as np

from polychromify.product.color import AB_SCALE, rgb_to_lab

keras = lazy_loader.load("keras")  # loaded at first use: importing the product starts no TensorFlow

__all__ = ["DEFAULT_T", "ab_bins", "annealed_mean", "decode_ab", "eccv16", "soft_encode"]

DEFAULT_T = 0.38   # annealed-mean temperature (Sec. 2.3)
AB_RANGE = 110.0   # bin centres are kept in [-AB_RANGE, AB_RANGE]^2 (Zhang's ab range)
GAMUT_MARGIN = 1.4  # a bin is kept if its centre is within GAMUT_MARGIN * grid of sRGB
_FACE_SAMPLES = 129  # RGB-cube face sampling (129^2 points per face); 313 from 65 up


# --------------------------------------------------------------------------- bins
def _srgb_gamut_ab(n: int = _FACE_SAMPLES) -> np.ndarray:
    """ab coordinates of points sampled on the surface of the sRGB cube (M, 2)."""
    s = np.linspace(0.0, 1.0, n)
    u, v = (g.ravel() for g in np.meshgrid(s, s, indexing="ij"))
    faces = []
    for axis in range(3):
        others = [i for i in range(3) if i != axis]
        for value in (0.0, 1.0):
            face = np.empty((u.size, 3))
            face[:, axis] = value
            face[:, others[0]] = u
            face[:, others[1]] = v
            faces.append(face)
    rgb = np.concatenate(faces)
    return rgb_to_lab(rgb)[:, 1:]


@functools.lru_cache(maxsize=None)
def _ab_bins_cached(grid: int) -> np.ndarray:
    from scipy.spatial import cKDTree

    half = int(AB_RANGE // grid) * grid
    centres = np.arange(-half, half + grid / 2, grid, dtype=np.float64)
    a, b = np.meshgrid(centres, centres, indexing="ij")  # a-major order, like Zhang's list
    cand = np.stack([a.ravel(), b.ravel()], axis=-1)
    dist, _ = cKDTree(_srgb_gamut_ab()).query(cand)
    bins = cand[dist <= GAMUT_MARGIN * grid].astype(np.float32)
    bins.setflags(write=False)
    return bins


def ab_bins(grid: int = 10) -> np.ndarray:
    """In-gamut ab bin centres, float32 array (Q, 2) in Lab units (Sec. 2.1, Fig. 3a).

    Grid points are the multiples of ``grid`` in [-110, 110]^2, ordered a-major then b
    (as Zhang's ``pts_in_hull``). A point is kept when its centre lies within
    ``1.4 * grid`` ab units of an sRGB colour (any L); for ``grid=10`` this gives
    Q = 313 as in the paper (see the module docstring for why the margin is needed).
    Computed once per grid and cached (about 0.2 s); the returned array is read-only.
    """
    return _ab_bins_cached(int(grid))


def _bins_tensor(bins):
    return keras.ops.convert_to_tensor(ab_bins() if bins is None else np.asarray(bins, np.float32),
                                 dtype="float32")


# ----------------------------------------------------------------- encode / decode
def soft_encode(ab, bins=None, k: int = 5, sigma: float = 5.0):
    """Soft-encode ab values over the ``k`` nearest bins (Sec. 2.1).

    ab: tensor (..., 2) in Lab units. Returns (..., Q) float32: Gaussian weights
    exp(-d^2 / (2 sigma^2)) of the distances d to the k nearest bin centres, zero
    elsewhere, normalised to sum to 1. Stable far outside the gamut (the weights are
    computed relative to the nearest bin, which always keeps weight 1 before
    normalisation).
    """
    bins_t = _bins_tensor(bins)
    q = int(bins_t.shape[0])
    ab = keras.ops.cast(ab, "float32")
    # squared distances (..., Q) via |x|^2 - 2 x.b + |b|^2 (no (..., Q, 2) intermediate)
    d2 = (keras.ops.sum(keras.ops.square(ab), axis=-1, keepdims=True)
          - 2.0 * keras.ops.matmul(ab, keras.ops.transpose(bins_t))
          + keras.ops.sum(keras.ops.square(bins_t), axis=-1))
    d2 = keras.ops.maximum(d2, 0.0)
    neg_d2, idx = keras.ops.top_k(-d2, k=k, sorted=True)  # nearest first
    w = keras.ops.exp((neg_d2 - neg_d2[..., :1]) / (2.0 * sigma * sigma))
    w = w / keras.ops.sum(w, axis=-1, keepdims=True)
    out = keras.ops.zeros_like(d2)
    for j in range(k):  # k one-hots of shape (..., Q): lighter than one (..., k, Q) block
        out = out + w[..., j:j + 1] * keras.ops.one_hot(idx[..., j], q, dtype="float32")
    return out


def annealed_mean(logits_or_probs, bins=None, T: float = DEFAULT_T, from_logits: bool = True):
    """Annealed mean of a distribution over bins -> ab in Lab units, shape (..., 2) (Eq. 5).

    f_T(z) = softmax(log z / T), ab = sum_q f_T(z)_q * bin_q. With ``from_logits=True``
    (the default, the model's output) the input is taken as logits l, and since
    log softmax(l) = l - const, f_T = softmax(l / T). With ``from_logits=False`` the
    input is a probability distribution (clipped at 1e-12 before the log).
    T = 1 gives the mean, T -> 0 the mode.
    """
    bins_t = _bins_tensor(bins)
    x = keras.ops.cast(logits_or_probs, "float32")
    if not from_logits:
        x = keras.ops.log(keras.ops.maximum(x, 1e-12))
    p = keras.ops.softmax(x / T, axis=-1)
    return keras.ops.matmul(p, bins_t)


def decode_ab(logits, T: float = DEFAULT_T, bins=None):
    """ECCV16 logits (N, h, w, Q) -> model-space Y (N, 4h, 4w, 2) in [-1, 1].

    Annealed mean (Lab units), divided by 128, bilinear x4 upsampling, clipped.
    """
    ab = annealed_mean(logits, bins=bins, T=T) / AB_SCALE
    h, w = logits.shape[1], logits.shape[2]
    if h is None or w is None:
        shape = keras.ops.shape(logits)
        h, w = shape[1], shape[2]
    y = keras.ops.image.resize(ab, (h * 4, w * 4), interpolation="bilinear",
                         data_format="channels_last")
    return keras.ops.clip(y, -1.0, 1.0)


def _conv(x, filters, name, strides=1, dilation=1):
    return keras.layers.Conv2D(filters, 3, strides=strides, dilation_rate=dilation,
                         padding="same", activation="relu", name=name)(x)


def eccv16(input_size: int = 256, bins=None, name: str = "eccv16") -> keras.Model:
    """The ECCV16 colorization network (Sec. 2 and Fig. 2 of Zhang et al. 2016), uncompiled.

    Input: L in [0, 100], shape (input_size, input_size, 1), normalised inside the model
    to (L - 50)/100. Output: Q logits (Q = len(bins), 313 by default) at 1/4 resolution,
    shape (input_size/4, input_size/4, Q). Eight blocks of 3x3 'same' convolutions with
    ReLU, each of blocks 1-7 followed by batch normalisation:

    ====== ============================== ===========
    block  layers                         resolution
    ====== ============================== ===========
    conv1  2 x 64  (2nd stride 2)         1/2
    conv2  2 x 128 (2nd stride 2)         1/4
    conv3  3 x 256 (3rd stride 2)         1/8
    conv4  3 x 512                        1/8
    conv5  3 x 512, dilation 2            1/8
    conv6  3 x 512, dilation 2            1/8
    conv7  3 x 512                        1/8
    conv8  deconv 4x4 256 stride 2,       1/4
           2 x 256, then 1x1 -> Q logits
    ====== ============================== ===========

    Parameter count (any input size: the network is fully convolutional, so the count
    does not depend on ``input_size``): 32,240,377 in total for Q = 313, of which
    32,235,385 trainable and 4,992 BN moving statistics (about 32 x 10^6, as the
    authors' model). ``input_size`` must be a multiple of 8.
    """
    if input_size % 8:
        raise ValueError(f"eccv16: input_size must be a multiple of 8, got {input_size}")
    q = len(ab_bins() if bins is None else bins)

    inputs = keras.Input((input_size, input_size, 1), name="L")
    x = keras.layers.Rescaling(1.0 / 100.0, offset=-0.5, name="l_norm")(inputs)  # (L-50)/100

    def bn(x, block):
        return keras.layers.BatchNormalization(epsilon=1e-5, name=f"conv{block}_norm")(x)

    x = _conv(x, 64, "conv1_1")
    x = _conv(x, 64, "conv1_2", strides=2)
    x = bn(x, 1)
    x = _conv(x, 128, "conv2_1")
    x = _conv(x, 128, "conv2_2", strides=2)
    x = bn(x, 2)
    x = _conv(x, 256, "conv3_1")
    x = _conv(x, 256, "conv3_2")
    x = _conv(x, 256, "conv3_3", strides=2)
    x = bn(x, 3)
    for block, dilation in ((4, 1), (5, 2), (6, 2), (7, 1)):
        for i in (1, 2, 3):
            x = _conv(x, 512, f"conv{block}_{i}", dilation=dilation)
        x = bn(x, block)
    x = keras.layers.Conv2DTranspose(256, 4, strides=2, padding="same", activation="relu",
                               name="conv8_1")(x)
    x = _conv(x, 256, "conv8_2")
    x = _conv(x, 256, "conv8_3")
    logits = keras.layers.Conv2D(q, 1, name="conv8_313", dtype="float32")(x)
    return keras.Model(inputs, logits, name=name)


# ------------------------------------------------------------------------ loss
