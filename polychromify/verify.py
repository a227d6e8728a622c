"""The results store proves itself: recompute each finished run's metrics from its stored weights and the
photos, and report every run whose numbers differ from what the store says.

A run is checked when its weights are in the store and the photos it trained on are at hand (the same data
hash); otherwise it is reported as skipped with the reason. Numbers agree when they are equal up to float
noise: a relative tolerance of ``RTOL`` (float32 runs) or ``RTOL_BF16`` (mixed_bfloat16 runs, whose
arithmetic rounds differently on CPUs with and without bf16 hardware). Timings are not compared.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from .results import list_runs

RTOL = 1e-4
RTOL_BF16 = 2e-3
ATOL = 1e-6


@dataclass
class Check:
    """The outcome for one run: "ok", "differs" (with the differences), "damaged" (its files cannot be read:
    which, and the repair), or "skipped" (with why)."""

    run: object
    status: str
    details: list[str] = field(default_factory=list)

    def line(self) -> str:
        where = f"{self.run.experiment}/{self.run.path.name}"
        return f"{self.status:8} {where}" + (f": {'; '.join(self.details)}" if self.details else "")


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


class _Datasets:
    """Data sets loaded once for all the runs that share them (their baselines' metrics are computed once per
    data, split and training limit by ``experiments.evaluate_baselines`` itself)."""

    def __init__(self, data_dir):
        self.data_dir, self.loaded = data_dir, {}

    def get(self, experiment, profile):
        from .experiments import experiment_data, settings
        key = json.dumps([experiment.data_protocol, settings(experiment, profile)["image_size"], profile.seed,
                          profile.max_images, list(profile.split), profile.cleaning.__dict__], sort_keys=True)
        if key not in self.loaded:
            self.loaded[key] = experiment_data(experiment, profile, self.data_dir, quiet=True)
        return self.loaded[key]


def check_run(run, datasets: _Datasets, write_samples: bool = False) -> Check:
    """Recompute one finished run's metrics and compare them with the stored ones."""
    import keras

    from . import samples
    from .experiments import evaluate_baselines, evaluate_predictions, get_experiment, load_trained, store_samples
    from .profiles import from_stored
    config = run.config
    if not run.weights.is_file():
        return Check(run, "skipped", ["its weights are not in the store"])
    experiment = get_experiment(run.experiment)
    profile = from_stored(config["profile"])
    dataset = datasets.get(experiment, profile)
    if dataset.data_hash != config["data"]["data_hash"]:
        return Check(run, "skipped", [f"the photos at hand are not those it trained on (data hash "
                                      f"{dataset.data_hash[:10]}, the run's {config['data']['data_hash'][:10]})"])
    model = load_trained(run, profile.precision)
    recomputed = {"model": evaluate_predictions(experiment, model, dataset),
                  **evaluate_baselines(experiment, dataset)}
    found = differences(run.metrics, recomputed,
                        RTOL_BF16 if profile.precision == "mixed_bfloat16" else RTOL)
    if write_samples and samples.read_samples(run) is None:
        store_samples(experiment, run, model, profile, dataset)
    del model
    keras.backend.clear_session()
    return Check(run, "differs" if found else "ok", found)


def verify_store(results_dir=None, data_dir=None, profiles=None, experiments=None, write_samples: bool = False,
                 log=print) -> list[Check]:
    """Check every finished run of the store (of the given profiles and experiments, if any); one line each."""
    datasets, checks = _Datasets(data_dir), []
    for run in list_runs(results_dir, damaged=True):
        if not run.finished or (experiments and run.experiment not in experiments):
            continue
        damage = run.damage
        if damage is None and profiles and run.config["profile"]["name"] not in profiles:
            continue
        try:
            check = Check(run, "damaged", [damage]) if damage else check_run(run, datasets, write_samples)
        except (OSError, ValueError, KeyError) as err:
            check = Check(run, "skipped", [f"{type(err).__name__}: {err}"])
        checks.append(check)
        log(check.line())
    return checks
