"""The colorizer of the static book: the network of ``colorize`` as one small ONNX graph for onnxruntime-web.

The book's "Colorize in your browser" page (``webpage``) runs it with no server and no Python: the reader's
photo never leaves their machine. The work is split by where it is fastest:

- the graph (this module) runs the network on the small copy, which the page draws on a canvas:

      input   small  (1, S, S, 4) uint8 RGBA, the whole photo resized to the model's square input S (alpha ignored)
      output  ab     (1, S, S, 2) float32, the predicted a, b in Lab units (clipped to +-AB_SCALE)

  Inside: L of ``small`` (``color.lightness_ops``) -> the trained model -> decoded, clipped, times AB_SCALE:
  ``colorize.predict_small_ab`` for a given small copy.
- the page's script (``webpage.js``) does the full-resolution merge of ``colorize.merge`` in one pass per
  pixel: the photo's own L, ab scaled by chroma and upsampled bilinearly, back to sRGB, with the lookup
  tables of ``color`` built from ``color.table_recipe`` (the tests check tables and pixels against
  Python). A full-resolution image is many millions of elementwise steps, which plain JavaScript does in
  one loop while a graph of elementwise operators makes one pass over memory per operator; and moving the
  chroma slider only reruns the merge, not the network.

``export_onnx`` writes the graph, in float32 or with ``int8`` its weights quantized to 8 bits by
onnxruntime's dynamic quantization (a third of the size, for pages that phones load;
``benchmarks/quantized_model.py`` measures what it costs). Keras exports through tf2onnx on the TensorFlow
backend (the default); on JAX the graph runs (the tests check it) but Keras' export needs the jax2onnx
package, not a dependency here. ECCV16's output is a distribution over 313 bins, not ab: only the
autoencoders and the CNN can be exported.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from polychromify.product.color import AB_SCALE, lightness_ops
from polychromify.product.colorize import merge
from polychromify.product.files import atomic_path
from polychromify.training.resolve import trained_model

__all__ = ["INPUTS", "OUTPUTS", "build_browser_model", "colorize_like_the_page", "export_onnx", "onnx_bytes",
           "run_onnx"]

OPSET = 17
INPUTS = ("small",)
OUTPUTS = ("ab",)


def build_browser_model(model=None):
    """The graph (input and output in the module docstring) around a trained model.

    ``model``: as ``resolve.trained_model`` (None: the shipped default colorizer; an experiment name; a run).
    """
    import keras
    from keras import ops

    resolved = trained_model(model)
    if resolved.output != "ab":
        raise ValueError(f"{resolved.source}: only models that predict ab can run in the "
                         f"browser (this one predicts {resolved.output}: ECCV16 with Zhang's recipe, 313 "
                         "colour bins)")
    net, size = resolved.model, resolved.image_size
    small = keras.Input((size, size, 4), dtype="uint8", name="small", batch_size=1)
    L = keras.layers.Lambda(lambda rgba: lightness_ops(rgba[..., :3]), output_shape=(size, size, 1),
                            name="lightness")(small)
    ab = keras.layers.Lambda(lambda y: ops.clip(y, -1.0, 1.0) * AB_SCALE, name="ab")(net(L))
    return keras.Model(small, {"ab": ab}, name="polychromify_browser")


def export_onnx(path, model=None, int8: bool = False) -> Path:
    """Write the browser colorizer of ``model`` (None: the pretrained one) as ONNX to ``path``, atomically;
    with ``int8`` its weights quantized to 8 bits."""
    path = Path(path)
    graph = build_browser_model(model)
    size = graph.inputs[0].shape[1]
    graph(np.zeros((1, size, size, 4), np.uint8))
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
    bits); the colour conversion's small matrix (L of the small copy, 3 x 1) stays float32, so L is exact."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    graph = onnx.load(str(source)).graph
    sizes = {i.name: int(np.prod(i.dims)) for i in graph.initializer}
    colour = [n.name for n in graph.node if n.op_type == "MatMul" and max(sizes.get(x, 0) for x in n.input) <= 9]
    quantize_dynamic(source, target, weight_type=QuantType.QUInt8, op_types_to_quantize=["Conv", "MatMul"],
                     nodes_to_exclude=colour)


def _rgba(a) -> np.ndarray:
    """uint8 RGB or RGBA (H, W, C) -> RGBA (1, H, W, 4), as a canvas's ImageData holds it."""
    a = np.asarray(a, np.uint8)
    if a.shape[-1] == 3:
        a = np.concatenate([a, np.full(a.shape[:-1] + (1,), 255, np.uint8)], axis=-1)
    return a[None]


def run_onnx(session, small: np.ndarray) -> np.ndarray:
    """Run an onnxruntime session of the exported graph on the small copy (uint8 RGB or RGBA, S x S):
    the predicted ab (S, S, 2) float32 in Lab units."""
    (ab,) = session.run(None, {session.get_inputs()[0].name: _rgba(small)})
    return ab[0]


def colorize_like_the_page(session, photo: np.ndarray, small: np.ndarray, chroma: float = 1.0) -> np.ndarray:
    """What the book's page does, in Python: the graph on ``small``, merged with ``photo`` (uint8 RGB) at its
    own size by ``colorize.merge``, which the page's script does bit for bit (but for rare one-level steps).
    uint8 RGB (H, W, 3). For tests, benchmarks and checking an export."""
    return merge(np.asarray(photo, np.uint8)[..., :3], run_onnx(session, small), chroma)


def onnx_bytes(model=None, int8: bool = False) -> bytes:
    """The exported graph of ``model`` (None: the pretrained one; ``int8``: quantized) as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        return export_onnx(Path(folder) / "colorizer.onnx", model, int8).read_bytes()
