"""The results store proves itself: recompute each finished run's metrics from its stored weights and the
photos, and report every run whose numbers differ from what the store says.

A run is checked when the photos it trained on are at hand (the same data hash); otherwise it is reported as
skipped with the reason. A run that should be checkable and is not fails the check as damaged: its weights
missing, empty or unreadable, or its metrics there without the provenance that finishes a run. A run whose
weights are too big to keep (ECCV16's, ``Run.weights_kept``) is listed by name as not verifiable. When no run
at all could be checked, the check fails too: it proved nothing. Numbers agree when they are equal up to float
noise: a relative tolerance of ``RTOL`` (float32 runs) or ``RTOL_BF16`` (mixed_bfloat16 runs, whose
arithmetic rounds differently on CPUs with and without bf16 hardware). Timings are not compared.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from polychromify.training import samples
from polychromify.training.experiments import get_experiment
from polychromify.training.profiles import from_stored
from polychromify.training.resolve import load_trained
from polychromify.training.results import list_runs, profile_name
from polychromify.training.runner import (
    Datasets,
    evaluate_baselines,
    evaluate_predictions,
    store_samples,
)

NOT_VERIFIABLE = "not verifiable"
STATUSES = ("ok", "differs", "damaged", NOT_VERIFIABLE, "skipped")
RTOL = 1e-4
RTOL_BF16 = 2e-3
ATOL = 1e-6


@dataclass
class Check:
    """The outcome for one run: "ok", "differs" (with the differences), "damaged" (its files cannot be read:
    which, and the repair), "not verifiable" (its weights are not kept) or "skipped" (with why: the photos it
    trained on are not at hand)."""

    run: object
    status: str
    details: list[str] = field(default_factory=list)

    def line(self) -> str:
        where = f"{self.run.experiment}/{self.run.path.name}"
        return f"{self.status:14} {where}" + (f": {'; '.join(self.details)}" if self.details else "")


def differences(stored, recomputed, rtol: float, path: str = "") -> list[str]:
    """Where two metric trees disagree beyond the tolerance (keys named ``seconds`` are timings: ignored)."""
    if isinstance(stored, dict) and isinstance(recomputed, dict):
        out = []
        for key in sorted(set(stored) | set(recomputed)):
            if key == "seconds":
                continue
            where = f"{path}.{key}" if path else key
            if key not in stored or key not in recomputed:
                out.append(f"{where} only in the {'store' if key in stored else 'recomputation'}")
            else:
                out += differences(stored[key], recomputed[key], rtol, where)
        return out
    a, b = float(stored), float(recomputed)
    if math.isnan(a) and math.isnan(b):
        return []
    if math.isclose(a, b, rel_tol=rtol, abs_tol=ATOL):
        return []
    return [f"{path}: stored {a:.6g}, recomputed {b:.6g}"]


def check_run(run, datasets: Datasets, write_samples: bool = False) -> Check:
    """Recompute one finished run's metrics and compare them with the stored ones."""
    import keras  # its session cleared after each run
    config = run.config
    if not run.weights.is_file() and not run.weights_kept:
        return Check(run, NOT_VERIFIABLE, [f"its weights ({run.provenance['params']:,} parameters) are too big "
                                           "to keep in the store, so its numbers cannot be recomputed here"])
    experiment = get_experiment(run.experiment)
    profile = from_stored(config["profile"])
    dataset = datasets.get(experiment, profile)
    if dataset.data_hash != config["data"]["data_hash"]:
        return Check(run, "skipped", [f"the photos at hand are not those it trained on (data hash "
                                      f"{dataset.data_hash[:10]}, the run's {config['data']['data_hash'][:10]})"])
    model = load_trained(run, profile.precision)
    recomputed = {"model": evaluate_predictions(model, dataset),
                  **evaluate_baselines(experiment, dataset)}
    found = differences(run.metrics, recomputed,
                        RTOL_BF16 if profile.precision == "mixed_bfloat16" else RTOL)
    if write_samples and samples.read_samples(run) is None:
        store_samples(model, run, profile, dataset)
    del model
    keras.backend.clear_session()
    return Check(run, "differs" if found else "ok", found)


def verify_store(results_dir=None, data_dir=None, profiles=None, experiments=None, write_samples: bool = False,
                 log=print) -> list[Check]:
    """Check every finished run of the store (of the given profiles and experiments, if any); one line each."""
    datasets, checks = Datasets(data_dir), []
    for run in list_runs(results_dir, damaged=True):
        if experiments and run.experiment not in experiments:
            continue
        damage = run.damage
        if not run.finished:
            if damage is None and not (run.path / "metrics.json").is_file():
                continue  # in training, or stopped: nothing to check yet
            damage = damage or (f"{run.path / 'provenance.json'}: missing, though its metrics are there (deleted, "
                                f"or the run was stopped while it finished); {run.repair}")
        if profiles and profile_name(run) not in profiles:
            continue
        try:
            check = Check(run, "damaged", [damage]) if damage else check_run(run, datasets, write_samples)
        except (OSError, ValueError, KeyError) as err:  # a file that broke while it was being read
            first = str(err).splitlines()[0] if str(err) else ""
            check = Check(run, "damaged", [f"{type(err).__name__}: {first}"])
        checks.append(check)
        log(check.line())
    return checks


def verdict(checks: list[Check]) -> tuple[dict[str, int], int]:
    """The counts of each status and the exit code: 1 when a run differs or is damaged, or when runs were
    found and none could be checked (it proved nothing); else 0."""
    counts = {status: sum(c.status == status for c in checks) for status in STATUSES}
    failed = counts["differs"] or counts["damaged"] or (checks and not counts["ok"])
    return counts, 1 if failed else 0
