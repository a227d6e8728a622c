"""polychromify.training.settings: the one place that reads $POLYCHROMIFY_DATA, $POLYCHROMIFY_RESULTS, $POLYCHROMIFY_CACHE."""
from pathlib import Path

from polychromify.training import settings
from polychromify.training.settings import Settings


def test_each_folder_from_its_variable():
    env = {"POLYCHROMIFY_DATA": "/p/photos", "POLYCHROMIFY_RESULTS": "/p/store", "POLYCHROMIFY_CACHE": "/p/cache"}
    assert Settings.resolve(environ=env) == Settings(Path("/p/photos"), Path("/p/store"), Path("/p/cache"))


def test_a_folder_given_wins_over_the_environment():
    env = {"POLYCHROMIFY_DATA": "/p/photos", "POLYCHROMIFY_RESULTS": "/p/store"}
    assert Settings.resolve("/x", "/y", "/z", environ=env) == Settings(Path("/x"), Path("/y"), Path("/z"))


def test_defaults_without_the_variables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the current folder plays no part
    found = Settings.resolve(environ={"XDG_CACHE_HOME": "/xdg"})
    assert found.data_dir is None  # synthetic landscapes
    assert found.results_dir == settings.ROOT / "results" and settings.in_checkout()
    assert found.cache_dir == Path("/xdg/polychromify")


def test_an_installed_package_keeps_its_store_in_the_user_data_folder(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "share")}
    assert settings.default_results_dir(tmp_path, env) == tmp_path / "share" / "polychromify" / "results"
    assert settings.default_results_dir(tmp_path, {}) == Path.home() / ".local" / "share" / "polychromify" / "results"
