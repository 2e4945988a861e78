"""Reading a GraphDef or loose MetaGraphDef file into a `graph-def` Reading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import protos
from migrator.formats.graphdef.details import FORMAT, GraphDefDetails
from migrator.formats.graphdef.sniff import SNIFF_BYTES, sniff
from migrator.formats.graphdef.walk import (
    GraphFacts,
    graph_details,
    scan_graph_bytes,
    scan_graph_message,
    scan_meta_graph_bytes,
)
from migrator.formats.graphdef.wire import MappedFile, WireError
from migrator.model import Candidate, Reading

# Text protos are parsed whole (protobuf has no streaming text parser): refuse absurd sizes.
MAX_TEXT_BYTES = 256 * 1024 * 1024


def read(candidate: Candidate) -> Reading:
    """Read a GraphDef or loose MetaGraphDef file, binary or text."""
    path = candidate.location
    try:
        with path.open("rb") as fh:
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
        raise ArtifactError(
            path.name,
            "holds a SavedModel proto outside a SavedModel folder",
            "put it in its own folder as saved_model.pb"
            + ("txt" if encoding == "text" else "")
            + " next to its variables/ folder",
            format="saved-model",
        )
    if encoding == "text":
        return read_text_graph(path, message)
    return read_binary_graph(path, message)


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
        raise ArtifactError(
            path.name,
            f"binary {message} is truncated or corrupt ({exc})",
            "re-export or re-download the file",
            format=FORMAT,
        ) from None
    return _reading(path, "binary", facts, None, size)


def read_text_graph(path: Path, message: str = "GraphDef") -> Reading:
    """Read a text GraphDef or MetaGraphDef (parsed whole: text protos have no streaming parser)."""
    text = _read_text(path)
    try:
        parsed = protos.parse_text(message, text)
    except Exception as exc:  # text_format.ParseError and friends
        raise ArtifactError(
            path.name,
            f"text {message} does not parse ({_one_line(exc)})",
            "check that the file is a complete tf.io.write_graph(as_text=True) output",
            format=FORMAT,
        ) from None
    graph = parsed.graph_def if message == "MetaGraphDef" else parsed
    facts = scan_graph_message(graph)
    if facts.node_count == 0 and facts.function_count == 0:
        raise ArtifactError(
            path.name,
            f"text proto has no graph nodes (not a {message})",
            "check that this is the graph file you meant",
            format=FORMAT,
        )
    return _reading(path, "text", facts, parsed if message == "MetaGraphDef" else None, len(text))


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise ArtifactError(
            path.name,
            f"text graph of {size} bytes is larger than migrator parses as text "
            f"({MAX_TEXT_BYTES} bytes)",
            "convert it to a binary GraphDef (tf.io.write_graph(..., as_text=False))",
            format=FORMAT,
        )
    data = path.read_bytes()
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ArtifactError(
            path.name,
            f"text proto is not valid UTF-8 ({exc.reason} at byte {exc.start})",
            "check that the file was not truncated or corrupted",
            format=FORMAT,
        ) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _reading(path: Path, encoding: str, facts: GraphFacts, meta: Any, size: int) -> Reading:
    container = "MetaGraphDef" if meta is not None else "GraphDef"
    details: dict[str, Any] = {"container": container, "encoding": encoding}
    details.update(graph_details(facts))
    frozen = details["frozen"]
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
    if frozen:
        evidence.append(f"{facts.const_nodes} Const nodes and no variable nodes => frozen")
    elif facts.variable_nodes:
        evidence.append(f"{facts.variable_nodes} variable nodes => not frozen")
    return Reading(
        format=FORMAT,
        producer=producer,
        details=GraphDefDetails(**details),
        evidence=tuple(evidence),
        raw={"ops": facts.ops_by_location(), "string_attrs": dict(facts.string_attrs)},
    )
