"""The results store: one folder per finished (or resumable) run, with everything needed to trust it.

Layout: ``<results>/<experiment>/<profile>-<fingerprint>/`` holding

- ``config.json``: the experiment, the model, the profile and every setting that shaped the run;
- ``checkpoint/``: while the run is unfinished, the newest complete epoch (see ``training``);
- ``history.json``: loss, accuracy, val_loss, val_accuracy and seconds per epoch;
- ``metrics.json``: the metrics on the validation and test splits, with the gray and mean-ab baselines;
- ``model.weights.h5``: the trained weights;
- ``provenance.json``: package version, git commit, backend and versions, data hash and counts,
  machine and timings. It is written last, atomically: a run without it is not finished.

The fingerprint hashes the config and the data hash, so the same config on the same data is loaded,
not retrained, and a different one gets its own folder.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from polychromify.product.errors import Damaged, reason
from polychromify.product.errors import read_json as read
from polychromify.product.files import atomic_path
from polychromify.training.profiles import PROFILES, Profile
from polychromify.training.provenance import environment
from polychromify.training.settings import results_dir as configured

FINISHED = "provenance.json"


def store_dir(results_dir: Path | None = None) -> Path:
    """The results store given, else the configured one (``settings.results_dir``: ``$POLYCHROMIFY_RESULTS``,
    else the checkout's ``results/``, never the current folder)."""
    return Path(results_dir) if results_dir else configured()


def fingerprint(config: dict) -> str:
    """A short stable hash of a JSON-able config.

    The data enter by their content hash, not by the folder they were read from: the same photos
    reached through another path (another clone, a symlink) give the same fingerprint.
    """
    config = dict(config)
    if isinstance(config.get("data"), dict):
        config["data"] = {k: v for k, v in config["data"].items() if k != "source"}
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:10]


def write_json(path: Path, value) -> None:
    """Write JSON (indented, keys sorted, a final newline) atomically, through ``files.atomic_path``."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True, default=_plain)
        f.write("\n")


def _plain(value):
    """JSON fallback for numpy scalars and paths."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def read_json(path: Path, advice: str = ""):
    """JSON from a file; ``errors.Damaged`` naming it (and ``advice``) when it cannot be parsed."""
    return read(path, advice)


@dataclass
class Run:
    """One run's folder in the store."""

    path: Path

    @property
    def experiment(self) -> str:
        return self.path.parent.name

    @property
    def finished(self) -> bool:
        return (self.path / FINISHED).is_file()

    @property
    def config(self) -> dict:
        return self._read("config.json")

    @property
    def history(self) -> dict:
        return self._read("history.json")

    @property
    def metrics(self) -> dict:
        return self._read("metrics.json")

    @property
    def provenance(self) -> dict:
        return self._read(FINISHED)

    @property
    def repair(self) -> str:
        """What to do about a damaged run: the command that retrains it, or deleting it (others serve meanwhile)."""
        return f"retrain it ({self.retrain_command()}) or delete {self.path}; other runs are used meanwhile"

    def retrain_command(self) -> str:
        """The ``polychromify train`` command that makes this run again: its profile and every field that differs
        from it as flags, and its photo folder (from its config; generic flags when the config is unreadable)."""
        try:
            config = read_json(self.path / "config.json")
            stored = dict(config["profile"])
        except (ValueError, OSError, KeyError, TypeError):
            return f"polychromify train {self.experiment} --retrain, with the flags that made it"
        words = ["polychromify", "train", self.experiment, "--profile", str(stored.get("name"))]
        named = PROFILES.get(stored.get("name"))
        base = stored_profile(named) if named else {}
        flat = {**{k: v for k, v in stored.items() if k != "cleaning"}, **stored.get("cleaning", {})}
        known = {**{k: v for k, v in base.items() if k != "cleaning"}, **base.get("cleaning", {})}
        for field, value in flat.items():
            if field != "name" and value != known.get(field):
                shown = ",".join(map(str, value)) if isinstance(value, list) else str(value)
                words += [f"--{field.replace('_', '-')}", shown]
        data = config.get("data", {})
        if not data.get("synthetic") and data.get("source"):
            words += ["--data", f"<the {Path(str(data['source'])).name} folder>"]  # stored by name only
        return " ".join(words + ["--retrain"])

    def _read(self, name: str) -> dict:
        value = read_json(self.path / name, self.repair)
        if not isinstance(value, dict):
            raise Damaged(f"{self.path / name}: damaged (not a JSON object); {self.repair}")
        return value

    @property
    def damage(self) -> str | None:
        """None for a sound run, else the one-line reason its files cannot be used (``errors.Damaged``): its
        config must be there, each of its history, metrics and provenance that is there must be readable JSON
        of the shape the readers expect (``SHAPES``), and a finished run's weights must be there and open,
        unless they are too big to keep (``weights_kept``: ECCV16's 129 MB are not committed; its numbers
        still count)."""
        try:
            read = {}
            for name in ("config.json", "history.json", "metrics.json", FINISHED):
                if name == "config.json" or (self.path / name).exists():
                    read[name] = self._read(name)
                    problem = shape_problem(read[name], SHAPES[name])
                    if problem:
                        raise Damaged(f"{self.path / name}: damaged ({problem}); {self.repair}")
            if FINISHED in read:
                self._check_weights(read[FINISHED])
        except (Damaged, FileNotFoundError) as err:
            return str(err) if isinstance(err, Damaged) else f"{err.filename}: missing; {self.repair}"
        return None

    @property
    def weights_kept(self) -> bool:
        """Whether the store keeps this run's weights: all but those over ``KEPT_WEIGHTS_BYTES`` (ECCV16's 32
        million parameters, 129 MB, which ``.gitignore`` keeps out of git)."""
        return _weights_kept(self._read(FINISHED)) if self.finished else True

    def _check_weights(self, provenance: dict) -> None:
        """``errors.Damaged`` when a finished run's weights that the store keeps are missing, empty or do not
        open as HDF5 (truncated, overwritten)."""
        import h5py

        if not self.weights.is_file():
            if _weights_kept(provenance):
                raise Damaged(f"{self.weights}: missing; {self.repair}")
            return
        try:
            with h5py.File(self.weights, "r"):
                pass
        except (OSError, ValueError) as err:
            raise Damaged(f"{self.weights}: damaged weights ({reason(err)}); {self.repair}") from None

    @property
    def weights(self) -> Path:
        return self.path / "model.weights.h5"

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / "checkpoint"


KEPT_WEIGHTS_BYTES = 100e6  # weights above this are not committed (.gitignore: ECCV16's)


def _weights_kept(provenance: dict) -> bool:
    """Whether a finished run's provenance counts parameters whose weights the store keeps (float32)."""
    params = provenance.get("params")
    return not isinstance(params, int) or 4 * params <= KEPT_WEIGHTS_BYTES

_NUMBER = (int, float)
# What the readers of a run's files need of each (``shape_problem``): a key -> a type, a nested shape, or
# ("each", shape) for every value of a dict.
SHAPES = {
    "config.json": {"experiment": dict, "profile": {"name": str}, "data": {"data_hash": str}, "epochs": int,
                    "image_size": int, "batch_size": int},
    "history.json": ("each", list),
    "metrics.json": {who: {split: ("each", _NUMBER) for split in ("val", "test")}
                     for who in ("model", "gray", "mean_ab")},
    FINISHED: {"timings": {"train_seconds_total": _NUMBER}, "data": dict},
}


def shape_problem(value, shape, where: str = "") -> str | None:
    """None when ``value`` has ``shape`` (see ``SHAPES``), else what is wrong, in a few words."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where or 'the file'} is not a JSON object"
        for key, inner in shape.items():
            if key not in value:
                return f"{where + '.' if where else ''}{key} is missing"
            problem = shape_problem(value[key], inner, f"{where + '.' if where else ''}{key}")
            if problem:
                return problem
        return None
    if isinstance(shape, tuple) and shape and shape[0] == "each":
        if not isinstance(value, dict):
            return f"{where or 'the file'} is not a JSON object"
        inside = (shape_problem(v, shape[1], f"{where + '.' if where else ''}{k}") for k, v in value.items())
        return next((problem for problem in inside if problem), None)
    kinds = shape if isinstance(shape, tuple) else (shape,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        words = {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}
        names = " or ".join(dict.fromkeys(words[k] for k in kinds))
        return f"{where} is not {names}"
    return None


def run_folder(results_dir: Path, experiment: str, config: dict) -> Run:
    """The folder for this experiment and config (it may not exist yet)."""
    profile = config.get("profile", {}).get("name", "custom")
    return Run(Path(results_dir) / experiment / f"{profile}-{fingerprint(config)}")


def list_runs(results_dir: Path | None = None, experiment: str | None = None, damaged: bool = False) -> list[Run]:
    """The run folders of the store (finished or not), sorted by experiment and name: the sound ones
    (``Run.damage``), each damaged one reported once on stderr, by name, with its repair; with ``damaged``
    the damaged ones too (for listing them as such)."""
    root = store_dir(results_dir)
    if not root.is_dir():
        return []
    pattern = f"{experiment}/*/config.json" if experiment else "*/*/config.json"
    runs = [Run(p.parent) for p in sorted(root.glob(pattern))]
    if damaged:
        return runs
    sound = []
    for run in runs:
        damage = run.damage
        if damage is None:
            sound.append(run)
        elif damage not in _REPORTED:
            _REPORTED.add(damage)
            print(f"polychromify: skipping a damaged run: {damage}", file=sys.stderr)
    return sound


_REPORTED: set[str] = set()  # damaged runs already reported by this process


def stored_profile(profile: Profile) -> dict:
    """A profile as a run's config.json holds it (JSON: tuples become lists), for comparing with stored runs."""
    return json.loads(json.dumps(profile.to_dict()))


def study_file(study: str, folder, results_dir: Path | None = None) -> Path:
    """Where a study of a photo folder is stored: ``<store>/studies/<study>-<folder's name>.json``."""
    return store_dir(results_dir) / "studies" / f"{study}-{Path(folder).name}.json"


def write_study(path: Path, study: dict) -> Path:
    """Write a study file atomically, with the machine and the time it was computed on."""
    from datetime import datetime, timezone
    write_json(path, {**study, "provenance": {
        **environment(), "computed_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}})
    return path


def read_study(path: Path) -> dict | None:
    """A stored study, or None when it was not computed."""
    return read_json(path) if Path(path).is_file() else None


def seeded_runs(experiments, profile: Profile, results_dir: Path | None = None) -> dict[str, list[Run]]:
    """Experiment -> its finished real-data runs of exactly ``profile`` but for the seed, in seed order (a
    study's runs: one per seed)."""
    def unseeded(fields: dict) -> dict:
        return {k: v for k, v in fields.items() if k != "seed"}
    wanted = unseeded(stored_profile(profile))
    out = {}
    for name in experiments:
        runs = [r for r in list_runs(results_dir, name) if r.finished and not r.config["data"].get("synthetic")
                and unseeded(r.config["profile"]) == wanted]
        out[name] = sorted(runs, key=lambda r: r.config["profile"]["seed"])
    return out


def profile_name(run: Run) -> str:
    """The profile a run folder's name gives (``<profile>-<fingerprint>``, ``results.run_folder``): readable
    also when its config is damaged."""
    return run.path.name.rsplit("-", 1)[0]


def find_run(experiment: str, profile=None, results_dir: Path | None = None, data_hash: str | None = None,
             synthetic: bool | None = None, exact: bool = False) -> Run | None:
    """The one answer to "which stored run?": the best finished run of an experiment, or None.

    ``profile`` is a profile name or a ``Profile`` (a name stands for that profile as defined in
    ``polychromify.training.profiles``): runs of that profile's name qualify. ``None``: runs of any profile, those of
    the larger-scale profiles first (``PROFILES`` order: paper before ablation, quick, smoke). The best is
    then the one on real data (unless ``synthetic`` says which), then one whose settings are exactly its
    profile's (not, say, a ``--precision mixed_bfloat16`` or ``--epochs 3`` variant; with ``exact`` only
    those), then the newest. ``data_hash``: only runs on those photos.
    """
    if profile is not None and not isinstance(profile, Profile):
        profile = PROFILES.get(profile, Profile(profile))
    scale = list(PROFILES)
    candidates = []
    for run in list_runs(results_dir, experiment):
        stored = run.config.get("profile", {})
        if not run.finished or (profile is not None and stored.get("name") != profile.name):
            continue
        named = profile or PROFILES.get(stored.get("name"))
        same = named is not None and stored == stored_profile(named)
        data = run.config.get("data", {})
        if (exact and not same) or (data_hash and data.get("data_hash") != data_hash):
            continue
        if synthetic is not None and bool(data.get("synthetic")) != synthetic:
            continue
        rank = scale.index(stored["name"]) if stored.get("name") in scale else -1
        candidates.append((not data.get("synthetic"), rank, same, run.provenance.get("finished_at", ""), run))
    return max(candidates, key=lambda c: c[:4])[4] if candidates else None


def resolve_run(name: str | Path, profile=None, results_dir: Path | None = None) -> Run:
    """A finished run named by its folder or by its experiment (``find_run``); FileNotFoundError or
    ValueError with a one-line reason and what to do."""
    if Path(name, "config.json").is_file():
        run = Run(Path(name))
        damage = run.damage
        if damage:
            raise Damaged(damage)
        if not run.finished:
            raise ValueError(f"{run.path}: the run is not finished (resume it with the command that started it)")
        return run
    run = find_run(str(name), profile, results_dir)
    if run is None:
        which = f" with profile {getattr(profile, 'name', profile)}" if profile is not None else ""
        flag = f" --profile {getattr(profile, 'name', profile)}" if profile is not None else ""
        raise FileNotFoundError(f"no finished run of {name}{which} in {store_dir(results_dir)}; "
                                f"train one: polychromify train {name}{flag}")
    return run


def record_metrics(run: Run, metrics: dict) -> None:
    """Replace a finished run's metrics with recomputed ones and say so in its provenance (when, at which
    commit, on which machine), so that the provenance never describes numbers it did not produce."""
    from datetime import datetime, timezone
    write_json(run.path / "metrics.json", metrics)
    provenance = run.provenance
    provenance.setdefault("metrics_recomputed", []).append(
        {**environment(), "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    write_json(run.path / FINISHED, provenance)


def run_key(run) -> str:
    """A run's name in the store, the same on every machine: ``<experiment>/<run folder>``."""
    return f"{run.path.parent.name}/{run.path.name}"
