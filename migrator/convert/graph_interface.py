"""A TF1 graph's serving interface (input and output tensors) told from the graph itself.

A `tf.train.Saver` checkpoint's `.meta` MetaGraph usually has no SignatureDef: the training script
fed placeholders and fetched tensors by name. What the model takes and returns is still written
in the graph, when it is unambiguous:

1. a SignatureDef (some scripts exported one) - handled by the caller;
2. collections the script filled with `tf.add_to_collection("inputs"/"outputs"/...)`;
3. an inference-only graph (no gradients, no optimizer): the placeholders in, the nodes nothing
   consumes out (as for a frozen GraphDef);
4. a training graph: its placeholders split into *features* (their values reach an op that reads
   a variable: the model consumes them) and *labels* (they reach only the loss and metrics). The
   outputs are the tensors computed from features and variables that a label-dependent op
   consumes: the predictions the loss compares with the labels. The inputs are the features
   those outputs need (a dropout `keep_prob` or `is_training` switch included).

Anything else (a training graph without labels, where the prediction cannot be told from the
loss) is `Ambiguous`, whose message lists the placeholders and candidate tensors so the user
can name them with `--input-tensors` / `--output-tensors`.

Pure Python over the GraphDef's nodes (names, ops, inputs): no TensorFlow, so the audit side and
the core tests can use it as well as the conversion step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.knowledge.graph_import import (
    INPUT_PIPELINE_OPS,
    INTERFACE_COLLECTIONS,
    REF_VARIABLE_OPS,
    RESOURCE_VARIABLE_OPS,
    TRAINING_OP_PREFIXES,
    TRAINING_SCOPES,
)

PLACEHOLDER_OPS = frozenset({"Placeholder", "PlaceholderWithDefault"})
# Ops that end a graph without being a model output (bookkeeping, initialisation, summaries).
_NOT_OUTPUTS = frozenset({"NoOp", "Const", "Shape", "Size", "Rank"}) | PLACEHOLDER_OPS
_VARIABLE_OPS = REF_VARIABLE_OPS | RESOURCE_VARIABLE_OPS
_APPLY = tuple(p for p in TRAINING_OP_PREFIXES if "Apply" in p)


class Ambiguous(Exception):
    """The graph does not say its interface; the message says what it does say."""


@dataclass(frozen=True)
class Interface:
    inputs: tuple[str, ...]  # tensor names ("x:0"), sorted
    outputs: tuple[str, ...]  # tensor names, sorted
    how: str  # which rule decided it, for the conversion notes


def _node(tensor: str) -> str:
    return tensor.lstrip("^").split(":")[0]


def _tensor(name: str) -> str:
    name = name.lstrip("^")
    return name if ":" in name else f"{name}:0"


def _in_training_scope(name: str) -> bool:
    """Under a `gradients`/`save` scope at any depth (`SGD/gradients/...`: tflearn nests the
    gradients under its optimizer), `gradients_1` included."""
    for part in name.split("/")[:-1] or name.split("/"):
        for scope in TRAINING_SCOPES:
            if part == scope or (part.startswith(scope + "_") and part[len(scope) + 1 :].isdigit()):
                return True
    return False


class _Graph:
    """Adjacency of a GraphDef's nodes over data edges (control edges order, not compute)."""

    def __init__(self, nodes: Iterable[Any], train_ops: Iterable[str] = ()) -> None:
        self.op: dict[str, str] = {}
        self.inputs: dict[str, list[str]] = {}
        self.consumers: dict[str, list[tuple[str, str]]] = {}  # node -> [(consumer, tensor)]
        for node in nodes:
            self.op[node.name] = node.op
            data = [i for i in node.input if not i.startswith("^")]
            self.inputs[node.name] = data
            for tensor in data:
                self.consumers.setdefault(_node(tensor), []).append((node.name, _tensor(tensor)))
        training = {
            n
            for n, op in self.op.items()
            if _in_training_scope(n)
            or op.startswith(TRAINING_OP_PREFIXES)
            or op == "NoOp"
            or "Summary" in op
        } | {_node(t) for t in train_ops}
        self.training = self.downstream(training)
        self.forward = [n for n in self.op if n not in self.training]
        # A training graph: gradients, optimizer updates or a `train_op` collection.
        self.trains = bool(list(train_ops)) or any(
            _in_training_scope(n) and not n.startswith("save") or op.startswith(_APPLY)
            for n, op in self.op.items()
        )

    def downstream(self, start: Iterable[str], within: set[str] | None = None) -> set[str]:
        seen = set(start)
        todo = list(seen)
        while todo:
            for consumer, _ in self.consumers.get(todo.pop(), []):
                if consumer not in seen and (within is None or consumer in within):
                    seen.add(consumer)
                    todo.append(consumer)
        return seen

    def upstream(self, start: Iterable[str]) -> set[str]:
        seen = set(start)
        todo = list(seen)
        while todo:
            for tensor in self.inputs.get(todo.pop(), []):
                source = _node(tensor)
                if source not in seen and source in self.op:
                    seen.add(source)
                    todo.append(source)
        return seen

    def reads_variable(self, name: str, only: set[str] | None = None) -> bool:
        """The node takes a variable's value as a data input (directly, via `<var>/read` or a
        ReadVariableOp); with `only`, one of those variables."""
        for tensor in self.inputs.get(name, []):
            source = _node(tensor)
            op = self.op.get(source, "")
            if op in ("Identity", "ReadVariableOp"):
                source = _node(self.inputs.get(source, [""])[0]) if self.inputs.get(source) else ""
                op = self.op.get(source, "")
            if op in _VARIABLE_OPS and (only is None or source in only):
                return True
        return False


def _from_collections(graph: _Graph, collections: Mapping[str, Sequence[str]]) -> Interface | None:
    outputs = [
        _tensor(t)
        for key in INTERFACE_COLLECTIONS["outputs"]
        for t in collections.get(key, ())
        if _node(t) in graph.op
    ]
    if not outputs:
        return None
    named = [
        _tensor(t)
        for key in INTERFACE_COLLECTIONS["inputs"]
        for t in collections.get(key, ())
        if _node(t) in graph.op
    ]
    needed = graph.upstream(_node(t) for t in outputs)
    inputs = named or [
        _tensor(n) for n in needed if graph.op[n] == "Placeholder" and n not in graph.training
    ]
    return Interface(tuple(sorted(set(inputs))), tuple(sorted(set(outputs))), "collections")


def infer_interface(
    nodes: Iterable[Any],
    collections: Mapping[str, Sequence[str]] = {},
) -> Interface:
    """The interface of a TF1 graph (see the module docstring); raises `Ambiguous`.

    `nodes`: NodeDef-like objects (name, op, input); `collections`: collection name -> the node
    or tensor names its node_list holds (`train_op` marks the optimizer's ops).
    """
    graph = _Graph(list(nodes), list(collections.get("train_op", ())))
    found = _from_collections(graph, collections)
    if found is not None:
        return found
    forward = set(graph.forward)
    placeholders = sorted(n for n in forward if graph.op[n] in PLACEHOLDER_OPS)
    if not placeholders:
        readers = sorted({graph.op[n] for n in forward if graph.op[n] in INPUT_PIPELINE_OPS})
        raise Ambiguous(
            "the graph has no placeholder to feed"
            + (
                f": it reads its inputs from an input pipeline ({', '.join(readers)}), as "
                "estimator and tf.data training graphs do"
                if readers
                else ""
            )
        )
    reach = {p: graph.downstream([p], forward) for p in placeholders}
    variables = graph.downstream(
        [n for n in forward if graph.op[n] in _VARIABLE_OPS or graph.op[n] == "VarHandleOp"],
        forward,
    )
    # Features reach the model's weights: the trainable variables when the graph lists them
    # (a loss's moving average or a step counter is a variable too, but not the model's).
    trainable = set(collections.get("trainable_variables", ())) or None
    features = [
        p for p in placeholders if any(graph.reads_variable(n, trainable) for n in reach[p])
    ]
    labels = [p for p in placeholders if p not in features]
    from_labels = set().union(*(reach[p] for p in labels)) if labels else set()
    from_features = set().union(*(reach[p] for p in features)) if features else set()
    if not graph.trains:
        reached = set().union(*reach.values())
        outputs = [
            _tensor(n)
            for n in graph.forward
            if n in reached
            and graph.op[n] not in _NOT_OUTPUTS
            and not [c for c, _ in graph.consumers.get(n, []) if c in forward]
        ]
        if outputs:
            inputs = _needed_placeholders(graph, outputs)
            return Interface(inputs, tuple(sorted(outputs)), "inference graph")
    if labels and features:
        outputs = set()
        for name in from_features & variables:
            if name in from_labels or graph.op[name] in PLACEHOLDER_OPS | _VARIABLE_OPS:
                continue
            for consumer, tensor in graph.consumers.get(name, []):
                if consumer in from_labels and consumer in forward:
                    outputs.add(tensor)
        if outputs:
            inputs = _needed_placeholders(graph, outputs)
            return Interface(
                inputs,
                tuple(sorted(outputs)),
                f"training graph: predictions compared with the labels {labels}",
            )
    terminal = sorted(
        n
        for n in from_features
        if not [c for c, _ in graph.consumers.get(n, []) if c in forward]
        and graph.op[n] not in _NOT_OUTPUTS
    )
    raise Ambiguous(
        f"cannot tell the model's outputs from its training graph (placeholders "
        f"{placeholders}; {'no label placeholder' if not labels else f'labels {labels}'}; "
        f"tensors computed last: {terminal[:6]})"
    )


def _needed_placeholders(graph: _Graph, outputs: Iterable[str]) -> tuple[str, ...]:
    needed = graph.upstream(_node(t) for t in outputs)
    return tuple(sorted(_tensor(n) for n in needed if graph.op[n] in PLACEHOLDER_OPS))


def collections_of(meta: Any) -> dict[str, list[str]]:
    """Collection name -> node names, for a MetaGraphDef's node-list collections, and the
    variable op names of its `trainable_variables` (serialized VariableDefs)."""
    from migrator.formats import protos

    out: dict[str, list[str]] = {}
    for key, value in meta.collection_def.items():
        if value.HasField("node_list"):
            out[key] = list(value.node_list.value)
    if "trainable_variables" in meta.collection_def:
        names = []
        for data in meta.collection_def["trainable_variables"].bytes_list.value:
            try:
                names.append(_node(protos.parse("VariableDef", data).variable_name))
            except Exception:  # an unreadable entry: fall back to every variable
                return {k: v for k, v in out.items() if k != "trainable_variables"}
        out["trainable_variables"] = names
    return out
