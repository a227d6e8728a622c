"""Evidence as data: a Study of models scored photo by photo, and the one verdict rule.

Every scored run keeps its per-photo scores in the store (``photo_scores``): each metric of each photo of its
test split and of other collections (scenes-dev), for the model and the gray and mean-ab baselines. A
``Study`` gathers the runs of several models on one set of photos and answers with numbers: each entry's mean
and its spread across runs, and paired comparisons with a bootstrap interval and a verdict. Prose only phrases
what it returns.

The verdict rule (``compare``), for one metric, "better" meaning better in the metric's direction
(``metrics.METRICS``):

- *One model against another*, or *a recipe with several runs against a single model* (the author's weights,
  the gray baseline) or against another recipe: on the photos every run of both shares, each photo's difference
  is the mean over the first's runs minus the mean over the second's; the estimate is the mean over photos (for a
  recipe against a single model: the mean over runs of each run's paired difference), and its 95 % interval
  comes from resampling the photos (``BOOTSTRAP`` times, a fixed seed). The spread across runs (each run's own
  mean difference, smallest to largest) is reported beside it.
- "better" or "worse" only when the interval excludes zero and every pair of runs agrees in sign; otherwise
  "cannot tell apart".
- *A recipe against its own baselines* (``compare_each``: each run against the gray or mean-ab prediction of its
  own photos, where the runs drew different splits): the estimate is the mean over runs of each run's paired
  difference, its interval comes from resampling each run's photos, and the verdict rule is the same.
- *Ours against a single number with no photos behind it* (``against_number``: the paper's printed value, or a
  run whose weights are gone): only our spread counts: "better" or "worse" only when every one of at least two runs
  is on the same side of the number; otherwise "cannot tell apart", and the sentence says that the spread is ours
  alone.

Every comparison remembers what it compared (the runs' keys, the set, the predictor, the values), so a test can
recompute each verdict the book prints from the store. ``runs_label`` and ``what_varied`` say which runs a number
is and what differed between them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from polychromify.product.metrics import METRICS, STUDY_KEYS
from polychromify.studies.photo_scores import PHOTO_SCORES, TEST, read_photo_scores
from polychromify.training.results import Run, run_key

BOOTSTRAP = 2000       # resamples of the photos for an interval
CONFIDENCE = 0.95
SEED = 0               # the resampling's seed: the same scores give the same interval
BETTER, WORSE, CANNOT_TELL = "better", "worse", "cannot tell apart"
VERDICTS = (BETTER, WORSE, CANNOT_TELL)

__all__ = [
    "BETTER",
    "CANNOT_TELL",
    "WORSE",
    "Comparison",
    "Entry",
    "NumberComparison",
    "Scores",
    "Study",
    "against_number",
    "against_paper",
    "compare",
    "compare_each",
    "run_scores",
    "runs_label",
    "what_varied",
]


@dataclass(frozen=True)
class Scores:
    """One predictor's per-photo scores on one set: a run's model (or its gray or mean-ab baseline)."""

    key: str                         # the run's key in the store, "<experiment>/<run folder>"
    photos: tuple[str, ...]
    values: dict[str, np.ndarray]    # metric key -> one value per photo
    set_name: str = TEST
    predictor: str = "model"

    def on(self, photos) -> dict[str, np.ndarray]:
        """The values of ``photos`` (a subset of this one's), in their order."""
        index = {name: i for i, name in enumerate(self.photos)}
        rows = np.array([index[name] for name in photos], dtype=np.intp)
        return {key: values[rows] for key, values in self.values.items()}


def run_scores(run: Run, set_name: str = TEST, predictor: str = "model") -> Scores | None:
    """A run's per-photo scores on a set ("test": its own test split; a folder's name: that collection), or None
    when the store holds none (its weights are gone, or it was not scored yet)."""
    path = run.path / PHOTO_SCORES
    if not path.is_file():
        return None
    table = read_photo_scores(path).get((set_name, predictor))
    if table is None:
        return None
    names, values = table
    return Scores(run_key(run), tuple(names), values, set_name, predictor)


@dataclass(frozen=True)
class Comparison:
    """One metric of one entry against a reference, paired over the photos they share."""

    metric: str
    photos: int                       # photos shared by every run of both
    runs: tuple[int, int]             # runs of the entry and of the reference
    difference: float                 # entry minus reference, in the metric's unit (mean over photos)
    gain: float                       # the same, signed so that > 0 is better
    interval: tuple[float, float]     # 95 % bootstrap interval of ``gain``
    run_gains: tuple[float, ...]      # each pair of runs' own mean gain (the spread across runs)
    verdict: str
    entry: tuple[str, ...] = ()       # the runs compared (their keys in the store) ...
    reference: tuple[str, ...] = ()   # ... against these
    set_name: str = TEST
    predictor: str = "model"          # the reference's predictor: "model", or its "gray" / "mean_ab" baseline
    paired: str = "shared"            # "shared": over the photos all runs share; "each": each run on its own

    @property
    def spread(self) -> tuple[float, float]:
        """The smallest and largest gain of one pair of runs."""
        return min(self.run_gains), max(self.run_gains)


def _shared(groups: list[list[Scores]]) -> tuple[str, ...]:
    """The photos every run of every group scored, in the first run's order."""
    common = set.intersection(*(set(s.photos) for group in groups for s in group))
    return tuple(name for name in groups[0][0].photos if name in common)


def _bootstrap(*strata: np.ndarray, draws: int = BOOTSTRAP, seed: int = SEED) -> tuple[float, float]:
    """The percentile interval of the mean over ``strata`` of each one's mean, each stratum's photos resampled on
    their own (one stratum: the mean of ``per_photo`` over resampled photos)."""
    rng = np.random.default_rng(seed)
    means = np.zeros(draws)
    for start in range(0, draws, 250):  # a few hundred resamples at a time: bounded memory for many photos
        for values in strata:
            rows = rng.integers(0, len(values), size=(min(250, draws - start), len(values)))
            means[start:start + len(rows)] += values[rows].mean(axis=1) / len(strata)
    tail = (1 - CONFIDENCE) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def compare(entry: list[Scores], reference: list[Scores], metric: str) -> Comparison:
    """The verdict rule (module docstring) for one metric: ``entry``'s runs against ``reference``'s."""
    if not entry or not reference:
        raise ValueError("compare needs per-photo scores of at least one run on each side")
    spec = METRICS[metric]
    photos = _shared([entry, reference])
    if not photos:
        raise ValueError(f"{entry[0].key} and {reference[0].key} share no photo")
    mine = np.array([s.on(photos)[metric] for s in entry])       # runs x photos
    theirs = np.array([s.on(photos)[metric] for s in reference])
    sign = 1.0 if spec.higher_is_better else -1.0
    per_photo = sign * (mine.mean(axis=0) - theirs.mean(axis=0))
    low, high = _bootstrap(per_photo)
    run_gains = tuple(float(sign * (a.mean() - b.mean())) for a in mine for b in theirs)
    verdict = _rule(low, high, run_gains)
    difference = float((mine.mean(axis=0) - theirs.mean(axis=0)).mean())
    return Comparison(metric, len(photos), (len(entry), len(reference)), difference, float(per_photo.mean()),
                      (low, high), run_gains, verdict, tuple(s.key for s in entry), tuple(s.key for s in reference),
                      entry[0].set_name, reference[0].predictor)


def _rule(low: float, high: float, run_gains) -> str:
    agree = all(g > 0 for g in run_gains) or all(g < 0 for g in run_gains)
    return BETTER if low > 0 and agree else WORSE if high < 0 and agree else CANNOT_TELL


def compare_each(entry: list[Scores], reference: list[Scores], metric: str) -> Comparison:
    """The verdict rule for runs that drew different splits, each against its own reference on its own photos
    (a recipe against its runs' gray or mean-ab baselines): run i is paired with ``reference[i]`` over the photos
    both scored; the estimate is the mean over runs of their mean paired gains; each resample draws each run's
    photos anew (the runs are strata), and the verdict rule is ``compare``'s."""
    if not entry or len(entry) != len(reference):
        raise ValueError("compare_each needs one reference per run")
    sign = 1.0 if METRICS[metric].higher_is_better else -1.0
    gains, count = [], 0
    for mine, theirs in zip(entry, reference):
        photos = _shared([[mine], [theirs]])
        gains.append(sign * (mine.on(photos)[metric] - theirs.on(photos)[metric]))
        count += len(photos)
    low, high = _bootstrap(*gains)
    run_gains = tuple(float(g.mean()) for g in gains)
    gain = float(np.mean(run_gains))
    return Comparison(metric, count, (len(entry), len(reference)), sign * gain, gain, (low, high), run_gains,
                      _rule(low, high, run_gains), tuple(s.key for s in entry), tuple(s.key for s in reference),
                      entry[0].set_name, reference[0].predictor, "each")


@dataclass(frozen=True)
class NumberComparison:
    """Our runs' values of one metric against a single number with no photos behind it (the paper's printed
    value, or a run whose weights are gone)."""

    metric: str
    number: float
    ours: tuple[float, ...]            # one value per run
    verdict: str
    note: str                          # what the verdict rests on, for the sentence
    runs: tuple[str, ...] = ()         # our runs' keys in the store
    whose: str = "the paper's"         # whose the number is

    @property
    def mean(self) -> float:
        return float(np.mean(self.ours))


def against_number(ours: list[float], number: float, metric: str, whose: str = "the paper's",
                   runs: tuple[str, ...] = ()) -> NumberComparison:
    """The verdict rule against a single number (module docstring): only our spread counts. ``ours``: one value
    per run (their keys ``runs``), in the metric's unit."""
    spec, values = METRICS[metric], tuple(float(v) for v in ours)
    gains = [spec.gain(v, number) for v in values]
    if len(values) < 2:
        return NumberComparison(metric, number, values, CANNOT_TELL,
                                "one run of ours against a single number: no spread on either side to read the "
                                "difference against", tuple(runs), whose)
    verdict = BETTER if all(g > 0 for g in gains) else WORSE if all(g < 0 for g in gains) else CANNOT_TELL
    return NumberComparison(metric, number, values, verdict,
                            f"the spread is ours alone: {len(values)} runs, {min(values):.4g} to {max(values):.4g}",
                            tuple(runs), whose)


def against_paper(ours: list[float], paper: float, metric: str, runs: tuple[str, ...] = ()) -> NumberComparison:
    """Ours against the paper's single printed number (``against_number``)."""
    return against_number(ours, paper, metric, "the paper's", runs)


@dataclass
class Entry:
    """A model of a study: its name, label and runs (one per seed, split, backend or machine)."""

    name: str
    label: str
    runs: list[Run]
    varied: str = "seed"               # what differs between its runs


@dataclass
class Study:
    """Models scored photo by photo on one set ("test" or a collection's name), with the baselines."""

    set_name: str
    entries: dict[str, Entry]
    keys: tuple[str, ...] = STUDY_KEYS
    _cache: dict = field(default_factory=dict, repr=False)

    def scores(self, name: str, predictor: str = "model") -> list[Scores]:
        """The per-photo scores of an entry's runs (a baseline: ``predictor`` "gray" or "mean_ab" of its runs);
        runs without stored scores are left out (``missing`` names them)."""
        key = (name, predictor)
        if key not in self._cache:
            found = [run_scores(run, self.set_name, predictor) for run in self.entries[name].runs]
            self._cache[key] = [s for s in found if s is not None]
        return self._cache[key]

    def missing(self, name: str) -> list[str]:
        """The runs of an entry with no per-photo scores in the store (their weights are gone, or not scored)."""
        scored = {s.key for s in self.scores(name)}
        return [run_key(run) for run in self.entries[name].runs if run_key(run) not in scored]

    def means(self, name: str, predictor: str = "model") -> dict[str, float] | None:
        """Each metric's mean over the entry's runs of their means over the set's photos; None without scores."""
        runs = self.scores(name, predictor)
        if not runs:
            return None
        return {k: float(np.mean([s.values[k].mean() for s in runs])) for k in self.keys}

    def spreads(self, name: str) -> dict[str, tuple[float, float]] | None:
        """Each metric's smallest and largest run mean; None below two runs."""
        runs = self.scores(name)
        if len(runs) < 2:
            return None
        per_run = {k: [float(s.values[k].mean()) for s in runs] for k in self.keys}
        return {k: (min(v), max(v)) for k, v in per_run.items()}

    def compare(self, name: str, reference: str, predictor: str = "model") -> dict[str, Comparison] | None:
        """Every metric of an entry against another entry (``predictor`` "gray"/"mean_ab": against the
        reference's baseline), under the verdict rule; None when either has no per-photo scores."""
        mine, theirs = self.scores(name), self.scores(reference, predictor)
        if not mine or not theirs:
            return None
        return {k: compare(mine, theirs, k) for k in self.keys}

    def verdicts(self, reference: str) -> dict[str, dict[str, Comparison]]:
        """Every other entry against ``reference``: {name: {metric: Comparison}} (entries without scores left
        out)."""
        out = {}
        for name in self.entries:
            if name != reference and (found := self.compare(name, reference)) is not None:
                out[name] = found
        return out

    def against_baselines(self, name: str, predictor: str = "gray") -> dict[str, Comparison] | None:
        """Every metric of an entry against its own runs' ``predictor`` baseline ("gray" or "mean_ab"), each run
        on its own photos (``compare_each``); None without scores."""
        mine, theirs = self.scores(name), self.scores(name, predictor)
        if not mine or len(mine) != len(theirs):
            return None
        return {k: compare_each(mine, theirs, k) for k in self.keys}


# ---------------------------------------------------------------- which runs a number is, and what varied

BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def _segments(run: Run) -> list[dict]:
    return run.provenance.get("segments") or [run.provenance]


def _machine(record: dict) -> str:
    accelerators = ", ".join(dict.fromkeys(record.get("accelerators") or []))
    cpu = (record.get("machine") or {}).get("cpu", {}).get("model")
    cpu = cpu and cpu.replace("(R)", "").replace("(TM)", "").replace(" Processor", "") + " (CPU)"
    return accelerators or cpu or "machine not recorded"


def trained_on(run: Run) -> str:
    """Where a run trained, segment by segment, each change named once: "TensorFlow on Intel Xeon, then JAX on
    NVIDIA H200"."""
    parts = [f"{BACKENDS.get(s.get('backend'), s.get('backend') or 'backend not recorded')} on {_machine(s)}"
             for s in _segments(run)]
    parts = list(dict.fromkeys(parts))
    return parts[0] if len(parts) == 1 else "one run, resumed: " + ", then ".join(parts)


def seed_of(run: Run) -> int | None:
    """A run's seed, None where its config records none (older runs)."""
    return run.config.get("profile", {}).get("seed")


def _by_seed(runs: list[Run]) -> list[Run]:
    return sorted(runs, key=lambda r: (seed_of(r) is None, seed_of(r) or 0))


def runs_label(runs: list[Run]) -> str:
    """Which runs a number is: "seed 42 alone", "mean of 3 runs (seeds 42, 43, 44)"; "" without runs."""
    if not runs:
        return ""
    runs = _by_seed(runs)
    if len(runs) == 1 and runs[0].experiment == "author_model":
        return "one model, not retrained by us"
    if len(runs) == 1:
        return f"seed {seed_of(runs[0])} alone" if seed_of(runs[0]) is not None else "one run"
    seeds = [seed_of(r) for r in runs]
    return seeds_label(seeds) if None not in seeds else f"mean of {len(runs)} runs"


def seeds_label(seeds: list[int]) -> str:
    """Which runs a number is, by their seeds: "seed 42 alone", "mean of 3 runs, seeds 42, 43 and 44"."""
    seeds = sorted(seeds)
    if len(seeds) == 1:
        return f"seed {seeds[0]} alone"
    return f"mean of {len(seeds)} runs, seeds {', '.join(map(str, seeds[:-1]))} and {seeds[-1]}"


def varied(runs: list[Run]) -> list[str]:
    """What differed between runs, of: split, initialization, precision, backend, machine (empty below two)."""
    if len(runs) < 2:
        return []
    facts = {"split": [str(r.config["data"].get("split_sizes")) for r in runs],
             "initialization": [seed_of(r) for r in runs],
             "precision": [r.config.get("profile", {}).get("precision") for r in runs],
             "backend": [tuple(s.get("backend") for s in _segments(r)) for r in runs],
             "machine": [tuple(_machine(s) for s in _segments(r)) for r in runs]}
    return [what for what, values in facts.items() if len(set(values)) > 1]


def what_varied(runs: list[Run]) -> str:
    """A spread's meaning in words: "3 runs, each with its own split, initialization, backend and machine (seed 42:
    TensorFlow on machine not recorded; ...)"; for one run, which it is."""
    if len(runs) < 2:
        return runs_label(runs)
    runs, things = _by_seed(runs), varied(runs)
    each = (", ".join(things[:-1]) + " and " + things[-1]) if len(things) > 1 else (things[0] if things else "")
    listed = "; ".join(f"seed {seed_of(r)}: {r.config.get('profile', {}).get('precision')}, {trained_on(r)}"
                       for r in runs)
    return (f"{len(runs)} runs, each with its own {each} ({listed})" if things else
            f"{len(runs)} runs that differ in nothing recorded ({listed})")
