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
- *Ours against the paper's single printed number* (``against_paper``): the paper gives no spread, so only ours
  counts: "better" or "worse" only when every one of at least two runs is on the same side of the paper's number;
  otherwise "cannot tell apart", and the sentence says that the spread is ours alone.
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

__all__ = ["BETTER", "CANNOT_TELL", "Comparison", "Entry", "Scores", "Study", "WORSE", "against_paper", "compare",
           "run_scores"]


@dataclass(frozen=True)
class Scores:
    """One predictor's per-photo scores on one set: a run's model (or its gray or mean-ab baseline)."""

    key: str                         # the run's key in the store, "<experiment>/<run folder>"
    photos: tuple[str, ...]
    values: dict[str, np.ndarray]    # metric key -> one value per photo

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
    return Scores(run_key(run), tuple(names), values)


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

    @property
    def spread(self) -> tuple[float, float]:
        """The smallest and largest gain of one pair of runs."""
        return min(self.run_gains), max(self.run_gains)


def _shared(groups: list[list[Scores]]) -> tuple[str, ...]:
    """The photos every run of every group scored, in the first run's order."""
    common = set.intersection(*(set(s.photos) for group in groups for s in group))
    return tuple(name for name in groups[0][0].photos if name in common)


def _bootstrap(per_photo: np.ndarray, draws: int = BOOTSTRAP, seed: int = SEED) -> tuple[float, float]:
    """The percentile interval of the mean of ``per_photo`` over resampled photos."""
    rng = np.random.default_rng(seed)
    n = len(per_photo)
    means = np.empty(draws)
    for start in range(0, draws, 250):  # a few hundred resamples at a time: bounded memory for many photos
        rows = rng.integers(0, n, size=(min(250, draws - start), n))
        means[start:start + len(rows)] = per_photo[rows].mean(axis=1)
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
    agree = all(g > 0 for g in run_gains) or all(g < 0 for g in run_gains)
    verdict = (BETTER if low > 0 and agree else WORSE if high < 0 and agree else CANNOT_TELL)
    difference = float((mine.mean(axis=0) - theirs.mean(axis=0)).mean())
    return Comparison(metric, len(photos), (len(entry), len(reference)), difference, float(per_photo.mean()),
                      (low, high), run_gains, verdict)


@dataclass(frozen=True)
class PaperComparison:
    """Our runs' values of one metric against the single number the paper prints."""

    metric: str
    paper: float
    ours: tuple[float, ...]            # one value per run
    verdict: str
    note: str                          # what the verdict rests on, for the sentence

    @property
    def mean(self) -> float:
        return float(np.mean(self.ours))


def against_paper(ours: list[float], paper: float, metric: str) -> PaperComparison:
    """The verdict rule against the paper's single printed number (module docstring): only our spread counts."""
    spec, values = METRICS[metric], tuple(float(v) for v in ours)
    gains = [spec.gain(v, paper) for v in values]
    if len(values) < 2:
        return PaperComparison(metric, paper, values, CANNOT_TELL,
                               "one run of ours and one printed number: no spread on either side to read the "
                               "difference against")
    verdict = BETTER if all(g > 0 for g in gains) else WORSE if all(g < 0 for g in gains) else CANNOT_TELL
    return PaperComparison(metric, paper, values, verdict,
                           f"the spread is ours alone ({len(values)} runs, {min(values):.4g} to {max(values):.4g}); "
                           "the paper prints one number with no spread")


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
