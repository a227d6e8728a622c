"""Why our final model generalizes worse than the author's trained one: the measurements behind the book's
section "Our model and the author's", stored as a study in the results store.

On photos of another collection (the team's ``scenes-dev``, 396 photos, never trained on), our paper-profile
model scored worse than predicting no colour at all, while the author's trained model beat it; on the
landscape photos the two are alike. The study scores, on such a folder and on our landscape test split:

- the author's trained model (``author_model``) and our paper-profile final model, with the gray
  (ab = 0) and mean-ab baselines;
- the ablations of ``experiments.GENERALIZATION`` (one factor at a time: his Conv2D output, his data
  protocol, both), every seed of each, at the ``ablation`` profile;
- our paper-profile model after each epoch whose checkpoint the repository's history holds (the epochs
  question: does it get worse with training?);
- the author's data protocol at the paper's scale (``polychromify_author_data``), beside the final model
  trained in the same arithmetic with the same seed;
- the framing: the author's model, our seeds and the gray baseline on each photo's central 1/``ZOOM``
  enlarged to the model's size. Our training photos are 512 px centre crops of the Kaggle originals (the
  copy we have); the author trained on the whole originals squashed to 128 px, and the other collection's
  photos are whole scenes too. If framing explains his lead, it shrinks when the scenes are seen closer.

The result is ``<results>/studies/generalization-<folder>.json``, written atomically with what it was
computed from (runs, checkpoint commits, the folder's data hash, the machine), so the book shows it without
weights or photos at hand. ``polychromify study generalization --data DIR`` recomputes it.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from polychromify.product import metrics
from polychromify.product.trained import TrainedModel
from polychromify.studies.scoring import folder_hash, read_folder, training_mean_ab
from polychromify.training.campaign import Entry, finished
from polychromify.training.experiments import GENERALIZATION, get_experiment
from polychromify.training.profiles import get_profile
from polychromify.training.resolve import load_trained
from polychromify.training.results import (
    find_run,
    read_study,
    run_key,
    seeded_runs,
    study_file,
    write_study,
)
from polychromify.training.runner import build

STUDY_PROFILE = "ablation"
MEASURES = ("auc", "ab_rmse", "psnr", "accuracy")  # the study's columns (``metrics.METRICS``: how each reads)
ZOOM = 2  # the framing ablation: each photo's central half, enlarged 2x


def study_path(folder, results_dir=None) -> Path:
    return study_file("generalization", folder, results_dir)


def ablation_runs(results_dir=None, profile: str = STUDY_PROFILE) -> dict[str, list]:
    """Experiment -> its finished real-data runs at the ablation profile (one per seed), seed order."""
    return seeded_runs(GENERALIZATION, get_profile(profile), results_dir)


def checkpoint_commits(run, repo: Path | None = None) -> dict[int, str]:
    """Epoch -> the commit whose tree holds that epoch's checkpoint of ``run`` (from the repository's history)."""
    repo = repo or Path(run.path).resolve().parents[2]
    rel = Path(run.path).resolve().relative_to(repo.resolve()) / "checkpoint"
    log = subprocess.run(["git", "log", "--format=%H", "--", str(rel)], cwd=repo, capture_output=True,
                         text=True, check=True).stdout.split()
    found = {}
    for commit in log:
        names = subprocess.run(["git", "ls-tree", "--name-only", f"{commit}:{rel}"], cwd=repo, capture_output=True,
                               text=True).stdout.split()
        for name in names:
            if name.startswith("epoch-") and int(name[6:]) not in found:
                found[int(name[6:])] = commit
    return dict(sorted(found.items()))


def _checkpoint_model(run, commit: str, epoch: int, repo: Path):
    """The model of ``run`` with the weights of its checkpoint after ``epoch``, read from ``commit``."""
    rel = Path(run.path).resolve().relative_to(repo.resolve()) / "checkpoint" / f"epoch-{epoch:04d}" / \
        "model.weights.h5"
    blob = subprocess.run(["git", "show", f"{commit}:{rel}"], cwd=repo, capture_output=True, check=True).stdout
    experiment = get_experiment(run.experiment)
    model = build(experiment, run.config["image_size"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.weights.h5"
        path.write_bytes(blob)
        model.optimizer.build(model.trainable_variables)  # the checkpoint holds Adam's variables too
        model.load_weights(path)
    return TrainedModel(model, experiment.model, experiment.name, f"{run_key(run)} after epoch {epoch} ({commit[:10]})")


def central(x: np.ndarray, size: int) -> np.ndarray:
    """The central ``size`` x ``size`` pixels of a batch of images (N, H, W, C)."""
    top, left = (x.shape[1] - size) // 2, (x.shape[2] - size) // 2
    return x[:, top:top + size, left:left + size]


def protocol_runs(results_dir=None) -> tuple:
    """The author's data protocol at the paper's scale and the final model's paper run in the same precision
    and seed (or None, None while either is missing)."""
    protocol = finished(Entry("polychromify_author_data", flexible=True), "paper", results_dir)
    if protocol is None:
        return None, None
    fields = protocol.config["profile"]
    ours = find_run("polychromify", get_profile("paper", precision=fields["precision"], seed=fields["seed"]),
                    results_dir, synthetic=False, exact=True)
    return (protocol, ours) if ours is not None else (None, None)


def run_study(folder, results_dir=None, data_dir=None, log=print, fresh: bool = True,
              epochs=(1, 3, 5, 10, 15, 20, 25)) -> Path:
    """Score every model of the study on ``folder`` and write the study file; returns its path. Every score is
    computed afresh (``fresh`` is there for the command line's one signature: this study keeps nothing)."""
    folder = Path(folder)
    paper_run = find_run("polychromify", "paper", results_dir, synthetic=False, exact=True)
    author_run = find_run("author_model", "paper", results_dir, synthetic=False)
    if paper_run is None or author_run is None:
        raise FileNotFoundError("the study needs the paper-profile runs of polychromify and author_model; "
                                "train them: polychromify train polychromify author_model --profile paper")
    size = paper_run.config["image_size"]
    arrays, names, skipped = read_folder(folder, [size, ZOOM * size])
    x, y = arrays[size]
    x_near, y_near = (central(a, size) for a in arrays[ZOOM * size])

    def score(trained, near: bool = False) -> dict:
        xs, ys = (x_near, y_near) if near else (x, y)
        return metrics.evaluate(xs, ys, trained.predict_ab(xs))

    framing = {"zoom": ZOOM, "gray": metrics.evaluate(x_near, y_near, metrics.gray_baseline(y_near)),
               "models": {"polychromify": {}}}

    models = {}
    for label, run in (("author_model", author_run), ("polychromify", paper_run)):
        models[label] = {"experiment": run.experiment, "run": run_key(run), "profile": "paper",
                         "seed": run.config["profile"]["seed"], "test": run.metrics["model"]["test"],
                         "folder": score(load_trained(run))}
        log(f"scored {label}")
    framing["models"]["author_model"] = score(load_trained(author_run), near=True)
    seeds = models["polychromify"]["seeds"] = {}  # the spread the gap to his model is read against
    for run in seeded_runs(["polychromify"], get_profile("paper"), results_dir)["polychromify"]:
        seed = run.config["profile"]["seed"]
        model = load_trained(run)
        seeds[str(seed)] = (models["polychromify"]["folder"] if run.path == paper_run.path
                            else score(model))
        framing["models"]["polychromify"][str(seed)] = score(model, near=True)
        log(f"scored polychromify (paper, seed {seed}), whole and {ZOOM}x closer")
    protocol = {}
    for label, run in zip(("author_data", "polychromify"), protocol_runs(results_dir)):
        if run is not None:
            protocol[label] = {"experiment": run.experiment, "run": run_key(run), "profile": "paper",
                               "precision": run.config["profile"]["precision"], "seed": run.config["profile"]["seed"],
                               "test": run.metrics["model"]["test"], "folder": score(load_trained(run))}
            log(f"scored {run.experiment} ({run.path.name})")
    for name, runs in ablation_runs(results_dir).items():
        for run in runs:
            seed = run.config["profile"]["seed"]
            models[f"{name} (ablation, seed {seed})"] = {
                "experiment": name, "run": run_key(run), "profile": STUDY_PROFILE, "seed": seed,
                "test": run.metrics["model"]["test"],
                "folder": score(load_trained(run))}
            log(f"scored {name} seed {seed}")
    mean_y, mean_source = training_mean_ab("paper", data_dir)
    baselines = {name: metrics.evaluate(x, y, prediction) for name, prediction in metrics.baselines(y, mean_y).items()}
    repo = Path(paper_run.path).resolve().parents[2]
    commits = checkpoint_commits(paper_run, repo)
    points = []
    for epoch in epochs:
        if epoch == paper_run.config["epochs"]:
            model, commit = load_trained(paper_run), "final weights"
        elif epoch in commits:
            model, commit = _checkpoint_model(paper_run, commits[epoch], epoch, repo), commits[epoch]
        else:
            continue
        points.append({"epoch": epoch, "commit": commit, "folder": score(model)})
        log(f"scored polychromify after epoch {epoch}")
    # the photos by their folder's name and content hash, never a path of this machine
    study = {"folder": folder.name, "folder_hash": folder_hash(folder, names), "images": len(names),
             "skipped": skipped, "image_size": size, "models": models, "baselines": baselines,
             "baselines_test": {k: paper_run.metrics[k]["test"] for k in ("gray", "mean_ab")},
             "mean_ab_source": Path(mean_source).name,
             "epochs": {"run": run_key(paper_run), "val_accuracy": paper_run.history["val_accuracy"],
                        "points": points},
             "framing": framing, "protocol": protocol}
    return write_study(study_path(folder, results_dir), study)


def load_study(folder_name: str = "scenes-dev", results_dir=None) -> dict | None:
    """The stored study of a folder (by name), or None."""
    return read_study(study_path(folder_name, results_dir))