"""TF1 Hub modules against the real TensorFlow of each tox env: the verdicts hold.

A TF1 Hub module is built the way `hub.Module(...).export()` lays it out (tensorflow_hub
native_module.py / saved_model_lib.py): a graph-mode SavedModel whose MetaGraphs are the graph
variants `set()` and `{"train"}`, each with the `default` signature, plus `tfhub_module.pb`
(ModuleDef FORMAT_V3). tensorflow_hub itself is not installed in the envs; what `hub.load` does
with such a module is `tf.saved_model.load(path, tags=[])` (tensorflow_hub module_v2.py), which
is what these tests run. Each prediction of `migrator audit` for the env's TF line is checked
against what really happens.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from migrator import loadability
from migrator.audit import audit
from migrator.formats import protos

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def tf():  # type: ignore[no-untyped-def]
    return pytest.importorskip("tensorflow")


def build_module(tf, folder: Path, variants: list[list[str]]) -> Path:
    """y = x @ w + 1 in TF1 graph mode, one MetaGraph per variant, signature `default`."""
    builder = tf.compat.v1.saved_model.Builder(str(folder))
    for index, tags in enumerate(variants):
        graph = tf.Graph()
        with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
            x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
            w = tf.compat.v1.get_variable("w", initializer=tf.constant([[1.0], [2.0]]))
            y = tf.identity(tf.matmul(x, w) + 1.0, name="y")
            session.run(tf.compat.v1.global_variables_initializer())
            signature = tf.compat.v1.saved_model.predict_signature_def(
                inputs={"default": x}, outputs={"default": y}
            )
            if index == 0:
                builder.add_meta_graph_and_variables(
                    session, tags, signature_def_map={"default": signature}
                )
            else:
                builder.add_meta_graph(tags, signature_def_map={"default": signature})
    builder.save()
    module_def = protos.message_class("ModuleDef")(format=3)
    (folder / "tfhub_module.pb").write_bytes(module_def.SerializeToString())
    return folder


def cells(tf, path: Path) -> tuple[str, dict[str, dict[str, str]]]:
    (artifact,) = audit([path], judges=[loadability.judge]).artifacts
    assert artifact.format == "tfhub-module", artifact.errors
    line = ".".join(tf.__version__.split(".")[:2])
    return line, {
        k.split("/", 1)[1]: dict(v)
        for k, v in artifact.loadability.items()
        if k.startswith(line + "/")
    }


def test_two_variants_need_tags_and_hub_load_semantics_run(tf, tmp_path: Path) -> None:
    module = build_module(tf, tmp_path / "module", [[], ["train"]])
    _, predicted = cells(tf, module)
    assert predicted["tf.saved_model.load"]["verdict"] == "loads-with-changes"
    with pytest.raises(ValueError, match="tags"):
        tf.saved_model.load(str(module))
    loaded = tf.saved_model.load(str(module), tags=[])  # what hub.load passes for v1 modules
    out = loaded.signatures["default"](default=tf.constant([[1.0, 1.0]]))
    np.testing.assert_allclose(out["default"].numpy(), [[4.0]])
    assert predicted["keras.load_model"]["verdict"] == "fails"
    if "keras.layers.TFSMLayer" in predicted:
        assert predicted["keras.layers.TFSMLayer"]["verdict"] == "fails"
        import keras

        with pytest.raises(ValueError, match="tags"):
            keras.layers.TFSMLayer(str(module), call_endpoint="default")


def test_one_variant_loads_and_tfsm_layer_calls_default(tf, tmp_path: Path) -> None:
    module = build_module(tf, tmp_path / "module", [[]])
    _, predicted = cells(tf, module)
    assert predicted["tf.saved_model.load"]["verdict"] == "loads"
    loaded = tf.saved_model.load(str(module))
    out = loaded.signatures["default"](default=tf.constant([[0.0, 1.0]]))
    np.testing.assert_allclose(out["default"].numpy(), [[3.0]])
    if "keras.layers.TFSMLayer" in predicted:
        assert predicted["keras.layers.TFSMLayer"]["verdict"] == "loads-with-changes"
        import keras

        layer = keras.layers.TFSMLayer(str(module), call_endpoint="default")
        result = layer(tf.constant([[0.0, 1.0]]))
        value = result["default"] if isinstance(result, dict) else result
        np.testing.assert_allclose(np.asarray(value), [[3.0]])
