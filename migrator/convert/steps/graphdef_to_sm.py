"""Step: frozen GraphDef (`.pb` binary or `.pbtxt` text) -> TF2 SavedModel with `serving_default`.

A frozen graph holds its weights as constants and says nothing about its interface, so the inputs
are its `Placeholder` nodes and the outputs the nodes nothing consumes (the reader's
`likely_outputs`), unless `--inputs-tensors`/`--outputs-tensors` were given by the caller. The
graph is imported inside `tf.compat.v1.wrap_function` and exported behind a `tf.function` with a
fixed input signature, which is what TF Serving and `tf.saved_model.load` need.

`graph_to_saved_model` is shared with `tf1_sm_to_tf2_sm`, which hands it a TF1 graph whose
variables become `tf.Variable`s of the new SavedModel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError, NoFaithfulMapping
from migrator.knowledge.graph_import import (
    PLACEHOLDER_SCALAR_MEANS_UNKNOWN_UNTIL,
    REF_VARIABLE_OPS,
    RESOURCE_VARIABLE_OPS,
)

VARIABLE_OPS = REF_VARIABLE_OPS | RESOURCE_VARIABLE_OPS


def read_graph_def(path: Path) -> Any:
    import tensorflow as tf
    from google.protobuf import text_format

    data = Path(path).read_bytes()
    graph_def = tf.compat.v1.GraphDef()
    try:
        graph_def.ParseFromString(data)
        if graph_def.node:
            return graph_def
    except Exception:
        pass
    graph_def = tf.compat.v1.GraphDef()
    try:
        text_format.Parse(data.decode("utf-8"), graph_def)
    except Exception as exc:
        raise ConversionError(
            path, f"not a GraphDef ({type(exc).__name__})", "run `migrator inspect` on it"
        ) from exc
    return graph_def


# Ops that end a graph without being a model output: bookkeeping, saving, initialisation.
_NOT_OUTPUTS = frozenset({
    "NoOp", "Const", "Placeholder", "PlaceholderWithDefault", "VariableV2", "Variable",
    "VarHandleOp", "Assign", "AssignVariableOp", "AssignAdd", "AssignSub", "SaveV2", "Save",
    "SaveSlices", "RestoreV2", "Restore", "RestoreSlice", "MergeV2Checkpoints",
    "ShardedFilename", "ShardedFilespec", "StringJoin", "ScalarSummary", "HistogramSummary",
    "MergeSummary", "ImageSummary", "AudioSummary", "TensorSummary", "WriteSummary",
})  # fmt: skip


def unconsumed(graph_def: Any) -> list[str]:
    """Nodes no other node reads (data or control input) that compute something from the
    graph's inputs: the outputs. A node no Placeholder reaches (a leftover `save/` string, a
    constant expression) computes nothing from the inputs and is not a model output."""
    consumed = set()
    readers: dict[str, list[str]] = {}
    for node in graph_def.node:
        for name in node.input:
            source = name.lstrip("^").split(":")[0]
            consumed.add(source)
            readers.setdefault(source, []).append(node.name)
    reached = {n.name for n in graph_def.node if n.op in ("Placeholder", "PlaceholderWithDefault")}
    todo = list(reached)
    while todo:
        for reader in readers.get(todo.pop(), []):
            if reader not in reached:
                reached.add(reader)
                todo.append(reader)
    return [
        n.name
        for n in graph_def.node
        if n.name not in consumed
        and n.op not in _NOT_OUTPUTS
        and (n.name in reached or not reached)
    ]


def prune_to_outputs(graph_def: Any, outputs: Sequence[str], inputs: Sequence[str] = ()) -> Any:
    """The subgraph `outputs` depend on (and the named inputs, kept even when unused)."""
    import tensorflow as tf

    wanted = sorted({n.split(":")[0].lstrip("^") for n in list(outputs) + list(inputs)})
    return tf.compat.v1.graph_util.extract_sub_graph(graph_def, wanted)


def _clean(name: str) -> str:
    key = name.split(":")[0].replace("/", "_")
    return "".join(c if c.isalnum() or c == "_" else "_" for c in key) or "input"


def _declared_shape(node: Any, producer: int) -> list[int | None] | None:
    """The Placeholder's `shape` attr (None: unknown rank), read as TensorFlow reads it."""
    if "shape" not in node.attr:
        return None
    proto = node.attr["shape"].shape
    if proto.unknown_rank or (not proto.dim and producer <= PLACEHOLDER_SCALAR_MEANS_UNKNOWN_UNTIL):
        return None
    return [d.size if d.size >= 0 else None for d in proto.dim]


def _consumed_shape(op: Any, index: int) -> list[int | None] | None:
    """The input shape an op implies for its `index`-th input, from its other (known) operand.

    A matrix product fixes rank 2 and the contracted size; a 2-D convolution rank 4 and the
    channels; everything gets a free batch dimension.
    """
    if op.type in ("MatMul", "BatchMatMul", "BatchMatMulV2") and op.inputs[1 - index].shape.rank:
        other = op.inputs[1 - index].shape.as_list()
        if op.type == "MatMul" and len(other) == 2:
            if index == 0:
                flip_a, flip_b = op.get_attr("transpose_a"), op.get_attr("transpose_b")
                k = other[1] if flip_b else other[0]
                return [k, None] if flip_a else [None, k]
            flip_a, flip_b = op.get_attr("transpose_a"), op.get_attr("transpose_b")
            k = other[0] if flip_a else other[1]
            return [None, k] if flip_b else [k, None]
    if op.type in ("Conv2D", "DepthwiseConv2dNative") and index == 0:
        kernel = op.inputs[1].shape
        if kernel.rank == 4:
            channels = kernel.as_list()[2]
            nchw = op.get_attr("data_format") in (b"NCHW", "NCHW")
            return [None, channels, None, None] if nchw else [None, None, None, channels]
    return None


def placeholder_specs(
    tf: Any, graph_def: Any, names: list[str]
) -> dict[str, tuple[list[int | None] | None, Any]]:
    """node name -> (shape, dtype) of each input Placeholder, from its attrs and its consumers.

    A Placeholder whose shape is unknown is given the shape its consumers imply (the graph is
    imported with that input as an unknown-shape placeholder, so shape inference fills in the
    other operands); a shape that nothing constrains stays unknown.
    """
    producer = int(graph_def.versions.producer)
    nodes = {n.name: n for n in graph_def.node}
    out: dict[str, tuple[list[int | None] | None, Any]] = {}
    for name in names:
        node = nodes[name]
        dtype = tf.dtypes.as_dtype(node.attr["dtype"].type) if "dtype" in node.attr else tf.float32
        out[name] = (_declared_shape(node, producer), dtype)
    unknown = [n for n in names if out[n][0] is None]
    if not unknown:
        return out
    graph = tf.Graph()
    try:
        with graph.as_default():
            probes = {
                f"{n}:0": tf.compat.v1.placeholder(out[n][1], shape=None, name=f"probe_{i}")
                for i, n in enumerate(unknown)
            }
            tf.graph_util.import_graph_def(graph_def, input_map=probes, name="g")
    except (ValueError, TypeError):
        return out  # shape inference fails elsewhere: keep the declared (unknown) shapes
    by_tensor = {probe.name: key.split(":")[0] for key, probe in probes.items()}
    for op in graph.get_operations():
        for index, tensor in enumerate(op.inputs):
            name = by_tensor.get(tensor.name)
            if name is None or out[name][0] is not None:
                continue
            shape = _consumed_shape(op, index)
            if shape is not None:
                out[name] = (shape, out[name][1])
    return out


# One signature of a graph: (inputs: key -> (tensor name, shape, tf dtype), outputs: key -> name,
# or a sparse/composite output as `signature_io.OutputSpec`).
GraphSignature = tuple[Mapping[str, tuple[str, Any, Any]], Mapping[str, Any]]


def graph_to_saved_model(
    graph_def: Any,
    inputs: Mapping[str, tuple[str, Any, Any]],
    outputs: Mapping[str, str],
    target: Path,
    *,
    variables: Mapping[str, Any] = {},
) -> dict[str, Any]:
    """Export `graph_def` as a SavedModel whose serving_default maps `inputs` to `outputs`.

    `inputs`: signature key -> (tensor name, shape, tf dtype); `outputs`: key -> tensor name;
    `variables`: variable op name -> value, re-created as `tf.Variable`s and fed to the graph.
    """
    return graph_signatures_to_saved_model(
        graph_def, {"serving_default": (inputs, outputs)}, target, variables=variables
    )["serving_default"]


def _serving(
    v1: Any,
    graph_def: Any,
    inputs: Mapping[str, tuple[str, Any, Any]],
    outputs: Mapping[str, Any],
    tf_vars: Mapping[str, Any],
    specs: list[Any],
    init_ops: Sequence[str] = (),
    assets: Mapping[str, Any] = {},
) -> Any:
    """A Python function feeding `inputs` (positional, sorted keys) to the imported graph and
    returning `outputs` by key; closures keep each signature's own tensors.

    `init_ops` (a TF1 export's table initializers) run before the outputs are computed, since
    the imported lookup tables start empty; re-initialising a table with the same data is a
    no-op in TensorFlow's InitializableLookupTable.
    """
    from migrator.convert.signature_io import output_tensor_names, pack_output

    in_keys, out_keys = sorted(inputs), sorted(outputs)
    fetches = [name for k in out_keys for name in output_tensor_names(outputs[k])]
    handles: dict[str, list[str]] = {}
    for node in graph_def.node:
        if node.op == "VarHandleOp" and node.name in tf_vars:
            handles.setdefault(node.name, [])
    for node in graph_def.node:
        if node.op == "ReadVariableOp" and node.input[0].split(":")[0] in handles:
            handles[node.input[0].split(":")[0]].append(node.name)

    def imported(*args: Any) -> Any:
        import tensorflow as tf

        feed = {inputs[k][0]: a for k, a in zip(in_keys, args, strict=False)}
        for name, var in tf_vars.items():
            if name in handles:  # a resource variable: its reads get the value
                for read in handles[name]:
                    feed[f"{read}:0"] = var.read_value()
            else:  # a reference variable: its output is the value
                feed[f"{name}:0"] = var.read_value()
        for tensor, asset in assets.items():  # vocabulary files: the exported copy's path
            feed[tensor] = tf.identity(asset.asset_path)
        found = v1.import_graph_def(
            graph_def,
            input_map=feed,
            return_elements=fetches + list(init_ops),
            name="",
        )
        results, inits = found[: len(fetches)], found[len(fetches) :]
        if not inits:
            return results
        with tf.control_dependencies(inits):
            return [tf.identity(t) for t in results]

    wrapped = v1.wrap_function(imported, specs)

    def serve(*args: Any) -> dict[str, Any]:
        import tensorflow as tf

        result, at, packed = wrapped(*args), 0, {}
        for k in out_keys:
            count = len(output_tensor_names(outputs[k]))
            packed[k] = pack_output(tf, outputs[k], result[at : at + count])
            at += count
        return packed

    return serve


def graph_signatures_to_saved_model(
    graph_def: Any,
    signatures: Mapping[str, GraphSignature],
    target: Path,
    *,
    variables: Mapping[str, Any] = {},
    init_ops: Sequence[str] = (),
    assets: Mapping[str, str] = {},
    composites: Mapping[str, Mapping[str, tuple[Any, list[str]]]] = {},
) -> dict[str, dict[str, Any]]:
    """Export `graph_def` as a SavedModel with one concrete function per signature.

    Each signature imports the graph with its own inputs fed and its own outputs fetched; the
    variables are shared `tf.Variable`s of the module, so every signature sees the same values.
    `composites`: per signature key, its sparse/ragged inputs (spec and flat input keys), which
    also get a function taking the composite itself (`signature_io`).
    """
    import tensorflow as tf

    from migrator.convert.signature_io import attach_composite_functions

    v1 = tf.compat.v1
    tf_vars = {name: tf.Variable(value, name=name) for name, value in sorted(variables.items())}
    module = tf.Module()
    module.graph_variables = list(tf_vars.values())
    tracked = {t: tf.saved_model.Asset(path) for t, path in sorted(assets.items())}
    module.graph_assets = list(tracked.values())
    exported: dict[str, Any] = {}
    with_composites: dict[str, Any] = {}
    infos: dict[str, dict[str, Any]] = {}
    for key, (inputs, outputs) in signatures.items():
        in_keys, out_keys = sorted(inputs), sorted(outputs)
        specs = [tf.TensorSpec(inputs[k][1], inputs[k][2], name=k) for k in in_keys]
        function = tf.function(
            _serving(v1, graph_def, inputs, outputs, tf_vars, specs, init_ops, tracked),
            input_signature=specs,
        )
        setattr(module, f"signature_{len(exported)}", function)
        exported[key] = function
        if composites.get(key):
            with_composites[key] = (function, in_keys, composites[key])
        infos[key] = {
            "signature": [
                {"name": k, "shape": inputs[k][1], "dtype": inputs[k][2].name} for k in in_keys
            ],
            "input_names": in_keys,
            "outputs": out_keys,
        }
    attach_composite_functions(tf, module, with_composites)
    tf.saved_model.save(module, str(target), signatures=exported)
    return infos


@conversion_step(
    "graphdef-to-savedmodel",
    source="graph-def",
    target="saved-model",
    validate_with=("newest",),
    summary="frozen GraphDef -> SavedModel with a signature",
)
def run(
    src: str,
    out_dir: str,
    *,
    facts: Mapping[str, Any] | None = None,
    input_tensors: Sequence[str] = (),
    output_tensors: Sequence[str] = (),
    **_: Any,
) -> dict[str, Any]:
    import tensorflow as tf

    facts = facts or {}
    graph_def = read_graph_def(Path(src))
    variable_nodes = [n.name for n in graph_def.node if n.op in VARIABLE_OPS]
    if variable_nodes:
        raise NoFaithfulMapping(
            src,
            f"the graph is not frozen: {len(variable_nodes)} variable op(s) (e.g. "
            f"{variable_nodes[0]!r}) keep their values in a checkpoint that a GraphDef does not "
            "carry",
            "freeze it with the checkpoint (tf.compat.v1.graph_util.convert_variables_to_"
            "constants) or convert the SavedModel it came from",
        )
    nodes = {n.name: n for n in graph_def.node}
    names_in = list(input_tensors) or [n.name for n in graph_def.node if n.op == "Placeholder"]
    names_out = (
        list(output_tensors) or unconsumed(graph_def) or list(facts.get("likely_outputs") or [])
    )
    if not names_in or not names_out:
        raise ConversionError(
            src,
            "cannot tell the graph's inputs and outputs (no Placeholder or no unconsumed node)",
            "name them: --input-tensors NAME:0,... and --output-tensors NAME:0,...",
        )
    # Only what the outputs compute: a "frozen" graph often keeps its training leftovers
    # (Assign/init/save ops on variables turned into constants), which no longer import.
    graph_def = prune_to_outputs(graph_def, names_out, names_in)
    nodes = {n.name: n for n in graph_def.node}
    missing = [n for n in names_in if n.split(":")[0] not in nodes]
    if missing:
        raise ConversionError(src, f"no node {missing[0]!r} in the graph", "check the tensor names")
    specs = placeholder_specs(tf, graph_def, sorted({n.split(":")[0] for n in names_in}))
    inputs = {}
    for name in names_in:
        shape, dtype = specs[name.split(":")[0]]
        inputs[_clean(name)] = (name if ":" in name else f"{name}:0", shape, dtype)
    outputs = {_clean(n): (n if ":" in n else f"{n}:0") for n in names_out}
    target = Path(out_dir) / "saved_model"
    info = graph_to_saved_model(graph_def, inputs, outputs, target)
    return {
        "path": str(target),
        "changes": [f"inputs {sorted(inputs)} (placeholders), outputs {sorted(outputs)}"],
        "notes": ["interface inferred from the graph: placeholders in, unconsumed nodes out"],
        "signature": info["signature"],
        "input_names": info["input_names"],
        "input_tensors": [inputs[k][0] for k in sorted(inputs)],
        "output_tensors": [outputs[k] for k in sorted(outputs)],
    }
