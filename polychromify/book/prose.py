"""The book's sentences: what the tables and studies say, in plain words, for the prose to paste.

Each function reads a table of ``polychromify.book.tables`` (or a stored study, or runs) and returns one Markdown
paragraph; bold marks the findings a reader must not miss (a disagreement with the paper, a model that loses
to a trivial baseline). Nothing here builds a table.
"""
from __future__ import annotations

import pandas as pd

from polychromify.book.tables import (
    PENDING,
    SPREAD,
    STUDY_METRICS,
    ablations,
    seed_spread,
)
from polychromify.book.tables import ours as ours_label
from polychromify.product import paper
from polychromify.product.metrics import METRICS
from polychromify.product.paper import PAPER
from polychromify.studies.beyond import (
    CLAIMS,
    MEASURES,
    PROFILES,
    VARIANTS,
    claim_readings,
    default_run,
    seed_count,
    variant_readings,
    verdicts,
    vividness_verdicts,
)
from polychromify.training.experiments import LABELS


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
    """A plain sentence on whether our ranking by ``column`` (higher is better) agrees with the paper's.

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
    order = lambda s: " > ".join(s.sort_values(ascending=False).index)  # noqa: E731
    same_order = list(theirs[both].sort_values(ascending=False).index) == list(
        mine[both].sort_values(ascending=False).index)
    gap = float((mine[both] - theirs[both]).mean())
    text = (f"By {what}, {who} ranks {order(theirs[both])}; our run ranks {order(mine[both])}. ")
    if best_theirs == best_mine:
        text += f"We agree on the best model, {best_mine}"
        text += ", and on the whole order. " if same_order else ", but not on the whole order. "
    else:
        text += (f"**We disagree**: {who}'s best is {best_theirs} ({theirs[best_theirs]:.4f}), "
                 f"ours is {best_mine} ({mine[best_mine]:.4f}). ")
    text += (f"Our values are {abs(gap):.4f} {'lower' if gap < 0 else 'higher'} than {who}'s on average.")
    if synthetic:
        text += (" These runs were trained on synthetic landscapes, not on the paper's photos, so they "
                 "test the code, not the paper's claims.")
    return text


def noise_note(table: pd.DataFrame, column: str, what: str) -> str:
    """A plain sentence on the table's verdicts (``table1``/``table2``): which rows are within the noise
    between seeds of the paper's printed value, which better, which worse, and which are still pending."""
    part = table[column]
    spreads = part[SPREAD].astype(float).dropna()
    groups: dict[str, list[str]] = {}
    for row, verdict in part["verdict"].items():
        groups.setdefault(verdict, []).append(str(row))
    if spreads.empty:
        text = (f"With one seed per model there is no spread between seeds yet to read the {what} against, "
                "so no row gets a verdict.")
    else:
        seeds = int(part["seeds"].max())
        text = (f"Read against the spread of the final model's {what} over its {seeds} seeds "
                f"({spreads.max():.4f}, largest minus smallest): ")
        parts = [f"{'**' if v == 'worse' else ''}{v}{'**' if v == 'worse' else ''} than the paper: {', '.join(rows)}"
                 if v in ("better", "worse") else f"{v}: {', '.join(rows)}"
                 for v, rows in groups.items() if v in ("within noise", "better", "worse")]
        text += "; ".join(parts) + "." if parts else "no row has a printed value to compare."
    pending = groups.get(PENDING, [])
    if pending:
        text += f" Not trained at this profile yet: {', '.join(pending)}."
    return text


def baseline_note(table: pd.DataFrame, model: str = "PolyChromify") -> str:
    """A plain sentence on which metrics of ``further_metrics`` a model beats both trivial baselines on."""
    baselines = [i for i in table.index if "baseline" in i]
    better, worse = [], []
    for column in table.columns:
        if "\u2191" in column:
            beats = all(table.at[model, column] > table.at[b, column] for b in baselines)
        elif "\u2193" in column:
            beats = all(table.at[model, column] < table.at[b, column] for b in baselines)
        else:
            continue
        (better if beats else worse).append(column.rstrip(" \u2191\u2193"))
    if not worse:
        return f"{model} beats both trivial baselines on every metric."
    if not better:
        return (f"**{model} beats neither trivial baseline on any metric**: at this training budget it has not "
                "learnt more than \"no colour\" or \"the average colour\".")
    return (f"{model} beats both trivial baselines on {', '.join(better)}, **but not on {', '.join(worse)}**.")


def precision_note(runs: dict, split: str = "test") -> str:
    """A plain sentence on how much training in mixed_bfloat16 changed the final model's scores, set against
    how far the seeds alone spread them (``experiments.precision_study``'s runs, by label: the float32 runs,
    largest minus smallest)."""
    f32, b16 = runs["float32"].metrics["model"][split], runs["mixed_bfloat16"].metrics["model"][split]

    def change(key, label, digits=2, unit="", higher_is_better=True):
        d = b16[key] - f32[key]
        if not d:
            return f"{label} unchanged"
        return (f"{label} {abs(d):.{digits}f}{unit} {'higher' if d > 0 else 'lower'} "
                f"({'better' if (d > 0) == higher_is_better else 'worse'})")

    text = (f"Trained in mixed_bfloat16 instead of float32, with the same seed, the final model's {split} "
            f"scores change: {change('psnr', 'PSNR', unit=' dB')}, {change('ssim', 'SSIM', digits=4)}, "
            f"{change('ab_rmse', 'ab RMSE', higher_is_better=False)}, "
            f"{change('ciede2000', 'CIEDE2000', higher_is_better=False)}. ")
    seeded = [runs[label].metrics["model"][split] for label in runs if label.startswith("float32, seed")]
    if not seeded:
        return text
    names = {"psnr": "PSNR", "ssim": "SSIM", "ab_rmse": "ab RMSE", "ciede2000": "CIEDE2000"}
    spread = {k: seed_spread([r[k] for r in [f32, *seeded]])[1] for k in names}
    within = [n for k, n in names.items() if abs(b16[k] - f32[k]) <= spread[k]]
    beyond = [n for n in names.values() if n not in within]
    moves = ", ".join(f"{spread[k]:.{4 if k == 'ssim' else 2}f}" for k in names)
    text += (f"Changing only the seed ({len(seeded) + 1} float32 runs) spreads them over {moves} respectively "
             f"(largest minus smallest). ")
    if not beyond:
        return text + "Every change bf16 makes is within what a different seed alone does: it keeps the quality."
    if not within:
        return text + "**bf16 moves every score more than a different seed does**: it costs quality here."
    return text + (f"bf16's change is within the seeds' spread on {', '.join(within)}, **but larger on "
                   f"{', '.join(beyond)}**.")


def generalization_note(study: dict) -> str:
    """Plain sentences: on the other collection, does each model beat the gray baseline (AuC higher, ab RMSE
    lower), and how far is ours from the author's model."""
    gray = study["baselines"]["gray"]
    parts = []
    for name in ("author_model", "polychromify"):
        folder = study["models"][name]["folder"]
        beats = [label for key, label, better in (("auc", "AuC", 1), ("ab_rmse", "ab RMSE", -1))
                 if better * (folder[key] - gray[key]) > 0]
        who = "The author's trained model" if name == "author_model" else "Our paper-profile model"
        if len(beats) == 2:
            parts.append(f"{who} beats the gray baseline on both AuC and ab RMSE.")
        elif beats:
            parts.append(f"{who} beats the gray baseline on {beats[0]} only, **not on "
                         f"{'AuC' if beats[0] == 'ab RMSE' else 'ab RMSE'}**.")
        else:
            parts.append(f"{who} **beats the gray baseline on neither AuC nor ab RMSE**.")
    ours, his = study["models"]["polychromify"]["folder"], study["models"]["author_model"]["folder"]
    parts.append(f"Ours is {100 * (his['auc'] - ours['auc']):.1f} AuC points below the author's model and its ab "
                 f"RMSE is {ours['ab_rmse'] - his['ab_rmse']:.2f} higher.")
    seeds = study["models"]["polychromify"].get("seeds", {})
    if len(seeds) > 1:
        auc = [100 * scores["auc"] for scores in seeds.values()]
        rmse = [scores["ab_rmse"] for scores in seeds.values()]
        mean, spread, _ = seed_spread(auc)
        above = sum(a > 100 * gray["auc"] for a in auc)
        gap = 100 * his["auc"] - mean
        parts.append(
            f"Over its {len(seeds)} seeds our model's AuC there is {mean:.1f} (seeds {min(auc):.1f} to "
            f"{max(auc):.1f}, a spread of {spread:.1f} points) and its ab RMSE {seed_spread(rmse)[0]:.2f}, against "
            f"gray's {100 * gray['auc']:.1f} and {gray['ab_rmse']:.2f}: {above} of {len(seeds)} seeds beat gray's AuC, "
            f"{sum(r < gray['ab_rmse'] for r in rmse)} its ab RMSE. The author's model is {gap:.1f} AuC points above "
            f"our mean, {'**more than**' if gap > spread else 'within'} the spread between our seeds.")
    return " ".join(parts)


def framing_note(study: dict) -> str:
    """Plain sentences: how far the author's model is above our seeds' mean AuC on the whole photos and on
    their central part enlarged, read against our seeds' spread."""
    near = study.get("framing")
    if not near:
        return "The framing ablation is not in the stored study; recompute it with `polychromify study generalization`."
    whole_seeds = study["models"]["polychromify"].get("seeds") or {"42": study["models"]["polychromify"]["folder"]}
    points = {}
    for where, his, ours, gray in (
            ("whole", study["models"]["author_model"]["folder"], list(whole_seeds.values()), study["baselines"]["gray"]),
            ("near", near["models"]["author_model"], list(near["models"]["polychromify"].values()), near["gray"])):
        mean, spread, count = seed_spread([100 * s["auc"] for s in ours])
        points[where] = {"gap": 100 * his["auc"] - mean, "spread": spread, "count": count,
                         "over_gray": mean - 100 * gray["auc"], "his_over_gray": 100 * (his["auc"] - gray["auc"])}
    whole, closer = points["whole"], points["near"]
    text = (f"Seen {near['zoom']}x closer, the author's model leads our mean by {closer['gap']:.1f} AuC points "
            f"instead of {whole['gap']:.1f} on the whole photos")
    if closer["count"] > 1:
        text += (f" (our {closer['count']} seeds are {whole['spread']:.1f} and {closer['spread']:.1f} points apart)")
    text += ". "
    shrink = whole["gap"] - closer["gap"]
    if closer["gap"] <= 0:
        text += "**At our training photos' framing his lead is gone**: framing explains it."
    elif shrink > 0:
        text += (f"**Framing explains about {100 * shrink / whole['gap']:.0f} % of his lead, not all of it**"
                 + (f"; what is left is {'still more than' if closer['gap'] > closer['spread'] else 'within'} the "
                    "spread between our seeds." if closer["count"] > 1 else "."))
    else:
        text += "**Framing does not explain his lead**: it does not shrink when the photos are seen closer."
    text += (f" Against gray, his model gains {whole['his_over_gray']:.1f} AuC points on the whole photos and "
             f"{closer['his_over_gray']:.1f} closer; ours {whole['over_gray']:+.1f} and {closer['over_gray']:+.1f}.")
    return text


def protocol_note(study: dict) -> str:
    """Plain sentences: the author's data protocol at the paper's scale against ours, same arithmetic and seed,
    on the other collection, read against the spread of our float32 seeds."""
    protocol = study.get("protocol") or {}
    if set(protocol) != {"author_data", "polychromify"}:
        return ("The paper-scale run under the author's data protocol, or the final model's run in its arithmetic, "
                "is not in the stored study yet.")
    his, ours = protocol["author_data"], protocol["polychromify"]
    change = 100 * (his["folder"]["auc"] - ours["folder"]["auc"])
    rmse = his["folder"]["ab_rmse"] - ours["folder"]["ab_rmse"]
    seeds = study["models"]["polychromify"].get("seeds", {})
    spread = seed_spread([100 * s["auc"] for s in seeds.values()])[1]
    text = (f"At the paper's scale ({his['precision']}, seed {his['seed']}), our model trained under the author's "
            f"data protocol scores an AuC of {100 * his['folder']['auc']:.1f} and an ab RMSE of "
            f"{his['folder']['ab_rmse']:.2f} on the other collection, against {100 * ours['folder']['auc']:.1f} "
            f"and {ours['folder']['ab_rmse']:.2f} under ours: {change:+.1f} AuC points and {rmse:+.2f} ab RMSE.")
    if len(seeds) > 1:
        text += (f" The AuC change is {'**larger than**' if abs(change) > spread else 'within'} the "
                 f"{spread:.1f} points between our float32 seeds.")
    gap = 100 * (study["models"]["author_model"]["folder"]["auc"] - his["folder"]["auc"])
    return text + f" The author's own trained model is still {gap:.1f} points above it."


def ablation_note(study: dict, baseline: str = "polychromify") -> str:
    """Plain sentences: how much each ablation moves the other collection's AuC from our recipe's, set against
    how far our recipe's own seeds are apart."""
    table = ablations(study)
    label = LABELS[baseline]
    if label not in table.index:
        return "The ablation runs are not in the store yet."
    col = ("other collection", f"{STUDY_METRICS['auc']} mean")
    spread = table.loc[label, ("other collection", f"{STUDY_METRICS['auc']} spread")]
    seeds = int(table.loc[label, ("", "seeds")])
    base = table.loc[label, col]
    text = [f"With our recipe the ablation runs reach an AuC of {100 * base:.1f} on the other collection"
            + (f"; its {seeds} seeds are {100 * spread:.1f} points apart." if seeds > 1 else
               " (one seed only: the spread between seeds is not measured yet, so no change below can be called "
               "larger than noise).")]
    for name in table.index.drop(label):
        change = table.loc[name, col] - base
        size = ("larger than the spread between seeds" if seeds > 1 and abs(change) > spread else
                "within the spread between seeds" if seeds > 1 else "")
        sign = "+" if change >= 0 else "\u2212"
        text.append(f"{name}: {sign}{100 * abs(change):.1f} points"
                    + (f", {size}" if size else "") + ".")
    others = table.index.drop(label)
    if len(others) and (table.loc[others, col] < base).all():
        text.append("None of the author's choices makes our model generalize better at this budget: his trained "
                    "model's advantage is not explained by his output layer or his data protocol.")
    elif len(others):
        best = table.loc[others, col].idxmax()
        text.append(f"Of the author's choices, {best} helps most.")
    return " ".join(text)


def epochs_note(study: dict, metric: str = "auc") -> str:
    """Plain sentences: after which stored epoch our model did best on the other collection, and how it ends."""
    points = study["epochs"]["points"]
    if not points:
        return "No checkpoint of the run is in the repository's history."
    best = max(points, key=lambda p: p["folder"][metric])
    last = points[-1]
    his = study["models"]["author_model"]["folder"][metric]
    gray = study["baselines"]["gray"][metric]
    text = (f"On the other collection our model does best after epoch {best['epoch']} (AuC "
            f"{100 * best['folder'][metric]:.1f}) and ends, after epoch {last['epoch']}, at "
            f"{100 * last['folder'][metric]:.1f}: ")
    text += ("training longer fits the landscape collection at the expense of other photos. "
             if best["epoch"] != last["epoch"] else "it improves until the end. ")
    text += (f"Even at its best it stays {100 * (his - best['folder'][metric]):.1f} points below the author's model"
             if best["folder"][metric] < his else "At its best it reaches the author's model")
    text += (f", and {'above' if best['folder'][metric] > gray else '**below**'} the gray baseline "
             f"({100 * gray:.1f}).")
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


def summary(table: pd.DataFrame, data: dict, profile, column: str = "test accuracy") -> list[str]:
    """The landing page's three lines: what was reproduced and at what scale, whether the paper's ranking held,
    and how the final model's number compares with the paper's against the spread between seeds.

    ``table``: ``tables.table2`` of the comparison rows (the paper's models); ``data``: the runs' data record."""
    part = table[column]
    ours_column = next(c for c in part.columns if c.startswith("ours"))
    mine, theirs = part[ours_column].astype(float), part[PAPER].astype(float)
    trained = [str(row) for row in mine.dropna().index]
    photos = "synthetic landscapes" if data.get("synthetic") else f"{data['used']:,} real photos"
    lines = [f"Reproduced: Table 2 of the paper ({', '.join(map(str, table.index))}), retrained from scratch at "
             f"the `{profile.name}` profile ({profile.image_size} px, {profile.epochs} epochs) on {photos}; "
             f"models trained so far: {len(trained)} of {len(table)}."]
    both = mine.dropna().index.intersection(theirs.dropna().index)
    final = LABELS["polychromify"]
    spread = float(part[SPREAD].astype(float).get(final, float("nan"))) if SPREAD in part.columns else float("nan")
    if len(both) >= 2:
        order = lambda s: " > ".join(s[both].sort_values(ascending=False).index)  # noqa: E731
        held = order(mine) == order(theirs)
        lines.append(f"The paper's ranking by {column}, {order(theirs)}, "
                     + ("**holds** in ours." if held else f"**does not hold**: ours is {order(mine)}."))
        width = mine[both].max() - mine[both].min()
        if width <= spread:  # NaN (one seed) compares False
            lines[-1] += (f" Our {len(both)} models lie within {width:.4f} of each other, inside the spread between "
                          f"the final model's seeds ({spread:.4f}): our own order is not settled either.")
    else:
        lines.append(f"Too few models are trained yet to compare the paper's ranking by {column}.")
    if final in both:
        gap = mine[final] - theirs[final]
        within = ("within the spread between our seeds" if abs(gap) <= spread else
                  "larger than the spread between our seeds" if spread == spread else
                  "with one seed only, so no spread to read it against")
        seeds = int(part["seeds"].get(final, 1)) if "seeds" in part.columns else 1
        mean = f" (the mean of {seeds} seeds)" if seeds > 1 else ""
        lines.append(f"The final model's {column} is {mine[final]:.4f}{mean} against the paper's {theirs[final]:.4f}: "
                     f"{abs(gap):.4f} {'lower' if gap < 0 else 'higher'}, {within}"
                     + (f" ({spread:.4f})." if spread == spread else "."))
    return lines


def beyond_note(study: dict, reference: str = "polychromify") -> str:
    """Plain sentences phrasing the study's decisions (``beyond``'s readings): each alternative against the final
    model at the same profile, one verdict per claim of the paper that the study tests, each variant against its
    base, and the ECCV16s on vividness."""
    def changes(gains: dict, where: str) -> str:
        return ", ".join(f"{METRICS[k.split('/')[1]].label} {'+' if v >= 0 else chr(0x2212)}{abs(v):.3f}"
                         for k, v in gains.items() if k.startswith(f"{where}/"))

    def read(reading) -> str:
        if not reading.noise:
            return "; one seed each, so not yet read against the spread between seeds."
        folder = reading.folder()
        within = [METRICS[k].label for k, v in folder.items() if abs(v) <= reading.noise[k]]
        whose = (f"the final model's {reading.seeds} seeds" if reading.noise_of == reference else
                 f"the {reading.seeds} seeds of {LABELS.get(reading.noise_of, reading.noise_of)}")
        return (f"; read against the spread of {whose} there ("
                + ", ".join(f"{METRICS[k].label} {reading.noise[k]:.3f}" for k in folder) + ")"
                + (f": within it on {', '.join(within)}." if within else ": every change is larger."))

    if not any(m["experiment"] == reference for m in study["models"].values()):
        return "The final model's runs are not in the study yet."
    lines = []
    for profile in PROFILES:
        for name, gains in verdicts(study, profile, reference).items():
            better = [k for k, v in gains.items() if k.startswith("folder/") and v > 0]
            test = (f"on the landscape test split: {changes(gains, 'test')}" if any(k.startswith("test/") for k in gains)
                    else "its landscape test split is another protocol's (the author's, duplicates of training photos "
                         "among it), so not compared")
            lines.append(f"- **{LABELS.get(name, name)}** ({profile} profile) against the final model at the same "
                         f"profile, on the other collection: better on {len(better)} of {len(MEASURES)} measures "
                         f"({changes(gains, 'folder')}); {test} (+ means better).")
    for name, reading in claim_readings(study, reference).items():
        where, claim, change = CLAIMS[name]
        if reading is None:
            lines.append(f"- Claim {where}, *{claim}*: not tested yet (the run of {LABELS[name]} is pending).")
            continue
        lines.append(f"- Claim {where}, *{claim}*: **{reading.verdict}** by {change}, at the {reading.profile} "
                     f"profile on the other collection ({changes(reading.gains, 'folder')}){read(reading)}")
    for name, reading in variant_readings(study).items():
        change = VARIANTS[name][1]
        lines.append(f"- **{change[0].upper() + change[1:]}** ({LABELS.get(name, name)} against "
                     f"{LABELS.get(reading.base, reading.base)}, {reading.profile} profile): **{reading.verdict}** on "
                     f"the other collection ({changes(reading.gains, 'folder')}){read(reading)}")
    for name, (group, gains, verdict) in vividness_verdicts(study, reference).items():
        lines.append(f"- Claim V.C and VI, *Zhang et al.'s methods give more vivid colours than the final model*, "
                     f"with {LABELS.get(name, name)} trained from scratch on the same photos, against the final "
                     f"model's {group} runs: **{verdict}** on the two measures of vividness (rebalanced AuC and "
                     f"colourfulness gap), on the other collection ({changes(gains, 'folder')}); on the landscape "
                     f"test split: {changes(gains, 'test')} (+ means better).")
    seeds = {p: seed_count(study, reference, p) for p in PROFILES}
    caveat = ("Seeds of the final model: " + ", ".join(f"{n} at the {p} profile" for p, n in seeds.items() if n)
              + ". Where a profile has one seed the spread between seeds is not measured there, so differences of "
              "this size are not yet known to be larger than what another seed alone would change.")
    return "\n".join(lines) + "\n\n" + caveat


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


def selection_reading(table: pd.DataFrame, runs: dict) -> str:
    """Whether the paper's own reading of its Fig. 3 (AE v2 best) holds in our runs."""
    values = table[("validation accuracy", ours_label(runs))].astype(float).dropna()
    if values.empty:
        return ""
    best, claimed = values.idxmax(), LABELS[paper.SELECTION_BEST]
    worst, claimed_worst = values.idxmin(), LABELS[paper.SELECTION_WORST]
    return (f"The paper's own reading of Fig. 3, {claimed} best, {'holds' if best == claimed else '**does not hold**'} "
            f"in our run (best: {best}); {claimed_worst} far behind "
            f"{'holds' if worst == claimed_worst else '**does not hold**'} (worst: {worst}).")


def tuning_notebook_note(runs: dict) -> str:
    """The CNN's and ECCV16's final validation accuracies: the author's notebook's beside ours."""
    mine = {name: f"{runs[name].history['val_accuracy'][-1]:.4f}" if name in runs else "not trained yet"
            for name in ("cnn", "eccv16")}
    return ("The CNN's and ECCV16's final validation accuracies are not in the paper (only their curves in Fig. 4); "
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
