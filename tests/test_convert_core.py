"""The TensorFlow-free parts of `migrator convert`: config rewrites, weight layouts, planner,
input derivation, comparisons, classification and the versioned publish layout."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest

from migrator.convert import (
    KINDS,
    STEPS,
    TARGETS,
    AlreadyCurrent,
    ConversionError,
    Convertible,
    NoConversionPath,
    NoFaithfulMapping,
    Options,
    UnsafeContent,
    ValidationFailed,
    default_targets,
    plan,
)
from migrator.convert import config_rewrite as cr
from migrator.convert import publish as pub
from migrator.convert import weight_layouts as wl
from migrator.convert.compare import compare_outputs, compare_weights, tensors
from migrator.convert.pipeline import classify, find_architecture, model_dir
from migrator.convert.run_results import held_weights, record_weights, release
from migrator.convert.validation_inputs import make_inputs
from migrator.model import Artifact, Reading

# --------------------------------------------------------------------------- config rewrites


def _tfkeras_sequential() -> dict:
    """What tf.keras 2.15 writes for Sequential([Embedding(50, 4, input_length=5), LSTM(6)])."""
    return {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {
                        "batch_input_shape": [None, 5],
                        "dtype": "float32",
                        "sparse": False,
                        "ragged": False,
                        "name": "embedding_input",
                    },
                },
                {
                    "class_name": "Embedding",
                    "config": {
                        "name": "embedding",
                        "trainable": True,
                        "dtype": "float32",
                        "batch_input_shape": [None, 5],
                        "input_dim": 50,
                        "output_dim": 4,
                        "mask_zero": False,
                        "input_length": 5,
                    },
                },
                {
                    "class_name": "LSTM",
                    "config": {
                        "name": "lstm",
                        "units": 6,
                        "activation": "tanh",
                        "recurrent_activation": "sigmoid",
                        "time_major": False,
                        "implementation": 2,
                        "return_sequences": False,
                    },
                },
            ],
        },
    }


def _layers(config: dict) -> dict[str, dict]:
    return {layer["config"].get("name"): layer for layer in config["config"]["layers"]}


def test_tf_keras_config_gets_what_keras3_needs():
    rw = cr.rewrite(_tfkeras_sequential(), keras_version="2.15.0")
    assert rw.config["module"] == "keras" and rw.config["class_name"] == "Sequential"
    layers = _layers(rw.config)
    assert layers["embedding_input"]["config"]["batch_shape"] == [None, 5]
    assert "batch_input_shape" not in layers["embedding_input"]["config"]
    assert "input_length" not in layers["embedding"]["config"]
    assert "batch_input_shape" not in layers["embedding"]["config"]
    assert "time_major" not in layers["lstm"]["config"]
    assert "implementation" not in layers["lstm"]["config"]
    assert rw.weight_transforms == {}
    assert any("time_major" in c for c in rw.changes)


def test_rewrite_does_not_modify_its_input():
    config = _tfkeras_sequential()
    before = json.dumps(config, sort_keys=True)
    cr.rewrite(config, keras_version="2.15.0")
    assert json.dumps(config, sort_keys=True) == before


def test_time_major_true_has_no_faithful_mapping():
    config = _tfkeras_sequential()
    config["config"]["layers"][2]["config"]["time_major"] = True
    with pytest.raises(NoFaithfulMapping, match="no faithful mapping for LSTM.time_major"):
        cr.rewrite(config, keras_version="2.15.0")


def test_sequential_without_input_layer_gets_one_from_batch_input_shape():
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "Dense",
                    "config": {
                        "name": "d",
                        "units": 3,
                        "batch_input_shape": [None, 7],
                        "dtype": "float32",
                    },
                },
            ],
        },
    }
    rw = cr.rewrite(config, keras_version="2.2.4")
    first, second = rw.config["config"]["layers"]
    assert first["class_name"] == "InputLayer"
    assert first["config"]["batch_shape"] == [None, 7]
    assert "batch_input_shape" not in second["config"]


def _keras1_cnn() -> dict:
    """A Keras 1.2 Sequential as model.to_json() wrote it (a list of layers)."""
    return {
        "class_name": "Sequential",
        "keras_version": "1.2.2",
        "config": [
            {
                "class_name": "Convolution2D",
                "config": {
                    "name": "conv1",
                    "nb_filter": 4,
                    "nb_row": 3,
                    "nb_col": 2,
                    "border_mode": "same",
                    "subsample": [1, 1],
                    "dim_ordering": "th",
                    "init": "glorot_uniform",
                    "bias": True,
                    "activation": "relu",
                    "W_regularizer": {"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.01},
                    "b_regularizer": None,
                    "W_constraint": None,
                    "b_constraint": None,
                    "batch_input_shape": [None, 1, 8, 8],
                    "input_dtype": "float32",
                    "trainable": True,
                },
            },
            {
                "class_name": "MaxPooling2D",
                "config": {
                    "name": "pool",
                    "pool_size": [2, 2],
                    "strides": [2, 2],
                    "border_mode": "valid",
                    "dim_ordering": "th",
                },
            },
            {"class_name": "Flatten", "config": {"name": "flat"}},
            {"class_name": "Dropout", "config": {"name": "drop", "p": 0.5}},
            {
                "class_name": "Dense",
                "config": {
                    "name": "out",
                    "output_dim": 2,
                    "init": "uniform",
                    "activation": "softmax",
                    "bias": True,
                },
            },
        ],
    }


def test_keras1_layers_and_arguments_are_renamed():
    rw = cr.rewrite(_keras1_cnn(), keras_version="1.2.2")
    assert rw.source_keras_major == 1
    layers = _layers(rw.config)
    conv = layers["conv1"]
    assert conv["class_name"] == "Conv2D"
    cfg = conv["config"]
    assert cfg["filters"] == 4 and cfg["kernel_size"] == [3, 2]
    assert cfg["padding"] == "same" and cfg["strides"] == [1, 1]
    assert cfg["data_format"] == "channels_first"
    assert cfg["use_bias"] is True and cfg["kernel_initializer"] == "glorot_uniform"
    assert cfg["kernel_regularizer"] == {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}}
    for old in ("nb_filter", "nb_row", "nb_col", "border_mode", "subsample", "dim_ordering"):
        assert old not in cfg
    assert layers["pool"]["config"]["padding"] == "valid"
    assert layers["pool"]["config"]["data_format"] == "channels_first"
    assert layers["drop"]["config"]["rate"] == 0.5
    assert layers["out"]["config"]["units"] == 2
    assert layers["out"]["config"]["kernel_initializer"]["class_name"] == "RandomUniform"
    assert layers["conv1_input"]["config"]["batch_shape"] == [None, 1, 8, 8]
    assert layers["conv1_input"]["config"]["dtype"] == "float32"
    assert rw.source_classes["conv1"] == "Convolution2D"


def test_keras1_functional_merge_becomes_concatenate():
    config = {
        "class_name": "Model",
        "config": {
            "name": "m",
            "input_layers": [["a", 0, 0], ["b", 0, 0]],
            "output_layers": [["m1", 0, 0]],
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "a",
                    "inbound_nodes": [],
                    "config": {
                        "name": "a",
                        "batch_input_shape": [None, 3],
                        "input_dtype": "float32",
                    },
                },
                {
                    "class_name": "InputLayer",
                    "name": "b",
                    "inbound_nodes": [],
                    "config": {
                        "name": "b",
                        "batch_input_shape": [None, 3],
                        "input_dtype": "float32",
                    },
                },
                {
                    "class_name": "Merge",
                    "name": "m1",
                    "inbound_nodes": [[["a", 0, 0], ["b", 0, 0]]],
                    "config": {
                        "name": "m1",
                        "mode": "concat",
                        "concat_axis": -1,
                        "mode_type": "raw",
                    },
                },
            ],
        },
    }
    rw = cr.rewrite(config, keras_version=None)
    assert rw.source_keras_major == 1  # no version: Keras 1 by its argument names
    assert rw.config["class_name"] == "Functional"
    merged = _layers(rw.config)["m1"]
    assert merged["class_name"] == "Concatenate" and merged["config"]["axis"] == -1
    assert merged["inbound_nodes"] == [[["a", 0, 0, {}], ["b", 0, 0, {}]]]
    assert _layers(rw.config)["a"]["config"]["batch_shape"] == [None, 3]


@pytest.mark.parametrize(
    "layer, message",
    [
        ({"class_name": "Highway", "config": {"name": "h"}}, "no faithful mapping for Highway"),
        ({"class_name": "BatchNormalization", "config": {"name": "bn", "mode": 2}}, "mode=2"),
        (
            {"class_name": "Merge", "config": {"name": "m", "mode": "sum", "mode_type": "raw"}},
            "Sequential model that starts with a Merge",
        ),
    ],
)
def test_keras1_without_faithful_mapping_says_so(layer, message):
    config = {
        "class_name": "Sequential",
        "keras_version": "1.2.2",
        "config": [
            {
                "class_name": "Dense",
                "config": {"name": "d", "output_dim": 2, "batch_input_shape": [None, 3]},
            },
            layer,
        ],
    }
    with pytest.raises(NoFaithfulMapping, match=message):
        cr.rewrite(config, keras_version="1.2.2")


def test_keras1_merge_modes_without_equivalent_are_refused():
    config = {
        "class_name": "Model",
        "config": {
            "name": "m",
            "input_layers": [["a", 0, 0]],
            "output_layers": [["m1", 0, 0]],
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "a",
                    "inbound_nodes": [],
                    "config": {"name": "a", "batch_input_shape": [None, 3]},
                },
                {
                    "class_name": "Merge",
                    "name": "m1",
                    "inbound_nodes": [[["a", 0, 0], ["a", 0, 0]]],
                    "config": {"name": "m1", "mode": "cos", "mode_type": "raw"},
                },
            ],
        },
    }
    with pytest.raises(NoFaithfulMapping, match="mode 'cos'"):
        cr.rewrite(config, keras_version="1.2.2")


def test_lambda_needs_unsafe_and_is_rewritten_when_allowed():
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"name": "i", "batch_input_shape": [None, 2]},
                },
                {
                    "class_name": "Lambda",
                    "config": {
                        "name": "lam",
                        "function": ["Y29kZQ==", None, None],
                        "function_type": "lambda",
                        "module": "__main__",
                        "output_shape": None,
                        "output_shape_type": "raw",
                        "arguments": {},
                    },
                },
            ],
        },
    }
    with pytest.raises(UnsafeContent, match="lam"):
        cr.rewrite(config, keras_version="2.15.0")
    rw = cr.rewrite(config, keras_version="2.15.0", unsafe=True)
    lam = _layers(rw.config)["lam"]["config"]
    assert lam["function"] == {
        "class_name": "__lambda__",
        "config": {"code": "Y29kZQ==", "defaults": None, "closure": None},
    }
    assert "function_type" not in lam and "module" not in lam


def _one_layer(layer: dict) -> dict:
    return {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"name": "i", "batch_input_shape": [None, 4, 3]},
                },
                layer,
            ],
        },
    }


def test_keras2_hard_sigmoid_gates_get_a_weight_transform():
    lstm = {
        "class_name": "LSTM",
        "config": {
            "name": "l",
            "units": 2,
            "activation": "tanh",
            "recurrent_activation": "hard_sigmoid",
        },
    }
    rw = cr.rewrite(_one_layer(lstm), keras_version="2.2.4")
    assert rw.weight_transforms["l"] == [
        {"op": "scale_gates", "factor": 1.2, "gates": 4, "which": [0, 1, 3], "indices": [0, 1, 2]}
    ]
    # Keras 3 wrote it: hard_sigmoid already means Keras 3's function, nothing to do.
    assert cr.rewrite(_one_layer(lstm), keras_version="3.3.3").weight_transforms == {}


def test_hard_sigmoid_on_dense_scales_kernel_and_bias_only_when_present():
    dense = {
        "class_name": "Dense",
        "config": {"name": "d", "units": 2, "activation": "hard_sigmoid", "use_bias": False},
    }
    rw = cr.rewrite(_one_layer(dense), keras_version="2.4.0")
    assert rw.weight_transforms["d"] == [{"op": "scale", "factor": 1.2, "indices": [0]}]


@pytest.mark.parametrize(
    "layer",
    [
        {"class_name": "Activation", "config": {"name": "a", "activation": "hard_sigmoid"}},
        {
            "class_name": "LSTM",
            "config": {
                "name": "l",
                "units": 2,
                "activation": "hard_sigmoid",
                "recurrent_activation": "sigmoid",
            },
        },
    ],
)
def test_hard_sigmoid_without_weights_to_absorb_it_is_refused(layer):
    with pytest.raises(NoFaithfulMapping, match="hard_sigmoid"):
        cr.rewrite(_one_layer(layer), keras_version="2.2.4")


def test_changed_defaults_and_renamed_arguments():
    gru = {"class_name": "GRU", "config": {"name": "g", "units": 2}}
    assert (
        _layers(cr.rewrite(_one_layer(gru), keras_version="2.0.8").config)["g"]["config"][
            "reset_after"
        ]
        is False
    )
    leaky = {"class_name": "LeakyReLU", "config": {"name": "lr", "alpha": 0.1}}
    cfg = _layers(cr.rewrite(_one_layer(leaky), keras_version="2.12.0").config)["lr"]["config"]
    assert cfg == {"name": "lr", "negative_slope": 0.1}
    bn = {
        "class_name": "BatchNormalization",
        "config": {"name": "bn", "axis": [2], "fused": None, "renorm": False},
    }
    cfg = _layers(cr.rewrite(_one_layer(bn), keras_version="2.12.0").config)["bn"]["config"]
    assert cfg["axis"] == 2 and "fused" not in cfg


def test_tf_op_layers_and_subclassed_models_are_refused():
    op = {"class_name": "TFOpLambda", "config": {"name": "tf.math.add", "function": "math.add"}}
    with pytest.raises(NoFaithfulMapping, match="TFOpLambda"):
        cr.rewrite(_one_layer(op), keras_version="2.15.0")
    with pytest.raises(NoFaithfulMapping, match="subclassed"):
        cr.rewrite({"class_name": "MyModel", "config": {}}, keras_version="2.15.0")


# --------------------------------------------------------------------------- weight layouts


def test_keras1_lstm_gates_are_fused_in_keras2_order():
    # Keras 1 stores W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o.
    gate_value = {"i": 1.0, "c": 2.0, "f": 3.0, "o": 4.0}
    arrays = []
    for gate in "icfo":
        v = gate_value[gate]
        arrays += [np.full((3, 2), v), np.full((2, 2), v * 10), np.full((2,), v * 100)]
    kernel, recurrent, bias = wl.keras1_layout("l", "LSTM", {}, arrays)
    assert kernel.shape == (3, 8) and recurrent.shape == (2, 8) and bias.shape == (8,)
    assert list(kernel[0, ::2]) == [1.0, 3.0, 2.0, 4.0]  # i, f, c, o
    assert list(bias[::2]) == [100.0, 300.0, 200.0, 400.0]


def test_keras1_gru_gates_are_fused():
    arrays = [
        np.full((3, 2), float(i))
        if i % 3 == 0
        else np.full((2, 2) if i % 3 == 1 else (2,), float(i))
        for i in range(9)
    ]
    kernel, recurrent, bias = wl.keras1_layout("g", "GRU", {}, arrays)
    assert list(kernel[0]) == [0.0, 0.0, 3.0, 3.0, 6.0, 6.0]
    assert list(bias) == [2.0, 2.0, 5.0, 5.0, 8.0, 8.0]


def test_keras1_channels_first_conv_kernel_is_transposed():
    kernel = np.arange(4 * 3 * 2 * 5, dtype=np.float32).reshape(4, 3, 2, 5)  # (out, in, r, c)
    (new,) = wl.keras1_layout("c", "Conv2D", {"data_format": "channels_first"}, [kernel])
    assert new.shape == (2, 5, 3, 4)
    assert new[1, 4, 2, 3] == kernel[3, 2, 1, 4]


def test_keras1_conv1d_dummy_axis_and_unknown_layout():
    kernel = np.ones((3, 1, 4, 5))
    (new,) = wl.keras1_layout("c", "Conv1D", {"kernel_size": [3]}, [kernel])
    assert new.shape == (3, 4, 5)
    with pytest.raises(NoFaithfulMapping, match="no known Keras 1 layout"):
        wl.keras1_layout("c", "Conv1D", {"kernel_size": [7]}, [kernel])


def test_theano_flip_reverses_spatial_axes_only():
    kernel = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    flipped = wl.flip_kernel(kernel)
    assert flipped[0, 0, 1, 2] == kernel[1, 2, 1, 2]
    np.testing.assert_array_equal(wl.flip_kernel(flipped), kernel)
    bias = np.ones(5)
    assert wl.theano_flip("Dense", [kernel, bias])[0] is kernel
    out = wl.convert_layer(
        "c",
        "Convolution2D",
        "Conv2D",
        {"data_format": "channels_last"},
        [kernel, bias],
        keras1=False,
        theano=True,
    )
    np.testing.assert_array_equal(out[0], flipped)


def test_cudnn_lstm_weights_become_native_layout():
    units, inputs = 2, 3
    kernel = np.arange(inputs * 4 * units, dtype=np.float32).reshape(inputs, 4 * units)
    recurrent = np.arange(units * 4 * units, dtype=np.float32).reshape(units, 4 * units)
    bias = np.arange(8 * units, dtype=np.float32)
    k, r, b = wl.cudnn_to_native("l", "LSTM", [kernel, recurrent, bias])
    assert k.shape == kernel.shape and r.shape == recurrent.shape and b.shape == (4 * units,)
    np.testing.assert_array_equal(b, bias[:8] + bias[8:])
    np.testing.assert_array_equal(r[:, :units], recurrent[:, :units].T)


def _keras2_hard_sigmoid(x: np.ndarray) -> np.ndarray:
    """Keras 2's hard_sigmoid (keras/backend.py of Keras 2.x): clip(0.2 x + 0.5, 0, 1)."""
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def _keras3_hard_sigmoid(x: np.ndarray) -> np.ndarray:
    """Keras 3's hard_sigmoid (keras/src/activations): relu6(x + 3) / 6."""
    return np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0


def test_hard_sigmoid_weight_transform_reproduces_keras2_gates():
    """The transform config_rewrite records for a Keras 2 LSTM, applied by weight_layouts to real
    arrays, makes Keras 3's hard_sigmoid compute Keras 2's gate values (tanh gate untouched)."""
    units = 2
    lstm = {
        "class_name": "LSTM",
        "config": {
            "name": "l",
            "units": units,
            "activation": "tanh",
            "recurrent_activation": "hard_sigmoid",
        },
    }
    rw = cr.rewrite(_one_layer(lstm), keras_version="2.2.4")
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 4 * units)).astype(np.float32) * 4
    recurrent = rng.normal(size=(units, 4 * units)).astype(np.float32) * 4
    bias = rng.normal(size=(4 * units,)).astype(np.float32)
    new_kernel, new_recurrent, new_bias = wl.apply_transforms(
        "l", [kernel, recurrent, bias], rw.weight_transforms["l"]
    )
    x = rng.normal(size=(64, 3)).astype(np.float64) * 3
    h = rng.normal(size=(64, units)).astype(np.float64)
    before = x @ kernel + h @ recurrent + bias
    after = x @ new_kernel + h @ new_recurrent + new_bias
    assert np.abs(before).max() > 2.5  # inputs reach both clipped ends of the function
    for gate in (0, 1, 3):  # input, forget, output: recurrent_activation
        cols = slice(gate * units, (gate + 1) * units)
        np.testing.assert_allclose(
            _keras3_hard_sigmoid(after[:, cols]), _keras2_hard_sigmoid(before[:, cols]), atol=1e-5
        )
    cell = slice(2 * units, 3 * units)  # candidate: tanh, must not be rescaled
    np.testing.assert_allclose(after[:, cell], before[:, cell], atol=1e-5)


def test_scale_gates_touches_only_the_listed_gates_in_both_directions():
    kernel = np.ones((2, 8), dtype=np.float32)
    bias = np.ones(8, dtype=np.float32)
    spec = {
        "op": "scale_gates",
        "factor": 1.2,
        "gates": 4,
        "which": [0, 1, 3],
        "indices": [0, 2],
        "bidirectional": True,
    }
    out = wl.apply_transforms("b", [kernel, kernel, bias, kernel, kernel, bias], [spec])
    for k in (out[0], out[3]):
        np.testing.assert_allclose(k[0], [1.2, 1.2, 1.2, 1.2, 1, 1, 1.2, 1.2])
    np.testing.assert_array_equal(out[1], kernel)  # recurrent kernel index not listed
    assert out[0].dtype == np.float32


# --------------------------------------------------------------------------- planner


def _source(*kinds: str, fmt: str = "keras-h5", **facts) -> Convertible:
    return Convertible(Path("/x/model.h5"), "model.h5", fmt, tuple(kinds), facts=facts)


def test_plan_chains_single_hops():
    assert [s.module for s in plan(_source("keras-h5"), "keras")] == ["h5_to_keras"]
    assert [s.module for s in plan(_source("keras-h5"), "saved-model")] == [
        "h5_to_keras",
        "keras_to_export",
    ]
    assert [s.module for s in plan(_source("keras-savedmodel"), "weights")] == [
        "keras_sm_to_keras",
        "keras_to_weights",
    ]
    both = _source("tf1-keras-export", "tf1-saved-model", fmt="saved-model")
    assert [s.module for s in plan(both, "keras")] == ["tf1_keras_export_to_keras"]
    assert [s.module for s in plan(both, "saved-model")] == ["tf1_sm_to_tf2_sm"]


def test_plan_errors_are_typed_and_say_why():
    with pytest.raises(AlreadyCurrent) as exc:
        plan(_source("keras-v3", fmt="keras-v3"), "keras")
    assert exc.value.status == "skipped"
    with pytest.raises(NoConversionPath) as exc:
        plan(_source(fmt="tflite"), "keras")
    assert "TFLite" in exc.value.problem and exc.value.remedy
    with pytest.raises(NoConversionPath, match="no conversion from tf1-saved-model to keras"):
        plan(_source("tf1-saved-model", fmt="saved-model"), "keras")
    with pytest.raises(NoConversionPath, match="weights only"):
        plan(_source(no_path=("weights only: no architecture", "pass --arch")), "keras")
    with pytest.raises(ConversionError, match="unknown conversion target"):
        plan(_source("keras-h5"), "onnx")


def test_step_registry_is_consistent():
    """Every step names real kinds and a module with `run`; every target is reachable."""
    import importlib

    for step in STEPS:
        assert step.source in KINDS and step.target in KINDS, step
        steps_dir = Path(__file__).parents[1] / "migrator" / "convert" / "steps"
        module_file = steps_dir / f"{step.module}.py"
        assert module_file.is_file(), step.module
        assert "\ndef run(" in module_file.read_text(encoding="utf-8"), step.module
        assert "import tensorflow" not in module_file.read_text().split("\ndef ")[0]
        importlib.import_module(f"migrator.convert.steps.{step.module}")  # no TF at import time
    reachable = {s.target for s in STEPS}
    assert set(TARGETS.values()) <= reachable


def test_registry_names_every_conversion_rules_recommend():
    """The public names are the steps' own declarations; chains name registered steps."""
    from migrator.convert import registry

    names = {s.name: s.module for s in registry.steps()}
    assert names["h5-to-keras"] == "h5_to_keras"
    assert names["keras2-to-keras3"] == "tfkeras_keras_to_keras3"
    assert names["keras-to-savedmodel"] == "keras_to_export"
    chain = {c.name: c.steps for c in registry.chains()}["savedmodel-to-serving"]
    assert [registry.step_named(n).module for n in chain] == [
        "keras_sm_to_keras",
        "keras_to_export",
    ]
    assert set(registry.conversions()) == set(names) | {"savedmodel-to-serving"}
    for step in registry.steps():
        assert step.summary and step.validate_with, step
        assert set(step.validate_with) <= {"era", "tf_keras", "newest"}, step


def test_default_targets():
    assert default_targets(_source("keras-weights+arch")) == ("keras", "weights")
    assert default_targets(_source("tf1-keras-export")) == ("saved-model", "keras")
    assert default_targets(_source("graph-def")) == ("saved-model",)
    assert default_targets(_source("keras-h5")) == ("keras",)


# --------------------------------------------------------------------------- validation helpers


def test_inputs_are_deterministic_and_follow_the_signature():
    sig = [
        {"name": "x", "shape": [None, None, 3], "dtype": "float32"},
        {"name": "ids", "shape": [None, 5], "dtype": "int32"},
    ]
    a = make_inputs(sig, seed=7, batch=2, int_high=10)
    b = make_inputs(sig, seed=7, batch=2, int_high=10)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert a[0].shape == (2, 8, 3) and a[1].shape == (2, 5) and a[1].dtype == np.int32
    assert a[1].min() >= 0 and a[1].max() < 10
    # A float input of an Embedding model: integer values inside the vocabulary.
    assert np.all(a[0] == np.round(a[0])) and a[0].max() < 10
    c = make_inputs(sig[:1], seed=7, batch=2)
    assert c[0].min() >= -1 and c[0].max() < 1 and not np.all(c[0] == np.round(c[0]))
    img = make_inputs(
        [{"name": "im", "shape": [None, None, None, 3], "dtype": "float32"}], seed=1, batch=2
    )
    assert img[0].shape == (2, 32, 32, 3)


def test_unknown_rank_inputs_are_a_batch_or_neutral_scalars():
    sig = [
        {"name": "keep_prob", "shape": None, "dtype": "float32"},
        {"name": "is_train", "shape": None, "dtype": "bool"},
    ]
    keep, train = make_inputs(sig, seed=1, batch=3)
    assert keep.shape == (3,) and train.shape == (3,)
    keep, train = make_inputs(sig, seed=1, batch=3, unknown_rank="scalar")
    assert keep.shape == () and float(keep) == 1.0 and train.shape == () and not bool(train)


def test_string_inputs_cannot_be_derived():
    with pytest.raises(ValidationFailed, match="--inputs"):
        make_inputs([{"name": "examples", "shape": [None], "dtype": "string"}], seed=1, batch=2)


def test_output_comparison_catches_differences_and_shapes():
    a = [np.zeros((2, 3), np.float32)]
    records, problems = compare_outputs(a, [a[0] + 5e-6], 1e-5)
    assert not problems and records[0]["max_abs_diff"] == pytest.approx(5e-6, rel=1e-3)
    _, problems = compare_outputs(a, [a[0] + 1e-3], 1e-5)
    assert problems and "differs" in problems[0]
    _, problems = compare_outputs(a, [np.zeros((3, 2), np.float32)], 1e-5)
    assert "shape" in problems[0]
    nan = np.array([np.nan, 1.0])
    assert not compare_outputs([nan], [nan.copy()], 1e-5)[1]
    assert compare_outputs([nan], [np.array([0.0, 1.0])], 1e-5)[1]


_RUNS = itertools.count()


def _weights(tmp_path: Path, names, values, transforms=None):  # type: ignore[no-untyped-def]
    """What a run in a worker reports for these weights (digests; arrays held under a tag)."""
    tag = str(tmp_path / f"run{next(_RUNS)}")
    info: dict = {}
    record_weights(info, tag, names, values, transforms)
    return tag, tensors(info)


def _compare_runs(tmp_path: Path, src, out, **kwargs):  # type: ignore[no-untyped-def]
    """compare_weights with the real fetch of held weights; (record, problems, fetched names)."""
    (src_tag, src_tensors), (out_tag, out_tensors) = src, out
    fetched: list[str] = []

    def fetch(src_names, out_names):  # type: ignore[no-untyped-def]
        fetched.extend(src_names)
        arrays = []
        for tag, names in ((src_tag, src_names), (out_tag, out_names)):
            dest = tmp_path / "fetched.npz"
            held_weights(tag, names, str(dest))
            with np.load(dest) as data:
                arrays.append([data[f"w_{i}"] for i in range(len(names))])
        return arrays[0], arrays[1]

    try:
        record, problems = compare_weights(src_tensors, out_tensors, fetch, **kwargs)
    finally:
        release(src_tag)
        release(out_tag)
    return record, problems, fetched


def test_weight_comparison_applies_declared_transforms(tmp_path: Path) -> None:
    src_names = ["d#0:kernel", "d#1:bias"]
    src = [np.ones((2, 2), np.float32), np.ones(2, np.float32)]
    out = [s * np.float32(1.2) for s in src]
    spec = {"d": [{"op": "scale", "factor": 1.2, "indices": [0, 1]}]}
    record, problems, fetched = _compare_runs(
        tmp_path,
        _weights(tmp_path, src_names, src, spec),
        _weights(tmp_path, src_names, out),
        tolerance=1e-6,
    )
    assert not problems and record["compared"] == 2
    _, problems, fetched = _compare_runs(
        tmp_path,
        _weights(tmp_path, src_names, src),
        _weights(tmp_path, src_names, out),
        tolerance=1e-6,
    )
    assert len(problems) == 2 and fetched == src_names  # differing digests: values measured
    _, problems, _ = _compare_runs(
        tmp_path,
        _weights(tmp_path, src_names, src, spec),
        _weights(tmp_path, src_names[:1], out[:1]),
        tolerance=1e-6,
    )
    assert "not in the converted model" in problems[0]


def test_equal_weights_are_compared_by_digest_without_fetching(tmp_path: Path) -> None:
    """Weights copied bit for bit never leave the workers; a cast one is fetched and measured."""
    kernel = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    names = ["d#0:kernel", "d#1:bias"]
    record, problems, fetched = _compare_runs(
        tmp_path,
        _weights(tmp_path, names, [kernel, kernel[0]]),
        _weights(tmp_path, names, [kernel.copy(), kernel[0].copy()]),
        tolerance=1e-6,
    )
    assert not problems and record["compared"] == 2 and fetched == []
    assert record["max_abs_diff"] == 0.0
    record, problems, fetched = _compare_runs(
        tmp_path,
        _weights(tmp_path, names, [kernel.astype(np.float64), kernel[0]]),
        _weights(tmp_path, names, [kernel, kernel[0]]),
        tolerance=1e-6,
    )
    assert not problems and fetched == ["d#0:kernel"]  # float64 -> float32: equal in value
    _, problems, _ = _compare_runs(
        tmp_path,
        _weights(tmp_path, names, [kernel, kernel[0]]),
        _weights(tmp_path, names, [kernel + np.float32(1e-3), kernel[0]]),
        tolerance=1e-5,
    )
    assert problems == ["weight 'd#0:kernel' differs from the source by up to 0.001"]


def test_training_bookkeeping_is_left_out_of_the_weight_comparison_and_said(
    tmp_path: Path,
) -> None:
    """Issue 9: a TF1 multi-MetaGraph export with a Keras config failed validation because
    `global_step` "is not in the converted model"; counters and optimizer state are no weights."""
    kernel = np.ones((2, 2), np.float32)
    src_names = [
        "global_step",
        "dense/kernel",
        "dense/kernel/Adam",
        "dense/kernel/Adam_1",
        "beta1_power",
        "training/Adam/dense/kernel/m",
        "Adam/iter",
    ]
    src = [np.array(7), kernel] + [kernel * 0] * 2 + [np.float32(0.9)] + [kernel, np.array(3)]
    out_names = ["dense#0:kernel", "adam/dense_kernel_momentum", "adam/iteration"]
    out = [kernel, kernel * 5, np.array(0)]
    record, problems, _ = _compare_runs(
        tmp_path,
        _weights(tmp_path, src_names, src),
        _weights(tmp_path, out_names, out),
        tolerance=1e-6,
    )
    assert not problems and record["compared"] == 1
    assert "global_step" in record["left_out_training_state"]
    assert "adam/iteration" in record["left_out_training_state"]
    assert "dense/kernel" not in record["left_out_training_state"]
    # A real weight that is missing still fails.
    _, problems, _ = _compare_runs(
        tmp_path,
        _weights(
            tmp_path,
            ["dense/kernel", "dense/bias", "global_step"],
            [kernel, kernel[0], np.array(1)],
        ),
        _weights(tmp_path, out_names[:1], out[:1]),
        tolerance=1e-6,
    )
    assert problems == ["1 source weight(s) not in the converted model: dense/bias"]


# --------------------------------------------------------------------------- classification


def _artifact(fmt: str, path: Path, details: dict | None = None, errors=()) -> Artifact:
    return Artifact(
        path.name, path, Reading(fmt, details=details or {}, errors=tuple(errors)), (path.name,)
    )


def test_classify_refuses_lambdas_and_custom_classes_before_loading(tmp_path):
    lam = _artifact("keras-h5", tmp_path / "m.h5", {"lambda_layers": [{"path": "lambda_1"}]})
    with pytest.raises(UnsafeContent, match="--unsafe"):
        classify(lam, Options())
    assert classify(lam, Options(unsafe=True)).kinds == ("keras-h5",)
    custom = _artifact(
        "keras-v3",
        tmp_path / "m.keras",
        {"saved_by": "keras3", "custom_objects": [{"class_name": "VAE"}]},
    )
    with pytest.raises(UnsafeContent, match="VAE"):
        classify(custom, Options())
    sub = _artifact("keras-h5", tmp_path / "s.h5", {"model_class": "MaliciousModel"})
    with pytest.raises(UnsafeContent, match="subclassed 'MaliciousModel'"):
        classify(sub, Options())
    broken = _artifact("saved-model", tmp_path / "sm", errors=["variables/ folder is missing"])
    with pytest.raises(ConversionError, match="variables/ folder is missing"):
        classify(broken, Options())


def test_classify_saved_models_and_weights(tmp_path):
    tf1 = _artifact(
        "saved-model",
        tmp_path / "1",
        {"era": "tf1", "keras": True, "keras_source": "assets/saved_model.json"},
    )
    assert classify(tf1, Options()).kinds == ("tf1-keras-export", "tf1-saved-model")
    keras_sm = _artifact("saved-model", tmp_path / "k", {"era": "tf2", "keras": True})
    assert classify(keras_sm, Options()).kinds == ("keras-savedmodel",)
    weights = tmp_path / "w.h5"
    lone = classify(_artifact("keras-h5-weights", weights), Options())
    assert lone.kinds == () and "weights only" in lone.facts["no_path"][0]
    arch = tmp_path / "model.json"
    arch.write_text(
        json.dumps(
            {
                "class_name": "Sequential",
                "keras_version": "2.3.1",
                "config": {
                    "name": "s",
                    "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 1}}],
                },
            }
        )
    )
    paired = classify(_artifact("keras-h5-weights", weights), Options(), [arch])
    assert paired.kinds == ("keras-weights+arch",) and paired.architecture == arch
    # Lambda code in the architecture file is refused like Lambda code in a full model.
    data = json.loads(arch.read_text())
    data["config"]["layers"].append(
        {
            "class_name": "Lambda",
            "config": {
                "name": "norm",
                "function": ["Y29kZQ==", None, None],
                "function_type": "lambda",
            },
        }
    )
    arch.write_text(json.dumps(data))
    with pytest.raises(UnsafeContent, match="'norm' in model.json"):
        classify(_artifact("keras-h5-weights", weights), Options(), [arch])


def test_architecture_pairing_by_name(tmp_path):
    w = tmp_path / "lstm_th_keras_2_weights.h5"
    a1, a2 = tmp_path / "lstm_th_keras_2_config.json", tmp_path / "other_config.json"
    assert find_architecture(w, [a1, a2])[0] == a1
    assert find_architecture(w, [a1])[0] == a1
    arch, why = find_architecture(tmp_path / "weights.h5", [a1, a2])
    assert arch is None and "several architecture files" in why
    assert find_architecture(w, [tmp_path / "sub" / "x.json"])[0] is None


def test_model_names_in_the_output_layout(tmp_path):
    serving = tmp_path / "half_plus_two" / "00000123"
    serving.mkdir(parents=True)
    src = Convertible(serving, "models/half_plus_two/00000123", "saved-model", ("tf1-saved-model",))
    assert model_dir(src, single=True) == "half_plus_two"
    assert model_dir(src, single=False) == "models/half_plus_two"
    f = tmp_path / "heart_disease.h5"
    f.write_bytes(b"x")
    assert model_dir(Convertible(f, "a/heart_disease.h5", "keras-h5", ("keras-h5",)), False) == (
        "a/heart_disease"
    )


# --------------------------------------------------------------------------- publish


def test_publish_creates_versions_and_never_overwrites(tmp_path):
    out = tmp_path / "out"
    first = tmp_path / "model.keras"
    first.write_bytes(b"one")
    v1 = pub.publish(
        out,
        "m",
        "keras",
        first,
        {"source": {"sha256": "a", "path": "/s"}},
        payload_name="model.keras",
    )
    assert v1 == out / "m" / "keras" / "v1"
    meta = json.loads((v1 / "metadata.json").read_text())
    assert meta["version"] == "v1" and meta["created_at"].endswith("Z")
    assert meta["files"] == [
        {"path": "model.keras", "bytes": 3, "sha256": pub.sha256_file(v1 / "model.keras")}
    ]
    stamp = os.stat(v1 / "model.keras").st_mtime_ns
    second = tmp_path / "model2.keras"
    second.write_bytes(b"two")
    v2 = pub.publish(out, "m", "keras", second, {}, payload_name="model.keras")
    assert v2.name == "v2" and (v1 / "model.keras").read_bytes() == b"one"
    assert os.stat(v1 / "model.keras").st_mtime_ns == stamp
    (out / "m" / "keras" / "v3").mkdir()  # an empty claim left by a killed older release
    (out / "m" / "keras" / "v5").mkdir()
    third = tmp_path / "m3.keras"
    third.write_bytes(b"three")
    v3 = pub.publish(out, "m", "keras", third, {})
    assert v3.name == "v3" and (v3 / "m3.keras").read_bytes() == b"three"
    (out / "m" / "keras" / "v4").mkdir()
    (out / "m" / "keras" / "v4" / "metadata.json").write_text("{}")  # a version published
    assert pub.publish(out, "m", "keras", third, {}).name == "v5"  # the empty v5 is reused
    assert not (out / pub.STAGING).exists()
    assert pub.find_published(out / "m" / "keras", "a", "/s") == v1
    assert pub.find_published(out / "m" / "keras", "a", "/elsewhere") is None


def test_a_payload_hashed_ahead_is_listed_as_publish_would_list_it(tmp_path):
    """The converter hashes the product while validation runs; what it hands `publish` must be
    what hashing the version folder gives, and a listing that does not fit is not trusted."""
    out = tmp_path / "out"
    model = tmp_path / "work" / "model-from-step.keras"
    model.parent.mkdir()
    model.write_bytes(b"weights")
    ahead = pub.payload_files(model, "model.keras")
    v1 = pub.publish(out, "m", "keras", model, {}, payload_name="model.keras", files=ahead)
    placed = [f for f in pub.file_list(v1) if f["path"] != "metadata.json"]
    assert json.loads((v1 / "metadata.json").read_text())["files"] == placed == ahead
    saved = tmp_path / "sm"
    (saved / "variables").mkdir(parents=True)
    (saved / "saved_model.pb").write_bytes(b"graph")
    (saved / "variables" / "variables.index").write_bytes(b"index")
    listed = pub.payload_files(saved)
    v1sm = pub.publish(out, "m", "saved_model", saved, {}, files=listed)
    on_disk = [f for f in pub.file_list(v1sm) if f["path"] != "metadata.json"]
    assert json.loads((v1sm / "metadata.json").read_text())["files"] == on_disk == listed
    stale = [{**ahead[0], "sha256": "0" * 64, "bytes": 99}]  # not the placed file: re-hashed
    v2 = pub.publish(out, "m", "keras", model, {}, payload_name="model.keras", files=stale)
    assert json.loads((v2 / "metadata.json").read_text())["files"] == ahead


def test_failed_publish_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OSError):
        pub.publish(out, "m", "keras", tmp_path / "missing.keras", {})
    assert not (out / "m" / "keras" / "v1").exists()
    assert not (out / pub.STAGING).exists()


def test_tree_hash_is_content_and_layout_sensitive(tmp_path):
    d = tmp_path / "sm"
    (d / "variables").mkdir(parents=True)
    (d / "saved_model.pb").write_bytes(b"pb")
    (d / "variables" / "v.index").write_bytes(b"i")
    h = pub.sha256_tree(d)
    assert h == pub.sha256_tree(d)
    (d / "variables" / "v.index").write_bytes(b"j")
    assert pub.sha256_tree(d) != h


# --------------------------------------------------------------------------- command line


def test_cli_reports_skips_and_failures_without_tensorflow(tmp_path, capsys):
    from migrator.cli import main

    tree = tmp_path / "tree"
    tree.mkdir()
    # an architecture file alone: nothing to convert it with, so skipped
    (tree / "model.json").write_text(
        json.dumps(
            {
                "class_name": "Sequential",
                "keras_version": "2.15.0",
                "backend": "tensorflow",
                "config": {
                    "name": "s",
                    "layers": [
                        {
                            "class_name": "Dense",
                            "config": {"name": "d", "units": 1, "batch_input_shape": [None, 2]},
                        }
                    ],
                },
            }
        )
    )
    (tree / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 10)  # truncated HDF5
    report = tmp_path / "report.json"
    code = main(["convert", str(tree), "-o", str(tmp_path / "out"), "--report", str(report)])
    data = json.loads(report.read_text())
    assert code == 2  # a failure occurred
    assert [o["path"] for o in data["failed"]] == ["broken.h5"]
    assert data["failed"][0]["reason"]
    skipped = {o["path"]: o["reason"] for o in data["skipped"]}
    assert "architecture file alone has no weights" in skipped["model.json"]
    assert data["summary"] == {"converted": 0, "skipped": 1, "failed": 1}
    table = capsys.readouterr().out
    assert "broken.h5" in table and "1 skipped, 1 failed" in table
    assert not (tmp_path / "out" / "broken").exists()


def test_cli_skips_real_tflite_with_reason(tmp_path):
    from migrator.cli import main
    from tests.conftest import realworld_entry

    entry = realworld_entry("serving_hp2_tflite")
    report = tmp_path / "r.json"
    assert (
        main(["convert", str(entry), "-o", str(tmp_path / "o"), "--report", str(report), "--json"])
        == 0
    )
    (skipped,) = json.loads(report.read_text())["skipped"]
    assert skipped["format"] == "tflite" and "TFLite flatbuffer" in skipped["reason"]


# --------------------------------------------------------------------------- malicious entries

MALICIOUS = {
    # Needing the user's classes is a skip (nothing migrator can do without them), not a failure.
    "bn_malicious_subclass_h5_k333": ("skipped", "subclassed 'MaliciousModel'"),
    "bn_malicious_subclass_keras_k333": ("skipped", "needs custom classes"),
    "kosenko_lambda_marshal_h5_tfk215": ("failed", "refused: Lambda layer"),
    "malmodelscan_lambda_keras_sm_tf215": ("failed", "refused: Lambda layer"),
    "evilkeras_npz_dupentry_k36": ("skipped", "already a Keras 3 .keras"),
    "malmodelscan_tensorabuse_readfile_sm": ("skipped", "no serving_default signature"),
}


class _NoWorkers:
    """A worker pool that fails the test if anything is ever loaded or run."""

    def worker(self, *args, **kwargs):
        raise AssertionError("a malicious artifact reached a TensorFlow worker")

    def close(self) -> None:
        pass


@pytest.mark.parametrize("entry_id", sorted(MALICIOUS))
def test_malicious_entries_are_refused_or_skipped_without_loading(entry_id, tmp_path):
    from migrator.convert.pipeline import Converter, convert_path
    from tests.conftest import realworld_entry

    folder = realworld_entry(entry_id)
    out = tmp_path / "out"
    converter = Converter(out, Options(), pool=_NoWorkers())
    report = convert_path(folder, out, Options(), converter=converter)
    status, reason = MALICIOUS[entry_id]
    models = [o for o in report.outcomes if o.format not in ("keras-json", "keras-yaml")]
    assert models, report.outcomes
    for outcome in models:
        assert outcome.status == status, outcome.reason
        assert reason in outcome.reason
    # Nothing published: OUT holds at most migrator's own ledger.
    assert not out.exists() or not any(not p.name.startswith(".migrator-") for p in out.iterdir())


def test_classification_reads_a_chunked_model_config(tmp_path):
    """A Keras HDF5 whose config is split into model_config0..N (h5py/Keras do so over 64 KB) is
    read by the reader pool like audit reads it, and classified as a full model."""
    from migrator.convert.tree import read_artifacts
    from migrator.discover import discover
    from tests.conftest import REPO
    from tests.fixtures.convert.chunked import chunk_model_config

    source = next(
        (
            REPO / "corpus" / "generated" / env / "keras" / "sequential" / "save-h5" / "model.h5"
            for env in ("tf215", "tf212")
            if (REPO / "corpus" / "generated" / env / "keras").is_dir()
        ),
        None,
    )
    if source is None or not source.is_file():
        pytest.skip("no generated Keras 2 HDF5 in corpus/generated")
    chunked = chunk_model_config(source, tmp_path / "model.h5")
    (artifact,) = read_artifacts(discover(chunked).candidates, Options())
    assert artifact.details["chunked_attributes"] == {"model_config": 3}
    convertible = classify(artifact, Options())
    assert convertible.kinds == ("keras-h5",)
    assert convertible.raw["model_config"]["class_name"] == "Sequential"


def test_an_exception_in_a_step_is_one_line_that_says_what_to_report():
    """Issue 9: one failure's only message was `TypeError ... at config_rewrite.py`."""
    from migrator.convert.worker import _error_reply

    try:
        pub.safe_name(None)  # type: ignore[arg-type]  # a TypeError raised inside the stdlib
    except TypeError as exc:
        reply = _error_reply(exc, "step:h5-to-keras")
    problem = reply["problem"]
    assert problem.startswith("internal error in h5-to-keras: TypeError: ")
    assert "in convert/publish.py:" in problem and "(safe_name)" in problem  # migrator's frame
    assert "\n" not in problem and "report" in reply["remedy"]
    error = ValidationFailed("m.h5", "outputs differ", "check")
    assert _error_reply(error, "step:x") == error.to_json()  # a verdict is passed through


def test_a_runtime_message_reaches_the_user_as_its_first_line_cut_to_the_limit():
    """Runtimes put whole configs and graphs in their messages; every step keeps one line."""
    from migrator.errors import first_line

    config = "x" * 500
    exc = ValueError(f"  Could not deserialize 'Functional'\nconfig={config}\n")
    assert first_line(exc) == "Could not deserialize 'Functional'"
    long = first_line(ValueError("y" * 350), 200)
    assert long == "y" * 200 + "..."
    assert first_line(ValueError("y" * 200), 200) == "y" * 200  # at the limit: not cut
    assert first_line(ValueError("")) == "" and first_line(" \n ") == ""


def test_unknown_class_errors_name_the_class_and_are_skips():
    """Issue 9: Keras's "Unknown layer" text ends with a URL, which was taken as the class name."""
    from migrator.convert.keras3_build import explain_build_error
    from migrator.errors import NeedsUserClasses

    text = (
        "Unknown layer: 'ScaleShift'. Please ensure you are using a `keras.utils."
        "custom_object_scope` and that this object is included in the scope. See "
        "https://www.tensorflow.org/guide/keras/save_and_serialize#registering_the_custom_object "
        "for details."
    )
    error = explain_build_error(ValueError(text), "m.h5", False)
    assert isinstance(error, NeedsUserClasses) and error.status == "skipped"
    assert "class 'ScaleShift'" in error.problem


def test_counter_generated_output_names_do_not_reach_the_record():
    """The same model converted after others (a reused worker, --jobs 2) gets the same record."""
    from migrator.convert.validate import stable_output_names

    assert stable_output_names(["keras_tensor_21", "probs", "keras_tensor"]) == [
        "output_0",
        "probs",
        "output_2",
    ]


def test_metadata_keeps_the_sources_training_config():
    """The converted model is saved uncompiled: metadata.json keeps what to re-compile it with."""
    from migrator.convert.converter import source_training_config

    compile_config = {"optimizer": "adam", "loss": "mse", "metrics": ["mae"]}
    keras = Convertible(
        Path("m.keras"),
        "m.keras",
        "keras-v3",
        ("tf-keras-v3",),
        raw={"compile_config": compile_config},
    )
    assert source_training_config(keras) == compile_config
    h5 = Convertible(
        Path("m.h5"),
        "m.h5",
        "keras-h5",
        ("keras-h5",),
        raw={"training_config": {"loss": "mse"}, "compile_config": None},
    )
    assert source_training_config(h5) == {"loss": "mse"}
    assert source_training_config(Convertible(Path("m.h5"), "m.h5", "keras-h5", ())) is None


def test_user_inputs_that_cannot_be_read_without_pickle_are_one_line(tmp_path):
    """--inputs with an object array (what np.array(["a"], dtype=object) saves) or a file that
    is no .npz: a ConversionError saying how to save them, never an internal error."""
    from migrator.convert.validation_inputs import load_user_inputs

    signature = [{"name": "default", "shape": [None], "dtype": "string"}]
    objects = tmp_path / "objects.npz"
    np.savez(objects, default=np.array([b"hello world"], dtype=object))
    with pytest.raises(ConversionError, match="object array") as raised:
        load_user_inputs(objects, signature)
    assert "np.array([b'some text'])" in raised.value.remedy
    text = tmp_path / "inputs.npz"
    text.write_text("not a zip")
    with pytest.raises(ConversionError, match="cannot be read as an .npz"):
        load_user_inputs(text, signature)
    good = tmp_path / "good.npz"
    np.savez(good, default=np.array([b"hello world", b"foo"]))
    (array,) = load_user_inputs(good, signature)
    assert array.tolist() == [b"hello world", b"foo"]
