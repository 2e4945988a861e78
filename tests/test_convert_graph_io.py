"""Graph exports whose interface is not plain dense tensors, under the latest TF env (issue 14).

- TF1 SavedModels whose signatures take a `tf.compat.v1.sparse_placeholder`, a ragged tensor, or
  return a SparseTensor: converted to TF2 signatures taking the components (named as
  `tf.saved_model.load` names them) and returning the composite, plus `composite.<key>`
  functions taking the composite itself; validated against the source Session, and every
  signature run in a fresh interpreter without migrator.
- tf.train.Saver checkpoints with a `.meta` MetaGraph: inputs and outputs inferred where the
  graph says them unambiguously, named with `--input-tensors` / `--output-tensors` where not
  (the refusal says so), on generated checkpoints and on `../shared/realworld2`.

Artifacts are written here with tf.compat.v1 exactly as TF 1.x code wrote them.
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
from tests.test_convert_unseen import REALWORLD2, _latest_env_only  # noqa: F401 (autouse)

pytestmark = [pytest.mark.tf, pytest.mark.latest]

# A fresh interpreter, migrator off the path: every signature of each SavedModel is called with
# valid inputs (sparse/ragged components built from a real composite, by their names), and each
# `composite.<key>` function with the composite itself. Prints {path: {key: outputs}}.
_FRESH = r"""
import json, sys
import numpy as np
import tensorflow as tf

def dense_for(spec):
    dims = [2 if d is None else d for d in (spec.shape.as_list() if spec.shape.rank is not None else [2])]
    if spec.dtype.is_integer:
        return tf.ones(dims, spec.dtype)
    return tf.constant(np.arange(1, 1 + int(np.prod(dims)), dtype="float32").reshape(dims), spec.dtype)

def as_json(value):
    if isinstance(value, tf.SparseTensor):
        return {"sparse": tf.sparse.to_dense(value).numpy().tolist()}
    if isinstance(value, tf.RaggedTensor):
        return {"ragged": value.to_list()}
    return value.numpy().tolist()

# the sparse inputs' components: two values in a dense_shape the exported graph accepts
sparse = json.loads(sys.argv[2])
out = {"migrator_imported": "migrator" in sys.modules, "results": {}}
for path in json.loads(sys.argv[1]):
    loaded = tf.saved_model.load(path)
    results = {}
    for key, fn in sorted(loaded.signatures.items()):
        specs = fn.structured_input_signature[1]
        feed = {}
        for name, spec in specs.items():
            base = name.rsplit("_", 1)[0]
            if name.endswith("_indices"):
                feed[name] = tf.constant(sparse["indices"], tf.int64)
            elif name.endswith("_values") and name[:-7] + "_indices" in specs:
                values = ["a", "b"] if spec.dtype == tf.string else [1, 2]
                feed[name] = tf.constant(values, spec.dtype)
            elif name.endswith("_dense_shape"):
                feed[name] = tf.constant(sparse["dense_shape"], tf.int64)
            elif "_component_" in name:
                rt = tf.ragged.constant([[1, 2], [3]], dtype=tf.int64)
                parts = tf.nest.flatten(rt, expand_composites=True)
                feed[name] = parts[int(name.rsplit("_", 1)[1])]
            else:
                feed[name] = dense_for(spec)
        results[key] = {k: as_json(v) for k, v in fn(**feed).items()}
    holder = getattr(loaded, "composite", None)
    for name in sorted(dir(holder)) if holder is not None else []:
        fn = getattr(holder, name)
        if not hasattr(fn, "input_signature") or name.startswith("_"):
            continue
        args = []
        for spec in fn.input_signature:
            if isinstance(spec, tf.SparseTensorSpec):
                values = ["a", "b"] if spec.dtype == tf.string else [1, 2]
                args.append(tf.SparseTensor(sparse["indices"], tf.constant(values, spec.dtype),
                                            sparse["dense_shape"]))
            elif isinstance(spec, tf.RaggedTensorSpec):
                args.append(tf.ragged.constant([[1, 2], [3]], dtype=tf.int64))
            else:
                args.append(dense_for(spec))
        results["composite." + name] = {k: as_json(v) for k, v in fn(*args).items()}
    out["results"][path] = results
print(json.dumps(out))
"""


SPARSE_2X3 = {"indices": [[0, 0], [1, 1]], "dense_shape": [2, 3]}


def _run_fresh(paths: list[str], tmp: Path, sparse: dict = SPARSE_2X3) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run(
        [sys.executable, "-c", _FRESH, json.dumps(paths), json.dumps(sparse)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["migrator_imported"] is False
    return result["results"]


def _saved_models(report: object) -> list[str]:
    found = []
    for outcome in getattr(report, "outcomes", []):
        for output in outcome.outputs:
            found += [str(p.parent) for p in sorted(Path(output["path"]).rglob("saved_model.pb"))]
    return found


def _metadata(saved_model: str) -> dict:
    """The metadata.json of the version folder holding this SavedModel."""
    for folder in (Path(saved_model), *Path(saved_model).parents):
        if (folder / "metadata.json").is_file():
            return json.loads((folder / "metadata.json").read_text())
    raise AssertionError(f"no metadata.json above {saved_model}")


# --------------------------------------------------------------------------- sparse and ragged


def _write_composite_export(folder: Path, *, resource: bool) -> np.ndarray:
    """A TF1 SavedModel: `serving_default` takes a sparse [None, 3] input, `ragged` a ragged
    int64 [None, None] input, `sparse_out` returns a SparseTensor. Returns the weights."""
    import tensorflow as tf

    v1 = tf.compat.v1
    weights = np.array([1.0, 2.0, 3.0], dtype="float32")
    bti = v1.saved_model.utils.build_tensor_info
    sig = v1.saved_model.signature_def_utils.build_signature_def
    with tf.Graph().as_default():
        sp = v1.sparse_placeholder(tf.float32, shape=[None, 3], name="sp")
        values = v1.placeholder(tf.int64, [None], name="rv")
        splits = v1.placeholder(tf.int64, [None], name="rs")
        rg = tf.RaggedTensor.from_row_splits(values, splits)
        w = v1.get_variable("w", initializer=tf.constant(weights), use_resource=resource)
        y = tf.identity(tf.sparse.reduce_sum(sp * w, axis=1), name="y")
        z = tf.identity(tf.reduce_sum(rg, axis=1), name="z")
        doubled = tf.sparse.reorder(sp * 2.0)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(folder))
            builder.add_meta_graph_and_variables(
                sess,
                ["serve"],
                signature_def_map={
                    "serving_default": sig(
                        {"sp": bti(sp)}, {"y": bti(y)}, "tensorflow/serving/predict"
                    ),
                    "ragged": sig({"rg": bti(rg)}, {"z": bti(z)}, "tensorflow/serving/predict"),
                    "sparse_out": sig(
                        {"sp": bti(sp)}, {"doubled": bti(doubled)}, "tensorflow/serving/predict"
                    ),
                },
            )
            builder.save()
    return weights


@pytest.mark.parametrize("resource", [False, True], ids=["ref-variables", "resource-variables"])
def test_sparse_and_ragged_signatures_become_tf2_signatures_with_components(resource, tmp_path):
    weights = _write_composite_export(tmp_path / "src" / "export", resource=resource)
    report = convert_path(tmp_path / "src", tmp_path / "out", Options())
    (outcome,) = report.outcomes
    assert outcome.status == "converted", (outcome.status, outcome.reason)
    assert outcome.kind == "tf1-saved-model"
    (path,) = _saved_models(report)
    meta = _metadata(path)
    names = [s["name"] for s in meta["input_signature"]]
    assert names == ["sp_dense_shape", "sp_indices", "sp_values"]
    results = _run_fresh([path], tmp_path)[path]
    assert set(results) == {
        "serving_default",
        "ragged",
        "sparse_out",
        "composite.serving_default",
        "composite.ragged",
        "composite.sparse_out",
    }
    # components [[0,0],[1,1]] with values [1, 2] in a [2, 3] tensor
    assert results["serving_default"]["y"] == pytest.approx([1.0 * weights[0], 2.0 * weights[1]])
    assert results["sparse_out"]["doubled"] == {"sparse": [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0]]}
    assert results["ragged"]["z"] == [3, 3]
    dense = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]], dtype="float32")  # SPARSE_2X3
    assert results["composite.serving_default"]["y"] == pytest.approx(list(dense @ weights))
    assert results["composite.ragged"]["z"] == [3, 3]
    assert results["composite.sparse_out"]["doubled"] == {"sparse": (dense * 2).tolist()}


REALWORLD = REALWORLD2.parent / "realworld"


def test_realworld_tf_transform_fn_with_sparse_inputs_converts_and_runs_fresh(tmp_path):
    """tf.Transform's transform_fn (TF 2.15, tag `transform`): 18 sparse inputs densified to
    [batch, 1], vocabulary tables initialised by the caller."""
    folder = REALWORLD / "artifacts" / "tfx_transform_fn_tag_transform_tf215" / "transform_fn"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the real-world batch is not installed)")
    report = convert_path(folder, tmp_path / "out", Options(tags=("transform",)))
    (outcome,) = report.outcomes
    assert outcome.status == "converted", (outcome.status, outcome.reason)
    (path,) = _saved_models(report)
    names = [s["name"] for s in _metadata(path)["input_signature"]]
    assert "company_indices" in names and "company_dense_shape" in names
    one_per_row = {"indices": [[0, 0], [1, 0]], "dense_shape": [2, 1]}
    results = _run_fresh([path], tmp_path, one_per_row)[path]
    assert {"serving_default", "composite.serving_default"} <= set(results)
    assert results["serving_default"]


# --------------------------------------------------------------------------- Saver checkpoints


def _write_saver_checkpoint(folder: Path, *, labels: bool) -> dict[str, np.ndarray]:
    """A TF 1.x training script's `saver.save(sess, "model.ckpt")`: a dense layer with dropout
    (`keep_prob` placeholder), a loss and a GradientDescent train op. With `labels`, the loss
    compares `pred` with a label placeholder; without, it penalises `pred` alone (as a script
    minimising an output does), so the graph cannot say which tensor is the prediction."""
    import tensorflow as tf

    v1 = tf.compat.v1
    rng = np.random.default_rng(5)
    values = {
        "W": rng.uniform(-1, 1, (4, 2)).astype("float32"),
        "b": rng.uniform(-1, 1, 2).astype("float32"),
    }
    folder.mkdir(parents=True)
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        keep_prob = v1.placeholder(tf.float32, [], name="keep_prob")
        w = v1.Variable(values["W"], name="W", use_resource=False)
        b = v1.Variable(values["b"], name="b", use_resource=False)
        hidden = v1.nn.dropout(x, keep_prob=keep_prob)
        pred = tf.sigmoid(tf.matmul(hidden, w) + b, name="pred")
        if labels:
            y = v1.placeholder(tf.float32, [None, 2], name="y")
            loss = tf.reduce_mean(tf.square(pred - y))
        else:
            loss = tf.reduce_mean(tf.abs(pred - 0.5))
        v1.train.GradientDescentOptimizer(0.0).minimize(loss)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            v1.train.Saver().save(sess, str(folder / "model.ckpt"))
    return values


def _expected(values: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ values["W"] + values["b"])))


def test_saver_checkpoint_with_labels_converts_with_an_inferred_interface(tmp_path):
    values = _write_saver_checkpoint(tmp_path / "ckpt", labels=True)
    report = convert_path(tmp_path / "ckpt", tmp_path / "out", Options())
    (outcome,) = report.outcomes
    assert outcome.status == "converted", (outcome.status, outcome.reason)
    assert outcome.kind == "tf1-checkpoint"
    (path,) = _saved_models(report)
    meta = _metadata(path)
    assert [s["name"] for s in meta["input_signature"]] == ["keep_prob", "x"]
    results = _run_fresh([path], tmp_path)[path]
    assert set(results) == {"serving_default"}
    # the fresh run feeds keep_prob = 1 and x = 1..8 as [2, 4]
    x = np.arange(1, 9, dtype="float32").reshape(2, 4)
    got = np.asarray(results["serving_default"]["pred"])
    assert np.max(np.abs(got - _expected(values, x))) <= 1e-5


def test_saver_checkpoint_without_labels_is_refused_naming_the_options_then_converts(tmp_path):
    values = _write_saver_checkpoint(tmp_path / "ckpt", labels=False)
    refused = convert_path(tmp_path / "ckpt", tmp_path / "out", Options())
    (outcome,) = refused.outcomes
    assert outcome.status != "converted"
    assert "--output-tensors" in outcome.reason and "no label placeholder" in outcome.reason
    assert "\n" not in outcome.reason
    named = Options(output_tensors=("pred:0",))
    report = convert_path(tmp_path / "ckpt", tmp_path / "out2", named)
    (outcome,) = report.outcomes
    assert outcome.status == "converted", (outcome.status, outcome.reason)
    (path,) = _saved_models(report)
    results = _run_fresh([path], tmp_path)[path]
    x = np.arange(1, 9, dtype="float32").reshape(2, 4)
    got = np.asarray(results["serving_default"]["pred"])
    assert np.max(np.abs(got - _expected(values, x))) <= 1e-5


# realworld2 Saver checkpoints: entry -> (options, the outputs the SavedModel must serve)
REAL_CHECKPOINTS = {
    "neuralenc_ckpt_meta": ((), ["Output"]),  # TF 1.0.1, labels Y_input
    "houseprices_tf_ckpt": ((), ["Squeeze"]),  # TF 1.10, dropout switch, Adam slots
    "puzzle15_ckpt_meta": (("result:0",), ["result"]),  # no label placeholder: named
}


@pytest.mark.parametrize("entry_id", sorted(REAL_CHECKPOINTS))
def test_realworld2_saver_checkpoints_convert_and_run_fresh(entry_id, tmp_path):
    folder = REALWORLD2 / "artifacts" / entry_id
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the second real-world batch is not installed)")
    named, outputs = REAL_CHECKPOINTS[entry_id]
    if named:  # the graph does not say its outputs: refused with the option to name them
        (refused,) = convert_path(folder, tmp_path / "refused", Options()).outcomes
        assert refused.status != "converted" and "--output-tensors" in refused.reason
    report = convert_path(folder, tmp_path / "out", Options(output_tensors=named))
    (outcome,) = report.outcomes
    assert outcome.status == "converted", (outcome.status, outcome.reason)
    assert outcome.kind == "tf1-checkpoint"
    (path,) = _saved_models(report)
    results = _run_fresh([path], tmp_path)[path]
    assert sorted(results["serving_default"]) == outputs
