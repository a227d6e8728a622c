"""The paper-scale campaign: every run the book's paper edition needs, in the order they are trained.

One entry per run: an experiment and the profile fields it changes (seed, precision). ``pending`` lists
what the store still lacks; ``run_campaign`` trains it, one run after another, each resumable from its
per-epoch checkpoint, so the campaign goes on over several sittings and machines.

Precision. Float32 is the paper's arithmetic. The final model's three seeds, the spread every comparison
is read against, are float32. The other runs are *flexible*: each starts in mixed_bfloat16 on a CPU with
bf16 hardware (AVX-512 BF16 or AMX: 12.9 against 5.6 images/s for the final model on an Intel Xeon with
AMX, 2 cores) and in float32 elsewhere, and keeps that precision for its whole life (it is part of the
run's config). The final model is also trained in mixed_bfloat16, so that the book shows what bf16
changes against the spread between seeds. The two ECCV16 runs cannot span sittings (their checkpoints are
too big for the repository) and take about 2.7 h in bf16 on the best CPU seen: they are bf16 only.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from polychromify.product.errors import Busy
from polychromify.training.experiments import get_experiment
from polychromify.training.fit import finished_epochs
from polychromify.training.profiles import SEEDS, get_profile
from polychromify.training.provenance import cpu_info
from polychromify.training.results import find_run, list_runs, stored_profile
from polychromify.training.runner import checkpoint_dir, run_experiment, settings

FAST = "float32 or mixed_bfloat16"  # a flexible entry's precision: the faster one where it starts


@dataclass(frozen=True)
class Entry:
    """One run of the campaign: an experiment with the profile fields it changes.

    ``flexible``: the precision is chosen when the run starts (``FAST``) and kept for the run's life.
    """

    experiment: str
    overrides: dict = field(default_factory=dict)
    flexible: bool = False

    @property
    def label(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(self.overrides.items()))
        if self.flexible:
            extra = ", ".join(filter(None, [extra, f"precision={FAST}"]))
        return f"{self.experiment} ({extra})" if extra else self.experiment

    @property
    def bf16(self) -> bool:
        return self.overrides.get("precision") == "mixed_bfloat16"

    def variants(self) -> list["Entry"]:
        """The fixed-precision entries this one may become (itself, if it is not flexible)."""
        if not self.flexible:
            return [self]
        return [Entry(self.experiment, {**self.overrides, "precision": p}) for p in ("float32", "mixed_bfloat16")]


BF16 = {"precision": "mixed_bfloat16"}

CAMPAIGN = [
    *[Entry("polychromify", {"seed": s}) if s != SEEDS[0] else Entry("polychromify") for s in SEEDS],
    Entry("polychromify", BF16),      # what bf16 changes, against the seed spread
    Entry("cnn", flexible=True),      # Table 2
    *[Entry(f"polychromify_{v}", flexible=True) for v in ("v1", "v2", "v4", "v5")],  # Table 1 (v3: the final)
    *[Entry(e, flexible=True) for e in ("ae_v0", "ae_v1", "ae_v2", "ae_v3", "cnn_selection")],  # V.A, Fig. 3
    Entry("polychromify_author_data", flexible=True),  # the author's data protocol (duplicates kept, random split)
    Entry("eccv16", BF16),            # Table 2 (the author's translation); one sitting, needs bf16 hardware
    Entry("eccv16_zhang", BF16),      # beyond the paper: Zhang's recipe; one sitting, needs bf16 hardware
    # beyond the paper (chapter "Beyond the paper"): the U-Net with the final model's three seeds, float32 like
    # them; the large U-Net and the classification loss once each, in bf16 (beyond the paper, speed decides)
    *[Entry("polychromify_unet", {"seed": s}) if s != SEEDS[0] else Entry("polychromify_unet") for s in SEEDS],
    Entry("polychromify_unet_large", BF16),
    Entry("polychromify_classes", BF16),
    # the final model in bf16 with all three seeds: the spread the bf16 variants below are read against
    *[Entry("polychromify", {"seed": s, **BF16}) for s in SEEDS[1:]],
    # what else may fix pale colours and generalize: the L1 loss once (at the ablation profile it predicts gray),
    # mirrored photos on the final model and on the large U-Net with three seeds each
    Entry("polychromify_l1", BF16),
    *[Entry(e, {"seed": s, **BF16} if s != SEEDS[0] else BF16) for e in
      ("polychromify_flip", "polychromify_unet_large_flip") for s in SEEDS],
    Entry("polychromify", {"image_size": 256, **BF16}),  # resolution: the photos' own 256 px
    # the author's data protocol lifted the final model's AuC on the other collection by 1.0 point (generalization
    # study): does it lift the U-Net too? float32, read against the U-Net's float32 seeds
    Entry("polychromify_unet_author_data"),
    # on the other collection the large U-Net (AuC 0.904) and the U-Net under the author's protocol (0.905) each
    # came within 0.2 points of the default colorizer's bar (gray + 1 point): both together, bf16 like the large
    # U-Net's run it is read against; three seeds, so its distance from that bar is read against its seed spread
    *[Entry("polychromify_unet_large_author_data", {"seed": s, **BF16} if s != SEEDS[0] else BF16) for s in SEEDS],
    # its best validation epochs were 25, 21 and 24 of 25: still improving. A longer schedule (up to 50 epochs),
    # the validation curve deciding when to stop and which weights to keep
    Entry("polychromify_unet_large_author_data_long", BF16),
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
    """The finished run of an entry (of any of its precisions, if flexible) on the real photos (on synthetic
    data with ``synthetic``), or None."""
    for variant in entry.variants():
        run = find_run(variant.experiment, get_profile(profile, **variant.overrides), results_dir,
                       synthetic=synthetic, exact=True)
        if run is not None:
            return run
    return None


def started(entry: Entry, profile: str = "paper", results_dir=None, cache_dir=None) -> Entry | None:
    """The fixed-precision variant of an entry whose run has begun (a checkpoint to resume, in its run folder or,
    for ``checkpoint_in_cache`` experiments, in ``cache_dir``), or None."""
    for variant in entry.variants():
        wanted = stored_profile(get_profile(profile, **variant.overrides))
        for run in list_runs(results_dir, variant.experiment):
            if not run.finished and run.config.get("profile") == wanted:
                if finished_epochs(checkpoint_dir(get_experiment(variant.experiment), run, cache_dir)):
                    return variant
    return None


def resolve(entry: Entry, profile: str = "paper", results_dir=None, cpu: dict | None = None,
            accelerator: bool = False, cache_dir=None) -> Entry:
    """The fixed-precision entry to train now: the one already begun, else (flexible entries) the faster
    precision on this CPU; on an accelerator, where speed is no object, the paper's float32."""
    if not entry.flexible:
        return entry
    begun = started(entry, profile, results_dir, cache_dir)
    if begun is not None:
        return begun
    precision = "mixed_bfloat16" if has_fast_bf16(cpu) and not accelerator else "float32"
    return Entry(entry.experiment, {**entry.overrides, "precision": precision})


def pending(profile: str = "paper", results_dir=None, synthetic: bool = False) -> list[Entry]:
    """The entries the store lacks, in campaign order."""
    return [e for e in CAMPAIGN if finished(e, profile, results_dir, synthetic) is None]


def runnable(entry: Entry, cpu: dict | None = None, accelerator: bool = False, large: bool = False) -> str | None:
    """Why an entry should not start on this machine now, or None if it can.

    ``large``: the caller has one uninterrupted sitting for the ``Experiment.large`` ones (their checkpoints wait
    only in this machine's user cache); without it, and without an accelerator, they are left for later.
    """
    if accelerator:
        return None
    if entry.bf16 and not has_fast_bf16(cpu):
        return "mixed_bfloat16 needs a CPU with AVX-512 BF16 or AMX (emulated bf16 is slower than float32)"
    if get_experiment(entry.experiment).large and not large:
        return (f"needs one sitting of about {LARGE_RUN_HOURS} h on a 2-core CPU (pass --large at the start "
                f"of a session) or a GPU (--accelerator)")
    return None


class CampaignFailed(RuntimeError):
    """Some runs of a campaign failed (each was logged with its reason); the others were trained."""


def run_campaign(profile: str = "paper", data_dir=None, results_dir=None, only: list[str] | None = None,
                 accelerator: bool = False, large: bool = False, log=print, cache_dir=None) -> list[Entry]:
    """Train the pending entries (those named in ``only``, if given) one after another; returns those done.
    A run that fails is logged with its reason and the campaign goes on; ``CampaignFailed`` is raised at
    the end if any did.

    ``data_dir`` None: synthetic landscapes (the CLI passes ``--data`` or ``$POLYCHROMIFY_DATA``). Entries whose
    experiment has ``checkpoint_in_cache`` checkpoint to ``cache_dir`` (None: ``settings.cache_dir()``): they
    resume only on the same machine.
    """
    import keras

    done, failed = [], []
    synthetic = data_dir is None  # the tests' campaigns
    for entry in pending(profile, results_dir, synthetic):
        if only and entry.experiment not in only and entry.label not in only:
            continue
        entry = resolve(entry, profile, results_dir, accelerator=accelerator, cache_dir=cache_dir)
        reason = runnable(entry, accelerator=accelerator, large=large)
        if reason:
            log(f"skip {entry.label}: {reason}")
            continue
        where = "user cache" if get_experiment(entry.experiment).checkpoint_in_cache else "run folder"
        log(f"train {entry.label} ({profile} profile; checkpoint every epoch in the {where})")
        try:
            run = run_experiment(entry.experiment, profile, data_dir, results_dir, verbose=2, cache_dir=cache_dir,
                                 **entry.overrides)
        except Busy as err:
            log(f"skip {entry.label}: {err}")
            continue
        except Exception as err:  # one run's failure must not cost the others their turn (hours on a CPU)
            traceback.print_exc()  # for whoever reads the campaign's log later
            log(f"failed {entry.label}: {type(err).__name__}: {err}")
            failed.append(entry)
            keras.backend.clear_session()
            continue
        log(f"finished {entry.label}: {run.path}" if run.finished else f"stopped {entry.label}: {run.path}")
        done.append(entry)
        keras.backend.clear_session()
    if failed:
        raise CampaignFailed(f"{len(failed)} run(s) failed: {', '.join(e.label for e in failed)}; "
                             f"{len(done)} trained")
    return done


def listing(profile: str = "paper", results_dir=None, cache_dir=None, large: bool = False) -> list[str]:
    """One line per run of the campaign: finished (and where), or pending (and, if it cannot start now, why)."""
    todo, lines = pending(profile, results_dir), []
    for entry in CAMPAIGN:
        run = finished(entry, profile, results_dir)
        why = runnable(resolve(entry, profile, results_dir, cache_dir=cache_dir), large=large) if entry in todo else None
        state = f"finished  {run.path}" if run else f"pending{'  (' + why + ')' if why else ''}"
        lines.append(f"{entry.label:44} {state}")
    return lines


def batch_sizes(profile: str = "paper") -> list[int]:
    """Every batch size the campaign's runs train with (the paper profile: 16 and 32): what data-parallel
    training must split evenly over the devices."""
    return sorted({settings(get_experiment(e.experiment), get_profile(profile, **e.overrides))["batch_size"]
                   for e in CAMPAIGN})
