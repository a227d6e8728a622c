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
from polychromify.product.metrics import STUDY_KEYS
from polychromify.product.pretrained import (
    is_papers_model,
    paper_model_dir,
    pretrained_card,
)
from polychromify.studies import beyond as beyond_study
from polychromify.studies import generalization as generalization_study
from polychromify.studies.model_card import card_markdown
from polychromify.studies.photo_scores import TEST
from polychromify.studies.study import (
    BETTER,
    CANNOT_TELL,
    WORSE,
    Entry,
    Study,
    against_number,
    runs_label,
    varied,
    what_varied,
)
from polychromify.training.experiments import (
    BEYOND,
    LABELS,
    SELECTION,
    TUNING,
    precision_study,
)
from polychromify.training.results import list_runs, run_key

NAN = float("nan")
NOT_TRAINED = "not trained at this profile yet"


@dataclass
class Page:
    """What one section of a chapter glues: shown objects, plain values and figures, by glue name; and the
    evidence: every comparison whose verdict a glued text or table states, by glue name (a test recomputes each
    from the store and checks that the glue states its verdict)."""

    shown: dict = field(default_factory=dict)
    text: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    evidence: list = field(default_factory=list)   # (glue name, Comparison or NumberComparison)

    def verdict(self, name: str, markdown: str, evidence=()) -> None:
        """A verdict, shown (``{glue:md}``) and as plain text (``<name>_text``) for other pages to quote."""
        self.shown[name] = Markdown(markdown)
        self.text[f"{name}_text"] = plain(markdown)
        self.cite(name, evidence)

    def cite(self, name: str, evidence) -> None:
        """Record the comparisons whose verdicts the glue ``name`` states."""
        self.evidence.extend((name, c) for c in evidence)


def _final_val_accuracy(runs: dict, names) -> dict:
    return {f"val_accuracy_{name}": runs[name].history["val_accuracy"][-1] if name in runs else NAN
            for name in names}


def _flat(found: dict) -> list:
    """The comparisons of {label: {metric: Comparison}} (or of {metric: Comparison}), flat."""
    out = []
    for value in found.values():
        out.extend(_flat(value) if isinstance(value, dict) else [value])
    return out


def _test_study(groups: dict[str, list]) -> Study:
    """A study of runs on their own test splits: name -> runs."""
    return Study(TEST, {name: Entry(name, LABELS.get(name, name), list(found)) for name, found in groups.items()},
                 keys=PAIRED_KEYS)


PAIRED_KEYS = ("accuracy", "auc", "auc_rebalanced")
SHORT = {"cnn": "the CNN", "author_model": "the author's own weights", "eccv16": "ECCV16",
         "eccv16_zhang": "ECCV16 with Zhang's recipe"}   # names that read inside a sentence   # the paper's measure beside Zhang et al.'s two


def _seed(runs: list, seed: int = 42):
    return next((r for r in runs if r.config["profile"]["seed"] == seed), None)


def _split_words(run) -> str:
    return f"seed {run.config['profile']['seed']}'s test split ({run.config['data']['split_sizes']['test']} photos)"


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
    """Section V.A: the validation accuracies beside the author's notebook's; the paper's reading of Fig. 3 tested
    under the one rule, paired on the test photos all the runs share (the validation photos chose nothing here, but
    their per-photo scores are not kept)."""
    table = tables.selection(runs)
    page = Page(shown={"selection_table": tables.style(table)})
    against = [against_number([run.history["val_accuracy"][-1]], paper.SELECTION_VAL_ACCURACY_NOTEBOOK[name],
                              "accuracy", "the author's notebook's", (run_key(run),))
               for name, run in runs.items() if name in paper.SELECTION_VAL_ACCURACY_NOTEBOOK]
    text = [prose.verdict(table, "validation accuracy", "validation accuracy", synthetic=tables.is_synthetic(runs),
                          reference=paper.NOTEBOOK)]
    if against:
        text.append(f"Each row is one run of ours against one number of his notebook: the rule cannot call any of "
                    f"these differences ({CANNOT_TELL}).")
    reading, found = prose.selection_reading(runs, _test_study({n: [r] for n, r in runs.items()}))
    text.append(reading)
    page.verdict("selection_verdict", " ".join(filter(None, text)), [*against, *_flat(found)])
    page.text["landing_selection"] = plain(reading.replace("The paper's own reading of Fig. 3, under the one rule",
                                                           "Model selection (chapter 3): the paper's reading of its "
                                                           "Fig. 3")) if reading else \
        "Model selection (chapter 3): the runs are not paired photo by photo at this profile."
    page.text.update(_final_val_accuracy(runs, SELECTION))
    page.text["gray_val_accuracy"] = runs["ae_v2"].metrics["gray"]["val"]["accuracy"] if "ae_v2" in runs else NAN
    page.figures["fig_selection"] = figures.validation_curves(
        {name: run.history for name, run in runs.items()}, paper.SELECTION_VAL_ACCURACY_NOTEBOOK, tables.LABELS,
        reference=paper.NOTEBOOK) if runs else figures.placeholder(NOT_TRAINED)
    return page


# ---------------------------------------------------------------- 4. tuning

def tuning(runs: dict, seeds: dict) -> Page:
    """Section V.B: Table 1 beside the paper's under the one rule; each version against v3 paired on the test
    photos of seed 42's split; the curves of Fig. 4."""
    table = tables.table1({name: runs[name] for name in TUNING if name in runs}, seeds)
    final = seeds.get("polychromify") or ([runs["polychromify"]] if "polychromify" in runs else [])
    verdicts = table.attrs["verdicts"]
    text = " ".join(filter(None, [
        prose.verdict(table, "validation accuracy", "validation accuracy", synthetic=tables.is_synthetic(runs)),
        prose.paper_note(verdicts, "validation accuracy", what_varied(final))]))
    page = Page(shown={"table1": tables.style(table)})
    page.cite("table1", verdicts.values())
    v3 = _seed(final)
    found = {}
    if v3 is not None:
        study = _test_study({"v3": [v3], **{n: [runs[n]] for n in TUNING if n in runs and n != "polychromify"}})
        found = {paper.TABLE1[n]["version"]: study.compare(n, "v3") for n in study.entries if n != "v3"}
        found = {k: v for k, v in found.items() if v}
    if found:
        page.shown["table1_paired"] = tables.style(tables.paired(found))
        page.cite("table1_paired", _flat(found))
        accuracy = {label: f[("accuracy")].verdict for label, f in found.items()}
        better = [label for label, v in accuracy.items() if v == BETTER]
        text += (f"\n\nThe table below pairs each version with v3 ({runs_label([v3])}) on {_split_words(v3)}.")
        other_precision = [paper.TABLE1[n]["version"] for n in TUNING if n in runs and n != "polychromify"
                           and runs[n].config["profile"]["precision"] != v3.config["profile"]["precision"]]
        text += (" Table 1 ranks by validation accuracy, whose per-photo scores are not kept, so the test split stands "
                 "in for it here" + (f"; {', '.join(other_precision)} also trained in another arithmetic than v3 "
                                     f"({v3.config['profile']['precision']})" if other_precision else "") + ".")
        if better:
            text += (f" **The paper's best version, v3, is worse than {', '.join(better)} in test accuracy here**: "
                     "Table 1's order does not hold in ours.")
        held = "holds" if not better and all(v != WORSE for v in accuracy.values()) else "does not hold"
        groups = {v: [label for label, got in accuracy.items() if got == v] for v in dict.fromkeys(accuracy.values())}
        page.text["landing_table1"] = plain(
            f"Table 1's order {held}: against the paper's best version, v3 ({runs_label([v3])}), in test accuracy "
            f"paired on {_split_words(v3)} (one run each), " + "; ".join(
                f"{prose.words_list(labels)} {'' if v == CANNOT_TELL else 'is ' if len(labels) == 1 else 'are '}"
                f"{'better' if v == BETTER else 'worse' if v == WORSE else 'cannot be told apart from it'}"
                for v, labels in groups.items())
            + " (chapter 4).")
    else:
        page.shown["table1_paired"] = "n/a"
        page.text["landing_table1"] = ("Table 1 (chapter 4): the versions are not paired photo by photo at this "
                                       "profile (not all are trained, or the store holds no per-photo scores).")
    page.verdict("table1_verdict", text)
    page.text.update(_final_val_accuracy(runs, [*TUNING, "cnn", "eccv16"]))
    page.figures["fig_tuning"] = figures.validation_curves(
        {name: run.history for name, run in runs.items()}, paper.TUNING_VAL_ACCURACY, tables.LABELS) \
        if runs else figures.placeholder(NOT_TRAINED)
    page.shown["tuning_notebook_note"] = Markdown(prose.tuning_notebook_note(runs))
    page.text["paper_machine"] = paper.MACHINE
    return page


# ---------------------------------------------------------------- 5. results

def table2(chapter: Chapter, runs: dict, seeds: dict, names: list[str], comparison: list[str]) -> Page:
    """Section V.C: Table 2 under the one rule against the printed values; the models paired on seed 42's test
    split; every metric beside the baselines; the landing page's lines; the per-model numbers."""
    table = tables.table2(runs, seeds, names=names)
    final = seeds.get("polychromify") or ([runs["polychromify"]] if "polychromify" in runs else [])
    verdicts = table.attrs["verdicts"]
    compared = table.loc[[tables.LABELS[n] for n in comparison]]
    text = " ".join(filter(None, [
        prose.verdict(compared, "test accuracy", "test accuracy", synthetic=tables.is_synthetic(runs)),
        prose.paper_note(verdicts, "test accuracy", what_varied(final))]))
    page = Page(shown={"table2": tables.style(table)})
    page.cite("table2", verdicts.values())
    landing = {"scale": prose.scale_line(chapter.profile, chapter.results_data(), runs, final)}
    if LABELS["polychromify"] in verdicts:
        c = verdicts[LABELS["polychromify"]]
        landing["table2"] = (f"Table 2's headline {'does not hold' if c.verdict == WORSE else 'holds'}: our final "
                             f"model's test accuracy is {c.mean:.4f} ({runs_label(final)}), {c.verdict} than the "
                             f"paper's {c.number:.4f}: every run is {'below' if c.verdict == WORSE else 'above'} "
                             "it (chapter 5)." if c.verdict != CANNOT_TELL else
                             f"Table 2's headline cannot be checked: our final model's test accuracy, {c.mean:.4f} "
                             f"({runs_label(final)}), cannot be told apart from the paper's {c.number:.4f} "
                             "(chapter 5).")
    s42 = _seed(final)
    found = {}
    if s42 is not None:
        others = [n for n in names if n in runs and n != "polychromify"]
        study = _test_study({"polychromify": [s42], **{n: [runs[n]] for n in others}})
        found = {LABELS[n]: f for n in others if (f := study.compare(n, "polychromify"))}
        missing = [LABELS[n] for n in others if LABELS[n] not in found]
        page.shown["table2_paired"] = tables.style(tables.paired(found)) if found else "n/a"
        page.cite("table2_paired", _flat(found))
        text += (f"\n\nThe paired table above sets each model against our final model ({runs_label([s42])}) on "
                 f"{_split_words(s42)}.")
        if missing:
            text += (f" Not paired: {' and '.join(missing)}, whose weights are not kept in the store, so no per-photo "
                     "scores exist; their single numbers are in Table 2 and the metrics table.")
        auc = {label: f["auc"].verdict for label, f in found.items()}
        if auc:
            short = {LABELS[n]: SHORT.get(n, LABELS[n]) for n in others}
            named = {short[label]: f for label, f in found.items()}
            landing["tie"] = (f"The models against our final model's seed-42 run, paired on {_split_words(s42)}: on AuC, "
                              f"{prose.verdict_groups(named, 'auc')}; on rebalanced AuC, "
                              f"{prose.verdict_groups(named, 'auc_rebalanced')}; on the paper's accuracy, "
                              f"{prose.verdict_groups(named, 'accuracy')} (chapter 5).")
    else:
        page.shown["table2_paired"] = "n/a"
    page.verdict("table2_verdict", text)
    landing.setdefault("table2", "Table 2 (chapter 5): the final model is not trained at this profile yet.")
    landing.setdefault("tie", "The models are not paired photo by photo at this profile: the store holds no "
                              "per-photo scores of their runs (`scripts/score_photos.py` computes them).")
    for i, key in enumerate(("scale", "table2", "tie"), 1):
        page.text[f"summary_{i}"] = plain(landing[key])
    if runs:
        metrics = tables.further_metrics(runs, seeds=seeds)
        page.shown["metrics_table"] = tables.style(metrics, precision=3)
        page.text["colorfulness_true"] = metrics.attrs["colorfulness_true"]
        groups = {"polychromify": final, **{n: [runs[n]] for n in ("cnn", "author_model") if n in runs}}
        study = Study(TEST, {n: Entry(n, LABELS[n], r) for n, r in groups.items() if r})
        baselines = {f"{LABELS[n]} ({runs_label(r)})": {b: f for b in ("gray", "mean_ab")
                                                         if (f := study.against_baselines(n, b))}
                     for n, r in groups.items() if r}
        note = prose.baseline_note(baselines)
        page.text["metrics_short"] = plain(" ".join(
            f"{prose.capital(SHORT.get(n, LABELS[n]))} ({runs_label(r)}) against the gray baseline: "
            f"{prose.tally(b['gray'])}."
            for n, r in groups.items() if r and (b := baselines.get(f"{LABELS[n]} ({runs_label(r)})", {})).get("gray")))
        vivid = prose.vividness_note(runs, final)
        page.verdict("metrics_verdict", " ".join(filter(None, [note, vivid[0]])), [*_flat(baselines), *vivid[1]])
    else:
        page.shown["metrics_table"] = "n/a"
        page.text["colorfulness_true"] = NAN
        page.verdict("metrics_verdict", prose.pending_note(names))
        page.text["metrics_short"] = "No model is trained at this profile yet."
    for name in names:
        test = runs[name].metrics["model"]["test"] if name in runs else {}
        found_runs = tables.runs_of(name, runs, seeds)
        row = table.loc[tables.LABELS[name]]
        page.text[f"test_accuracy_{name}"] = float(row[("test accuracy", tables.ours(runs))])
        page.text[f"seeds_{name}"] = runs_label(found_runs) or "not trained"
        page.text[f"paper_test_accuracy_{name}"] = paper.TABLE2.get(name, {}).get("test_accuracy", NAN)
        for key, metric in (("psnr", "psnr"), ("ciede2000", "ciede2000"), ("colorfulness", "colorfulness_pred")):
            values = [r.metrics["model"]["test"].get(metric, NAN) for r in found_runs] or [test.get(metric, NAN)]
            page.text[f"{key}_{name}"] = float(sum(values) / len(values))
    page.text["seed_spread_text"] = (f"{what_varied(final)}; their test accuracies range over "
                                     f"{table.loc[LABELS['polychromify'], ('test accuracy', tables.RANGE)]:.4f}"
                                     if len(final) > 1 else "not measured yet at this profile (one run)")
    page.text["profile_name"] = chapter.profile.name
    page.text["provenance_text"] = " ".join(plain(line) for line in provenance_lines(
        chapter, chapter.with_seeds(runs, seeds), label=False))
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
    """Section 5.4: our model and the author's on another collection (the generalization study), every verdict
    under the one rule, paired over that collection's photos."""
    study = generalization_study.load_study("scenes-dev", chapter.results_dir)
    page = Page()
    if study is None:
        missing = Markdown("The study is not in the results store; compute it with "
                           "`polychromify study generalization --data DIR`.")
        page.text.update(study_images="n/a", study_size="n/a", protocol_short="the study is not in the store.",
                         landing_domain="Out of domain (chapter 5.4): the study is not in the results store.")
        page.shown.update({key: missing for key in ("study_verdict", "ablation_verdict", "epochs_verdict",
                                                    "protocol_verdict", "framing_verdict")})
        page.shown.update(study_table="n/a", ablation_table="n/a", framing_table="n/a")
        page.figures["fig_study_epochs"] = figures.placeholder("not in the results store")
        return page
    by_key = {run_key(r): r for r in list_runs(chapter.results_dir)}
    final = [r for r in chapter.seed_runs("polychromify")["polychromify"]]
    author = [by_key[study["models"]["author_model"]["run"]]] if study["models"]["author_model"]["run"] in by_key else []
    groups = {"polychromify": final, "author_model": author}
    for label, m in study["models"].items():
        if m["profile"] == "ablation" and m["run"] in by_key:
            groups[label] = [by_key[m["run"]]]
    for name, m in (study.get("protocol") or {}).items():
        if m["run"] in by_key:
            groups[f"protocol: {name}"] = [by_key[m["run"]]]
    paired = Study(study["folder"], {n: Entry(n, LABELS.get(n, n), r) for n, r in groups.items() if r})
    versus_author = paired.compare("polychromify", "author_model") or {}
    versus_gray = {f"{LABELS[n]} ({runs_label(groups[n])})": found for n in ("polychromify", "author_model")
                   if (found := paired.against_baselines(n, "gray"))}
    page.text.update(study_images=study["images"], study_size=study["image_size"])
    page.shown["study_table"] = tables.style(tables.generalization(study, final=final), precision=3)
    page.verdict("study_verdict", prose.generalization_note(versus_author, versus_gray),
                 [*versus_author.values(), *_flat(versus_gray)])
    base = next((k for k in groups if k.startswith("polychromify (ablation")), None)
    ablations = {f"{LABELS.get(paired_name.split(' (')[0], paired_name)}": found
                 for paired_name in groups if base and paired_name != base and "(ablation" in paired_name
                 if (found := paired.compare(paired_name, base))}
    page.shown["ablation_table"] = tables.style(tables.ablations(study), precision=3)
    page.verdict("ablation_verdict", prose.ablation_note(ablations, f"{LABELS['polychromify']} at the ablation "
                                                                    "profile (seed 42)"), _flat(ablations))
    protocol = paired.compare("protocol: author_data", "protocol: polychromify") \
        if {"protocol: author_data", "protocol: polychromify"} <= set(paired.entries) else None
    at_ablation = next((f for label, f in ablations.items() if label == LABELS["polychromify_author_data"]), None)
    page.text["protocol_short"] = plain(
        f"against our protocol's run of the same seed and arithmetic, paired on the other collection, it is "
        f"{prose.tally(protocol)} (one run each; chapter 5.4)." if protocol else "the run is not in the store.")
    page.verdict("protocol_verdict", prose.protocol_note(study, protocol, at_ablation),
                 [*(protocol or {}).values(), *(at_ablation or {}).values()])
    framing = {}
    if study.get("framing") and len(final) > 1:
        near, seeds = study["framing"], study["models"]["polychromify"].get("seeds", {})
        framing = {"whole": against_number([v["auc"] for v in seeds.values()],
                                           study["models"]["author_model"]["folder"]["auc"], "auc",
                                           "his model's", tuple(run_key(r) for r in final)),
                   "closer": against_number([v["auc"] for v in near["models"]["polychromify"].values()],
                                            near["models"]["author_model"]["auc"], "auc", "his model's",
                                            tuple(run_key(r) for r in final))}
    page.shown["framing_table"] = tables.style(tables.framing(study), precision=3) if "framing" in study else "n/a"
    page.verdict("framing_verdict", prose.framing_note(study, framing), framing.values())
    page.shown["epochs_verdict"] = Markdown(prose.epochs_note(study))
    page.figures["fig_study_epochs"] = figures.generalization_epochs(study)
    ours_gray = versus_gray.get(f"{LABELS['polychromify']} ({runs_label(final)})", {})
    if ours_gray:
        floor = (f": on AuC it does not beat predicting no colour at all (its AuC "
                 f"{paired.means('polychromify')['auc']:.3f}, gray's {study['baselines']['gray']['auc']:.3f})"
                 if ours_gray["auc"].verdict != BETTER else "")
        page.text["landing_domain"] = plain(
            f"Out of domain, on {study['images']} photos of another collection, our final model ({runs_label(final)}) "
            f"against the gray baseline is {prose.tally(ours_gray)}{floor}; against the author's own weights, "
            f"{prose.tally(versus_author)} (chapter 5.4).")
    else:
        page.text["landing_domain"] = ("Out of domain (chapter 5.4): the final model's runs are not scored photo by "
                                       "photo on the other collection.")
    return page


def precision(chapter: Chapter) -> Page:
    """Section 5.5: what training in mixed_bfloat16 costs, paired on the same test photos under the one rule."""
    wanted = precision_study(chapter.profile)
    variants = chapter.obtain_variants("polychromify", wanted)
    page = Page()
    if {"float32", "mixed_bfloat16"} <= set(variants):
        page.shown["precision_table"] = tables.style(tables.variants(variants), precision=3)
        study = _test_study({k: [variants[k]] for k in ("float32", "mixed_bfloat16")})
        study.keys = STUDY_KEYS
        found = study.compare("mixed_bfloat16", "float32")
        f32 = [run for label, run in variants.items() if label.startswith("float32")]
        differs = [w for w in varied([variants["float32"], variants["mixed_bfloat16"]]) if w != "precision"]
        page.verdict("precision_verdict", prose.precision_note(found, what_varied(f32), " and ".join(differs)),
                     (found or {}).values())
    else:
        page.shown["precision_table"] = "n/a"
        page.verdict("precision_verdict", "The runs of this study are not all in the store yet: "
                     f"{', '.join(label for label in wanted if label not in variants)}.")
    return page


def results_runs(chapter: Chapter, runs: dict, seeds: dict) -> dict:
    """Every run chapter 5 reads, by label, for its provenance note: Table 2's, the final model's seeds, the
    precision study's and the generalization study's (its ablation-profile runs and the paper-scale protocol run)."""
    out = chapter.with_seeds(runs, seeds)
    shown = {run.path for run in out.values()}
    for label, run in chapter.obtain_variants("polychromify", precision_study(chapter.profile)).items():
        if run.path not in shown:
            out[f"polychromify ({label})"] = run
            shown.add(run.path)
    study = generalization_study.load_study("scenes-dev", chapter.results_dir)
    if study:
        by_key = {run_key(r): r for r in list_runs(chapter.results_dir)}
        keys = [m["run"] for m in study["models"].values()] + [m["run"] for m in study.get("protocol", {}).values()]
        for key in keys:
            if key in by_key and by_key[key].path not in shown:
                out[key] = by_key[key]
                shown.add(by_key[key].path)
    return out


def beyond_runs(chapter: Chapter, folder: str) -> dict:
    """Every run the "Beyond the paper" study compares, by its key in the store, for the chapter's provenance."""
    study = beyond_study.load_study(folder, chapter.results_dir)
    if study is None:
        return {}
    return {run_key(run): run for entry in beyond_study.study_of(study, chapter.results_dir).entries.values()
            for run in entry.runs}


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
    try:
        card = pretrained_card()
    except FileNotFoundError:
        card = None
    shipped = LABELS.get(card["experiment"], card["experiment"]) if card else "none: no model is shipped"
    page = Page(text={"beyond_rule": beyond_study.default_rule(), "shipped_label": shipped})
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
    winner, why = beyond_study.default_candidate(study, results_dir=chapter.results_dir)
    paired = beyond_study.study_of(study, chapter.results_dir)
    readings = {"alternatives": beyond_study.alternatives(paired), "claims": beyond_study.claim_readings(paired),
                "variants": beyond_study.variant_readings(paired)}
    page.text.update(
        beyond_images=study["images"],
        beyond_test_images=" and ".join(f"{n} ({p} profile)" for p, n in study["test_images"].items()),
        beyond_pending=", ".join(study["pending"]) or "none",
        beyond_default=prose.beyond_default(study, winner, why, card))
    page.shown["beyond_table"] = tables.style(tables.beyond(study), precision=3)
    page.verdict("beyond_verdict", prose.beyond_note(readings),
                 [*_flat({str(k): v for k, v in readings["alternatives"].items()}),
                  *[c for r in [*readings["claims"].values(), *readings["variants"].values()] if r
                    for c in r.found.values()]])
    photos = beyond_study.stored_photos(study, chapter.results_dir)
    labels = {key: f"{LABELS[key.split('-', 1)[0]]} ({key.split('-', 1)[1]})" for key in photos if key != "truth"}
    page.figures.update(fig_beyond=figures.beyond_measures(study),
                        fig_beyond_photos=figures.beyond_photos(photos, labels) if "truth" in photos
                        else figures.placeholder("the study stores no photos"))
    return page
