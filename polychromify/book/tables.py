"""The book's tables as pandas DataFrames: the paper's numbers (``paper``) beside ours, read from stored runs.

Numbers stay numbers (NaN where a value is unknown); ``style`` formats a table for display, writing
"n/a" for the missing ones. ``runs`` arguments map experiment names to finished ``results.Run`` folders.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from polychromify.product import paper
from polychromify.product.color import AB_SCALE
from polychromify.product.metrics import METRICS, TABLE_KEYS
from polychromify.product.models import build_model
from polychromify.product.paper import NOTEBOOK, PAPER
from polychromify.studies.beyond import MEASURES
from polychromify.studies.generalization import MEASURES as GENERALIZATION_KEYS
from polychromify.studies.study import against_paper, runs_label, seeds_label
from polychromify.training.experiments import EXPERIMENTS, LABELS, SELECTION, TUNING
from polychromify.training.results import run_key

METRIC_COLUMNS = {key: METRICS[key].column for key in TABLE_KEYS}  # key -> column title (the registry's)


# ---------------------------------------------------------------- labels

def is_synthetic(runs: dict) -> bool:
    """Whether any of the runs was trained on synthetic landscapes."""
    return any(run.config["data"].get("synthetic") for run in runs.values())


def ours(runs: dict) -> str:
    """The column label of our numbers, e.g. "ours (quick profile)"; "ours" without runs."""
    profiles = sorted({run.config["profile"]["name"] for run in runs.values()})
    return f"ours ({'/'.join(profiles)} profile)" if profiles else "ours"


def data_label(profile_name: str, data: dict) -> str:
    """The column label of our split (a ``Dataset.provenance`` record), e.g. "ours (paper profile)"."""
    return f"ours ({profile_name} profile{', synthetic data' if data.get('synthetic') else ''})"


def _data(run) -> str:
    data = run.config["data"]
    return "synthetic" if data.get("synthetic") else f"real ({data['used']:,} photos)"


# ---------------------------------------------------------------- the data

def data_report(report) -> pd.DataFrame:
    """What cleaning found and did (a ``cleaning.DataReport``), one row per step."""
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


def typeset(printed: str) -> str:
    """A count as the paper prints it, "293 x 10^3", as it reads: "293 × 10³"."""
    superscript = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    mantissa, sep, exponent = printed.partition(" x 10^")
    return f"{mantissa} × 10{exponent.translate(superscript)}" if sep else printed


def low_chroma_fraction(y: np.ndarray, threshold: float = 10.0) -> float:
    """Fraction of pixels of model-space Y whose chroma sqrt(a^2 + b^2) is below ``threshold`` Lab units."""
    ab = np.asarray(y, np.float32).reshape(-1, 2) * AB_SCALE
    return float(np.mean(np.hypot(ab[:, 0], ab[:, 1]) < threshold))


# ---------------------------------------------------------------- the models

# Where the book describes a model otherwise than its experiment's title (a title is part of a run's fingerprint,
# so it stays as the runs were made): the U-Net adds down-sampling and skips, it does not replace a bottleneck.
DESCRIPTIONS = {"polychromify_unet": "PolyChromify as a U-Net (down-sampling with skip connections around it, "
                                     "341k parameters)"}


def models(image_size: int = 128) -> pd.DataFrame:
    """Every model of the paper built live: section, layers, output shape, parameters, ours beside the
    paper's printed (rounded) count where Table 2 gives one, and whether ours rounds to it."""
    rows = {}
    for name, experiment in EXPERIMENTS.items():
        if not experiment.trained or experiment.data_protocol != "ours":
            continue  # the same network as another row
        label = LABELS[experiment.model] if experiment.model != "polychromify" else "PolyChromify (v3)"
        if label in rows:  # cnn_selection is the same network as cnn
            if experiment.section not in rows[label]["paper section"].split("; "):
                rows[label]["paper section"] += f"; {experiment.section}"
            continue
        model = build_model(experiment.model, image_size)
        printed = paper.TABLE2.get(experiment.model, {})
        rows[label] = {"description": DESCRIPTIONS.get(name, experiment.title), "paper section": experiment.section,
                       "layers": len(model.layers) - 1, "output shape": str(tuple(model.output_shape[1:])),
                       "parameters": model.count_params(),
                       "parameters (paper)": typeset(printed.get("params_printed", "")),
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


# ---------------------------------------------------------------- runs and their range

PENDING = "pending: not trained at this profile yet"
RANGE = "range over runs"   # column label: largest minus smallest over an experiment's runs (what varied: the text)
RUNS = "runs"               # column label: which runs a number is ("seed 42 alone", "mean of 3 runs (seeds ...)")


def over_runs(values) -> tuple[float, float, int]:
    """(mean, range = largest minus smallest, count) of one score over runs; range NaN below two runs."""
    values = [float(v) for v in values]
    if not values:
        return np.nan, np.nan, 0
    return float(np.mean(values)), float(np.ptp(values)) if len(values) > 1 else np.nan, len(values)


def runs_of(name: str, runs: dict, seeds: dict | None) -> list:
    """An experiment's runs: its seed runs (``seeds[name]``) where given, else its one run; [] if none."""
    if seeds and seeds.get(name):
        return list(seeds[name])
    return [runs[name]] if name in runs else []


def _paper_verdict(found: list, printed: float, score, metric: str = "accuracy"):
    """Ours against the paper's printed value under the one rule (``study.against_paper``), or None."""
    if not found or printed != printed:
        return None
    return against_paper([score(r) for r in found], printed, metric, tuple(run_key(r) for r in found))


# ---------------------------------------------------------------- Table 1

def _minutes(run) -> float:
    return run.provenance["timings"]["train_seconds_total"] / 60


def _val_accuracy(run) -> float:
    return run.history["val_accuracy"][-1]


def _test_accuracy(run) -> float:
    return run.metrics["model"]["test"]["accuracy"]


def _precision(run) -> str:
    return run.config["profile"]["precision"]


def table1(runs: dict, seeds: dict | None = None) -> pd.DataFrame:
    """Table 1: the five tuned versions as the paper prints them (neurons, filters, S/U, BN), with validation
    accuracy and training time, the paper's beside ours, and the one rule's verdict against the printed value
    (``study.against_paper``; the comparisons are in ``attrs["verdicts"]``, by row).

    ``seeds`` maps an experiment to its runs with different seeds (the final model's): its row shows their
    mean and range and names them. Versions without a run show as pending.
    """
    label = ours(runs)
    rows, found_verdicts = {}, {}
    for name in TUNING:
        run, printed = runs.get(name), paper.TABLE1[name]
        found = runs_of(name, runs, seeds)
        mean, spread, n = over_runs([_val_accuracy(r) for r in found])
        verdict = _paper_verdict(found, printed["val_accuracy"], _val_accuracy)
        if verdict is not None:
            found_verdicts[printed["version"]] = verdict
        rows[printed["version"]] = {
            ("configuration", "neurons"): printed["neurons"],
            ("configuration", "filters"): printed["filters"],
            ("configuration", "S/U"): "yes" if printed["strided"] else "no",
            ("configuration", "BN"): "yes" if printed["batch_norm"] else "no",
            ("parameters", label): run.provenance["params"] if run else np.nan,
            ("validation accuracy", PAPER): printed["val_accuracy"],
            ("validation accuracy", label): mean,
            ("validation accuracy", RANGE): spread,
            ("validation accuracy", RUNS): runs_label(found) or PENDING,
            ("validation accuracy", "verdict"): verdict.verdict if verdict else PENDING,
            ("training time [min]", PAPER): printed["time_s"] / 60,
            ("training time [min]", label): _minutes(found[0]) if len(found) == 1 else np.nan,
            ("run", "data"): _data(run) if run else PENDING,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.attrs["verdicts"] = found_verdicts
    return table


# ---------------------------------------------------------------- Table 2 and the further metrics

def table2(runs: dict, seeds: dict | None = None, names=None) -> pd.DataFrame:
    """Table 2: parameters, training time and test accuracy, the paper's beside ours (mean and range over
    ``seeds`` where given, naming the runs), with the one rule's verdict against the printed value
    (``study.against_paper``, in ``attrs["verdicts"]`` by row); the author's notebook's test accuracy where it
    differs from the printed one (the CNN). Rows the paper does not have (the author's own weights, Zhang's
    recipe) show ours only; ``names`` without a run show as pending."""
    label = ours(runs)
    rows, found_verdicts = {}, {}
    for name in names or runs:
        run = runs.get(name)
        printed = paper.TABLE2.get(name, {})
        notebook = paper.TABLE2_TEST_ACCURACY_NOTEBOOK.get(name, np.nan)
        differs = printed and paper.as_printed(notebook) != printed["test_accuracy"]
        found = runs_of(name, runs, seeds)
        mean, spread, n = over_runs([_test_accuracy(r) for r in found])
        verdict = _paper_verdict(found, printed.get("test_accuracy", np.nan), _test_accuracy)
        if verdict is not None:
            found_verdicts[LABELS[name]] = verdict
        trained = [r for r in found if r.provenance["timings"]["train_seconds_total"]]
        rows[LABELS[name]] = {
            ("parameters", PAPER): typeset(printed.get("params_printed", "")),
            ("parameters", label): run.provenance["params"] if run else np.nan,
            ("training time [min]", PAPER): printed["time_s"] / 60 if printed else np.nan,
            ("training time [min]", label): _minutes(trained[0]) if len(trained) == 1 and len(found) == 1 else np.nan,
            ("test accuracy", PAPER): printed.get("test_accuracy", np.nan),
            ("test accuracy", NOTEBOOK): notebook if differs else np.nan,
            ("test accuracy", label): mean,
            ("test accuracy", RANGE): spread,
            ("test accuracy", RUNS): runs_label(found) or PENDING,
            ("test accuracy", "verdict"): (verdict.verdict if verdict else PENDING if run is None
                                           else "not in the paper"),
            ("run", "data"): _data(run) if run else PENDING,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.attrs["verdicts"] = found_verdicts
    return table


def further_metrics(runs: dict, split: str = "test", seeds: dict | None = None,
                    baselines_from: str = "polychromify") -> pd.DataFrame:
    """Every metric of each experiment on its runs' test splits (the mean over ``seeds[name]`` where given),
    each row naming its runs, then the gray (ab = 0) and mean-ab baselines on the same splits as
    ``baselines_from``'s runs (their mean)."""
    def mean_of(found, predictor):
        return {k: float(np.mean([r.metrics[predictor][split][k] for r in found])) for k in METRIC_COLUMNS
                if all(k in r.metrics[predictor][split] for r in found)} | {
            "colorfulness_true": float(np.mean([r.metrics["model"][split]["colorfulness_true"] for r in found]))}
    rows = {}
    for name in runs:
        found = runs_of(name, runs, seeds)
        rows[f"{LABELS[name]} ({runs_label(found)})"] = mean_of(found, "model")
    reference = runs_of(baselines_from, runs, seeds) or [next(iter(runs.values()))]
    where = (f" ({runs_label(reference).replace(' alone', '')}'s test split)" if len(reference) == 1 else
             f" (mean over the test splits of {LABELS[baselines_from]}'s {len(reference)} runs)")
    rows["gray baseline (ab = 0)" + where] = mean_of(reference, "gray")
    rows["mean-ab baseline" + where] = mean_of(reference, "mean_ab")
    table = pd.DataFrame.from_dict(rows, orient="index")
    truth = table["colorfulness_true"].iloc[0] if "colorfulness_true" in table else np.nan
    table = table.reindex(columns=list(METRIC_COLUMNS)).rename(columns=METRIC_COLUMNS)
    table.attrs["colorfulness_true"] = mean_of(reference, "model")["colorfulness_true"] if runs else truth
    return table


def paired(comparisons: dict[str, dict], keys=None) -> pd.DataFrame:
    """Paired comparisons under the one rule (``study.compare``), a row per entry: for each metric its verdict and
    its gain (> 0 is better) with the 95 % interval, in one cell; then the photos they were paired on."""
    rows = {}
    for label, found in comparisons.items():
        row = {}
        for key, c in found.items():
            if keys and key not in keys:
                continue
            d = _digits(key)
            row[METRICS[key].column] = f"{c.verdict}: {c.gain:+.{d}f} ({c.interval[0]:+.{d}f} to {c.interval[1]:+.{d}f})"
        row["photos"] = next(iter(found.values())).photos if found else np.nan
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _digits(key: str) -> int:
    """Decimals a metric is written with: fractions 4, dB and Lab units 2."""
    return 4 if METRICS[key].high == 1.0 else 2


def variants(runs: dict, split: str = "test") -> pd.DataFrame:
    """Every metric of variant runs of one experiment, by label (each naming its seed), then each variant's change
    from the first."""
    def named(label, run):
        seed = run.config.get("profile", {}).get("seed")
        return label if "seed" in label or seed is None else f"{label}, seed {seed}"
    table = pd.DataFrame.from_dict({named(label, run): run.metrics["model"][split] for label, run in runs.items()},
                                   orient="index")[list(METRIC_COLUMNS)].rename(columns=METRIC_COLUMNS)
    first = table.index[0]
    for label in list(table.index[1:]):
        table.loc[f"change: {label} \u2212 {first}"] = table.loc[label] - table.loc[first]
    return table


# ---------------------------------------------------------------- display

def style(table: pd.DataFrame, precision: int = 4):
    """The table formatted for the book: ``precision`` decimals (seconds, parameters and photo counts:
    none), thousands separators, "n/a" for missing values; a "data" column with one value for every run
    becomes the caption."""
    def whole(column) -> bool:
        text = " ".join(column) if isinstance(column, tuple) else str(column)
        counted = any(w in text for w in ("[s]", "parameters", "photos")) or (
            isinstance(column, tuple) and column[-1] in ("seeds", "runs"))
        return pd.api.types.is_numeric_dtype(table[column]) and counted
    caption = None
    data = ("run", "data")
    if data in table.columns and table[data].nunique() == 1 and PENDING not in set(table[data]):
        caption = f"Every run: {table[data].iloc[0]}."  # one value for all rows: said once, not in every row
        table = table.drop(columns=[data])
    styler = table.style.format(precision=precision, thousands=",", na_rep="n/a")
    wholes = [c for c in table.columns if whole(c)]
    styler = styler.format("{:,.0f}", subset=wholes, na_rep="n/a") if wholes else styler
    minutes = [c for c in table.columns if "[min]" in " ".join(c if isinstance(c, tuple) else [str(c)])
               and pd.api.types.is_numeric_dtype(table[c])]
    styler = styler.format("{:,.1f}", subset=minutes, na_rep="n/a") if minutes else styler
    return styler.set_caption(caption) if caption else styler


# ---------------------------------------------------------------- our model and the author's

STUDY_METRICS = {key: METRICS[key].column for key in GENERALIZATION_KEYS}


def generalization(study: dict, folder_label: str = "other collection", final: list | None = None) -> pd.DataFrame:
    """The author's trained model and our paper-profile model on another collection's photos and on our
    landscape test split, with the gray and mean-ab baselines (``generalization.run_study``'s file); with
    ``final`` (the final model's runs) our row is the mean over them, each on its own test split."""
    rows = {}
    for name in ("author_model", "polychromify"):
        entry = study["models"][name]
        which, folder, test = "his own weights", entry["folder"], entry["test"]
        if name == "polychromify":
            seed = entry.get("seed")
            which = "paper profile, " + (runs_label(final) if final else f"seed {seed} alone" if seed else "one run")
            if final:
                folder = _mean_seeds(entry)
                test = {k: float(np.mean([r.metrics["model"]["test"][k] for r in final])) for k in STUDY_METRICS}
        rows[f"{LABELS[name]} ({which})"] = {
            **{(folder_label, label): folder[key] for key, label in STUDY_METRICS.items()},
            **{("landscape test split", label): test[key] for key, label in STUDY_METRICS.items()}}
    for name, label in (("gray", "gray baseline (ab = 0; test split: seed 42's)"),
                        ("mean_ab", "mean-ab baseline (test split: seed 42's)")):
        rows[label] = {**{(folder_label, m): study["baselines"][name][k] for k, m in STUDY_METRICS.items()},
                       **{("landscape test split", m): study.get("baselines_test", {}).get(name, {}).get(k, np.nan)
                          for k, m in STUDY_METRICS.items()}}
    return pd.DataFrame.from_dict(rows, orient="index")


def _mean_seeds(entry: dict) -> dict:
    """The mean over a study entry's seeds (``seeds``: seed -> scores) of each score; its own scores without."""
    seeds = list((entry.get("seeds") or {}).values()) or [entry["folder"]]
    return {k: float(np.mean([s[k] for s in seeds])) for k in seeds[0]}


def framing(study: dict, keys=("auc", "ab_rmse")) -> pd.DataFrame:
    """The framing ablation of the generalization study: the author's model, our paper-profile seeds (mean and
    spread) and the gray baseline on the other collection's whole photos and on their central part enlarged."""
    near = study["framing"]
    closer = f"{near['zoom']}x closer (central part)"
    seeds = study["models"]["polychromify"].get("seeds") or {"": study["models"]["polychromify"]["folder"]}
    rows = {LABELS["author_model"]: (study["models"]["author_model"]["folder"], near["models"]["author_model"]),
            "gray baseline (ab = 0)": (study["baselines"]["gray"], near["gray"])}
    out = {}
    for label, (whole, closed) in rows.items():
        out[label] = {**{("whole photos", STUDY_METRICS[k]): whole[k] for k in keys},
                      **{(closer, STUDY_METRICS[k]): closed[k] for k in keys}}
    ours = {}
    for where, scores in (("whole photos", list(seeds.values())), (closer, list(near["models"]["polychromify"].values()))):
        for k in keys:
            mean, spread, _ = over_runs([s[k] for s in scores])
            ours[(where, STUDY_METRICS[k])] = mean
            ours[(where, f"{STUDY_METRICS[k]} {RANGE}")] = spread
    out[f"{LABELS['polychromify']} (paper profile, {seeds_label([int(s) for s in seeds]) if all(str(s).isdigit() for s in seeds) else 'one run'})"] = ours
    columns = [(where, name) for where in ("whole photos", closer) for k in keys
               for name in (STUDY_METRICS[k], f"{STUDY_METRICS[k]} {RANGE}")]  # each range beside its mean
    return pd.DataFrame.from_dict(out, orient="index").reindex(columns=pd.MultiIndex.from_tuples(columns))


def ablations(study: dict, folder_label: str = "other collection", keys=("auc", "ab_rmse")) -> pd.DataFrame:
    """Each ablation of the study: mean and range (max - min) over its runs, on the other collection and
    on the landscape test split, naming its runs."""
    groups: dict[str, list] = {}
    for entry in study["models"].values():
        if entry["profile"] == "ablation":
            groups.setdefault(entry["experiment"], []).append(entry)
    rows = {}
    for name, entries in groups.items():
        row = {("", RUNS): seeds_label([e["seed"] for e in entries])}
        for where, field in ((folder_label, "folder"), ("landscape test split", "test")):
            for key in keys:
                mean, spread, _ = over_runs([e[field][key] for e in entries])
                row[(where, STUDY_METRICS[key])] = mean
                if len(entries) > 1:
                    row[(where, f"{STUDY_METRICS[key]} {RANGE}")] = spread
        rows[LABELS.get(name, name)] = row
    return pd.DataFrame.from_dict(rows, orient="index")




def beyond(study: dict, folder_label: str = "other collection") -> pd.DataFrame:
    """The "Beyond the paper" study (``beyond.run_study``'s file): each model at each profile (mean over its
    seeds, with their number and its parameters) on the other collection and on that profile's landscape test
    split, the four measures (blank for a model trained under another data protocol: its test split is other
    photos); then the gray baseline and the references: the author's trained model (other collection only) and
    both ECCV16s."""
    names = {key: METRICS[key].column for key in MEASURES}
    places = ((folder_label, "folder"), ("landscape test split", "test"))
    groups: dict[tuple, list] = {}
    for entry in study["models"].values():
        groups.setdefault((entry["experiment"], entry["profile"]), []).append(entry)
    rows = {}
    for (name, profile), entries in groups.items():
        row = {("", RUNS): seeds_label([e["seed"] for e in entries]),
               ("", "parameters"): entries[0].get("parameters", np.nan)}
        for where, field in places:
            for key, label in names.items():
                values = [e[field][key] for e in entries if e.get(field) is not None]  # None: another split
                row[(where, label)] = float(np.mean(values)) if values else np.nan
        rows[f"{LABELS.get(name, name)} ({profile} profile)"] = row
    gray = study["baselines"]["gray"]
    for profile, test in gray["test"].items():
        rows[f"gray baseline (ab = 0), {profile} test split"] = {
            **{(folder_label, label): gray["folder"][key] for key, label in names.items()},
            **{("landscape test split", label): test[key] for key, label in names.items()}}
    for name, entry in study.get("references", {}).items():  # the ECCV16s on their test split too
        rows[LABELS.get(name, name) + " (paper profile)"] = {
            ("", "parameters"): entry.get("parameters", np.nan),
            **{(where, label): entry[field][key] if entry.get(field) else np.nan
               for where, field in places for key, label in names.items()}}
    return pd.DataFrame.from_dict(rows, orient="index")
