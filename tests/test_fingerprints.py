"""Run fingerprints are pinned: a change of code must not rename the runs in the store, or the paper-scale
campaign's checkpoints would no longer resume (issue #14). If a change *means* to give runs new configs, it
bumps ``models.MODEL_REVISIONS`` or adds an Experiment field through ``experiments._LATER_FIELDS`` instead."""
from pathlib import Path

import pytest

from polychromify.training.experiments import EXPERIMENTS
from polychromify.training.profiles import get_profile
from polychromify.training.results import fingerprint, list_runs
from polychromify.training.runner import make_config

ROOT = Path(__file__).resolve().parent.parent

PINNED = {  # experiment/profile -> fingerprint on the data below, as of commit 3ce4df9
    "ae_v0/paper": "92b2438f91",
    "ae_v0/quick": "d52b045e33",
    "ae_v1/paper": "c82c844244",
    "ae_v1/quick": "0a995dd738",
    "ae_v2/paper": "b2fefa8aab",
    "ae_v2/quick": "c26fd51cdc",
    "ae_v3/paper": "11529d22c5",
    "ae_v3/quick": "c284f1bf56",
    "cnn_selection/paper": "d3e0be8606",
    "cnn_selection/quick": "a9604c04f6",
    "polychromify_v1/paper": "31d28ee994",
    "polychromify_v1/quick": "bb71af23e7",
    "polychromify_v2/paper": "95b4bc407c",
    "polychromify_v2/quick": "dd36d66106",
    "polychromify/paper": "1be0b55237",
    "polychromify/quick": "bc2ed91fb9",
    "polychromify_v4/paper": "a2b1ef92b0",
    "polychromify_v4/quick": "53fc23d970",
    "polychromify_v5/paper": "54c602d05f",
    "polychromify_v5/quick": "c9349026c5",
    "cnn/paper": "cbe49be56e",
    "cnn/quick": "878ca6a140",
    "eccv16/paper": "ee9d7bae00",
    "eccv16/quick": "41489c8bce",
    "eccv16_zhang/paper": "0b440e4ac7",
    "eccv16_zhang/quick": "500ce04354",
    "polychromify_author_data/paper": "5d850f78e5",
    "polychromify_author_data/quick": "b89ea87c13",
    "polychromify_conv_output/paper": "804c05bd0e",
    "polychromify_conv_output/quick": "763c18319a",
    "polychromify_conv_output_author_data/paper": "354cdfae99",
    "polychromify_conv_output_author_data/quick": "3ebf24dfc8",
    "polychromify_unet/paper": "8ff834a780",   # beyond the paper: pinned when added (stop 21)
    "polychromify_unet/quick": "2f9b293974",
    "polychromify_unet_large/paper": "2b1d82428c",
    "polychromify_unet_large/quick": "a098924b14",
    "polychromify_classes/paper": "ceca1e938f",
    "polychromify_classes/quick": "f307f0f422",
    "polychromify_l1/paper": "70c05ad77b",  # beyond the paper: pinned when added (stop 24)
    "polychromify_l1/quick": "ec9552e2c0",
    "polychromify_flip/paper": "118f6d84bf",
    "polychromify_flip/quick": "c88597e876",
    "polychromify_unet_large_flip/paper": "e4e5ef911b",
    "polychromify_unet_large_flip/quick": "2c929c26a6",
    "polychromify_unet_author_data/paper": "42a1b474dd",  # beyond the paper: pinned when added (stop 25)
    "polychromify_unet_author_data/quick": "6cb8dd863e",
    "polychromify_unet_large_author_data/paper": "3b95de0dea",  # beyond the paper: pinned when added (stop 26)
    "polychromify_unet_large_author_data/quick": "e29ecb0188",
    "polychromify_unet_large_author_data_long/paper": "90f53a601f",  # beyond the paper: pinned when added (stop 32)
    "polychromify_unet_large_author_data_long/quick": "bd0100ca86",
    "author_model/paper": "408dd5d749",
    "author_model/quick": "3c25d626a8",
}


class Photos:
    """The data record of a run on the paper's split (made up, fixed)."""

    def provenance(self):
        return {"source": "/x", "synthetic": False, "data_hash": "0" * 64, "used": 4007,
                "split_sizes": {"train": 2586, "val": 622, "test": 799}, "image_size": 128}


@pytest.mark.parametrize("key", sorted(PINNED))
def test_a_runs_fingerprint_does_not_change(key):
    name, profile = key.split("/")
    assert fingerprint(make_config(EXPERIMENTS[name], get_profile(profile), Photos())) == PINNED[key]


def test_every_experiment_is_pinned():
    assert {key.split("/")[0] for key in PINNED} == set(EXPERIMENTS)


def test_every_stored_run_lives_in_the_folder_its_config_names():
    runs = list_runs(ROOT / "results")
    assert runs
    for run in runs:
        config = run.config
        assert run.path.name == f"{config['profile']['name']}-{fingerprint(config)}", run.path
