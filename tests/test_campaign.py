"""polychromify.training.campaign: the paper-scale campaign lists every run the book needs and trains what is missing."""
import pytest

from polychromify.training import campaign
from polychromify.training.campaign import (
    CAMPAIGN,
    Entry,
    pending,
    run_campaign,
    runnable,
)
from polychromify.training.experiments import COMPARISON, EXPERIMENTS, SELECTION, TUNING

AVX2 = {"model": "AMD", "mhz": 2000.0, "features": ["fma", "avx2"]}
AMX = {"model": "Intel Xeon", "mhz": 2100.0, "features": ["fma", "avx2", "avx512f", "avx512_bf16", "amx_bf16"]}


@pytest.fixture(autouse=True)
def _isolated(isolated):
    """Synthetic data, the default store and the cache in tmp_path."""


def test_the_campaign_covers_every_experiment_of_the_paper_and_beyond():
    names = {e.experiment for e in CAMPAIGN}
    assert set(SELECTION) | set(TUNING) | set(COMPARISON) <= names
    assert {"eccv16_zhang", "polychromify_author_data"} <= names
    assert names <= set(EXPERIMENTS)
    seeds = sorted(e.overrides.get("seed", 42) for e in CAMPAIGN if e.experiment == "polychromify" and not e.bf16)
    assert seeds == [42, 43, 44]
    assert Entry("polychromify", campaign.BF16) in CAMPAIGN  # bf16's effect, read against the seed spread
    assert len({e.label for e in CAMPAIGN}) == len(CAMPAIGN)
    # the seed spread is float32; bf16 only where fixed (the final model's bf16 runs, the one-sitting ECCV16s,
    # the variants beyond the paper but the U-Net read against the float32 seeds) or chosen by the machine
    # where a flexible run starts
    from polychromify.training.experiments import BEYOND
    bf16 = {e.experiment for e in CAMPAIGN if e.bf16}
    assert bf16 == {"polychromify", "eccv16", "eccv16_zhang", *BEYOND} - {"polychromify_unet",
                                                                          "polychromify_unet_author_data"}
    assert sorted(e.overrides.get("seed", 42) for e in CAMPAIGN if e.experiment == "polychromify" and e.bf16
                  and "image_size" not in e.overrides) == [42, 43, 44]  # the spread the bf16 variants are read against
    assert not any(e.flexible for e in CAMPAIGN if e.experiment == "polychromify")
    assert all(e.flexible for e in CAMPAIGN if e.experiment in set(SELECTION) | {"cnn", "polychromify_v1"})


def test_a_flexible_entry_starts_in_the_faster_precision_and_keeps_the_one_it_began_in():
    from polychromify.training.runner import run_experiment
    entry = Entry("cnn", flexible=True)
    assert campaign.resolve(entry, "smoke", cpu=AMX) == Entry("cnn", {"precision": "mixed_bfloat16"})
    assert campaign.resolve(entry, "smoke", cpu=AVX2) == Entry("cnn", {"precision": "float32"})
    assert campaign.resolve(entry, "smoke", cpu=AMX, accelerator=True) == Entry("cnn", {"precision": "float32"})
    run_experiment("cnn", "smoke", precision="float32", max_epochs_this_call=1)  # begun on an AVX2 machine
    assert campaign.resolve(entry, "smoke", cpu=AMX) == Entry("cnn", {"precision": "float32"})
    assert campaign.finished(entry, "smoke", synthetic=True) is None
    run_experiment("cnn", "smoke", precision="float32")
    assert campaign.finished(entry, "smoke", synthetic=True).config["profile"]["precision"] == "float32"


def test_runnable_leaves_bf16_to_bf16_hardware_and_eccv16_to_a_sitting_of_its_own():
    eccv16 = Entry("eccv16", campaign.BF16)
    assert "AVX-512 BF16 or AMX" in runnable(Entry("polychromify", campaign.BF16), AVX2)
    assert runnable(Entry("polychromify", campaign.BF16), AMX) is None
    assert "--large" in runnable(eccv16, AMX)
    assert runnable(eccv16, AMX, large=True) is None
    assert runnable(eccv16, AVX2, accelerator=True) is None
    assert runnable(Entry("cnn"), AVX2) is None


def test_run_campaign_trains_what_is_pending_and_then_nothing(isolated, monkeypatch):
    monkeypatch.setattr(campaign, "CAMPAIGN", [Entry("polychromify"), Entry("polychromify", {"seed": 43}),
                                               Entry("cnn")])
    assert pending("smoke", synthetic=True) == campaign.CAMPAIGN
    lines = []
    done = run_campaign("smoke", only=["polychromify"], log=lines.append)
    assert done == campaign.CAMPAIGN[:2]
    assert pending("smoke", synthetic=True) == [Entry("cnn")]
    assert pending("smoke") == campaign.CAMPAIGN  # synthetic runs never count as the real campaign's
    run = campaign.finished(Entry("polychromify", {"seed": 43}), "smoke", synthetic=True)
    assert run.config["profile"]["seed"] == 43
    assert any(line.startswith("finished polychromify (seed=43)") for line in lines)
    assert run_campaign("smoke", only=["polychromify"], log=lines.append) == []
