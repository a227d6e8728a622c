"""Colour, in one place: the CIELAB constants and every conversion between sRGB, CIELAB and the model's X, Y.

The network sees X = L in [0, L_MAX] and predicts Y = ab / AB_SCALE in [-1, 1] (the paper, section III).
CIELAB is scikit-image's: sRGB (IEC 61966-2-1), the D65 white point of the 2-degree observer, and the
CIE curve constants as scikit-image writes them.

The conversion comes in three forms, one per job. ``tests/test_color.py`` checks them against each other:

- **float**, the reference: ``rgb_to_lab`` and ``lab_to_rgb`` call scikit-image's ``rgb2lab``/``lab2rgb``,
  and ``rgb_to_xy``/``xy_to_rgb`` are the same in model space. The data, the metrics, the figures, the
  samples and ECCV16's gamut use it.
- **uint8 lookup tables**, for speed only: ``lightness``, ``lab_to_rgb8``, ``lab_planes_to_rgb8`` and
  ``in_srgb_gamut`` do the same arithmetic in float32, with tables for the sRGB and CIELAB curves, for
  photos at their own resolution (``colorize``). They agree with the float path to within 0.01 L and one
  8-bit level. scikit-image is not used there because on a 12-megapixel photo its two conversions took
  5.6 s on the 2-core machine, while the whole pass takes under 1 s. LittleCMS (Pillow's ImageCms) is fast
  too, but its Lab is 8-bit and D50-based.
- **keras.ops**, for ONNX: ``lightness_ops`` is ``lightness``'s arithmetic as graph operations (ONNX has
  no colour operators); the browser's graph (``browser``) computes the small copy's L with it. The page
  does the full-resolution merge itself, in JavaScript, with the lookup-table path's arithmetic and tables
  (``table_recipe``: their constants; the tests check the page's tables and pixels against this module).
"""
from __future__ import annotations

import warnings

import numpy as np
from skimage import color as skcolor
from skimage.color import colorconv

__all__ = [
    "AB_SCALE", "CIE_EPSILON", "CIE_KAPPA", "D65_WHITE", "F_INVERSE_KNEE", "F_SLOPE", "L_MAX",
    "in_srgb_gamut", "lab_planes_to_rgb8", "lab_to_rgb", "lab_to_rgb8", "lightness", "lightness_ops",
    "lookup_tables", "rgb_to_lab", "rgb_to_xy", "table_recipe", "xy_to_rgb",
]

AB_SCALE = 128.0  # Y = ab / AB_SCALE, as in the paper; ab of sRGB colours lies within about +-110
L_MAX = 100.0     # L lies in [0, L_MAX]
D65_WHITE = colorconv.xyz_tristimulus_values(illuminant="D65", observer="2")  # XYZ of white: (0.95047, 1, 1.08883)

# The CIE curve f (XYZ -> Lab), with scikit-image's roundings of the exact fractions.
CIE_EPSILON = 0.008856     # (6/29)^3: below this Y / Y_white, L = CIE_KAPPA * Y is linear
CIE_KAPPA = 903.3          # (29/3)^3
F_INVERSE_KNEE = 0.2068966  # 6/29: above it, the inverse of f is t^3
F_SLOPE = 7.787            # (29/6)^2 / 3: the slope of f's linear part

# The sRGB transfer curve (IEC 61966-2-1).
SRGB_DECODE_KNEE = 0.04045   # an encoded value at or below it is linear light times SRGB_SLOPE
SRGB_ENCODE_KNEE = 0.0031308  # the same point in linear light
SRGB_SLOPE = 12.92
SRGB_OFFSET = 0.055
SRGB_GAMMA = 2.4


# ---------------------------------------------------------------- float: scikit-image, the reference

def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 or [0, 1] float RGB (..., 3) -> float32 CIELAB (..., 3), by scikit-image."""
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8:
        rgb = rgb.astype(np.float32) / 255.0
    return skcolor.rgb2lab(rgb).astype(np.float32)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB (..., 3) -> float32 RGB in [0, 1], by scikit-image. L is clipped to [0, L_MAX] first, and colours
    outside sRGB are clipped to [0, 1] after.

    scikit-image computes in the precision of its input, so float32 Lab is converted in float32 and any other
    Lab in float64. Its warning about negative Z values is silenced, because out-of-gamut colours (from
    predictions) are expected and clipped on purpose.
    """
    lab = np.asarray(lab)
    lab = np.array(lab, dtype=np.float32 if lab.dtype == np.float32 else np.float64)
    lab[..., 0] = np.clip(lab[..., 0], 0.0, L_MAX)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rgb = skcolor.lab2rgb(lab)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def rgb_to_xy(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB (..., H, W, 3) -> network input X = L (..., H, W, 1) and target Y = ab / AB_SCALE (..., H, W, 2)."""
    lab = rgb_to_lab(rgb)
    return lab[..., :1], lab[..., 1:] / AB_SCALE


def xy_to_rgb(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The inverse of ``rgb_to_xy``: L (..., 1) and Y (..., 2) -> float32 RGB in [0, 1], computed in float64
    (out-of-gamut colours clipped)."""
    return lab_to_rgb(np.concatenate([np.asarray(x, np.float64), np.asarray(y, np.float64) * AB_SCALE], axis=-1))


# ---------------------------------------------------------------- uint8 lookup tables: fast, for big photos

_Y_FROM_RGB = colorconv.xyz_from_rgb[1]                   # linear RGB -> Y (scikit-image's sRGB matrix)
_RGB_FROM_FXYZ = colorconv.rgb_from_xyz * D65_WHITE[None, :]  # XYZ / white -> linear RGB; rows R, G, B
# Each row sums to 1 within 1e-4 (the rounding of the published constants). Making the sum exact keeps
# neutral colours (a = b = 0) exactly neutral, and changes nothing by more than 0.03 of an 8-bit level.
_RGB_FROM_FXYZ = (_RGB_FROM_FXYZ / _RGB_FROM_FXYZ.sum(axis=1, keepdims=True)).astype(np.float32)
_v = np.arange(256) / 255.0
_LINEAR = np.where(_v > SRGB_DECODE_KNEE, ((_v + SRGB_OFFSET) / (1 + SRGB_OFFSET)) ** SRGB_GAMMA,
                   _v / SRGB_SLOPE)                                            # the sRGB decoding curve
_Y_LUT = [(_LINEAR * c).astype(np.float32) for c in _Y_FROM_RGB]            # uint8 channel -> its share of Y
_LUT_STEPS = 65535
_t = np.arange(_LUT_STEPS + 1) / _LUT_STEPS
_L_LUT = np.where(_t > CIE_EPSILON, 116.0 * np.cbrt(_t) - 16.0, CIE_KAPPA * _t).astype(np.float32)  # Y -> L
_ENCODE_LUT = np.clip(np.round(255.0 * np.where(_t > SRGB_ENCODE_KNEE,
                                                (1 + SRGB_OFFSET) * _t ** (1 / SRGB_GAMMA) - SRGB_OFFSET,
                                                SRGB_SLOPE * _t)),
                      0, 255).astype(np.uint8)                                   # linear -> 8-bit sRGB
del _v, _t


def _table_index(linear: np.ndarray) -> np.ndarray:
    """Linear light (float32, changed in place), clipped to [0, 1] -> the nearest row of the 65536-row tables."""
    np.clip(linear, 0.0, 1.0, out=linear)
    linear *= _LUT_STEPS
    linear += 0.5
    return linear.astype(np.uint16)


def lightness(rgb: np.ndarray) -> np.ndarray:
    """CIELAB L in [0, L_MAX] of uint8 RGB (H, W, 3), as float32 (H, W)."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    y = np.take(_Y_LUT[0], rgb[..., 0])
    y += np.take(_Y_LUT[1], rgb[..., 1])
    y += np.take(_Y_LUT[2], rgb[..., 2])
    return np.take(_L_LUT, _table_index(y))


def _f_inverse(t: np.ndarray) -> np.ndarray:
    """The inverse of CIELAB's curve f, in float32."""
    return np.where(t > F_INVERSE_KNEE, t * t * t, (t - np.float32(16 / 116)) * np.float32(1 / F_SLOPE))


def _fy(L: np.ndarray) -> np.ndarray:
    """f(Y / Y_white) of a lightness L (H, W), L first clipped to [0, L_MAX]; float32."""
    fy = np.clip(L, 0.0, L_MAX, dtype=np.float32)
    fy += np.float32(16)
    fy *= np.float32(1 / 116)
    return fy


def _linear_rgb(fy: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Linear sRGB (H, W, 3), not clipped, of f(Y) and a, b planes (H, W). As in scikit-image, f(Z) is
    clipped to 0 first."""
    fxyz = np.empty(fy.shape + (3,), np.float32)
    fxyz[..., 0] = _f_inverse(fy + a * np.float32(1 / 500))
    fxyz[..., 1] = _f_inverse(fy)
    fxyz[..., 2] = _f_inverse(np.maximum(fy - b * np.float32(1 / 200), 0.0))
    return fxyz @ _RGB_FROM_FXYZ.T


def lab_planes_to_rgb8(L: np.ndarray, a: np.ndarray | None = None, b: np.ndarray | None = None,
                       out: np.ndarray | None = None) -> np.ndarray:
    """CIELAB planes L, a, b (H, W) -> uint8 sRGB (H, W, 3), written into ``out`` when given. Out-of-gamut
    colours are clipped.

    With a and b None the colour is neutral, and R = G = B exactly. This is the block-wise form that
    ``colorize.merge`` runs on threads.
    """
    fy = _fy(L)
    if out is None:
        out = np.empty(fy.shape + (3,), np.uint8)
    if a is None or b is None:  # gray: linear R = G = B = Y
        out[...] = np.take(_ENCODE_LUT, _table_index(_f_inverse(fy)))[..., None]
        return out
    np.take(_ENCODE_LUT, _table_index(_linear_rgb(fy, a, b)), out=out)
    return out


def lab_to_rgb8(L: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """CIELAB L (H, W) and ab (H, W, 2) in Lab units -> uint8 sRGB (H, W, 3); out-of-gamut colours clipped."""
    ab = np.asarray(ab, np.float32)
    return lab_planes_to_rgb8(np.asarray(L, np.float32), ab[..., 0], ab[..., 1])


def in_srgb_gamut(L: np.ndarray, ab: np.ndarray, tolerance: float = 1e-4) -> np.ndarray:
    """Whether each CIELAB colour, L (H, W) and ab (H, W, 2), lies in sRGB: a boolean (H, W) array.

    A colour counts as inside when its linear R, G and B all lie in [0, 1] up to ``tolerance``.
    """
    ab = np.asarray(ab, np.float32)
    linear = _linear_rgb(_fy(L), ab[..., 0], ab[..., 1])
    return np.all((linear >= -tolerance) & (linear <= 1 + tolerance), axis=-1)


# ---------------------------------------------------------------- keras.ops: L in a graph for ONNX

def lightness_ops(rgb):
    """CIELAB L in [0, L_MAX] of uint8 RGB (..., 3), with a trailing axis of 1 (..., 1)."""
    from keras import ops
    v = ops.cast(rgb, "float32") * (1 / 255)
    linear = ops.where(v > SRGB_DECODE_KNEE, ops.power((v + SRGB_OFFSET) * (1 / (1 + SRGB_OFFSET)), SRGB_GAMMA),
                       v * (1 / SRGB_SLOPE))
    y = ops.clip(ops.matmul(linear, ops.convert_to_tensor(_Y_FROM_RGB[:, None], "float32")), 0.0, 1.0)
    return ops.where(y > CIE_EPSILON, 116.0 * ops.power(y, 1 / 3) - 16.0, CIE_KAPPA * y)


# ---------------------------------------------------------------- the lookup tables, for the book's page

def table_recipe() -> dict:
    """What the book's page needs to build the lookup tables and run ``lab_planes_to_rgb8`` and ``lightness``
    in JavaScript (``webpage.js``), bit for bit: every constant, as JSON numbers. The 3 x 3 matrix and the
    float32 factors are given as the float32 values this module uses, so the page does not recompute them."""
    f32 = lambda x: float(np.float32(x))  # noqa: E731
    return {
        "y_from_rgb": [float(c) for c in _Y_FROM_RGB], "rgb_from_fxyz": [float(v) for v in _RGB_FROM_FXYZ.ravel()],
        "steps": _LUT_STEPS, "l_max": L_MAX, "cie_epsilon": CIE_EPSILON, "cie_kappa": CIE_KAPPA,
        "f_inverse_knee": f32(F_INVERSE_KNEE), "f_offset": f32(16 / 116), "f_slope_inverse": f32(1 / F_SLOPE),
        "fy_scale": f32(1 / 116), "a_scale": f32(1 / 500), "b_scale": f32(1 / 200),
        "srgb_decode_knee": SRGB_DECODE_KNEE, "srgb_encode_knee": SRGB_ENCODE_KNEE, "srgb_slope": SRGB_SLOPE,
        "srgb_offset": SRGB_OFFSET, "srgb_gamma": SRGB_GAMMA,
    }


def lookup_tables() -> dict[str, np.ndarray]:
    """The lookup tables themselves (copies), to check the page's own against: ``y`` (3, 256) the share of Y
    of each 8-bit channel, ``L`` (65536,) Y -> L, ``encode`` (65536,) linear light -> 8-bit sRGB."""
    return {"y": np.stack(_Y_LUT), "L": _L_LUT.copy(), "encode": _ENCODE_LUT.copy()}
