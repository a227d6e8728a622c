"""The book's sentences: what the tables and studies say, in plain words, for the prose to paste.

Each function reads a table of ``polychromify.book.tables`` (or a stored study, or runs) and returns one Markdown
paragraph; bold marks the findings a reader must not miss (a disagreement with the paper, a model that loses
to a trivial baseline). Nothing here builds a table.
"""
from __future__ import annotations

import pandas as pd

from polychromify.book.tables import (
    _digits,
)
from polychromify.product import paper
from polychromify.product.metrics import METRICS
from polychromify.product.paper import PAPER
from polychromify.studies.beyond import (
    CLAIMS,
    MEASURES,
    VARIANTS,
    default_run,
)
from polychromify.studies.study import (
    BETTER,
    CANNOT_TELL,
    WORSE,
    NumberComparison,
    against_number,
)
from polychromify.training.experiments import LABELS

# ---------------------------------------------------------------- the one rule's verdicts, phrased

def said(c, name: bool = True) -> str:
    """One comparison's verdict with the numbers it rests on (``study.compare``/``compare_each``/``against_number``),
    for a sentence: "**better** on AuC (+0.0034; 95 % interval +0.0024 to +0.0044; 837 photos)"."""
    spec = METRICS[c.metric]
    what = f" on {spec.label}" if name else ""
    d = _digits(c.metric)
    if isinstance(c, NumberComparison):
        return f"**{c.verdict}**{what} ({c.mean:.{d}f} against {c.whose} {c.number:.{d}f}; {c.note})"
    def runs(n):
        return f"{n} run{'s' if n != 1 else ''}"
    if isinstance(d, int) and min(abs(c.interval[0]), abs(c.interval[1])) < 0.5 * 10 ** -d:
        d += 1  # a bound that would print as zero gets one more decimal
    how = (f"each of {runs(c.runs[0])} against its own on its own photos, {c.photos} in all" if c.paired == "each"
           else f"{c.photos} photos" + (f", {runs(c.runs[0])} against {c.runs[1]}" if c.runs != (1, 1) else
                                        ", one run each: the interval covers the photos, not another run"))
    if c.verdict == CANNOT_TELL and (c.interval[0] > 0 or c.interval[1] < 0):
        how += f"; but pairs of runs disagree in sign, {min(c.run_gains):+.{d}f} to {max(c.run_gains):+.{d}f}"
    return (f"**{c.verdict}**{what} ({c.gain:+.{d}f}{' ' + spec.unit if spec.unit else ''}; 95 % interval "
            f"{c.interval[0]:+.{d}f} to {c.interval[1]:+.{d}f}; {how})")


def by_verdict(found: dict) -> dict[str, list[str]]:
    """{verdict: [metric labels]} of a {metric: comparison} mapping, in the order better, worse, cannot tell."""
    out = {v: [METRICS[k].label for k, c in found.items() if c.verdict == v] for v in (BETTER, WORSE, CANNOT_TELL)}
    return {v: labels for v, labels in out.items() if labels}


NOT_PAIRED = "not compared: the store holds no per-photo scores of these runs"


def tally(found: dict | None) -> str:
    """"better on AuC and ab RMSE, worse on colourfulness gap, cannot tell apart on rebalanced AuC"; without
    comparisons (no per-photo scores), says so."""
    if not found:
        return NOT_PAIRED
    return ", ".join(f"{'**' + v + '**' if v != CANNOT_TELL else v} on {words_list(labels)}"
                     for v, labels in by_verdict(found).items())


RULE = ("A difference is called better or worse only when its 95 % paired interval over the photos excludes zero "
        "and every pair of runs agrees in sign; against a single printed number, only when every one of at least two "
        "runs of ours is on the same side; otherwise we cannot tell apart. A paired gain is the mean over photos of "
        "each photo's score (its own AuC, its own ab RMSE), while the tables pool AuC and ab RMSE over all the pixels "
        "of a set, so a gain and the difference of two table values can differ.")


def pending_note(names) -> str:
    """A plain sentence naming the experiments the store lacks at this profile (empty if none)."""
    if not names:
        return ""
    return (f"Not trained at this profile yet: {', '.join(LABELS.get(n, n) for n in names)} (the campaign, "
            "`polychromify campaign`, trains them).")


def split_verdict(data: dict, profile) -> str:
    """A plain sentence on how our split (a ``Dataset.provenance`` record) differs from the paper's."""
    sizes = data["split_sizes"]
    used = sum(sizes.get(s, 0) for s in ("train", "val", "test"))
    text = (f"Our runs use {used:,} {'synthetic pictures' if data.get('synthetic') else 'photos'}, split "
            f"{sizes.get('train', 0):,}/{sizes.get('val', 0):,}/{sizes.get('test', 0):,}; the paper used "
            f"{paper.SPLIT['total']:,} photos, split {paper.SPLIT['train']:,}/{paper.SPLIT['val']:,}/"
            f"{paper.SPLIT['test']:,}. ")
    if data.get("synthetic"):
        return text + ("**These are not the paper's data**: no photo folder was configured, so every "
                       "number below comes from procedurally generated landscapes.")
    if profile.max_images is not None and used >= profile.max_images:
        text += (f"The difference is on purpose: the `{profile.name}` profile caps the set at "
                 f"{profile.max_images:,} photos so that every experiment trains on two CPU cores. ")
    else:
        text += ("The difference is cleaning: we drop duplicates (which would otherwise sit in two splits), "
                 "near-gray photos and photos with too little left after cropping their black borders. ")
    return text + ("Each photo's split is drawn from a seeded hash of its content, so the fractions are "
                   "64/16/20 only on average.")


def verdict(table: pd.DataFrame, column: str, what: str, synthetic: bool = False, reference: str = PAPER) -> str:
    """A plain sentence comparing the order of the models by ``column`` (higher is better) in ``reference``'s
    numbers and in ours; the order alone, not whether a difference is real (the one rule says that).

    ``table[column]`` must hold the sub-column ``reference`` (the paper's, or the author's notebook's) and
    one ``ours (...)``.
    """
    part = table[column]
    ours_column = next(c for c in part.columns if c.startswith("ours"))
    theirs, mine = part[reference].astype(float).dropna(), part[ours_column].astype(float).dropna()
    both = theirs.index.intersection(mine.index)
    who = "the paper" if reference == PAPER else reference
    if both.empty:
        return f"{who[0].upper() + who[1:]} gives no {what} to compare with."
    best_theirs, best_mine = theirs[both].idxmax(), mine[both].idxmax()
    order = lambda s: " > ".join(s.sort_values(ascending=False).index)
    text = (f"By {what}, {who} ranks {order(theirs[both])}; our numbers, as the table shows them, fall in the order "
            f"{order(mine[both])}. ")
    text += (f"Both put {best_mine} first. " if best_theirs == best_mine else
             f"{who[0].upper() + who[1:]}'s best, {best_theirs}, is not first in our numbers. ")
    text += ("That order is not a verdict: rows with one run have no spread, and rows can be different runs (the "
             "runs column names them); only the paired comparisons decide which differences are real.")
    if synthetic:
        text += (" These runs were trained on synthetic landscapes, not on the paper's photos, so they "
                 "test the code, not the paper's claims.")
    return text


def paper_note(verdicts: dict, what: str, varied: str = "") -> str:
    """Plain sentences on the one rule's verdicts against the paper's printed values (``tables.table1``/``table2``'s
    ``attrs["verdicts"]``: row -> ``NumberComparison``)."""
    if not verdicts:
        return ""
    groups: dict[str, list[str]] = {}
    for row, c in verdicts.items():
        groups.setdefault(c.verdict, []).append(str(row))
    single = [row for row, c in verdicts.items() if len(c.ours) < 2]
    parts = [f"{'**' + v + '**' if v != CANNOT_TELL else v} than the paper{'' if v != CANNOT_TELL else ''}: "
             f"{', '.join(rows)}" if v != CANNOT_TELL else f"cannot tell apart from the paper's number: {', '.join(rows)}"
             for v, rows in groups.items()]
    text = f"\n\nAgainst the paper's printed {what}: " + "; ".join(parts) + "."
    for row, c in verdicts.items():
        if len(c.ours) > 1:
            text += f" {row} (mean of {len(c.ours)} runs): {said(c, name=False)}."
    if single:
        text += (f" {', '.join(single)} {'is' if len(single) == 1 else 'are'} one run each against one printed "
                 "number: neither side has a spread, so the rule cannot call a difference.")
    if varied:
        text += f" The range of a row with several runs covers {varied}."
    return text


def baseline_note(comparisons: dict) -> str:
    """Plain sentences: each model against the gray and the mean-ab baselines of its own test photos under the one
    rule (``comparisons``: label -> {"gray": {metric: Comparison}, "mean_ab": {...}})."""
    lines = []
    for label, against in comparisons.items():
        if not against:
            lines.append(f"{label} against the trivial baselines: {NOT_PAIRED}.")
        for baseline, found in against.items():
            name = "the gray baseline" if baseline == "gray" else "the mean-ab baseline"
            lines.append(f"{label} against {name}: {tally(found)}.")
    return " ".join(lines)


def precision_note(found: dict | None, varied: str, differs: str = "") -> str:
    """Plain sentences: the final model trained in mixed_bfloat16 against float32 with the same seed on the same
    test photos, under the one rule (``found``: metric -> Comparison); ``varied``: what differs between the
    float32 runs that make the range beside it."""
    if not found:
        return f"The mixed_bfloat16 run against the float32 run of the same seed: {NOT_PAIRED}."
    text = (f"The mixed_bfloat16 run against the float32 run of the same seed and split, paired on the same test "
            f"photos, is {tally(found)} (" + "; ".join(said(c) for c in found.values()) + ")."
            + (f" The two runs differ in their {differs} too, not only in the arithmetic (the provenance note names "
               "them), so this is not the cost of bf16 alone." if differs else ""))
    if varied:
        text += f" For scale, the table's float32 runs are {varied}."
    return text


def generalization_note(versus_author: dict, versus_gray: dict) -> str:
    """Plain sentences on the other collection, under the one rule: our final model's runs against the author's
    trained model (``versus_author``: metric -> Comparison), and each model against the gray baseline
    (``versus_gray``: label -> {metric: Comparison})."""
    parts = [f"{label} against the gray baseline: {tally(found)}." for label, found in versus_gray.items()]
    if versus_author:
        parts.append(f"Our final model against the author's trained model: {tally(versus_author)} ("
                     + "; ".join(said(c) for c in versus_author.values()) + ").")
    return " ".join(parts)


def framing_note(study: dict, found: dict) -> str:
    """Plain sentences: the author's model against our runs on the whole photos and on their central part
    enlarged (``found``: where -> NumberComparison of our runs' AuC against his single value: his model has per-photo
    scores, but the enlarged photos were scored once, without them)."""
    near = study.get("framing")
    if not near or not found:
        return "The framing ablation is not in the stored study; recompute it with `polychromify study generalization`."
    whole, closer = found["whole"], found["closer"]
    gap = {k: 100 * (c.number - c.mean) for k, c in found.items()}
    text = (f"Seen {near['zoom']}x closer, the author's model is {gap['closer']:.1f} AuC points above our runs' mean, "
            f"against {gap['whole']:.1f} on the whole photos. Our runs against his single number: whole photos "
            f"{said(whole)}; closer {said(closer)}.")
    if gap["whole"] > 0 and gap["closer"] < gap["whole"]:
        text += (f" His lead shrinks by about {100 * (1 - gap['closer'] / gap['whole']):.0f} %; the enlarged photos "
                 "were scored without per-photo scores, so this shrinking has no interval: a reading, not a verdict.")
    return text


def protocol_note(study: dict, found: dict | None, ablation: dict | None) -> str:
    """Plain sentences: the author's data protocol against ours for the same model, seed and arithmetic, paired on
    the other collection under the one rule, at the paper's scale (``found``) and at the ablation profile
    (``ablation``): one run each at both, so the intervals cover the photos and not another run."""
    protocol = study.get("protocol") or {}
    if not found or set(protocol) != {"author_data", "polychromify"}:
        return ("The paper-scale run under the author's data protocol, or the final model's run in its arithmetic, "
                "is not in the stored study yet.")
    his = protocol["author_data"]
    text = (f"At the paper's scale ({his['precision']}, seed {his['seed']}, one run each), our model trained under "
            f"the author's data protocol against ours, paired on the other collection: {tally(found)} ("
            + "; ".join(said(c) for c in found.values()) + ").")
    if ablation:
        text += (f" At the ablation profile (800 photos, 10 epochs, one run each) the same change is {tally(ablation)}"
                 ". **The two scales disagree**: what the protocol does at a tenth of the budget does not predict what "
                 "it does at the paper's; the paper-scale run is the one that speaks for the author's training, and "
                 "with one run each neither result has a spread across runs.")
    return text


def ablation_note(found: dict, base: str) -> str:
    """Plain sentences: each ablation against our recipe at the ablation profile, paired on the other collection
    under the one rule (``found``: label -> {metric: Comparison})."""
    if not found:
        return "The ablation runs are not in the store yet."
    lines = [f"Each change against {base}, paired on the other collection's photos (one run each: the intervals "
             "cover the photos, not another run):"]
    for label, comparisons in found.items():
        lines.append(f"- {label}: {tally(comparisons)} (" + "; ".join(said(c) for c in comparisons.values()) + ").")
    if all(c.verdict == WORSE for comparisons in found.values() for c in comparisons.values()):
        lines.append("\nAt this budget every one of the author's choices is worse for our model on the other "
                     "collection. Whether that holds at the paper's scale is the next section's question: for the "
                     "data protocol it does not.")
    return "\n".join(lines)


def epochs_note(study: dict, metric: str = "auc") -> str:
    """Plain sentences: after which stored epoch one run of our model (the study's epoch run) did best on the other
    collection, and how it ends; one run's curve, with no interval: numbers, not verdicts."""
    points = study["epochs"]["points"]
    if not points:
        return "No checkpoint of the run is in the repository's history."
    best = max(points, key=lambda p: p["folder"][metric])
    last = points[-1]
    pct = lambda v: round(100 * v, 1)  # noqa: E731  (every difference below is of the numbers as printed)
    his, gray = pct(study["models"]["author_model"]["folder"][metric]), pct(study["baselines"]["gray"][metric])
    top, end = pct(best["folder"][metric]), pct(last["folder"][metric])
    run = study["epochs"].get("run", "the final model's run")
    text = (f"One run, `{run}`, scored after each stored epoch (a single curve, so these are numbers, not verdicts): "
            f"on the other collection its AuC is highest after epoch {best['epoch']} ({top:.1f}) and ends, after "
            f"epoch {last['epoch']}, at {end:.1f}. ")
    text += (f"At its highest it is {his - top:.1f} points below the author's model ({his:.1f}); the gray baseline "
             f"scores {gray:.1f}, {'below' if gray < top else 'above'} its highest and "
             f"{'below' if gray < end else 'above'} its last.")
    return text


def params_note(models: pd.DataFrame) -> str:
    """A plain sentence: do our parameter counts (``tables.models``), rounded as the paper rounds them, equal
    Table 2's?"""
    known = models[models["rounds to the paper's"].notna()]
    differ = known.index[~known["rounds to the paper's"].astype(bool)]
    if differ.empty:
        return ("Rounded as the paper rounds them, our parameter counts equal those of Table 2 for every model "
                f"it lists ({', '.join(known.index)}).")
    return f"**Our parameter counts differ from the paper's** for {', '.join(differ)}."


# What each claim's test can and cannot show, said beside its verdict.
CAVEATS = {
    "polychromify_unet": (" A U-Net adds a spatial bottleneck and skip connections around it at once, while the final "
                          "model has no spatial bottleneck at all (chapter 2): this test cannot say which of the two "
                          "changes the colours, so the claim is not decided by it, whatever the measures say; a "
                          "control without skips is listed in the appendix *Not yet in this edition*."),
    "polychromify_classes": (" This tests Zhang et al.'s loss alone, on our small body, at a tenth of the paper's "
                             "budget, with one run each, on the other collection. Their whole recipe (ECCV16 with "
                             "their loss, rebalancing and decoding), trained from scratch at the paper's scale on the "
                             "same photos, has a smaller colourfulness gap than our final model on the landscape test "
                             "split (chapter 5; one run of theirs, whose weights are not kept, against our three runs' "
                             "values, so not paired): the claim holds for the recipe there and fails for the loss alone "
                             "at this budget. Neither test uses Zhang et al.'s pretrained models, which the paper "
                             "shows."),
}


def beyond_note(readings: dict) -> str:
    """Plain sentences phrasing the study's decisions under the one rule (``beyond``'s readings, paired over the
    other collection's photos): each alternative against the final model at the same profile, one verdict per
    claim of the paper that the study tests, and each variant against its base."""
    alternatives, claims, variants = readings["alternatives"], readings["claims"], readings["variants"]
    if not alternatives and not any(claims.values()):
        return "The final model's runs are not in the study yet."
    lines = []
    for (name, profile), found in alternatives.items():
        n = next(iter(found.values())).runs
        lines.append(f"- **{LABELS.get(name, name)}** ({profile} profile, {n[0]} run{'s' if n[0] > 1 else ''} against "
                     f"the final model's {n[1]}): {tally(found)}.")
    for name, reading in claims.items():
        where, claim, change = CLAIMS[name]
        if reading is None:
            lines.append(f"- Claim {where}, *{claim}*: not tested yet (the run of {LABELS[name]} is pending).")
            continue
        lines.append(f"- Claim {where}, *{claim}*: **{reading.verdict}** by {change}, at the {reading.profile} "
                     f"profile on the other collection: " + "; ".join(said(c) for c in reading.found.values()) + "."
                     + CAVEATS.get(name, ""))
    for name, reading in variants.items():
        change = VARIANTS[name][1]
        lines.append(f"- **{change[0].upper() + change[1:]}** ({LABELS.get(name, name)} against "
                     f"{LABELS.get(reading.base, reading.base)}, {reading.profile} profile): **{reading.verdict}** on "
                     f"the other collection: " + "; ".join(said(c) for c in reading.found.values()) + ".")
    return "\n".join(lines) + "\n\n" + RULE + (" With one run on a side, the interval covers the photos but not what "
                                               "another run would change.")


def beyond_default(study: dict, winner: str | None, why: str, card: dict | None) -> str:
    """What the study makes of the default colorizer (``beyond.default_candidate`` gave ``winner`` and ``why``), and
    whether the package ships it (``card``: the shipped model's card, None when none is shipped)."""
    if winner is None:
        return f"The default colorizer stays the paper's final model: {why}."
    chosen = default_run(study, winner)
    entry = next(m for m in study["models"].values() if m.get("key") == chosen)
    scores = ", ".join(f"{label} {entry['folder'][key]:.4f}" for key, label in ((k, METRICS[k].label) for k in MEASURES))
    text = (f"By this rule the default is {LABELS.get(winner, winner)}: {why}. Of its runs at the paper's profile, the "
            f"one with the best AuC on the other collection is shipped (`{chosen}`, seed {entry['seed']}: {scores}); "
            "chosen on that collection, its own scores there are optimistic, and the fair figures are its recipe's "
            "mean over seeds, in the table above.")
    shipped = f"{card['experiment']}/{card['run']}" if card else None
    if shipped != chosen:
        text += (f" The package ships {f'`{shipped}`' if shipped else 'no model'} instead: export the chosen run with "
                 f"`polychromify pretrained export --run results/{chosen}`.")
    return text


def selection_reading(runs: dict, study) -> tuple[str, dict]:
    """Whether the paper's own reading of its Fig. 3 (AE v2 best, AE v0 far behind) holds under the one rule, paired
    on the test photos the runs share (``study``: each run its own entry); (the sentence, the comparisons by label)."""
    best, worst = paper.SELECTION_BEST, paper.SELECTION_WORST
    if best not in study.entries or worst not in study.entries:
        return "", {}
    others = [n for n in study.entries if n != best]
    found = {f"{LABELS[best]} against {LABELS[n]}": study.compare(best, n) for n in others}
    found.update({f"{LABELS[worst]} against {LABELS[n]}": study.compare(worst, n)
                  for n in study.entries if n != worst})
    if not all(found.values()):
        return (f"The paper's own reading of Fig. 3 is not tested here: {NOT_PAIRED}.", {})
    found = {k: {"accuracy": v["accuracy"]} for k, v in found.items()}

    def reading(name, rivals, want):
        got = {n: found[f"{LABELS[name]} against {LABELS[n]}"]["accuracy"].verdict for n in rivals}
        holds = all(v == want for v in got.values())
        fails = any(v == (WORSE if want == BETTER else BETTER) for v in got.values())
        return ("holds" if holds else "**does not hold**" if fails else "cannot be told"), got
    v2, v2_got = reading(best, others, BETTER)
    v0, v0_got = reading(worst, [n for n in study.entries if n not in (worst, best)] + [best], WORSE)
    photos = next(iter(found.values()))["accuracy"].photos if found else 0
    text = (f"The paper's own reading of Fig. 3, under the one rule, paired on the {photos} test photos of seed 42's "
            f"split (one run each): {LABELS[best]} best {v2} ("
            + ", ".join(f"{v} than {LABELS[n]}" for n, v in v2_got.items()) + f"); {LABELS[worst]} far behind {v0} ("
            + ", ".join(f"{v} than {LABELS[n]}" for n, v in v0_got.items()) + ").")
    return text, found


def verdict_groups(found: dict, key: str) -> str:
    """"the CNN and the author's weights cannot be told apart from it" style clauses for one metric of
    {label: {metric: Comparison}}: the labels grouped by verdict."""
    groups: dict[str, list[str]] = {}
    for label, comparisons in found.items():
        groups.setdefault(comparisons[key].verdict, []).append(label)
    def verb(labels, v):
        return "" if v == CANNOT_TELL else ("is " if len(labels) == 1 and not labels[0].endswith("s") else "are ")
    words = {BETTER: "better than ours", WORSE: "worse than ours", CANNOT_TELL: "cannot be told apart from ours"}
    return "; ".join(f"{words_list(labels)} {verb(labels, v)}{words[v]}" for v, labels in groups.items())


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def words_list(labels: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def scale_line(profile, data: dict, runs: dict, final: list) -> str:
    """The landing page's first line: what was reproduced, at what scale."""
    photos = "synthetic landscapes" if data.get("synthetic") else f"{data['used']:,} cleaned real photos"
    return (f"Reproduced: every model of the paper, retrained from scratch at the `{profile.name}` profile "
            f"({profile.image_size} px, {profile.epochs} epochs, batch {profile.batch_size}) on {photos}; "
            f"the final model as {len(final)} run{'s' if len(final) != 1 else ''}, every other model as one "
            f"(chapters 3 to 5; model selection at the author's notebook's 800/200 photos and batch 16, and some "
            f"runs in mixed_bfloat16, as each chapter's provenance note says); the author's own weights are scored "
            f"beside them.")


def vividness_note(runs: dict, final: list) -> tuple[str, list]:
    """Our final model's runs against ECCV16 with Zhang et al.'s recipe on the colourfulness gap (its weights are not
    kept, so its single number stands against our runs' values: the one rule's ``against_number``)."""
    zhang = runs.get("eccv16_zhang")
    if zhang is None or not final:
        return "", []
    c = against_number([r.metrics["model"]["test"]["colorfulness_gap"] for r in final],
                       zhang.metrics["model"]["test"]["colorfulness_gap"], "colorfulness_gap",
                       "its single run's",
                       tuple(f"{r.experiment}/{r.path.name}" for r in final))
    return (f"Our final model against {LABELS['eccv16_zhang']} (one run; its weights are not kept, so its single "
            f"number stands) on the colourfulness gap: {said(c, name=False)}. "
            f"Zhang et al.'s full recipe, trained at the paper's scale on the same photos, comes closest to the truth's "
            f"colourfulness ({zhang.metrics['model']['test']['colorfulness_pred']:.1f} against the truth's "
            f"{zhang.metrics['model']['test']['colorfulness_true']:.1f}), at the cost of the lowest AuC in the table "
            f"({zhang.metrics['model']['test']['auc']:.3f}).", [c])


def tuning_notebook_note(runs: dict) -> str:
    """The CNN's and ECCV16's final validation accuracies: the author's notebook's beside ours."""
    mine = {name: f"{runs[name].history['val_accuracy'][-1]:.4f}" if name in runs else "not trained yet"
            for name in ("cnn", "eccv16")}
    return ("The CNN's and ECCV16's final validation accuracies are not in the paper (its Fig. 4 shows ECCV16's curve, "
            "not the CNN's); "
            f"the author's notebook printed {paper.TUNING_VAL_ACCURACY_NOTEBOOK['cnn']:.4f} and "
            f"{paper.TUNING_VAL_ACCURACY_NOTEBOOK['eccv16']:.4f}; ours are {mine['cnn']} and {mine['eccv16']}.")


def colorization_source(synthetic_data: bool, synthetic_runs: bool) -> str:
    """Where the photos of the colorization figures come from, when they are colorized now."""
    if not synthetic_data:
        return "real test photos"
    if synthetic_runs:
        return "synthetic landscapes"
    return ("synthetic landscapes (the models were trained on the real photos, but no photo folder is configured "
            "here and the runs store no colorizations)")
