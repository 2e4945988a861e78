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

import json
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


# --- conversion: a module exported as tensorflow_hub writes it, converted by migrator -----------

W = np.array([[1.0], [2.0]], dtype=np.float32)
VOCABULARY = ["<unk>", "hello", "world", "foo"]
EMBEDDINGS = np.arange(8, dtype=np.float32).reshape(4, 2)


def linear_module(tf):  # type: ignore[no-untyped-def]
    """A hub module_fn: y = x @ w + 1 as `default`, and a second signature `doubled`."""
    v1 = tf.compat.v1
    x = v1.placeholder(tf.float32, [None, 2], name="x")
    w = v1.get_variable("w", initializer=tf.constant(W), use_resource=False)
    y = tf.identity(tf.matmul(x, w) + 1.0, name="y")
    doubled = tf.identity(y * 2.0, name="doubled")
    return {"default": ({"default": x}, {"default": y}), "doubled": ({"x": x}, {"y": doubled})}


def text_module(tf, vocabulary: Path):  # type: ignore[no-untyped-def]
    """A hub text embedding's module_fn: sentences -> words -> ids (a table over a vocabulary
    asset) -> mean of the words' embeddings, as nnlm-style TF1 modules are built."""
    v1 = tf.compat.v1
    sentences = v1.placeholder(tf.string, [None], name="sentences")
    path = tf.constant(str(vocabulary), name="vocabulary")  # TextFileInitializer lists it
    whole, number = tf.lookup.TextFileIndex.WHOLE_LINE, tf.lookup.TextFileIndex.LINE_NUMBER
    init = tf.lookup.TextFileInitializer(path, tf.string, whole, tf.int64, number)
    ids = tf.lookup.StaticHashTable(init, 0).lookup(tf.strings.split(sentences))
    table = v1.get_variable("embeddings", initializer=tf.constant(EMBEDDINGS), use_resource=False)
    mean = tf.math.segment_mean(tf.nn.embedding_lookup(table, ids.values), ids.value_rowids())
    return {"default": ({"default": sentences}, {"default": mean})}


def export_like_hub(tf, folder: Path, variants: list[list[str]], module_fn) -> Path:  # type: ignore[no-untyped-def]
    """A module laid out as tensorflow_hub's SavedModelHandler.export writes it (saved_model_lib):
    `module_fn` built once per graph variant, each graph written by
    `tf.compat.v1.train.export_meta_graph(strip_default_attrs=True)` with its tags and
    `hub.add_signature` signatures (`build_signature_def` without a method name) added and no
    saver_def; the ASSET_FILEPATHS constants replaced by an AssetFileDef collection and the files
    copied to `assets/` (_make_assets_key_collection); the variables saved by a Saver of the
    module's variable map into `variables/variables`; reference variables (VariableV2), as TF
    1.x made them."""
    import shutil

    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

    v1 = tf.compat.v1
    proto = saved_model_pb2.SavedModel()
    (folder / "variables").mkdir(parents=True)  # SavedModelHandler._save_variables makes it
    for index, tags in enumerate(variants):
        graph = tf.Graph()
        with graph.as_default():
            signatures = module_fn(tf)
            info = v1.saved_model.utils.build_tensor_info
            build = v1.saved_model.signature_def_utils.build_signature_def
            meta = v1.train.export_meta_graph(strip_default_attrs=True)
            meta.meta_info_def.tags.extend(tags)
            for key, (inputs, outputs) in signatures.items():
                meta.signature_def[key].CopyFrom(
                    build(
                        {k: info(t) for k, t in inputs.items()},
                        {k: info(t) for k, t in outputs.items()},
                    )
                )
            for tensor in dict.fromkeys(v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS)):
                node = next(n for n in meta.graph_def.node if n.name == tensor.op.name)
                source = Path(node.attr["value"].tensor.string_val[0].decode())
                node.attr["value"].tensor.string_val[0] = b"SAVEDMODEL-ASSET"
                asset = meta_graph_pb2.AssetFileDef(filename=source.name)
                asset.tensor_info.name = tensor.name
                meta.collection_def["saved_model_assets"].any_list.value.add().Pack(asset)
                (folder / "assets").mkdir(exist_ok=True)
                shutil.copyfile(source, folder / "assets" / source.name)
            proto.meta_graphs.append(meta)
            if index == 0:
                with v1.Session(graph=graph) as session:
                    session.run(v1.global_variables_initializer())
                    v1.train.Saver({v.op.name: v for v in v1.global_variables()}).save(
                        session,
                        str(folder / "variables" / "variables"),
                        write_meta_graph=False,
                        write_state=False,
                    )
    assert not proto.meta_graphs[0].HasField("saver_def")  # what sets a hub module apart
    (folder / "saved_model.pb").write_bytes(proto.SerializeToString())
    module_def = protos.message_class("ModuleDef")(format=3)
    (folder / "tfhub_module.pb").write_bytes(module_def.SerializeToString())
    return folder


def _convert(folder: Path, out: Path, *args: str) -> tuple[int, dict]:
    import contextlib
    import io

    from migrator.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["convert", str(folder), "-o", str(out), "--json", *args])
    return code, json.loads(buffer.getvalue())


def _latest_env_only() -> None:
    from tests.test_convert_tf import _in_latest_env

    if not _in_latest_env():
        pytest.skip("conversion tests run under the latest TF env (tox -e tf221)")


@pytest.mark.latest
def test_tf1_hub_module_converts_to_a_tf2_savedmodel_serving_default(tf, tmp_path: Path) -> None:
    _latest_env_only()
    module = export_like_hub(tf, tmp_path / "module", [[], ["train"]], linear_module)
    before = sorted((p.relative_to(module).as_posix(), p.read_bytes()) for p in module.rglob("*.*"))
    code, report = _convert(module, tmp_path / "out")
    assert code == 0, report
    (done,) = report["converted"]
    (output,) = done["outputs"]
    assert output["target"] == "saved-model"
    version = Path(output["path"])
    assert version == tmp_path / "out" / "module" / "savedmodel" / "v1"
    meta = json.loads((version / "metadata.json").read_text())
    assert [s["name"] for s in meta["conversion"]["steps"]] == ["tfhub-module-to-tf2"]
    assert "tf.compat.v1 Session" in output["source_run"]  # the TF1 graph ran beside the output
    assert output["max_abs_diff"] is not None and output["max_abs_diff"] <= 1e-5

    loaded = tf.saved_model.load(str(version))
    assert {"serving_default", "default", "doubled"} <= set(loaded.signatures)
    x = np.array([[1.0, 1.0], [0.5, -2.0]], dtype=np.float32)
    served = loaded.signatures["serving_default"](default=tf.constant(x))
    np.testing.assert_allclose(served["default"].numpy(), x @ W + 1.0, rtol=1e-6)
    doubled = loaded.signatures["doubled"](x=tf.constant(x))
    np.testing.assert_allclose(doubled["y"].numpy(), (x @ W + 1.0) * 2.0, rtol=1e-6)
    after = sorted((p.relative_to(module).as_posix(), p.read_bytes()) for p in module.rglob("*.*"))
    assert after == before  # the source is only read


@pytest.mark.latest
def test_tf1_hub_text_module_converts_validated_on_sentences_of_its_vocabulary(
    tf, tmp_path: Path
) -> None:
    _latest_env_only()
    vocabulary = tmp_path / "tokens.txt"
    vocabulary.write_text("\n".join(VOCABULARY) + "\n")
    module = export_like_hub(
        tf, tmp_path / "nnlm", [[], ["train"]], lambda tf: text_module(tf, vocabulary)
    )
    vocabulary.unlink()  # the module's own copy under assets/ is what must be used
    code, report = _convert(module, tmp_path / "out")
    assert code == 0, report
    (output,) = report["converted"][0]["outputs"]
    assert output["max_abs_diff"] == 0.0
    meta = json.loads((Path(output["path"]) / "metadata.json").read_text())
    # the words after the first (<unk>), in two sentences
    notes = " ".join(meta["conversion"]["notes"])
    assert "sentences of the module's vocabulary ([b'hello', b'world foo'])" in notes
    assert meta["validation"]["inputs"]["arrays"][0]["shape"] == [2]
    loaded = tf.saved_model.load(output["path"])
    served = loaded.signatures["serving_default"](default=tf.constant(["hello world", "foo"]))
    expected = [EMBEDDINGS[[1, 2]].mean(axis=0), EMBEDDINGS[3]]
    np.testing.assert_allclose(served["default"].numpy(), expected)


@pytest.mark.latest
def test_real_hub_modules_convert(tf, tmp_path: Path) -> None:
    from tests.test_tfhub import _realworld_hub_entries

    _latest_env_only()
    modules = _realworld_hub_entries()
    if not modules:
        pytest.skip("no TF Hub module in ../shared/realworld*/MANIFEST.json")
    for index, folder in enumerate(modules):
        code, report = _convert(folder, tmp_path / f"out{index}")
        assert code == 0 and report["summary"]["converted"] == 1, (folder, report)
