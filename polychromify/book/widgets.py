"""Classroom widgets: colorize a photo with any stored model, explore CIELAB, train a tiny model live.

``colorizer()``, ``lab_explorer()`` and ``live_training()`` each return a small app object. Displaying it
in Jupyter shows its widget (``app.widget``); its controls (sliders, dropdowns, buttons), its image
widgets and its callbacks are attributes, so a test can set values, click buttons and read the results
without a browser. Pictures are PNG bytes in ``ipywidgets.Image`` (plots too, drawn with matplotlib's
Agg canvas), so they also survive in a notebook executed headless (papermill stores the widget state),
and ``app.snapshot()`` gives the current view as one picture for a static page.

``ipywidgets`` is imported inside the functions only: the package and the CLI work without it.
"""
from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from polychromify.product import metrics
from polychromify.product.author_model import AUTHOR_IMAGE_SIZE
from polychromify.product.color import (
    in_srgb_gamut,
    lab_to_rgb8,
    rgb_to_lab,
    rgb_to_xy,
    xy_to_rgb,
)
from polychromify.product.colorize import merge, predict_small_ab, write_image
from polychromify.product.images import ImageError, load_rgb, resize_square
from polychromify.product.models import build_model
from polychromify.product.pretrained import pretrained_card
from polychromify.training.cleaning import is_near_gray
from polychromify.training.data import load_dataset
from polychromify.training.experiments import AUTHOR_MODEL
from polychromify.training.fit import compile_model
from polychromify.training.profiles import get_profile
from polychromify.training.resolve import trained_model
from polychromify.training.results import list_runs
from polychromify.training.synthetic import synthetic_landscape

DISPLAY_SIDE = 256  # px: pictures are shown at this width (small photos scaled up, large ones down)


# ---------------------------------------------------------------- helpers

def _png(rgb: np.ndarray, width: int | None = DISPLAY_SIDE, nearest: bool = False) -> bytes:
    """uint8 RGB as PNG bytes, resized to ``width`` (aspect kept) for display."""
    image = Image.fromarray(np.asarray(rgb, np.uint8))
    if width and image.width != width:
        height = max(1, round(image.height * width / image.width))
        resample = Image.Resampling.NEAREST if nearest else Image.Resampling.LANCZOS
        image = image.resize((width, height), resample)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _from_png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _side_by_side(pictures: list[bytes], gap: int = 8) -> Image.Image:
    """PNG pictures next to each other on white, as one PIL image."""
    images = [_from_png(p) for p in pictures if p]
    if not images:
        return Image.new("RGB", (1, 1), "white")
    width = sum(i.width for i in images) + gap * (len(images) - 1)
    canvas = Image.new("RGB", (width, max(i.height for i in images)), "white")
    x = 0
    for image in images:
        canvas.paste(image, (x, 0))
        x += image.width + gap
    return canvas


def _gray(rgb: np.ndarray) -> np.ndarray:
    """The photo as the model sees it: its L with no colour."""
    return merge(rgb, np.zeros((1, 1, 2), np.float32), chroma=0.0)


class _App:
    """Shared behaviour: show ``widget`` when displayed."""

    widget = None

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


# ---------------------------------------------------------------- colorizer

def model_choices(results_dir=None) -> list[tuple[str, str]]:
    """(label, value) of every model to offer: the shipped pretrained one, then each finished run in the store,
    and the author's trained model, his weights as shipped, when the store has no run of it."""
    choices = []
    try:
        card = pretrained_card()
        choices.append((f"pretrained: {card['experiment']} ({card['profile']}, {card['image_size']} px)", "pretrained"))
    except FileNotFoundError:
        pass
    for run in list_runs(results_dir):
        if run.finished:
            config = run.config
            data = "synthetic" if config["data"].get("synthetic") else "real"
            choices.append((f"{run.experiment} ({config['profile']['name']}, {data}, {config['image_size']} px, "
                            f"{run.path.name})", str(run.path)))
    choices += _author_choice(results_dir)
    return choices


def _author_choice(results_dir=None) -> list[tuple[str, str]]:
    """The author's trained model, his weights as shipped, when the store has no run of it."""
    if any(r.finished for r in list_runs(results_dir, AUTHOR_MODEL)):
        return []
    return [(f"author_model (the author's weights as shipped, {AUTHOR_IMAGE_SIZE} px)", AUTHOR_MODEL)]


def _metrics_table(rgb_true: np.ndarray, rgb_pred: np.ndarray, max_side: int = 256) -> tuple[str, dict]:
    """HTML table of the result's metrics beside the gray baseline, computed at most ``max_side`` px wide."""
    if max(rgb_true.shape[:2]) > max_side:  # the metrics of a big photo on a smaller copy of both
        side = max_side
        rgb_true, rgb_pred = resize_square(rgb_true, side), resize_square(rgb_pred, side)
    x, y_true = rgb_to_xy(rgb_true[None])
    _, y_pred = rgb_to_xy(rgb_pred[None])
    result = metrics.evaluate(x, y_true, y_pred)
    gray = metrics.evaluate(x, y_true, metrics.gray_baseline(y_true))
    rows = [("PSNR (dB, higher is better)", "psnr"), ("SSIM (higher is better)", "ssim"),
            ("ab RMSE (Lab units, lower is better)", "ab_rmse"), ("CIEDE2000 (lower is better)", "ciede2000"),
            ("colorfulness (truth {:.1f})".format(result["colorfulness_true"]), "colorfulness_pred")]
    body = "".join(f"<tr><td>{html.escape(label)}</td><td>{result[key]:.3f}</td><td>{gray[key]:.3f}</td></tr>"
                   for label, key in rows)
    table = ("<table><tr><th>metric</th><th>this result</th><th>gray input</th></tr>" + body + "</table>")
    return table, {"model": result, "gray": gray}


class Colorizer(_App):
    """Upload a photo or pick one from the test split, choose a model, compare gray / colorized / truth."""

    def __init__(self, results_dir=None, dataset=None, save_path: str = "colorized.png", photos=None):
        import ipywidgets as w
        self.results_dir = results_dir
        # the test photos of the menu: (names, uint8 RGB) given, else a data set's test split
        if photos is None and dataset is not None:
            photos = (list(dataset.names["test"]), dataset.rgb["test"])
        self.photos = photos
        self.rgb = self.truth = self.ab = self.result = None
        self.scores: dict = {}
        names = list(photos[0]) if photos is not None else []
        self.photo = w.Dropdown(options=[("(none)", -1)] + [(n, i) for i, n in enumerate(names)],
                                value=0 if names else -1, description="Test photo")
        self.upload = w.FileUpload(accept="image/*", multiple=False, description="Upload a photo")
        choices = model_choices(results_dir)
        self.model = w.Dropdown(options=choices or [("(no model)", "")], description="Model",
                                layout=w.Layout(width="520px"))
        self.chroma = w.FloatSlider(value=1.0, min=0.0, max=2.5, step=0.05, description="Chroma")
        self.save_path = w.Text(value=save_path, description="Save as")
        self.overwrite = w.Checkbox(value=False, description="overwrite")
        self.save_button = w.Button(description="Save result", icon="save")
        self.gray_image, self.result_image, self.truth_image = (w.Image(format="png") for _ in range(3))
        self.metrics = w.HTML()
        self.status = w.HTML()
        titles = [w.HTML("<b>gray input</b>"), w.HTML("<b>colorized</b>"), w.HTML("<b>truth</b>")]
        panels = w.HBox([w.VBox([t, i]) for t, i in zip(titles, (self.gray_image, self.result_image,
                                                                     self.truth_image))])
        self.widget = w.VBox([w.HBox([self.photo, self.upload]), self.model, self.chroma, panels, self.metrics,
                              w.HBox([self.save_path, self.overwrite, self.save_button]), self.status])
        self.photo.observe(self.on_photo, names="value")
        self.upload.observe(self.on_upload, names="value")
        self.model.observe(self.on_model, names="value")
        self.chroma.observe(self.on_chroma, names="value")
        self.save_button.on_click(self.on_save)
        if names:
            self.on_photo()
        else:
            self.load(synthetic_landscape(seed=7, size=256), name="a synthetic landscape")

    # the callbacks
    def on_photo(self, change=None) -> None:
        if self.photo.value is not None and self.photo.value >= 0:
            i = self.photo.value
            self.load(self.photos[1][i], name=self.photos[0][i], truth=True)

    def on_upload(self, change=None) -> None:
        files = self.upload.value
        if files:
            item = files[-1] if isinstance(files, (list, tuple)) else next(iter(files.values()))
            self.load(bytes(item["content"]), name=item.get("name", "upload"))

    def on_model(self, change=None) -> None:
        self.predict()

    def on_chroma(self, change=None) -> None:
        self.render()

    def on_save(self, button=None) -> None:
        if self.result is None:
            return
        try:
            write_image(self.result, Path(self.save_path.value), force=self.overwrite.value)
            self.status.value = f"saved {html.escape(self.save_path.value)} ({self.result.shape[1]}x{self.result.shape[0]})"
        except (OSError, ValueError) as err:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"

    # the work
    def load(self, image, name: str = "photo", truth: bool | None = None) -> None:
        """Show a new photo; its own colours are the truth when it has any (or when ``truth`` says so)."""
        try:
            rgb = load_rgb(image)
        except ImageError as err:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"
            return
        self.name, self.rgb = name, rgb
        self.truth = rgb if (truth if truth is not None else not is_near_gray(rgb)) else None
        self.gray_image.value = _png(_gray(rgb))
        self.truth_image.value = _png(rgb) if self.truth is not None else b""
        self.predict()

    def predict(self) -> None:
        if self.rgb is None or not self.model.value:
            self.status.value = "no model: train one or ship a pretrained model"
            return
        try:
            resolved = trained_model(self.model.value, None, self.results_dir)
        except (OSError, ValueError) as err:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"
            return
        self.ab = predict_small_ab(self.rgb, resolved)
        self.render()

    def render(self) -> None:
        if self.ab is None:
            return
        self.result = merge(self.rgb, self.ab, self.chroma.value)
        self.result_image.value = _png(self.result)
        h, w = self.rgb.shape[:2]
        if self.truth is not None:
            table, self.scores = _metrics_table(self.truth, self.result)
            self.metrics.value = table
        else:
            self.scores = {}
            self.metrics.value = "<i>no truth for a gray photo: no metrics</i>"
        self.status.value = f"{html.escape(self.name)}: {w}x{h} px, chroma x{self.chroma.value:.2f}"

    def snapshot(self) -> Image.Image:
        """Gray input, result and truth side by side, as one picture."""
        return _side_by_side([self.gray_image.value, self.result_image.value, self.truth_image.value])


def colorizer(results_dir=None, dataset=None, save_path: str = "colorized.png", photos=None) -> Colorizer:
    """The colorizer app: photo (test split or upload), model (pretrained or any finished run), chroma, save."""
    return Colorizer(results_dir, dataset, save_path, photos)


# ---------------------------------------------------------------- Lab explorer

def ab_plane(lightness: float, size: int = 256, marker: tuple[float, float] | None = None) -> np.ndarray:
    """The ab plane at a lightness as uint8 RGB (size, size, 3): a to the right, b up, both -128..127.

    Colours outside the sRGB gamut at that lightness are a light checkerboard; the axes a = 0 and b = 0
    are drawn, and ``marker`` = (a, b) is circled.
    """
    ab = np.linspace(-128, 127, size, dtype=np.float32)
    a, b = np.meshgrid(ab, ab[::-1])
    L, ab = np.full_like(a, lightness), np.stack([a, b], axis=-1)
    outside = ~in_srgb_gamut(L, ab)
    rgb = lab_to_rgb8(L, ab)
    checker = ((np.arange(size)[:, None] // 8 + np.arange(size)[None, :] // 8) % 2) * 20 + 215
    rgb[outside] = checker[outside, None]
    zero = int(round(128 / 255 * (size - 1)))
    rgb[:, zero] = rgb[size - 1 - zero, :] = 90
    image = Image.fromarray(rgb)
    if marker is not None:
        draw = ImageDraw.Draw(image)
        x = (marker[0] + 128) / 255 * (size - 1)
        y = (127 - marker[1]) / 255 * (size - 1)
        draw.ellipse([x - 6, y - 6, x + 6, y + 6], outline=(0, 0, 0), width=2)
        draw.ellipse([x - 8, y - 8, x + 8, y + 8], outline=(255, 255, 255), width=2)
    return np.asarray(image)


class LabExplorer(_App):
    """A slider over L shows the ab plane at that lightness; sliders over x, y pick a pixel of a photo."""

    def __init__(self, image=None, side: int = DISPLAY_SIDE):
        import ipywidgets as w

        rgb = load_rgb(image) if image is not None else synthetic_landscape(seed=11, size=side)
        if max(rgb.shape[:2]) > side:  # a display copy: the explorer needs no more pixels than it shows
            scale = side / max(rgb.shape[:2])
            size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
            rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
        self.rgb, self.lab = rgb, rgb_to_lab(rgb)
        h, width = rgb.shape[:2]
        self.lightness = w.FloatSlider(value=50.0, min=0.0, max=100.0, step=1.0, description="L")
        self.x = w.IntSlider(value=width // 2, min=0, max=width - 1, description="pixel x")
        self.y = w.IntSlider(value=h // 2, min=0, max=h - 1, description="pixel y")
        self.follow = w.Checkbox(value=True, description="L follows the pixel")
        self.plane_image, self.photo_image = w.Image(format="png"), w.Image(format="png")
        self.readout = w.HTML()
        self.widget = w.VBox([
            w.HTML("The ab plane at lightness L (a: green to red, left to right; b: blue to yellow, bottom to "
                   "top; the checkerboard is outside sRGB). The circle is where the chosen pixel falls."),
            self.lightness, w.HBox([self.x, self.y, self.follow]),
            w.HBox([self.plane_image, self.photo_image]), self.readout])
        self.lightness.observe(self.on_lightness, names="value")
        self.x.observe(self.on_pixel, names="value")
        self.y.observe(self.on_pixel, names="value")
        self.on_pixel()

    @property
    def pixel_lab(self) -> np.ndarray:
        return self.lab[self.y.value, self.x.value]

    def on_pixel(self, change=None) -> None:
        L = float(self.pixel_lab[0])
        if self.follow.value and abs(self.lightness.value - round(L)) >= 0.5:
            self.lightness.value = round(L)  # redraws through on_lightness
        else:
            self.render()

    def on_lightness(self, change=None) -> None:
        self.render()

    def render(self) -> None:
        L, a, b = (float(v) for v in self.pixel_lab)
        self.plane_image.value = _png(ab_plane(self.lightness.value, marker=(a, b)))
        photo = Image.fromarray(self.rgb)
        draw = ImageDraw.Draw(photo)
        x, y = self.x.value, self.y.value
        r = max(2, max(self.rgb.shape[:2]) // 40)
        draw.line([x - 2 * r, y, x - r, y], fill="white", width=1)
        draw.line([x + r, y, x + 2 * r, y], fill="white", width=1)
        draw.line([x, y - 2 * r, x, y - r], fill="white", width=1)
        draw.line([x, y + r, x, y + 2 * r], fill="white", width=1)
        self.photo_image.value = _png(np.asarray(photo))
        red, green, blue = (int(v) for v in self.rgb[y, x])
        self.readout.value = (f"pixel ({x}, {y}): RGB ({red}, {green}, {blue}) = L {L:.1f}, a {a:+.1f}, b {b:+.1f}; "
                              f"chroma {np.hypot(a, b):.1f}, hue {np.degrees(np.arctan2(b, a)) % 360:.0f} deg; "
                              f"plane shown at L {self.lightness.value:.0f}")

    def snapshot(self) -> Image.Image:
        return _side_by_side([self.plane_image.value, self.photo_image.value])


def lab_explorer(image=None) -> LabExplorer:
    """The Lab explorer app for a photo (any image source; default: a synthetic landscape)."""
    return LabExplorer(image)


# ---------------------------------------------------------------- train a tiny model live

def _loss_plot(losses: list[float], val_losses: list[float], epochs: int) -> bytes:
    """The loss curves as PNG bytes (matplotlib's Agg canvas: no pyplot state, no display needed)."""
    from matplotlib.figure import Figure
    figure = Figure(figsize=(4.2, 3.0), dpi=80)
    ax = figure.subplots()
    ax.plot(range(1, len(losses) + 1), losses, "o-", label="training")
    if val_losses:
        ax.plot(range(1, len(val_losses) + 1), val_losses, "s--", label="validation")
    ax.set(xlabel="epoch", ylabel="MSE loss (ab / 128)", xlim=(0.5, max(epochs, 1) + 0.5), title="loss")
    ax.grid(alpha=0.3)
    ax.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _strip(x: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, scale: int = 3) -> np.ndarray:
    """Rows gray / predicted / truth for a few photos, as one uint8 RGB picture."""
    rows = [xy_to_rgb(x, np.zeros_like(y_true)), xy_to_rgb(x, y_pred), xy_to_rgb(x, y_true)]
    grid = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
    grid = (grid * 255 + 0.5).astype(np.uint8)
    return np.repeat(np.repeat(grid, scale, axis=0), scale, axis=1)


class LiveTraining(_App):
    """Train a tiny model on synthetic landscapes (or the photos of ``data_dir``, if given; the environment's
    ``$POLYCHROMIFY_DATA`` is not read); each epoch updates the loss curve and a predictions strip."""

    def __init__(self, epochs: int = 8, image_size: int = 32, max_images: int = 160, batch_size: int = 16,
                 model: str = "polychromify", seed: int = 42, data_dir=None, show: int = 4):
        import ipywidgets as w
        self.epochs, self.image_size, self.max_images, self.batch_size = epochs, image_size, max_images, batch_size
        self.model_name, self.seed, self.data_dir, self.show = model, seed, data_dir, show
        self.losses: list[float] = []
        self.val_losses: list[float] = []
        self.strips: list[bytes] = []
        self.dataset = None  # the data set of the last training
        self.button = w.Button(description="Train", icon="play", button_style="primary")
        self.progress = w.IntProgress(value=0, min=0, max=epochs, description="epoch")
        self.plot_image, self.strip_image = w.Image(format="png"), w.Image(format="png")
        pictures = "synthetic landscapes" if data_dir is None else f"photos of {Path(data_dir).name}"
        self.status = w.HTML(f"{self.model_name} at {image_size} px on up to {max_images} {pictures}, "
                             f"{epochs} epochs: press Train")
        self.widget = w.VBox([w.HBox([self.button, self.progress]), self.status,
                              w.HBox([self.plot_image, w.VBox([w.HTML("<b>rows: gray, predicted, truth</b>"),
                                                               self.strip_image])])])
        self.button.on_click(self.train)

    def train(self, button=None) -> None:
        """Train from scratch (the button's callback)."""
        import keras


        self.button.disabled = True
        try:
            profile = get_profile("smoke", image_size=self.image_size, max_images=self.max_images, seed=self.seed)
            dataset = self.dataset = load_dataset(self.data_dir, profile, quiet=True)
            keras.utils.set_random_seed(self.seed)
            model = compile_model(build_model(self.model_name, self.image_size))
            self.losses.clear()
            self.val_losses.clear()
            self.strips.clear()
            self.progress.value = 0
            x_show, y_show = dataset.x_val[: self.show], dataset.y_val[: self.show]
            app = self

            class Live(keras.callbacks.Callback):
                def on_epoch_end(self, epoch, logs=None):
                    logs = logs or {}
                    app.losses.append(float(logs.get("loss", np.nan)))
                    if "val_loss" in logs:
                        app.val_losses.append(float(logs["val_loss"]))
                    y_pred = np.asarray(self.model.predict_on_batch(x_show), np.float32)
                    app.strips.append(_png(_strip(x_show, y_show, y_pred), width=None))
                    app.strip_image.value = app.strips[-1]
                    app.plot_image.value = _loss_plot(app.losses, app.val_losses, app.epochs)
                    app.progress.value = epoch + 1
                    app.status.value = (f"epoch {epoch + 1}/{app.epochs}: loss {app.losses[-1]:.4f}"
                                        + (f", validation {app.val_losses[-1]:.4f}" if app.val_losses else "")
                                        + f" ({len(dataset.x_train)} training pictures)")

            self.status.value = f"training on {len(dataset.x_train)} pictures..."
            model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                      epochs=self.epochs, batch_size=self.batch_size, verbose=0, callbacks=[Live()])
            self.model = model
        finally:
            self.button.disabled = False

    def snapshot(self) -> Image.Image:
        return _side_by_side([self.plot_image.value, self.strip_image.value])


def live_training(epochs: int = 8, image_size: int = 32, max_images: int = 160, batch_size: int = 16,
                  model: str = "polychromify", seed: int = 42, data_dir=None) -> LiveTraining:
    """The 'train a tiny model live' app; press Train (or call ``app.train()``)."""
    return LiveTraining(epochs, image_size, max_images, batch_size, model, seed, data_dir)
