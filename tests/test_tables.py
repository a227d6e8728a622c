"""The book's tables: the paper's numbers beside ours, from runs in a results store (here: made-up runs)."""
import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers import fake_run

from polychromify.book import prose, tables
from polychromify.product import paper
from polychromify.product.models import build_model
from polychromify.training.cleaning import DataReport
from polychromify.training.experiments import COMPARISON, SELECTION, TUNING


@pytest.fixture
def runs(tmp_path):
    names = dict.fromkeys([*SELECTION, *TUNING, *COMPARISON])
    return {name: fake_run(tmp_path, name, val_accuracy=(0.5, 0.55 + 0.01 * i), test_accuracy=0.6 + 0.01 * i)
            for i, name in enumerate(names)}


def test_ours_names_the_profile(runs):
    assert tables.ours(runs) == "ours (smoke profile)"
    assert tables.is_synthetic(runs)


def test_selection_puts_the_authors_notebook_beside_ours(runs):
    table = tables.selection({n: runs[n] for n in SELECTION})
    label = "ours (smoke profile)"
    assert list(table.index) == ["AE v0", "AE v1", "AE v2", "AE v3", "CNN"]
    # the paper prints no number for section V.A: the values are the notebook's, labelled so
    assert ("validation accuracy", "paper") not in table.columns
    assert table[("validation accuracy", paper.NOTEBOOK)]["AE v2"] == paper.SELECTION_VAL_ACCURACY_NOTEBOOK["ae_v2"]
    verdict = prose.verdict(table, "validation accuracy", "validation accuracy", reference=paper.NOTEBOOK)
    assert verdict.startswith("By validation accuracy, author's notebook ranks AE v2 > ")
    assert table[("validation accuracy", label)]["AE v0"] == 0.55
    assert set(table[("run", "data")]) == {"synthetic"}


def test_table1_has_the_printed_configurations_and_times(runs):
    table = tables.table1({n: runs[n] for n in TUNING})
    assert list(table.index) == ["v1", "v2", "v3", "v4", "v5"]
    config = table["configuration"]
    assert [tuple(row) for row in config[["neurons", "filters", "S/U", "BN"]].values] == [
        ("L", "L", "no", "no"), ("M", "L", "no", "no"), ("H", "L", "no", "no"), ("H", "H", "yes", "no"),
        ("H", "H", "yes", "yes")]
    assert list(table[("training time [min]", "paper")]) == [35, 52, 65, 105, 112]
    assert table.loc["v1", ("training time [min]", "ours (smoke profile)")] == pytest.approx(12.0 / 60)
    assert list(table[("validation accuracy", "paper")]) == [0.6814, 0.6792, 0.6851, 0.6727, 0.6527]


def test_over_runs_gives_mean_range_and_count():
    assert tables.over_runs([0.60, 0.64, 0.62]) == (pytest.approx(0.62), pytest.approx(0.04), 3)
    assert math.isnan(tables.over_runs([0.6])[1])


def test_table1_names_each_rows_runs_and_reads_them_against_the_printed_value(tmp_path):
    seeds = [fake_run(tmp_path / f"s{s}", "polychromify", val_accuracy=(0.5, v)) for s, v in
             ((42, 0.680), (43, 0.690), (44, 0.686))]
    runs = {"polychromify": seeds[0],
            "polychromify_v1": fake_run(tmp_path, "polychromify_v1", val_accuracy=(0.5, 0.60))}
    table = tables.table1(runs, seeds={"polychromify": seeds})
    label = "ours (smoke profile)"
    acc = table["validation accuracy"]
    assert acc.loc["v3", label] == pytest.approx(0.6853333, abs=1e-6)
    assert acc.loc["v3", tables.RANGE] == pytest.approx(0.010)
    assert acc.loc["v3", tables.RUNS] == "mean of 3 runs" and acc.loc["v1", tables.RUNS] == "one run"
    assert acc.loc["v3", "verdict"] == "cannot tell apart"  # 0.680 and 0.686 below 0.6851, 0.690 above
    assert acc.loc["v1", "verdict"] == "cannot tell apart"  # one run against one number: no spread at all
    assert acc.loc["v2", "verdict"] == tables.PENDING and math.isnan(acc.loc["v2", label])
    assert set(table.attrs["verdicts"]) == {"v1", "v3"}
    note = prose.paper_note(table.attrs["verdicts"], "validation accuracy")
    assert "v1 is one run each against one printed number" in note and "v3 (mean of 3 runs)" in note
    assert "range over runs" in tables.style(table).to_html()


def test_table2_and_its_html(runs):
    table = tables.table2({n: runs[n] for n in COMPARISON})
    assert list(table.index) == ["CNN", "ECCV16", "PolyChromify"]
    assert table.loc["PolyChromify", ("parameters", "paper")] == "293 × 10³"
    assert table.loc["ECCV16", ("parameters", "paper")] == "32 × 10⁶"
    assert list(table[("training time [min]", "paper")]) == [130, 400, 100]
    assert list(table[("test accuracy", "paper")]) == [0.6534, 0.6400, 0.6845]
    # the notebook's test accuracy only where the paper prints another (the CNN)
    notebook = table[("test accuracy", paper.NOTEBOOK)]
    assert notebook["CNN"] == paper.TABLE2_TEST_ACCURACY_NOTEBOOK["cnn"] and notebook.drop("CNN").isna().all()
    html = tables.style(table).to_html()
    assert "n/a" in html and "paper" in html and "ours (smoke profile)" in html
    assert "0.6845" in html and "0.6534" in html  # the paper's test accuracies, 4 decimals
    assert "1,000" in html   # parameters: thousands separator, no decimals


def test_further_metrics_name_their_runs_and_end_with_the_baselines(runs):
    table = tables.further_metrics({n: runs[n] for n in COMPARISON})
    assert table.index[-2].startswith("gray baseline (ab = 0) (") and table.index[-1].startswith("mean-ab baseline (")
    assert all("(" in row for row in table.index)
    assert table.loc[table.index[-2], "PSNR [dB] \u2191"] == 20.0


def _variant(root, label, **scores):
    run = fake_run(root / label.replace(",", "").replace(" ", "_"), "polychromify")
    metrics = run.metrics
    metrics["model"]["test"].update(scores)
    (run.path / "metrics.json").write_text(json.dumps(metrics))
    return run


def test_variants_show_each_change_from_the_first(tmp_path):
    f32 = _variant(tmp_path, "float32", psnr=21.0, ssim=0.90, ab_rmse=18.0, ciede2000=13.0)
    b16 = _variant(tmp_path, "mixed_bfloat16", psnr=20.75, ssim=0.895, ab_rmse=18.5, ciede2000=13.5)
    table = tables.variants({"float32": f32, "mixed_bfloat16": b16})
    assert list(table.index) == ["float32", "mixed_bfloat16", "change: mixed_bfloat16 \u2212 float32"]
    assert table.loc["change: mixed_bfloat16 \u2212 float32", "PSNR [dB] \u2191"] == pytest.approx(-0.25)


def test_the_order_sentence_says_an_order_of_numbers_is_not_a_verdict():
    label = "ours (quick profile)"
    table = pd.DataFrame({("acc", "paper"): [0.6, 0.7], ("acc", label): [0.8, 0.5]}, index=["A", "B"])
    text = prose.verdict(table, "acc", "accuracy")
    assert "The paper's best, B, is not first in our numbers" in text and "B > A" in text and "A > B" in text
    assert "That order is not a verdict" in text
    assert "on average" not in text  # no mean of signed differences across different models
    table[("acc", label)] = [0.5, 0.8]
    assert "Both put B first" in prose.verdict(table, "acc", "accuracy")
    assert "synthetic" in prose.verdict(table, "acc", "accuracy", synthetic=True)


def test_split_sizes_and_their_verdict():
    table = tables.split_sizes({"train": 410, "val": 100, "test": 130}, "ours (quick profile)")
    assert table.loc["total", ("paper", "photos")] == 4300
    assert table.loc["total", ("ours (quick profile)", "photos")] == 640
    assert math.isclose(table.loc["train", ("paper", "fraction")], 0.64)
    from polychromify.training.profiles import get_profile
    data = {"split_sizes": {"train": 410, "val": 100, "test": 130}, "synthetic": False}
    assert "caps the set at 500" in prose.split_verdict(data, get_profile("quick", max_images=500))
    assert "cleaning" in prose.split_verdict(data, get_profile("paper"))
    assert "not the paper's data" in prose.split_verdict({**data, "synthetic": True}, get_profile("quick"))


def test_data_report_counts_each_step():
    report = DataReport(source="x", found=10, decoded=9, skipped=[("a", "bad")], duplicates=[("b", "c")],
                        near_gray=["d"], usable=7, used=7, image_size=32)
    table = tables.data_report(report)
    assert table.loc["image files found", "photos"] == 10
    assert table.loc["used (32 px)", "photos"] == 7
    assert len(tables.data_report(DataReport(source="s", synthetic=True, usable=5, used=5))) == 2


def test_models_and_layers_count_parameters():
    table = tables.models(32)
    assert table.loc["PolyChromify (v3)", "parameters"] == 293_074
    assert table.loc["PolyChromify (v3)", "parameters (paper)"] == "293 × 10³"
    assert table.loc["CNN", "parameters"] == 98_370
    assert table.loc["ECCV16", "parameters"] == 32_241_005 and table.loc["ECCV16", "parameters (paper)"] == "32 × 10⁶"
    assert table["rounds to the paper's"].dropna().astype(bool).all()
    assert table["rounds to the paper's"].notna().sum() == 3  # the three rows of Table 2
    assert "V.C, Table 2" in table.loc["CNN", "paper section"] and "V.A" in table.loc["CNN", "paper section"]
    model = build_model("polychromify", 32)
    assert tables.layers(model)["parameters"].sum() == 293_074
    assert tables.receptive_field(model) == 13


def test_low_chroma_fraction():
    y = np.zeros((1, 2, 2, 2), np.float32)
    y[0, 0, 0] = [0.5, 0.0]  # 64 Lab units
    assert tables.low_chroma_fraction(y) == 0.75


def test_a_data_column_with_one_value_for_every_run_becomes_the_caption(tmp_path):
    runs = {name: fake_run(tmp_path, name, synthetic=False) for name in SELECTION}
    html = tables.style(tables.selection(runs)).to_html()
    assert "Every run: real (48 photos)." in html and html.count("real (48 photos)") == 1
    mixed = dict(runs)
    mixed.pop("cnn_selection")
    html = tables.style(tables.selection(mixed)).to_html()  # a pending row: the column stays, with its word
    assert html.count("real (48 photos)") == len(mixed) and tables.PENDING in html
