"""Sparse and composite tensors in graph signatures, mapped onto what a TF2 signature can carry.

A TF1 SignatureDef may take or return a `tf.SparseTensor` (TensorInfo.coo_sparse: three tensor
names) or another composite such as a `tf.RaggedTensor` (TensorInfo.composite_tensor: a TypeSpec
and its component tensors). A TF2 SavedModel signature takes dense tensors only: TensorFlow
flattens composite input specs into their components, while composite outputs stay composite
(`knowledge.graph_import`). The faithful equivalent is therefore:

- each composite input becomes its component inputs, named as `tf.saved_model.load` names them
  for the source (`sp_indices`, `sp_values`, `sp_dense_shape`; `rg_component_0`, ...), so code
  written against TF2's view of the old export keeps working;
- each composite output is returned as the same `tf.SparseTensor` / `tf.RaggedTensor`;
- for Python callers, the saved object also gets `composite.<signature key>`, a function taking
  the composite tensors themselves (`tf.SparseTensorSpec` / `tf.RaggedTensorSpec` inputs).

Validation compares composite outputs component by component (indices, values, shape).
Runs inside TensorFlow workers: TensorFlow is passed in or imported lazily.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from migrator.knowledge.graph_import import COMPOSITE_COMPONENT_FORMAT, SPARSE_COMPONENT_SUFFIXES

# One signature input: tensor name, shape (None: unknown rank), tf dtype.
FlatInput = tuple[str, Any, Any]
# One signature output: a tensor name, or ("sparse", spec, [3 names]) / ("composite", spec, names).
OutputSpec = str | tuple[str, Any, list[str]]


def _shape(proto: Any) -> list[int | None] | None:
    if proto.unknown_rank:
        return None
    return [d.size if d.size >= 0 else None for d in proto.dim]


def decode_type_spec(type_spec_proto: Any) -> Any:
    """The tf.TypeSpec a TensorInfo.composite_tensor records (TensorFlow's own decoder)."""
    from tensorflow.core.protobuf import struct_pb2
    from tensorflow.python.saved_model import nested_structure_coder

    value = struct_pb2.StructuredValue()
    value.type_spec_value.CopyFrom(type_spec_proto)
    return nested_structure_coder.decode_proto(value)


def component_names(key: str, count: int, sparse: bool) -> list[str]:
    if sparse:
        return [key + suffix for suffix in SPARSE_COMPONENT_SUFFIXES]
    return [COMPOSITE_COMPONENT_FORMAT.format(key=key, index=i) for i in range(count)]


def flat_inputs(tf: Any, sig: Any) -> tuple[dict[str, FlatInput], dict[str, tuple[Any, list[str]]]]:
    """(flat key -> (tensor, shape, dtype), composite key -> (its TypeSpec, its flat keys))."""
    flat: dict[str, FlatInput] = {}
    composites: dict[str, tuple[Any, list[str]]] = {}
    for key in sorted(sig.inputs):
        info = sig.inputs[key]
        if info.name:
            flat[key] = (info.name, _shape(info.tensor_shape), tf.dtypes.as_dtype(info.dtype))
            continue
        if info.HasField("coo_sparse"):
            coo = info.coo_sparse
            shape = _shape(info.tensor_shape)
            rank = len(shape) if shape is not None else None
            dtype = tf.dtypes.as_dtype(info.dtype)
            names = component_names(key, 3, sparse=True)
            flat[names[0]] = (coo.indices_tensor_name, [None, rank], tf.int64)
            flat[names[1]] = (coo.values_tensor_name, [None], dtype)
            flat[names[2]] = (coo.dense_shape_tensor_name, [rank], tf.int64)
            composites[key] = (tf.SparseTensorSpec(shape, dtype), names)
        elif info.HasField("composite_tensor"):
            parts = list(info.composite_tensor.components)
            names = component_names(key, len(parts), sparse=False)
            for name, part in zip(names, parts, strict=True):
                flat[name] = (part.name, _shape(part.tensor_shape), tf.dtypes.as_dtype(part.dtype))
            composites[key] = (decode_type_spec(info.composite_tensor.type_spec), names)
    return flat, composites


def flat_outputs(tf: Any, sig: Any) -> dict[str, OutputSpec]:
    """Output key -> tensor name, or the composite it is with its component tensor names."""
    out: dict[str, OutputSpec] = {}
    for key in sorted(sig.outputs):
        info = sig.outputs[key]
        if info.name:
            out[key] = info.name
        elif info.HasField("coo_sparse"):
            coo = info.coo_sparse
            names = [coo.indices_tensor_name, coo.values_tensor_name, coo.dense_shape_tensor_name]
            spec = tf.SparseTensorSpec(_shape(info.tensor_shape), tf.dtypes.as_dtype(info.dtype))
            out[key] = ("sparse", spec, names)
        elif info.HasField("composite_tensor"):
            comp = info.composite_tensor
            names = [c.name for c in comp.components]
            out[key] = ("composite", decode_type_spec(comp.type_spec), names)
    return out


def output_tensor_names(spec: OutputSpec) -> list[str]:
    return [spec] if isinstance(spec, str) else list(spec[2])


def output_labels(key: str, spec: OutputSpec) -> list[str]:
    """The names validation gives an output's arrays (a composite: one per component)."""
    if isinstance(spec, str):
        return [key]
    return component_names(key, len(spec[2]), sparse=spec[0] == "sparse")


def pack_output(tf: Any, spec: OutputSpec, tensors: Sequence[Any]) -> Any:
    """The signature's value for one output from its fetched component tensors."""
    if isinstance(spec, str):
        return tensors[0]
    if spec[0] == "sparse":
        return tf.SparseTensor(tensors[0], tensors[1], tensors[2])
    return tf.nest.pack_sequence_as(spec[1], list(tensors), expand_composites=True)


def example_components(
    tf: Any, composites: Mapping[str, tuple[Any, list[str]]], seed: int = 0
) -> dict[str, np.ndarray]:
    """Valid component arrays for each composite input, batch 2 (deterministic values).

    A sparse input gets one value per row, at the row's first position (unknown dimensions 1):
    the pattern of a `VarLenFeature` with one value, which graphs that densify a sparse feature
    to `[batch, 1]` (tf.Transform, estimator feature columns) accept as well as wider ones. A
    ragged input gets full rows of 2 (unknown dimensions 2)."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for key in sorted(composites):
        spec, names = composites[key]
        shape = spec.shape.as_list() if spec.shape.rank is not None else [None]
        sparse = isinstance(spec, tf.SparseTensorSpec)
        dims = [2 if d is None and (i == 0 or not sparse) else d or 1 for i, d in enumerate(shape)]
        dtype = spec.dtype
        if dtype.is_integer:
            dense = rng.integers(1, 3, size=dims).astype(dtype.as_numpy_dtype)
        elif dtype == tf.string:
            dense = np.full(dims, b"a", dtype=object)
        elif dtype == tf.bool:
            dense = np.ones(dims, dtype=bool)
        else:
            dense = rng.uniform(0.5, 1.5, size=dims).astype(dtype.as_numpy_dtype)
        if sparse:
            keep = np.zeros(dims, dtype=bool)
            if dense.ndim:
                keep[(slice(None),) + (0,) * (dense.ndim - 1)] = True
            else:
                keep = np.ones(dims, dtype=bool)
            value: Any = tf.sparse.from_dense(tf.constant(np.where(keep, dense, _zero(dense))))
        else:
            value = tf.RaggedTensor.from_tensor(
                tf.constant(dense),
                ragged_rank=spec.ragged_rank,
                row_splits_dtype=spec.row_splits_dtype,
            )
        parts = tf.nest.flatten(value, expand_composites=True)
        for name, part in zip(names, parts, strict=True):
            array = part.numpy()
            out[name] = np.array(array.tolist(), dtype=bytes) if array.dtype == object else array
    return out


def _zero(dense: np.ndarray) -> Any:
    return b"" if dense.dtype == object else np.zeros((), dtype=dense.dtype)


def attach_composite_functions(
    tf: Any,
    owner: Any,
    functions: Mapping[str, tuple[Any, Sequence[str], Mapping[str, tuple[Any, list[str]]]]],
) -> list[str]:
    """Give `owner` a `composite` module with, per signature key, a function that takes the
    composite inputs themselves and calls the flat signature function.

    `functions`: key -> (flat function taking its inputs positionally in `flat keys` order,
    flat keys, composites of that signature). Returns the attribute names made.
    """
    holder = tf.Module()
    made = []
    for key in sorted(functions):
        flat_fn, flat_keys, composites = functions[key]
        if not composites:
            continue
        grouped = {n for _, names in composites.values() for n in names}
        args = sorted(set(composites) | (set(flat_keys) - grouped))
        plain = {k for k in args if k not in composites}
        specs = []
        for arg in args:
            if arg in composites:
                specs.append(composites[arg][0])
            else:
                specs.append(tf.TensorSpec(None, tf.float32, name=arg))
        specs = _dense_specs(tf, specs, args, plain, flat_fn)

        call = _composite_caller(tf, flat_fn, tuple(flat_keys), tuple(args), composites)
        name = "".join(c if c.isalnum() else "_" for c in key)
        if not name or name[0].isdigit():
            name = f"signature_{name}"
        setattr(holder, name, tf.function(call, input_signature=specs))
        made.append(name)
    if made:
        owner.composite = holder
    return made


def _composite_caller(
    tf: Any,
    flat_fn: Any,
    flat_keys: Sequence[str],
    args: Sequence[str],
    composites: Mapping[str, tuple[Any, list[str]]],
) -> Any:
    """A function of `args` (composites as such) calling `flat_fn` with their components."""

    def call(*values: Any) -> Any:
        feed: dict[str, Any] = {}
        for arg, value in zip(args, values, strict=True):
            if arg in composites:
                parts = tf.nest.flatten(value, expand_composites=True)
                feed.update(zip(composites[arg][1], parts, strict=True))
            else:
                feed[arg] = value
        return flat_fn(*[feed[k] for k in flat_keys])

    return call


def _dense_specs(
    tf: Any, specs: list[Any], args: Sequence[str], plain: set[str], flat_fn: Any
) -> list[Any]:
    """Dense arguments of a composite function take the flat function's own specs."""
    known = {}
    for spec in getattr(flat_fn, "input_signature", None) or ():
        known[spec.name] = spec
    return [
        tf.TensorSpec(known[a].shape, known[a].dtype, name=a) if a in plain and a in known else s
        for a, s in zip(args, specs, strict=True)
    ]
