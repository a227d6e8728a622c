"""The colorizer of the static book: the whole of ``colorize.colorize`` as one ONNX graph for onnxruntime-web.

The book's "Colorize in your browser" page (``webpage``) runs it with no server and no Python: the reader's
photo never leaves their machine. The page does only what a browser does best, decoding the photo and
drawing a small copy of it on a canvas; everything else happens in the graph, so that the same numbers come
out of Python and out of the browser:

    inputs   photo   (1, H, W, 4) uint8 RGBA, the photo at its own size (any H, W; alpha ignored)
             small   (1, S, S, 4) uint8 RGBA, the whole photo resized to the model's square input S
             chroma  (1, 1) float32, the scale of the predicted colour (1: as predicted, 0: gray)
    outputs  rgba    (1, H, W, 4) uint8, the colorized photo (alpha 255), ready for a canvas's ImageData
             gray    (1, H, W, 4) uint8, the photo's L alone (what the network is given), R = G = B

Inside: L of ``small`` -> the trained model -> ab (S, S) -> scaled by chroma -> upsampled bilinearly to
(H, W) (pixel centres aligned, edges clamped, as ``colorize.upsample_ab``) -> merged with the L of
``photo`` -> sRGB. These are the conversions of ``colorize`` (scikit-image's sRGB matrix and D65 white),
written here in ``keras.ops`` because ONNX has no colour operators; the tests check the graph against
``colorize.colorize`` with onnxruntime. The one difference left is the small copy: the book's page draws
it with the browser's high-quality canvas filter, Python uses Pillow's Lanczos.

``export_onnx`` writes it: Keras exports through tf2onnx on the TensorFlow backend (the default); on JAX
the graph runs (the tests check it) but Keras' export needs the jax2onnx package, not a dependency here.
ECCV16's output is a distribution over 313 bins, not ab: only the autoencoders and the CNN can be exported.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from .colorize import _RGB_FROM_FXYZ, _Y_FROM_RGB, get_model
from .files import atomic_path
from .data import AB_SCALE, L_MAX

__all__ = ["INPUTS", "build_browser_model", "export_onnx", "onnx_bytes", "run_onnx"]

OPSET = 17
INPUTS = ("photo", "small", "chroma")


def _lightness(rgba):
    """CIELAB L in [0, 100] of uint8 RGBA (..., 4), with a trailing axis of 1."""
    from keras import ops
    v = ops.cast(rgba[..., :3], "float32") * (1 / 255)
    linear = ops.where(v > 0.04045, ops.power((v + 0.055) * (1 / 1.055), 2.4), v * (1 / 12.92))
    y = ops.clip(ops.matmul(linear, ops.convert_to_tensor(_Y_FROM_RGB[:, None], "float32")), 0.0, 1.0)
    return ops.where(y > 0.008856, 116.0 * ops.power(y, 1 / 3) - 16.0, 903.3 * y)


def _f_inverse(t):
    from keras import ops
    return ops.where(t > 0.2068966, t * t * t, (t - 16 / 116) * (1 / 7.787))


def _srgb8(linear):
    """Linear RGB, clipped to [0, 1] -> uint8 sRGB, with an opaque alpha channel appended."""
    from keras import ops
    linear = ops.clip(linear, 0.0, 1.0)
    srgb = ops.where(linear > 0.0031308, 1.055 * ops.power(linear, 1 / 2.4) - 0.055, 12.92 * linear)
    rgb = ops.cast(ops.round(srgb * 255.0), "uint8")
    if rgb.shape[-1] == 1:
        rgb = ops.concatenate([rgb, rgb, rgb], axis=-1)
    return ops.concatenate([rgb, ops.full_like(rgb[..., :1], 255)], axis=-1)


def _lab_to_rgba8(L, ab):
    """L (..., 1) and ab (..., 2) in Lab units -> uint8 RGBA (..., 4), out-of-gamut colours clipped."""
    from keras import ops
    fy = (ops.clip(L, 0.0, L_MAX) + 16.0) * (1 / 116)
    fx = fy + ab[..., :1] * (1 / 500)
    fz = ops.maximum(fy - ab[..., 1:] * (1 / 200), 0.0)
    fxyz = ops.concatenate([_f_inverse(fx), _f_inverse(fy), _f_inverse(fz)], axis=-1)
    return _srgb8(ops.matmul(fxyz, ops.convert_to_tensor(_RGB_FROM_FXYZ.T, "float32")))


def _gray_rgba8(L):
    """The neutral colour of lightness L (..., 1): R = G = B, as uint8 RGBA (..., 4)."""
    from keras import ops
    return _srgb8(_f_inverse((ops.clip(L, 0.0, L_MAX) + 16.0) * (1 / 116)))


def _bilinear_upsample(small, height, width):
    """(1, h, w, C) -> (1, height, width, C) for sizes known only when the graph runs: the resampling of
    ``colorize.upsample_ab`` (pixel centres aligned, edges clamped) as two gathers and blends."""
    from keras import ops

    def taps(n_out, n_in):
        centre = (ops.cast(ops.arange(n_out), "float32") + 0.5) * (n_in / ops.cast(n_out, "float32")) - 0.5
        centre = ops.clip(centre, 0.0, n_in - 1.0)
        low = ops.floor(centre)
        high = ops.minimum(low + 1.0, n_in - 1.0)
        return ops.cast(low, "int32"), ops.cast(high, "int32"), centre - low

    low, high, weight = taps(width, small.shape[2])
    wide = ops.take(small, low, axis=2)
    wide = wide + (ops.take(small, high, axis=2) - wide) * weight[:, None]
    low, high, weight = taps(height, small.shape[1])
    top = ops.take(wide, low, axis=1)
    return top + (ops.take(wide, high, axis=1) - top) * weight[:, None, None]


def build_browser_model(model=None):
    """The end-to-end colorizer graph (inputs and output in the module docstring) around a trained model.

    ``model``: as ``colorize.get_model`` (None: the shipped pretrained model; an experiment name; a run).
    """
    import keras
    from keras import ops

    resolved = get_model(model)
    if resolved.model.output_shape[-1] != 2:
        raise ValueError(f"{resolved.label or resolved.experiment}: only models that predict ab can run in the "
                         f"browser (ECCV16 with Zhang's recipe predicts 313 colour bins)")
    net, size = resolved.model, resolved.image_size

    class Colorize(keras.layers.Layer):
        """Everything after decoding: small L -> ab -> upsampled and merged with the photo's own L."""

        def call(self, photo, small, chroma):
            ab = ops.clip(net(_lightness(small)), -1.0, 1.0) * (AB_SCALE * chroma[:, None, None, :])
            height, width = ops.shape(photo)[1], ops.shape(photo)[2]
            ab = _bilinear_upsample(ab, height, width)
            L = _lightness(photo)
            return _lab_to_rgba8(L, ab), _gray_rgba8(L)

        def compute_output_spec(self, photo, small, chroma):
            return (keras.KerasTensor(photo.shape, dtype="uint8", name="rgba"),
                    keras.KerasTensor(photo.shape, dtype="uint8", name="gray"))

    photo = keras.Input((None, None, 4), dtype="uint8", name="photo", batch_size=1)
    small = keras.Input((size, size, 4), dtype="uint8", name="small", batch_size=1)
    chroma = keras.Input((1,), dtype="float32", name="chroma", batch_size=1)  # (1, 1)
    rgba, gray = Colorize(name="colorize")(photo, small, chroma)
    return keras.Model([photo, small, chroma], {"rgba": rgba, "gray": gray}, name="polychromify_browser")


def export_onnx(path, model=None) -> Path:
    """Write the browser colorizer of ``model`` (None: the pretrained one) as ONNX to ``path``, atomically."""
    path = Path(path)
    graph = build_browser_model(model)
    size = graph.inputs[1].shape[1]
    graph([np.zeros((1, 3, 5, 4), np.uint8), np.zeros((1, size, size, 4), np.uint8), np.ones((1, 1), np.float32)])
    with atomic_path(path) as tmp:
        graph.export(str(tmp), format="onnx", verbose=False, opset_version=OPSET)
    return path


def run_onnx(session, photo: np.ndarray, small: np.ndarray, chroma: float = 1.0) -> dict[str, np.ndarray]:
    """Run an onnxruntime session of the exported graph on uint8 RGB or RGBA arrays.

    Returns {"rgba": colorized, "gray": L alone}, each uint8 RGB (H, W, 3).

    What the book's page does, in Python: for tests and for checking an export.
    """
    def rgba(a):
        a = np.asarray(a, np.uint8)
        if a.shape[-1] == 3:
            a = np.concatenate([a, np.full(a.shape[:-1] + (1,), 255, np.uint8)], axis=-1)
        return a[None]
    feeds = {"photo": rgba(photo), "small": rgba(small), "chroma": np.array([[chroma]], np.float32)}
    names = [i.name for i in session.get_inputs()]
    outputs = session.run(None, {name: feeds[key] for name, key in zip(names, INPUTS)})
    return {o.name: out[0, ..., :3] for o, out in zip(session.get_outputs(), outputs)}


def onnx_bytes(model=None) -> bytes:
    """The exported graph of ``model`` (None: the pretrained one) as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        return export_onnx(Path(folder) / "colorizer.onnx", model).read_bytes()
