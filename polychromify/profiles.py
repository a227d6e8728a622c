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
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cleaning:
    """Thresholds of the data-cleaning steps (see ``polychromify.data``).

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


@dataclass(frozen=True)
class Profile:
    """Everything a run needs besides the data directory and the output paths."""

    name: str
    image_size: int = 128          # side of the square network input, px (paper: 128)
    epochs: int = 25               # paper: 25
    batch_size: int = 32           # paper: 32
    learning_rate: float = 1e-3    # Adam's default; the paper keeps a fixed rate
    max_images: int | None = None  # cap on cleaned photos used (None: all)
    seed: int = 42                 # split, shuffling and weight initialisation
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

    def replace(self, **changes) -> "Profile":
        """A copy with some fields changed (``None`` values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


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
