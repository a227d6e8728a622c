"""The paper-scale campaign: every run the book's paper edition needs, in the order they are trained.

One entry per run: an experiment and the profile fields it changes (seed, precision). ``pending`` lists
what the store still lacks; ``run_campaign`` trains it, one run after another, each resumable from its
per-epoch checkpoint, so the campaign goes on over several sittings and machines.

Precision. Float32 is the paper's arithmetic and runs on every CPU, so every run that may span sittings
(and machines of different CPUs) is float32. The two ECCV16 runs cannot span sittings (their checkpoints
are too big for the repository) and take about 3.8 h in float32 on the best CPU seen: they train in
mixed_bfloat16 (about 75 min where the CPU has bf16), and the final model is also trained in
mixed_bfloat16 so that the book shows what bf16 changes against the spread between seeds.
A run's precision is part of its config, fixed for its whole life.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .experiments import CACHED_CHECKPOINTS, LARGE_MODELS, run_experiment
from .profiles import get_profile
from .results import cpu_info, find_run


@dataclass(frozen=True)
class Entry:
    """One run of the campaign: an experiment with the profile fields it changes."""

    experiment: str
    overrides: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(self.overrides.items()))
        return f"{self.experiment} ({extra})" if extra else self.experiment

    @property
    def bf16(self) -> bool:
        return self.overrides.get("precision") == "mixed_bfloat16"


BF16 = {"precision": "mixed_bfloat16"}
SEEDS = (42, 43, 44)  # the final model's seeds: the spread every comparison is read against

CAMPAIGN = [
    *[Entry("polychromify", {"seed": s}) if s != 42 else Entry("polychromify") for s in SEEDS],
    Entry("cnn"),                     # Table 2
    *[Entry(f"polychromify_{v}") for v in ("v1", "v2", "v4", "v5")],  # Table 1 (v3 is the final model)
    *[Entry(e) for e in ("ae_v0", "ae_v1", "ae_v2", "ae_v3", "cnn_selection")],  # section V.A, Fig. 3
    Entry("polychromify_author_data"),  # the author's data protocol (duplicates kept, random split)
    Entry("polychromify", BF16),      # what bf16 changes, against the seed spread
    Entry("eccv16", BF16),            # Table 2 (the author's translation); one sitting, needs bf16 hardware
    Entry("eccv16_zhang", BF16),      # beyond the paper: Zhang's recipe; one sitting, needs bf16 hardware
]

# Measured with benchmarks/train_throughput.py on an Intel Xeon with AMX (2 cores, TensorFlow 2.21):
# ECCV16 trains at 7.0 images/s in mixed_bfloat16, so a paper-scale run (2,560 photos x 25 epochs plus
# validation) takes about 2.7 h of an otherwise idle machine. It cannot be committed between sittings.
LARGE_RUN_HOURS = 2.7


def has_fast_bf16(cpu: dict | None = None) -> bool:
    """Whether this CPU computes bf16 in hardware (AVX-512 BF16 or AMX); elsewhere it is emulated and slower."""
    features = (cpu or cpu_info())["features"]
    return "avx512_bf16" in features or "amx_bf16" in features


def finished(entry: Entry, profile: str = "paper", results_dir=None, synthetic: bool = False):
    """The finished run of an entry on the real photos (on synthetic data with ``synthetic``), or None."""
    return find_run(entry.experiment, get_profile(profile, **entry.overrides), results_dir, synthetic=synthetic,
                    exact=True)


def pending(profile: str = "paper", results_dir=None, synthetic: bool = False) -> list[Entry]:
    """The entries the store lacks, in campaign order."""
    return [e for e in CAMPAIGN if finished(e, profile, results_dir, synthetic) is None]


def runnable(entry: Entry, cpu: dict | None = None, accelerator: bool = False, large: bool = False) -> str | None:
    """Why an entry should not start on this machine now, or None if it can.

    ``large``: the caller has one uninterrupted sitting for the ``LARGE_MODELS`` (their checkpoints wait
    only in this machine's user cache); without it, and without an accelerator, they are left for later.
    """
    if accelerator:
        return None
    if entry.bf16 and not has_fast_bf16(cpu):
        return "mixed_bfloat16 needs a CPU with AVX-512 BF16 or AMX (emulated bf16 is slower than float32)"
    if entry.experiment in LARGE_MODELS and not large:
        return (f"needs one sitting of about {LARGE_RUN_HOURS} h on a 2-core CPU (pass --large at the start "
                f"of a session) or a GPU (--accelerator)")
    return None


def run_campaign(profile: str = "paper", data_dir=None, results_dir=None, only: list[str] | None = None,
                 accelerator: bool = False, large: bool = False, log=print) -> list[Entry]:
    """Train the pending entries (those named in ``only``, if given) one after another; returns those done.

    Entries of ``CACHED_CHECKPOINTS`` checkpoint to the user cache: they resume only on the same machine.
    """
    import keras

    from .data import default_data_dir
    done = []
    synthetic = data_dir is None and default_data_dir() is None  # the tests' campaigns
    for entry in pending(profile, results_dir, synthetic):
        if only and entry.experiment not in only and entry.label not in only:
            continue
        reason = runnable(entry, accelerator=accelerator, large=large)
        if reason:
            log(f"skip {entry.label}: {reason}")
            continue
        where = "user cache" if entry.experiment in CACHED_CHECKPOINTS else "run folder"
        log(f"train {entry.label} ({profile} profile; checkpoint every epoch in the {where})")
        run = run_experiment(entry.experiment, profile, data_dir, results_dir, verbose=2, **entry.overrides)
        log(f"finished {entry.label}: {run.path}" if run.finished else f"stopped {entry.label}: {run.path}")
        done.append(entry)
        keras.backend.clear_session()
    return done
