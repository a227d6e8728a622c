"""The author's trained model: architecture, his weights as shipped, the conversion from his SavedModel,
reproducing his own colorizations, and the experiment that needs no training."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import AUTHOR_RESULTS as AUTHOR
from helpers import SAVED_MODEL, needs
from PIL import Image

from polychromify.product import author_model as am
from polychromify.training.experiments import get_experiment
from polychromify.training.resolve import load_trained
from polychromify.training.runner import run_experiment

ROOT = Path(__file__).resolve().parents[1]
# His materials beside the project (the team's machines and CI have them); the tests that need them skip without.
needs_author = needs(SAVED_MODEL / "variables" / "variables.index", "the author's SavedModel")


def write_fake_saved_model(folder: Path, image_size: int = 16, seed: int = 0, optimizer: bool = True) -> list:
    """A folder holding only ``variables/variables.*`` laid out as the author's SavedModel (one
    ``layer_with_weights-<i>/{kernel,bias}`` per layer, plus an optimizer variable to skip), with random
    weights; returns them in layer order."""
    import tensorflow as tf
    model = am.author_model(image_size)
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 0.1, w.shape).astype(np.float32) for w in model.get_weights()]
    layers = {f"layer_with_weights-{i}": tf.train.Checkpoint(kernel=tf.Variable(weights[2 * i]),
                                                             bias=tf.Variable(weights[2 * i + 1]))
              for i in range(len(weights) // 2)}
    if optimizer:
        layers["optimizer"] = tf.train.Checkpoint(iter=tf.Variable(7, dtype=tf.int64))
    (folder / "variables").mkdir(parents=True)
    tf.train.Checkpoint(**layers).write(str(folder / "variables" / "variables"))
    return weights


@pytest.fixture
def fake_author(tmp_path):
    """A fake author's SavedModel in his repository's layout (``results/Polychromify``, a ``LICENSE`` two
    folders up): (the SavedModel folder, its weights)."""
    folder = tmp_path / "repo" / "results" / "Polychromify"
    weights = write_fake_saved_model(folder)
    (tmp_path / "repo" / "LICENSE").write_text("MIT License\n\nCopyright (c) 2021 Davide Ghiotto\n")
    return folder, weights


def shipped_weights() -> list:
    return am.load_author_model(16).get_weights()


# ---------------------------------------------------------------- the architecture

def test_author_model_has_the_papers_parameter_count_and_any_size():
    model = am.author_model()
    assert model.name == "author_model"
    assert model.count_params() == am.PARAMS == 293_330
    assert model.output_shape == (None, 128, 128, 2)
    assert am.author_model(64).output_shape == (None, 64, 64, 2)  # fully convolutional: same weights
    assert am.author_model(64).count_params() == 293_330
    assert model.layers[-1].get_config()["activation"] == "tanh"


# ---------------------------------------------------------------- loading

def test_read_saved_model_puts_each_checkpoint_variable_in_its_layer(fake_author):
    folder, weights = fake_author
    model = am.read_saved_model(folder, 32)  # another size than the fake was made at: only kernels matter
    for loaded, stored in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(loaded, stored)


def test_the_package_ships_his_weights_the_stores_converted_copy_with_his_licence():
    """The shipped copy is the same file as the converted weights of the committed store's author_model runs,
    its source.json names his repository, commit and hashes, and his MIT notice ships beside it."""
    shipped = am.AUTHOR_DIR / am.WEIGHTS
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    source = json.loads((am.AUTHOR_DIR / am.SOURCE).read_text())
    assert source["weights_sha256"] == digest
    assert source["origin"]["commit"] == "c325de0" and "davide97g/polychromify" in source["origin"]["repository"]
    assert source["variables_sha256"]["variables.data-00000-of-00001"] == (
        "49b1b8ddba74635ef6c1fe2555e3d3a3cf4e57d408f487bc2e74fd5ea78d4379")
    licence = (am.AUTHOR_DIR / am.LICENSE).read_text()
    assert "Copyright (c) 2021 Davide Ghiotto" in licence and "Permission is hereby granted" in licence
    runs = sorted((ROOT / "results" / "author_model").glob("*/model.weights.h5"))
    assert runs, "the committed store holds the author_model runs"
    for run in runs:
        assert hashlib.sha256(run.read_bytes()).hexdigest() == digest, run
        provenance = json.loads((run.parent / "provenance.json").read_text())
        assert provenance["weights"]["weights_sha256"] == digest
    model = am.load_author_model(128)
    assert model.count_params() == am.PARAMS and float(np.abs(model.layers[-1].get_weights()[0]).sum()) > 0


def test_a_damaged_shipped_copy_is_refused_naming_the_file(tmp_path):
    import shutil
    copy = tmp_path / "author"
    shutil.copytree(am.AUTHOR_DIR, copy)
    data = bytearray((copy / am.WEIGHTS).read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte of a kernel changed
    (copy / am.WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"model.weights.h5: its SHA-256 is not the one .*source.json records"):
        am.load_author_model(16, copy)
    (copy / am.WEIGHTS).unlink()
    with pytest.raises(FileNotFoundError, match=r"model.weights.h5: not here \(convert the author's SavedModel"):
        am.load_author_model(16, copy)


def test_convert_writes_his_weights_source_and_licence_from_an_explicit_path(fake_author, tmp_path):
    folder, weights = fake_author
    dest = am.convert(folder, tmp_path / "converted")
    assert sorted(p.name for p in dest.iterdir()) == ["LICENSE", "model.weights.h5", "source.json"]
    source = json.loads((dest / "source.json").read_text())
    assert source["weights_sha256"] == hashlib.sha256((dest / "model.weights.h5").read_bytes()).hexdigest()
    data = folder / "variables" / "variables.data-00000-of-00001"
    assert source["variables_sha256"][data.name] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert source["licence"] == am.AUTHOR_LICENCE and source["origin"] == am.ORIGIN
    assert "Davide Ghiotto" in (dest / "LICENSE").read_text()
    for loaded, stored in zip(am.load_author_model(16, dest).get_weights(), weights, strict=True):
        np.testing.assert_array_equal(loaded, stored)
    record = am.weights_source(dest)
    assert record["weights_sha256"] == source["weights_sha256"] and "/" not in record["weights"]  # no path


def test_the_cli_converts_and_nothing_else_reads_a_saved_model(fake_author, tmp_path, capsys):
    from polychromify.cli import main
    folder, _ = fake_author
    assert main(["pretrained", "author", str(folder), "--dest", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "model.weights.h5").is_file()
    assert main(["pretrained", "author", str(tmp_path / "nothing")]) == 2
    assert "nothing: no such folder (the author's SavedModel" in capsys.readouterr().err
    import re
    for module in (ROOT / "polychromify").rglob("*.py"):  # the conversion is the one reader of a SavedModel
        if module.name not in ("author_model.py", "cli.py"):
            code = module.read_text()
            assert not re.search(r"author_model import[^\n]*\b(convert|read_saved_model)\b", code), module
            assert "tf.train.load_checkpoint" not in code, module


def test_a_missing_saved_model_is_a_one_line_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing-here: no such folder") as err:
        am.read_saved_model(tmp_path / "nothing-here", 16)
    assert "\n" not in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty: not a SavedModel \(variables/variables.index"):
        am.read_saved_model(tmp_path / "empty", 16)


def test_an_unreadable_saved_model_is_a_one_line_error(tmp_path):
    folder = tmp_path / "broken"
    (folder / "variables").mkdir(parents=True)
    (folder / "variables" / "variables.index").write_bytes(b"not a checkpoint index")
    with pytest.raises(ValueError, match=r"broken: cannot read the SavedModel's variables") as err:
        am.read_saved_model(folder, 16)
    assert "\n" not in str(err.value)


def test_variables_of_another_architecture_are_refused_naming_the_layer(tmp_path):
    import tensorflow as tf
    folder = tmp_path / "other"
    write_fake_saved_model(folder)
    model = am.author_model(16)
    # a checkpoint whose first kernel has 8 filters instead of 16
    wrong = tmp_path / "wrong"
    (wrong / "variables").mkdir(parents=True)
    parts = {f"layer_with_weights-{i}": tf.train.Checkpoint(kernel=tf.Variable(layer.get_weights()[0]),
                                                            bias=tf.Variable(layer.get_weights()[1]))
             for i, layer in enumerate(l for l in model.layers if l.weights)}
    parts["layer_with_weights-0"] = tf.train.Checkpoint(kernel=tf.Variable(np.zeros((3, 3, 1, 8), np.float32)),
                                                        bias=tf.Variable(np.zeros(8, np.float32)))
    tf.train.Checkpoint(**parts).write(str(wrong / "variables" / "variables"))
    with pytest.raises(ValueError, match=r"layer_with_weights-0/kernel is shaped \(3, 3, 1, 8\), enc1 needs "
                                         r"\(3, 3, 1, 16\)"):
        am.read_saved_model(wrong, 16)
    # and one layer too few
    short = tmp_path / "short"
    (short / "variables").mkdir(parents=True)
    del parts["layer_with_weights-11"]
    parts["layer_with_weights-0"] = tf.train.Checkpoint(kernel=tf.Variable(np.zeros((3, 3, 1, 16), np.float32)),
                                                        bias=tf.Variable(np.zeros(16, np.float32)))
    tf.train.Checkpoint(**parts).write(str(short / "variables" / "variables"))
    with pytest.raises(ValueError, match=r"11 layers with weights, the model has 12"):
        am.read_saved_model(short, 16)


# ---------------------------------------------------------------- his own colorizations, reproduced

def _undo_imageio_stretch(saved: np.ndarray, colorized: np.ndarray) -> np.ndarray:
    """The author's input photo from the copy he saved.

    He saved his resized float photo, values in [0, 255], with ``skimage.io.imsave``, which hands floats
    outside [0, 1] to imageio; imageio stretches such an image from [min, max] to [0, 255]. So ``<i>.png``
    spans 0..255 exactly, and where his photo did not (his 0, 3 and 4: max 250 and 252, min 14.6) the copy is
    brighter or darker than what his model saw. His colorization keeps his input's L, so the stretch is
    recovered by fitting (min, max) so that the photo's L matches the colorization's L (median error).
    """
    from scipy.optimize import minimize
    from skimage.color import rgb2lab
    target = rgb2lab(colorized / 255.0)[..., 0]

    def photo(p):
        return np.clip(p[0] + saved * (p[1] - p[0]) / 255.0, 0.0, 255.0)

    def error(p):
        return np.median(np.abs(rgb2lab(photo(p) / 255.0)[..., 0] - target))

    fit = minimize(error, (0.0, 255.0), method="Nelder-Mead",
                   options={"xatol": 0.05, "fatol": 1e-4, "initial_simplex": [(0, 255), (20, 255), (0, 235)]})
    return photo(fit.x)


@needs_author
@pytest.mark.parametrize("i", range(5))
def test_the_loaded_model_reproduces_the_authors_own_colorizations(i):
    """His notebook's cell "Visualization with raw images" (modeling.ipynb at c325de0), step by step:
    ``load_img``, ``resize`` to 128 x 128, ``rgb2lab(1/255 * img)[..., 0]``, predict, x 128, ``lab2rgb``, and
    ``imsave``, which writes floats in [0, 1] as ``uint8(255 * v + 0.499999999)`` (imageio).

    Tolerance, measured: after undoing the save's stretch, every pixel of every image is within 2 levels of
    his PNG (mean 0.19-0.26 levels; 99% within 1). The rest comes from feeding his 8-bit copy instead of his
    float photo and from TF 2.5 vs 2.21 arithmetic. We allow 3 levels and a mean of 0.5; the gray image
    (his L, no colour) is 5.6-9.7 levels away on average, so wrong weights or a wrong layer order fail.
    """
    import keras
    from skimage.color import lab2rgb, rgb2lab
    from skimage.transform import resize
    his = np.asarray(Image.open(AUTHOR / "img" / f"{i}-polychromify.png").convert("RGB")).astype(np.float64)
    img = keras.utils.img_to_array(keras.utils.load_img(AUTHOR / "img" / f"{i}.png"))
    img = resize(img, (128, 128))
    img = _undo_imageio_stretch(img, his)
    L = rgb2lab(1.0 / 255 * np.array([img], dtype=float))[:, :, :, 0][..., None]
    output = am.load_author_model(128).predict(L, verbose=0) * 128  # his weights as shipped
    result = np.zeros((128, 128, 3))
    result[:, :, 0] = L[0][:, :, 0]
    result[:, :, 1:] = output[0]
    ours = (lab2rgb(result) * 255 + 0.499999999).astype(np.uint8).astype(np.float64)
    diff = np.abs(ours - his)
    assert diff.max() <= 3 and diff.mean() <= 0.5, (diff.max(), diff.mean())
    gray = lab2rgb(np.concatenate([L[0], np.zeros((128, 128, 2))], axis=-1)) * 255
    assert np.abs(gray - his).mean() > 3  # the tolerance tells his colours from none


@needs_author
def test_converting_his_real_saved_model_gives_the_shipped_bytes(tmp_path):
    dest = am.convert(SAVED_MODEL, tmp_path / "author")
    assert (dest / am.WEIGHTS).read_bytes() == (am.AUTHOR_DIR / am.WEIGHTS).read_bytes()
    assert json.loads((dest / am.SOURCE).read_text()) == json.loads((am.AUTHOR_DIR / am.SOURCE).read_text())


# ---------------------------------------------------------------- the experiment that needs no training

def test_the_author_model_run_stores_his_weights_and_evaluates_them_without_training(isolated):
    weights = shipped_weights()
    run = run_experiment("author_model", "smoke", image_size=16, max_images=24, verbose=0)
    assert run.finished and run.experiment == "author_model"
    assert run.config["epochs"] == 0 and run.config["image_size"] == 16
    assert run.history == {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "seconds": []}
    provenance = run.provenance
    assert provenance["params"] == 293_330 and provenance["train_images"] == 0
    assert provenance["timings"]["train_seconds_total"] == 0 and provenance["timings"]["evaluate_seconds"] > 0
    assert provenance["weights"] == am.weights_source()  # his repository, commit, hashes; no path of this machine
    assert provenance["weights"]["licence"] == am.AUTHOR_LICENCE
    metrics = run.metrics
    assert set(metrics) == {"model", "gray", "mean_ab"} and set(metrics["model"]) == {"val", "test"}
    assert 0 <= metrics["model"]["test"]["auc"] <= 1
    for loaded, stored in zip(load_trained(run).model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(loaded, stored)  # his weights, stored in the run
    # a second call finds the finished run
    assert run_experiment("author_model", "smoke", image_size=16, max_images=24, verbose=0).path == run.path


def test_the_author_experiment_is_registered_as_section_v_c():
    experiment = get_experiment("author_model")
    assert experiment.model == "author_model" and experiment.section.startswith("V.C")


def test_colorize_takes_the_author_model_as_shipped_then_from_the_store(isolated):
    from polychromify.book.widgets import model_choices
    from polychromify.product.colorize import colorize
    from polychromify.product.trained import load_model
    from polychromify.training.resolve import trained_model
    direct = load_model("author_model")
    assert direct.experiment == "author_model" and direct.image_size == 128
    assert "his weights as shipped" in direct.source
    assert trained_model("author_model").source == direct.source  # no run in the store yet
    assert ("author_model" in [value for _, value in model_choices()])
    out = colorize(np.full((40, 60, 3), 90, np.uint8), "author_model")
    assert out.shape == (40, 60, 3)
    run = run_experiment("author_model", "smoke", image_size=16, max_images=24, verbose=0)
    stored = trained_model("author_model")
    assert stored.source == f"author_model/{run.path.name} (synthetic data)" and stored.image_size == 16
    values = [value for _, value in model_choices()]
    assert str(run.path) in values and "author_model" not in values  # the run, offered once
