"""What a section notebook calls: its resolved parameters (``Chapter``), its provenance and its glue.

A notebook resolves its parameters once, ``chapter = Chapter.from_parameters(profile, data_dir, ...)`` (the
notebook's edge: ``data_dir`` / ``results_dir`` None are resolved here, once, from ``settings``:
``$POLYCHROMIFY_DATA``, else synthetic landscapes; ``$POLYCHROMIFY_RESULTS``, else the repository's store),
gets its runs with ``chapter.obtain(...)`` (stored runs are loaded, not retrained), glues numbers, tables
and figures for the prose (``glue_figure``, ``plain``), and ends its first section with
``provenance(chapter, runs)``. The book's build (papermill, then Jupyter Book) is ``book``.
"""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
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
from polychromify.training.samples import FOLDER, stored_photo, stored_photos
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
    def from_parameters(cls, profile: str = BOOK_PROFILE, data_dir=None, results_dir=None, **overrides) -> "Chapter":
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

    def varied(self, **changes) -> "Chapter":
        """This chapter with some profile settings changed (its runs are variants of the profile's)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return Chapter(self.profile.replace(**changes), self.data_dir, self.results_dir,
                       {**self.overrides, **changes}, self.pending)

    def obtain_variants(self, name: str, variants: dict[str, dict]) -> dict:
        """One experiment's run for each labelled set of profile changes, by label (``obtain`` for each)."""
        found = {label: self.varied(**changes).obtain(name).get(name) for label, changes in variants.items()}
        return {label: run for label, run in found.items() if run is not None}

    def classroom(self, run) -> "Classroom":
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

    def example_photo(self):
        """A photo to colorize in the demonstrations and where it comes from (a sentence): the first test photo
        at full resolution when a photo folder is set; else a stored thumbnail of the book's test photos (a
        real photo, small); a synthetic landscape only when neither is at hand."""
        if self.real_data is not None:
            name = self.dataset.names["test"][0]
            return load_rgb(self.real_data / name), f"a test photo of `{self.real_data.name}` ({name})"
        photo = stored_photo(self.results_dir) if self.results_dir else None
        if photo is not None:
            return photo, "a test photo, from the results store's thumbnails (no photo folder is configured)"
        return synthetic_landscape(seed=2024, size=512), "a synthetic landscape (no photo is at hand)"

    def data_view(self) -> "DataView":
        """What chapter 1 shows of the photos. With a photo folder: this chapter's data set, whose summary is
        then stored (``summary.write_summary``) for machines without the photos. Without one: that stored
        summary of the data the later chapters' runs used, with the store's thumbnails of the book's test
        photos for the pictures; synthetic landscapes only when the store has neither."""
        if self.real_data is not None:
            dataset = self.dataset
            if self.results_dir is not None:
                summary.write_summary(dataset, self.results_dir, seed=self.profile.seed)
            return _view_of(dataset, f"the real photos of `{self.real_data.name}`")
        data = self.results_data()
        stored = summary.read_summary(self.results_dir, data["data_hash"]) if self.results_dir and \
            not data.get("synthetic") else None
        photos = stored_photos(self.results_dir) if self.results_dir else None
        if stored is not None and photos is not None:
            return DataView(stored["report"], photos, stored["y_sample"], stored["low_chroma"],
                            f"the real photos, from the results store (no photo folder is configured): the "
                            f"cleaning report and {stored['ab_sample_pixels']:,} sampled training pixels of "
                            f"the data the runs used, and the book's {len(photos)} test photos as pictures",
                            False, f"the book's {len(photos)} test photos, as the results store keeps them")
        return _view_of(self.dataset, "synthetic landscapes, because no photo folder is configured and the "
                                      "results store holds no summary of the real photos")

    def results_data(self) -> dict:
        """The data record (``Dataset.provenance``) of the runs the later chapters show.

        This chapter's data when a photo folder is configured or the profile is changed (``obtain`` then
        trains on it); otherwise the final model's stored run's data (real photos preferred), if any.
        """
        if self.real_data is None and not self.overrides:
            run = find_run("polychromify", self.profile, self.results_dir)
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


def _data_words(data: dict) -> str:
    if data.get("synthetic"):
        return f"synthetic landscapes ({data['used']} generated)"
    return (f"the real photos (`{Path(data['source']).name}`, {data['used']:,} used, "
            f"data hash `{data['data_hash'][:10]}`)")


def provenance_lines(chapter: Chapter, runs: dict | None = None, figures: bool = False,
                     label: bool = True, photos: str | None = None) -> list[str]:
    """Which profile, data and commit produced a chapter, as Markdown sentences: the first labelled
    "Provenance." for the chapter's own note, or (``label`` False) a sentence that reads inside a paragraph."""
    p = chapter.profile
    settings = (f"{p.image_size} px, {p.epochs} epochs, batch {p.batch_size}, "
                f"{'all photos' if p.max_images is None else f'at most {p.max_images} photos'}, "
                f"seed {p.seed}, {p.precision}")
    if p.eccv16_image_size not in (None, p.image_size) or p.eccv16_epochs not in (None, p.epochs):
        eccv16_epochs = p.eccv16_epochs or p.epochs
        settings += (f"; ECCV16 at {p.eccv16_image_size or p.image_size} px for {eccv16_epochs} "
                     f"epoch{'s' if eccv16_epochs != 1 else ''}")
    changed = f" (changed here: {', '.join(f'{k}={v}' for k, v in chapter.overrides.items())})" \
        if chapter.overrides else ""
    lines = [f"**Provenance.** Profile `{p.name}`: {settings}{changed}." if label else
             f"The results come from the `{p.name}` profile ({settings}){changed}."]
    if runs:
        groups: dict[str, dict[str, list[str]]] = {}  # data -> commit -> experiments
        for name, run in runs.items():
            commits = groups.setdefault(_data_words(run.config["data"]), {})
            commits.setdefault(_short(run.provenance["git_commit"]), []).append(name)
        for data, commits in groups.items():
            names = [name for group in commits.values() for name in group]
            where = (f"commit `{next(iter(commits))}`" if len(commits) == 1 else "commits " + "; ".join(
                f"`{commit}` ({', '.join(group)})" for commit, group in commits.items()))
            lines.append(f"Results of {', '.join(names)}: trained on {data}, at {where}.")
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
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
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
