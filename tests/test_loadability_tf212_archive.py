"""tf.keras 2.12 `save_format="keras_v3"` archives in later loaders, from the cause.

tf.keras 2.15+ and tf_keras look for `.keras` weights under `layers/` only; Keras 3.0.0-3.0.1
too; Keras 3.0.2+ falls back to 2.12's `_layer_checkpoint_dependencies/` by name, which works
unless 2.12 numbered a layer otherwise (it counted every layer with weights twice). Measured with the tox
runtimes: a one-Dense and a Dense/Dropout/BatchNormalization Sequential load in Keras 3.3.3 and
3.15.1, a two-Dense one does not; tf_keras fails all three.
"""

from __future__ import annotations

import pytest

from migrator.loadability import predict_cells
from migrator.loadability.runtimes import Runtime, labelled
from tests.test_keras_v3_tf212 import _artifact, write_tf212_keras_v3


def _layer(class_name: str, name: str) -> dict:
    return {"module": "keras.layers", "class_name": class_name, "config": {"name": name}}


def _archive(tmp_path, classes: list[str]):
    """A 2.12 keras_v3 archive whose Sequential holds layers of `classes`."""
    import json
    import zipfile

    path = write_tf212_keras_v3(tmp_path / "m.keras")
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"] = [config["config"]["layers"][0]] + [
        _layer(c, f"l{i}") for i, c in enumerate(classes)
    ]
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return _artifact(path)


def test_keras3_maps_the_2_12_layout_when_every_name_matches(tmp_path):
    for classes in (["Dense"], ["Dense", "Dropout", "BatchNormalization"], ["Dropout", "Dropout"]):
        cells = predict_cells(_archive(tmp_path, classes))
        assert cells["2.16/keras.load_model"].verdict == "loads", classes
        assert cells["2.21/keras.load_model"].verdict == "loads", classes
        assert cells["2.21/tf_keras.load_model"].verdict == "fails", classes
        assert cells["2.15/keras.load_model"].verdict == "fails", classes


def test_a_second_layer_with_weights_of_a_class_is_not_found(tmp_path):
    cells = predict_cells(_archive(tmp_path, ["Dense", "Dropout", "Dense"]))
    cell = cells["2.21/keras.load_model"]
    assert cell.verdict == "fails" and "`l2`" in cell.reason and "`l0`" not in cell.reason


def test_keras_3_0_2_added_the_fallback(tmp_path):
    # saving_lib.py of the 3.0.1 wheel has no `_layer_checkpoint_dependencies`, 3.0.2's has;
    # measured: tf214 archives load in Keras 3.0.5 (the tf216-keras30 overlay)
    keras301 = labelled(Runtime((2, 16), (3, 0, 1)))
    cells = predict_cells(_archive(tmp_path, ["Dense"]), [keras301])
    assert cells[f"{keras301.label}/keras.load_model"].verdict == "fails"
    for version in ((3, 0, 2), (3, 0, 5), (3, 1)):
        runtime = labelled(Runtime((2, 16), version))
        cells = predict_cells(_archive(tmp_path, ["Dense"]), [runtime])
        assert cells[f"{runtime.label}/keras.load_model"].verdict == "loads", version


# --- measured: archives tf.keras 2.12 writes, loaded by this env's Keras (tox TF envs)

_WRITE = """
import sys, tensorflow as tf
L = tf.keras.layers
models = {
    "one": [L.Dense(2)],
    "mixed": [L.Dense(3), L.Dropout(0.1), L.BatchNormalization()],
    "two": [L.Dense(3), L.Dense(2)],
}
for name, layers in models.items():
    tf.keras.Sequential([L.Input((4,)), *layers]).save(
        f"{sys.argv[1]}/{name}.keras", save_format="keras_v3"
    )
"""
_LOAD = """
import sys, keras
for path in sys.argv[1:]:
    try:
        keras.models.load_model(path)
        print("loads")
    except Exception:
        print("fails")
"""


@pytest.mark.tf
def test_tf212_archives_load_in_this_env_as_predicted(tmp_path):
    import os
    import subprocess
    import sys
    from importlib import metadata

    from migrator.convert import runtimes

    pytest.importorskip("tensorflow")
    if not metadata.version("keras").startswith("3."):
        pytest.skip("Keras 2 lines find no weights in any of them: the core tests say so")
    tf212 = runtimes.find("tf212")
    if tf212 is None:
        pytest.skip("no tf212 runtime (MIGRATOR_RUNTIME_TF212)")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1"}
    env.pop("PYTHONPATH", None)
    subprocess.run([str(tf212.python), "-c", _WRITE, str(tmp_path)], check=True, env=env)
    paths = [tmp_path / f"{name}.keras" for name in ("one", "mixed", "two")]
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, *map(str, paths)],
        capture_output=True, text=True, env=env, check=True, timeout=600,
    )  # fmt: skip
    measured = done.stdout.split()[-3:]
    version = metadata.version
    tf = tuple(int(p) for p in version("tensorflow-cpu").split(".")[:3])
    keras = tuple(int(p) for p in version("keras").split(".")[:3])
    runtime = labelled(Runtime(tf, keras))
    predicted = [
        predict_cells(_artifact(path), [runtime])[f"{runtime.label}/keras.load_model"].verdict
        for path in paths
    ]
    assert predicted == measured, (runtime.describe(), predicted, measured)


def _with_legacy_optimizer(path, keras_version: str):
    """Rewrite an archive's config.json with a legacy Adam compile config and its version."""
    import json
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    config["compile_config"] = {
        "optimizer": {
            "module": "keras.optimizers.legacy",
            "class_name": "Adam",
            "config": {"name": "Adam", "learning_rate": 0.01},
        },
        "loss": "mse",
    }
    members["config.json"] = json.dumps(config).encode()
    members["metadata.json"] = json.dumps({"keras_version": keras_version}).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return _artifact(path)


def test_a_legacy_optimizer_needs_compile_false_before_tf_keras_2_15(tmp_path):
    # tf.keras 2.12-2.14 build the optimizer of the compile config; legacy ones have no build().
    # Those lines write (and read) `_layer_checkpoint_dependencies/`; 2.15 writes `layers/`.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for minor, written in ((13, "2.13.1"), (14, "2.14.0")):
        (tmp_path / written).mkdir()
        names = ("dense", "dense_1") if minor >= 14 else ("dense", "dense_2")  # each its walk's
        old = _with_legacy_optimizer(
            write_tf212_keras_v3(tmp_path / written / "m.keras", names=names), written
        )
        runtime = labelled(Runtime((2, minor), (2, minor)))
        cell = predict_cells(old, [runtime])[f"2.{minor}/keras.load_model"]
        assert cell.needs == ("compile=False", "optimizer_reset"), cell.reason
        assert "legacy optimizer `Adam`" in cell.reason
    new = _with_legacy_optimizer(
        write_tf212_keras_v3(tmp_path / "b/m.keras", ("layers",)), "2.15.0"
    )
    tf215 = labelled(Runtime((2, 15), (2, 15)))
    assert predict_cells(new, [tf215])["2.15/keras.load_model"].verdict == "loads"


def test_tf_keras_2_13_and_2_14_read_the_old_layout_and_not_the_new(tmp_path):
    # their saving walk meets `_layer_checkpoint_dependencies` before `layers` (measured in
    # tf213 and tf214), but 2.14 numbers a container's layers compactly
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    old = _artifact(write_tf212_keras_v3(tmp_path / "a/m.keras"))
    new = _artifact(write_tf212_keras_v3(tmp_path / "b/m.keras", ("layers",)))
    for minor in (13, 14):
        runtime = labelled(Runtime((2, minor), (2, minor)))
        key = f"2.{minor}/keras.load_model"
        assert predict_cells(new, [runtime])[key].verdict == "fails"
    # the second Dense is `dense_2` in 2.12's walk and 2.13's, `dense_1` in 2.14's (measured)
    tf213, tf214 = (labelled(Runtime((2, m), (2, m))) for m in (13, 14))
    assert predict_cells(old, [tf213])["2.13/keras.load_model"].verdict == "loads"
    cell = predict_cells(old, [tf214])["2.14/keras.load_model"]
    assert cell.verdict == "fails" and "`out`" in cell.reason
