"""Beyond the paper: what fixes the final model's pale colours? The measurements behind the book's chapter
"Beyond the paper", stored as a study in the results store.

The paper ends with two claims it does not test: the autoencoder's bottleneck does not suit colorization
(section VI.A), and MSE gives a pale blue-to-yellow gradient where Zhang et al.'s methods are more vivid
(V.C, VI). The study trains the alternatives of ``experiments.BEYOND`` on the same photos with one harness
and scores each on its own landscape test split and on photos of another collection (``scenes-dev``,
never trained on), with the measures that see vividness as well as error. (A model trained under the author's
data protocol is scored on the other collection like the rest; its own test split, with duplicates of its
training photos, is stored apart as ``own_test`` and not compared.)

- AuC (Zhang et al. 2016, thresholds 0 to 150) and its class-rebalanced form (``metrics.rebalanced_auc``:
  every colour class counts alike, so predicting sepia everywhere no longer pays);
- ab RMSE, and the colourfulness gap (Hasler and Suesstrunk's M, |truth - prediction| per photo).

Every model is run at the ``ablation`` profile (128 px, 800 photos, 10 epochs: what a 2-core CPU affords for
several models) and, where trained, at the ``paper`` profile, in float32 or (``paper-bf16``, what a lent GPU
affords for many) in mixed_bfloat16: the study's groups (``PROFILES``); each model is compared with the final
model's runs of the same group, beside the gray (ab = 0) baseline and, on the other collection, the author's
trained model.

The result is ``<results>/studies/beyond-<folder>.json``, written atomically with what it was computed from
(runs, the folder's data hash, the machine), and beside it ``beyond-<folder>/``: ``PHOTOS`` of the folder's
photos (a fixed choice, ``samples.chosen``) as 128 px thumbnails with each model's colorization, for the
chapter's figure. ``polychromify study beyond --data DIR`` recomputes both.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polychromify.product import metrics
from polychromify.product.color import xy_to_rgb
from polychromify.product.metrics import METRICS, STUDY_KEYS
from polychromify.studies.scoring import folder_hash, read_folder
from polychromify.studies.study import BETTER, WORSE, Entry, Study
from polychromify.training.campaign import CAMPAIGN, finished
from polychromify.training.experiments import (
    AUTHOR_MODEL,
    BEYOND,
    LABELS,
    get_experiment,
)
from polychromify.training.profiles import get_profile
from polychromify.training.resolve import load_trained
from polychromify.training.results import (
    find_run,
    list_runs,
    read_study,
    run_key,
    seeded_runs,
    study_file,
    write_study,
)
from polychromify.training.runner import experiment_data
from polychromify.training.samples import chosen, photo_key, to_uint8, write_jpeg

STUDY_PROFILE = "ablation"
# The study's groups: label -> (profile, overrides). Every model at the ablation profile; at the paper's, those
# trained so far, each read against the final model's runs of its own arithmetic.
PROFILES = {STUDY_PROFILE: (STUDY_PROFILE, {}), "paper": ("paper", {}),
            "paper-bf16": ("paper", {"precision": "mixed_bfloat16"})}
# One change on a model other than the final one, read against that model (the final model's own alternatives are
# read against it): variant -> (its base, what it changes).
VARIANTS = {"polychromify_unet_large_flip": ("polychromify_unet_large", "mirrored training photos"),
            "polychromify_unet_large_author_data": ("polychromify_unet_large", "the author's data protocol"),
            "polychromify_unet_large_author_data_long": ("polychromify_unet_large_author_data",
                                                         "a longer schedule with the validation curve deciding")}
MEASURES = STUDY_KEYS  # error and vividness (``metrics.METRICS`` says how each reads and which way is better)
PHOTOS = 6  # photos of the other collection shown colorized by every model
TRUTH = "truth"
# Scored on the other collection beside the study's models, at the paper's profile: the author's trained model,
# and both ECCV16s trained from scratch on our photos (Table 2's, the author's translation; and Zhang et al.'s
# recipe), which the paper calls more vivid than the final model (V.C, VI).
REFERENCES = (AUTHOR_MODEL, "eccv16", "eccv16_zhang")


def study_path(folder, results_dir=None) -> Path:
    return study_file("beyond", folder, results_dir)


def photos_dir(folder, results_dir=None) -> Path:
    return study_file("beyond", folder, results_dir).with_suffix("")


def _store_photos(target: Path, names: list[str], x, y, predictions: dict) -> list[dict]:
    """The chosen photos' thumbnails and every model's colorization of them (``predictions``: key -> Y of
    those photos), as JPEGs in ``target``; returns the photos' entries for the study file."""
    for key, y_of in {TRUTH: y, **predictions}.items():
        for name, rgb in zip(names, xy_to_rgb(x, y_of)):
            write_jpeg(to_uint8(rgb), target / key / f"{photo_key(name)}.jpg")
    return [{"name": name, "key": photo_key(name)} for name in names]


def group_profile(group: str):
    """The profile of a group of the study (``PROFILES``)."""
    name, overrides = PROFILES[group]
    return get_profile(name, **overrides)


def run_profile(run, group: str):
    """The profile a run of a group trained under: the group's, with the run's own seed (under the author's data
    protocol the seed also draws the split, so each seed has its own test split and data hash)."""
    return group_profile(group).replace(seed=run.config["profile"]["seed"])


def study_runs(results_dir=None, group: str = STUDY_PROFILE) -> dict[str, list]:
    """Experiment of ``BEYOND`` -> its finished real-data runs of a group of the study (one per seed)."""
    return seeded_runs(BEYOND, group_profile(group), results_dir)


def scores(L, y_true, y_pred) -> dict:
    """The study's four measures (and the rest of ``metrics.evaluate``) of a prediction in model space."""
    return metrics.evaluate(L, y_true, y_pred, rebalanced=True)


def weights_digest(run) -> str | None:
    """SHA-256 of a run's weights, or None where they are not on this machine (ECCV16's are not committed)."""

    if not run.weights.is_file():
        return None
    with open(run.weights, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def earlier_scores(previous: dict | None, folder_hash: str, data_hashes: dict) -> dict[str, dict]:
    """``run_key`` -> its entry (a model's or a reference's) in the previously stored study, where that study
    scored the same photos of the other collection and, for each profile, the same landscape test split; {}
    otherwise. An entry is reused only for the very weights it scored (``weights_sha256``), or, for a run whose
    weights are not on this machine, carried over as it stands (``carried``)."""
    if not previous or previous.get("folder_hash") != folder_hash:
        return {}
    same = {p for p, h in previous.get("data_hashes", {}).items() if data_hashes.get(p, h) == h}
    entries = [*previous.get("models", {}).values(), *previous.get("references", {}).values()]
    return {e["key"]: {**e, "carried": e.get("carried") or previous["provenance"]["computed_at"]}
            for e in entries if e.get("key") and e.get("weights_sha256") and e["profile"] in same}


def split_digest(dataset) -> str | None:
    """A digest of a data set's test split (its photos' names): two runs of one collection with other seeds draw
    other splits under the same data hash, so an entry's test scores are reused only for the very same split."""
    if dataset is None:
        return None
    return hashlib.sha256("\n".join(sorted(dataset.names["test"])).encode()).hexdigest()[:16]


def reusable(earlier: dict[str, dict], run, digest: str | None, split: str | None = None,
             group_seed: bool = True) -> dict | None:
    """The earlier entry of a run to reuse (see ``earlier_scores``), or None: score it again. With its weights
    here, an entry is reused only when it was scored on the same test split (``split``, ``split_digest``). An entry
    that does not record its split comes from a study that scored every run on the split of its group's seed
    (until commit 4c93684): it is reused only for a run of that seed (``group_seed``)."""
    entry = earlier.get(run_key(run))
    if entry is None or (digest is not None and entry["weights_sha256"] != digest):
        return None
    if digest is not None and split is not None and (
            entry["test_split"] != split if "test_split" in entry else not group_seed):
        return None
    return entry if digest is None else {k: v for k, v in entry.items() if k != "carried"}


def run_study(folder, results_dir=None, data_dir=None, log=print, fresh: bool = False) -> Path:
    """Score every model of the study (its runs at each of ``PROFILES``) on its own test split and on
    ``folder``, and the ``REFERENCES`` on ``folder`` (the ECCV16s on their test split too); write the study
    file, return its path.

    ``data_dir``: the landscape collection the runs trained on (their test splits are cut from it again).
    A run that the stored study scored with the same weights on the same photos keeps its scores (only the
    figure's photos are colorized again), unless ``fresh``; a run whose weights are not on this machine keeps
    its stored scores, marked ``carried``, or is listed as pending."""
    folder = Path(folder)
    size = get_profile(STUDY_PROFILE).image_size
    arrays, names, skipped = read_folder(folder, [size])
    x, y = arrays[size]
    picks = chosen(names, PHOTOS)
    shown = {}  # "<experiment>-<profile>" -> its Y of the chosen photos (its first seed)
    models, references, test_gray, test_images, hashes, datasets, missing = {}, {}, {}, {}, {}, {}, []

    def data_of(experiment, profile):  # (protocol, profile) -> its dataset (the author's: its seed's random split)
        key = (experiment.data_protocol, profile.name, profile.max_images, profile.image_size, profile.seed)
        if key not in datasets:
            datasets[key] = experiment_data(experiment, profile, data_dir, quiet=True)
        return datasets[key]

    groups = {g: runs for g in PROFILES if (runs := {n: r for n, r in study_runs(results_dir, g).items() if r})}
    for group in groups:
        dataset = data_of(get_experiment("polychromify"), group_profile(group))
        hashes[group], test_images[group] = dataset.data_hash, len(dataset.x_test)
        test_gray[group] = scores(dataset.x_test, dataset.y_test, metrics.gray_baseline(dataset.y_test))
    photos_hash = folder_hash(folder, names)
    earlier = earlier_scores(None if fresh else read_study(study_path(folder, results_dir)), photos_hash, hashes)

    def score(run, group: str, own) -> dict | None:
        """A run's entry, scored now or reused; None when its weights are not here and nothing is stored.
        ``own``: its landscape dataset (None: the author's model, scored on the other collection only)."""
        experiment, digest = get_experiment(run.experiment), weights_digest(run)
        split = split_digest(own)
        entry = reusable(earlier, run, digest, split, run.config["profile"]["seed"] == group_profile(group).seed)
        if digest is None:
            return entry
        model = load_trained(run)
        shown.setdefault(f"{run.experiment}-{group}", model.predict_ab(x[picks]))
        facts = {"experiment": run.experiment, "key": run_key(run), "weights_sha256": digest, "profile": group,
                 "seed": run.config["profile"]["seed"], "precision": run.config["profile"]["precision"],
                 "train_seconds": run.provenance.get("timings", {}).get("train_seconds_total"),
                 **({"test_split": split} if split else {})}
        if entry is not None:  # its scores kept, what it says of the run read again (an older study's may be stale)
            log(f"kept the stored scores of {run_key(run)} (the same weights on the same photos)")
            return {**{k: v for k, v in entry.items() if k != "run"}, **facts}
        log(f"scoring {run_key(run)} ({group})")
        test = None if own is None else scores(own.x_test, own.y_test, model.predict_ab(own.x_test))
        # another protocol's test split is other photos (the author's: duplicates of its training photos among
        # them), so its scores there are kept apart, not set beside ours
        where = ({"test": test} if experiment.data_protocol == "ours" or test is None else
                 {"test": None, "own_test": test, "data_protocol": experiment.data_protocol})
        log(f"scored {run_key(run)} ({group})")
        return {**facts, "parameters": int(model.model.count_params()), **where,
                "folder": scores(x, y, model.predict_ab(x))}

    for group, runs_of in groups.items():
        for name, runs in runs_of.items():
            for run in runs:
                own = data_of(get_experiment(name), run_profile(run, group))
                if run.config["data"]["data_hash"] != own.data_hash or run.config["image_size"] != size:
                    log(f"skipped {run.path}: trained on other photos than {data_dir}, or at another size")
                    continue
                models[f"{name} ({group}, seed {run.config['profile']['seed']})"] = score(run, group, own)
    for name in REFERENCES:
        run = find_run(name, "paper", results_dir, synthetic=False)
        if run is None or run.config["image_size"] != size:
            continue
        own = None if name == AUTHOR_MODEL else data_of(get_experiment(name), get_profile("paper"))
        if own is not None and run.config["data"]["data_hash"] != own.data_hash:
            log(f"skipped {run.path}: trained on other photos than {data_dir}")
            continue
        entry = score(run, "paper", own)
        if entry is None:
            missing.append(f"{name} (paper; its weights are not on this machine)")
        else:
            references[name] = entry
    photos = _store_photos(photos_dir(folder, results_dir), [names[i] for i in picks], x[picks], y[picks], shown)
    # the photos by their folder's name and content hash, never a path of this machine
    study = {"folder": folder.name, "folder_hash": photos_hash, "images": len(names),
             "skipped": skipped, "image_size": size, "profiles": list(hashes), "data_hashes": hashes,
             "test_images": test_images, "models": models, "references": references,
             "baselines": {"gray": {"folder": scores(x, y, metrics.gray_baseline(y)), "test": test_gray}},
             "photos": photos, "shown": list(shown),
             "pending": pending(models, results_dir) + missing}
    return write_study(study_path(folder, results_dir), study)


def pending(models: dict, results_dir=None) -> list[str]:
    """The study's runs not yet scored: each model of ``BEYOND`` at the ablation profile, and the paper-scale
    runs the campaign plans for them (``campaign.CAMPAIGN``; the 256 px run is scored at another size, not
    here) that are not finished."""
    scored = {(m["experiment"], m["profile"]) for m in models.values()}
    return ([f"{name} ({STUDY_PROFILE})" for name in BEYOND if (name, STUDY_PROFILE) not in scored]
            + [f"{entry.label} (paper)" for entry in CAMPAIGN if entry.experiment in BEYOND
               and "image_size" not in entry.overrides and finished(entry, "paper", results_dir) is None])


def load_study(folder_name: str = "scenes-dev", results_dir=None) -> dict | None:
    """The stored study of a folder (by name), or None."""
    return read_study(study_path(folder_name, results_dir))


def stored_photos(study: dict, results_dir=None) -> dict[str, np.ndarray]:
    """The study's photos: {"truth": uint8 RGB (N, S, S, 3), and each shown model's colorization}."""
    from PIL import Image
    folder = photos_dir(study["folder"], results_dir)
    out = {}
    for key in [TRUTH, *study.get("shown", [])]:
        paths = [folder / key / f"{p['key']}.jpg" for p in study.get("photos", [])]
        if paths and all(p.is_file() for p in paths):
            out[key] = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])
    return out


def _means(study: dict, name: str, profile: str, where: str) -> dict[str, float] | None:
    """The mean over seeds of a model's four measures at a profile, on the folder or its test split."""
    values = [m[where] for m in study["models"].values()
              if m["experiment"] == name and m["profile"] == profile and m.get(where) is not None]
    return {key: float(np.mean([v[key] for v in values])) for key in MEASURES} if values else None


def seed_count(study: dict, name: str, profile: str) -> int:
    """How many runs (seeds) of a model the study holds at a profile."""
    return sum(m["experiment"] == name and m["profile"] == profile for m in study["models"].values())


def _labels() -> str:
    """The measures' names as a list in words: "AuC, rebalanced AuC, ab RMSE and colorfulness gap"."""
    names = [METRICS[k].label for k in MEASURES]
    return ", ".join(names[:-1]) + " and " + names[-1]


DEFAULT_MARGIN = 0.01  # how far above the gray baseline's AuC the default colorizer must be (one point)


def default_rule(margin: float = DEFAULT_MARGIN) -> str:
    """The rule for the default colorizer, in words: the one statement of it that the book and the model card
    quote (``default_candidate`` applies it)."""
    return (f"a model of this study replaces the paper's final model as the default colorizer only if, on the "
            f"other collection, its runs at the paper's profile are better than the final model's (in the same "
            f"arithmetic) on all of {_labels()} by the one rule (a paired 95 % interval over the photos that excludes "
            f"zero, every pair of runs agreeing), and its mean AuC beats the gray baseline's by at least "
            f"{100 * margin:.0f} point")


def study_of(study: dict, results_dir=None) -> Study:
    """The stored study as a ``Study`` on its other collection: an entry per model and group,
    "<experiment> (<group>)", holding its runs (read from the store by their keys), and each reference by name;
    the per-photo scores are the runs' own (``photo_scores``)."""
    runs = {run_key(r): r for r in list_runs(results_dir)}
    entries: dict[str, Entry] = {}
    for m in study["models"].values():
        if m.get("key") in runs:
            name = f"{m['experiment']} ({m['profile']})"
            entries.setdefault(name, Entry(name, LABELS.get(m["experiment"], m["experiment"]), [])).runs.append(
                runs[m["key"]])
    for name, m in study.get("references", {}).items():
        if m.get("key") in runs:
            entries[name] = Entry(name, LABELS.get(name, name), [runs[m["key"]]])
    return Study(study["folder"], entries, MEASURES)


def entry_name(name: str, profile: str) -> str:
    return f"{name} ({profile})"


@dataclass(frozen=True)
class Reading:
    """One model against a base at a profile, on the other collection, under the one rule (``study.compare``):
    the study's decision, as data. ``found``: metric -> Comparison (paired over the collection's photos);
    ``verdict``: the claim's or the variant's, from the counts of "better" and "worse"."""

    name: str
    base: str
    profile: str
    found: dict
    verdict: str

    @property
    def wins(self) -> int:
        return sum(c.verdict == BETTER for c in self.found.values())

    @property
    def losses(self) -> int:
        return sum(c.verdict == WORSE for c in self.found.values())


# The paper's claims that the study tests: model -> (where the paper makes it, the claim, what the model changes)
CLAIMS = {"polychromify_unet": ("VI.A", "the autoencoder's bottleneck does not suit colorization",
                                "the same widths as a U-Net, which adds both down-sampling (a bottleneck) and skip "
                                "connections around it"),
          "polychromify_classes": ("II and V.C", "Zhang et al.'s methods, which treat colorization as classification "
                                   "with class rebalancing, produce more vibrant colours than PolyChromify (the paper "
                                   "shows it with their pretrained models, through their API)",
                                   "Zhang's classification loss on the final model's body")}
SUPPORTED, NOT_SUPPORTED, NOT_SHOWN, PARTLY = "supported", "not supported", "cannot tell", "partly supported"
# Claims whose test changes more than the claim names: their verdict says so, whatever the measures say.
CONFOUNDED = {"polychromify_unet": "not decided: the test changes two things at once"}


def decide(found: dict, kind: str = "claim") -> str:
    """A claim's or a variant's verdict from its measures' verdicts under the one rule: a claim "supported" when
    better on every measure, "not supported" when worse on some and better on none, "cannot tell" when better and
    worse on none, else "partly supported"; a variant "helps", "hurts" or the counts."""
    wins = sum(c.verdict == BETTER for c in found.values())
    losses = sum(c.verdict == WORSE for c in found.values())
    n = len(found)
    if kind == "claim":
        return (SUPPORTED if wins == n else NOT_SUPPORTED if wins == 0 and losses else
                NOT_SHOWN if wins == 0 else f"{PARTLY} ({wins} of {n} measures)")
    if wins == n or losses == n:
        return "helps" if wins == n else "hurts"
    parts = [f"better on {wins}" if wins else "", f"worse on {losses}" if losses else "",
             f"cannot tell apart on {n - wins - losses}" if n - wins - losses else ""]
    return "mixed: " + ", ".join(p for p in parts if p) + f" of {n} measures"


def _reading(study: Study, name: str, base: str, kind: str) -> Reading | None:
    """``name`` against ``base`` at the largest profile that has both."""
    for profile in reversed(PROFILES):
        mine, theirs = entry_name(name, profile), entry_name(base, profile)
        if mine in study.entries and theirs in study.entries:
            found = study.compare(mine, theirs)
            if found is not None:
                return Reading(name, base, profile, found, decide(found, kind))
    return None


def claim_readings(study: Study, reference: str = "polychromify") -> dict[str, Reading | None]:
    """Each of the paper's ``CLAIMS`` read at the largest profile that has the model (None: not tested yet); a
    ``CONFOUNDED`` claim's verdict says that its test cannot decide it."""
    out = {name: _reading(study, name, reference, "claim") for name in CLAIMS}
    return {name: (Reading(r.name, r.base, r.profile, r.found, CONFOUNDED[name]) if r and name in CONFOUNDED else r)
            for name, r in out.items()}


def variant_readings(study: Study) -> dict[str, Reading]:
    """Each of ``VARIANTS`` against its base, at the largest profile that has both."""
    out = {}
    for name, (base, _) in VARIANTS.items():
        if (reading := _reading(study, name, base, "variant")) is not None:
            out[name] = reading
    return out


def alternatives(study: Study, reference: str = "polychromify") -> dict[tuple[str, str], dict]:
    """Each model of the study against the final model at the same profile, on the other collection, under the
    one rule: (name, profile) -> {metric: Comparison}."""
    out = {}
    for profile in PROFILES:
        base = entry_name(reference, profile)
        if base not in study.entries:
            continue
        for key in study.entries:
            name, _, group = key.partition(" (")
            if group.rstrip(")") == profile and name != reference and (found := study.compare(key, base)):
                out[(name, profile)] = found
    return out


def default_candidate(study: dict, reference: str = "polychromify", margin: float = DEFAULT_MARGIN,
                      results_dir=None) -> tuple[str | None, str]:
    """Which model of the study should become the default colorizer, and why (one sentence): one trained at the
    paper's profile that, on the other collection, the one rule calls better than the paper's final model (its runs
    in the same arithmetic, float32 or bf16) on all four measures, and whose mean AuC beats the gray baseline's by
    at least ``margin`` (1 point); among several, the one with the most runs, then the best rebalanced AuC.
    (None, the reason) when none does."""
    paired = study_of(study, results_dir)
    groups = [g for g in PROFILES if PROFILES[g][0] == "paper" and entry_name(reference, g) in paired.entries]
    if not groups:
        return None, "the paper-profile final model is not in the study, so no model can be compared with it"
    gray = study["baselines"]["gray"]["folder"]["auc"]
    winners = {}
    for (name, group), found in alternatives(paired, reference).items():
        if group not in groups:
            continue
        mean = paired.means(entry_name(name, group))
        if all(c.verdict == BETTER for c in found.values()) and mean["auc"] >= gray + margin:
            runs = len(paired.scores(entry_name(name, group)))
            winners[name] = max(winners.get(name, (0, -1.0)), (runs, mean["auc_rebalanced"]))
    if not winners:
        return None, (f"no model trained at the paper's profile is better than the paper's final model on all of "
                      f"{_labels()} by the one rule, with an AuC at least {100 * margin:.0f} point above the gray "
                      "baseline's, on the other collection")
    best = max(winners, key=winners.get)
    return best, (f"{best} is better than the paper's final model on all of {_labels()} by the one rule (paired "
                  f"intervals over the other collection's photos) and beats the gray baseline's AuC by at least "
                  f"{100 * margin:.0f} point there")


def default_run(study: dict, name: str) -> str | None:
    """Which run of the chosen model (``default_candidate``) is shipped as the default colorizer: among its runs at
    the paper's profile, the one with the best AuC on the other collection, or None when it has none there.
    That collection is a development set: choosing a seed on it makes the shipped run's own scores there
    optimistic, so the book gives them beside the mean over the seeds, which no choice touched."""
    runs = [m for m in study["models"].values() if m["experiment"] == name and PROFILES[m["profile"]][0] == "paper"
            and m.get("folder") is not None]
    return max(runs, key=lambda m: m["folder"]["auc"])["key"] if runs else None
