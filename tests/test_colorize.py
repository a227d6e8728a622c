"""polychromify.product.colorize and ``polychromify colorize``: any input, full resolution kept, bad files, no overwrites."""
import io

import keras
import numpy as np
import pytest
from PIL import Image

from polychromify import cli
from polychromify.product.color import rgb_to_lab
from polychromify.product.colorize import MAX_PIXELS, colorize, merge, upsample_ab
from polychromify.product.images import ImageError
from polychromify.product.models import build_model
from polychromify.product.trained import TrainedModel, load_model
from polychromify.training.resolve import trained_model
from polychromify.training.synthetic import synthetic_landscape


@pytest.fixture(scope="module")
def model():
    """An untrained PolyChromify at 32 px with fixed weights: enough to check the plumbing."""
    keras.utils.set_random_seed(3)
    return TrainedModel(build_model("polychromify", 32), "polychromify", "polychromify", "test")


def _photo(height=200, width=300, seed=1):
    """A landscape with fine detail: a one-pixel checkerboard in one corner."""
    rgb = np.asarray(Image.fromarray(synthetic_landscape(seed, 128)).resize((width, height)))
    rgb = rgb.copy()
    checker = (np.indices((20, 20)).sum(axis=0) % 2 * 200 + 20).astype(np.uint8)
    rgb[:20, :20] = checker[..., None]
    return rgb


def _colour_amount(rgb):
    return float(np.abs(rgb_to_lab(rgb)[..., 1:]).mean())


# ---------------------------------------------------------------- full resolution

def test_upsample_is_pillow_bilinear():
    small = np.random.default_rng(2).uniform(-80, 80, (8, 6, 2)).astype(np.float32)
    up = upsample_ab(small, 37, 50)
    pillow = np.stack([np.asarray(Image.fromarray(small[..., c]).resize((50, 37), Image.Resampling.BILINEAR))
                       for c in range(2)], axis=-1)
    assert up.shape == (37, 50, 2)
    assert np.abs(up - pillow).max() < 1e-3


def test_merge_in_blocks_and_threads_equals_one_block():
    rgb = _photo(200, 150)
    ab = np.random.default_rng(3).uniform(-60, 60, (32, 32, 2)).astype(np.float32)
    assert np.array_equal(merge(rgb, ab, workers=1), merge(rgb, ab, workers=3))


# ---------------------------------------------------------------- colorize

def test_colorize_keeps_size_and_detail(model):
    rgb = _photo(200, 300)
    out = colorize(rgb, model=model)
    assert out.shape == (200, 300, 3) and out.dtype == np.uint8
    L_in, L_out = rgb_to_lab(rgb)[..., 0], rgb_to_lab(out)[..., 0]
    error = np.abs(L_in - L_out)
    # 8-bit rounding everywhere; larger only where L + ab falls outside sRGB and is clipped
    assert error.mean() < 0.3 and np.percentile(error, 99) < 1.5
    for region in (np.s_[:, :], np.s_[:20, :20]):  # the edges, and the one-pixel checkerboard, survive
        edges_in, edges_out = np.diff(L_in[region], axis=1).ravel(), np.diff(L_out[region], axis=1).ravel()
        assert np.corrcoef(edges_in, edges_out)[0, 1] > 0.99
    assert _colour_amount(out) != pytest.approx(_colour_amount(merge(rgb, np.zeros((1, 1, 2)), 0.0)))


def test_chroma_zero_gives_gray(model):
    rgb = _photo()
    gray = rgb[..., 1]
    out = colorize(gray, model=model, chroma=0.0)  # a gray photo comes back unchanged
    assert np.array_equal(out[..., 0], gray) and np.array_equal(out[..., 1], gray) and np.array_equal(out[..., 2], gray)
    out = colorize(rgb, model=model, chroma=0.0)  # a colour photo loses its colour, keeps its lightness
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    assert np.abs(rgb_to_lab(out)[..., 0] - rgb_to_lab(rgb)[..., 0]).max() < 0.5


def test_chroma_scales_the_colour(model):
    rgb = _photo()
    weak, strong = colorize(rgb, model=model, chroma=0.5), colorize(rgb, model=model, chroma=2.0)
    assert _colour_amount(strong) > 2 * _colour_amount(weak) > 0


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def test_every_input_mode_keeps_its_size(model, tmp_path):
    rgb = _photo(200, 300)
    gray = Image.fromarray(rgb[..., 0])
    rgba = Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)]))
    sixteen = Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display": a portrait stored as landscape
    (tmp_path / "rotated.jpg").write_bytes(_encoded(Image.fromarray(rgb), "JPEG", exif=exif.tobytes()))
    cases = {
        "gray path": (tmp_path / "gray.png", (200, 300)),
        "RGBA path": (tmp_path / "rgba.png", (200, 300)),
        "CMYK JPEG": (tmp_path / "cmyk.jpg", (200, 300)),
        "16-bit PNG": (tmp_path / "sixteen.png", (200, 300)),
        "EXIF-rotated JPEG": (tmp_path / "rotated.jpg", (300, 200)),
        "palette PIL image": (Image.fromarray(rgb).convert("P"), (200, 300)),
        "float array": (rgb.astype(np.float32) / 255, (200, 300)),
        "bytes": (_encoded(Image.fromarray(rgb), "PNG"), (200, 300)),
    }
    gray.save(tmp_path / "gray.png")
    rgba.save(tmp_path / "rgba.png")
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg")
    sixteen.save(tmp_path / "sixteen.png")
    for name, (source, shape) in cases.items():
        out = colorize(source, model=model)
        assert out.shape == shape + (3,) and out.dtype == np.uint8, name
    # the 16-bit gray PNG keeps its lightness (scaled to 8 bits, not clipped): without colour it comes back
    assert np.array_equal(colorize(tmp_path / "sixteen.png", model=model, chroma=0.0)[..., 1], rgb[..., 0])


def test_a_tiny_image_works(model):
    assert colorize(np.full((1, 2, 3), 120, np.uint8), model=model).shape == (1, 2, 3)


def test_bad_inputs_raise_image_error_naming_the_file(model, tmp_path):
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    for path in (tmp_path / "missing.png", tmp_path / "text.png", tmp_path / "empty.png"):
        with pytest.raises(ImageError, match=path.name):
            colorize(path, model=model)


def test_images_over_the_pixel_limit_are_refused(model, tmp_path):
    assert MAX_PIXELS == 100_000_000
    Image.new("1", (10_001, 10_000)).save(tmp_path / "huge.png")  # 100,010,000 pixels
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ImageError, match="limit"):
        colorize(tmp_path / "huge.png", model=model)


def test_model_by_experiment_name_or_run_folder(store):
    results, run = store
    by_name = trained_model("polychromify", None, results)
    assert by_name.experiment == "polychromify" and by_name.image_size == 32
    assert trained_model(run.path).source == by_name.source == f"polychromify/{run.path.name} (synthetic data)"
    assert load_model(str(run.path)) is load_model(run.path)  # the product's own reading of a folder, cached
    with pytest.raises(ValueError, match="unknown experiment"):
        trained_model("no_such_model", None, results)
    with pytest.raises(ValueError, match="not a shipped model"):
        load_model("polychromify")  # an experiment's run needs the store: the training wing resolves it
    with pytest.raises(FileNotFoundError, match="no finished run of cnn"):
        trained_model("cnn", None, results)


# ---------------------------------------------------------------- the command

def _files(folder):
    """One good photo and one file of each kind of bad input."""
    good = folder / "good.png"
    Image.fromarray(_photo(60, 80)).save(good)
    Image.fromarray(_photo(60, 80)).save(folder / "whole.jpg")
    (folder / "truncated.jpg").write_bytes((folder / "whole.jpg").read_bytes()[:600])
    (folder / "notimage.png").write_text("hello")
    (folder / "empty.png").write_bytes(b"")
    Image.new("1", (10_001, 10_000)).save(folder / "huge.png")
    bad = ["missing.png", "truncated.jpg", "notimage.png", "empty.png", "huge.png"]
    return good, [folder / name for name in bad]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_cli_bad_inputs_one_line_each_others_done(store, tmp_path, capsys):
    results, run = store
    good, bad = _files(tmp_path)
    code = cli.main(["colorize", str(bad[0]), str(good), *map(str, bad[1:]), "--model", str(run.path), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert (tmp_path / "good_colorized.png").is_file()
    assert Image.open(tmp_path / "good_colorized.png").size == (80, 60)
    assert len(err) == len(bad)
    for path, line in zip(bad, err):
        assert str(path) in line
    assert "no such file" in err[0] and "truncated" in err[1] and "not an image" in err[2]
    assert "empty" in err[3] and "limit" in err[4]
    assert not any((tmp_path / f"{p.stem}_colorized.png").exists() for p in bad)


def test_cli_all_good_exits_zero_and_writes_jpeg_by_extension(store, tmp_path):
    results, run = store
    good, _ = _files(tmp_path)
    assert cli.main(["colorize", str(good), "-o", str(tmp_path / "out.jpg"), "--model", str(run.path), "-q"]) == 0
    with Image.open(tmp_path / "out.jpg") as image:
        assert image.format == "JPEG" and image.size == (80, 60)
    assert cli.main(["colorize", str(good), "--outdir", str(tmp_path / "new"), "--format", "jpg",
                     "--model", "polychromify", "--results", str(results), "-q"]) == 0
    assert (tmp_path / "new" / "good_colorized.jpg").is_file()
    assert not list(tmp_path.glob("**/*.partial"))


def test_cli_never_overwrites_an_input_even_with_force(store, tmp_path, capsys):
    results, run = store
    good, _ = _files(tmp_path)
    before = good.read_bytes()
    for extra in ([], ["--force"]):
        assert cli.main(["colorize", str(good), "-o", str(good), "--model", str(run.path), "-q", *extra]) == 1
        assert good.read_bytes() == before
    assert "is an input" in capsys.readouterr().err


def test_cli_existing_output_needs_force(store, tmp_path, capsys):
    results, run = store
    good, _ = _files(tmp_path)
    target = tmp_path / "good_colorized.png"
    target.write_bytes(b"keep me")
    assert cli.main(["colorize", str(good), "--model", str(run.path), "-q"]) == 1
    assert target.read_bytes() == b"keep me"
    assert "exists" in capsys.readouterr().err
    assert cli.main(["colorize", str(good), "--model", str(run.path), "-q", "--force"]) == 0
    assert Image.open(target).size == (80, 60)


def test_cli_two_inputs_with_one_output_name(store, tmp_path, capsys):
    results, run = store
    good, _ = _files(tmp_path)
    (tmp_path / "sub").mkdir()
    Image.fromarray(_photo(30, 40)).save(tmp_path / "sub" / "good.png")
    code = cli.main(["colorize", str(good), str(tmp_path / "sub" / "good.png"), "--outdir", str(tmp_path / "out"),
                     "--model", str(run.path), "-q", "--force"])
    assert code == 1 and "already written" in capsys.readouterr().err
    assert Image.open(tmp_path / "out" / "good_colorized.png").size == (80, 60)  # the first stays


def test_cli_output_with_several_inputs_is_rejected(store, tmp_path, capsys):
    results, run = store
    good, _ = _files(tmp_path)
    code = cli.main(["colorize", str(good), str(tmp_path / "whole.jpg"), "-o", str(tmp_path / "x.png"),
                     "--model", str(run.path)])
    assert code == 2 and "exactly one input" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_cli_unsupported_output_format(store, tmp_path, capsys):
    results, run = store
    good, _ = _files(tmp_path)
    assert cli.main(["colorize", str(good), "-o", str(tmp_path / "x.gif"), "--model", str(run.path)]) == 2
    assert "unsupported output format" in capsys.readouterr().err
