"""tf.keras 2.12's experimental `save_format="keras_v3"` archive, without TensorFlow.

The archive is built here byte for byte as tf.keras 2.12.0 writes it (members, config shape,
weights under `_layer_checkpoint_dependencies/<snake_case class>[_N]/vars/<i>`, checked against
a real one written by the tf212 runtime: tests/test_convert_tree.py converts that one).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np

from migrator.audit import audit
from migrator.convert import Options, plan
from migrator.convert.classify import classify
from migrator.loadability import predict_cells


def _dense(name: str, units: int) -> dict:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": name, "units": units, "activation": "linear", "use_bias": True},
        "registered_name": None,
    }


def write_tf212_keras_v3(
    path: Path,
    groups: tuple[str, ...] = ("_layer_checkpoint_dependencies",),
    names: tuple[str, str] = ("dense", "dense_2"),  # 2.12-2.13's numbering; 2.14's: dense_1
):
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "x"},
                },
                _dense("hidden", 3),
                _dense("out", 2),
            ],
        },
        "registered_name": None,
    }
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        top = groups[0]
        for name, shape in zip(names, ((4, 3), (3, 2)), strict=True):
            vars_ = h5.create_group(f"{top}/{name}/vars")
            vars_["0"] = np.zeros(shape, np.float32)
            vars_["1"] = np.zeros(shape[1], np.float32)
        for extra in groups[1:]:
            h5.create_group(extra)
        h5.create_group("vars")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "2.12.0"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", buffer.getvalue())
    return path


def _artifact(path: Path):
    report = audit([path])
    (artifact,) = report.artifacts
    return artifact


def test_reader_records_the_tf212_layout(tmp_path):
    artifact = _artifact(write_tf212_keras_v3(tmp_path / "m.keras"))
    assert artifact.format == "keras-v3"
    assert artifact.details["weights_layout"] == "tf.keras-2.12"
    assert any("_layer_checkpoint_dependencies/" in e for e in artifact.reading.evidence)


def test_a_layers_layout_archive_is_not_mistaken_for_one(tmp_path):
    artifact = _artifact(write_tf212_keras_v3(tmp_path / "m.keras", ("layers",)))
    assert artifact.details["weights_layout"] == "layers"
    source = classify(artifact, Options(), [])
    assert source.kinds == ("tf-keras-v3",)


def test_only_tf212_loads_it_and_migrator_converts_it_with_its_own_step(tmp_path):
    artifact = _artifact(write_tf212_keras_v3(tmp_path / "m.keras"))
    cells = predict_cells(artifact)
    for cell in (
        "2.15/keras.load_model",
        "2.16/tf_keras.load_model",
        "2.21/keras.load_model",
        "2.21/keras.load_weights",
    ):
        assert cells[cell].verdict == "fails", cell
        assert "_layer_checkpoint_dependencies" in cells[cell].reason
    assert cells["2.12/keras.load_model"].verdict != "fails"
    source = classify(artifact, Options(), [])
    assert source.kinds == ("tf212-keras-v3",)
    assert [s.name for s in plan(source, "keras")] == ["tf212-keras-v3-to-keras"]


def test_walk_names_follow_tf212_snake_case():
    from migrator.convert.steps.tf212_keras_v3_to_keras import snake_case

    assert snake_case("Dense") == "dense"
    assert snake_case("BatchNormalization") == "batch_normalization"
    assert snake_case("Conv2DTranspose") == "conv2d_transpose"
    assert snake_case("LSTM") == "lstm"
