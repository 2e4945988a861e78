"""Parsing the SavedModel proto itself: binary (walked, graphs never copied) or text.

A binary `saved_model.pb` is walked at the wire level (see `graphdef.wire`), so a SavedModel with
gigabytes of constants costs little more than its node count. A text `saved_model.pbtxt` is parsed
whole. Decoys under a SavedModel's name (a label map, a pipeline config) are told apart from a
damaged SavedModel, so the report can say which it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.formats import graphdef, protos
from migrator.formats.graphdef import LEN, VARINT, GraphFacts


@dataclass
class ParsedSavedModel:
    encoding: str
    schema_version: int
    # (MetaGraphDef message, facts about its graph). For binary files the message lacks its
    # graph_def, which was walked separately.
    meta_graphs: list[tuple[Any, GraphFacts]] = field(default_factory=list)


class NotASavedModel(Exception):
    """The proto file is something else; `what` says what it seems to be."""

    def __init__(self, what: str, kind: str | None = None, *, broken: bool = False) -> None:
        super().__init__(what)
        self.what = what
        self.kind = kind
        # True when the file is a SavedModel, only damaged (empty, text cut short).
        self.broken = broken


def parse_binary(path: Path) -> ParsedSavedModel:
    """Walk a binary SavedModel; raises WireError (corrupt) or NotASavedModel."""
    with graphdef.MappedFile(path) as mapped:
        buf = mapped.buf
        size = len(buf)
        if size == 0:
            raise NotASavedModel("is empty (0 bytes)", broken=True)
        fields = []
        unknown = 0
        for number, wire, a, b, tag_start in graphdef.iter_fields(buf, 0, size):
            if (number, wire) in ((1, VARINT), (2, LEN)):
                fields.append((number, a, b))
            elif number in (1, 2) or not fields:  # TF writes field 1 or 2 first
                raise NotASavedModel(
                    f"is not a SavedModel proto (field {number} with wire type {wire} at byte "
                    f"{tag_start})",
                    _sniff_kind(buf),
                )
            else:
                unknown += 1  # a field a later TensorFlow may add: skipped, as protobuf does
        if unknown and not any(number == 2 for number, _, _ in fields):
            raise NotASavedModel(
                f"is not a SavedModel proto (no meta_graphs, {unknown} unknown fields)",
                _sniff_kind(buf),
            )
        parsed = ParsedSavedModel("binary", 0)
        for number, a, b in fields:
            if number == 1:
                parsed.schema_version = a
            else:
                parsed.meta_graphs.append(graphdef.scan_meta_graph_bytes(buf, a, b))
    return parsed


def text_mangling_hint(data: bytes) -> str:
    """', and ...' when binary protobuf bytes look re-encoded as text, else ''.

    Binary protobufs of any size are almost never valid UTF-8 with non-ASCII characters (length
    varints and hashes produce lone high bytes). A file that is, was decoded with a legacy code
    page and written back as UTF-8 (an editor, a text-mode copy, a git filter): 0x88 -> c2 88 or
    cb 86. The damage cannot be undone reliably; the original bytes are needed.
    """
    if len(data) < 16:
        return ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if text.isascii():
        return ""
    return (
        ", and its bytes are valid UTF-8 text, which binary protobufs almost never are: it was "
        "probably re-encoded as text by an editor, a text-mode copy or a git filter"
    )


def _sniff_kind(buf: Any) -> str | None:
    kind = graphdef.sniff(bytes(buf[: graphdef.SNIFF_BYTES]))
    return kind[0] if kind else None


def parse_text(path: Path) -> ParsedSavedModel:
    """Parse a text SavedModel; raises NotASavedModel for decoys and text that does not parse."""
    size = path.stat().st_size
    if size > graphdef.MAX_TEXT_BYTES:
        raise NotASavedModel(
            f"is {size} bytes of text, more than migrator parses as text "
            f"({graphdef.MAX_TEXT_BYTES} bytes); convert it to a binary saved_model.pb",
            broken=True,
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise NotASavedModel(f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise NotASavedModel("is empty", broken=True)
    try:
        message = protos.parse_text("SavedModel", _inline_any(text))
    except Exception as exc:  # text_format.ParseError and friends
        broken = graphdef.sniff_text(data[:256]) == "SavedModel"
        what = (
            "is a SavedModel text proto that does not parse"
            if broken
            else ("is not a valid SavedModel text proto")
        )
        reason = " ".join(str(exc).split())[:200]
        raise NotASavedModel(f"{what} ({reason})", broken=broken) from None
    if not message.meta_graphs and not message.saved_model_schema_version:
        raise NotASavedModel(_decoy_description(text))
    parsed = ParsedSavedModel("text", message.saved_model_schema_version)
    for meta in message.meta_graphs:
        parsed.meta_graphs.append((meta, graphdef.scan_graph_message(meta.graph_def)))
    return parsed


_ANY_START = re.compile(r"\[\s*type\.googleapis\.com/([A-Za-z0-9_.]+)\s*\]\s*\{")


def _inline_any(text: str) -> str:
    """Rewrite expanded `[type.googleapis.com/tensorflow.X] {...}` Any values, which text_format
    can only parse for types in the pool, into `type_url` + serialized `value` fields."""
    if "type.googleapis.com/" not in text:
        return text
    out: list[str] = []
    pos = 0
    for match in _ANY_START.finditer(text):
        if match.start() < pos:
            continue
        end = _block_end(text, match.end())
        body = text[match.end() : end - 1]
        type_name = match.group(1)
        out.append(text[pos : match.start()])
        out.append(f'type_url: "type.googleapis.com/{type_name}"')
        short = type_name.removeprefix("tensorflow.")
        if short in protos.SCHEMA:
            try:
                value = protos.parse_text(short, body).SerializeToString()
                out.append(f' value: "{_c_escape(value)}"')
            except Exception:
                pass
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _block_end(text: str, pos: int) -> int:
    """Index just past the `}` closing the block whose body starts at `pos`."""
    depth = 1
    quote = ""
    i = pos
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "{<":
            depth += 1
        elif ch in "}>":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def _c_escape(data: bytes) -> str:
    return "".join(
        chr(b) if 32 <= b < 127 and chr(b) not in "\"'\\" else f"\\{b:03o}" for b in data
    )


def _top_level_fields(text: str) -> list[str]:
    names: list[str] = []
    depth = 0
    for token in re.finditer(
        r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|#[^\n]*|[{}<>]|[A-Za-z_]\w*', text
    ):
        value = token.group(0)
        if value in "{<":
            depth += 1
        elif value in "}>":
            depth -= 1
        elif depth == 0 and (value[0].isalpha() or value[0] == "_") and value not in names:
            if text[token.end() :].lstrip()[:1] in (":", "{", "<"):
                names.append(value)
    return names


def _decoy_description(text: str) -> str:
    fields = _top_level_fields(text)
    if not fields:
        return "has no SavedModel fields (no meta_graphs)"
    listed = ", ".join(fields[:6])
    if set(fields) == {"item"} and re.search(r"\b(id|name|display_name)\s*:", text):
        return (
            f"is not a SavedModel text proto: its top-level fields ({listed}) make it an "
            "object-detection label map (StringIntLabelMap), not a model"
        )
    if {"model", "train_config"} & set(fields) and "meta_graphs" not in fields:
        return (
            f"is not a SavedModel text proto: its top-level fields ({listed}) make it an "
            "Object Detection API pipeline config, not a model"
        )
    return f"is not a SavedModel text proto (top-level fields: {listed}; no meta_graphs)"
