"""GraphDef reader (format id ``graph-def``) and the graph walk the SavedModel reader shares.

A GraphDef is a bare TensorFlow graph: the ``.pb`` a TF1 ``freeze_graph`` /
``convert_variables_to_constants`` writes, or its text form (``.pbtxt``, ``tf.io.write_graph``
with ``as_text=True``). The format is decided by protobuf structure, not by the extension: a
binary GraphDef's first field is a ``node`` (field 1) whose own first fields are a ``name`` and an
op-like ``op`` string; a MetaGraphDef's first field is a ``meta_info_def``; a SavedModel starts
with the varint ``saved_model_schema_version``. A loose MetaGraphDef is reported here with
``container: "MetaGraphDef"``; a loose SavedModel proto goes to the SavedModel reader.

Cost: the file is memory-mapped and walked at the protobuf wire level. Only nodes smaller than
``SMALL_NODE`` bytes are handed to the protobuf parser; a bigger node (a ``Const`` holding
weights) is walked by hand, keeping its name, op, inputs and tensor dtype/shape and skipping the
tensor bytes, so a frozen graph full of constants costs little more than its node count.

``details`` keys (JSON-ready):

- ``container``: ``"GraphDef"`` or ``"MetaGraphDef"``; ``encoding``: ``"binary"`` or ``"text"``
- ``frozen``: true when the graph has ``Const`` nodes and no variable nodes
  (``Variable``, ``VariableV2``, ``VarHandleOp``, ...)
- ``node_count`` (top-level graph nodes), ``function_count`` (functions in the library),
  ``function_node_count`` (nodes inside those functions)
- ``op_types``: sorted op types of the graph nodes and of every library function's nodes
  (calls to library functions are not op types and are left out)
- ``variable_nodes``, ``const_nodes``: counts over the top-level graph
- ``producer_version`` / ``min_consumer``: ``GraphDef.versions`` numbers (GraphDef versions,
  not TensorFlow releases; null when the graph records none)
- ``inputs``: ``Placeholder`` nodes as ``{name, dtype, shape}`` (``shape`` is a list of ints with
  -1 for an unknown size, or null when the rank is unknown or the attr is absent)
- ``likely_outputs``: top-level nodes nothing else consumes, leaving out bookkeeping ops
  (``NoOp``, assignments, save/restore, constants, placeholders, variables); a heuristic, capped
  at ``MAX_OUTPUTS`` names; ``likely_output_count`` is the uncapped count
- for a MetaGraphDef container also ``tags``, ``tensorflow_version``,
  ``tensorflow_git_version``, ``signature_names``, and a ``note``.

``raw`` keys: ``ops`` ({op type: sorted locations ``graph:<node>`` /
``function:<function>/<node>``}) and ``string_attrs`` ({location: strings}) for nodes whose op
touches files, prints or writes summaries (see ``is_io_op``): their non-empty string attrs and the
string values of the ``Const`` nodes feeding them, bounded by ``MAX_STRINGS`` per node,
``MAX_STRING_CHARS`` per string and ``MAX_IO_LOCATIONS`` locations.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from migrator.errors import ArtifactError
from migrator.formats import protos, register
from migrator.model import Candidate, Reading

register(__name__, formats=("graph-def",), order=70)

FORMAT = "graph-def"

# Wire types (protobuf encoding).
VARINT, I64, LEN, I32 = 0, 1, 2, 5

# Nodes up to this size are parsed by protobuf; bigger ones are walked without their tensor bytes.
SMALL_NODE = 32 * 1024
# Consecutive small nodes are parsed together, in runs of at most this many bytes.
NODE_RUN = 4 * 1024 * 1024
MAX_STRINGS = 8
MAX_STRING_CHARS = 256
MAX_IO_LOCATIONS = 256
MAX_OUTPUTS = 50
# How much of a file `claim_file` may read to see a long first node name through.
SNIFF_BYTES = 4096
# Text protos are parsed whole (protobuf has no streaming text parser): refuse absurd sizes.
MAX_TEXT_BYTES = 256 * 1024 * 1024

VARIABLE_OPS = frozenset(
    {
        "Variable",
        "VariableV2",
        "VarHandleOp",
        "_VarHandlesOp",
        "AutoReloadVariable",
        "TemporaryVariable",
    }
)
PLACEHOLDER_OPS = frozenset({"Placeholder", "PlaceholderV2"})
# Ops whose unconsumed instances are bookkeeping, not model outputs.
_NOT_OUTPUTS = frozenset(
    {
        "NoOp",
        "Const",
        "Placeholder",
        "PlaceholderV2",
        "PlaceholderWithDefault",
        "Assign",
        "AssignAdd",
        "AssignSub",
        "AssignVariableOp",
        "AssignAddVariableOp",
        "AssignSubVariableOp",
        "SaveV2",
        "Save",
        "SaveSlices",
        "RestoreV2",
        "Restore",
        "RestoreSlice",
        "MergeV2Checkpoints",
        "VarIsInitializedOp",
        "IsVariableInitialized",
        "Identity",
        "ReadVariableOp",
    }
    | VARIABLE_OPS
)
# Ops that read or write files, print, or write summaries/debug data (exact names), plus name
# fragments that catch their relatives (TFRecordDatasetV2, WriteScalarSummary, ...).
IO_OPS = frozenset(
    {
        "ReadFile",
        "WriteFile",
        "MatchingFiles",
        "Save",
        "SaveV2",
        "SaveSlices",
        "Restore",
        "RestoreV2",
        "RestoreSlice",
        "MergeV2Checkpoints",
        "ShardedFilename",
        "ShardedFilespec",
        "PrintV2",
        "Print",
        "ImmutableConst",
        "DistributedSave",
        "InitializeTableFromTextFile",
        "InitializeTableFromTextFileV2",
        "EncodeProto",
        "DecodeProtoV2",
    }
)
_IO_FRAGMENTS = (
    "File",
    "Save",
    "Restore",
    "Dataset",
    "Print",
    "Debug",
    "Summary",
    "Reader",
    "Writer",
    "Immutable",
    "Checkpoint",
    "Record",
)

_OP_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_>]*\Z")
_NODE_NAME = re.compile(rb"[A-Za-z0-9._][A-Za-z0-9_.\-/>]*\Z")


@cache
def is_io_op(op: str) -> bool:
    """True for ops that touch files, print, or write summaries (their strings are recorded)."""
    return op in IO_OPS or any(fragment in op for fragment in _IO_FRAGMENTS)


class WireError(ValueError):
    """The bytes break the protobuf wire format (truncated or corrupt)."""


# --- protobuf wire walking ----------------------------------------------------------------------


def read_varint(buf: Any, pos: int, end: int) -> tuple[int, int]:
    """Decode a varint at `pos`; returns (value, next position)."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise WireError(f"varint cut off at byte {pos}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError(f"varint longer than 10 bytes at byte {pos}")


def iter_fields(buf: Any, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """Yield (field number, wire type, a, b, tag start) for each field in buf[start:end].

    For LEN fields (a, b) is the payload's [start, end); for VARINT a is the value and b the next
    position; for fixed-width fields (a, b) is the value's byte range.
    """
    pos = start
    while pos < end:
        tag_start = pos
        tag, pos = read_varint(buf, pos, end)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {tag_start}")
        if wire == VARINT:
            value, pos = read_varint(buf, pos, end)
            yield number, wire, value, pos, tag_start
        elif wire == LEN:
            length, pos = read_varint(buf, pos, end)
            if pos + length > end:
                raise WireError(
                    f"field {number} at byte {tag_start} claims {length} bytes but only "
                    f"{end - pos} remain"
                )
            yield number, wire, pos, pos + length, tag_start
            pos += length
        elif wire in (I64, I32):
            size = 8 if wire == I64 else 4
            if pos + size > end:
                raise WireError(f"fixed-width field {number} cut off at byte {tag_start}")
            yield number, wire, pos, pos + size, tag_start
            pos += size
        else:
            raise WireError(f"invalid wire type {wire} for field {number} at byte {tag_start}")


def _text(buf: Any, a: int, b: int) -> str:
    return bytes(buf[a:b]).decode("utf-8", "replace")


def _parse(name: str, buf: Any, a: int, b: int) -> Any:
    try:
        return protos.parse(name, bytes(buf[a:b]))
    except DecodeError as exc:
        raise WireError(f"{name} at bytes {a}..{b} does not parse ({exc})") from None


# --- nodes ----------------------------------------------------------------------------------------


def read_node(buf: Any, a: int, b: int) -> Any:
    """A NodeDef from buf[a:b]; a big node is rebuilt from its small fields, tensors skipped."""
    if b - a <= SMALL_NODE:
        return _parse("NodeDef", buf, a, b)
    node = protos.message_class("NodeDef")()
    for number, wire, fa, fb, _ in iter_fields(buf, a, b):
        if wire != LEN:
            continue
        if number == 1:
            node.name = _text(buf, fa, fb)
        elif number == 2:
            node.op = _text(buf, fa, fb)
        elif number == 3:
            node.input.append(_text(buf, fa, fb))
        elif number == 4:
            node.device = _text(buf, fa, fb)
        elif number == 5:
            key, value = _read_attr_entry(buf, fa, fb)
            if value is not None:
                node.attr[key].CopyFrom(value)
    return node


def _read_attr_entry(buf: Any, a: int, b: int) -> tuple[str, Any]:
    key, value = "", None
    for number, wire, fa, fb, _ in iter_fields(buf, a, b):
        if number == 1 and wire == LEN:
            key = _text(buf, fa, fb)
        elif number == 2 and wire == LEN:
            value = (
                _parse("AttrValue", buf, fa, fb)
                if fb - fa <= SMALL_NODE
                else _light_attr(buf, fa, fb)
            )
    return key, value


def _light_attr(buf: Any, a: int, b: int) -> Any:
    """A big AttrValue: keep a tensor's dtype, shape and a few short strings; drop the rest."""
    attr = protos.message_class("AttrValue")()
    for number, wire, fa, fb, _ in iter_fields(buf, a, b):
        if number != 8 or wire != LEN:
            continue
        tensor = attr.tensor
        tensor.SetInParent()
        strings = 0
        for tn, tw, ta, tb, _ in iter_fields(buf, fa, fb):
            if tn == 1 and tw == VARINT:
                tensor.dtype = ta
            elif tn == 2 and tw == LEN:
                tensor.tensor_shape.CopyFrom(_parse("TensorShapeProto", buf, ta, tb))
            elif tn == 8 and tw == LEN and strings < MAX_STRINGS:
                tensor.string_val.append(bytes(buf[ta : min(tb, ta + MAX_STRING_CHARS)]))
                strings += 1
    return attr


def shape_list(shape: Any) -> list[int] | None:
    """TensorShapeProto -> list of sizes (-1 unknown), or None for an unknown rank."""
    if shape.unknown_rank:
        return None
    return [int(d.size) for d in shape.dim]


def node_input_name(ref: str) -> str:
    """'^ctrl' / 'x:0' / 'fn_node:output:0' -> the producing node's name."""
    return ref.lstrip("^").split(":", 1)[0]


# --- graph facts ----------------------------------------------------------------------------------


@dataclass
class GraphFacts:
    """What a walk over one graph (and its function library) found."""

    node_count: int = 0
    function_count: int = 0
    function_node_count: int = 0
    function_names: list[str] = field(default_factory=list)
    ops: dict[str, set[str]] = field(default_factory=dict)
    variable_nodes: int = 0
    const_nodes: int = 0
    placeholders: list[dict[str, Any]] = field(default_factory=list)
    node_order: list[tuple[str, str]] = field(default_factory=list)  # top-level (name, op)
    consumed: set[str] = field(default_factory=set)
    producer_version: int | None = None
    min_consumer: int | None = None
    string_attrs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def op_types(self) -> list[str]:
        calls = set(self.function_names)
        return sorted(op for op in self.ops if op not in calls)

    def ops_by_location(self) -> dict[str, list[str]]:
        calls = set(self.function_names)
        return {op: sorted(where) for op, where in sorted(self.ops.items()) if op not in calls}

    def likely_outputs(self) -> list[str]:
        return [
            name
            for name, op in self.node_order
            if name not in self.consumed and op not in _NOT_OUTPUTS
        ]

    def input_specs(self) -> list[dict[str, Any]]:
        return list(self.placeholders)


class _Scope:
    """Collects one graph or function body; resolves string Consts feeding I/O ops at the end."""

    def __init__(self, facts: GraphFacts, prefix: str, top_level: bool) -> None:
        self.facts = facts
        self.prefix = prefix
        self.top_level = top_level
        self.string_consts: dict[str, list[str]] = {}
        self.io_nodes: list[tuple[str, list[str], list[str]]] = []

    def add(self, node: Any) -> None:
        facts = self.facts
        op = node.op
        location = f"{self.prefix}{node.name}"
        facts.ops.setdefault(op, set()).add(location)
        if self.top_level:
            facts.node_count += 1
            facts.node_order.append((node.name, op))
            for ref in node.input:
                facts.consumed.add(node_input_name(ref))
            if op in VARIABLE_OPS:
                facts.variable_nodes += 1
            elif op == "Const":
                facts.const_nodes += 1
            elif op in PLACEHOLDER_OPS:
                facts.placeholders.append(_placeholder(node))
        else:
            facts.function_node_count += 1
        if op == "Const" and "value" in node.attr:
            tensor = node.attr["value"].tensor
            if tensor.dtype == 7 and tensor.string_val:  # DT_STRING
                self.string_consts[node.name] = [_short(s) for s in tensor.string_val[:MAX_STRINGS]]
        if is_io_op(op):
            own = []
            for key, value in sorted(node.attr.items()):
                if key.startswith("_"):
                    continue
                if value.s:
                    own.append(_short(value.s))
                own.extend(_short(s) for s in value.list.s[:MAX_STRINGS])
            self.io_nodes.append((location, [node_input_name(r) for r in node.input], own))

    def close(self) -> None:
        out = self.facts.string_attrs
        for location, inputs, own in self.io_nodes:
            if len(out) >= MAX_IO_LOCATIONS:
                break
            strings = list(own)
            for name in inputs:
                strings.extend(self.string_consts.get(name, ()))
            strings = [s for s in dict.fromkeys(strings) if s][:MAX_STRINGS]
            if strings:
                out[location] = strings


def _short(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text if len(text) <= MAX_STRING_CHARS else text[:MAX_STRING_CHARS] + "..."


def _placeholder(node: Any) -> dict[str, Any]:
    attrs = node.attr
    dtype = protos.dtype_name(attrs["dtype"].type) if "dtype" in attrs else None
    shape = shape_list(attrs["shape"].shape) if "shape" in attrs else None
    return {"name": node.name, "dtype": dtype, "shape": shape}


def iter_node_defs(
    buf: Any, start: int, end: int, node_field: int, container: str, other: Any = None
) -> Iterator[Any]:
    """The NodeDefs in field `node_field` of the message in buf[start:end], in order.

    A run of consecutive node fields is itself a valid encoding of the `container` message
    (GraphDef, FunctionDef) holding just those nodes, so runs of small nodes are parsed by
    protobuf in one call each (up to NODE_RUN bytes); a node bigger than SMALL_NODE is walked by
    `read_node` instead. Other fields go to `other(number, wire, a, b, tag_start)`.
    """
    repeated = "node" if container == "GraphDef" else "node_def"
    run_start = run_end = -1
    for number, wire, a, b, tag_start in iter_fields(buf, start, end):
        if number != node_field:
            if run_start >= 0:
                yield from getattr(_parse(container, buf, run_start, run_end), repeated)
                run_start = -1
            if other is not None:
                other(number, wire, a, b, tag_start)
            continue
        _expect(wire, LEN, f"{container}.{repeated}", tag_start)
        small = b - a <= SMALL_NODE
        if small and run_start >= 0 and tag_start == run_end and b - run_start <= NODE_RUN:
            run_end = b
            continue
        if run_start >= 0:
            yield from getattr(_parse(container, buf, run_start, run_end), repeated)
            run_start = -1
        if small:
            run_start, run_end = tag_start, b
        else:
            yield read_node(buf, a, b)
    if run_start >= 0:
        yield from getattr(_parse(container, buf, run_start, run_end), repeated)


def scan_graph_bytes(buf: Any, start: int, end: int, facts: GraphFacts | None = None) -> GraphFacts:
    """Walk a binary GraphDef in buf[start:end] (nodes, function library, versions).

    A graph of at most NODE_RUN bytes is parsed by protobuf in one call; a bigger one is walked
    field by field so that big constants are skipped rather than copied.
    """
    if end - start <= NODE_RUN:
        return scan_graph_message(_parse("GraphDef", buf, start, end), facts)
    facts = facts or GraphFacts()
    top = _Scope(facts, "graph:", top_level=True)

    def other(number: int, wire: int, a: int, b: int, tag_start: int) -> None:
        if number == 2:
            _expect(wire, LEN, "GraphDef.library", tag_start)
            _scan_library_bytes(buf, a, b, facts)
        elif number == 4:
            _expect(wire, LEN, "GraphDef.versions", tag_start)
            versions = _parse("VersionDef", buf, a, b)
            facts.producer_version = versions.producer
            facts.min_consumer = versions.min_consumer

    for node in iter_node_defs(buf, start, end, 1, "GraphDef", other):
        top.add(node)
    top.close()
    return facts


def _expect(wire: int, expected: int, what: str, at: int) -> None:
    if wire != expected:
        raise WireError(f"{what} at byte {at} has wire type {wire}, expected {expected}")


def _scan_library_bytes(buf: Any, start: int, end: int, facts: GraphFacts) -> None:
    for number, wire, a, b, tag_start in iter_fields(buf, start, end):
        if number != 1:
            continue
        _expect(wire, LEN, "FunctionDefLibrary.function", tag_start)
        if b - a <= NODE_RUN:
            _add_function(facts, _parse("FunctionDef", buf, a, b))
            continue
        name = ""

        def other(fn: int, fw: int, fa: int, fb: int, _tag: int) -> None:
            nonlocal name
            if fn == 1 and fw == LEN:  # signature (OpDef): only its name, field 1
                for sn, sw, sa, sb, _ in iter_fields(buf, fa, fb):
                    if sn == 1 and sw == LEN:
                        name = _text(buf, sa, sb)
                        break

        # The signature comes first (field 1), so the name is known before the first node.
        nodes = list(iter_node_defs(buf, a, b, 3, "FunctionDef", other))
        facts.function_count += 1
        facts.function_names.append(name)
        scope = _Scope(facts, f"function:{name}/", top_level=False)
        for node in nodes:
            scope.add(node)
        scope.close()


def scan_graph_message(graph: Any, facts: GraphFacts | None = None) -> GraphFacts:
    """The same walk over an already parsed GraphDef message."""
    facts = facts or GraphFacts()
    top = _Scope(facts, "graph:", top_level=True)
    for node in graph.node:
        top.add(node)
    top.close()
    for function in graph.library.function:
        _add_function(facts, function)
    if graph.HasField("versions"):
        facts.producer_version = graph.versions.producer
        facts.min_consumer = graph.versions.min_consumer
    return facts


def _add_function(facts: GraphFacts, function: Any) -> None:
    name = function.signature.name
    facts.function_count += 1
    facts.function_names.append(name)
    scope = _Scope(facts, f"function:{name}/", top_level=False)
    for node in function.node_def:
        scope.add(node)
    scope.close()


def graph_details(facts: GraphFacts) -> dict[str, Any]:
    """The graph part of a graph-def reading's details (see the module docstring)."""
    outputs = facts.likely_outputs()
    return {
        "frozen": facts.variable_nodes == 0 and facts.const_nodes > 0,
        "node_count": facts.node_count,
        "function_count": facts.function_count,
        "function_node_count": facts.function_node_count,
        "op_types": facts.op_types,
        "variable_nodes": facts.variable_nodes,
        "const_nodes": facts.const_nodes,
        "producer_version": facts.producer_version,
        "min_consumer": facts.min_consumer,
        "inputs": facts.input_specs(),
        "likely_outputs": outputs[:MAX_OUTPUTS],
        "likely_output_count": len(outputs),
    }


# --- sniffing -------------------------------------------------------------------------------------

_TEXT_KINDS = {
    "node": "GraphDef",
    "library": "GraphDef",
    "versions": "GraphDef",
    "meta_info_def": "MetaGraphDef",
    "graph_def": "MetaGraphDef",
    "saver_def": "MetaGraphDef",
    "collection_def": "MetaGraphDef",
    "signature_def": "MetaGraphDef",
    "saved_model_schema_version": "SavedModel",
    "meta_graphs": "SavedModel",
}
_FIRST_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*([:{<])")


def sniff(head: bytes) -> tuple[str, str] | None:
    """(message kind, encoding) of a TensorFlow graph proto from its first bytes, or None.

    Kinds are "GraphDef", "MetaGraphDef" and "SavedModel"; encodings "binary" and "text".
    """
    kind = _sniff_binary(head)
    if kind:
        return kind, "binary"
    kind = sniff_text(head)
    if kind:
        return kind, "text"
    return None


def sniff_text(head: bytes) -> str | None:
    """The message kind a text proto's first field names ("node {" -> GraphDef), or None."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The head may cut a multi-byte character in two; decode what is whole.
        text = head[: max(0, len(head) - 3)].decode("utf-8", "ignore")
    if "\x00" in text:
        return None
    lines = [ln.strip() for ln in text.lstrip("\ufeff").splitlines()]
    body = " ".join(ln for ln in lines if ln and not ln.startswith("#"))
    match = _FIRST_TOKEN.match(body)
    if not match:
        return None
    kind = _TEXT_KINDS.get(match.group(1))
    if kind is None:
        return None
    scalar = match.group(2) == ":"
    if scalar != (match.group(1) == "saved_model_schema_version"):
        return None
    return kind


def _sniff_binary(head: bytes) -> str | None:
    end = len(head)
    try:
        tag, pos = read_varint(head, 0, end)
        if tag == 0x08:  # SavedModel.saved_model_schema_version, then meta_graphs
            _, pos = read_varint(head, pos, end)
            if pos < end and head[pos] == 0x12:
                _, inner = read_varint(head, pos + 1, end)
                if inner >= end or head[inner] in (0x0A, 0x12):
                    return "SavedModel"
            return None
        if tag != 0x0A:
            return None
        length, pos = read_varint(head, pos, end)
        if length == 0:
            return None
        first, pos = read_varint(head, pos, end)
        if first == 0x0A:  # NodeDef.name (GraphDef) or MetaInfoDef.meta_graph_version
            name_len, pos = read_varint(head, pos, end)
            name = head[pos : pos + name_len]
            if not name or not _NODE_NAME.match(name):
                return None
            pos += name_len
            if pos >= end:
                return "GraphDef" if name_len > 0 else None
            if head[pos] != 0x12:
                return None
            op_len, pos = read_varint(head, pos + 1, end)
            if pos >= end:
                return None
            if head[pos] == 0x0A:  # MetaInfoDef.stripped_op_list -> OpList.op
                return "MetaGraphDef"
            op = head[pos : pos + op_len]
            if _OP_NAME.match(op) or (pos + op_len > end and re.fullmatch(rb"[A-Za-z0-9_>]+", op)):
                return "GraphDef"
            return None
        if first in (0x12, 0x22, 0x2A):  # stripped_op_list / tags / tensorflow_version
            return "MetaGraphDef"
    except WireError:
        return None
    return None


def claim_file(path: Path, head: bytes) -> bool:
    """A GraphDef or MetaGraphDef (binary or text) by its bytes, whatever the extension."""
    kind = _sniff_path(path, head)
    return kind is not None and kind[0] in ("GraphDef", "MetaGraphDef")


def _sniff_path(path: Path, head: bytes) -> tuple[str, str] | None:
    """Sniff with more than the 64-byte head when a long first node name needs it."""
    kind = sniff(head)
    if head[:1] == b"\x0a" and len(head) >= 64:  # a binary graph's first node may be long
        try:
            with open(path, "rb") as fh:
                kind = sniff(fh.read(SNIFF_BYTES))
        except OSError:
            return None
    return kind


# --- reading --------------------------------------------------------------------------------------


@dataclass
class MappedFile:
    """A read-only view of a file's bytes: memory-mapped when it has any."""

    path: Path
    buf: Any = b""
    _map: mmap.mmap | None = None

    def __enter__(self) -> MappedFile:
        with open(self.path, "rb") as fh:
            size = fh.seek(0, 2)
            if size:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                self.buf = self._map
        return self

    def __exit__(self, *exc: object) -> None:
        if self._map is not None:
            self._map.close()

    def __len__(self) -> int:
        return len(self.buf)


def read(candidate: Candidate) -> Reading:
    path = candidate.location
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise ArtifactError(
            path.name, f"cannot read file ({exc.strerror or exc})", "check permissions"
        ) from None
    kind = sniff(head)
    if kind is None:
        raise ArtifactError(
            path.name,
            "not a TensorFlow GraphDef or MetaGraphDef (binary or text protobuf)",
            "check that the file was not truncated or replaced",
        )
    message, encoding = kind
    if message == "SavedModel":
        raise _format_error(
            ArtifactError(
                path.name,
                "holds a SavedModel proto outside a SavedModel folder",
                "put it in its own folder as saved_model.pb"
                + ("txt" if encoding == "text" else "")
                + " next to its variables/ folder",
            ),
            "saved-model",
        )
    if encoding == "text":
        return read_text_graph(path, message)
    return read_binary_graph(path, message)


def _format_error(exc: ArtifactError, fmt: str) -> ArtifactError:
    exc.format = fmt  # type: ignore[attr-defined]
    return exc


def read_binary_graph(path: Path, message: str = "GraphDef") -> Reading:
    """Read a binary GraphDef (or a MetaGraphDef's graph) from `path`."""
    try:
        with MappedFile(path) as mapped:
            buf = mapped.buf
            size = len(buf)
            if message == "MetaGraphDef":
                meta, facts = scan_meta_graph_bytes(buf, 0, size)
                return _reading(path, "binary", facts, meta, size)
            facts = scan_graph_bytes(buf, 0, size)
    except WireError as exc:
        raise _format_error(
            ArtifactError(
                path.name,
                f"binary {message} is truncated or corrupt ({exc})",
                "re-export or re-download the file",
            ),
            FORMAT,
        ) from None
    return _reading(path, "binary", facts, None, size)


def scan_meta_graph_bytes(buf: Any, start: int, end: int) -> tuple[Any, GraphFacts]:
    """Parse a binary MetaGraphDef: everything but the graph via protobuf, the graph by walking.

    Returns (MetaGraphDef message without its graph_def, facts about the graph).
    """
    rest = bytearray()
    facts = GraphFacts()
    for number, wire, a, b, tag_start in iter_fields(buf, start, end):
        if number == 2:
            _expect(wire, LEN, "MetaGraphDef.graph_def", tag_start)
            scan_graph_bytes(buf, a, b, facts)
        else:
            if number <= 7 and wire != LEN:
                raise WireError(
                    f"MetaGraphDef field {number} at byte {tag_start} has wire type {wire}"
                )
            rest += buf[tag_start:b]
    try:
        meta = protos.parse("MetaGraphDef", bytes(rest))
    except DecodeError as exc:
        raise WireError(f"MetaGraphDef fields do not parse ({exc})") from None
    return meta, facts


def read_text_graph(path: Path, message: str = "GraphDef") -> Reading:
    text = _read_text(path)
    try:
        parsed = protos.parse_text(message, text)
    except Exception as exc:  # text_format.ParseError and friends
        raise _format_error(
            ArtifactError(
                path.name,
                f"text {message} does not parse ({_one_line(exc)})",
                "check that the file is a complete tf.io.write_graph(as_text=True) output",
            ),
            FORMAT,
        ) from None
    graph = parsed.graph_def if message == "MetaGraphDef" else parsed
    facts = scan_graph_message(graph)
    if facts.node_count == 0 and facts.function_count == 0:
        raise _format_error(
            ArtifactError(
                path.name,
                f"text proto has no graph nodes (not a {message})",
                "check that this is the graph file you meant",
            ),
            FORMAT,
        )
    return _reading(path, "text", facts, parsed if message == "MetaGraphDef" else None, len(text))


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise _format_error(
            ArtifactError(
                path.name,
                f"text graph of {size} bytes is larger than migrator parses as text "
                f"({MAX_TEXT_BYTES} bytes)",
                "convert it to a binary GraphDef (tf.io.write_graph(..., as_text=False))",
            ),
            FORMAT,
        )
    data = path.read_bytes()
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise _format_error(
            ArtifactError(
                path.name,
                f"text proto is not valid UTF-8 ({exc.reason} at byte {exc.start})",
                "check that the file was not truncated or corrupted",
            ),
            FORMAT,
        ) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _reading(path: Path, encoding: str, facts: GraphFacts, meta: Any, size: int) -> Reading:
    container = "MetaGraphDef" if meta is not None else "GraphDef"
    details: dict[str, Any] = {"container": container, "encoding": encoding}
    details.update(graph_details(facts))
    producer: dict[str, str] = {}
    evidence = [
        f"{'binary' if encoding == 'binary' else 'text'} protobuf parses as {container} "
        f"({facts.node_count} nodes, {facts.function_count} functions)"
    ]
    if meta is not None:
        info = meta.meta_info_def
        details["tags"] = list(info.tags)
        details["tensorflow_version"] = info.tensorflow_version or None
        details["tensorflow_git_version"] = info.tensorflow_git_version or None
        details["signature_names"] = sorted(meta.signature_def)
        details["note"] = (
            "a MetaGraphDef (graph plus saver and signatures, as tf.train.export_meta_graph "
            "writes) outside a checkpoint or SavedModel; its variables are not with it"
        )
        if info.tensorflow_version:
            producer["tensorflow_version"] = info.tensorflow_version
        evidence.append("first field is meta_info_def => MetaGraphDef")
    else:
        evidence.append("first field is a NodeDef with name and op => GraphDef")
    if details["frozen"]:
        evidence.append(f"{facts.const_nodes} Const nodes and no variable nodes => frozen")
    elif facts.variable_nodes:
        evidence.append(f"{facts.variable_nodes} variable nodes => not frozen")
    return Reading(
        format=FORMAT,
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        raw={"ops": facts.ops_by_location(), "string_attrs": dict(facts.string_attrs)},
    )
