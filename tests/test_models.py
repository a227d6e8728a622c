"""Every builder of polychromify.product.models: parameter counts (paper and author), shapes, names, output layer."""
import keras
import numpy as np
import pytest

from polychromify.product.models import BUILDERS, build_model
from polychromify.training.fit import precision_policy

# Counts at 128 px; models with a dense middle are per pixel and convolutions are size-independent,
# so they hold at any size, but the paper's numbers are at 128 px.
PARAMS = {
    "ae_v0": 21_282,
    "ae_v1": 82_434,
    "ae_v2": 149_298,
    "ae_v3": 5_495_074,
    "cnn": 98_370,            # Table 2: 98 x 10^3
    "polychromify": 293_074,  # Table 2: 293 x 10^3
    "polychromify_v1": 92_770,   # Table 1 as printed: L neurons, L filters
    "polychromify_v2": 149_298,  # M/L: the same network as AE v2
    "polychromify_v3": 293_074,  # H/L: the final model
    "polychromify_v4": 595_554,  # H/H, S/U
    "polychromify_v5": 597_602,  # H/H, S/U, BN
    "polychromify_conv_output": 293_330,  # the author's saved model's count
    "author_model": 293_330,     # his architecture, for his weights
    "eccv16": 32_241_005,        # the author's translation; Table 2: 32 x 10^6
    "polychromify_unet": 341_458,         # beyond the paper: the final model's widths as a U-Net
    "polychromify_unet_large": 1_176_610,
}
CLASSES = {"polychromify_classes": 298_361}  # beyond the paper: the final body, 313 logits at 1/4 resolution
NON_TRAINABLE = {"cnn": 480, "polychromify_v5": 1_024, "eccv16": 4_992}  # batch-norm moving means/variances
ECCV16_PARAMS = 32_240_377  # Zhang's recipe (eccv16_zhang)
ECCV16_NON_TRAINABLE = 4_992


def _non_trainable(model) -> int:
    return sum(int(np.prod(v.shape)) for v in model.non_trainable_weights)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_parameter_count_at_128px(name):
    model = build_model(name, 128)
    assert model.count_params() == PARAMS[name]
    assert _non_trainable(model) == NON_TRAINABLE.get(name, 0)
    assert model.input_shape == (None, 128, 128, 1)
    assert model.output_shape == (None, 128, 128, 2)


def test_every_builder_is_registered():
    assert set(BUILDERS) == set(PARAMS) | set(CLASSES) | {"eccv16_zhang"}


def test_the_classification_body_is_the_final_models_with_logits_at_a_quarter():
    model, final = build_model("polychromify_classes", 128), build_model("polychromify", 128)
    assert model.count_params() == CLASSES["polychromify_classes"]
    assert model.output_shape == (None, 32, 32, 313)
    assert [layer.name for layer in model.layers[:-2]] == [layer.name for layer in final.layers[:-1]]


def test_the_unet_halves_three_times_and_joins_each_level():
    model = build_model("polychromify_unet", 64)
    shapes = {layer.name: layer.output.shape[1:] for layer in model.layers}
    assert shapes["dense1"] == (8, 8, 256)
    assert shapes["skip1"] == (16, 16, 256 + 64) and shapes["skip3"] == (64, 64, 32 + 16)
    with pytest.raises(ValueError, match="multiple of 8"):
        build_model("polychromify_unet", 60)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_named_uncompiled_model_with_output_shape_and_tanh_range(name):
    size = 32  # a multiple of 32: ae_v3 halves the size five times
    model = build_model(name, size)
    assert isinstance(model, keras.Model)
    assert model.name == name
    assert getattr(model, "optimizer", None) is None  # uncompiled: compiling lives in training
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, (3, size, size, 1)).astype("float32")  # L as the paper feeds it: [0, 100]
    y = np.asarray(model(x, training=False))
    assert y.shape == (3, size, size, 2)
    assert y.dtype == np.float32
    assert np.all(np.isfinite(y))
    assert np.all(np.abs(y) <= 1.0)
    assert y.std() > 0  # not a constant (e.g. all-zero) output


@pytest.mark.parametrize("name,size,match", [("ae_v3", 16, "multiple of"), ("polychromify_v5", 21, "even"),
                                             ("eccv16", 20, "multiple of")])
def test_strided_models_reject_sizes_they_cannot_reproduce(name, size, match):
    with pytest.raises(ValueError, match=match):
        build_model(name, size)


def test_table1_versions_are_built_as_the_paper_prints_them():
    from polychromify.product import paper
    for name, printed in paper.TABLE1.items():
        model = build_model(name if name != "polychromify" else "polychromify_v3", 32)
        dense = [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)][:-1]
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        assert tuple(dense) == {"L": (64, 32, 16, 32, 64), "M": (128, 64, 32, 64, 128),
                                "H": (256, 128, 64, 128, 256)}[printed["neurons"]]
        assert tuple(c.filters for c in convs) == {"L": (16, 32, 64, 64, 32, 16),
                                                   "H": (32, 64, 128, 128, 64, 32)}[printed["filters"]]
        ups = [layer for layer in model.layers if isinstance(layer, keras.layers.UpSampling2D)]
        bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
        assert bool(ups) == printed["strided"] and bool(bns) == printed["batch_norm"]


def test_strides_and_batch_norm_sit_where_the_authors_v5_code_puts_them():
    model = build_model("polychromify_v5", 32)
    names = [layer.name for layer in model.layers]
    assert [c.strides for c in model.layers if isinstance(c, keras.layers.Conv2D)] == [(2, 2)] + [(1, 1)] * 5
    assert [n for n in names if n.endswith("_bn")] == ["dense1_bn", "dense2_bn", "dense4_bn"]
    assert names.index("up") == names.index("dec3") + 1  # one 2x upsampling, after the last convolution
    assert model.get_layer("enc1").output.shape[1] == 16 and model.get_layer("up").output.shape[1] == 32


def test_the_authors_conv_output_variant_differs_only_in_its_output_layer():
    ours, his = build_model("polychromify", 16), build_model("polychromify_conv_output", 16)
    out = his.layers[-1]
    assert isinstance(out, keras.layers.Conv2D) and out.kernel_size == (3, 3) and out.filters == 2
    assert [w.shape for w in ours.weights[:-2]] == [w.shape for w in his.weights[:-2]]


def test_unknown_model_is_a_value_error_listing_the_choices():
    with pytest.raises(ValueError, match="unknown model 'nope'") as err:
        build_model("nope")
    for name in BUILDERS:
        assert name in str(err.value)


@pytest.mark.parametrize("name", ["polychromify", "cnn"])
def test_output_layer_is_dense_tanh_in_float32_under_mixed_bfloat16(name):
    before = keras.mixed_precision.global_policy().name
    with precision_policy("mixed_bfloat16"):
        model = build_model(name, 16)
    assert keras.mixed_precision.global_policy().name == before
    out = model.layers[-1]
    assert isinstance(out, keras.layers.Dense)
    assert out.units == 2
    assert out.activation is keras.activations.tanh
    assert out.dtype_policy.name == "float32"
    assert model.output.dtype == "float32"
    # the rest of the network did get the mixed policy (so the float32 output is a deliberate exception)
    hidden = [layer for layer in model.layers[1:-1] if layer.weights]
    assert hidden and all(layer.dtype_policy.name == "mixed_bfloat16" for layer in hidden)
    assert all(layer.compute_dtype == "bfloat16" for layer in hidden)
    y = np.asarray(model(np.full((1, 16, 16, 1), 50.0, "float32")))
    assert y.dtype == np.float32


def test_eccv16_zhang_parameter_count_is_size_independent_and_logits_stay_float32():
    with precision_policy("mixed_bfloat16"):
        model = build_model("eccv16_zhang", 16)  # small input: the count does not depend on the size
    assert model.name == "eccv16_zhang"
    assert model.count_params() == ECCV16_PARAMS
    assert _non_trainable(model) == ECCV16_NON_TRAINABLE
    assert model.output_shape == (None, 4, 4, 313)  # Q logits at 1/4 resolution
    assert model.layers[-1].dtype_policy.name == "float32"
    assert model.output.dtype == "float32"
    assert model.get_layer("conv1_1").compute_dtype == "bfloat16"


def _inference_gap(bn_momentum: float, steps: int = 30) -> float:
    """How far the CNN's inference-mode output (moving statistics) is from its training-mode output
    (batch statistics) after a short training, on the training batch itself."""
    from polychromify.training.fit import compile_model
    keras.utils.set_random_seed(0)
    model = compile_model(build_model("cnn", 16, bn_momentum=bn_momentum))
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, (8, 16, 16, 1)).astype("float32")
    y = np.tanh((x - 50) / 50) * np.array([0.3, -0.2], "float32")
    for _ in range(steps):
        model.train_on_batch(x, y)
    gap = np.asarray(model(x, training=False)) - np.asarray(model(x, training=True))
    return float(np.sqrt(np.mean(gap ** 2)))


def test_bn_momentum_sets_every_batch_norm_layer_and_leaves_the_weights_alone():
    default = build_model("cnn", 16)
    fast = build_model("cnn", 16, bn_momentum=0.9)
    bns = [layer for layer in fast.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 4
    assert all(layer.momentum == 0.9 for layer in bns)
    assert all(layer.momentum == 0.99 for layer in default.layers
               if isinstance(layer, keras.layers.BatchNormalization))
    assert [w.shape for w in fast.weights] == [w.shape for w in default.weights]


def test_short_training_needs_the_faster_bn_momentum():
    # The quick profile's failure mode: after a few dozen steps, 0.99's moving statistics still carry
    # their initial values, so inference differs from training; 0.9 has caught up.
    slow, fast = _inference_gap(0.99), _inference_gap(0.9)
    assert fast < 0.5 * slow
