"""Conversion of the families real, never-seen artifacts showed (issue 14), under the latest TF env.

Each family is tested on the second real-world batch (`../shared/realworld2/`, read in place,
skipped where absent) and, where the project can make one, on a generated case:
TF.js layers models (float32 and uint8-quantized shards) -> `.keras`; Keras 1
`TimeDistributedDense`; a Sequential nesting a Functional (Teachable Machine); CuDNNLSTM
weights + YAML; TF1 SavedModels taking serialized tf.Example (inputs derived from the graph's
parse ops, every signature kept and exercised); frozen GraphDefs whose Placeholder shapes are
empty. Every published output is loaded in a fresh interpreter without migrator on its path and
every signature it has is run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from migrator.convert import Options
from migrator.convert.tree import convert_path
from tests.conftest import REPO

pytestmark = [pytest.mark.tf, pytest.mark.latest]

REALWORLD2 = Path(os.environ.get("MIGRATOR_REALWORLD2", REPO.parent / "shared" / "realworld2"))

# entry id -> the conversion kind it must go through (all convert and validate).
CONVERTIBLE = {
    "aa760_tfjs_text": "tfjs-layers",  # uint8-quantized shards, Bidirectional LSTMs
    "amazon_tfjs_2019": "tfjs-layers",
    "housingml_tfjs0x_noext_shard": "tfjs-layers",  # early manifest, shard without .bin
    "tm_0n1cky1_keras_model_h5": "keras-h5",  # Sequential nesting a Functional MobileNet
    "astryx_rnn_h5_plus_yaml": "keras-weights+arch",  # CuDNNLSTM weights + YAML
    "guoliufang_serving": "tf1-saved-model",  # tf.Example input, lookup table, 2 signatures
    "shawpan_tf114_estimator_3sigs": "tf1-saved-model",  # estimator, 3 signatures
    "iris_keras_serving_tf1": "tf1-saved-model",
    "octf_serving_sm": "tf1-saved-model",  # input channels known only from the Conv2D kernel
    "neuralenc_frozen_pb": "graph-def",  # Placeholder with an empty shape attr
    "charrnn_frozen_pb": "graph-def",
}


def _in_latest_env() -> bool:
    from migrator.convert import runtimes

    here = runtimes.current()
    try:
        latest = runtimes.latest()
    except Exception:
        return False
    return here is not None and here.has_keras3 and here.tf_line >= latest.tf_line


@pytest.fixture(autouse=True, scope="module")
def _latest_env_only() -> None:
    if not _in_latest_env():
        pytest.skip("the conversion tests run under the latest TF env (tox -e tf221)")


def _entry(entry_id: str) -> Path:
    folder = REALWORLD2 / "artifacts" / entry_id
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the second real-world batch is not installed)")
    return folder


_FRESH = r"""
import json, sys
import numpy as np
paths = json.loads(sys.argv[1])
known = json.loads(sys.argv[2])  # input name -> shape, from each output's metadata.json
out = {}
for kind, path in paths:
    try:
        if kind == "keras":
            import keras
            model = keras.models.load_model(path)
            feeds = []
            for t in model.inputs:
                shape = [2 if d is None else d for d in t.shape]
                dtype = str(t.dtype)
                feeds.append(np.zeros(shape, dtype=dtype) if "int" in dtype
                             else np.random.default_rng(0).uniform(size=shape).astype(dtype))
            model(feeds[0] if len(feeds) == 1 else feeds, training=False)
            out[path] = ["keras"]
        else:
            import tensorflow as tf
            loaded = tf.saved_model.load(path)
            ran = []
            for key, fn in loaded.signatures.items():
                args = {}
                for name, spec in fn.structured_input_signature[1].items():
                    if spec.dtype == tf.string:
                        args = None
                        break
                    shape = known.get(path, {}).get(name) or spec.shape.as_list() or []
                    shape = [2 if d is None else d for d in shape]
                    args[name] = tf.ones(shape if spec.shape.rank is not None else [2], spec.dtype)
                if args is not None:
                    fn(**args)
                ran.append(key)
            out[path] = sorted(ran)
    except Exception as exc:
        out[path] = "error: %s: %s" % (type(exc).__name__, str(exc)[:300])
print(json.dumps({"results": out, "migrator_imported": "migrator" in sys.modules}))
"""


def _published(outcome: object) -> list[tuple[str, str]]:
    """(kind, path) of every published output: the .keras file or the SavedModel folder."""
    found = []
    for output in getattr(outcome, "outputs", []):
        folder = Path(output["path"])
        for keras_file in sorted(folder.rglob("*.keras")):
            found.append(("keras", str(keras_file)))
        for pb in sorted(folder.rglob("saved_model.pb")):
            found.append(("saved-model", str(pb.parent)))
    return found


def _signature_shapes(items: list[tuple[str, str]]) -> dict[str, dict[str, list]]:
    """The input shapes each published output's metadata.json records (derived dimensions)."""
    shapes: dict[str, dict[str, list]] = {}
    for _, path in items:
        for folder in (Path(path), *Path(path).parents):
            meta = folder / "metadata.json"
            if meta.is_file():
                sig = json.loads(meta.read_text()).get("input_signature") or []
                shapes[path] = {str(s.get("name")): s.get("shape") for s in sig if s.get("shape")}
                break
    return shapes


def _load_fresh(items: list[tuple[str, str]], tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run(
        [sys.executable, "-c", _FRESH, json.dumps(items), json.dumps(_signature_shapes(items))],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=900,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _convert_and_check(src: Path, tmp: Path, kind: str) -> dict:
    report = convert_path(src, tmp / "out", Options())
    converted = [o for o in report.outcomes if o.status == "converted"]
    assert converted, [(o.path, o.status, o.reason) for o in report.outcomes]
    assert all(o.kind == kind for o in converted), [(o.path, o.kind) for o in converted]
    assert not [o for o in report.outcomes if o.status == "failed"], [
        (o.path, o.reason) for o in report.outcomes
    ]
    items = [item for o in converted for item in _published(o)]
    assert items
    fresh = _load_fresh(items, tmp)
    assert fresh["migrator_imported"] is False
    errors = {p: r for p, r in fresh["results"].items() if isinstance(r, str)}
    assert not errors, errors
    return fresh["results"]


@pytest.mark.parametrize("entry_id", sorted(CONVERTIBLE))
def test_realworld2_family_converts_validates_and_loads_fresh(entry_id, tmp_path):
    results = _convert_and_check(_entry(entry_id), tmp_path, CONVERTIBLE[entry_id])
    if entry_id == "shawpan_tf114_estimator_3sigs":  # every signature is kept
        (ran,) = [r for r in results.values() if isinstance(r, list) and r != ["keras"]]
        assert {"predict", "regression", "serving_default"} <= set(ran)


# --------------------------------------------------------------------------- generated cases


def _write_tfjs(folder: Path, *, quantize: bool) -> np.ndarray:
    """A tf.keras model as tensorflowjs_converter writes it (topology + manifest + one shard);
    returns the reference output of the model on a fixed input."""
    import tf_keras

    model = tf_keras.Sequential(
        [
            tf_keras.layers.InputLayer(input_shape=(5,)),
            tf_keras.layers.Dense(4, activation="relu", name="dense_a"),
            tf_keras.layers.Dense(2, name="dense_b"),
        ]
    )
    rng = np.random.default_rng(7)
    for layer in model.layers:
        layer.set_weights([rng.uniform(-1, 1, w.shape).astype("float32") for w in layer.weights])
    entries, chunks = [], []
    for weight in model.weights:
        value = weight.numpy()
        name = weight.name.split(":")[0]
        entry = {"name": name, "shape": list(value.shape), "dtype": "float32"}
        if quantize:
            low, high = float(value.min()), float(value.max())
            scale = (high - low) / 255.0
            q = np.round((value - low) / scale).astype("uint8")
            entry["quantization"] = {"dtype": "uint8", "scale": scale, "min": low}
            value = q.astype("float32") * np.float32(scale) + np.float32(low)
            weight.assign(value)
            chunks.append(q.tobytes())
        else:
            chunks.append(value.astype("<f4").tobytes())
        entries.append(entry)
    (folder / "group1-shard1of1.bin").write_bytes(b"".join(chunks))
    topology = {
        "keras_version": "2.15.0",
        "backend": "tensorflow",
        "model_config": json.loads(model.to_json()),
    }
    document = {
        "format": "layers-model",
        "generatedBy": "keras v2.15.0",
        "convertedBy": "TensorFlow.js Converter v4.0.0",
        "modelTopology": topology,
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": entries}],
    }
    (folder / "model.json").write_text(json.dumps(document))
    return model(np.ones((1, 5), "float32")).numpy()


@pytest.mark.parametrize("quantize", [False, True])
def test_tfjs_layers_model_converts_exactly_with_dequantized_weights(quantize, tmp_path):
    src = tmp_path / "web_model"
    src.mkdir()
    reference = _write_tfjs(src, quantize=quantize)
    _convert_and_check(src, tmp_path, "tfjs-layers")
    import keras

    (keras_file,) = sorted((tmp_path / "out").rglob("*.keras"))
    got = keras.models.load_model(keras_file)(np.ones((1, 5), "float32"))
    assert np.max(np.abs(np.asarray(got) - reference)) <= 1e-6


def _write_keras1_tdd(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A Keras 1.2.2 HDF5 with a TimeDistributedDense layer, written as Keras 1 wrote it."""
    import h5py

    config = {
        "class_name": "Sequential",
        "config": [
            {
                "class_name": "TimeDistributedDense",
                "config": {
                    "name": "timedistributeddense_1",
                    "output_dim": 3,
                    "init": "glorot_uniform",
                    "activation": "tanh",
                    "W_regularizer": None,
                    "b_regularizer": None,
                    "activity_regularizer": None,
                    "W_constraint": None,
                    "b_constraint": None,
                    "bias": True,
                    "input_dim": 4,
                    "input_length": 6,
                    "batch_input_shape": [None, 6, 4],
                    "input_dtype": "float32",
                    "trainable": True,
                },
            }
        ],
    }
    rng = np.random.default_rng(3)
    w, b = rng.uniform(-1, 1, (4, 3)).astype("float32"), rng.uniform(-1, 1, 3).astype("float32")
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"1.2.2"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"timedistributeddense_1"]
        group = weights.create_group("timedistributeddense_1")
        names = [b"timedistributeddense_1_W:0", b"timedistributeddense_1_b:0"]
        group.attrs["weight_names"] = names
        group.create_dataset(names[0].decode(), data=w)
        group.create_dataset(names[1].decode(), data=b)
    return w, b


def test_keras1_time_distributed_dense_converts_to_time_distributed_dense(tmp_path):
    src = tmp_path / "k1" / "tdd.h5"
    src.parent.mkdir()
    w, b = _write_keras1_tdd(src)
    _convert_and_check(src.parent, tmp_path, "keras-h5")
    import keras

    (keras_file,) = sorted((tmp_path / "out").rglob("*.keras"))
    model = keras.models.load_model(keras_file)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 6, 4)).astype("float32")
    expected = np.tanh(x @ w + b)
    assert np.max(np.abs(np.asarray(model(x)) - expected)) <= 1e-5


def _write_session_bundle(folder: Path) -> np.ndarray:
    """A SessionBundle as session_bundle's Exporter wrote it: reference variables, a sharded
    Saver checkpoint with prefix `export`, and `serving_signatures` in export.meta."""
    import tensorflow as tf
    from google.protobuf import any_pb2

    from migrator.formats import protos

    v1 = tf.compat.v1
    folder.mkdir(parents=True)
    weights = np.arange(6, dtype="float32").reshape(3, 2) / 10
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        w = v1.Variable(weights, name="w", use_resource=False)
        y = tf.identity(tf.matmul(x, w), name="y")
        saver = v1.train.Saver(sharded=True)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, str(folder / "export"), write_meta_graph=False)
            meta = v1.train.export_meta_graph(saver_def=saver.as_saver_def())
    sigs = protos.message_class("ServingSignatures")()
    sigs.default_signature.regression_signature.input.tensor_name = x.name
    sigs.default_signature.regression_signature.output.tensor_name = y.name
    sigs.named_signatures["inputs"].generic_signature.map["x"].tensor_name = x.name
    sigs.named_signatures["outputs"].generic_signature.map["y"].tensor_name = y.name
    packed = any_pb2.Any(
        type_url="type.googleapis.com/tensorflow.serving.Signatures",
        value=sigs.SerializeToString(),
    )
    meta.collection_def["serving_signatures"].any_list.value.append(packed)
    (folder / "export.meta").write_bytes(meta.SerializeToString())
    return weights


def test_session_bundle_with_serving_signatures_becomes_a_savedmodel(tmp_path):
    weights = _write_session_bundle(tmp_path / "bundle" / "00000001")
    results = _convert_and_check(tmp_path / "bundle", tmp_path, "session-bundle")
    (ran,) = results.values()
    assert ran == ["predict", "serving_default"]
    import tensorflow as tf

    (pb,) = sorted((tmp_path / "out").rglob("saved_model.pb"))
    fn = tf.saved_model.load(str(pb.parent)).signatures["predict"]
    x = np.ones((2, 3), "float32")
    got = fn(x=tf.constant(x))["y"].numpy()
    assert np.max(np.abs(got - x @ weights)) <= 1e-6
