"""The experiment registry: each model of the paper (and beyond it) once, with what shapes its runs and how
the book shows it. ``runner.run_experiment`` trains one; ``resolve.trained_model`` loads one."""
from __future__ import annotations

from dataclasses import dataclass

from polychromify.product.models import output_of
from polychromify.training.profiles import AUGMENTATIONS, LOSSES, SEEDS, Profile, _check


@dataclass(frozen=True)
class Experiment:
    """One model of the paper (or beyond it): what shapes its runs, and how it is trained, read and shown.

    The fields down to ``data_protocol`` shape a run and enter its config (``CONFIG_FIELDS``); the others
    say how to handle the model and change no stored run: no other module tests an experiment's name.
    """

    name: str
    model: str           # a key of models.BUILDERS
    section: str         # where the paper reports it
    title: str
    train_limit: int | None = None   # cap on training photos (the paper's model selection: 800)
    val_limit: int | None = None     # cap on validation photos (the paper's model selection: 200)
    batch_size: int | None = None    # None: the profile's
    data_protocol: str = "ours"      # "ours" (cleaned, content-hash split) or "author" (data.load_author_protocol)
    loss: str = "mse"                # "mse" (the paper's) or "mae" (L1: the per-pixel median instead of the mean)
    augment: str = "none"            # "none" (the paper's) or "flip": each training photo mirrored with p = 1/2
    # A longer schedule with the validation curve deciding (beyond the paper): up to ``epoch_factor`` times the
    # profile's epochs, stopped once the validation loss has not improved for ``patience`` epochs, ending with
    # the best validation epoch's weights (``training.fit``). The paper's: the profile's epochs, the last weights.
    epoch_factor: int = 1
    patience: int | None = None
    # -- how to handle it (not in the config)
    label: str = ""                  # short name in tables and legends
    colour: str = "k"                # its colour in every figure
    trained: bool = True             # False: the author's own weights, adopted, not trained
    # Checkpoints too big for the repository (ECCV16: 32M parameters with Adam's two moments, about 390 MB;
    # AE v3: 5.5M, 66 MB) wait in the cache (``cache_dir``, by default ``settings.cache_dir()``) until the run
    # finishes, so such a run resumes only on the same machine.
    checkpoint_in_cache: bool = False
    # Hours per run on a 2-core CPU (the ECCV16s): the profile's eccv16_image_size / eccv16_epochs apply,
    # and the campaign trains it only in a sitting of its own.
    large: bool = False

    def __post_init__(self):
        for field_name, value, allowed in (("loss", self.loss, LOSSES), ("augment", self.augment, AUGMENTATIONS)):
            if value not in allowed:
                raise ValueError(f"experiment {self.name}: {field_name} must be one of {', '.join(allowed)}, "
                                 f"not {value!r}")
        _check(f"experiment {self.name}", "epoch_factor", self.epoch_factor, low=1, integer=True)
        _check(f"experiment {self.name}", "patience", self.patience, low=1, integer=True, optional=True)

    @property
    def output(self) -> str:
        """ "ab" (model-space Y) or "classes" (Zhang's 313 bins, decoded by annealed mean): its builder's."""
        return output_of(self.model)


# The fields that enter a run's config, in order. Fields added after runs were stored enter it only when not
# at their default (``_LATER_FIELDS``), so the runs stored before them keep their fingerprints.
CONFIG_FIELDS = ("name", "model", "section", "title", "train_limit", "val_limit", "batch_size", "data_protocol",
                 "loss", "augment", "epoch_factor", "patience")
_LATER_FIELDS = {"data_protocol": "ours", "loss": "mse", "augment": "none", "epoch_factor": 1, "patience": None}


# Section V.A compared the variants on 800 training / 200 validation photos with batch 16 (the author's
# notebook); tuning and the final comparison use the whole split with batch 32.
_SELECTION = dict(train_limit=800, val_limit=200, batch_size=16)
_ECCV16 = dict(checkpoint_in_cache=True, large=True)

EXPERIMENTS = {e.name: e for e in [
    Experiment("ae_v0", "ae_v0", "V.A", "AE v0: dense autoencoder", **_SELECTION, label="AE v0", colour="#9e9e9e"),
    Experiment("ae_v1", "ae_v1", "V.A", "AE v1: convolutional autoencoder", **_SELECTION, label="AE v1",
               colour="#8c6d31"),
    Experiment("ae_v2", "ae_v2", "V.A", "AE v2: convolutional + dense middle", **_SELECTION, label="AE v2",
               colour="#2ca02c"),
    Experiment("ae_v3", "ae_v3", "V.A", "AE v3: deep convolutional, strides + upsampling", **_SELECTION,
               label="AE v3", colour="#9467bd", checkpoint_in_cache=True),
    Experiment("cnn_selection", "cnn", "V.A", "CNN baseline", **_SELECTION, label="CNN", colour="#d62728"),
    Experiment("polychromify_v1", "polychromify_v1", "V.B, Table 1", "PolyChromify v1", label="PolyChromify v1",
               colour="#17becf"),
    Experiment("polychromify_v2", "polychromify_v2", "V.B, Table 1", "PolyChromify v2", label="PolyChromify v2",
               colour="#bcbd22"),
    Experiment("polychromify", "polychromify", "IV, Table 1 v3, Table 2", "PolyChromify (final, v3)",
               label="PolyChromify", colour="#ff7f0e"),
    Experiment("polychromify_v4", "polychromify_v4", "V.B, Table 1", "PolyChromify v4", label="PolyChromify v4",
               colour="#e377c2"),
    Experiment("polychromify_v5", "polychromify_v5", "V.B, Table 1", "PolyChromify v5", label="PolyChromify v5",
               colour="#7f7f7f"),
    Experiment("cnn", "cnn", "V.C, Table 2", "CNN baseline", label="CNN", colour="#d62728"),
    Experiment("eccv16", "eccv16", "V.C, Table 2", "ECCV16, the author's Keras translation (MSE)",
               label="ECCV16", colour="#1f77b4", **_ECCV16),
    Experiment("eccv16_zhang", "eccv16_zhang", "beyond the paper",
               "ECCV16 with Zhang et al.'s recipe (313 classes, rebalancing, annealed mean)",
               label="ECCV16, Zhang's recipe (beyond the paper)", colour="#08306b", **_ECCV16),
    Experiment("polychromify_author_data", "polychromify", "beyond the paper",
               "PolyChromify (final) under the author's data protocol", data_protocol="author",
               label="PolyChromify, the author's data protocol", colour="#8c564b"),
    Experiment("polychromify_conv_output", "polychromify_conv_output", "beyond the paper",
               "PolyChromify (final) with the author's Conv2D(2, 3x3) output",
               label="PolyChromify, the author's Conv2D output", colour="#c49c94"),
    Experiment("polychromify_conv_output_author_data", "polychromify_conv_output", "beyond the paper",
               "The author's recipe: his Conv2D output and his data protocol", data_protocol="author",
               label="the author's recipe (his output and data protocol)", colour="#e7969c"),
    Experiment("polychromify_unet", "polychromify_unet", "beyond the paper",
               "PolyChromify as a U-Net (skip connections instead of the bottleneck, 341k parameters)",
               label="PolyChromify U-Net", colour="#2ca02c"),
    Experiment("polychromify_unet_author_data", "polychromify_unet", "beyond the paper",
               "PolyChromify U-Net under the author's data protocol", data_protocol="author",
               label="PolyChromify U-Net, the author's data protocol", colour="#98df8a"),
    Experiment("polychromify_unet_large", "polychromify_unet_large", "beyond the paper",
               "PolyChromify as a larger U-Net (1.2M parameters)", label="PolyChromify U-Net, large",
               colour="#006d2c"),
    Experiment("polychromify_unet_large_author_data", "polychromify_unet_large", "beyond the paper",
               "The larger U-Net under the author's data protocol", data_protocol="author",
               label="PolyChromify U-Net, large, the author's data protocol", colour="#74c476"),
    Experiment("polychromify_unet_large_author_data_long", "polychromify_unet_large", "beyond the paper",
               "The larger U-Net under the author's data protocol, trained up to twice as long with the validation "
               "curve deciding", data_protocol="author", epoch_factor=2, patience=10,
               label="PolyChromify U-Net, large, the author's data protocol, longer schedule", colour="#00441b"),
    Experiment("polychromify_classes", "polychromify_classes", "beyond the paper",
               "PolyChromify with Zhang's classification loss (313 classes, rebalancing, annealed mean)",
               label="PolyChromify, classification loss", colour="#17becf"),
    Experiment("polychromify_l1", "polychromify", "beyond the paper",
               "PolyChromify (final) trained with the L1 loss (mean absolute error) instead of MSE", loss="mae",
               label="PolyChromify, L1 loss", colour="#d95f02"),
    Experiment("polychromify_flip", "polychromify", "beyond the paper",
               "PolyChromify (final) trained on randomly mirrored photos (horizontal flips)", augment="flip",
               label="PolyChromify, flips", colour="#7570b3"),
    Experiment("polychromify_unet_large_flip", "polychromify_unet_large", "beyond the paper",
               "The larger U-Net trained on randomly mirrored photos", augment="flip",
               label="PolyChromify U-Net, large, flips", colour="#e7298a"),
    Experiment("author_model", "author_model", "V.C (the author's trained final model)",
               "PolyChromify as the author trained it (his weights)", label="PolyChromify, the author's weights",
               colour="#000000", trained=False),
]}
# The model that is not trained: its weights are the author's own (``polychromify.product.author_model``).
AUTHOR_MODEL = "author_model"
# Why our final model generalizes worse than the author's trained one (book: "Our model and the author's"):
# one factor at a time, then both (his recipe retrained by us).
GENERALIZATION = ["polychromify", "polychromify_conv_output", "polychromify_author_data",
                  "polychromify_conv_output_author_data"]
# Beyond the paper (book: "Beyond the paper"): what fixes the pale colours, against the final model.
BEYOND = ["polychromify", "polychromify_unet", "polychromify_unet_large", "polychromify_classes", "polychromify_l1",
          "polychromify_flip", "polychromify_unet_large_flip", "polychromify_unet_author_data",
          "polychromify_unet_large_author_data", "polychromify_unet_large_author_data_long"]
SELECTION = ["ae_v0", "ae_v1", "ae_v2", "ae_v3", "cnn_selection"]
TUNING = ["polychromify_v1", "polychromify_v2", "polychromify", "polychromify_v4", "polychromify_v5"]
COMPARISON = ["cnn", "eccv16", "polychromify"]
LABELS = {name: e.label for name, e in EXPERIMENTS.items()}    # experiment -> short name
PALETTE = {name: e.colour for name, e in EXPERIMENTS.items()}  # experiment -> colour


def precision_study(profile: Profile) -> dict[str, dict]:
    """The runs of the final model that measure what training in mixed_bfloat16 costs, as profile changes by
    label: float32; float32 with the other seeds of ``profiles.SEEDS`` (how far a seed alone moves the scores);
    mixed_bfloat16 with the profile's seed."""
    return {"float32": {"precision": "float32"},
            **{f"float32, seed {s}": {"precision": "float32", "seed": s} for s in SEEDS if s != profile.seed},
            "mixed_bfloat16": {"precision": "mixed_bfloat16"}}


def get_experiment(name: str) -> Experiment:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}") from None


