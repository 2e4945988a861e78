"""TensorFlow Lite models (`tflite`): a FlatBuffer whose file identifier (bytes 4..8) is `TFL3`.

The Model table is walked directly (no TFLite runtime, no flatbuffers package), following
`tensorflow/compiler/mlir/lite/schema/schema.fbs` (formerly `tensorflow/lite/schema/schema.fbs`):
Model = {version, operator_codes, subgraphs, description, buffers, metadata_buffer, metadata,
signature_defs, ...}. The file is memory-mapped and only the tables read here are touched, so
weight buffers are never read; the one exception is a metadata entry's buffer when it is small
(`min_runtime_version`, a short string, and `CONVERSION_METADATA`, the converter's own FlatBuffer).
Every offset is checked against the file size first: a corrupt file gives one ArtifactError.

`details`: see `TFLiteDetails`, field by field.

`raw` keys: "op_counts" ({op name: operator count} over all subgraphs).
`producer.tensorflow_version` comes only from CONVERSION_METADATA (TF >= 2.9 converters write it).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import register
from migrator.formats.details import UNSET, Details
from migrator.model import Candidate, Reading
from migrator.storage import RangeView, byte_view

register(__name__, formats=("tflite",), order=60)

FORMAT = "tflite"
IDENTIFIER = b"TFL3"
MAX_SUBGRAPHS_LISTED = 64
MAX_OPERATORS_SCANNED = 2_000_000
MAX_SMALL_METADATA = 4096
MAX_CONVERSION_METADATA = 1024 * 1024

# BuiltinOperator enum values 0..209 (schema.fbs, TF 2.21).
BUILTIN_OPS: tuple[str, ...] = (
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1",
    "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
    "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX",
    "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT",
    "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL",
    "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT",
    "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT",
    "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL",
    "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
    "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND",
    "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",
    "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
    "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM",
    "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO",
    "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND",
    "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE",
    "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
    "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
    "STABLEHLO_LOGISTIC", "STABLEHLO_ADD", "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY",
    "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE", "STABLEHLO_CLAMP", "STABLEHLO_CONCATENATE",
    "STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE",
    "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE", "STABLEHLO_ABS", "STABLEHLO_AND",
    "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL", "STABLEHLO_FLOOR", "STABLEHLO_LOG",
    "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE", "STABLEHLO_OR", "STABLEHLO_POWER",
    "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT", "STABLEHLO_SUBTRACT",
    "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE", "STABLEHLO_CONVERT",
    "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE", "STABLEHLO_PAD",
    "STABLEHLO_IOTA", "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW", "STABLEHLO_SORT",
    "STABLEHLO_WHILE", "STABLEHLO_GATHER", "STABLEHLO_TRANSPOSE", "DILATE",
    "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE",
    "STABLEHLO_SHIFT_LEFT", "STABLEHLO_CBRT", "STABLEHLO_CASE",
)  # fmt: skip
CUSTOM = BUILTIN_OPS.index("CUSTOM")

# TensorType enum values 0..20 (schema.fbs, TF 2.21).
TENSOR_TYPES: tuple[str, ...] = (
    "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64",
    "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16",
    "INT4", "BFLOAT16", "INT2", "UINT4",
)  # fmt: skip

# conversion_metadata.fbs
MODEL_TYPES = ("NONE", "TF_SAVED_MODEL", "KERAS_MODEL", "TF_CONCRETE_FUNCTIONS", "TF_GRAPH_DEF",
               "TF_SESSION", "JAX", "PYTORCH")  # fmt: skip
OPTIMIZATION_MODES = {
    1001: "PTQ_FLOAT16", 1002: "PTQ_DYNAMIC_RANGE", 1003: "PTQ_FULL_INTEGER", 1004: "PTQ_INT16",
    2000: "QUANTIZATION_AWARE_TRAINING", 3001: "RANDOM_SPARSITY", 3002: "BLOCK_SPARSITY",
    3003: "STRUCTURED_SPARSITY",
}  # fmt: skip


@dataclass(frozen=True, eq=False)
class TFLiteDetails(Details):
    """What the reader reports for a ``tflite`` model, in report order."""

    schema_version: Any = UNSET  # Model.version (3 for every model converted since 2018)
    description: Any = UNSET  # Model.description, e.g. "TOCO Converted." or "MLIR Converted."
    subgraph_count: Any = UNSET
    # [{name, tensors, operators, inputs, outputs}], inputs/outputs as [{name, dtype
    # ("FLOAT32"), shape}] (at most MAX_SUBGRAPHS_LISTED listed)
    subgraphs: Any = UNSET
    # [{builtin, custom_code, version}]: `builtin` is the BuiltinOperator name of
    # max(builtin_code, deprecated_builtin_code), as the runtime decides it
    operator_codes: Any = UNSET
    ops: Any = UNSET  # sorted builtin op names used, CUSTOM excluded
    custom_ops: Any = UNSET  # sorted custom_code strings (e.g. "ParseExample", "FlexAddV2")
    signature_defs: Any = UNSET  # [{key, subgraph_index, inputs: [names], outputs: [names]}]
    metadata: Any = UNSET  # names of the Model.metadata entries
    min_runtime_version: Any = UNSET  # the `min_runtime_version` metadata string, or None
    # {tensorflow_version, api_version, model_type, allow_custom_ops, enable_select_tf_ops,
    # force_select_tf_ops, optimization_modes} or None
    conversion_metadata: Any = UNSET
    buffers: Any = UNSET  # number of entries in Model.buffers (their contents are not read)
    subgraphs_capped: Any = UNSET  # "first N of M listed" when `subgraphs` was cut
    operators_capped: Any = UNSET  # when operator counts stop at MAX_OPERATORS_SCANNED


class FlatError(Exception):
    """An offset or length in the FlatBuffer points outside the file."""


class _Buf:
    """Bounds-checked little-endian reads over a bytes-like object (an mmap in practice)."""

    def __init__(self, data: Any, base: int = 0, size: int | None = None) -> None:
        self.data = data
        self.base = base
        self.size = len(data) - base if size is None else size
        self.ranged = isinstance(data, RangeView)  # no buffer protocol: slice, then unpack

    def need(self, pos: int, n: int, what: str) -> None:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise FlatError(
                f"{what} at offset {pos} (+{n} bytes) is outside the {self.size}-byte buffer"
            )

    def unpack(self, fmt: str, pos: int, what: str) -> Any:
        size = struct.calcsize(fmt)
        self.need(pos, size, what)
        start = self.base + pos
        if self.ranged:
            return struct.unpack(fmt, self.data[start : start + size])[0]
        return struct.unpack_from(fmt, self.data, start)[0]

    def bytes_at(self, pos: int, n: int, what: str) -> bytes:
        self.need(pos, n, what)
        return bytes(self.data[self.base + pos : self.base + pos + n])

    def root(self) -> _Table:
        return _Table(self, self.unpack("<I", 0, "root table offset"))


class _Table:
    """One FlatBuffer table: its vtable says where each field (slot) sits, if present."""

    def __init__(self, buf: _Buf, pos: int) -> None:
        self.buf = buf
        self.pos = pos
        vtable = pos - buf.unpack("<i", pos, "table")
        self.vtable = vtable
        self.vtable_size = buf.unpack("<H", vtable, "vtable")
        if self.vtable_size < 4 or self.vtable_size % 2:
            raise FlatError(f"vtable at offset {vtable} has impossible size {self.vtable_size}")
        buf.need(vtable, self.vtable_size, "vtable")

    def _field(self, slot: int) -> int | None:
        entry = 4 + 2 * slot
        if entry >= self.vtable_size:
            return None
        offset = self.buf.unpack("<H", self.vtable + entry, "vtable entry")
        return self.pos + offset if offset else None

    def scalar(self, slot: int, fmt: str, default: Any) -> Any:
        pos = self._field(slot)
        return default if pos is None else self.buf.unpack(fmt, pos, "scalar field")

    def _ref(self, slot: int) -> int | None:
        pos = self._field(slot)
        if pos is None:
            return None
        return pos + self.buf.unpack("<I", pos, "offset field")

    def table(self, slot: int) -> _Table | None:
        pos = self._ref(slot)
        return None if pos is None else _Table(self.buf, pos)

    def string(self, slot: int) -> str | None:
        pos = self._ref(slot)
        if pos is None:
            return None
        n = self.buf.unpack("<I", pos, "string length")
        return self.buf.bytes_at(pos + 4, n, "string").decode("utf-8", "replace")

    def vector(self, slot: int, elem_size: int) -> tuple[int, int]:
        """(position of the first element, element count); (0, 0) when absent."""
        pos = self._ref(slot)
        if pos is None:
            return 0, 0
        n = self.buf.unpack("<I", pos, "vector length")
        self.buf.need(pos + 4, n * elem_size, "vector")
        return pos + 4, n

    def tables(self, slot: int) -> list[_Table]:
        start, n = self.vector(slot, 4)
        return [_Table(self.buf, start + 4 * i + self.buf.unpack("<I", start + 4 * i, "element"))
                for i in range(n)]  # fmt: skip

    def ints(self, slot: int, fmt: str = "<i") -> list[int]:
        size = struct.calcsize(fmt)
        start, n = self.vector(slot, size)
        return [self.buf.unpack(fmt, start + size * i, "vector element") for i in range(n)]


def claim_file(path: Path, head: bytes) -> bool:
    return len(head) >= 8 and head[4:8] == IDENTIFIER


def read(candidate: Candidate) -> Reading:
    path = candidate.location
    try:
        with byte_view(path) as data:  # mmap on disk; ranged reads in a store
            size = len(data)
            if size < 8:
                raise _error(path, f"file is {size} bytes, too short for a FlatBuffer header")
            if data[4:8] != IDENTIFIER:
                raise _error(path, f"FlatBuffer identifier is {data[4:8]!r}, not {IDENTIFIER!r}")
            return _read_model(_Buf(data), size)
    except FlatError as exc:
        raise _error(path, f"corrupt TFLite FlatBuffer ({exc})") from None
    except OSError as exc:
        raise _error(path, f"cannot read file ({exc.strerror or exc})") from None


def _error(path: Path, problem: str) -> ArtifactError:
    return ArtifactError(
        path,
        problem,
        "re-convert the model with tf.lite.TFLiteConverter or re-copy the file",
        format=FORMAT,
    )


def _read_model(buf: _Buf, size: int) -> Reading:
    model = buf.root()
    codes = []
    for code in model.tables(1):
        deprecated = code.scalar(0, "<b", 0)
        builtin = max(code.scalar(3, "<i", 0), deprecated)
        codes.append(
            {
                "builtin": BUILTIN_OPS[builtin]
                if 0 <= builtin < len(BUILTIN_OPS)
                else str(builtin),
                "custom_code": code.string(1),
                "version": code.scalar(2, "<i", 1),
            }
        )
    subgraphs = model.tables(2)
    op_counts: dict[str, int] = {}
    listed = []
    scanned = 0
    for index, subgraph in enumerate(subgraphs):
        tensors = subgraph.tables(0)
        operators = subgraph.tables(3)
        for operator in operators:
            scanned += 1
            if scanned > MAX_OPERATORS_SCANNED:
                break
            opcode = operator.scalar(0, "<I", 0)
            if opcode >= len(codes):
                raise FlatError(
                    f"operator in subgraph {index} uses opcode {opcode}, but only {len(codes)} exist"
                )
            code = codes[opcode]
            name = code["custom_code"] if code["builtin"] == "CUSTOM" else code["builtin"]
            op_counts[name or "CUSTOM"] = op_counts.get(name or "CUSTOM", 0) + 1
        if index < MAX_SUBGRAPHS_LISTED:
            listed.append(
                {
                    "name": subgraph.string(4) or "",
                    "tensors": len(tensors),
                    "operators": len(operators),
                    "inputs": [_tensor(tensors, i, index) for i in subgraph.ints(1)],
                    "outputs": [_tensor(tensors, i, index) for i in subgraph.ints(2)],
                }
            )
    buffers = model.tables(4)
    metadata: dict[str, int] = {}
    for entry in model.tables(6):
        metadata[entry.string(0) or ""] = entry.scalar(1, "<I", 0)
    signatures = []
    for sig in model.tables(7):
        signatures.append(
            {
                "key": sig.string(2) or "",
                "subgraph_index": sig.scalar(4, "<I", 0),
                "inputs": [m.string(0) or "" for m in sig.tables(0)],
                "outputs": [m.string(0) or "" for m in sig.tables(1)],
            }
        )
    min_runtime = None
    if "min_runtime_version" in metadata:
        blob = _buffer_bytes(buf, buffers, metadata["min_runtime_version"], MAX_SMALL_METADATA)
        if blob is not None:
            min_runtime = blob.split(b"\0", 1)[0].decode("utf-8", "replace")
    conversion = None
    producer: dict[str, str] = {}
    if "CONVERSION_METADATA" in metadata:
        blob = _buffer_bytes(buf, buffers, metadata["CONVERSION_METADATA"], MAX_CONVERSION_METADATA)
        if blob is not None:
            conversion = _conversion_metadata(blob)
            if conversion.get("tensorflow_version"):
                producer["tensorflow_version"] = conversion["tensorflow_version"]
    details: dict[str, Any] = {
        "schema_version": model.scalar(0, "<I", 0),
        "description": model.string(3),
        "subgraph_count": len(subgraphs),
        "subgraphs": listed,
        "operator_codes": codes,
        "ops": sorted({c["builtin"] for c in codes if c["builtin"] != "CUSTOM"}),
        "custom_ops": sorted({c["custom_code"] for c in codes if c["custom_code"]}),
        "signature_defs": signatures,
        "metadata": list(metadata),
        "min_runtime_version": min_runtime,
        "conversion_metadata": conversion,
        "buffers": len(buffers),
    }
    if len(subgraphs) > MAX_SUBGRAPHS_LISTED:
        details["subgraphs_capped"] = f"first {MAX_SUBGRAPHS_LISTED} of {len(subgraphs)} listed"
    if scanned > MAX_OPERATORS_SCANNED:
        details["operators_capped"] = f"operator counts cover the first {MAX_OPERATORS_SCANNED}"
    evidence = [f"FlatBuffer file identifier {IDENTIFIER.decode()!r} at bytes 4..8"]
    evidence.append(f"Model.version={details['schema_version']}, {len(subgraphs)} subgraph(s)")
    if min_runtime:
        evidence.append(f"metadata min_runtime_version={min_runtime!r}")
    if producer:
        evidence.append(
            f"CONVERSION_METADATA environment tensorflow_version={producer['tensorflow_version']!r}"
        )
    return Reading(
        FORMAT,
        producer=producer,
        details=TFLiteDetails(**details),
        evidence=tuple(evidence),
        raw={"op_counts": dict(sorted(op_counts.items()))},
    )


def _tensor(tensors: list[_Table], index: int, subgraph: int) -> dict[str, Any]:
    if not 0 <= index < len(tensors):
        raise FlatError(f"subgraph {subgraph} names tensor {index}, but it has {len(tensors)}")
    tensor = tensors[index]
    dtype = tensor.scalar(1, "<b", 0)
    signature = tensor.ints(7)
    return {
        "name": tensor.string(3) or "",
        "dtype": TENSOR_TYPES[dtype] if 0 <= dtype < len(TENSOR_TYPES) else str(dtype),
        "shape": signature or tensor.ints(0),
    }


def _buffer_bytes(buf: _Buf, buffers: list[_Table], index: int, limit: int) -> bytes | None:
    """The bytes of a small metadata buffer; None when absent or larger than `limit`."""
    if not 0 <= index < len(buffers):
        raise FlatError(f"metadata names buffer {index}, but the model has {len(buffers)}")
    buffer = buffers[index]
    start, n = buffer.vector(0, 1)
    if n:
        return buf.bytes_at(start, n, "metadata buffer") if n <= limit else None
    offset, size = buffer.scalar(1, "<Q", 0), buffer.scalar(2, "<Q", 0)
    if offset > 1 and 0 < size <= limit:  # stored after the FlatBuffer (models over 2 GB)
        return buf.bytes_at(offset, size, "metadata buffer")
    return None


def _conversion_metadata(blob: bytes) -> dict[str, Any]:
    """ConversionMetadata (conversion_metadata.fbs): environment and options of the converter."""
    try:
        root = _Buf(blob).root()
        env = root.table(0)
        options = root.table(1)
        out: dict[str, Any] = {"tensorflow_version": None, "api_version": None, "model_type": None}
        if env is not None:
            model_type = env.scalar(2, "<i", 0)
            out["tensorflow_version"] = env.string(0)
            out["api_version"] = env.scalar(1, "<I", 0)
            out["model_type"] = (
                MODEL_TYPES[model_type] if 0 <= model_type < len(MODEL_TYPES) else str(model_type)
            )
        if options is not None:
            out["optimization_modes"] = [OPTIMIZATION_MODES.get(m, str(m)) for m in options.ints(0)]
            out["allow_custom_ops"] = bool(options.scalar(1, "<B", 0))
            out["enable_select_tf_ops"] = bool(options.scalar(2, "<B", 0))
            out["force_select_tf_ops"] = bool(options.scalar(3, "<B", 0))
        return out
    except FlatError as exc:
        return {"error": f"CONVERSION_METADATA is not a ConversionMetadata FlatBuffer ({exc})"}
