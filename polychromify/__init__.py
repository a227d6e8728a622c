"""Polychromify: a reproducible edition of PolyChromify (Ghiotto), landscape colorization from the L channel.

The package is a house in wings, each importing only from the wings below it:

- ``polychromify.product``: what colours a photo: colour, images, the model builders, the shipped models,
  the metric registry and ``colorize``. ``from polychromify import colorize`` loads this wing only.
- ``polychromify.training``: the photos, the experiment registry, the fit loop and the results store.
- ``polychromify.studies``: scoring on any folder, per-photo evidence, the studies and their verdicts.
- ``polychromify.book``: the chapters' helpers, tables, figures, prose, widgets and the book's build.
- ``polychromify.cli``: the command line, on top.
"""
__version__ = "0.1.0"

from polychromify.product.quiet import quiet_tensorflow_import

quiet_tensorflow_import()  # TensorFlow's start-up lines are not the user's business (polychromify.product.quiet)

from polychromify.product.color import AB_SCALE, rgb_to_xy, xy_to_rgb  # noqa: E402
from polychromify.product.colorize import colorize  # noqa: E402
from polychromify.product.images import ImageError, load_rgb  # noqa: E402
from polychromify.product.pretrained import load_pretrained  # noqa: E402

__all__ = ["AB_SCALE", "ImageError", "__version__", "colorize", "load_pretrained", "load_rgb", "rgb_to_xy",
           "xy_to_rgb"]
