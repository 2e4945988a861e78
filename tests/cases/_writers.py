"""Low-level writers the artifact and security case files share: artifacts built byte by byte.

Each `tests/cases/{artifact,security}/<ID>/{positive,negative}/<name>.gen.py` holds one case: its
data (configs, versions, layer lists, graph nodes) and a `build(folder)` that calls a writer here.
The writers use h5py, zipfile, our protobuf schemas and the table writers of the reader tests (no
TensorFlow), in the layouts the real writers use, so no binary is committed. Only what several
cases share lives here: the writers, the graph-node helpers, and the baseline model of each era
(`KERAS2_MODEL`, `KERAS3_SEQ`, a plain Saver checkpoint) that negative cases compare against.
Malicious-looking cases are inert: their "payloads" are strings and harmless pickles of plain
data that nothing here or in the audit ever loads.
"""

from __future__ import annotations

import io
import json
import shutil
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from migrator.formats import protos
from tests.test_checkpoint import write_bundle
from tests.test_tflite import Table, flatbuffer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DT_FLOAT, DT_STRING = 1, 7
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
PREDICT = "tensorflow/serving/predict"
Layers = Mapping[str, list[tuple[str, tuple[int, ...]]]]
Tensors = Mapping[str, tuple[int, tuple[int, ...]]]


# --- Keras configs every era of case compares against -------------------------------------------


def dense(name: str, units: int = 2, **extra: Any) -> dict[str, Any]:
    config = {"name": name, "trainable": True, "units": units, "activation": "linear"}
    config.update(extra)
    return {"class_name": "Dense", "config": config}


def sequential(*layers: dict[str, Any], name: str = "sequential") -> dict[str, Any]:
    return {"class_name": "Sequential", "config": {"name": name, "layers": list(layers)}}


KERAS2_MODEL = sequential(dense("dense_1", 4, batch_input_shape=[None, 3]), dense("dense_2", 1))
KERAS3_SEQ = {
    "module": "keras", "class_name": "Sequential", "registered_name": None,
    "config": {"name": "sequential", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
         "config": {"name": "input_layer", "batch_shape": [None, 3], "dtype": "float32"}},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
         "config": {"name": "dense", "units": 2, "activation": "relu"}}]},
}  # fmt: skip
PLAIN_SAVER_CKPT = {"dense/kernel": (DT_FLOAT, (3, 2)), "global_step": (9, ())}


def keras3_functional(*extra_layers: dict[str, Any], name: str = "functional") -> dict[str, Any]:
    """A Keras 3 Functional config (module/registered_name entries), as config.json holds it."""

    def entry(cls: str, config: dict[str, Any], inbound: list[Any]) -> dict[str, Any]:
        return {"module": "keras.layers", "class_name": cls, "config": config,
                "registered_name": None, "name": config["name"], "inbound_nodes": inbound}  # fmt: skip

    layers = [
        entry("InputLayer", {"name": "x", "batch_shape": [None, 3], "dtype": "float32"}, []),
        entry(
            "Dense",
            {"name": "d", "units": 2, "activation": "relu", "dtype": "float32"},
            [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}],
              "kwargs": {}}],
        ),
        *extra_layers,
    ]  # fmt: skip
    return {
        "module": "keras",
        "class_name": "Functional",
        "config": {"name": name, "trainable": True, "layers": layers,
                   "input_layers": [["x", 0, 0]], "output_layers": [[layers[-1]["name"], 0, 0]]},
        "registered_name": "Functional",
        "build_config": {"input_shape": None},
        "compile_config": None,
    }  # fmt: skip


# --- HDF5 files and .keras archives ---------------------------------------------------------------


def _weights_group(group: h5py.Group, layers: Layers) -> None:
    group.attrs["layer_names"] = [n.encode() for n in layers]
    for layer, weights in layers.items():
        g = group.create_group(layer)
        g.attrs["weight_names"] = [w.encode() for w, _ in weights]
        for weight, shape in weights:
            g.create_dataset(weight, data=np.zeros(shape, dtype="float32"))


def _producer(f: h5py.File, keras_version: str | None, backend: str | None) -> None:
    if keras_version:
        f.attrs["keras_version"] = keras_version.encode()
    if backend:
        f.attrs["backend"] = backend.encode()


def keras_h5(
    path: Path,
    config: Mapping[str, Any],
    *,
    keras_version: str | None = "2.3.1",
    backend: str | None = "tensorflow",
    training: Mapping[str, Any] | None = None,
    layers: Layers | None = None,
    optimizer_weights: int = 0,
    external_link: tuple[str, str] | None = None,
) -> Path:
    """A full-model HDF5 file as `model.save("m.h5")` writes it (attributes + weight groups)."""
    with h5py.File(path, "w", track_order=True) as f:
        _producer(f, keras_version, backend)
        f.attrs["model_config"] = json.dumps(config).encode()
        if training is not None:
            f.attrs["training_config"] = json.dumps(training).encode()
        weights = f.create_group("model_weights")
        _weights_group(weights, layers or {"dense_1": [("dense_1/kernel:0", (3, 4))]})
        if optimizer_weights:
            opt = f.create_group("optimizer_weights")
            names = [f"Adam/iter:{i}".encode() for i in range(optimizer_weights)]
            opt.attrs["weight_names"] = names
            for name in names:
                opt.create_dataset(name.decode(), data=np.zeros((), dtype="int64"))
        if external_link:
            weights[external_link[0]] = h5py.ExternalLink(external_link[1], "/")
    return path


def weights_h5(
    path: Path,
    layers: Layers,
    *,
    keras_version: str | None = "2.3.1",
    backend: str | None = "tensorflow",
) -> Path:
    """A legacy weights-only HDF5 file (`save_weights("w.h5")`): root `layer_names`."""
    with h5py.File(path, "w", track_order=True) as f:
        _producer(f, keras_version, backend)
        _weights_group(f, layers)
    return path


def _v3_store(f: h5py.File, *, optimizer: bool) -> None:
    f.create_group("vars")
    dense_vars = f.create_group("layers/d/vars")
    dense_vars.create_dataset("0", data=np.zeros((3, 2), dtype="float32"))
    dense_vars.create_dataset("1", data=np.zeros((2,), dtype="float32"))
    if optimizer:
        opt = f.create_group("optimizer/vars")
        opt.create_dataset("0", data=np.zeros((), dtype="int64"))
        opt.create_dataset("1", data=np.zeros((3, 2), dtype="float32"))


def v3_weights_h5(path: Path, *, optimizer: bool = True) -> Path:
    """A Keras 3 `.weights.h5` (H5IOStore: layers/<name>/vars/<i>, optimizer/vars, vars)."""
    with h5py.File(path, "w", track_order=True) as f:
        _v3_store(f, optimizer=optimizer)
    return path


def _v3_weights_bytes(*, optimizer: bool = True) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", track_order=True) as f:
        _v3_store(f, optimizer=optimizer)
    return buffer.getvalue()


def _npz_with_object_arrays() -> bytes:
    """An npz like Keras' NpzIOStore writes: one object array (a pickled dict) per path."""
    buffer = io.BytesIO()
    layer = np.empty((), dtype=object)
    layer[()] = {"0": np.zeros((3, 2), dtype="float32")}
    np.savez(buffer, **{"layers/d": layer})
    return buffer.getvalue()


def keras_zip(
    path: Path,
    config: Mapping[str, Any],
    *,
    keras_version: str = "3.15.1",
    weights: str = "h5",
    optimizer: bool = True,
    extra: Mapping[str, bytes] | None = None,
    duplicate: tuple[str, bytes] | None = None,
) -> Path:
    """A `.keras` zip as Keras writes it (stored members, metadata.json first), plus extras;
    `weights` is "h5", "npz" (pickled object arrays, Keras <= 3.1) or "none"."""
    with zipfile.ZipFile(path, "w") as z:

        def add(name: str, data: bytes) -> None:
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), data)

        metadata = {"keras_version": keras_version, "date_saved": "2024-01-01@00:00:00"}
        add("metadata.json", json.dumps(metadata).encode())
        add("config.json", json.dumps(config).encode())
        if weights == "h5":
            add("model.weights.h5", _v3_weights_bytes(optimizer=optimizer))
        elif weights == "npz":
            add("model.weights.npz", _npz_with_object_arrays())
        for name, data in (extra or {}).items():
            add(name, data)
        if duplicate:
            with warnings.catch_warnings():  # zipfile warns about the duplicate: intended
                warnings.simplefilter("ignore", UserWarning)
                add(*duplicate)
    return path


# --- graph nodes, SavedModels and GraphDefs -------------------------------------------------------


def node(
    name: str, op: str, inputs: list[str] | None = None, strings: Mapping[str, Any] | None = None
) -> Any:
    """A NodeDef; `strings` become string (or string-list) attributes."""
    result = protos.message_class("NodeDef")(name=name, op=op, input=inputs or [])
    for key, value in (strings or {}).items():
        if isinstance(value, list):
            result.attr[key].list.s.extend(v.encode() for v in value)
        else:
            result.attr[key].s = value.encode()
    return result


def string_const(name: str, *values: str) -> Any:
    result = protos.message_class("NodeDef")(name=name, op="Const")
    result.attr["dtype"].type = DT_STRING
    tensor = result.attr["value"].tensor
    tensor.dtype = DT_STRING
    tensor.string_val.extend(v.encode() for v in values)
    return result


def placeholder(name: str) -> Any:
    result = protos.message_class("NodeDef")(name=name, op="Placeholder")
    result.attr["dtype"].type = DT_FLOAT
    return result


def graph(nodes: list[Any], functions: Mapping[str, list[Any]] | None = None) -> Any:
    result = protos.message_class("GraphDef")(node=nodes)
    for fname, fnodes in (functions or {}).items():
        function = result.library.function.add()
        function.signature.name = fname
        function.node_def.extend(fnodes)
    return result


def signature(method: str, inputs: Mapping[str, str], outputs: Mapping[str, str]) -> Any:
    sig = protos.message_class("SignatureDef")(method_name=method)
    for key, name in inputs.items():
        sig.inputs[key].name = name
        sig.inputs[key].dtype = DT_STRING if "example" in name else DT_FLOAT
    for key, name in outputs.items():
        sig.outputs[key].name = name
        sig.outputs[key].dtype = DT_FLOAT
    return sig


TF1_SAVER = [
    placeholder("save/Const"),
    node("save/SaveV2", "SaveV2", ["save/Const"]),
    node("save/RestoreV2", "RestoreV2", ["save/Const"]),
    node("save/MergeV2Checkpoints", "MergeV2Checkpoints", ["save/Const"]),
]
TF2_SAVER = {
    "__inference__traced_save_45": [
        node("SaveV2", "SaveV2", ["saver_filename"]),
        node("MergeV2Checkpoints", "MergeV2Checkpoints", ["saver_filename"]),
    ],
    "__inference__traced_restore_61": [node("RestoreV2", "RestoreV2", ["saver_filename"])],
}


def meta_graph(
    *,
    tags: tuple[str, ...] = ("serve",),
    tf_version: str = "1.15.0",
    signatures: Mapping[str, Any] | None = None,
    nodes: list[Any] | None = None,
    functions: Mapping[str, list[Any]] | None = None,
    user_objects: list[tuple[str, Mapping[str, Any] | None]] | None = None,
) -> Any:
    """A MetaGraphDef; `user_objects` (identifier, metadata) make it a TF2 object graph."""
    meta = protos.message_class("MetaGraphDef")()
    meta.meta_info_def.tags.extend(tags)
    meta.meta_info_def.tensorflow_version = tf_version
    meta.meta_info_def.tensorflow_git_version = f"v{tf_version}"
    default_nodes = [placeholder("x"), node("w", "VariableV2"), node("y", "MatMul", ["x", "w"])]
    meta.graph_def.CopyFrom(graph(nodes if nodes is not None else default_nodes, functions))
    meta.saver_def.version = 2
    if signatures is None:
        signatures = {"serving_default": signature(PREDICT, {"x": "x:0"}, {"y": "y:0"})}
    for key, sig in signatures.items():
        meta.signature_def[key].CopyFrom(sig)
    for identifier, metadata in user_objects or []:
        item = meta.object_graph_def.nodes.add()
        item.user_object.identifier = identifier
        if metadata is not None:
            item.user_object.metadata = json.dumps(metadata)
    return meta


def tf2_graph(
    tf_version: str = "2.15.0",
    *,
    signatures: Mapping[str, Any] | None = None,
    call_nodes: list[Any] | None = None,
    user_objects: list[tuple[str, Mapping[str, Any] | None]] | None = None,
) -> Any:
    """A TF2 MetaGraph: VarHandleOps, a traced call function, the traced save/restore functions."""
    functions = dict(TF2_SAVER)
    functions["__inference___call___30"] = call_nodes or [node("add", "AddV2", ["x", "w"])]
    default_sigs = {
        "serving_default": signature(PREDICT, {"x": "serving_default_x:0"}, {"y": "out:0"}),
        "__saved_model_init_op": signature("", {}, {"__saved_model_init_op": "NoOp"}),
    }
    return meta_graph(
        tf_version=tf_version,
        signatures=default_sigs if signatures is None else signatures,
        nodes=[placeholder("serving_default_x"), node("w", "VarHandleOp"),
               placeholder("saver_filename"), node("out", "StatefulPartitionedCall", ["x"])],
        functions=functions,
        user_objects=user_objects or [("_generic_user_object", None)],
    )  # fmt: skip


def keras_sm_metadata(config: Mapping[str, Any], keras_version: str = "2.15.0") -> dict[str, Any]:
    """The keras_metadata.pb entry of a tf.keras SavedModel's root object."""
    return {
        "class_name": config["class_name"],
        "name": "sequential",
        "config": config["config"],
        "keras_version": keras_version,
        "backend": "tensorflow",
        "training_config": {"loss": "mean_squared_error",
                            "optimizer_config": {"class_name": "Custom>Adam", "config": {}}},
    }  # fmt: skip


def saved_model(
    root: Path,
    *graphs: Any,
    keras_metadata: Mapping[str, Any] | None = None,
    keras_identifier: str = "_tf_keras_sequential",
    variables: str = "complete",
    assets: Mapping[str, bytes] | None = None,
    inside: str = "",
) -> Path:
    """A SavedModel folder (in `root/inside`); `variables` is "complete", "none" or
    "missing-shard". Returns `root`, the folder the case hands to the audit."""
    folder = root / inside if inside else root
    folder.mkdir(parents=True, exist_ok=True)
    sm = protos.message_class("SavedModel")(saved_model_schema_version=1)
    for meta in graphs or (meta_graph(),):
        sm.meta_graphs.add().CopyFrom(meta)
    (folder / "saved_model.pb").write_bytes(sm.SerializeToString())
    if variables != "none":
        write_bundle(
            folder / "variables",
            "variables",
            {"w/.ATTRIBUTES/VARIABLE_VALUE": (DT_FLOAT, (3, 2))},
            write_data=variables == "complete",
        )
    if keras_metadata is not None:
        saved = protos.message_class("SavedMetadata")()
        item = saved.nodes.add(node_id=0, node_path="root", identifier=keras_identifier)
        item.metadata = json.dumps(keras_metadata)
        (folder / "keras_metadata.pb").write_bytes(saved.SerializeToString())
    for name, data in (assets or {}).items():
        target = folder / "assets" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def graph_def(
    path: Path, nodes: list[Any], functions: Mapping[str, list[Any]] | None = None
) -> Path:
    path.write_bytes(graph(nodes, functions).SerializeToString())
    return path


# --- checkpoints, TF.js, TFLite, committed fixtures ------------------------------------------


def _object_graph(keys: list[str]) -> bytes:
    """The TrackableObjectGraph Keras `save_weights` writes: root -> layer -> variables."""
    object_graph = protos.message_class("TrackableObjectGraph")()
    root = object_graph.nodes.add()
    layers: dict[str, Any] = {}
    for key in keys:
        layer_name, variable, *_ = key.split("/")
        if layer_name not in layers:
            root.children.add(node_id=len(object_graph.nodes), local_name=layer_name)
            layers[layer_name] = object_graph.nodes.add()
        layer = layers[layer_name]
        layer.children.add(node_id=len(object_graph.nodes), local_name=variable)
        object_graph.nodes.add().attributes.add(name="VARIABLE_VALUE", checkpoint_key=key)
    return object_graph.SerializeToString()


def checkpoint(
    folder: Path,
    tensors: Tensors,
    *,
    prefix: str = "model.ckpt-100",
    state: str | None = "relative",
    meta: bytes | None = None,
    write_data: bool = True,
    object_based: bool = False,
) -> Path:
    """A V2 checkpoint (`prefix.index` + data) with a `checkpoint` state file (`state`:
    "relative", "absolute", "pruned" or None) and an optional `.meta`; `object_based` adds the
    `_CHECKPOINTABLE_OBJECT_GRAPH` entry of tf.train.Checkpoint/Keras. Returns `folder`."""
    extra = {"_CHECKPOINTABLE_OBJECT_GRAPH": _object_graph(list(tensors))} if object_based else None
    write_bundle(folder, prefix, dict(tensors), extra=extra, write_data=write_data)
    paths = {
        "relative": [prefix],
        "absolute": [f"/home/someone/train/{prefix}"],
        "pruned": ["model.ckpt-50", prefix],
    }.get(state or "", [])
    if paths:
        lines = [f'model_checkpoint_path: "{paths[-1]}"']
        lines += [f'all_model_checkpoint_paths: "{p}"' for p in paths]
        (folder / "checkpoint").write_text("\n".join(lines) + "\n")
    if meta is not None:
        (folder / f"{prefix}.meta").write_bytes(meta)
    return folder


def meta_with(nodes: list[Any], tf_version: str = "1.15.0") -> bytes:
    """A training `.meta` (TF1 Saver nodes plus `nodes`), serialized."""
    meta = protos.message_class("MetaGraphDef")()
    meta.meta_info_def.tensorflow_version = tf_version
    meta.graph_def.CopyFrom(graph([node("w", "VariableV2"), *TF1_SAVER, *nodes]))
    meta.saver_def.version = 2
    return meta.SerializeToString()


def tfjs_layers(folder: Path, *, missing_shard: bool = False) -> Path:
    """A TF.js layers model (model.json + one weight shard) converted from `KERAS2_MODEL`."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "format": "layers-model",
        "generatedBy": "keras v2.15.0",
        "convertedBy": "TensorFlow.js Converter v4.17.0",
        "modelTopology": {"keras_version": "2.15.0", "backend": "tensorflow",
                          "model_config": KERAS2_MODEL},
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
            {"name": "dense_1/kernel", "shape": [3, 4], "dtype": "float32"}]}],
    }  # fmt: skip
    (folder / "model.json").write_text(json.dumps(document))
    if not missing_shard:
        (folder / "group1-shard1of1.bin").write_bytes(bytes(48))
    return folder


def tflite(path: Path, *custom_ops: str) -> Path:
    """A one-operator TFLite model; custom op codes (e.g. "FlexSaveV2") when given."""
    tensors = [
        Table(s0=("ivec", [1, 4]), s1=("i8", 0), s2=("u32", 0), s3=("str", "x")),
        Table(s0=("ivec", [1, 4]), s1=("i8", 0), s2=("u32", 0), s3=("str", "y")),
    ]
    if custom_ops:
        codes = [Table(s0=("i8", 32), s1=("str", op), s2=("i32", 1), s3=("i32", 32))
                 for op in custom_ops]  # fmt: skip
    else:
        codes = [Table(s0=("i8", 0), s2=("i32", 1), s3=("i32", 0))]  # ADD
    operators = [Table(s0=("u32", 0), s1=("ivec", [0, 0]), s2=("ivec", [1]))]
    main = Table(s0=("tables", tensors), s1=("ivec", [0]), s2=("ivec", [1]),
                 s3=("tables", operators), s4=("str", "main"))  # fmt: skip
    model = Table(s0=("u32", 3), s1=("tables", codes), s2=("tables", [main]),
                  s3=("str", "MLIR Converted."), s4=("tables", [Table()]))  # fmt: skip
    path.write_bytes(flatbuffer(model))
    return path


def copy_of(path: Path, source: Path) -> Path:
    """A committed fixture (file or folder) copied to `path`: real bytes from a real writer."""
    if source.is_dir():
        shutil.copytree(source, path)
    else:
        shutil.copyfile(source, path)
    return path


def tfhub_module_def(folder: Path, fmt: int = 3, features: tuple[str, ...] = ()) -> Path:
    """Write `tfhub_module.pb` (tensorflow_hub ModuleDef; FORMAT_V3 = 3) into a SavedModel folder,
    making it a TF1 Hub module; returns the folder."""
    module_def = protos.message_class("ModuleDef")(format=fmt, required_features=list(features))
    (folder / "tfhub_module.pb").write_bytes(module_def.SerializeToString())
    return folder
