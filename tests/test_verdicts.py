"""Every verdict the book's pages glue comes from the one rule (``studies.study``), recomputed here from the store.

The page functions (``book.pages``) run on the committed results store as the notebooks call them; each records the
comparisons whose verdicts its glued texts and tables state (``Page.evidence``). For each, this test finds the
verdict in the glued object, recomputes the comparison from the runs' per-photo scores (or, against a single
number, from the values it names) and checks both agree. No glued text may read a difference against "noise" or
a spread "± seeds" any more: the final model's runs differ in more than the seed.
"""
from __future__ import annotations

import warnings

import pytest

from polychromify.book import pages
from polychromify.book.chapter import Chapter
from polychromify.book.tables import RUNS
from polychromify.studies.study import (
    Comparison,
    NumberComparison,
    against_number,
    compare,
    compare_each,
    run_scores,
)
from polychromify.training.experiments import COMPARISON, SELECTION, TUNING
from polychromify.training.results import list_runs, run_key


@pytest.fixture(scope="module")
def built():
    """Every page with verdicts, as the notebooks build them from the committed store at the paper profile."""
    warnings.simplefilter("ignore")
    chapter = Chapter.from_parameters("paper")
    seeds = chapter.seed_runs("polychromify")
    if not seeds["polychromify"]:
        pytest.skip("the committed store has no paper-profile run of the final model")
    table2 = [*COMPARISON, "author_model", "eccv16_zhang"]
    return {
        "03": pages.selection(chapter, chapter.obtain(*SELECTION)),
        "04": pages.tuning(chapter.obtain(*TUNING, "cnn", "eccv16"), seeds),
        "05 table 2": pages.table2(chapter, chapter.obtain(*table2), seeds, table2, COMPARISON),
        "05 generalization": pages.generalization(chapter),
        "05 precision": pages.precision(chapter),
        "07": pages.beyond(chapter, "scenes-dev"),
    }


def _glued(obj) -> str:
    """The text a glued object shows: a Markdown's source, a styled table's cells and column titles."""
    if hasattr(obj, "data") and isinstance(obj.data, str):
        return obj.data
    if hasattr(obj, "data"):
        return obj.data.to_string() + " " + " ".join(map(str, obj.data.columns))
    return str(obj)


def _recomputed(c: Comparison, runs: dict) -> Comparison:
    mine = [run_scores(runs[key], c.set_name) for key in c.entry]
    theirs = [run_scores(runs[key], c.set_name, c.predictor) for key in c.reference]
    return (compare_each if c.paired == "each" else compare)(mine, theirs, c.metric)


def test_every_glued_verdict_is_the_one_rules_recomputed_from_the_store(built):
    runs = {run_key(run): run for run in list_runs()}
    checked = 0
    for page_name, page in built.items():
        assert page.evidence, f"{page_name} states no verdict"
        for glue_name, c in page.evidence:
            assert glue_name in page.shown, f"{page_name}: {glue_name} is not glued"
            assert c.verdict in _glued(page.shown[glue_name]), f"{page_name}: {glue_name} does not say {c.verdict}"
            if isinstance(c, NumberComparison):
                assert against_number(c.ours, c.number, c.metric).verdict == c.verdict
            else:
                again = _recomputed(c, runs)
                assert (again.verdict, again.photos) == (c.verdict, c.photos), (page_name, glue_name, c.metric)
                assert again.gain == pytest.approx(c.gain) and again.interval == pytest.approx(c.interval)
            checked += 1
    assert checked >= 100  # about 220 on the committed store


def test_the_final_models_verdict_against_table2_is_ours_alone_and_names_its_runs(built):
    page = built["05 table 2"]
    final = next(c for name, c in page.evidence if name == "table2" and len(c.ours) > 1)
    assert final.verdict == "worse" and len(final.ours) == 3 and final.number == 0.6845
    assert "PolyChromify (mean of 3 runs)" in page.text["table2_verdict_text"]
    assert "split, initialization, backend and machine" in page.text["table2_verdict_text"]


def test_no_page_reads_a_difference_against_noise_or_calls_a_range_seeds(built):
    for page_name, page in built.items():
        texts = [_glued(v) for v in page.shown.values()] + [str(v) for v in page.text.values()]
        for text in texts:
            assert "within noise" not in text and "\u00b1 seeds" not in text, page_name
            assert "spread between seeds" not in text and "spread between our seeds" not in text, page_name


def test_every_row_of_tables_1_and_2_names_its_runs(built):
    for page_name, glue_name, column in (("04", "table1", "validation accuracy"),
                                         ("05 table 2", "table2", "test accuracy")):
        table = built[page_name].shown[glue_name].data
        named = table[(column, RUNS)]
        assert all(v.startswith(("seed ", "mean of ", "one model", "pending")) for v in named), named


def test_the_three_contradictions_are_phrased_from_the_measurements(built):
    protocol = built["05 generalization"].text["protocol_verdict_text"]
    assert "The two scales disagree" in protocol  # ablation profile worse, paper scale better, both said
    beyond = built["07"].text["beyond_verdict_text"]
    assert "cannot say which of the two changes the colours" in beyond    # the U-Net confounds VI.A
    assert "the claim holds for the recipe there and fails for the loss alone" in beyond
    assert "Claim VI.A" in beyond and "not decided: the test changes two things at once" in beyond
    metrics = built["05 table 2"].text["metrics_verdict_text"]
    assert "ECCV16, Zhang's recipe" in metrics and "colourfulness gap" in metrics
