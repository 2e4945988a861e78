"""Config rewrites without TensorFlow: Keras 1 layers with an exact modern equivalent, layers
that have none, and the Keras 2 form CPU runtimes build for validation."""

from __future__ import annotations

from typing import Any

import pytest

from migrator.convert.config_rewrite import rewrite
from migrator.errors import NoFaithfulMapping
from migrator.knowledge.keras1 import (
    KERAS1_CLASS_RENAMES,
    KERAS1_CLASSES,
    KERAS1_REMOVED_LAYERS,
    KERAS1_WRAPPED_EQUIVALENTS,
)


def _keras1_sequential(*layers: dict[str, Any]) -> dict[str, Any]:
    return {"class_name": "Sequential", "config": list(layers)}


TDD = {
    "class_name": "TimeDistributedDense",
    "config": {
        "name": "tdd_1",
        "output_dim": 3,
        "init": "glorot_uniform",
        "activation": "relu",
        "W_regularizer": None,
        "b_regularizer": None,
        "activity_regularizer": None,
        "W_constraint": None,
        "b_constraint": None,
        "bias": True,
        "input_dim": 4,
        "input_length": 5,
        "batch_input_shape": [None, 5, 4],
        "input_dtype": "float32",
        "trainable": True,
    },
}


@pytest.mark.parametrize("target", ["keras2", "keras3"])
def test_time_distributed_dense_becomes_time_distributed_dense(target: str) -> None:
    rw = rewrite(_keras1_sequential(TDD), keras_version="1.2.2", target=target)
    layers = rw.config["config"]["layers"]
    wrapper = next(entry for entry in layers if entry["class_name"] == "TimeDistributed")
    inner = wrapper["config"]["layer"]
    assert inner["class_name"] == "Dense"
    assert inner["config"]["units"] == 3
    assert inner["config"]["activation"] == "relu"
    assert inner["config"]["use_bias"] is True
    assert wrapper["config"]["name"] == "tdd_1"  # the weights are stored under this name
    assert any("TimeDistributedDense -> TimeDistributed(Dense)" in c for c in rw.changes)


def test_every_keras1_class_is_either_mapped_or_refused_with_a_reason() -> None:
    """The knowledge covers every Keras 1-only class: renamed, wrapped, merged, or removed."""
    handled = (
        set(KERAS1_CLASS_RENAMES) | set(KERAS1_WRAPPED_EQUIVALENTS) | set(KERAS1_REMOVED_LAYERS)
    )
    assert KERAS1_CLASSES - handled - {"Merge"} == set()
    assert not set(KERAS1_WRAPPED_EQUIVALENTS) & set(KERAS1_REMOVED_LAYERS)


@pytest.mark.parametrize("cls", ["Highway", "MaxoutDense"])
def test_layers_without_an_equivalent_are_refused_naming_the_layer(cls: str) -> None:
    entry = {"class_name": cls, "config": {"name": "odd_1", "output_dim": 3, "input_dim": 3}}
    with pytest.raises(NoFaithfulMapping) as info:
        rewrite(_keras1_sequential(entry), keras_version="1.2.2")
    assert "odd_1" in str(info.value) and cls in str(info.value)


def test_keras2_form_runs_cudnn_layers_as_their_portable_twins() -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "Bidirectional",
                    "config": {
                        "name": "bi",
                        "layer": {"class_name": "CuDNNGRU", "config": {"name": "g", "units": 2}},
                    },
                },
                {"class_name": "CuDNNLSTM", "config": {"name": "l", "units": 2}},
            ],
        },
    }
    rw = rewrite(config, keras_version="2.2.4", target="keras2")
    bi, lstm = rw.config["config"]["layers"]
    assert bi["config"]["layer"]["class_name"] == "GRU"
    assert bi["config"]["layer"]["config"]["reset_after"] is True
    assert lstm["class_name"] == "LSTM"
    assert lstm["config"]["recurrent_activation"] == "sigmoid"


def test_tf_keras_layers_keras3_lacks_are_refused_naming_layer_and_remedy() -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [{"class_name": "DenseFeatures", "config": {"name": "features"}}],
        },
    }
    with pytest.raises(NoFaithfulMapping) as info:
        rewrite(config, keras_version="2.8.0")
    assert "'features'" in str(info.value) and "DenseFeatures" in str(info.value)
