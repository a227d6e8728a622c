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
``photo`` -> sRGB. The colour conversions are the ``keras.ops`` path of ``color`` (ONNX has no colour
operators), which does the arithmetic of ``colorize``'s lookup tables; the tests check the graph against
``colorize.colorize`` with onnxruntime. The one difference left is the small copy: the book's page draws
it with the browser's high-quality canvas filter, Python uses Pillow's Lanczos.

``export_onnx`` writes it, in float32 or with ``int8`` its weights quantized to 8 bits by onnxruntime's
dynamic quantization (the network's weights, not the colour conversions around them: a third of the
size, for pages that phones load; ``benchmarks/quantized_model.py`` measures what it costs: on 100
scenes-dev photos, 0.12 8-bit levels on average, AuC and ab RMSE unchanged). Keras exports through tf2onnx on the TensorFlow backend (the default); on JAX
the graph runs (the tests check it) but Keras' export needs the jax2onnx package, not a dependency here.
ECCV16's output is a distribution over 313 bins, not ab: only the autoencoders and the CNN can be exported.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from .color import AB_SCALE, gray_to_rgb8_ops, lab_to_rgb8_ops, lightness_ops
from .colorize import get_model
from .files import atomic_path

__all__ = ["INPUTS", "build_browser_model", "export_onnx", "onnx_bytes", "run_onnx"]

OPSET = 17
INPUTS = ("photo", "small", "chroma")


def _opaque(rgb):
    """uint8 RGB (..., 3) -> RGBA (..., 4) with alpha 255, as a canvas's ImageData wants it."""
    from keras import ops
    return ops.concatenate([rgb, ops.full_like(rgb[..., :1], 255)], axis=-1)


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
    if resolved.spec.output != "ab":
        raise ValueError(f"{resolved.label or resolved.experiment}: only models that predict ab can run in the "
                         f"browser (this one predicts {resolved.spec.output}: ECCV16 with Zhang's recipe, 313 "
                         "colour bins)")
    net, size = resolved.model, resolved.image_size

    class Colorize(keras.layers.Layer):
        """Everything after decoding: small L -> ab -> upsampled and merged with the photo's own L."""

        def call(self, photo, small, chroma):
            ab = ops.clip(net(lightness_ops(small[..., :3])), -1.0, 1.0) * (AB_SCALE * chroma[:, None, None, :])
            height, width = ops.shape(photo)[1], ops.shape(photo)[2]
            ab = _bilinear_upsample(ab, height, width)
            L = lightness_ops(photo[..., :3])  # alpha ignored
            return _opaque(lab_to_rgb8_ops(L, ab)), _opaque(gray_to_rgb8_ops(L))

        def compute_output_spec(self, photo, small, chroma):
            return (keras.KerasTensor(photo.shape, dtype="uint8", name="rgba"),
                    keras.KerasTensor(photo.shape, dtype="uint8", name="gray"))

    photo = keras.Input((None, None, 4), dtype="uint8", name="photo", batch_size=1)
    small = keras.Input((size, size, 4), dtype="uint8", name="small", batch_size=1)
    chroma = keras.Input((1,), dtype="float32", name="chroma", batch_size=1)  # (1, 1)
    rgba, gray = Colorize(name="colorize")(photo, small, chroma)
    return keras.Model([photo, small, chroma], {"rgba": rgba, "gray": gray}, name="polychromify_browser")


def export_onnx(path, model=None, int8: bool = False) -> Path:
    """Write the browser colorizer of ``model`` (None: the pretrained one) as ONNX to ``path``, atomically;
    with ``int8`` its weights quantized to 8 bits."""
    path = Path(path)
    graph = build_browser_model(model)
    size = graph.inputs[1].shape[1]
    graph([np.zeros((1, 3, 5, 4), np.uint8), np.zeros((1, size, size, 4), np.uint8), np.ones((1, 1), np.float32)])
    with atomic_path(path) as tmp:
        if not int8:
            graph.export(str(tmp), format="onnx", verbose=False, opset_version=OPSET)
        else:
            with tempfile.TemporaryDirectory() as scratch:  # the float32 graph that is quantized, never kept
                float32 = Path(scratch) / "float32.onnx"
                graph.export(str(float32), format="onnx", verbose=False, opset_version=OPSET)
                _quantize(float32, tmp)
    return path


def _quantize(source: Path, target: Path) -> None:
    """onnxruntime's dynamic quantization of the network's weights (its convolutions and matrix products, 8
    bits); the colour conversions' small matrices (3 x 1, 3 x 3) stay float32, so L and gray are exact."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    graph = onnx.load(str(source)).graph
    sizes = {i.name: int(np.prod(i.dims)) for i in graph.initializer}
    colour = [n.name for n in graph.node if n.op_type == "MatMul" and max(sizes.get(x, 0) for x in n.input) <= 9]
    quantize_dynamic(source, target, weight_type=QuantType.QUInt8, op_types_to_quantize=["Conv", "MatMul"],
                     nodes_to_exclude=colour)


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


def onnx_bytes(model=None, int8: bool = False) -> bytes:
    """The exported graph of ``model`` (None: the pretrained one; ``int8``: quantized) as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        return export_onnx(Path(folder) / "colorizer.onnx", model, int8).read_bytes()
