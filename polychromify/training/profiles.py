"""Run profiles and cleaning thresholds: the one place where parameters are defined.

Notebooks, the CLI and the tests all read these. A profile is a frozen dataclass;
change a value for one run with ``profile.replace(epochs=3)`` or ``get_profile("quick", epochs=3)``.

- ``smoke``: seconds; the tests and the notebooks' smoke runs.
- ``quick``: every experiment of the book together in at most 45 minutes on a 2-core CPU.
- ``ablation``: the paper's resolution (128 px) on 800 photos for 10 epochs: about 10 minutes a run on a
  2-core CPU, for studies of many variants (``experiments.GENERALIZATION``).
- ``paper``: exactly the paper's settings (128 px, batch 32, 25 epochs, Adam, MSE).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

PRECISIONS = ("float32", "mixed_bfloat16")
LOSSES = ("mse", "mae")          # Keras' names: the paper's MSE, or L1 (beyond the paper)
AUGMENTATIONS = ("none", "flip")  # "flip": each training photo mirrored left-right with probability 1/2
# The seeds of the runs every comparison is read against (the final model's three; the campaign trains them):
# the first is every profile's default seed.
SEEDS = (42, 43, 44)


def _check(owner: str, name: str, value, low=None, high=None, above=None, below=None, integer=False,
           optional=False) -> None:
    """Raise a one-line ValueError when a field's value is out of range (``above`` and ``below`` are strict)."""
    if value is None and optional:
        return
    kind = "a whole number" if integer else "a number"
    ok = isinstance(value, int) if integer else isinstance(value, (int, float)) and math.isfinite(value)
    ok = ok and not isinstance(value, bool)
    ok = ok and (low is None or value >= low) and (high is None or value <= high)
    ok = ok and (above is None or value > above) and (below is None or value < below)
    if not ok:
        bounds = [f"at least {low}" if low is not None else "", f"above {above}" if above is not None else "",
                  f"at most {high}" if high is not None else "", f"below {below}" if below is not None else ""]
        rule = " and ".join(b for b in bounds if b)
        raise ValueError(f"{owner}: {name} must be {kind}{' ' + rule if rule else ''}"
                         f"{' (or unset)' if optional else ''}, not {value!r}")


MAX_IMAGE_SIZE = 1024  # px: a side beyond this would not fit a laptop's memory (the paper: 128)


@dataclass(frozen=True)
class Cleaning:
    """Thresholds of the data-cleaning steps (see ``polychromify.training.data``).

    Calibrated on the shared landscape set, whose README lists 127 near-gray and 411 padded photos:
    these values find 128 and 426 among its 4,143 distinct files.
    """

    # A photo is "near-gray" when the 99th percentile of its Lab chroma sqrt(a^2 + b^2)
    # is below this value (CIELAB units; a vivid photo reaches 40-80, JPEG noise on gray about 1-2).
    gray_chroma: float = 3.0
    # A border row/column is "black padding" when its brightest pixel (max over RGB,
    # robust to JPEG ringing: the 95th percentile along the line) is at most this value.
    border_level: int = 16
    # Crop only borders at least this many pixels thick on both opposite sides (thinner dark
    # edges are frames or photo content).
    border_min: int = 3
    # After cropping, drop photos whose short side is below this fraction of the original side.
    min_remaining: float = 0.5

    def __post_init__(self):
        _check("cleaning", "gray_chroma", self.gray_chroma, low=0)
        _check("cleaning", "border_level", self.border_level, low=0, high=255, integer=True)
        _check("cleaning", "border_min", self.border_min, low=0, integer=True)
        _check("cleaning", "min_remaining", self.min_remaining, low=0, high=1)


@dataclass(frozen=True)
class Profile:
    """Everything a run needs besides the data directory and the output paths."""

    name: str
    image_size: int = 128          # side of the square network input, px (paper: 128)
    epochs: int = 25               # paper: 25
    batch_size: int = 32           # paper: 32
    learning_rate: float = 1e-3    # Adam's default; the paper keeps a fixed rate
    max_images: int | None = None  # cap on cleaned photos used (None: all)
    seed: int = SEEDS[0]           # split, shuffling and weight initialisation
    precision: str = "float32"     # float32 | mixed_bfloat16
    split: tuple[float, float, float] = (0.64, 0.16, 0.20)  # train/val/test, as in the paper
    eccv16_image_size: int | None = None  # ECCV16 (32M parameters) trains slower; None: same as image_size
    eccv16_epochs: int | None = None      # None: same as epochs
    # Batch-norm momentum of the moving mean/variance used at inference (CNN, PolyChromify v5, ECCV16). Paper:
    # Keras' default 0.99. With 0.99 the moving statistics need several hundred steps to forget their
    # initial values (mean 0, variance 1); the quick profile trains about 65 steps, after which a 0.99
    # model still predicts from unconverged statistics (measured: test ab RMSE 63 in inference mode vs 21
    # with batch statistics). The quick and smoke profiles therefore use 0.9.
    bn_momentum: float = 0.99
    cleaning: Cleaning = field(default_factory=Cleaning)

    def __post_init__(self):
        """Every field checked where it enters (a profile, a flag, a notebook parameter): a one-line error."""
        owner = f"profile {self.name}"
        _check(owner, "image_size", self.image_size, low=8, high=MAX_IMAGE_SIZE, integer=True)
        _check(owner, "epochs", self.epochs, low=1, integer=True)
        _check(owner, "batch_size", self.batch_size, low=1, integer=True)
        _check(owner, "learning_rate", self.learning_rate, above=0)
        _check(owner, "max_images", self.max_images, low=1, integer=True, optional=True)
        _check(owner, "seed", self.seed, low=0, integer=True)
        _check(owner, "eccv16_image_size", self.eccv16_image_size, low=8, high=MAX_IMAGE_SIZE, integer=True,
               optional=True)
        _check(owner, "eccv16_epochs", self.eccv16_epochs, low=1, integer=True, optional=True)
        _check(owner, "bn_momentum", self.bn_momentum, low=0, below=1)
        if self.precision not in PRECISIONS:
            raise ValueError(f"{owner}: precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        if len(self.split) != 3:
            raise ValueError(f"{owner}: split must be three fractions (train, val, test), not {self.split!r}")
        for part, value in zip(("train", "val", "test"), self.split):
            _check(owner, f"split ({part})", value, above=0)
        if not math.isclose(sum(self.split), 1.0, abs_tol=1e-6):  # never renormalised behind the user's back
            raise ValueError(f"{owner}: split must be fractions that add up to 1, not {','.join(map(str, self.split))} "
                             f"(sum {sum(self.split):g})")
        if not isinstance(self.cleaning, Cleaning):
            raise ValueError(f"{owner}: cleaning must be a Cleaning, not {type(self.cleaning).__name__}")

    def replace(self, **changes) -> "Profile":
        """A copy with some fields changed (``None`` values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# What each field means, for the command line's flags (``--image-size``, ``--gray-chroma``, ...).
HELP = {
    "image_size": "side of the square network input, px (paper: 128)",
    "epochs": "training epochs (paper: 25)",
    "batch_size": "training batch size (paper: 32)",
    "learning_rate": "Adam's learning rate (paper: Keras' default 0.001)",
    "max_images": "cap on the cleaned photos used (default of the paper profile: all)",
    "seed": "split, shuffling and weight initialisation",
    "precision": "arithmetic of training: float32 (the paper's) or mixed_bfloat16",
    "split": "train,val,test fractions (paper: 0.64,0.16,0.2)",
    "eccv16_image_size": "ECCV16's input side (32M parameters: training is slower)",
    "eccv16_epochs": "ECCV16's training epochs",
    "bn_momentum": "batch-norm momentum of the moving statistics (paper: 0.99)",
    "gray_chroma": "cleaning: a photo whose 99th-percentile Lab chroma is below this is near-gray and dropped",
    "border_level": "cleaning: a border line at most this bright (0-255) is black padding",
    "border_min": "cleaning: crop only black borders at least this many px thick on opposite sides",
    "min_remaining": "cleaning: drop a photo whose cropped short side is below this fraction of the original",
}


PROFILES = {
    "smoke": Profile("smoke", image_size=32, epochs=2, batch_size=16, max_images=48,
                     eccv16_image_size=32, eccv16_epochs=1, bn_momentum=0.9),
    # Sized to the 45-minute budget: 640 photos with 3 ECCV16 epochs measured 46 min of training and
    # evaluation (plus 3 min of data preparation) on the idle 2-core machine, so both were cut.
    "quick": Profile("quick", image_size=64, epochs=5, max_images=576,
                     eccv16_image_size=64, eccv16_epochs=2, bn_momentum=0.9),
    "ablation": Profile("ablation", image_size=128, epochs=10, max_images=800),
    "paper": Profile("paper"),
}


# The profile the book renders by default (`make book`, `polychromify book`, a notebook opened as it is): the
# paper's scale, from the committed runs (it never trains). `polychromify book --profile quick` renders the
# quick runs.
BOOK_PROFILE = "paper"


def get_profile(name: str | Profile = "quick", **overrides) -> Profile:
    """The named profile, with any non-None keyword overrides applied."""
    if isinstance(name, Profile):
        return name.replace(**overrides)
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None
    return profile.replace(**overrides)


def from_stored(stored: dict) -> Profile:
    """The profile a run's ``config.json`` holds (``Profile.to_dict`` read back from JSON)."""
    fields = dict(stored)
    fields["cleaning"] = Cleaning(**fields.get("cleaning", {}))
    fields["split"] = tuple(fields.get("split", Profile.split))
    return Profile(**fields)
