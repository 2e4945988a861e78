"""Telling GraphDef, MetaGraphDef and SavedModel protos apart from their first bytes.

The format is decided by protobuf structure, not by the extension: a binary GraphDef's first field
is a `node` (field 1) whose own first fields are a `name` and an op-like `op` string; a
MetaGraphDef's first field is a `meta_info_def`; a SavedModel starts with the varint
`saved_model_schema_version`. Text protos are told by their first field name.
"""

from __future__ import annotations

import re
from pathlib import Path

from migrator.formats.graphdef.wire import WireError, read_varint

# How much of a file `claim_file` may read to see a long first node name through.
SNIFF_BYTES = 4096

_OP_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_>]*\Z")
_NODE_NAME = re.compile(rb"[A-Za-z0-9._][A-Za-z0-9_.\-/>]*\Z")

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
            with path.open("rb") as fh:
                kind = sniff(fh.read(SNIFF_BYTES))
        except OSError:
            return None
    return kind
