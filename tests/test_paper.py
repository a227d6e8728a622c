"""polychromify.product.paper holds what the paper prints; the models are built from it."""
import re

import pytest
from helpers import PAPER_TEXT as REPORT

from polychromify.product import paper
from polychromify.product.models import TABLE1, build_model


@pytest.fixture(scope="module")
def report() -> str:
    if not REPORT.is_file():
        pytest.skip(f"the paper's text: not here ({REPORT}; a clone without ../shared)")
    return REPORT.read_text()


def test_table1_rows_are_those_printed_in_the_report(report):
    rows = re.findall(r"^(v\d)\t(\w)\t(\w)\t(\w)\t(\w)\t(0\.\d{4})\t(.+)$", report, re.M)
    assert len(rows) == 5
    for version, neurons, filters, su, bn, accuracy, time in rows:
        printed = next(r for r in paper.TABLE1.values() if r["version"] == version)
        assert (printed["neurons"], printed["filters"]) == (neurons, filters)
        assert (printed["strided"], printed["batch_norm"]) == (su == "Y", bn == "Y")
        assert printed["val_accuracy"] == float(accuracy)
        assert paper.duration(printed["time_s"]) == time.strip()
        assert TABLE1[version] == {k: printed[k] for k in ("neurons", "filters", "strided", "batch_norm")}


def test_table2_rows_are_those_printed_in_the_report(report):
    for name, label in (("cnn", "CNN"), ("eccv16", "ECCV16"), ("polychromify", "PolyChromify")):
        line = next(line for line in report.splitlines() if re.match(rf"^(<i>)?{label}(</i>)?\t", line))
        printed = paper.TABLE2[name]
        assert f"{printed['test_accuracy']:.4f}" in line
        assert paper.duration(printed["time_s"]) in line
        mantissa, exponent = printed["params_printed"].split(" x 10^")
        assert f"{mantissa} \\times 10^{exponent}" in line
        assert printed["params"] == int(mantissa) * 10 ** int(exponent)


def test_split_is_section_iii(report):
    for split in ("train", "val", "test"):
        assert f"{paper.SPLIT[split]} images" in report
    assert sum(paper.SPLIT[s] for s in ("train", "val", "test")) == paper.SPLIT["total"]


@pytest.mark.parametrize("name", ["cnn", "eccv16", "polychromify"])
def test_our_parameter_counts_round_to_table2(name):
    assert paper.params_agree(build_model(name, 32).count_params(), paper.TABLE2[name]["params"])


def test_params_agree_and_duration():
    assert paper.params_agree(293_330, 293_000) and not paper.params_agree(297_000, 293_000)
    assert paper.params_agree(98_370, 98_000) and not paper.params_agree(99_000, 98_000)
    assert [paper.duration(s) for s in (35 * 60, 65 * 60, 6 * 3600 + 40 * 60, None)] == [
        "35min", "1h 5min", "6h 40min", "n/a"]


def test_the_paper_prints_the_notebooks_values_cut_to_four_digits_except_the_cnns_test_accuracy():
    for name, value in paper.TUNING_VAL_ACCURACY_NOTEBOOK.items():
        if name in paper.TUNING_VAL_ACCURACY:
            assert paper.as_printed(value) == paper.TUNING_VAL_ACCURACY[name]
    differ = [n for n, v in paper.TABLE2_TEST_ACCURACY_NOTEBOOK.items()
              if paper.as_printed(v) != paper.TABLE2[n]["test_accuracy"]]
    assert differ == ["cnn"]
