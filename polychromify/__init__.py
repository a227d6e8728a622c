"""Polychromify: a reproducible edition of PolyChromify (Ghiotto), landscape colorization from the L channel."""
__version__ = "0.1.0"

from .quiet import quiet_tensorflow_import

quiet_tensorflow_import()  # TensorFlow's start-up lines are not the user's business (polychromify.quiet)

from .color import AB_SCALE, rgb_to_xy, xy_to_rgb
from .colorize import colorize
from .cleaning import DataReport
from .data import Dataset, load_dataset
from .images import ImageError, load_rgb
from .pretrained import load_pretrained
from .profiles import PROFILES, Cleaning, Profile, get_profile

__all__ = [
    "AB_SCALE", "Cleaning", "DataReport", "Dataset", "ImageError", "PROFILES", "Profile", "__version__",
    "colorize", "get_profile", "load_dataset", "load_pretrained", "load_rgb", "rgb_to_xy", "xy_to_rgb",
]
