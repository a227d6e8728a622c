"""The book's figures (matplotlib and seaborn); each function returns a ``matplotlib.figure.Figure``.

Images come in the project's units: L in [0, 100] (N, S, S, 1), model-space Y = ab / 128 (N, S, S, 2),
RGB uint8 or floats in [0, 1]. Nothing here trains; predictions come from stored runs.
"""
from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib.ticker import MaxNLocator

from polychromify.product.color import (
    AB_SCALE,
    lab_to_rgb,
    rgb_to_lab,
    rgb_to_xy,
    xy_to_rgb,
)
from polychromify.product.metrics import METRICS, psnr_per_image
from polychromify.studies.beyond import MEASURES
from polychromify.training.experiments import (  # one colour per experiment, shared by every figure
    LABELS,
    PALETTE,
)
from polychromify.training.resolve import load_trained
from polychromify.training.samples import read_samples


def _figure(**kwargs):
    """A figure outside pyplot: nothing is shown twice in a notebook, and no backend is needed."""
    from matplotlib.figure import Figure
    return Figure(**kwargs)


DISPLAY_PX = 720  # how wide the book shows a figure (its content column at a laptop's width)
MIN_TEXT_PX = 12  # the smallest text a reader should have to read there


def legible(fig, display_px: int = DISPLAY_PX, min_px: int = MIN_TEXT_PX):
    """Enlarge every text of a figure (titles, labels, ticks, legends, annotations) that would be smaller than
    ``min_px`` pixels once the figure is scaled to ``display_px`` wide; returns the figure.

    A figure ``w`` inches wide is shown at ``display_px / w`` pixels per inch, so text needs at least
    ``min_px * 72 * w / display_px`` points."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text
    minimum = min_px * 72.0 * fig.get_figwidth() / display_px
    if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()  # creates the ticks and legends' texts
    for ax in fig.axes:
        for axis, which in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            labels = axis.get_ticklabels()
            if labels and labels[0].get_fontsize() < minimum:
                ax.tick_params(axis=which, labelsize=minimum)
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < minimum:
            text.set_fontsize(minimum)
    return fig


def _off(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


# ---------------------------------------------------------------- the data (Fig. 1)

def sample_grid(rgb: np.ndarray, columns: int = 6, rows: int = 3, seed: int = 0):
    """Fig. 1: a grid of photos (N, S, S, 3) picked at random with ``seed``."""
    n = min(len(rgb), columns * rows)
    pick = np.sort(np.random.default_rng(seed).choice(len(rgb), n, replace=False))
    rows = math.ceil(n / columns)
    fig = _figure(figsize=(1.6 * columns, 1.6 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        _off(ax)
    for ax, i in zip(axes.flat, pick):
        ax.imshow(rgb[i])
    return fig


def lab_channels(rgb: np.ndarray):
    """One photo (S, S, 3) and its CIELAB channels: L as gray, a and b each shown alone at L = 70.

    The a panel is Lab (70, a, 0), the b panel Lab (70, 0, b): what the network must predict, in colour.
    """
    lab = rgb_to_lab(rgb)
    zeros = np.zeros_like(lab[..., 0])
    panels = [
        ("photo (RGB)", np.asarray(rgb)),
        ("L: input", np.clip(lab[..., 0] / 100.0, 0, 1)),
        ("a: green (-) to red (+)", lab_to_rgb(np.stack([zeros + 70, lab[..., 1], zeros], axis=-1))),
        ("b: blue (-) to yellow (+)", lab_to_rgb(np.stack([zeros + 70, zeros, lab[..., 2]], axis=-1))),
    ]
    fig = _figure(figsize=(10, 2.9), layout="constrained")
    for ax, (title, image) in zip(fig.subplots(1, 4), panels):
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        _off(ax)
    return fig


def ab_distribution(y: np.ndarray, max_pixels: int = 200_000, seed: int = 0):
    """The distribution of ab over the pixels of Y (model space), as a seaborn 2-D histogram (log counts)."""
    import seaborn as sns
    from matplotlib.colors import LogNorm
    ab = np.asarray(y, np.float32).reshape(-1, 2) * AB_SCALE
    if len(ab) > max_pixels:
        ab = ab[np.random.default_rng(seed).choice(len(ab), max_pixels, replace=False)]
    fig = _figure(figsize=(10, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
    # left: the ab plane itself at L = 70, for orientation
    grid = np.linspace(-110, 110, 221, dtype=np.float32)
    a, b = np.meshgrid(grid, grid[::-1])
    left.imshow(lab_to_rgb(np.stack([np.full_like(a, 70), a, b], axis=-1)), extent=(-110, 110, -110, 110))
    left.set_title("the ab plane at L = 70", fontsize=10)
    sns.histplot(x=ab[:, 0], y=ab[:, 1], bins=110, binrange=((-110, 110), (-110, 110)), cmap="mako_r",
                 norm=LogNorm(), vmin=None, vmax=None, cbar=True, cbar_kws={"label": "pixels (log scale)"},
                 ax=right)
    right.set_title(f"training pixels ({len(ab):,} sampled)", fontsize=10)
    for ax in (left, right):
        ax.set_xlim(-110, 110)
        ax.set_ylim(-110, 110)
        ax.set_aspect("equal")
        ax.set_xlabel("a")
        ax.set_ylabel("b")
        ax.axhline(0, color="k", lw=0.5, alpha=0.5)
        ax.axvline(0, color="k", lw=0.5, alpha=0.5)
    return fig


# ---------------------------------------------------------------- the method (Fig. 2)

_LAYER_COLOURS = {"InputLayer": "#ffffff", "Conv2D": "#6baed6", "Dense": "#fd8d3c", "UpSampling2D": "#74c476",
                  "BatchNormalization": "#bdbdbd", "Rescaling": "#dadaeb"}


def architecture(model):
    """Fig. 2: a Keras model drawn from its layers: one block per layer, its height by spatial size and
    its width by channels; under each block the layer's name and type, above it its output shape."""
    from matplotlib.patches import Rectangle
    side = max(layer.output.shape[1] for layer in model.layers if len(layer.output.shape) == 4)
    fig = _figure(figsize=(max(8.0, 0.75 * len(model.layers)), 5.2), layout="constrained")
    ax = fig.subplots()
    x = 0.0
    for layer in model.layers:
        kind, name, shape = type(layer).__name__, layer.name, tuple(layer.output.shape[1:])
        size, channels = (shape[0], shape[-1]) if len(shape) == 3 else (1, shape[-1])
        width = 0.25 + 0.12 * math.log2(channels + 1)
        height = 0.6 + 2.4 * size / side
        colour = "#d62728" if layer is model.layers[-1] else _LAYER_COLOURS.get(kind, "#fee391")
        ax.add_patch(Rectangle((x, -height / 2), width, height, facecolor=colour, edgecolor="k", lw=0.8))
        ax.text(x + width / 2, height / 2 + 0.1, "\u00d7".join(map(str, shape)), ha="center", va="bottom",
                rotation=90, fontsize=8)
        label = f"{name}\n{kind.replace('BatchNormalization', 'BN').replace('UpSampling2D', 'Up')}"
        ax.text(x + width / 2, -height / 2 - 0.1, label, ha="center", va="top", rotation=90, fontsize=8)
        x += width + 0.25
    ax.set_xlim(-0.2, x)
    ax.set_ylim(-4.9, 4.9)  # room for the labels above and below at a legible size (``legible``)
    _off(ax)
    ax.set_title(f"{model.name}: {model.count_params():,} parameters, input {model.input_shape[1:]}, "
                 f"output {model.output_shape[1:]}", fontsize=10)
    return fig


# ---------------------------------------------------------------- validation accuracy (Fig. 3, Fig. 4)

def validation_curves(histories: dict, paper: dict | None = None, labels: dict | None = None,
                      paper_epochs: int = 25, reference: str = "paper"):
    """Validation accuracy per epoch of our runs (left) and the final value beside the paper's (right).

    ``histories``: experiment -> history dict (with ``val_accuracy``); ``paper``: experiment -> the paper's
    final validation accuracy (after ``paper_epochs``); ``labels``: experiment -> legend label;
    ``reference``: whose values ``paper`` holds, for the legend ("paper", "author's notebook").
    """
    labels = labels or {}
    paper = paper or {}
    fig = _figure(figsize=(11, 4), layout="constrained")
    curves, finals = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    names = list(histories)
    longest = max((len(histories[n]["val_accuracy"]) for n in names), default=0)
    for name in names:
        values = histories[name]["val_accuracy"]
        short = f" ({len(values)} epoch{'s' if len(values) != 1 else ''})" if len(values) < longest else ""
        curves.plot(range(1, len(values) + 1), values, marker="o", ms=3, color=PALETTE.get(name),
                    label=labels.get(name, name) + short)  # a curve that stops early says so
    curves.set_xlabel("epoch")
    curves.set_ylabel("validation accuracy (ours)")
    curves.xaxis.get_major_locator().set_params(integer=True)
    curves.legend(fontsize=8)
    curves.grid(alpha=0.3)
    y = np.arange(len(names))
    ours = [histories[n]["val_accuracy"][-1] for n in names]
    theirs = [paper.get(n, np.nan) for n in names]
    finals.scatter(ours, y, color=[PALETTE.get(n, "k") for n in names], label="ours, last epoch", zorder=3)
    finals.scatter(theirs, y, marker="D", facecolor="none", edgecolor="k",
                   label=f"{reference}, after {paper_epochs} epochs", zorder=3)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if np.isfinite(b):
            finals.plot([a, b], [i, i], color="k", lw=0.5, alpha=0.5)
    finals.set_yticks(y, [labels.get(n, n) for n in names], fontsize=8)
    finals.invert_yaxis()
    finals.set_xlabel("final validation accuracy")
    finals.xaxis.set_major_locator(MaxNLocator(4))
    finals.legend(fontsize=8, loc="best")
    finals.grid(alpha=0.3, axis="x")
    return fig


# ---------------------------------------------------------------- colorizations (Fig. 5)

def _predict(run, x: np.ndarray) -> np.ndarray:
    """Model-space Y that a finished run's stored weights predict for L images."""
    return load_trained(run).predict_ab(x)


def predictions(runs: dict, x: np.ndarray) -> tuple[dict, dict]:
    """Predictions of each run for L images x: ({name: Y}, {name: why it was left out}).

    A run is left out when its weights are not in the store (ECCV16's are not committed) or when it was
    trained at another image size than x's.
    """
    out, missing = {}, {}
    for name, run in runs.items():
        if not run.weights.is_file():
            missing[name] = "its weights are not in the results store"
        elif run.config["image_size"] != x.shape[1]:
            missing[name] = f"it was trained at {run.config['image_size']} px, the photos here are {x.shape[1]} px"
        else:
            out[name] = _predict(run, x)
    return out, missing


def rank_images(x: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Image indices from best to worst PSNR of a prediction (model-space Y)."""
    rgb_true, rgb_pred = xy_to_rgb(x, y_true), xy_to_rgb(x, y_pred)
    return np.argsort(-psnr_per_image(rgb_true, rgb_pred), kind="stable")


def colorizations(x: np.ndarray, y_true: np.ndarray, predicted: dict, index, labels: dict | None = None,
                  row_labels: list[str] | None = None):
    """Fig. 5: per row one image: gray input, ground truth, then each model's colorization.

    ``predicted``: name -> model-space Y for all of x; ``index``: the images (rows) to show.
    """
    labels = labels or {}
    index = list(index)
    columns = [("gray input", None), ("ground truth", y_true)] + [(labels.get(n, n), y) for n, y in predicted.items()]
    fig = _figure(figsize=(1.9 * len(columns), 1.9 * len(index) + 0.3), layout="constrained")
    axes = fig.subplots(len(index), len(columns), squeeze=False)
    for r, i in enumerate(index):
        for c, (title, y) in enumerate(columns):
            ax = axes[r, c]
            if y is None:
                ax.imshow(x[i, ..., 0], cmap="gray", vmin=0, vmax=100)
            else:
                ax.imshow(xy_to_rgb(x[i], y[i]))
            _off(ax)
            if r == 0:
                ax.set_title(title, fontsize=9)
        if row_labels:
            axes[r, 0].set_ylabel(row_labels[r], fontsize=8)
    return fig


def colorization_examples(runs: dict, x: np.ndarray, y_true: np.ndarray, count: int = 4, rank_by: str = "polychromify",
                          labels: dict | None = None) -> tuple[dict, dict]:
    """Fig. 5 and its best and worst cases: ({"examples"|"best"|"worst": Figure}, {name: why left out}).

    "examples" are the first ``count`` images, "best" and "worst" those with the highest and lowest PSNR of
    ``rank_by``'s prediction (the first images again when ``rank_by`` cannot predict). Every model predicts
    only the images shown.
    """
    ranker, _ = predictions({rank_by: runs[rank_by]}, x) if rank_by in runs else ({}, {})
    order = rank_images(x, y_true, ranker[rank_by]) if ranker else np.arange(len(x))
    count = min(count, len(x))
    picks = {"examples": list(range(count)), "best": list(order[:count]), "worst": list(order[::-1][:count])}
    shown = sorted(set().union(*picks.values()))
    predicted, missing = predictions(runs, x[shown])
    row = {image: i for i, image in enumerate(shown)}
    return ({key: colorizations(x[shown], y_true[shown], predicted, [row[i] for i in index], labels)
             for key, index in picks.items()}, missing)


def stored_colorizations(runs: dict, count: int = 4, rank_by: str = "polychromify",
                         labels: dict | None = None) -> tuple[dict, dict]:
    """Fig. 5 from what the runs store (``polychromify.training.samples``): the book's dozen test photos, no weights or
    photos needed. Returns ({"examples"|"best"|"worst": Figure}, {name: why left out}) like
    ``colorization_examples``; "best" and "worst" are the dozen's by ``rank_by``'s PSNR.

    Only runs that stored the same dozen as ``rank_by`` (the same photos at the same size) are shown.
    """
    stored = {name: read_samples(run) for name, run in runs.items()}
    missing = {name: "it stores no colorizations of the book's test photos" for name, s in stored.items()
               if s is None}
    reference = stored.get(rank_by) or next((s for s in stored.values() if s is not None), None)
    if reference is None:
        return {}, missing
    predicted = {}
    for name, s in stored.items():
        if s is None:
            continue
        if s["names"] != reference["names"] or s["truth"].shape != reference["truth"].shape:
            missing[name] = "it stores colorizations of other photos"
            continue
        predicted[name] = rgb_to_xy(s["colorized"])[1]
    x, y_true = rgb_to_xy(reference["truth"])
    order = list(np.argsort(-reference["psnr"], kind="stable"))
    count = min(count, len(x))
    picks = {"examples": list(range(count)), "best": order[:count], "worst": order[::-1][:count]}
    return {key: colorizations(x, y_true, predicted, index, labels) for key, index in picks.items()}, missing


def generalization_epochs(study: dict, metric: str = "auc", label: str = "AuC on the other collection"):
    """Our paper-profile model after each stored epoch on the other collection's photos, beside the author's
    trained model and the gray baseline (``generalization.run_study``'s file)."""
    points = study["epochs"]["points"]
    fig = _figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.plot([p["epoch"] for p in points], [p["folder"][metric] for p in points], marker="o",
            color=PALETTE.get("polychromify"), label="ours (paper profile), after each epoch")
    ax.axhline(study["models"]["author_model"]["folder"][metric], color="k", ls="--",
               label="the author's trained model")
    ax.axhline(study["baselines"]["gray"][metric], color="0.5", ls=":", label="gray baseline (ab = 0)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(label)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def placeholder(text: str):
    """A small figure that only says ``text`` (what the book shows where a stored result is missing)."""
    fig = _figure(figsize=(6, 1.2))
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=10)
    return fig


def beyond_measures(study: dict, title: str = "on the other collection"):
    """The "Beyond the paper" study: the four measures of each model at each profile (mean over its seeds;
    hatched: the ablation profile) on the other collection, beside the gray baseline, one panel per measure
    (``beyond.run_study``'s file)."""
    groups: dict[tuple, list] = {}
    for entry in study["models"].values():
        groups.setdefault((entry["experiment"], entry["profile"]), []).append(entry["folder"])
    names = list(groups)
    gray = study["baselines"]["gray"]["folder"]
    fig = _figure(figsize=(9, 3.4), layout="constrained")
    for ax, key in zip(fig.subplots(1, len(MEASURES)), MEASURES):
        label = METRICS[key].label
        values = [np.mean([s[key] for s in groups[n]]) for n in names]
        bars = ax.bar(range(len(names)), values, color=[PALETTE.get(n, "0.5") for n, _ in names])
        for bar, (_, profile) in zip(bars, names):
            bar.set_hatch("//" if profile == "ablation" else "")
        ax.axhline(gray[key], color="0.3", ls=":", label="gray (ab = 0)")
        ax.set_xticks(range(len(names)), [f"{LABELS.get(n, n).replace('PolyChromify', 'PC')} ({p})"
                                          for n, p in names], rotation=35, ha="right", fontsize=7)
        low, high = min(values + [gray[key]]), max(values)
        ax.set_ylim(low - 0.15 * (high - low + 1e-9), high + 0.1 * (high - low + 1e-9))
        ax.set_title(f"{label} ({METRICS[key].direction})", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return fig


def beyond_photos(photos: dict, labels: dict):
    """The same photos of the other collection across the study's models: the lightness each model is given,
    each model's colorization (``photos``: key -> uint8 RGB (N, S, S, 3), ``beyond.stored_photos``; ``labels``:
    key -> column title) and the photo itself."""
    truth = photos["truth"]
    lab = rgb_to_lab(truth)
    lab[..., 1:] = 0
    columns = [("lightness (the input)", lab_to_rgb(lab))] + [
        (labels.get(k, k), v) for k, v in photos.items() if k != "truth"] + [("the photo", truth)]
    rows, cols = len(truth), len(columns)
    fig = _figure(figsize=(1.35 * cols, 1.35 * rows + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols))
    for j, (title, images) in enumerate(columns):
        for i in range(rows):
            axes[i, j].imshow(images[i])
            axes[i, j].set_axis_off()
        axes[0, j].set_title(textwrap.fill(title, 13), fontsize=6)
    return fig
