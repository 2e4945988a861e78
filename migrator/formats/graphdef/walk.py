"""The graph walk the GraphDef, SavedModel and checkpoint readers share.

Only nodes smaller than `SMALL_NODE` bytes are handed to the protobuf parser; a bigger node (a
`Const` holding weights) is walked by hand, keeping its name, op, inputs and tensor dtype/shape
and skipping the tensor bytes, so a frozen graph full of constants costs little more than its
node count. The result is a `GraphFacts`: op locations, counts, placeholders, likely outputs and
the strings feeding I/O ops (bounded by `MAX_STRINGS` per node, `MAX_STRING_CHARS` per string and
`MAX_IO_LOCATIONS` locations).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError

from migrator.formats import protos
from migrator.formats.graphdef.ops import NOT_OUTPUTS, PLACEHOLDER_OPS, VARIABLE_OPS, is_io_op
from migrator.formats.graphdef.wire import (
    LEN,
    VARINT,
    WireError,
    expect,
    iter_fields,
    parse_message,
    wire_text,
)

# Nodes up to this size are parsed by protobuf; bigger ones are walked without their tensor bytes.
SMALL_NODE = 32 * 1024
# Consecutive small nodes are parsed together, in runs of at most this many bytes.
NODE_RUN = 4 * 1024 * 1024
MAX_STRINGS = 8
MAX_STRING_CHARS = 256
MAX_IO_LOCATIONS = 256
MAX_OUTPUTS = 50


def read_node(buf: Any, a: int, b: int) -> Any:
    """A NodeDef from buf[a:b]; a big node is rebuilt from its small fields, tensors skipped."""
    if b - a <= SMALL_NODE:
        return parse_message("NodeDef", buf, a, b)
    node = protos.message_class("NodeDef")()
    for number, wire, fa, fb, _ in iter_fields(buf, a, b):
        if wire != LEN:
            continue
        if number == 1:
            node.name = wire_text(buf, fa, fb)
        elif number == 2:
            node.op = wire_text(buf, fa, fb)
        elif number == 3:
            node.input.append(wire_text(buf, fa, fb))
        elif number == 4:
            node.device = wire_text(buf, fa, fb)
        elif number == 5:
            key, value = _read_attr_entry(buf, fa, fb)
            if value is not None:
                node.attr[key].CopyFrom(value)
    return node


def _read_attr_entry(buf: Any, a: int, b: int) -> tuple[str, Any]:
    key, value = "", None
    for number, wire, fa, fb, _ in iter_fields(buf, a, b):
        if number == 1 and wire == LEN:
            key = wire_text(buf, fa, fb)
        elif number == 2 and wire == LEN:
            value = (
                parse_message("AttrValue", buf, fa, fb)
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
                tensor.tensor_shape.CopyFrom(parse_message("TensorShapeProto", buf, ta, tb))
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
            if name not in self.consumed and op not in NOT_OUTPUTS
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
                yield from getattr(parse_message(container, buf, run_start, run_end), repeated)
                run_start = -1
            if other is not None:
                other(number, wire, a, b, tag_start)
            continue
        expect(wire, LEN, f"{container}.{repeated}", tag_start)
        small = b - a <= SMALL_NODE
        if small and run_start >= 0 and tag_start == run_end and b - run_start <= NODE_RUN:
            run_end = b
            continue
        if run_start >= 0:
            yield from getattr(parse_message(container, buf, run_start, run_end), repeated)
            run_start = -1
        if small:
            run_start, run_end = tag_start, b
        else:
            yield read_node(buf, a, b)
    if run_start >= 0:
        yield from getattr(parse_message(container, buf, run_start, run_end), repeated)


def scan_graph_bytes(buf: Any, start: int, end: int, facts: GraphFacts | None = None) -> GraphFacts:
    """Walk a binary GraphDef in buf[start:end] (nodes, function library, versions).

    A graph of at most NODE_RUN bytes is parsed by protobuf in one call; a bigger one is walked
    field by field so that big constants are skipped rather than copied.
    """
    if end - start <= NODE_RUN:
        return scan_graph_message(parse_message("GraphDef", buf, start, end), facts)
    facts = facts or GraphFacts()
    top = _Scope(facts, "graph:", top_level=True)

    def other(number: int, wire: int, a: int, b: int, tag_start: int) -> None:
        if number == 2:
            expect(wire, LEN, "GraphDef.library", tag_start)
            _scan_library_bytes(buf, a, b, facts)
        elif number == 4:
            expect(wire, LEN, "GraphDef.versions", tag_start)
            versions = parse_message("VersionDef", buf, a, b)
            facts.producer_version = versions.producer
            facts.min_consumer = versions.min_consumer

    for node in iter_node_defs(buf, start, end, 1, "GraphDef", other):
        top.add(node)
    top.close()
    return facts


def _scan_library_bytes(buf: Any, start: int, end: int, facts: GraphFacts) -> None:
    for number, wire, a, b, tag_start in iter_fields(buf, start, end):
        if number != 1:
            continue
        expect(wire, LEN, "FunctionDefLibrary.function", tag_start)
        if b - a <= NODE_RUN:
            _add_function(facts, parse_message("FunctionDef", buf, a, b))
            continue
        name = ""

        def other(fn: int, fw: int, fa: int, fb: int, _tag: int) -> None:
            nonlocal name
            if fn == 1 and fw == LEN:  # signature (OpDef): only its name, field 1
                for sn, sw, sa, sb, _ in iter_fields(buf, fa, fb):
                    if sn == 1 and sw == LEN:
                        name = wire_text(buf, sa, sb)
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


def scan_meta_graph_bytes(buf: Any, start: int, end: int) -> tuple[Any, GraphFacts]:
    """Parse a binary MetaGraphDef: everything but the graph via protobuf, the graph by walking.

    Returns (MetaGraphDef message without its graph_def, facts about the graph).
    """
    rest = bytearray()
    facts = GraphFacts()
    for number, wire, a, b, tag_start in iter_fields(buf, start, end):
        if number == 2:
            expect(wire, LEN, "MetaGraphDef.graph_def", tag_start)
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
