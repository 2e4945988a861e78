"""The concrete functions a TF2 SavedModel attaches to its root object, read from the object graph.

`saved_model_cli show --all` ends with a "Concrete Functions" section: it loads the model with
TensorFlow and lists, for every function-valued child of the root, the input signature of each of
its concrete functions. The same facts are in the SavedModel proto, so we read them without
TensorFlow: the root's children in ``object_graph_def.nodes[0]``, the ``function`` (a
`tf.function` with its traced ``concrete_functions``) or ``bare_concrete_function`` nodes they
point to, and each concrete function's ``canonicalized_input_signature`` (a `StructuredValue`:
the ``(args, kwargs)`` tuple of TensorSpecs, TypeSpecs and Python values it was traced with).

Values are decoded into small tagged dicts (``{"t": "tensor_spec", ...}``) that pickle and JSON
cleanly; `migrator.report.inspect` prints them as TensorFlow's reprs.
"""

from __future__ import annotations

from typing import Any

from migrator.formats import protos

MAX_FUNCTIONS = 500  # function-valued children listed
MAX_DEPTH = 32  # nesting of a decoded StructuredValue

# types.proto names -> the `tf.<name>` TensorFlow prints in reprs (the rest: DT_X -> x).
_TF_DTYPE_NAMES = {"DT_FLOAT": "float32", "DT_DOUBLE": "float64", "DT_HALF": "float16"}
_TYPE_SPEC_CLASSES = {
    1: "SparseTensorSpec",
    2: "IndexedSlicesSpec",
    3: "RaggedTensorSpec",
    4: "TensorArraySpec",
    5: "DatasetSpec",
    6: "IteratorSpec",
    7: "OptionalSpec",
    8: "PerReplicaSpec",
    9: "VariableSpec",
    10: "RowPartitionSpec",
}


def tf_dtype(number: int) -> str:
    """`float32` for DT_FLOAT: the name after `tf.` in TensorFlow's reprs."""
    name = protos.dtype_name(number)
    return _TF_DTYPE_NAMES.get(name, name.removeprefix("DT_").lower())


def concrete_functions(meta: Any, library: list[str]) -> list[dict[str, Any]] | None:
    """[{name, options: [{function, args, kwargs, arg_keywords}]}] sorted by child name, or None
    when the MetaGraph has no object graph (a TF1 SavedModel: the section is not printed).

    ``library`` is the function library's order. saved_model_cli sorts a function's options by
    the names loading gives them (`__inference_<name>_<uid>`, uids in the order of
    `function_deserialization._sort_function_defs`, which pops independent functions from the end
    of the library, and dependents as they become ready). Reverse library order is that
    ordering for functions with no dependencies (plain `tf.function` traces); for Keras models,
    whose traces call each other, the option order can differ from saved_model_cli's (the
    options themselves are the same: `tests/test_inspect.py`).
    """
    position = {name: index for index, name in enumerate(library)}
    if not meta.HasField("object_graph_def") or not meta.object_graph_def.nodes:
        return None
    graph = meta.object_graph_def
    nodes = graph.nodes
    out: list[dict[str, Any]] = []
    for child in sorted(nodes[0].children, key=lambda c: c.local_name):
        if not 0 <= child.node_id < len(nodes) or len(out) >= MAX_FUNCTIONS:
            continue
        node = nodes[child.node_id]
        kind = _kind(node)
        if kind == "function":
            names = sorted(
                node.function.concrete_functions, key=lambda n: (-position.get(n, -1), n)
            )
            keywords: list[str] = []
        elif kind == "bare_concrete_function":
            names = [node.bare_concrete_function.concrete_function_name]
            keywords = list(node.bare_concrete_function.argument_keywords)
        else:
            continue
        options = []
        for name in names:
            saved = graph.concrete_functions.get(name)
            args, kwargs = None, None
            if saved is not None and saved.HasField("canonicalized_input_signature"):
                signature = decode(saved.canonicalized_input_signature)
                if signature.get("t") == "tuple" and len(signature["v"]) == 2:
                    args, kwargs = signature["v"]
            options.append({"function": name, "args": args, "kwargs": kwargs,
                            "arg_keywords": keywords})  # fmt: skip
        out.append({"name": child.local_name, "options": options})
    return out


def _kind(node: Any) -> str | None:
    for field in ("function", "bare_concrete_function"):
        if node.HasField(field):
            return field
    return None


def decode(value: Any, depth: int = 0) -> dict[str, Any]:
    """One StructuredValue as a tagged dict (``t``: none/float/int/str/bool/shape/dtype/
    tensor_spec/type_spec/list/tuple/dict/namedtuple/unknown)."""
    if depth > MAX_DEPTH:
        return {"t": "unknown", "v": "nested too deep"}
    kind = value.WhichOneof("kind")
    if kind in (None, "none_value"):
        return {"t": "none"}
    if kind == "float64_value":
        return {"t": "float", "v": value.float64_value}
    if kind == "int64_value":
        return {"t": "int", "v": value.int64_value}
    if kind == "string_value":
        return {"t": "str", "v": value.string_value}
    if kind == "bool_value":
        return {"t": "bool", "v": value.bool_value}
    if kind == "tensor_shape_value":
        return {"t": "shape", "v": _dims(value.tensor_shape_value)}
    if kind == "tensor_dtype_value":
        return {"t": "dtype", "v": tf_dtype(value.tensor_dtype_value)}
    if kind in ("tensor_spec_value", "bounded_tensor_spec_value"):
        spec = getattr(value, kind)
        return {
            "t": "tensor_spec",
            "name": spec.name or None,
            "shape": _dims(spec.shape),
            "dtype": tf_dtype(spec.dtype),
            "bounded": kind == "bounded_tensor_spec_value",
        }
    if kind == "type_spec_value":
        spec = value.type_spec_value
        cls = spec.type_spec_class_name or _TYPE_SPEC_CLASSES.get(spec.type_spec_class, "TypeSpec")
        state = decode(spec.type_state, depth + 1) if spec.HasField("type_state") else None
        return {"t": "type_spec", "class": cls, "state": state}
    if kind in ("list_value", "tuple_value"):
        items = [decode(v, depth + 1) for v in getattr(value, kind).values]
        return {"t": kind.removesuffix("_value"), "v": items}
    if kind == "dict_value":
        fields = value.dict_value.fields
        return {"t": "dict", "v": {k: decode(fields[k], depth + 1) for k in sorted(fields)}}
    if kind == "named_tuple_value":
        pairs = [[p.key, decode(p.value, depth + 1)] for p in value.named_tuple_value.values]
        return {"t": "namedtuple", "name": value.named_tuple_value.name, "v": pairs}
    return {"t": "unknown", "v": kind}


def _dims(shape: Any) -> list[int | None] | None:
    """TensorShape dims as TensorFlow shows them: None for unknown sizes, None for unknown rank."""
    if shape.unknown_rank:
        return None
    return [None if d.size < 0 else int(d.size) for d in shape.dim]
