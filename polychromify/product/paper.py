"""What the paper prints, in one place, each value with its table or section; the book shows them only
labelled as the paper's.

Source: D. Ghiotto, "PolyChromify: Deep Convolutional Autoencoder for Landscape Image Colorization",
University of Padova, June 2021 (his repository github.com/davide97g/polychromify, ``report/Report.pdf`` at
commit c325de0). Where the author's notebook of the same month (``notebooks/modeling.ipynb`` at that commit,
whose markdown cells hold the printed outputs) gives another or a more precise value, that value is kept
beside it as a second source, labelled ``NOTEBOOK``; the book shows both where they differ. Training times are the paper's, measured on a
"Lenovo ThinkPad T590 using CPU only" (footnote 3).
"""

import math

PAPER = "paper"
NOTEBOOK = "author's notebook"
MACHINE = "Lenovo ThinkPad T590, CPU only (the paper's footnote 3)"

# Section III: the Kaggle set's 4,300 photos, split 64/16/20.
SPLIT = {"train": 2752, "val": 688, "test": 860, "total": 4300}

# Section V.A (model selection) prints no numbers: its only result is Fig. 3 (validation accuracy per epoch)
# and the ranking it reads from it: AE v2 best, AE v0 far behind, the CNN close to the autoencoders.
SELECTION_BEST = "ae_v2"
SELECTION_WORST = "ae_v0"
# The notebook's printed validation accuracy after 25 epochs on 800/200 photos (batch 16).
SELECTION_VAL_ACCURACY_NOTEBOOK = {
    "ae_v0": 0.5373364090919495,
    "ae_v1": 0.6505120992660522,
    "ae_v2": 0.6568432450294495,
    "ae_v3": 0.6420919895172119,
    "cnn_selection": 0.6535870432853699,
}

# Table 1 (section V.B): configuration, validation accuracy and training time of the five tuned versions.
TABLE1 = {
    "polychromify_v1": {"version": "v1", "neurons": "L", "filters": "L", "strided": False, "batch_norm": False,
                        "val_accuracy": 0.6814, "time_s": 35 * 60},
    "polychromify_v2": {"version": "v2", "neurons": "M", "filters": "L", "strided": False, "batch_norm": False,
                        "val_accuracy": 0.6792, "time_s": 52 * 60},
    "polychromify": {"version": "v3", "neurons": "H", "filters": "L", "strided": False, "batch_norm": False,
                     "val_accuracy": 0.6851, "time_s": 65 * 60},
    "polychromify_v4": {"version": "v4", "neurons": "H", "filters": "H", "strided": True, "batch_norm": False,
                        "val_accuracy": 0.6727, "time_s": 105 * 60},
    "polychromify_v5": {"version": "v5", "neurons": "H", "filters": "H", "strided": True, "batch_norm": True,
                        "val_accuracy": 0.6527, "time_s": 112 * 60},
}
TUNING_VAL_ACCURACY = {name: row["val_accuracy"] for name, row in TABLE1.items()}
# The notebook's unrounded values (the same five, to more digits) and the CNN's and ECCV16's, which the
# paper shows only as curves in Fig. 4.
TUNING_VAL_ACCURACY_NOTEBOOK = {
    "polychromify_v1": 0.6814773082733154,
    "polychromify_v2": 0.6792629957199097,
    "polychromify": 0.6851961016654968,
    "polychromify_v4": 0.6727843880653381,
    "polychromify_v5": 0.6527038216590881,
    "cnn": 0.6794722080230713,
    "eccv16": 0.6477094888687134,
}

# Table 2 (section V.C): parameters as printed (rounded), training time and test accuracy.
TABLE2 = {
    "cnn": {"params": 98_000, "params_printed": "98 x 10^3", "time_s": 2 * 3600 + 10 * 60,
            "test_accuracy": 0.6534},
    "eccv16": {"params": 32_000_000, "params_printed": "32 x 10^6", "time_s": 6 * 3600 + 40 * 60,
               "test_accuracy": 0.6400},
    "polychromify": {"params": 293_000, "params_printed": "293 x 10^3", "time_s": 1 * 3600 + 40 * 60,
                     "test_accuracy": 0.6845},
}
# The notebook's test accuracies: the CNN's differs from Table 2 (0.6726 against the printed 0.6534).
TABLE2_TEST_ACCURACY_NOTEBOOK = {
    "cnn": 0.6725620627403259,
    "eccv16": 0.6400381326675415,
    "polychromify": 0.6845739483833313,
}


def as_printed(value: float) -> float:
    """A value of the author's notebook as the paper prints it: cut (not rounded) to four decimals
    (his 0.68147... is Table 1's 0.6814)."""
    return math.floor(value * 1e4) / 1e4


def params_agree(ours: int, printed: int) -> bool:
    """Whether our exact parameter count rounds to the paper's printed one (two or three significant digits)."""
    digits = len(str(printed).rstrip("0"))
    return round(ours, -(len(str(ours)) - digits)) == printed


def duration(seconds: float | None) -> str:
    """A duration written as the paper writes it: "35min", "1h 5min", "6h 40min"."""
    if seconds is None or seconds != seconds:  # None or NaN
        return "n/a"
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}min" if hours else f"{minutes}min"
