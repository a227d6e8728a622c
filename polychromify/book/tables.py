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
from polychromify.training.experiments import EXPERIMENTS, LABELS, SELECTION, TUNING

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

def models(image_size: int = 128) -> pd.DataFrame:
    """Every model of the paper built live: section, layers, output shape, parameters, ours beside the
    paper's printed (rounded) count where Table 2 gives one, and whether ours rounds to it."""
    rows = {}
    for name, experiment in EXPERIMENTS.items():
        if not experiment.trained or experiment.data_protocol != "ours":
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


def _hardware(run) -> str:
    """What trained the run: each training segment's accelerators (e.g. NVIDIA H200), else its CPU model, in
    the order the segments ran, each named once ("AMD EPYC + NVIDIA H200" for a run resumed on a GPU)."""
    def name(record: dict) -> str:
        return ", ".join(dict.fromkeys(record.get("accelerators") or [])) or \
            record.get("machine", {}).get("cpu", {}).get("model", "CPU not recorded")
    records = run.provenance.get("segments") or [run.provenance]
    return " + ".join(dict.fromkeys(name(r) for r in records))


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
            ("run", "hardware"): _hardware(run) if run else "",
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
            ("parameters", PAPER): typeset(printed.get("params_printed", "")),
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
            ("run", "hardware"): _hardware(run) if run else "",
            ("run", "data"): _data(run) if run else PENDING,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def further_metrics(runs: dict, split: str = "test", baselines_from: str = "polychromify") -> pd.DataFrame:
    """Every metric of each run on a split, then the gray (ab = 0) and mean-ab baselines (ours only)."""
    rows = {LABELS[name]: run.metrics["model"][split] for name, run in runs.items()}
    reference = runs.get(baselines_from) or next(iter(runs.values()))
    rows["gray baseline (ab = 0)"] = reference.metrics["gray"][split]
    rows["mean-ab baseline"] = reference.metrics["mean_ab"][split]
    table = pd.DataFrame.from_dict(rows, orient="index")[list(METRIC_COLUMNS)].rename(columns=METRIC_COLUMNS)
    truth = reference.metrics["model"][split]["colorfulness_true"]
    table.attrs["colorfulness_true"] = truth
    return table


def variants(runs: dict, split: str = "test") -> pd.DataFrame:
    """Every metric of variant runs of one experiment, by label, then each variant's change from the first."""
    table = pd.DataFrame.from_dict({label: run.metrics["model"][split] for label, run in runs.items()},
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
            isinstance(column, tuple) and column[-1] == "seeds")
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
            mean, spread, _ = seed_spread([s[k] for s in scores])
            ours[(where, STUDY_METRICS[k])] = mean
            ours[(where, f"{STUDY_METRICS[k]} spread")] = spread
    out[f"{LABELS['polychromify']} (paper profile, mean of {len(seeds)} seeds)"] = ours
    columns = [(where, name) for where in ("whole photos", closer) for k in keys
               for name in (STUDY_METRICS[k], f"{STUDY_METRICS[k]} spread")]  # each spread beside its mean
    return pd.DataFrame.from_dict(out, orient="index").reindex(columns=pd.MultiIndex.from_tuples(columns))


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
        row = {("", "seeds"): len(entries), ("", "parameters"): entries[0].get("parameters", np.nan)}
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
