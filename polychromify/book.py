"""The book: what the section notebooks share, and its build (papermill, then Jupyter Book).

A notebook resolves its parameters once, ``chapter = Chapter.from_parameters(profile, data_dir, ...)``, gets
its runs with ``chapter.obtain(...)`` (stored runs are loaded, not retrained), glues numbers, tables and
figures for the prose, and ends its first section with ``provenance(chapter, runs)``.

``build_book`` executes ``notebooks/NN_*.ipynb`` with papermill into ``book/_executed/`` (git-ignored, where
``_toc.yml`` points), hides the injected-parameters cell, and builds HTML into ``_build/html`` with warnings
as errors.
"""
from __future__ import annotations

import functools
import io
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .profiles import Profile, get_profile

ROOT = Path(__file__).resolve().parent.parent   # the repository (the book's root: _config.yml, _toc.yml)
EXECUTED = Path("book") / "_executed"            # relative to the root; git-ignored
HIDDEN = "remove-cell"                           # Jupyter Book tag that drops a cell from the page


# ---------------------------------------------------------------- inside a notebook

@dataclass
class Chapter:
    """A notebook's resolved parameters: the profile (with overrides), the data and the results store."""

    profile: Profile
    data_dir: Path | None = None
    results_dir: Path | None = None
    overrides: dict = field(default_factory=dict)   # the non-None profile overrides
    pending: list = field(default_factory=list)     # experiments asked for that the store lacks (not trained)

    @classmethod
    def from_parameters(cls, profile: str = "quick", data_dir=None, results_dir=None, **overrides) -> "Chapter":
        """Resolve a notebook's parameters cell; ``None`` means "the default" for every value."""
        overrides = {k: v for k, v in overrides.items() if v is not None}
        return cls(get_profile(profile, **overrides), Path(data_dir) if data_dir else None,
                   Path(results_dir) if results_dir else None, overrides)

    @property
    def real_data(self) -> Path | None:
        """The photo folder in use (the parameter, else ``$POLYCHROMIFY_DATA``), or None: synthetic."""
        from .data import default_data_dir
        return self.data_dir or default_data_dir()

    @functools.cached_property
    def dataset(self):
        """The data set at the profile's image size (synthetic landscapes when no photo folder is set)."""
        from .data import load_dataset
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
        even if its config names the folder differently (``../shared/x`` and ``/work/shared/x`` are one
        folder, but their configs, and so the run folders, differ).
        """
        from .experiments import experiment_data, get_experiment, obtain
        from .results import find_run
        dataset = self.__dict__.get("dataset")  # reuse the data set only if it is already loaded
        runs = {}
        for name in names:
            if not self.trains:
                stored = find_run(name, self.profile, self.results_dir, synthetic=False,
                                  exact=bool(self.overrides))
                if stored is None:
                    self.pending.append(name)
                else:
                    runs[name] = stored
                continue
            if self.real_data is not None and not self.overrides:
                data = experiment_data(get_experiment(name), self.profile, self.data_dir, dataset, quiet=True)
                stored = find_run(name, self.profile, self.results_dir, data_hash=data.data_hash)
                if stored is not None:
                    runs[name] = stored
                    continue
                dataset = data if data.image_size == self.profile.image_size else dataset
            runs[name] = obtain(name, self.profile.name, self.data_dir, self.results_dir, dataset=dataset,
                                **self.overrides)
        return runs

    def seed_runs(self, name: str = "polychromify") -> dict:
        """The stored finished runs of an experiment at each of the campaign's seeds (``campaign.SEEDS``),
        otherwise exactly this chapter's profile, by experiment: {name: [runs]} (never trained)."""
        from .campaign import SEEDS
        from .results import find_run
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

    def results_data(self) -> dict:
        """The data record (``Dataset.provenance``) of the runs the later chapters show.

        This chapter's data when a photo folder is configured or the profile is changed (``obtain`` then
        trains on it); otherwise the final model's stored run's data (real photos preferred), if any.
        """
        if self.real_data is None and not self.overrides:
            from .results import find_run
            run = find_run("polychromify", self.profile, self.results_dir)
            if run is not None:
                return run.config["data"]
        return self.dataset.provenance()


def _short(commit: str) -> str:
    return commit[:10] + (" (with uncommitted changes)" if commit.endswith("+dirty") else "")


def _data_words(data: dict) -> str:
    if data.get("synthetic"):
        return f"synthetic landscapes ({data['used']} generated)"
    return (f"the real photos (`{Path(data['source']).name}`, {data['used']:,} used, "
            f"data hash `{data['data_hash'][:10]}`)")


def provenance_lines(chapter: Chapter, runs: dict | None = None, figures: bool = False) -> list[str]:
    """Which profile, data and commit produced a chapter, as Markdown sentences."""
    from .results import git_commit
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
    lines = [f"**Provenance.** Profile `{p.name}`: {settings}{changed}."]
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
        from .tables import LABELS
        lines.append(f"Not trained at the {p.name} profile yet (the campaign trains them): "
                     f"{', '.join(LABELS.get(n, n) for n in dict.fromkeys(chapter.pending))}.")
    if figures:
        from .samples import FOLDER
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


def provenance(chapter: Chapter, runs: dict | None = None, figures: bool = False):
    """The provenance of a chapter as a Markdown block quote (a notebook cell's output)."""
    from IPython.display import Markdown
    return Markdown("\n".join(f"> {line}  " for line in provenance_lines(chapter, runs, figures)))


def plain(markdown: str) -> str:
    """Markdown emphasis and code marks removed (for text pasted into another page)."""
    return markdown.replace("**", "").replace("`", "")


def glue_figure(name: str, figure, dpi: int = 110, display: bool = True) -> None:
    """Glue a matplotlib figure as a PNG, for the text to paste with ``{glue:figure}`` (and show it here)."""
    from IPython.display import Image
    from myst_nb import glue
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    glue(name, Image(buffer.getvalue()), display=display)


# ---------------------------------------------------------------- the build

def section_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks of the book, in order."""
    return sorted((Path(root) / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def parameters(root: Path = ROOT) -> dict[str, dict]:
    """Every notebook parameter: name -> papermill's description (default, type, help) and the notebooks."""
    import papermill
    found: dict[str, dict] = {}
    for notebook in section_notebooks(root):
        for name, info in papermill.inspect_notebook(str(notebook)).items():
            found.setdefault(name, {**info, "notebooks": []})["notebooks"].append(notebook.stem)
    return found


def list_parameters(root: Path = ROOT) -> None:
    """Print every notebook parameter with its default and help (and where it is, if not everywhere)."""
    everywhere = len(section_notebooks(root))
    for name, info in parameters(root).items():
        where = "" if len(info["notebooks"]) == everywhere else f"  [only {', '.join(info['notebooks'])}]"
        print(f"{name} = {info['default']}  # {info['help']}{where}")


def build_book(profile: str = "quick", params: list[str] | None = None, only: str | None = None,
               list_params: bool = False, root: Path = ROOT) -> int:
    """Execute the notebooks (all, or ``only`` those whose name starts so) and build the HTML book.

    Returns 0, or non-zero after printing which notebook and cell failed.
    """
    root = Path(root)
    if list_params:
        list_parameters(root)
        return 0
    notebooks = section_notebooks(root)
    chosen = [nb for nb in notebooks if not only or nb.stem.startswith(only)]
    if not chosen:
        print(f"polychromify book: no notebook matches {only!r}; choose one of "
              f"{', '.join(nb.stem for nb in notebooks)}", file=sys.stderr)
        return 2
    values = {"profile": profile, **dict(parse_param(p) for p in params or [])}
    for notebook in chosen:
        code = execute(notebook, root / EXECUTED / notebook.name, values, cwd=root)
        if code:
            return code
    missing = [nb.stem for nb in notebooks if not (root / EXECUTED / nb.name).is_file()]
    if missing:
        print(f"polychromify book: not executed yet: {', '.join(missing)}; run `polychromify book` "
              "once without --only", file=sys.stderr)
        return 2
    return build_html(root)


def build_html(root: Path = ROOT) -> int:
    """``jupyter-book build`` of the whole book, warnings as errors (``-W -n --keep-going``)."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", str(root), "--all", "--warningiserror", "--nitpick", "--keep-going"]
    return subprocess.run(cmd, cwd=root).returncode


def execute(notebook: Path, output: Path, values: dict, cwd: Path = ROOT) -> int:
    """papermill-execute one notebook into ``output`` and hide its injected-parameters cell.

    Returns 0, or 1 after printing the notebook, the failing cell and the error.
    """
    import papermill
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(str(notebook), str(output), parameters=values, cwd=str(cwd),
                                   progress_bar=False)
    except papermill.PapermillExecutionError as err:
        first_line = next((line for line in (err.source or "").splitlines() if line.strip()), "")
        print(f"polychromify book: {notebook.name} failed in cell {err.cell_index} "
              f"(execution count {err.exec_count}, starting `{first_line}`): {err.ename}: {err.evalue}\n"
              f"  the executed notebook, with the traceback: {output}", file=sys.stderr)
        return 1
    except Exception as err:  # the kernel died, a parameter is malformed, ...
        print(f"polychromify book: {notebook.name} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    hide_injected_parameters(output)
    return 0


def hide_injected_parameters(path: Path) -> None:
    """Tag the cell papermill injected (``injected-parameters``) so that the book leaves it out."""
    import nbformat
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and HIDDEN not in tags:
            tags.append(HIDDEN)
    nbformat.write(notebook, path)


def parse_param(item: str) -> tuple[str, object]:
    """A ``-p key=value`` pair; the value as int, float, bool, None or (otherwise) string."""
    import ast
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"-p {item!r}: expected KEY=VALUE")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    return key.strip(), value
