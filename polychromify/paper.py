"""The paper's own numbers, in one place, each with where it comes from; shown only labelled as the paper's.

Source: Ghiotto, "PolyChromify: Deep Convolutional Autoencoder for Landscape Image Colorization" (2021) and
the author's public notebook (github.com/davide97g/polychromify, ``notebooks/modeling.ipynb``), whose printed
outputs hold the values the paper's tables report. Where a value is not in either, it is None.
"""

SPLIT = {"train": 2752, "val": 688, "test": 860, "total": 4300}  # section III; notebook split 80/20 then 80/20

# Section V.A (model selection: 800 training / 200 validation photos, batch 16, 25 epochs):
# validation accuracy printed in the notebook.
SELECTION_VAL_ACCURACY = {
    "ae_v0": 0.5373364090919495,
    "ae_v1": 0.6505120992660522,
    "ae_v2": 0.6568432450294495,
    "ae_v3": 0.6420919895172119,
    "cnn_selection": 0.6535870432853699,
}

# Table 1 (hyper-parameter tuning, whole split, batch 32, 25 epochs): validation accuracy. The widths
# of v1, v2, v4, v5 and the training times are not in the public sources (see models.TABLE1).
TUNING_VAL_ACCURACY = {
    "polychromify_v1": 0.6814773082733154,
    "polychromify_v2": 0.6792629957199097,
    "polychromify": 0.6851961016654968,      # v3, the final model
    "polychromify_v4": 0.6727843880653381,
    "polychromify_v5": 0.6527038216590881,
    "cnn": 0.6794722080230713,
    "eccv16": 0.6477094888687134,
}

# Table 2: parameters and test accuracy. Training times are not in the public sources.
TABLE2 = {
    "cnn": {"params": 98_000, "params_exact": 98_370, "test_accuracy": 0.6725620627403259, "time": None},
    "eccv16": {"params": None, "params_exact": None, "test_accuracy": 0.6400381326675415, "time": None},
    "polychromify": {"params": 293_000, "params_exact": 293_074, "test_accuracy": 0.6845739483833313,
                     "time": None},
}
