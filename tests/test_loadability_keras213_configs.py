"""What tf.keras 2.13+ writes into a `.keras` config that tf.keras 2.12 cannot read.

Measured (corpus/matrix_extended.json, tf212 column): every `.keras` Functional model tf.keras 2.13
wrote fails in 2.12 ("parent module keras.src.engine.functional cannot be imported"), and its
registered custom layer is unknown ("Unknown layer: 'ScaleShift'") although the probe registers
the class; the Sequential models without custom layers load. 2.13 itself reads both.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from migrator.loadability import predict_cells
from migrator.loadability.runtimes import Runtime, labelled
from tests.test_keras_v3_tf212 import _artifact, write_tf212_keras_v3

TF212, TF213 = (labelled(Runtime((2, m), (2, m))) for m in (12, 13))


def _archive(path: Path, edit) -> object:
    """A tf.keras 2.13 `.keras` (its walk's weights), config.json changed by `edit`."""
    write_tf212_keras_v3(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    members["metadata.json"] = json.dumps({"keras_version": "2.13.1"}).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return _artifact(path)


def _functional(config: dict) -> None:
    config.update(
        module="keras.src.engine.functional", class_name="Functional", registered_name="Functional"
    )


def _registered(config: dict) -> None:
    layer = config["config"]["layers"][1]
    layer.update(module="corpus.models", registered_name="migrator_corpus>Dense")


def _plain(config: dict) -> None:
    for layer in config["config"]["layers"]:
        layer.update(module="keras.layers", registered_name=None)


def _cell(artifact, runtime):
    return predict_cells(artifact, [runtime])[f"{runtime.label}/keras.load_model"]


def test_a_keras_src_module_is_not_importable_in_2_12(tmp_path):
    artifact = _archive(tmp_path / "m.keras", _functional)
    cell = _cell(artifact, TF212)
    assert cell.verdict == "fails"
    assert "keras.src" in cell.reason and "tf.keras 2.13+" in cell.reason
    assert _cell(artifact, TF213).verdict == "loads"


def test_a_registered_name_is_not_read_by_2_12(tmp_path):
    artifact = _archive(tmp_path / "m.keras", _registered)
    cell = _cell(artifact, TF212)
    assert cell.verdict == "fails" and cell.needs == ()
    assert "custom_objects={'Dense': Dense}" in cell.reason
    # 2.13 finds the registered class (the probe's registration): a change, not a failure
    assert _cell(artifact, TF213).verdict == "loads-with-changes"


def test_modules_and_null_registered_names_of_built_ins_load_in_2_12(tmp_path):
    artifact = _archive(tmp_path / "m.keras", _plain)
    assert _cell(artifact, TF212).verdict == "loads"


def _engine_functional(config: dict) -> None:
    """What tf.keras 2.12 writes for a Functional model (keras/engine/functional.py)."""
    config.update(module="keras.engine.functional", class_name="Functional")


def test_a_keras_engine_module_of_2_12_is_not_importable_in_2_13_or_tf_keras(tmp_path):
    # measured: tf212/keras/functional/save-format-keras-v3 fails in tf.keras 2.13-2.15 and
    # tf_keras ("parent module keras.engine.functional cannot be imported"), loads in 2.12
    artifact = _archive(tmp_path / "m.keras", _engine_functional)
    assert _cell(artifact, TF212).verdict == "loads"
    cell = _cell(artifact, TF213)
    assert cell.verdict == "fails" and "keras.engine" in cell.reason
    # 2.15 also fails, first for the weights layout it does not read
    assert _cell(artifact, labelled(Runtime((2, 15), (2, 15)))).verdict == "fails"
    tf_keras = labelled(Runtime((2, 21), (3, 15), (2, 21)))
    cells = predict_cells(artifact, [tf_keras])
    assert cells[f"{tf_keras.label}/tf_keras.load_model"].verdict == "fails"
    # the `keras.src` layout of 2.13 is not this check's: it still loads in 2.13
    assert _cell(_archive(tmp_path / "src.keras", _functional), TF213).verdict == "loads"
