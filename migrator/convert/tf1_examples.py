"""Validation inputs for string signature inputs that a graph parses as `tf.train.Example`s.

Estimator and TF Serving exports take serialized `tf.Example` protos (`inputs`/`examples`, dtype
string). Random strings would only test the parser's error path, but the graph says exactly what
it parses: each `ParseExample`/`ParseExampleV2`/`ParseSingleExample` op reading the input names its
dense keys with their dtypes and shapes, and its sparse keys with their dtypes. Examples built from
those (deterministic values, every dense feature present) are meaningful inputs for both the
source graph and the converted signature.

Runs inside a TensorFlow worker (imports TensorFlow lazily); the examples are written to an `.npz`
(`in_<i>` byte strings, never ending in NUL, which numpy's fixed-width bytes would strip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

PARSE_OPS = frozenset({"ParseExample", "ParseExampleV2", "ParseSingleExample"})
# Ops that pass a string tensor on unchanged (in content) between the input and the parser.
_PASS_THROUGH = frozenset(
    {"Identity", "Reshape", "ExpandDims", "Squeeze", "PlaceholderWithDefault"}
)


def _feeds_from(tensor: Any, source: Any) -> bool:
    """True when `tensor` is `source`, or `source` passed through shape-only ops."""
    seen = 0
    while seen < 16:
        if tensor.name == source.name:
            return True
        if tensor.op.type not in _PASS_THROUGH or not tensor.op.inputs:
            return False
        tensor = tensor.op.inputs[0]
        seen += 1
    return False


def _strings(sess: Any, tensors: Sequence[Any]) -> list[str]:
    values = sess.run(list(tensors)) if tensors else []
    out: list[str] = []
    for value in values:
        for item in np.asarray(value).reshape(-1):
            out.append(item.decode() if isinstance(item, bytes) else str(item))
    return out


def _dims(shape: Any) -> list[int | None]:
    """A `dense_shapes` entry (TensorShapeProto or TensorShape) as a list of dims."""
    if hasattr(shape, "as_list"):
        return list(shape.as_list())
    if getattr(shape, "unknown_rank", False):
        return []
    return [d.size if d.size >= 0 else None for d in shape.dim]


def parsed_features(sess: Any, op: Any) -> tuple[dict[str, tuple[Any, list[int]]], dict[str, Any]]:
    """({dense key: (dtype, shape)}, {sparse key: dtype}) that one parse op reads."""
    dense_types = list(op.get_attr("Tdense"))
    dense_shapes = [_dims(s) for s in op.get_attr("dense_shapes")]
    sparse_types = list(op.get_attr("sparse_types"))
    if op.type == "ParseExample":
        n_sparse = int(op.get_attr("Nsparse"))
        sparse_keys = _strings(sess, op.inputs[2 : 2 + n_sparse])
        dense_keys = _strings(sess, op.inputs[2 + n_sparse : 2 + n_sparse + len(dense_types)])
    elif op.type == "ParseExampleV2":
        sparse_keys = _strings(sess, [op.inputs[2]])
        dense_keys = _strings(sess, [op.inputs[3]])
    else:  # ParseSingleExample: keys are attributes
        sparse_keys = [
            k.decode() if isinstance(k, bytes) else k for k in op.get_attr("sparse_keys")
        ]
        dense_keys = [k.decode() if isinstance(k, bytes) else k for k in op.get_attr("dense_keys")]
    dense = {
        k: (t, [d if d is not None and d >= 0 else 1 for d in s])
        for k, t, s in zip(dense_keys, dense_types, dense_shapes, strict=False)
    }
    return dense, dict(zip(sparse_keys, sparse_types, strict=False))


def _feature(tf: Any, dtype: Any, count: int, rng: np.random.Generator) -> Any:
    dtype = tf.dtypes.as_dtype(dtype)
    if dtype.is_floating:
        values = rng.uniform(0.1, 1.0, size=count).astype("float32")
        return tf.train.Feature(float_list=tf.train.FloatList(value=values.tolist()))
    if dtype.is_integer:
        values = rng.integers(1, 3, size=count)
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"a"] * count))


def example_inputs(
    sess: Any,
    graph: Any,
    inputs: Mapping[str, str],
    *,
    batch: int = 2,
    seed: int = 1234,
) -> dict[str, np.ndarray] | None:
    """{input key: serialized Examples} for every string input a parse op reads; None if any
    string input is not parsed as tf.Example (nothing meaningful can be derived for it)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    parse_ops = [op for op in graph.get_operations() if op.type in PARSE_OPS]
    for key, name in inputs.items():
        tensor = graph.get_tensor_by_name(name)
        if tensor.dtype != tf.string:
            return None  # mixed signatures: make_inputs derives the others
        readers = [op for op in parse_ops if op.inputs and _feeds_from(op.inputs[0], tensor)]
        if not readers:
            return None
        dense: dict[str, tuple[Any, list[int]]] = {}
        sparse: dict[str, Any] = {}
        for op in readers:
            d, s = parsed_features(sess, op)
            dense.update(d)
            sparse.update(s)
        single = all(op.type == "ParseSingleExample" for op in readers)
        examples = []
        for _ in range(1 if single else batch):
            for _attempt in range(8):
                features = {
                    k: _feature(tf, t, int(np.prod(s)) if s else 1, rng)
                    for k, (t, s) in (sorted(dense.items()))
                }
                features.update({k: _feature(tf, t, 1, rng) for k, t in sorted(sparse.items())})
                data = tf.train.Example(
                    features=tf.train.Features(feature=features)
                ).SerializeToString(deterministic=True)
                if not data.endswith(b"\x00"):
                    break
            examples.append(data)
        shape = tensor.shape
        array = np.array(examples, dtype=bytes)
        if shape.rank == 0:
            array = array.reshape(())
        out[key] = array
    return out


def save_examples(path: Path, order: Sequence[str], arrays: Mapping[str, np.ndarray]) -> str:
    """Write `in_<i>` arrays in signature order; returns the path as text."""
    np.savez(path, **{f"in_{i}": arrays[k] for i, k in enumerate(order)})
    return str(path)
