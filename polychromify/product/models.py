"""Every model of the paper, one builder each; each returns an uncompiled, named ``keras.Model``.

Every model takes the L channel, shape (S, S, 1) with L in [0, 100] as the paper feeds it (no
normalisation), and outputs Y = ab / 128, shape (S, S, 2), through a final ``Dense(2, tanh)`` (section V.A:
"the output layer was always the same"). Dense layers act on the last axis, i.e. per pixel: a "dense
middle" keeps the feature maps' size.

Sources: the paper's sections IV and V; where the paper is silent (widths of section V.A, where strides
and batch norm sit), the author's code of June 2021 (github.com/davide97g/polychromify, ``notebooks/`` at
commit c325de0).
Deviations are listed per builder. Zhang et al.'s own ECCV16 recipe lives in ``polychromify.product.eccv16``;
the author's trained model (his Conv2D output) in ``polychromify.product.author_model``.
"""
from __future__ import annotations

import lazy_loader

from polychromify.product import paper
from polychromify.product.eccv16 import ab_bins
from polychromify.product.eccv16 import eccv16 as build
from polychromify.product.quiet import tensorflow_start

keras = lazy_loader.load("keras")  # loaded at first use: importing the package starts no TensorFlow

NEURONS = {  # section V.B: widths of the dense middle
    "L": (64, 32, 16, 32, 64),
    "M": (128, 64, 32, 64, 128),
    "H": (256, 128, 64, 128, 256),
}
FILTERS = {  # section V.B: encoder and decoder convolution filters
    "L": (16, 32, 64, 64, 32, 16),
    "H": (32, 64, 128, 128, 64, 32),
}

# Table 1: the five tuned versions, built as the paper prints them (``paper.TABLE1``: neurons, filters, S/U,
# BN). v3 is the final model (293,074 parameters, Table 2's 293 x 10^3).
TABLE1 = {row["version"]: {k: row[k] for k in ("neurons", "filters", "strided", "batch_norm")}
          for row in paper.TABLE1.values()}


def _input(image_size: int) -> keras.KerasTensor:
    return keras.Input(shape=(image_size, image_size, 1), name="L")


def _ab_output(x, kernel: int | None = None) -> keras.KerasTensor:
    """The output every model shares: Dense(2, tanh) per pixel, kept in float32 under mixed precision.
    With ``kernel``, a Conv2D(2, kernel x kernel, tanh) instead (the author's code)."""
    if kernel:
        return keras.layers.Conv2D(2, kernel, padding="same", activation="tanh", dtype="float32", name="ab")(x)
    return keras.layers.Dense(2, activation="tanh", dtype="float32", name="ab")(x)


def _conv(x, filters: int, kernel: int = 3, strides: int = 1, batch_norm: bool = False, name: str | None = None):
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", activation="relu", name=name)(x)
    return keras.layers.BatchNormalization(name=f"{name}_bn" if name else None)(x) if batch_norm else x


def ae_v0(image_size: int = 128) -> keras.Model:
    """AE v0, section V.A: vanilla dense autoencoder 128-64-32-64-128 applied per pixel; 21,282 parameters."""
    inputs = _input(image_size)
    x = inputs
    for i, units in enumerate(NEURONS["M"]):
        x = keras.layers.Dense(units, activation="relu", name=f"dense{i + 1}")(x)
    return keras.Model(inputs, _ab_output(x), name="ae_v0")


def ae_v1(image_size: int = 128) -> keras.Model:
    """AE v1, section V.A: convolutional autoencoder 32-64-128-64-32 (2x2 kernels); 82,434 parameters.

    Deviation: the author's notebook ends in Conv2D(2, 3x3, tanh); we use the paper's Dense(2, tanh).
    """
    inputs = _input(image_size)
    x = inputs
    for i, filters in enumerate((32, 64, 128, 64, 32)):
        x = _conv(x, filters, kernel=2, name=f"conv{i + 1}")
    return keras.Model(inputs, _ab_output(x), name="ae_v1")


def ae_v2(image_size: int = 128) -> keras.Model:
    """AE v2, section V.A: convolutions 16-32-64, dense middle 128-64-32-64-128, convolutions 64-32-16.

    The same network as Table 1's v1 (M neurons, L filters); 149,298 parameters.
    """
    return polychromify(image_size, neurons="M", filters="L", name="ae_v2")


def ae_v3(image_size: int = 128) -> keras.Model:
    """AE v3, section V.A: very deep convolutional autoencoder; 5,495,074 parameters.

    Encoder: 3x3 convolutions of 32-64-128-256-512 filters, each with stride 2 (S/32 at the bottom);
    decoder: 512-256-128-64-32 filters, each followed by 2x upsampling, back to S.
    """
    if image_size % 32:
        raise ValueError(f"ae_v3: image_size must be a multiple of 32 (5 stride-2 steps), got {image_size}")
    inputs = _input(image_size)
    x = inputs
    for i, filters in enumerate((32, 64, 128, 256, 512)):
        x = _conv(x, filters, strides=2, name=f"enc{i + 1}")
    for i, filters in enumerate((512, 256, 128, 64, 32)):
        x = _conv(x, filters, name=f"dec{i + 1}")
        x = keras.layers.UpSampling2D(2, name=f"up{i + 1}")(x)
    return keras.Model(inputs, _ab_output(x), name="ae_v3")


def cnn(image_size: int = 128) -> keras.Model:
    """CNN baseline, sections V.A and V.C: 3x3 convolutions of 16-32-64-128 filters, each followed by
    batch normalization; 98,370 parameters (Table 2: 98 x 10^3), of which 480 not trainable."""
    inputs = _input(image_size)
    x = inputs
    for i, filters in enumerate((16, 32, 64, 128)):
        x = _conv(x, filters, batch_norm=True, name=f"conv{i + 1}")
    return keras.Model(inputs, _ab_output(x), name="cnn")


def polychromify(image_size: int = 128, neurons: str = "H", filters: str = "L", strided: bool = False,
                 batch_norm: bool = False, output_kernel: int | None = None,
                 name: str = "polychromify") -> keras.Model:
    """PolyChromify, sections IV and V.B: convolutional encoder, dense middle, convolutional decoder.

    ``neurons`` (L/M/H) and ``filters`` (L/H) pick the widths of section V.B. The defaults are the final
    model (Table 1 v3): 293,074 parameters, Table 2's 293 x 10^3.

    The paper says only *whether* a version has strides & upsampling (S/U) and batch normalization (BN),
    not where. We follow the author's code of Table 1's v5 (his notebook at commit 235d2b0):

    - ``strided``: the first encoder convolution has stride 2 and one 2x upsampling follows the last
      decoder convolution (the network works at half resolution in between);
    - ``batch_norm``: batch normalization after the first, second and fourth dense layers (256, 128 and
      the decoder's 128 for H neurons), not after the convolutions.

    Deviation: the author's code ends in Conv2D(2, 3x3, tanh) (293,330 parameters for v3); the paper
    describes a Dense(2, tanh) output (section IV), which we follow (both round to Table 2's 293 x 10^3). ``output_kernel=3`` gives his output
    (``polychromify_conv_output``, beyond the paper: it measures what the choice changes).
    """
    if strided and image_size % 2:
        raise ValueError(f"{name}: image_size must be even with strides, got {image_size}")
    f = FILTERS[filters]
    inputs = _input(image_size)
    x = inputs
    for i, n in enumerate(f[:3]):
        x = _conv(x, n, strides=2 if strided and i == 0 else 1, name=f"enc{i + 1}")
    for i, units in enumerate(NEURONS[neurons]):
        x = keras.layers.Dense(units, activation="relu", name=f"dense{i + 1}")(x)
        if batch_norm and i in (0, 1, 3):
            x = keras.layers.BatchNormalization(name=f"dense{i + 1}_bn")(x)
    for i, n in enumerate(f[3:]):
        x = _conv(x, n, name=f"dec{i + 1}")
    if strided:
        x = keras.layers.UpSampling2D(2, name="up")(x)
    return keras.Model(inputs, _ab_output(x, output_kernel), name=name)


def unet(image_size: int = 128, filters: str = "L", convs: int = 1, neurons: str = "H",
         name: str = "polychromify_unet") -> keras.Model:
    """Beyond the paper (the paper's section VI.A blames the autoencoder's bottleneck): the PolyChromify body
    as a U-Net. The same three encoder and three decoder convolutions (``filters``, ``convs`` of them per
    level) and the same per-pixel dense middle (``neurons``), but each encoder level halves the resolution
    (2x2 max pooling) and each decoder level doubles it again and takes the encoder's features of its
    resolution beside its own (skip connections, Ronneberger et al. 2015). The dense middle works at 1/8
    resolution; each output pixel sees 36 x 36 px of the photo (the larger one: 64 x 64) instead of the final
    model's 13 x 13.

    Defaults: 341,458 parameters (the final model: 293,074); ``filters="H", convs=2``: the larger one,
    1,176,610.
    """
    if image_size % 8:
        raise ValueError(f"{name}: image_size must be a multiple of 8, got {image_size}")
    f = FILTERS[filters]
    inputs = _input(image_size)
    # L in [0, 100] scaled to [-1, 1] first (as Zhang et al.'s network does): fed raw, as the final model takes
    # it, the pooled and concatenated features drove the tanh output to +-1 in the first epoch and it stayed
    # there (the first ablation run, discarded: loss 1.0 throughout)
    x, skips = keras.layers.Rescaling(1 / 50, offset=-1.0, name="scale")(inputs), []
    for level, n in enumerate(f[:3]):
        for i in range(convs):
            x = _conv(x, n, name=f"enc{level + 1}" + (f"_{i + 1}" if convs > 1 else ""))
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{level + 1}")(x)
    for i, units in enumerate(NEURONS[neurons]):
        x = keras.layers.Dense(units, activation="relu", name=f"dense{i + 1}")(x)
    for level, n in enumerate(f[3:]):
        x = keras.layers.UpSampling2D(2, name=f"up{level + 1}")(x)
        x = keras.layers.Concatenate(name=f"skip{level + 1}")([x, skips[-1 - level]])
        for i in range(convs):
            x = _conv(x, n, name=f"dec{level + 1}" + (f"_{i + 1}" if convs > 1 else ""))
    return keras.Model(inputs, _ab_output(x), name=name)


def polychromify_classes(image_size: int = 128, name: str = "polychromify_classes") -> keras.Model:
    """Beyond the paper: the final model's body (Table 1 v3) with Zhang et al.'s classification output
    instead of the Dense(2, tanh) regression: the features averaged over 4x4 blocks, then logits over the
    313 in-gamut ab bins per pixel (a Dense(313) per pixel), trained with the class-rebalanced cross-entropy
    and decoded by the annealed mean as ``eccv16_zhang`` (``polychromify.product.eccv16``). It asks whether the
    loss, not the architecture, makes MSE's colours pale (sections V.C and VI)."""
    body = polychromify(image_size)
    features = body.get_layer("dec3").output
    x = keras.layers.AveragePooling2D(4, name="quarter")(features)
    logits = keras.layers.Dense(len(ab_bins()), dtype="float32", name="ab_logits")(x)
    return keras.Model(body.input, logits, name=name)


def table1(version: str, image_size: int = 128) -> keras.Model:
    """Table 1's version v1..v5 of PolyChromify (``TABLE1``)."""
    return polychromify(image_size, **TABLE1[version], name=f"polychromify_{version}")


def eccv16(image_size: int = 128) -> keras.Model:
    """ECCV16 as the author trained it (section V.C, Table 2): his Keras translation of Zhang et al.'s
    network (notebook ``modeling.ipynb``), trained like his own models (Y regression, MSE).

    Zhang's convolutional trunk (blocks 1-7, batch normalization after each, dilation 2 in blocks 5-6,
    a 4x4 stride-2 transposed convolution and two 256-filter convolutions in block 8), then the author's
    head: Conv2D(313, 1x1, relu), Conv2D(2, 1x1, tanh) (a per-pixel Dense(2, tanh)), and a 4x nearest
    upsampling from 1/4 resolution. No input normalisation (L in [0, 100], as his other models).
    32,241,005 parameters (Table 2: 32 x 10^6). Zhang's own recipe is ``eccv16_zhang``.
    """
    if image_size % 8:
        raise ValueError(f"eccv16: image_size must be a multiple of 8, got {image_size}")
    inputs = _input(image_size)
    x = inputs
    blocks = [(64, 2, 1, 2), (128, 2, 1, 2), (256, 3, 1, 2), (512, 3, 1, 1), (512, 3, 2, 1), (512, 3, 2, 1),
              (512, 3, 1, 1)]  # (filters, convolutions, dilation, stride of the last one)
    for b, (filters, count, dilation, stride) in enumerate(blocks, start=1):
        for i in range(1, count + 1):
            x = keras.layers.Conv2D(filters, 3, strides=stride if i == count else 1, dilation_rate=dilation,
                              padding="same", activation="relu", name=f"conv{b}_{i}")(x)
        x = keras.layers.BatchNormalization(name=f"conv{b}_bn")(x)
    x = keras.layers.Conv2DTranspose(256, 4, strides=2, padding="same", activation="relu", name="conv8_1")(x)
    x = keras.layers.Conv2D(256, 3, padding="same", activation="relu", name="conv8_2")(x)
    x = keras.layers.Conv2D(256, 3, padding="same", activation="relu", name="conv8_3")(x)
    x = keras.layers.Conv2D(313, 1, activation="relu", name="conv8_313")(x)
    x = keras.layers.Conv2D(2, 1, activation="tanh", dtype="float32", name="ab_quarter")(x)
    return keras.Model(inputs, keras.layers.UpSampling2D(4, dtype="float32", name="ab")(x), name="eccv16")


def eccv16_zhang(image_size: int = 128) -> keras.Model:
    """ECCV16 with Zhang et al.'s own recipe (313-bin classification, rebalancing, annealed mean), trained
    from scratch: beyond the paper; see ``polychromify.product.eccv16``."""
    return build(image_size, name="eccv16_zhang")


# Builders whose architecture changed after runs of them were stored: the revision enters a run's config
# (runner.make_config), so a stored run of the old architecture is never taken for the new one.
# Revision 2 (stop 11): Table 1's versions as the paper prints them; ECCV16 as the author's translation.
MODEL_REVISIONS = {"polychromify_v1": 2, "polychromify_v2": 2, "polychromify_v4": 2, "polychromify_v5": 2,
                   "eccv16": 2}

BUILDERS = {
    "ae_v0": ae_v0, "ae_v1": ae_v1, "ae_v2": ae_v2, "ae_v3": ae_v3, "cnn": cnn,
    "polychromify": polychromify, "eccv16": eccv16, "eccv16_zhang": eccv16_zhang,
    "polychromify_conv_output": lambda image_size=128: polychromify(image_size, output_kernel=3,
                                                                    name="polychromify_conv_output"),
    "author_model": lambda image_size=128: polychromify(image_size, output_kernel=3, name="author_model"),
    **{f"polychromify_{v}": (lambda image_size=128, v=v: table1(v, image_size)) for v in TABLE1},
    "polychromify_unet": unet,
    "polychromify_unet_large": lambda image_size=128: unet(image_size, filters="H", convs=2,
                                                           name="polychromify_unet_large"),
    "polychromify_classes": polychromify_classes,
}


# Builders whose output is Zhang et al.'s 313 colour classes (decoded by annealed mean, ``eccv16.decode_ab``);
# every other builder outputs model-space ab.
CLASS_OUTPUT = frozenset({"eccv16_zhang", "polychromify_classes"})


def output_of(name: str) -> str:
    """What the builder ``name``'s model outputs: "classes" or "ab"."""
    return "classes" if name in CLASS_OUTPUT else "ab"


def build_model(name: str, image_size: int = 128, bn_momentum: float | None = None) -> keras.Model:
    """The model called ``name`` (a key of ``BUILDERS``) for square inputs of ``image_size``.

    ``bn_momentum`` sets the momentum of every batch-normalization layer (None: Keras' 0.99, the paper's);
    it shapes only how training updates the moving statistics, not the weights' layout.
    """
    try:
        builder = BUILDERS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(BUILDERS)}") from None
    with tensorflow_start("devices"):  # the first model starts TensorFlow's devices: its lines filtered
        model = builder(image_size=image_size)
    if bn_momentum is not None:
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = bn_momentum
    return model
