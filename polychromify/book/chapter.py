"""What a section notebook calls: its resolved parameters (``Chapter``), its provenance and its glue.

A notebook resolves its parameters once, ``chapter = Chapter.from_parameters(profile, data_dir, ...)`` (the
notebook's edge: ``data_dir`` / ``results_dir`` None are resolved here, once, from ``settings``:
``$POLYCHROMIFY_DATA``, else synthetic landscapes; ``$POLYCHROMIFY_RESULTS``, else the repository's store),
gets its runs with ``chapter.obtain(...)`` (stored runs are loaded, not retrained), glues numbers, tables
and figures for the prose (``glue_figure``, ``plain``), and ends its first section with
``provenance(chapter, runs)``. The book's build (papermill, then Jupyter Book) is ``book``.

The pages render from the results store whenever it holds what they need (the runs, the stored summary of the
data they used, the thumbnails of the book's test photos), so one commit builds the same book on any machine;
the photo folder matters only where a chapter must train (a profile other than ``paper`` whose runs the store
lacks), and otherwise only fills in what the store lacks.
"""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from polychromify.book import summary
from polychromify.book.figures import legible
from polychromify.book.tables import LABELS, low_chroma_fraction
from polychromify.product.images import load_rgb
from polychromify.product.pretrained import pretrained_card
from polychromify.training.data import load_dataset
from polychromify.training.profiles import BOOK_PROFILE, SEEDS, Profile, get_profile
from polychromify.training.provenance import git_commit
from polychromify.training.results import find_run
from polychromify.training.runner import obtain
from polychromify.training.samples import (
    FOLDER,
    stored_photo,
    stored_photos,
    stored_test_photos,
)
from polychromify.training.settings import Settings
from polychromify.training.synthetic import synthetic_landscape


@dataclass
class Chapter:
    """A notebook's resolved parameters: the profile (with overrides), the data and the results store."""

    profile: Profile
    data_dir: Path | None = None
    results_dir: Path | None = None
    overrides: dict = field(default_factory=dict)   # the non-None profile overrides
    pending: list = field(default_factory=list)     # experiments asked for that the store lacks (not trained)

    @classmethod
    def from_parameters(cls, profile: str = BOOK_PROFILE, data_dir=None, results_dir=None, **overrides) -> Chapter:
        """Resolve a notebook's parameters cell; ``None`` means "the default" for every value: the folders
        from the environment (``settings``, read here once), the profile's own settings."""
        folders = Settings.resolve(data_dir, results_dir)
        overrides = {k: v for k, v in overrides.items() if v is not None}
        return cls(get_profile(profile, **overrides), folders.data_dir, folders.results_dir, overrides)

    @property
    def real_data(self) -> Path | None:
        """The photo folder in use, or None: synthetic landscapes."""
        return self.data_dir

    @functools.cached_property
    def dataset(self):
        """The data set at the profile's image size (synthetic landscapes when no photo folder is set)."""
        return load_dataset(self.data_dir, self.profile)

    @property
    def trains(self) -> bool:
        """Whether this chapter trains the runs the store lacks. Never at the paper profile: a run takes
        hours there, and the campaign (``polychromify campaign``) trains them; the book shows them as pending."""
        return self.profile.name != "paper"

    def obtain(self, *names: str) -> dict:
        """Finished runs of the experiments, by name: loaded from the store, trained only when missing (see
        ``trains``; the runs left out are in ``pending``).

        With real photos and the profile unchanged, a stored run on the same photos (same data hash) is used
        even if it was read through another path (a relative and an absolute path, another clone or a link lead
        to one folder; the store records a collection by its name and content hash, never by its path).
        """
        dataset = self.__dict__.get("dataset")  # reuse the data set only if it is already loaded
        runs = {}
        for name in names:
            run = obtain(name, self.profile, self.data_dir, self.results_dir, dataset=dataset,
                         exact=bool(self.overrides), train=self.trains)
            if run is None:
                self.pending.append(name)
            else:
                runs[name] = run
        return runs

    def seed_runs(self, name: str = "polychromify") -> dict:
        """The stored finished runs of an experiment at each of the campaign's seeds (``profiles.SEEDS``),
        otherwise exactly this chapter's profile, by experiment: {name: [runs]} (never trained)."""
        found = [find_run(name, self.profile.replace(seed=seed), self.results_dir, exact=True) for seed in SEEDS]
        return {name: [run for run in found if run is not None]}

    def with_seeds(self, runs: dict, seeds: dict) -> dict:
        """``runs`` and the seed runs (``seed_runs``) that are not among them, "<name> (seed <s>)": every run a
        chapter's tables read, for its provenance note."""
        out, shown = dict(runs), {run.path for run in runs.values()}
        for name, found in seeds.items():
            for run in found:
                if run.path not in shown:
                    out[f"{name} (seed {run.config['profile']['seed']})"] = run
                    shown.add(run.path)
        return out

    def varied(self, **changes) -> Chapter:
        """This chapter with some profile settings changed (its runs are variants of the profile's)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return Chapter(self.profile.replace(**changes), self.data_dir, self.results_dir,
                       {**self.overrides, **changes}, self.pending)

    def obtain_variants(self, name: str, variants: dict[str, dict]) -> dict:
        """One experiment's run for each labelled set of profile changes, by label (``obtain`` for each)."""
        found = {label: self.varied(**changes).obtain(name).get(name) for label, changes in variants.items()}
        return {label: run for label, run in found.items() if run is not None}

    def classroom(self, run) -> Classroom:
        """What chapter 6's colorizers and widgets work on, with ``run`` (a finished run of the final model)
        standing in when no pretrained model is shipped."""
        try:
            card = pretrained_card()
        except FileNotFoundError:
            card = None
        photo, source = self.example_photo()
        return Classroom(card=card, model="pretrained" if card else str(run.path), photo=photo,
                         photo_source=source, live_epochs=min(self.profile.epochs, 8),
                         live_images=min(self.profile.max_images or 160, 160))

    def test_photos(self):
        """The colorizer's menu of test photos, (names, uint8 RGB): the store's thumbnails of the book's test
        photos whenever it has them (every build shows the same), else the photo folder's or the synthetic test
        split."""
        stored = stored_test_photos(self.results_dir) if self.results_dir else None
        if stored is not None:
            return stored
        return list(self.dataset.names["test"]), self.dataset.rgb["test"]

    def example_photo(self):
        """A photo to colorize in the demonstrations and where it comes from (a sentence): a stored thumbnail of
        the book's test photos (a real photo, small) whenever the store has one, so that every build shows the
        same; else the first test photo of the photo folder at full resolution; a synthetic landscape only when
        neither is at hand."""
        photo = stored_photo(self.results_dir) if self.results_dir else None
        if photo is not None:
            return photo, "a test photo, from the results store's thumbnails"
        if self.real_data is not None:
            name = self.dataset.names["test"][0]
            return load_rgb(self.real_data / name), f"a test photo of `{self.real_data.name}` ({name})"
        return synthetic_landscape(seed=2024, size=512), "a synthetic landscape (no photo is at hand)"

    def data_view(self) -> DataView:
        """What chapter 1 shows of the photos: the stored summary of the data the later chapters' runs used
        (``summary.read_summary``), with the store's thumbnails of the book's test photos for the pictures,
        whenever the store holds both, read back from the store whether or not a photo folder is configured (so
        every build shows the same). A photo folder stores its summary (``summary.write_summary``) when the store
        lacks the runs' summary or the chapter has loaded the folder anyway (it trains on it); delete a summary
        to have the next run with the photos write it again. Without the store's summary and thumbnails: the
        photo folder's data set, else synthetic landscapes."""
        data = self.results_data()
        stored = self._stored_summary(data)
        if self.real_data is not None and self.results_dir is not None and (
                stored is None or "dataset" in self.__dict__):
            summary.write_summary(self.dataset, self.results_dir, seed=self.profile.seed)
            stored = self._stored_summary(data)
        photos = stored_photos(self.results_dir) if self.results_dir else None
        if stored is not None and photos is not None:
            return DataView(stored["report"], photos, stored["y_sample"], stored["low_chroma"],
                            f"the real photos the runs used, from the results store: their cleaning report and "
                            f"{stored['ab_sample_pixels']:,} sampled training pixels, and the book's "
                            f"{len(photos)} test photos as pictures",
                            False, f"the book's {len(photos)} test photos, as the results store keeps them")
        if self.real_data is not None:
            return _view_of(self.dataset, f"the real photos of `{self.real_data.name}`")
        return _view_of(self.dataset, "synthetic landscapes, because the results store holds no summary of the "
                                      "real photos and no photo folder is configured")

    def _stored_summary(self, data: dict) -> dict | None:
        """The store's summary of a data record's photos, or None (none for synthetic landscapes)."""
        if self.results_dir is None or data.get("synthetic"):
            return None
        return summary.read_summary(self.results_dir, data["data_hash"])

    def results_data(self) -> dict:
        """The data record (``Dataset.provenance``) of the runs the later chapters show.

        The final model's stored run's data (real photos) wherever ``obtain`` takes the runs from the store
        without looking at the photos: at the paper profile (never trained) and without a photo folder. With a
        photo folder at a profile that trains, or when the store has no such run: this chapter's data.
        """
        if self.real_data is None or not self.trains:
            run = find_run("polychromify", self.profile, self.results_dir, synthetic=False,
                           exact=bool(self.overrides))
            if run is not None:
                return run.config["data"]
        return self.dataset.provenance()


@dataclass(frozen=True)
class DataView:
    """Chapter 1's material (``Chapter.data_view``)."""

    report: object           # cleaning.DataReport
    photos: object           # uint8 RGB (N, S, S, 3): pictures for the figures
    y_train: object          # model-space Y of training pixels (all, or a stored sample)
    low_chroma: float        # share of training pixels with chroma below 10
    source: str              # where it all comes from, as a sentence fragment
    synthetic: bool
    pictures: str = "training photos at the network's input size"  # what ``photos`` are


def _view_of(dataset, source: str) -> DataView:
    """Chapter 1's material from a loaded data set."""
    return DataView(dataset.report, dataset.rgb["train"], dataset.y_train, low_chroma_fraction(dataset.y_train),
                    source, dataset.synthetic)


@dataclass(frozen=True)
class Classroom:
    """Chapter 6's material (``Chapter.classroom``)."""

    card: dict | None        # the shipped model's card, None when none is shipped
    model: str               # what the colorizers use: "pretrained", else a run folder
    photo: object            # uint8 RGB array: the photo the demonstrations colorize
    photo_source: str        # where it comes from, as a sentence fragment
    live_epochs: int         # the live training widget stays about a minute long
    live_images: int


def _short(commit: str) -> str:
    return commit[:10] + (" (with uncommitted changes)" if commit.endswith("+dirty") else "")


DIRTY = "+dirty"  # how ``provenance.git_commit`` marks a work tree with uncommitted changes
BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def _data_words(data: dict) -> str:
    if data.get("synthetic"):
        return f"synthetic landscapes ({data['used']} generated)"
    return (f"the real photos (`{Path(data['source']).name}`, {data['used']:,} used, "
            f"data hash `{data['data_hash'][:10]}`)")


def _trained(run) -> bool:
    """Whether the run was trained here (the author's adopted weights were not: no training photos)."""
    return bool(run.provenance.get("train_images"))


def _segments(run) -> list[dict]:
    """The records of the sessions that trained a run, in order (one for runs stored before segments were)."""
    return run.provenance.get("segments") or [run.provenance]


def _where(record: dict) -> str:
    """The backend and machine of one training session: "TensorFlow on AMD EPYC (CPU)", "JAX on NVIDIA H200"."""
    backend = BACKENDS.get(record.get("backend"), record.get("backend"))
    accelerators = ", ".join(dict.fromkeys(record.get("accelerators") or []))
    cpu = (record.get("machine") or {}).get("cpu", {}).get("model")
    machine = accelerators or (f"{cpu.replace('(R)', '').replace('(TM)', '')} (CPU)" if cpu else None)
    if backend is None:
        return f"backend not recorded, on {machine}" if machine else "backend and machine not recorded"
    return f"{backend} on {machine}" if machine else f"{backend}, machine not recorded"


def _settings(run) -> str:
    """What a run was actually trained with, from its own config and provenance (not the chapter's profile)."""
    config, record = run.config, run.provenance
    size = config.get("image_size") or config.get("data", {}).get("image_size")
    precision = record.get("precision") or config.get("profile", {}).get("precision", "precision not recorded")
    if any(r.get("accelerators") and r.get("matmul_precision") == "default" for r in _segments(run)):
        precision += " (TF32 matrix products allowed)"
    machines = " then ".join(dict.fromkeys(_where(r) for r in _segments(run)))
    if not _trained(run):
        return f"adopted weights (not trained here), evaluated at {size} px, {precision}, {machines}"
    epochs, done = config.get("epochs"), record.get("epochs_trained")
    seed = config.get("profile", {}).get("seed")
    return ", ".join(filter(None, [
        f"{size} px",
        f"{done} of at most {epochs} epochs (stopped early)" if done and done != epochs else f"{epochs} epochs",
        f"batch {config.get('batch_size')}",
        f"{record['train_images']:,} training and {record.get('val_images', 0):,} validation photos",
        f"seed {seed}" if seed is not None else "", precision, machines]))


def _commits(commits) -> str:
    """Commits as the prose names them: "commit `a`", "commits `a` then `b`"."""
    commits = [f"`{c.removesuffix(DIRTY)[:10]}`" for c in commits]
    return f"commit {commits[0]}" if len(commits) == 1 else f"commits {' then '.join(commits)}"


def _code_lines(runs: dict) -> list[str]:
    """Which code trained and evaluated the runs: the commits their training sessions ran at, those that ran
    from uncommitted changes in a sentence of their own (that code is not exactly any commit), and the commit
    that evaluated and stored a run where another session did it after its training."""
    groups: dict[str, dict[str, list[str]]] = {"trained": {}, "trained_dirty": {}, "evaluated": {},
                                               "evaluated_dirty": {}}
    for name, run in runs.items():
        trained = [r.get("git_commit", "unknown") for r in _segments(run)] if _trained(run) else []
        for kind, commits in (("trained", [c for c in trained if not c.endswith(DIRTY)]),
                              ("trained_dirty", [c for c in trained if c.endswith(DIRTY)])):
            if commits:
                groups[kind].setdefault(_commits(dict.fromkeys(commits)), []).append(name)
        final = run.provenance.get("git_commit", "unknown")
        if not trained or final != trained[-1]:
            kind = "evaluated_dirty" if final.endswith(DIRTY) else "evaluated"
            groups[kind].setdefault(_commits([final]), []).append(name)
    lead = {"trained": "Trained at", "trained_dirty": "Trained from uncommitted changes on top of",
            "evaluated": "Evaluated and stored in a later session, at",
            "evaluated_dirty": "Evaluated and stored from uncommitted changes on top of"}
    lines = []
    for kind, commits in groups.items():
        if commits:
            joined = "; ".join(f"{'' if i == 0 else 'on top of ' if kind.endswith('dirty') else 'at '}{c}: "
                               f"{', '.join(names)}" for i, (c, names) in enumerate(commits.items()))
            lines.append(f"{lead[kind]} {joined}.")
    return lines


def provenance_lines(chapter: Chapter, runs: dict | None = None, figures: bool = False,
                     label: bool = True, photos: str | None = None) -> list[str]:
    """Which settings, data and code produced a chapter, as Markdown sentences: the first labelled
    "Provenance." for the chapter's own note, or (``label`` False) a sentence that reads inside a paragraph.

    With runs, the settings are the runs' own (image size, epochs, batch, photos, seed, precision, backend and
    machine of each training session), said once for each group of runs trained alike; the runs trained or
    evaluated from uncommitted changes are named in sentences of their own. Without runs: the profile's."""
    p = chapter.profile
    changed = f" (changed here: {', '.join(f'{k}={v}' for k, v in chapter.overrides.items())})" \
        if chapter.overrides else ""
    if runs:
        alike: dict[str, list[str]] = {}
        for name, run in runs.items():
            alike.setdefault(_settings(run), []).append(name)
        groups = [f"{', '.join(names)}: {settings}" for settings, names in alike.items()]
        if label:
            lines = [f"**Provenance.** Profile `{p.name}`{changed}, as each run was trained:",
                     *(f"{group}." for group in groups)]
        else:
            lines = [f"The results come from runs of the `{p.name}` profile{changed}, as each was trained: "
                     + "; ".join(groups) + "."]
    else:
        settings = (f"{p.image_size} px, {p.epochs} epochs, batch {p.batch_size}, "
                    f"{'all photos' if p.max_images is None else f'at most {p.max_images} photos'}, "
                    f"seed {p.seed}, {p.precision}")
        if p.eccv16_image_size not in (None, p.image_size) or p.eccv16_epochs not in (None, p.epochs):
            eccv16_epochs = p.eccv16_epochs or p.epochs
            settings += (f"; ECCV16 at {p.eccv16_image_size or p.image_size} px for {eccv16_epochs} "
                         f"epoch{'s' if eccv16_epochs != 1 else ''}")
        lines = [f"**Provenance.** Profile `{p.name}`: {settings}{changed}." if label else
                 f"The results come from the `{p.name}` profile ({settings}){changed}."]
    if runs:
        data: dict[str, list[str]] = {}
        for name, run in runs.items():
            verb = "trained on" if _trained(run) else "evaluated on"
            data.setdefault(f"{verb} {_data_words(run.config['data'])}", []).append(name)
        lines += [f"Results of {', '.join(names)}: {words}." for words, names in data.items()]
        lines += _code_lines(runs)
        if any(run.config["data"].get("synthetic") for run in runs.values()):
            lines.append("**Results from synthetic landscapes test the code, not the paper's claims.**")
    if chapter.pending:
        lines.append(f"Not trained at the {p.name} profile yet (the campaign trains them): "
                     f"{', '.join(LABELS.get(n, n) for n in dict.fromkeys(chapter.pending))}.")
    if figures and photos:
        lines.append(f"Photos in the figures: {photos}.")
    elif figures:
        if runs and any((run.path / FOLDER / "index.json").is_file() for run in runs.values()):
            lines.append("Photos in the figures: the book's dozen test photos, colorized by each run when it "
                         "finished and stored with it.")
        elif chapter.real_data is None:
            lines.append("Photos in the figures: synthetic landscapes, because no photo folder is configured "
                         "(set `POLYCHROMIFY_DATA` to see the real photos).")
        else:
            lines.append(f"Photos in the figures: the real photos in `{chapter.real_data.name}`.")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines.append(f"Executed {when} at commit `{_short(git_commit())}`.")
    return lines


def provenance(chapter: Chapter, runs: dict | None = None, figures: bool = False, photos: str | None = None):
    """The provenance of a chapter as a Markdown block quote (a notebook cell's output); ``photos`` says where
    the photos in its figures come from, when the chapter knows better than its runs."""
    from IPython.display import Markdown
    lines = provenance_lines(chapter, runs, figures, photos=photos)
    return Markdown("\n".join(f"> {line}  " for line in lines))


def plain(markdown: str) -> str:
    """Markdown emphasis and code marks removed (for text pasted into another page)."""
    return markdown.replace("**", "").replace("`", "")


def glue_figure(name: str, figure, dpi: int = 110, display: bool = True) -> None:
    """Glue a matplotlib figure as a PNG, for the text to paste with ``{glue:figure}`` (and show it here), every
    text in it made legible at the book's width first (``figures.legible``)."""
    from IPython.display import Image
    from myst_nb import glue

    buffer = io.BytesIO()
    legible(figure).savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    glue(name, Image(buffer.getvalue()), display=display)


def glue_page(page) -> None:
    """Glue everything a section's package function returned (``pages.Page``): its shown objects, its plain
    values (``{glue:text}``, not shown here) and its figures."""
    from myst_nb import glue

    for name, value in page.shown.items():
        glue(name, value)
    for name, value in page.text.items():
        glue(name, value, display=False)
    for name, figure in page.figures.items():
        glue_figure(name, figure)
