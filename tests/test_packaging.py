"""pyproject.toml and polychromify.product.extras: a colorize-only install is light, the extras hold the rest, the
wheel ships the pretrained model, and a command whose extra is missing says which one to install."""
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from polychromify import cli
from polychromify.product import extras

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
HEAVY = {"jupyter-book", "jupyterlab", "papermill", "tf2onnx", "onnx", "onnxruntime", "ipykernel", "ipywidgets",
         "myst-nb", "pandas", "matplotlib", "seaborn", "selenium", "pytest"}
NOT_FOR_COLORIZE = ("papermill", "jupyter_book", "myst_nb", "IPython", "pandas", "matplotlib", "onnxruntime",
                    "tf2onnx", "onnx")


def _name(requirement: str) -> str:
    """The normalized distribution name of a requirement ("jupyter-book>=1,<2" -> "jupyter-book")."""
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _extra(name: str) -> set[str]:
    """Every distribution an extra installs, following polychromify[...] to the other extras."""
    names = set()
    for requirement in PROJECT["project"]["optional-dependencies"][name]:
        if _name(requirement) == "polychromify":
            for other in requirement.split("[", 1)[1].split("]", 1)[0].split(","):
                names |= _extra(other.strip())
        else:
            names.add(_name(requirement))
    return names


def _imported_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_the_base_install_is_what_colorizing_needs():
    base = {_name(r) for r in PROJECT["project"]["dependencies"]}
    assert {"keras", "tensorflow", "numpy", "scikit-image", "pillow", "h5py", "tqdm"} <= base
    assert not base & HEAVY


def test_the_extras_hold_the_book_the_web_page_and_the_tests():
    assert {"tf2onnx", "onnx", "onnxruntime"} <= _extra("web")
    assert {"papermill", "jupyter-book", "myst-nb", "pandas", "matplotlib", "seaborn", "ipywidgets"} <= _extra("book")
    assert _extra("web") <= _extra("book")  # the book embeds the in-browser colorizer
    assert _extra("book") | {"pytest", "selenium", "jax", "kaggle"} <= _extra("dev")  # make test / make book


def test_every_module_a_command_checks_is_in_its_extra():
    for extra, modules in extras.EXTRAS.items():
        assert {m.replace("_", "-") for m in modules} <= _extra(extra), extra


def test_makefile_and_environment_install_everything():
    assert '-e ".[dev]"' in (ROOT / "Makefile").read_text()
    assert "-e .[dev]" in (ROOT / "environment.yml").read_text()


def test_pretrained_is_one_package_whose_data_is_the_shipped_model():
    import polychromify.product.pretrained as pretrained
    setuptools = PROJECT["tool"]["setuptools"]
    assert not (ROOT / "polychromify" / "pretrained.py").exists()  # a package, not a module beside a folder
    assert Path(pretrained.__file__) == ROOT / "polychromify" / "product" / "pretrained" / "__init__.py"
    assert pretrained.PRETRAINED_DIR == ROOT / "polychromify" / "product" / "pretrained"
    packages = {p.parent.relative_to(ROOT).as_posix().replace("/", ".")
                for p in (ROOT / "polychromify").rglob("__init__.py")}
    assert packages == set(setuptools["packages"])  # every wing, and the shipped model's data package
    data = setuptools["package-data"]
    assert "webpage.js" in data["polychromify.book"]
    files = (pretrained.WEIGHTS, pretrained.CARD, pretrained.CARD_MD)
    author = {f"author/{name}" for name in ("model.weights.h5", "source.json", "LICENSE")}  # his weights, licence
    assert set(data["polychromify.product.pretrained"]) == {*files, *(f"paper/{name}" for name in files), *author}
    shipped = {p.relative_to(pretrained.PRETRAINED_DIR).as_posix() for p in pretrained.PRETRAINED_DIR.rglob("*")
               if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert shipped <= set(data["polychromify.product.pretrained"])  # nothing in the folder is left out of the wheel


def test_importing_colorize_imports_nothing_of_the_book_or_the_web_page():
    modules = _imported_after("import polychromify.product.colorize")
    assert not {m.split(".")[0] for m in modules} & set(NOT_FOR_COLORIZE)
    assert "keras.src" not in modules and "tensorflow" not in modules  # loaded when a model is first used


BLOCK_EXTRAS = """
import sys
from importlib.abc import MetaPathFinder
EXTRAS = {"papermill", "nbformat", "jupyter_book", "myst_nb", "ipykernel", "ipywidgets", "IPython", "pandas",
          "matplotlib", "seaborn", "tf2onnx", "onnx", "onnxruntime", "selenium"}
class Absent(MetaPathFinder):  # as if only the base install were there
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in EXTRAS:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Absent())
"""


def test_colorize_works_with_the_base_install_alone(tmp_path):
    from PIL import Image
    Image.new("L", (30, 20), 128).save(tmp_path / "photo.png")
    modules = _imported_after(BLOCK_EXTRAS + "from polychromify import cli\n"
                              f"assert cli.main(['colorize', {str(tmp_path / 'photo.png')!r}, '-q']) == 0")
    assert (tmp_path / "photo_colorized.png").is_file()
    assert not {m for m in modules if m.startswith("polychromify.book")}  # the book wing: [book] and [web]


@pytest.mark.parametrize("command, extra, absent", [(["book", "--list-params"], "book", "papermill"),
                                                     (["web", "page.html"], "web", "tf2onnx")])
def test_a_command_says_which_extra_it_needs(command, extra, absent, monkeypatch, capsys, tmp_path):
    find_spec = extras.importlib.util.find_spec
    monkeypatch.setattr(extras.importlib.util, "find_spec", lambda name: None if name == absent else find_spec(name))
    monkeypatch.chdir(tmp_path)
    assert cli.main(command) == 2
    err = capsys.readouterr().err
    assert err == (f"polychromify {command[0]} needs the [{extra}] extra: pip install 'polychromify[{extra}]' "
                   f"(missing: {absent})\n")
    assert not list(tmp_path.iterdir())  # nothing was done

