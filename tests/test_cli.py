"""The polychromify command, through polychromify.cli.main([...]): data info, download, train, results, evaluate."""
import os
import shutil

import numpy as np
import pytest
from helpers import LANDSCAPES, needs
from PIL import Image

from polychromify.cli import main
from polychromify.product.metrics import TABLE_KEYS
from polychromify.training import runner
from polychromify.training.synthetic import synthetic_landscapes

pytestmark = pytest.mark.usefixtures("isolated")

# The real photos, where present: $POLYCHROMIFY_DATA as CI sets it (read before any test unsets it),
# else the team's copy beside the project.
REAL_DATA = LANDSCAPES
SMOKE_FLAGS = ["--profile", "smoke", "--image-size", "16", "--max-images", "24"]


def test_data_info_on_synthetic_data_says_so(capsys):
    assert main(["data", "info", *SMOKE_FLAGS]) == 0
    out, err = capsys.readouterr()
    assert "[SYNTHETIC]" in out
    assert "USING SYNTHETIC LANDSCAPES" in err  # and loudly on stderr
    assert "used:              24 photos at 16 px" in out
    assert "split:             train/val/test = " in out


def test_the_environment_names_the_photos_when_no_flag_does(tmp_path, capsys, monkeypatch):
    """``POLYCHROMIFY_DATA=DIR polychromify ...``: the command reads it (once, in ``main``) and passes it down."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for i, rgb in enumerate(synthetic_landscapes(12, 32, seed=4)):
        Image.fromarray(rgb).save(photos / f"p{i:02d}.png")
    monkeypatch.setenv("POLYCHROMIFY_DATA", str(photos))
    assert main(["data", "info", *SMOKE_FLAGS]) == 0
    out, err = capsys.readouterr()
    assert "SYNTHETIC" not in out + err and f"source:            {photos}" in out


def test_importing_the_cli_leaves_the_environment_alone():
    import subprocess
    import sys
    code = ("import os; before = dict(os.environ); import polychromify.cli; "
            "assert dict(os.environ) == before, set(os.environ) ^ set(before)")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_data_info_on_a_folder_counts_every_cleaning_step(tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i, rgb in enumerate(synthetic_landscapes(20, 48, seed=3)):
        Image.fromarray(rgb).save(photos / f"p{i:02d}.png")
    shutil.copy(photos / "p00.png", photos / "p00-copy.png")                               # a duplicate
    Image.fromarray(np.full((48, 48, 3), 128, np.uint8)).save(photos / "gray.png")      # no colour
    (photos / "broken.jpg").write_bytes(b"not a jpeg")                                  # undecodable
    (photos / "notes.txt").write_text("not an image")                                    # ignored

    assert main(["data", "info", "--data", str(photos), *SMOKE_FLAGS]) == 0
    out, err = capsys.readouterr()
    assert "SYNTHETIC" not in out + err
    assert f"source:            {photos}" in out
    assert "found:             23 image files (1 other files ignored)" in out
    assert "decoded:           22" in out
    assert "skipped:           1" in out and "broken.jpg" in out
    assert "duplicates:        1 removed (1 groups)" in out
    assert "near-gray:         1 removed" in out
    assert "usable:            20 photos after cleaning" in out
    assert "used:              20 photos at 16 px" in out
    assert (tmp_path / "cache" / "prepared").is_dir()  # cached under $POLYCHROMIFY_CACHE, not ~/.cache


@needs(REAL_DATA, "the real landscape photos")
def test_data_info_on_a_few_real_photos_verified_against_the_manifest(tmp_path, capsys):
    files = sorted(REAL_DATA.glob("*.jpg"))[::330][:12]
    photos = tmp_path / "landscapes"
    photos.mkdir()
    for path in files:
        shutil.copy(path, photos / path.name)
    manifest = REAL_DATA.with_name(REAL_DATA.name + ".sha256")
    if manifest.is_file():  # the manifest lines of the copied files, beside the copy
        names = {p.name for p in files}
        lines = [line for line in manifest.read_text().splitlines() if line.split("  ", 1)[-1].lstrip("*") in names]
        photos.with_name("landscapes.sha256").write_text("\n".join(lines) + "\n")

    code = main(["data", "info", "--data", str(photos), "--profile", "smoke", "--image-size", "16"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "found:             12 image files (0 other files ignored)" in out
    assert "decoded:           12" in out and "skipped:           0" in out
    if manifest.is_file():
        assert "checksums:         12 verified" in out


def test_data_info_on_an_empty_folder_fails_with_one_clear_line(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["data", "info", "--data", str(empty), *SMOKE_FLAGS]) != 0
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("polychromify: ")
    assert str(empty) in lines[0] and "0 usable photos" in lines[0] and "at least 10" in lines[0]
    assert "Traceback" not in out + err


def test_data_info_on_a_missing_folder_fails_with_a_message(tmp_path, capsys):
    assert main(["data", "info", "--data", str(tmp_path / "nowhere"), *SMOKE_FLAGS]) != 0
    err = capsys.readouterr().err
    assert "nowhere" in err and "not found" in err


def test_data_download_without_kaggle_credentials_says_how_to_set_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith("KAGGLE_") or name == "XDG_CONFIG_HOME":
            monkeypatch.delenv(name)
    dest = tmp_path / "download"
    assert main(["data", "download", "--dest", str(dest)]) != 0
    err = capsys.readouterr().err
    assert err.startswith("polychromify: No Kaggle credentials found")
    assert "~/.kaggle/kaggle.json" in err and "KAGGLE_USERNAME" in err and "KAGGLE_KEY" in err
    assert "--zip" in err  # the offline alternative
    assert not dest.exists()


def test_train_then_results_lists_the_runs(smoke_run, tmp_path, monkeypatch, capsys):
    # The store already holds the final model's smoke run (conftest's smoke_run, trained with these
    # settings): train loads it. ae_v0, the cheapest model, is really trained through the CLI.
    store = tmp_path / "store"
    shutil.copytree(smoke_run.path.parent.parent, store)
    trained = []
    original_fit = runner.fit

    def recording_fit(model, *args, **kwargs):
        trained.append(model.name)
        return original_fit(model, *args, **kwargs)

    monkeypatch.setattr(runner, "fit", recording_fit)
    code = main(["train", "polychromify", "ae_v0", "--profile", "smoke", "--image-size", "16", "--epochs", "1",
                 "--max-images", "24", "--results", str(store)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert trained == ["ae_v0"]  # the finished run was loaded, not trained again
    assert f"polychromify: finished -> {store / 'polychromify' / smoke_run.path.name}" in out
    assert "ae_v0: finished -> " in out
    assert out.count("test accuracy") == 2

    assert main(["results", "--results", str(store)]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["experiment", "run", "state"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"ae_v0", "polychromify"}
    assert rows["polychromify"][1:6] == [smoke_run.path.name, "finished", "synthetic", "float32", "1"]
    assert rows["ae_v0"][2:6] == ["finished", "synthetic", "float32", "1"]


def test_results_of_an_empty_store(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["results", "--results", str(tmp_path / "empty")]) == 0
    assert "empty" in capsys.readouterr().out


def test_evaluate_recomputes_the_stored_metrics_from_the_stored_weights(smoke_run, capsys):
    store = smoke_run.path.parent.parent
    assert main(["evaluate", "polychromify", *SMOKE_FLAGS, "--results", str(store)]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines.pop(0) == str(smoke_run.path)          # the exact run of these flags and this data
    keys = lines[0].split()
    assert keys == list(TABLE_KEYS)  # the registry's columns (metrics.METRICS)
    rows = {" ".join(line.split()[:2]): [float(v) for v in line.split()[2:]] for line in lines[1:]}
    assert set(rows) == {f"{who} {split}" for who in ("model", "gray", "mean_ab") for split in ("val", "test")}
    for row, values in rows.items():
        who, split = row.split()
        stored = smoke_run.metrics[who][split]
        for key, value in zip(keys, values):
            # printed with 4 decimals; a pixel whose a-vs-b order flips moves accuracy by 1/768
            assert value == pytest.approx(stored[key], abs=2e-3 if key == "accuracy" else 1e-3), (row, key)


def test_evaluate_of_a_missing_run_fails_with_a_message(tmp_path, capsys):
    assert main(["evaluate", "cnn", "--profile", "smoke", "--results", str(tmp_path / "store")]) == 2  # bad input, as colorize
    err = capsys.readouterr().err
    assert "no finished run of cnn with profile smoke" in err
    assert "polychromify train cnn --profile smoke" in err


@pytest.mark.parametrize("argv", [["train", "no_such_experiment"], ["evaluate", "nope"],
                                  ["data", "info", "--profile", "huge"]])
def test_bad_arguments_are_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_every_profile_and_cleaning_field_is_a_flag_that_reaches_the_profile():
    import dataclasses

    from polychromify.cli import _profile, parser
    from polychromify.training.profiles import Cleaning, Profile
    values = {"image_size": "24", "epochs": "3", "batch_size": "4", "learning_rate": "0.002", "max_images": "30",
              "seed": "7", "precision": "mixed_bfloat16", "split": "0.7,0.1,0.2", "eccv16_image_size": "16",
              "eccv16_epochs": "2", "bn_momentum": "0.8", "gray_chroma": "2.5", "border_level": "20",
              "border_min": "4", "min_remaining": "0.6"}
    fields = {f.name for f in dataclasses.fields(Profile) + dataclasses.fields(Cleaning)} - {"name", "cleaning"}
    assert set(values) == fields  # a new field needs its value here: its flag exists by construction
    argv = ["data", "info", "--profile", "smoke"]
    for name, value in values.items():
        argv += ["--" + name.replace("_", "-"), value]
    profile = _profile(parser().parse_args(argv))
    assert profile.split == (0.7, 0.1, 0.2) and profile.precision == "mixed_bfloat16"
    assert (profile.image_size, profile.epochs, profile.seed, profile.bn_momentum) == (24, 3, 7, 0.8)
    assert profile.cleaning == Cleaning(gray_chroma=2.5, border_level=20, border_min=4, min_remaining=0.6)


@pytest.mark.parametrize("flags, message", [
    (["--batch-size", "0"], "batch_size must be a whole number at least 1, not 0"),
    (["--epochs", "0"], "epochs must be a whole number at least 1, not 0"),
    (["--learning-rate", "nan"], "learning_rate must be a number above 0, not nan"),
    (["--split", "0.8,0.2,0"], "split (test) must be a number above 0, not 0.0"),
    (["--max-images", "-5"], "max_images must be a whole number at least 1 (or unset), not -5"),
    (["--border-level", "300"], "border_level must be a whole number at least 0 and at most 255, not 300"),
])
def test_out_of_range_profile_flags_fail_with_one_line_before_any_work(flags, message, capsys):
    assert main(["train", "polychromify", "--profile", "smoke", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(message) and err.startswith("polychromify: ") and "\n" not in err


def test_data_info_and_prepare_on_too_few_usable_photos_print_the_report_and_fail(tmp_path, capsys):
    """The user needs the skip reasons, not only "only 0 usable photos"; prepare must not say "prepared"."""
    folder = tmp_path / "few"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(synthetic_landscapes(1, 32, seed=i)[0]).save(folder / f"ok{i}.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    gray = np.full((32, 32, 3), 128, np.uint8)
    Image.fromarray(gray).save(folder / "gray.png")
    for command in ("info", "prepare"):
        assert main(["data", command, "--data", str(folder), *SMOKE_FLAGS]) == 2
        out, err = capsys.readouterr()
        assert "broken.jpg" in out and "near-gray:         1 removed" in out  # the report, with the reasons
        assert err.count("\n") == 1 and "only 3 usable photos of 5 image files" in err
        assert "prepared" not in out + err and "Traceback" not in out + err
