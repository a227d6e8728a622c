"""Each chapter's values, tables, verdicts and figures, computed in one package function per section of a
notebook: the notebook only calls it and glues what it returns (``chapter.glue_page``).

A ``Page`` holds three kinds of glue: ``shown`` (tables and Markdown verdicts, pasted with ``{glue}`` or
``{glue:md}``), ``text`` (numbers and words for ``{glue:text}``, not shown in the notebook) and ``figures``
(matplotlib figures, pasted with ``{glue:figure}``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from IPython.display import Markdown

from polychromify.book import figures, prose, tables
from polychromify.book.chapter import Chapter, plain, provenance_lines
from polychromify.product import paper
from polychromify.product.pretrained import (
    is_papers_model,
    paper_model_dir,
    pretrained_card,
)
from polychromify.studies import beyond as beyond_study
from polychromify.studies import generalization as generalization_study
from polychromify.studies.model_card import card_markdown
from polychromify.training.experiments import (
    BEYOND,
    LABELS,
    SELECTION,
    TUNING,
    precision_study,
)

NAN = float("nan")
NOT_TRAINED = "not trained at this profile yet"


@dataclass
class Page:
    """What one section of a chapter glues: shown objects, plain values and figures, by glue name."""

    shown: dict = field(default_factory=dict)
    text: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)

    def verdict(self, name: str, markdown: str) -> None:
        """A verdict, shown (``{glue:md}``) and as plain text (``<name>_text``) for other pages to quote."""
        self.shown[name] = Markdown(markdown)
        self.text[f"{name}_text"] = plain(markdown)


def _final_val_accuracy(runs: dict, names) -> dict:
    return {f"val_accuracy_{name}": runs[name].history["val_accuracy"][-1] if name in runs else NAN
            for name in names}


# ---------------------------------------------------------------- 1. the data

def cleaning(view) -> Page:
    """The data report of the photos this chapter ran on."""
    page = Page()
    page.text["source"] = "synthetic landscapes, no photo folder configured" if view.synthetic else "the real photos"
    page.shown["data_report"] = tables.style(tables.data_report(view.report))
    page.text["report_note"] = ("No photo folder is configured, so there was nothing to clean: the counts for the "
                                "real photos appear here when POLYCHROMIFY_DATA names their folder."
                                if view.synthetic else "")
    page.text.update(n_usable=view.report.usable, n_used=view.report.used)
    return page


def split(chapter: Chapter, results_data: dict) -> Page:
    """The split sizes, ours beside the paper's."""
    sizes = results_data["split_sizes"]
    page = Page()
    page.shown["split_table"] = tables.style(
        tables.split_sizes(sizes, tables.data_label(chapter.profile.name, results_data)), precision=3)
    page.shown["split_verdict"] = Markdown(prose.split_verdict(results_data, chapter.profile))
    for name in ("train", "val", "test"):
        page.text[f"paper_{name}"] = f"{paper.SPLIT[name]:,}"
        page.text[f"n_{name}"] = sizes[name]
    return page


# ---------------------------------------------------------------- 3. model selection

def selection(chapter: Chapter, runs: dict) -> Page:
    """Section V.A: the validation accuracies beside the author's notebook's, the paper's reading of Fig. 3."""
    table = tables.selection(runs)
    verdict = prose.verdict(table, "validation accuracy", "validation accuracy",
                            synthetic=tables.is_synthetic(runs), reference=paper.NOTEBOOK)
    verdict = " ".join(filter(None, [verdict, prose.selection_reading(table, runs),
                                     prose.pending_note(chapter.pending)]))
    page = Page(shown={"selection_table": tables.style(table)})
    page.verdict("selection_verdict", verdict)
    page.text.update(_final_val_accuracy(runs, SELECTION))
    page.text["gray_val_accuracy"] = runs["ae_v2"].metrics["gray"]["val"]["accuracy"] if "ae_v2" in runs else NAN
    page.figures["fig_selection"] = figures.validation_curves(
        {name: run.history for name, run in runs.items()}, paper.SELECTION_VAL_ACCURACY_NOTEBOOK, tables.LABELS,
        reference=paper.NOTEBOOK) if runs else figures.placeholder(NOT_TRAINED)
    return page


# ---------------------------------------------------------------- 4. tuning

def tuning(runs: dict, seeds: dict) -> Page:
    """Section V.B: Table 1 beside the paper's, the curves of Fig. 4."""
    table = tables.table1({name: runs[name] for name in TUNING if name in runs}, seeds)
    verdict = prose.verdict(table, "validation accuracy", "validation accuracy", synthetic=tables.is_synthetic(runs))
    verdict += " " + prose.noise_note(table, "validation accuracy", "validation accuracy")
    page = Page(shown={"table1": tables.style(table)})
    page.verdict("table1_verdict", verdict)
    page.text.update(_final_val_accuracy(runs, [*TUNING, "cnn", "eccv16"]))
    page.figures["fig_tuning"] = figures.validation_curves(
        {name: run.history for name, run in runs.items()}, paper.TUNING_VAL_ACCURACY, tables.LABELS) \
        if runs else figures.placeholder(NOT_TRAINED)
    page.shown["tuning_notebook_note"] = Markdown(prose.tuning_notebook_note(runs))
    page.text["paper_machine"] = paper.MACHINE
    return page


# ---------------------------------------------------------------- 5. results

def table2(chapter: Chapter, runs: dict, seeds: dict, names: list[str], comparison: list[str]) -> Page:
    """Section V.C: Table 2, the summary lines, every metric beside the baselines, the per-model numbers."""
    table = tables.table2(runs, seeds, names=names)
    compared = table.loc[[tables.LABELS[n] for n in comparison]]
    verdict = prose.verdict(compared, "test accuracy", "test accuracy", synthetic=tables.is_synthetic(runs))
    verdict += " " + prose.noise_note(compared, "test accuracy", "test accuracy")
    page = Page(shown={"table2": tables.style(table)})
    page.verdict("table2_verdict", verdict)
    for i, line in enumerate(prose.summary(compared, chapter.results_data(), chapter.profile), 1):
        page.text[f"summary_{i}"] = plain(line)  # the landing page's three lines
    if runs:
        metrics = tables.further_metrics(runs)
        page.shown["metrics_table"] = tables.style(metrics, precision=3)
        note = prose.baseline_note(metrics) if "polychromify" in runs else prose.pending_note(["polychromify"])
        page.text["colorfulness_true"] = metrics.attrs["colorfulness_true"]
    else:
        page.shown["metrics_table"] = "n/a"
        note = prose.pending_note(names)
        page.text["colorfulness_true"] = NAN
    page.verdict("metrics_verdict", note)
    for name in names:
        test = runs[name].metrics["model"]["test"] if name in runs else {}
        row = table.loc[tables.LABELS[name]]  # test accuracy: the mean over the seeds where there are several
        n = int(row[("test accuracy", "seeds")])
        page.text[f"test_accuracy_{name}"] = float(row[("test accuracy", tables.ours(runs))])
        page.text[f"seeds_{name}"] = f"the mean of {n} seeds" if n > 1 else "one seed" if n else "not trained"
        page.text[f"paper_test_accuracy_{name}"] = paper.TABLE2.get(name, {}).get("test_accuracy", NAN)
        for key, metric in (("psnr", "psnr"), ("ciede2000", "ciede2000"), ("colorfulness", "colorfulness_pred")):
            page.text[f"{key}_{name}"] = test.get(metric, NAN)
    final = table.loc[tables.LABELS["polychromify"], "test accuracy"]
    page.text["seed_spread_text"] = (f"{final[tables.SPREAD]:.4f} of test accuracy between its {int(final['seeds'])} "
                                     "seeds" if final["seeds"] > 1 else "not measured yet at this profile (one seed)")
    page.text["profile_name"] = chapter.profile.name
    page.text["provenance_text"] = " ".join(plain(line) for line in provenance_lines(chapter, runs, label=False))
    gray = runs["polychromify"].metrics["gray"]["test"] if "polychromify" in runs else {}
    page.text.update(psnr_gray=gray.get("psnr", NAN), ciede2000_gray=gray.get("ciede2000", NAN))
    return page


def colorizations(chapter: Chapter, runs: dict) -> Page:
    """Fig. 5: the book's dozen test photos as each run stored them (colorized now only when none stores them)."""
    shown, missing = figures.stored_colorizations(runs, labels=tables.LABELS)
    source = "the book's dozen test photos, as each run stored them"
    if not shown and runs:  # no run stores them (older runs): colorize with the weights at hand
        dataset = chapter.dataset
        shown, missing = figures.colorization_examples(runs, dataset.x_test, dataset.y_test, labels=tables.LABELS)
        source = prose.colorization_source(dataset.synthetic, tables.is_synthetic(runs))
    page = Page(figures={f"fig_{key}": shown.get(key) or figures.placeholder(NOT_TRAINED)
                         for key in ("examples", "best", "worst")})
    notes = [f"{tables.LABELS.get(name, name)} is not shown: {why}." for name, why in missing.items()]
    notes.append(prose.pending_note(chapter.pending))
    page.text.update(figure_note=" ".join(filter(None, notes)), source=source)
    return page


def generalization(chapter: Chapter) -> Page:
    """Section 5.4: our model and the author's on another collection (the generalization study)."""
    study = generalization_study.load_study("scenes-dev", chapter.results_dir)
    page = Page()
    if study is None:
        missing = Markdown("The study is not in the results store; compute it with "
                           "`polychromify study generalization --data DIR`.")
        page.text.update(study_images="n/a", study_size="n/a")
        page.shown.update({key: missing for key in ("study_verdict", "ablation_verdict", "epochs_verdict",
                                                    "protocol_verdict", "framing_verdict")})
        page.shown.update(study_table="n/a", ablation_table="n/a", framing_table="n/a")
        page.figures["fig_study_epochs"] = figures.placeholder("not in the results store")
        return page
    page.text.update(study_images=study["images"], study_size=study["image_size"])
    page.shown.update(
        study_table=tables.style(tables.generalization(study), precision=3),
        study_verdict=Markdown(prose.generalization_note(study)),
        ablation_table=tables.style(tables.ablations(study), precision=3),
        ablation_verdict=Markdown(prose.ablation_note(study)),
        epochs_verdict=Markdown(prose.epochs_note(study)),
        protocol_verdict=Markdown(prose.protocol_note(study)),
        framing_table=tables.style(tables.framing(study), precision=3) if "framing" in study else "n/a",
        framing_verdict=Markdown(prose.framing_note(study)))
    page.figures["fig_study_epochs"] = figures.generalization_epochs(study)
    return page


def precision(chapter: Chapter) -> Page:
    """Section 5.5: what training in mixed_bfloat16 costs, against the seeds' spread."""
    wanted = precision_study(chapter.profile)
    variants = chapter.obtain_variants("polychromify", wanted)
    page = Page()
    if {"float32", "mixed_bfloat16"} <= set(variants):
        page.shown["precision_table"] = tables.style(tables.variants(variants), precision=3)
        note = prose.precision_note(variants)
    else:
        page.shown["precision_table"] = "n/a"
        note = ("The runs of this study are not all in the store yet: "
                f"{', '.join(label for label in wanted if label not in variants)}.")
    page.verdict("precision_verdict", note)
    return page


# ---------------------------------------------------------------- 6. colorize

def model_cards(card: dict | None) -> Markdown:
    """The shipped models' cards: the default, and the paper's final model when the default is another."""
    if not card:
        return Markdown("No pretrained model is shipped in this checkout; the store's run is used instead.")
    text = "### The default model\n\n" + card_markdown(card, title=False, level=4)
    if not is_papers_model(card):
        try:
            text += ("\n### The paper's final model (`--model paper`)\n\n"
                     + card_markdown(pretrained_card(paper_model_dir()), title=False, level=4))
        except FileNotFoundError as err:
            text += f"\n\n{err}"
    return Markdown(text)


# ---------------------------------------------------------------- 7. beyond the paper

def beyond(chapter: Chapter, folder: str) -> Page:
    """Beyond the paper: the study's table, verdicts, figures and the default colorizer."""
    study = beyond_study.load_study(folder, chapter.results_dir)
    page = Page(text={"beyond_rule": beyond_study.default_rule()})
    if study is None:
        page.text.update(beyond_images="n/a", beyond_test_images="n/a", beyond_pending="all",
                         beyond_default="No study yet, so the default colorizer stays the paper's final model.")
        page.shown["beyond_table"] = "n/a"
        page.shown["beyond_verdict"] = Markdown(
            f"The study is not in the results store yet; train its runs with `polychromify train {' '.join(BEYOND)} "
            "--profile ablation`, then compute it with `polychromify study beyond --data DIR`.")
        page.figures.update(fig_beyond=figures.placeholder("not in the results store"),
                            fig_beyond_photos=figures.placeholder("not in the results store"))
        return page
    winner, why = beyond_study.default_candidate(study)
    page.text.update(
        beyond_images=study["images"],
        beyond_test_images=" and ".join(f"{n} ({p} profile)" for p, n in study["test_images"].items()),
        beyond_pending=", ".join(study["pending"]) or "none",
        beyond_default=prose.beyond_default(study, winner, why, pretrained_card()))
    page.shown.update(beyond_table=tables.style(tables.beyond(study), precision=3),
                      beyond_verdict=Markdown(prose.beyond_note(study)))
    photos = beyond_study.stored_photos(study, chapter.results_dir)
    labels = {key: f"{LABELS[key.split('-', 1)[0]]} ({key.split('-', 1)[1]})" for key in photos if key != "truth"}
    page.figures.update(fig_beyond=figures.beyond_measures(study),
                        fig_beyond_photos=figures.beyond_photos(photos, labels) if "truth" in photos
                        else figures.placeholder("the study stores no photos"))
    return page
