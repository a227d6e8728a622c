"""The book's tables as pandas DataFrames: the paper's numbers (``paper``) beside ours, read from stored runs.

Numbers stay numbers (NaN where a value is unknown); ``style`` formats a table for display, writing
"n/a" for the missing ones. ``runs`` arguments map experiment names to finished ``results.Run`` folders.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import paper
from .experiments import EXPERIMENTS, SELECTION, TUNING
from .paper import NOTEBOOK, PAPER

LABELS = {  # experiment -> short name in tables and legends
    "ae_v0": "AE v0", "ae_v1": "AE v1", "ae_v2": "AE v2", "ae_v3": "AE v3", "cnn_selection": "CNN",
    "polychromify_v1": "PolyChromify v1", "polychromify_v2": "PolyChromify v2", "polychromify": "PolyChromify",
    "polychromify_v4": "PolyChromify v4", "polychromify_v5": "PolyChromify v5", "cnn": "CNN", "eccv16": "ECCV16",
    "eccv16_zhang": "ECCV16, Zhang's recipe (beyond the paper)",
    "author_model": "PolyChromify, the author's weights",
    "polychromify_author_data": "PolyChromify, the author's data protocol",
    "polychromify_conv_output": "PolyChromify, the author's Conv2D output",
    "polychromify_conv_output_author_data": "the author's recipe (his output and data protocol)",
}

METRICS = {  # key in metrics.json -> column label (arrow: which way is better)
    "accuracy": "accuracy \u2191",
    "psnr": "PSNR [dB] \u2191",
    "ssim": "SSIM \u2191",
    "auc": "AuC \u2191",
    "colorfulness_pred": "colorfulness",
    "colorfulness_gap": "colorfulness gap \u2193",
    "ab_rmse": "ab RMSE \u2193",
    "ciede2000": "CIEDE2000 \u2193",
}


# ---------------------------------------------------------------- labels

def is_synthetic(runs: dict) -> bool:
    """Whether any of the runs was trained on synthetic landscapes."""
    return any(run.config["data"].get("synthetic") for run in runs.values())


def ours(runs: dict) -> str:
    """The column label of our numbers, e.g. "ours (quick profile)"; "ours" without runs."""
    profiles = sorted({run.config["profile"]["name"] for run in runs.values()})
    return f"ours ({'/'.join(profiles)} profile)" if profiles else "ours"


def pending_note(names) -> str:
    """A plain sentence naming the experiments the store lacks at this profile (empty if none)."""
    if not names:
        return ""
    return (f"Not trained at this profile yet: {', '.join(LABELS.get(n, n) for n in names)} (the campaign, "
            "`polychromify campaign`, trains them).")


def _data(run) -> str:
    data = run.config["data"]
    return "synthetic" if data.get("synthetic") else f"real ({data['used']:,} photos)"


# ---------------------------------------------------------------- the data

def data_report(report) -> pd.DataFrame:
    """What cleaning found and did (a ``data.DataReport``), one row per step."""
    rows = {
        "image files found": report.found,
        "other files ignored": report.ignored,
        "decoded": report.decoded,
        "skipped (not decodable or checksum)": len(report.skipped),
        "duplicates removed": len(report.duplicates),
        "black borders cropped": len(report.cropped),
        "dropped: too small after cropping": len(report.too_small),
        "near-gray removed": len(report.near_gray),
        "usable after cleaning": report.usable,
        f"used ({report.image_size} px)": report.used,
    }
    if report.synthetic:
        rows = {k: v for k, v in rows.items() if k.startswith(("usable", "used"))}
    return pd.DataFrame({"photos": pd.Series(rows, dtype="Int64")})


def split_sizes(sizes: dict, label: str) -> pd.DataFrame:
    """Split sizes (train/val/test) beside the paper's 2752/688/860, with their fractions."""
    index = ["train", "val", "test", "total"]
    ours_sizes = {**sizes, "total": sum(sizes.get(s, 0) for s in ("train", "val", "test"))}
    table = pd.DataFrame({
        (PAPER, "photos"): [paper.SPLIT[s] for s in index],
        (PAPER, "fraction"): [paper.SPLIT[s] / paper.SPLIT["total"] for s in index],
        (label, "photos"): [ours_sizes.get(s, 0) for s in index],
        (label, "fraction"): [ours_sizes.get(s, 0) / max(ours_sizes["total"], 1) for s in index],
    }, index=index)
    return table


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


def low_chroma_fraction(y: np.ndarray, threshold: float = 10.0) -> float:
    """Fraction of pixels of model-space Y whose chroma sqrt(a^2 + b^2) is below ``threshold`` Lab units."""
    from .color import AB_SCALE
    ab = np.asarray(y, np.float32).reshape(-1, 2) * AB_SCALE
    return float(np.mean(np.hypot(ab[:, 0], ab[:, 1]) < threshold))


# ---------------------------------------------------------------- the models

def models(image_size: int = 128) -> pd.DataFrame:
    """Every model of the paper built live: section, layers, output shape, parameters, ours beside the
    paper's printed (rounded) count where Table 2 gives one, and whether ours rounds to it."""
    from .models import build_model
    rows = {}
    for name, experiment in EXPERIMENTS.items():
        if experiment.model == "author_model" or experiment.data_protocol != "ours":
            continue  # the same network as another row
        label = LABELS[experiment.model] if experiment.model != "polychromify" else "PolyChromify (v3)"
        if label in rows:  # cnn_selection is the same network as cnn
            rows[label]["paper section"] += f"; {experiment.section}"
            continue
        model = build_model(experiment.model, image_size)
        printed = paper.TABLE2.get(experiment.model, {})
        rows[label] = {"description": experiment.title, "paper section": experiment.section,
                       "layers": len(model.layers) - 1, "output shape": str(tuple(model.output_shape[1:])),
                       "parameters": model.count_params(),
                       "parameters (paper)": printed.get("params_printed", ""),
                       "rounds to the paper's": (paper.params_agree(model.count_params(), printed["params"])
                                                 if printed else None)}
    return pd.DataFrame.from_dict(rows, orient="index")


def receptive_field(model) -> int:
    """Side in input pixels of the square one output pixel depends on (square kernels, sequential model)."""
    from keras import layers as keras_layers
    side, jump = 1, 1
    for layer in model.layers:
        if isinstance(layer, keras_layers.Conv2D):
            side += (layer.kernel_size[0] - 1) * layer.dilation_rate[0] * jump
            jump *= layer.strides[0]
        elif isinstance(layer, (keras_layers.MaxPooling2D, keras_layers.AveragePooling2D)):
            side += (layer.pool_size[0] - 1) * jump
            jump *= layer.strides[0]
        elif isinstance(layer, keras_layers.UpSampling2D):
            jump = max(1, jump // layer.size[0])
    return side


def layers(model) -> pd.DataFrame:
    """A Keras model's layers: type, output shape and parameters."""
    return pd.DataFrame(
        [{"layer": layer.name, "type": type(layer).__name__, "output shape": str(tuple(layer.output.shape[1:])),
          "parameters": layer.count_params()} for layer in model.layers]).set_index("layer")


# ---------------------------------------------------------------- section V.A

def selection(runs: dict) -> pd.DataFrame:
    """Section V.A: the validation accuracy of AE v0..v3 and the CNN, ours beside the author's notebook's (the
    paper prints no number for this section, only Fig. 3)."""
    label = ours(runs)
    rows = {}
    for name in SELECTION:
        run = runs.get(name)
        rows[LABELS[name]] = {
            ("parameters", label): run.provenance["params"] if run else np.nan,
            ("train / val photos", NOTEBOOK): "800 / 200",
            ("train / val photos", label): (f"{run.provenance['train_images']} / {run.provenance['val_images']}"
                                            if run else ""),
            ("epochs", NOTEBOOK): 25,
            ("epochs", label): run.config["epochs"] if run else np.nan,
            ("validation accuracy", NOTEBOOK): paper.SELECTION_VAL_ACCURACY_NOTEBOOK.get(name, np.nan),
            ("validation accuracy", label): run.history["val_accuracy"][-1] if run else np.nan,
            ("run", "precision"): _precision(run) if run else "",
            ("run", "data"): _data(run) if run else PENDING,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------- seeds and the noise they set

PENDING = "pending: not trained at this profile yet"
SPREAD = "\u00b1 seeds"  # column label: the spread (largest minus smallest) over the final model's seeds


def seed_spread(values) -> tuple[float, float, int]:
    """(mean, spread = largest minus smallest, count) of one score over seeds; spread NaN below two seeds."""
    values = [float(v) for v in values]
    if not values:
        return np.nan, np.nan, 0
    return float(np.mean(values)), float(np.ptp(values)) if len(values) > 1 else np.nan, len(values)


def noise_verdict(mine: float, theirs: float, noise: float, higher_is_better: bool = True) -> str:
    """Ours against the paper's, read against the noise between seeds: "within noise", "better" or "worse"
    (beyond the spread), or why there is no verdict."""
    if np.isnan(mine):
        return PENDING
    if np.isnan(theirs):
        return "no printed value"
    if np.isnan(noise):
        return "no verdict: one seed only"
    if abs(mine - theirs) <= noise:
        return "within noise"
    return "better" if (mine > theirs) == higher_is_better else "worse"


def _scores(name: str, runs: dict, seeds: dict | None, score) -> tuple[float, float, int]:
    """An experiment's score over its seed runs (``seeds[name]``), else its one run's; NaN if it has none."""
    if seeds and seeds.get(name):
        return seed_spread([score(r) for r in seeds[name]])
    return seed_spread([score(runs[name])] if name in runs else [])


def noise_of(seeds: dict | None, score, name: str = "polychromify") -> float:
    """The spread of the final model's score over its seeds: what every comparison is read against."""
    return _scores(name, {}, seeds, score)[1] if seeds else np.nan


# ---------------------------------------------------------------- Table 1

def _minutes(run) -> float:
    return run.provenance["timings"]["train_seconds_total"] / 60


def _cpu(run) -> str:
    return run.provenance.get("machine", {}).get("cpu", {}).get("model", "?")


def _val_accuracy(run) -> float:
    return run.history["val_accuracy"][-1]


def _test_accuracy(run) -> float:
    return run.metrics["model"]["test"]["accuracy"]


def _precision(run) -> str:
    return run.config["profile"]["precision"]


def table1(runs: dict, seeds: dict | None = None) -> pd.DataFrame:
    """Table 1: the five tuned versions as the paper prints them (neurons, filters, S/U, BN), with validation
    accuracy and training time, the paper's beside ours, and a verdict read against the seed spread.

    ``seeds`` maps an experiment to its runs with different seeds (the final model's): its row shows their
    mean and spread. Versions without a run show as pending.
    """
    label = ours(runs)
    noise = noise_of(seeds, _val_accuracy)
    rows = {}
    for name in TUNING:
        run, printed = runs.get(name), paper.TABLE1[name]
        mean, spread, n = _scores(name, runs, seeds, _val_accuracy)
        rows[printed["version"]] = {
            ("configuration", "neurons"): printed["neurons"],
            ("configuration", "filters"): printed["filters"],
            ("configuration", "S/U"): "yes" if printed["strided"] else "no",
            ("configuration", "BN"): "yes" if printed["batch_norm"] else "no",
            ("parameters", label): run.provenance["params"] if run else np.nan,
            ("validation accuracy", PAPER): printed["val_accuracy"],
            ("validation accuracy", label): mean,
            ("validation accuracy", SPREAD): spread,
            ("validation accuracy", "seeds"): n,
            ("validation accuracy", "verdict"): noise_verdict(mean, printed["val_accuracy"], noise),
            ("training time [min]", PAPER): printed["time_s"] / 60,
            ("training time [min]", label): _minutes(run) if run else np.nan,
            ("run", "precision"): _precision(run) if run else "",
            ("run", "CPU"): _cpu(run) if run else "",
            ("run", "data"): _data(run) if run else PENDING,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------- Table 2 and the further metrics

def table2(runs: dict, seeds: dict | None = None, names=None) -> pd.DataFrame:
    """Table 2: parameters, training time and test accuracy, the paper's beside ours (mean and spread over
    ``seeds`` where given), with a verdict read against the final model's seed spread; the author's notebook's
    test accuracy where it differs from the printed one (the CNN). Rows the paper does not have (the
    author's own weights, Zhang's recipe) show ours only; ``names`` without a run show as pending."""
    label = ours(runs)
    noise = noise_of(seeds, _test_accuracy)
    rows = {}
    for name in names or runs:
        run = runs.get(name)
        printed = paper.TABLE2.get(name, {})
        notebook = paper.TABLE2_TEST_ACCURACY_NOTEBOOK.get(name, np.nan)
        differs = printed and paper.as_printed(notebook) != printed["test_accuracy"]
        mean, spread, n = _scores(name, runs, seeds, _test_accuracy)
        trained = run is not None and run.provenance["timings"]["train_seconds_total"]
        rows[LABELS[name]] = {
            ("parameters", PAPER): printed.get("params_printed", ""),
            ("parameters", label): run.provenance["params"] if run else np.nan,
            ("training time [min]", PAPER): printed["time_s"] / 60 if printed else np.nan,
            ("training time [min]", label): _minutes(run) if trained else np.nan,
            ("test accuracy", PAPER): printed.get("test_accuracy", np.nan),
            ("test accuracy", NOTEBOOK): notebook if differs else np.nan,
            ("test accuracy", label): mean,
            ("test accuracy", SPREAD): spread,
            ("test accuracy", "seeds"): n,
            ("test accuracy", "verdict"): (noise_verdict(mean, printed["test_accuracy"], noise) if printed
                                           else PENDING if run is None else "not in the paper"),
            ("run", "precision"): _precision(run) if run else "",
            ("run", "CPU"): _cpu(run) if run else "",
            ("run", "data"): _data(run) if run else PENDING,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def further_metrics(runs: dict, split: str = "test", baselines_from: str = "polychromify") -> pd.DataFrame:
    """Every metric of each run on a split, then the gray (ab = 0) and mean-ab baselines (ours only)."""
    rows = {LABELS[name]: run.metrics["model"][split] for name, run in runs.items()}
    reference = runs.get(baselines_from) or next(iter(runs.values()))
    rows["gray baseline (ab = 0)"] = reference.metrics["gray"][split]
    rows["mean-ab baseline"] = reference.metrics["mean_ab"][split]
    table = pd.DataFrame.from_dict(rows, orient="index")[list(METRICS)].rename(columns=METRICS)
    truth = reference.metrics["model"][split]["colorfulness_true"]
    table.attrs["colorfulness_true"] = truth
    return table


def variants(runs: dict, split: str = "test") -> pd.DataFrame:
    """Every metric of variant runs of one experiment, by label, then each variant's change from the first."""
    table = pd.DataFrame.from_dict({label: run.metrics["model"][split] for label, run in runs.items()},
                                   orient="index")[list(METRICS)].rename(columns=METRICS)
    first = table.index[0]
    for label in list(table.index[1:]):
        table.loc[f"change: {label} \u2212 {first}"] = table.loc[label] - table.loc[first]
    return table


# ---------------------------------------------------------------- prose

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
    how much a different seed alone changes them (``experiments.precision_study``'s runs, by label)."""
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
    seed_label = next((label for label in runs if label.startswith("float32, seed")), None)
    if seed_label is None:
        return text
    seeded = runs[seed_label].metrics["model"][split]
    names = {"psnr": "PSNR", "ssim": "SSIM", "ab_rmse": "ab RMSE", "ciede2000": "CIEDE2000"}
    within = [n for k, n in names.items() if abs(b16[k] - f32[k]) <= abs(seeded[k] - f32[k])]
    beyond = [n for n in names.values() if n not in within]
    moves = ", ".join(f"{abs(seeded[k] - f32[k]):.{4 if k == 'ssim' else 2}f}" for k in names)
    text += f"Changing only the seed ({seed_label}) moves them by {moves} respectively. "
    if not beyond:
        return text + "Every change bf16 makes is within what a different seed alone does: it keeps the quality."
    if not within:
        return text + "**bf16 moves every score more than a different seed does**: it costs quality here."
    return text + (f"bf16's change is within a different seed's on {', '.join(within)}, **but larger on "
                   f"{', '.join(beyond)}**.")


# ---------------------------------------------------------------- display

def style(table: pd.DataFrame, precision: int = 4):
    """The table formatted for the book: ``precision`` decimals (seconds, parameters and photo counts:
    none), thousands separators, "n/a" for missing values."""
    def whole(column) -> bool:
        text = " ".join(column) if isinstance(column, tuple) else str(column)
        counted = any(w in text for w in ("[s]", "parameters", "photos")) or (
            isinstance(column, tuple) and column[-1] == "seeds")
        return pd.api.types.is_numeric_dtype(table[column]) and counted
    styler = table.style.format(precision=precision, thousands=",", na_rep="n/a")
    wholes = [c for c in table.columns if whole(c)]
    return styler.format("{:,.0f}", subset=wholes, na_rep="n/a") if wholes else styler


# ---------------------------------------------------------------- our model and the author's

STUDY_METRICS = {"auc": "AuC \u2191", "ab_rmse": "ab RMSE \u2193", "psnr": "PSNR [dB] \u2191",
                 "accuracy": "accuracy \u2191"}


def generalization(study: dict, folder_label: str = "other collection") -> pd.DataFrame:
    """The author's trained model and our paper-profile model on another collection's photos and on our
    landscape test split, with the gray and mean-ab baselines (``generalization.run_study``'s file)."""
    rows = {}
    for name in ("author_model", "polychromify"):
        entry = study["models"][name]
        rows[LABELS[name] + (" (paper profile)" if name == "polychromify" else "")] = {
            **{(folder_label, label): entry["folder"][key] for key, label in STUDY_METRICS.items()},
            **{("landscape test split", label): entry["test"][key] for key, label in STUDY_METRICS.items()}}
    for name, label in (("gray", "gray baseline (ab = 0)"), ("mean_ab", "mean-ab baseline")):
        rows[label] = {**{(folder_label, m): study["baselines"][name][k] for k, m in STUDY_METRICS.items()},
                       **{("landscape test split", m): study.get("baselines_test", {}).get(name, {}).get(k, np.nan)
                          for k, m in STUDY_METRICS.items()}}
    return pd.DataFrame.from_dict(rows, orient="index")


def ablations(study: dict, folder_label: str = "other collection", keys=("auc", "ab_rmse")) -> pd.DataFrame:
    """Each ablation of the study: mean and spread (max - min) over its seeds, on the other collection and
    on the landscape test split, with the number of seeds."""
    groups: dict[str, list] = {}
    for entry in study["models"].values():
        if entry["profile"] == "ablation":
            groups.setdefault(entry["experiment"], []).append(entry)
    rows = {}
    for name, entries in groups.items():
        row = {("", "seeds"): len(entries)}
        for where, field in ((folder_label, "folder"), ("landscape test split", "test")):
            for key in keys:
                values = np.array([e[field][key] for e in entries], float)
                row[(where, f"{STUDY_METRICS[key]} mean")] = values.mean()
                row[(where, f"{STUDY_METRICS[key]} spread")] = values.max() - values.min()
        rows[LABELS.get(name, name)] = row
    return pd.DataFrame.from_dict(rows, orient="index")


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
    return " ".join(parts)


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
