"""Scoring models on any folder of photos (polychromify.studies.scoring), and ``polychromify evaluate --data``."""
import json

import numpy as np
import pytest
from PIL import Image

from polychromify.product.metrics import TABLE_KEYS
from polychromify.cli import main
from polychromify.product import metrics
from polychromify.product.color import rgb_to_xy
from polychromify.product.images import resize_square
from polychromify.studies import scoring as evaluation
from polychromify.training.data import load_dataset
from polychromify.training.synthetic import synthetic_landscapes

SMOKE_FLAGS = ["--profile", "smoke", "--image-size", "16", "--max-images", "24"]


@pytest.fixture
def photos(tmp_path):
    """A folder of 5 generated photos of several sizes (one in a subfolder, one RGBA), a corrupt JPEG and a
    text file."""
    folder = tmp_path / "elsewhere"
    (folder / "sub").mkdir(parents=True)
    for i, rgb in enumerate(synthetic_landscapes(4, 40, seed=11)):
        Image.fromarray(rgb).resize((40 + 8 * i, 40)).save(folder / f"p{i}.png")
    rgba = np.dstack([synthetic_landscapes(1, 24, seed=5)[0], np.full((24, 24), 200, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(folder / "sub" / "alpha.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (folder / "notes.txt").write_text("not an image, not even looked at")
    return folder


def test_read_folder_reads_every_photo_and_reports_the_undecodable(photos):
    arrays, names, skipped = evaluation.read_folder(photos, [16, 8])
    assert names == ["p0.png", "p1.png", "p2.png", "p3.png", "sub/alpha.png"]
    assert len(skipped) == 1 and skipped[0].startswith(str(photos / "broken.jpg") + ": ")
    assert "\n" not in skipped[0]
    x, y = arrays[16]
    assert x.shape == (5, 16, 16, 1) and y.shape == (5, 16, 16, 2) and arrays[8][0].shape == (5, 8, 8, 1)
    expected = rgb_to_xy(resize_square(np.asarray(Image.open(photos / "p3.png").convert("RGB")), 16))
    np.testing.assert_allclose(x[3], expected[0], atol=1e-5)  # centre crop + Lanczos, then Lab


def test_a_folder_with_no_readable_photo_is_a_clear_error(tmp_path):
    (tmp_path / "only.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"no readable photos \(1 image files, 1 undecodable\)"):
        evaluation.read_folder(tmp_path, [16])


def test_score_folder_scores_a_stored_run_beside_both_baselines(smoke_run, photos, isolated):
    results = smoke_run.path.parent.parent
    profile = smoke_run.config["profile"]["name"]
    scores = evaluation.score_folder(["polychromify"], photos, "smoke", results_dir=results)
    assert list(scores["rows"]) == ["polychromify", "gray", "mean_ab"] and scores["images"] == 5
    assert scores["rows"]["polychromify"]["source"] == f"polychromify/{smoke_run.path.name} (synthetic data)"
    # the gray row is metrics.evaluate of ab = 0 on the same photos at the profile's size (smoke: 32 px)
    arrays, _, _ = evaluation.read_folder(photos, [32])
    x, y = arrays[32]
    assert scores["rows"]["gray"]["metrics"] == pytest.approx(metrics.evaluate(x, y, metrics.gray_baseline(y)))
    # the mean-ab row predicts the mean ab of the profile's training split (synthetic here)
    train = load_dataset(None, profile, quiet=True).y_train.reshape(-1, 2).mean(axis=0) * 128
    assert scores["mean_ab"] == pytest.approx(train.tolist(), abs=1e-3)
    assert scores["rows"]["mean_ab"]["metrics"]["ab_rmse"] != scores["rows"]["gray"]["metrics"]["ab_rmse"]
    assert scores["rows"]["polychromify"]["image_size"] == smoke_run.config["image_size"] == 16


def test_evaluate_data_prints_a_row_per_model_and_baseline_and_writes_json(smoke_run, photos, tmp_path, capsys):
    results = smoke_run.path.parent.parent
    out_json = tmp_path / "out" / "scores.json"
    assert main(["evaluate", "polychromify", "--data", str(photos), *SMOKE_FLAGS, "--results", str(results),
                 "--json", str(out_json)]) == 0
    out, err = capsys.readouterr()
    assert f"polychromify evaluate: {photos / 'broken.jpg'}: " in err  # the corrupt one, one line
    assert "5 photos scored, 1 undecodable" in out
    header = next(line for line in out.splitlines() if "accuracy" in line).split()
    assert header == ["px", *TABLE_KEYS]  # the registry's columns
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line.split() and line.split()[0] in ("polychromify", "gray", "mean_ab")
            and len(line.split()) == 2 + len(TABLE_KEYS)}
    assert set(rows) == {"polychromify", "gray", "mean_ab"}
    saved = json.loads(out_json.read_text())
    for name, values in rows.items():
        assert float(values[4]) == pytest.approx(saved["rows"][name]["metrics"]["auc"], abs=1e-4)
    assert saved["skipped"][0].startswith(str(photos / "broken.jpg"))


def test_evaluate_data_of_the_training_collection_keeps_the_split_evaluation(photos, tmp_path, capsys, isolated):
    """A folder a stored run trained on (same data hash) is evaluated on its split, as without --data."""
    from polychromify.training.runner import run_experiment
    collection = tmp_path / "collection"
    collection.mkdir()
    for i, rgb in enumerate(synthetic_landscapes(24, 32, seed=2)):
        Image.fromarray(rgb).save(collection / f"c{i:02d}.png")
    run = run_experiment("polychromify", "smoke", data_dir=collection, image_size=16, epochs=1, max_images=24,
                         verbose=0)
    out_json = tmp_path / "split.json"
    assert main(["evaluate", "polychromify", "--data", str(collection), *SMOKE_FLAGS, "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == str(run.path) and "model test" in out and "photos scored" not in out
    saved = json.loads(out_json.read_text())["polychromify"]
    assert saved["run"] == str(run.path)
    assert saved["metrics"]["model"]["test"]["auc"] == pytest.approx(run.metrics["model"]["test"]["auc"], abs=1e-6)
    assert main(["evaluate", "polychromify", "--data", str(photos), *SMOKE_FLAGS]) == 0
    assert "photos scored" in capsys.readouterr().out  # another folder: scored photo by photo


def test_evaluate_data_of_a_model_without_a_run_fails_with_a_message(photos, tmp_path, capsys, isolated):
    assert main(["evaluate", "cnn", "--data", str(photos), *SMOKE_FLAGS]) == 2
    err = capsys.readouterr().err
    assert "no finished run of cnn with profile smoke" in err and "polychromify train cnn --profile smoke" in err


def test_pretrained_has_no_split_of_its_own(capsys, isolated):
    assert main(["evaluate", "pretrained", *SMOKE_FLAGS]) == 2
    assert "pretrained: the shipped model has no split of its own" in capsys.readouterr().err


def test_the_author_model_and_the_pretrained_one_score_a_folder_without_runs(photos, isolated):
    scores = evaluation.score_folder(["author_model", "pretrained"], photos, "smoke")
    author, pretrained = scores["rows"]["author_model"], scores["rows"]["pretrained"]
    assert author["source"] == "polychromify/product/pretrained/author/model.weights.h5"  # his weights as shipped
    assert author["image_size"] == 32  # the profile's size
    assert pretrained["image_size"] == 128 and "pretrained" in pretrained["source"]
    assert author["metrics"] != pretrained["metrics"]


def test_evaluate_data_always_shows_our_final_model(smoke_run, photos, isolated, capsys):
    from polychromify.cli import main
    results = smoke_run.path.parents[1]
    assert main(["evaluate", "author_model", "--data", str(photos), *SMOKE_FLAGS, "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[2:6]] == ["author_model", "polychromify", "gray",
                                                                   "mean_ab"]
