"""The model card of a shipped model: what it is, on what it was trained, how it scores beside the baselines
and, from the "Beyond the paper" study, on photos of another collection; and the export of a finished run into
the package (``polychromify pretrained export``)."""
from __future__ import annotations

import shutil
from pathlib import Path

from polychromify.product.files import atomic_path
from polychromify.product.metrics import METRIC_KEYS, METRICS, TABLE_KEYS
from polychromify.product.pretrained import (
    CARD,
    CARD_MD,
    PAPER_DIR,
    PAPER_MODEL,
    PAPER_PROFILE,
    PRETRAINED_DIR,
    WEIGHTS,
    sha256,
)
from polychromify.studies.beyond import (
    MEASURES,
    _means,
    default_candidate,
    default_rule,
    default_run,
    run_key,
    seed_count,
)
from polychromify.training.experiments import EXPERIMENTS
from polychromify.training.results import Run, write_json

CARD_METRICS = METRIC_KEYS  # every metric of a split (``metrics.METRICS``)


def study_scores(run: Run, study: dict | None) -> dict | None:
    """How a run scored in the "Beyond the paper" study (``beyond.run_study``) on the other collection, beside
    the gray baseline and the paper's final model (the mean over its seeds in the run's arithmetic), or None
    when the study did not score it."""
    if not study:
        return None
    entries = [*study.get("models", {}).values(), *study.get("references", {}).values()]
    entry = next((e for e in entries if e.get("key") == run_key(run)), None)
    if entry is None:
        return None
    group = entry["profile"]
    own = entry["experiment"] != "polychromify" and seed_count(study, entry["experiment"], group)
    chosen = default_candidate(study, results_dir=run.path.parent.parent)[0] if study.get("baselines") else None
    pick = lambda scores: {k: scores[k] for k in MEASURES}
    return {"folder": Path(study["folder"]).name, "images": study["images"], "image_size": study["image_size"],
            "computed_at": study.get("provenance", {}).get("computed_at"), "group": group,
            "model": pick(entry["folder"]), "gray": pick(study["baselines"]["gray"]["folder"]),
            "paper_model": _means(study, "polychromify", group, "folder"),
            "paper_model_seeds": seed_count(study, "polychromify", group),
            "its_seeds": _means(study, entry["experiment"], group, "folder") if own and own > 1 else None,
            "its_seed_count": int(own),
            "chosen_on_it": chosen is not None and default_run(study, chosen) == entry.get("key")}


def model_card(run: Run, study: dict | None = None) -> dict:
    """The model card of a finished run, as a JSON-able dict; ``study``: the "Beyond the paper" study of the
    other collection (``beyond.load_study``), whose scores of the run the card then carries."""
    if not run.finished:
        raise ValueError(f"{run.path}: the run is not finished; only a finished run can be exported")
    config, provenance, metrics = run.config, run.provenance, run.metrics
    profile = config["profile"]
    data = config["data"]
    test = {who: {k: metrics[who]["test"][k] for k in CARD_METRICS if k in metrics[who]["test"]}
            for who in ("model", "gray", "mean_ab")}
    if profile["name"] == PAPER_PROFILE:
        note = "Trained with the paper's profile."
    else:
        note = (f"Trained with the {profile['name']} profile ({config['image_size']} px input, "
                f"{config['epochs']} epochs, batch {config['batch_size']}, {data['used']} photos), "
                f"not the paper's profile (128 px, 25 epochs, batch 32, all photos): the best run finished "
                f"on the CPU machine it was trained on.")
    if data.get("synthetic"):
        note += " WARNING: trained on synthetic landscapes, not photos."
    return {
        "name": "PolyChromify",
        "experiment": run.experiment,
        "model": config["experiment"]["model"],
        "run": run.path.name,
        "profile": profile["name"],
        "profile_settings": profile,
        "image_size": config["image_size"],
        "epochs": config["epochs"],
        "batch_size": config["batch_size"],
        "params": provenance.get("params"),
        "input": "L in [0, 100], shape (S, S, 1)",
        "output": "ab / 128 in [-1, 1], shape (S, S, 2)",
        "note": note,
        "data_protocol": config["experiment"].get("data_protocol", "ours"),
        "other_collection": study_scores(run, study),
        "data": {"source": data["source"], "synthetic": bool(data.get("synthetic")),
                 "data_hash": data["data_hash"], "used": data["used"], "split_sizes": data["split_sizes"],
                 "train_images": provenance.get("train_images"), "val_images": provenance.get("val_images")},
        "test_metrics": test,
        "final_epoch": {k: v[-1] for k, v in run.history.items() if v},
        "git_commit": provenance.get("git_commit"),
        "versions": provenance.get("versions"),
        "backend": provenance.get("backend"),
        "precision": provenance.get("precision"),
        "machine": provenance.get("machine"),
        "timings": provenance.get("timings"),
        "started_at": provenance.get("started_at"),
        "finished_at": provenance.get("finished_at"),
    }


def card_markdown(card: dict, title: bool = True, level: int = 2) -> str:
    """The model card for people (Markdown): a title (unless ``title`` is False), sections at ``level``."""
    data = card["data"]
    sizes = data["split_sizes"]
    rows = [(key, ", ".join(part for part in (METRICS[key].label, METRICS[key].unit, METRICS[key].direction) if part))
            for key in TABLE_KEYS if METRICS[key].higher_is_better is not None]
    test = card["test_metrics"]
    h = "#" * level + " "
    experiment = EXPERIMENTS.get(card["experiment"])
    name = experiment.label if experiment and experiment.label else card["name"]
    lines = [f"# Model card: {name} (pretrained, {card['profile']} profile)", ""] if title else []
    what = experiment.title if experiment else card["experiment"]
    loss = "Zhang et al.'s rebalanced cross-entropy" if experiment and experiment.output == "classes" else "MSE"
    lines += [
        f"{what}: predicts the CIELAB a, b channels of a landscape photo from its L channel",
        f"(experiment `{card['experiment']}`: {experiment.section if experiment else 'not in this package'}).",
        _usage(card),
        "",
        f"**{card['note']}**",
        "",
        h + "Model",
        "",
        f"- experiment `{card['experiment']}` (builder `models.{card['model']}`), {card['params']:,} parameters"
        if card.get("params") else f"- experiment `{card['experiment']}` (builder `models.{card['model']}`)",
        f"- input: {card['input']} with S = {card['image_size']}; output: {card['output']}",
        f"- trained {card['epochs']} epochs, batch {card['batch_size']}, Adam, {loss}, {card['precision']}, "
        f"on {card['backend']}",
        f"- run `{card['run']}`, finished {card['finished_at']}, commit `{card['git_commit']}`",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in (card.get("versions") or {}).items()),
        "",
        h + "Data",
        "",
        f"- source: `{Path(data['source']).name}`" + (" (SYNTHETIC)" if data["synthetic"] else ""),  # no machine's path
        f"- data hash: `{data['data_hash']}`",
        f"- {data['used']} photos used; split train/val/test = "
        f"{sizes.get('train')}/{sizes.get('val')}/{sizes.get('test')} " + (
            "(the author's protocol: every file, duplicates kept, squash-resized, a random 80/20 then 80/20 split, "
            "so its test split holds duplicates of training photos: the test scores below are optimistic, and "
            "the other collection's, further below, are the fair comparison)" if card.get("data_protocol") == "author"
            else "(64/16/20 by content hash)"),
        "",
        h + f"Metrics on the test split ({sizes.get('test')} photos, at {card['image_size']} px)",
        "",
        "| metric | model | gray (ab = 0) | mean ab |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key, label in rows:
        if key in test["model"]:
            lines.append(f"| {label} | {test['model'][key]:.4f} | {test['gray'][key]:.4f} | {test['mean_ab'][key]:.4f} |")
    lines += _other_collection(card, h)
    lines += ["", h + "Use and limits", "",
              "- Trained on landscapes only; other subjects get landscape colours (sky blues, vegetation greens).",
              "- `colorize` predicts at the input size above and upsamples the colour to the photo's own size,",
              "  keeping the photo's full-resolution lightness; images over 100 megapixels are refused.",
              "- An MSE-trained model desaturates: compare its colorfulness with the truth's above.",
              "", h + "Training time", "", *_training_time(card), ""]
    return "\n".join(lines)


def _usage(card: dict) -> str:
    """Which command uses the shipped model: the default colorizer, or ``--model paper`` beside another default."""
    if card.get("shipped_as") == PAPER_MODEL:
        return ("`polychromify colorize PHOTO --model paper` and `colorize(photo, model=\"paper\")` use it; the "
                "default colorizer is another model (`polychromify pretrained show`).")
    return ("`polychromify.product.pretrained.load_pretrained()` loads it; `polychromify colorize PHOTO` uses it"
            + ("" if card["experiment"] == "polychromify" else "; `--model paper` uses the paper's final model") + ".")


def _other_collection(card: dict, h: str) -> list[str]:
    """The card's table of its scores on photos of another collection (the "Beyond the paper" study)."""
    other = card.get("other_collection")
    if not other:
        return []
    paper, seeds = other["paper_model"], other.get("its_seeds")
    runs = lambda n: f"{n} run{'s' if n != 1 else ''}"
    lines = ["", h + f"On photos of another collection ({other['folder']}, {other['images']} photos never trained on, "
             f"at {other['image_size']} px)", "",
             f"From the book's chapter \"Beyond the paper\" (study computed {other['computed_at']}), beside the "
             f"paper's final model (the mean of its runs in the same arithmetic, {other['group']}) and the gray "
             "baseline."]
    if other.get("chosen_on_it"):
        lines += ["", f"This run is the default colorizer by the rule of that chapter ({default_rule()})"
                  + (f"; of its recipe's {runs(other['its_seed_count'])} (one per seed) it is the one with the best AuC "
                     "on this collection, so its own scores here are optimistic, and the mean over the runs, which no "
                     "choice touched, is the fair figure." if seeds else ".")]
    lines += ["", "| measure | this model |" + (f" its recipe ({runs(other['its_seed_count'])}) |" if seeds else "")
              + f" paper's final model ({runs(other['paper_model_seeds'])}) | gray (ab = 0) |",
              "| --- | ---: |" + (" ---: |" if seeds else "") + " ---: | ---: |"]
    for key in MEASURES:
        label, better = METRICS[key].label, "higher" if METRICS[key].higher_is_better else "lower"
        lines.append(f"| {label}, {better} is better | {other['model'][key]:.4f} | "
                     + (f"{seeds[key]:.4f} | " if seeds else "")
                     + (f"{paper[key]:.4f}" if paper else "n/a") + f" | {other['gray'][key]:.4f} |")
    return lines


def _training_time(card: dict) -> list[str]:
    """The card's training-time lines: the total, per epoch, the machine, and whether it was resumed."""
    timings, machine = card.get("timings") or {}, card.get("machine") or {}
    cpu = machine.get("cpu") or {}
    where = f"{machine.get('cpus', '?')} CPUs" + (f" of an {cpu['model']}" if cpu.get("model", "?") != "?" else "")
    if cpu.get("features"):
        where += f" ({', '.join(cpu['features'])})"
    total, this_session = timings.get("train_seconds_total", 0), timings.get("train_seconds_this_session")
    epochs = sorted(timings.get("seconds_per_epoch") or [])
    hours = f" ({total / 3600:.1f} h)" if total >= 3600 else ""
    lines = [f"- {total:.0f} s of training{hours} on {where}, {machine.get('platform', '?')}"]
    if epochs:
        lines.append(f"- per epoch: {epochs[0]:.0f} to {epochs[-1]:.0f} s, median {epochs[len(epochs) // 2]:.0f} s")
    if this_session is not None and this_session < total - 1:
        lines.append(f"- resumed from a checkpoint: the last session trained {this_session:.0f} s on the machine "
                     "above; earlier sessions' machines may have differed, and other work shared the CPU at times")
    return lines


def _copy_atomically(source: Path, target: Path) -> None:
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def _write_text_atomically(text: str, target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text)


def export_pretrained(run: Run, dest: Path | str = PRETRAINED_DIR, allow_synthetic: bool = False,
                      study: dict | None = None) -> Path:
    """Copy a finished run's weights into ``dest`` with its model card (JSON and Markdown); returns ``dest``.

    Each file is written atomically; the JSON card, written last, records the SHA-256 of the weights, so a
    half-finished export is detected by ``load_pretrained``. Runs on synthetic data are refused unless
    ``allow_synthetic`` (the tests use it). ``study``: see ``model_card``.
    """
    run = Run(Path(run.path))
    card = model_card(run, study)
    if card["data"]["synthetic"] and not allow_synthetic:
        raise ValueError(f"{run.path}: trained on synthetic landscapes; only a real-data run is shipped as pretrained")
    dest = Path(dest)
    card["shipped_as"] = PAPER_MODEL if dest.name == PAPER_DIR.name else "default"  # which command uses it
    dest.mkdir(parents=True, exist_ok=True)
    _copy_atomically(run.weights, dest / WEIGHTS)
    card["weights_sha256"] = sha256(dest / WEIGHTS)
    card["weights_bytes"] = (dest / WEIGHTS).stat().st_size
    _write_text_atomically(card_markdown(card), dest / CARD_MD)
    write_json(dest / CARD, card)
    return dest
