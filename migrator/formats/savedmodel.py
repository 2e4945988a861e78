"""SavedModel reader (format id ``saved-model``): a folder with ``saved_model.pb`` or ``.pbtxt``.

A SavedModel is one artifact made of several files: the ``SavedModel`` proto (one or more
MetaGraphs, each a graph plus signatures, collections, a saver and, from TF 2.0, an object graph),
``variables/`` (a V2 checkpoint bundle: ``variables.index`` + ``variables.data-NNNNN-of-MMMMM``),
``assets/`` and ``assets.extra/``, ``fingerprint.pb`` (TF >= 2.11) and, for Keras models saved by
TF 2.5..2.15, ``keras_metadata.pb``. Everything is read from bytes with our own protobuf schemas;
``variables/*.data-*`` files are only stat'ed, never opened, and the graph is walked without
decoding constant tensors (see ``graphdef``), so cost does not grow with weight size.

``details`` keys (JSON-ready):

- ``era``: ``"tf2"`` when a MetaGraph has an ``object_graph_def`` (``tf.saved_model.save``),
  else ``"tf1"`` (graph-mode ``SavedModelBuilder`` / estimator / ``tf.compat.v1`` exports)
- ``keras``: the artifact holds a Keras model; ``keras_source`` says how we know:
  ``"keras_metadata.pb"``, ``"object_graph"`` (``_tf_keras_*`` user objects, TF 2.0..2.4 keep
  the model config in their metadata), ``"assets/saved_model.json"`` (``tf.contrib`` /
  ``tf.keras.experimental.export_saved_model``), or null
- ``encoding``: ``"binary"`` or ``"text"``; ``proto_file``: the file read (``saved_model.pb``
  normally); ``schema_version``: ``saved_model_schema_version``
- ``tensorflow_versions``: the distinct MetaInfoDef ``tensorflow_version`` values, in MetaGraph
  order (``producer.tensorflow_version`` is the first)
- ``meta_graphs``: one entry per MetaGraph: ``tags``, ``tensorflow_version``,
  ``tensorflow_git_version``, ``signatures`` ({key: {``method_name``, ``inputs``, ``outputs``}},
  where inputs/outputs map a key to {``name``, ``dtype`` (``"DT_FLOAT"``), ``shape`` (ints, -1
  unknown, null for unknown rank)}; sparse tensors add ``sparse`` (their three component names),
  composite tensors add ``composite_components``), ``op_types`` (sorted, graph nodes and every
  library function), ``node_count`` (graph nodes), ``function_count``, ``function_node_count``,
  ``variable_nodes``, ``object_graph`` (bool), ``saver`` ({``version``, ``sharded``} or null),
  ``collections`` (sorted names), ``asset_files`` (from ``asset_file_def`` and the TF1
  ``saved_model_assets`` collection)
- ``variables``: {``index`` (bool), ``data_shards_expected``, ``data_shards_present``,
  ``missing`` (file names), ``bytes`` (sum of file sizes in ``variables/``, by stat),
  ``other_files``, ``needed`` (the graph has variables to restore)}
- ``fingerprint``: ``fingerprint.pb`` fields or null
- ``keras_metadata``: {``source``, ``identifier``, ``keras_version``, ``backend``,
  ``layer_count``, ``summary`` (``keras_config.summarize``)} of the Keras model config, or null
- ``assets``, ``assets_extra``: file names under ``assets/`` and ``assets.extra/`` (POSIX)
- ``missing_assets``: asset files the MetaGraphs list that are not in ``assets/`` (TensorFlow
  still loads the model; the ops that read them fail when run)
- ``other_files``: top-level entries that are not part of the SavedModel layout
- ``layout``: the discovery context (TF Serving version folder, timestamped export) or null
- ``object_graph_identifiers``: sorted ``SavedUserObject`` identifiers of all object graphs

``raw`` keys: ``keras_config`` (the model config dict), ``training_config`` (when Keras
metadata records one), ``ops`` and ``string_attrs`` (as in ``graphdef``, across every MetaGraph).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from migrator.errors import ArtifactError
from migrator.formats import graphdef, keras_config, protos, register
from migrator.formats.graphdef import LEN, VARINT, GraphFacts, WireError
from migrator.model import Candidate, Reading

register(__name__, formats=("saved-model",), order=10)

FORMAT = "saved-model"
PB = "saved_model.pb"
PBTXT = "saved_model.pbtxt"
CPB = "saved_model.cpb"
KERAS_METADATA = "keras_metadata.pb"
FINGERPRINT = "fingerprint.pb"
VARIABLES = "variables"
KERAS_JSON = "assets/saved_model.json"
LAYOUT_NAMES = frozenset(
    {PB, PBTXT, CPB, KERAS_METADATA, FINGERPRINT, "variables/", "assets/", "assets.extra/"}
)
KERAS_MODEL_IDENTIFIERS = ("_tf_keras_model", "_tf_keras_sequential", "_tf_keras_network")
# Metadata files bigger than this are not read (a Keras config of that size is not plausible).
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_LISTED_FILES = 1000
_DATA_SHARD = re.compile(r"^variables\.data-(\d{5})-of-(\d{5})$")


# --- claiming -------------------------------------------------------------------------------------


def claim_dir(path: Path, names: frozenset[str]) -> bool:
    """A folder with saved_model.pb/.pbtxt (or a mangled SavedModel: see `_renamed_proto`)."""
    if PB in names or PBTXT in names or CPB in names:
        return True
    return _renamed_proto(path, names) is not None


def members(path: Path, names: frozenset[str]) -> frozenset[str]:
    """The entries of a claimed folder that belong to its SavedModel (names as `claim_dir` gets
    them, folders with a trailing "/"). Anything else beside them (a `model.h5` saved next to
    the export, another SavedModel in a subfolder) is not part of it and can be read on its own.
    """
    owned = names & LAYOUT_NAMES
    renamed = None if {PB, PBTXT, CPB} & names else _renamed_proto(path, names)
    return owned | {renamed} if renamed else owned


def claim_file(path: Path, head: bytes) -> bool:
    """A saved_model.pb given directly (its folder is read), or a loose SavedModel proto."""
    if path.name in (PB, PBTXT):
        return True
    kind = graphdef.sniff(head)
    return kind is not None and kind[0] == "SavedModel"


def _renamed_proto(path: Path, names: frozenset[str]) -> str | None:
    """The `*.pb` holding a SavedModel in a folder that looks like a SavedModel missing its name.

    Only folders with `keras_metadata.pb`, `fingerprint.pb` or `variables/` qualify, and only the
    first 64 bytes of each candidate file are read.
    """
    if not ({KERAS_METADATA, FINGERPRINT, "variables/"} & names):
        return None
    for name in sorted(names):
        if not name.endswith((".pb", ".pbtxt")) or name in (KERAS_METADATA, FINGERPRINT):
            continue
        try:
            with open(path / name, "rb") as fh:
                head = fh.read(64)
        except OSError:
            continue
        kind = graphdef.sniff(head)
        if kind is not None and kind[0] == "SavedModel":
            return name
    return None


# --- parsing the SavedModel proto -----------------------------------------------------------------


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


# --- reading --------------------------------------------------------------------------------------


def read(candidate: Candidate) -> Reading:
    location = candidate.location
    if location.is_file():
        if location.name in (PB, PBTXT):
            return _read_folder(location.parent, candidate, given_file=location.name)
        return _read_loose(location, candidate)
    return _read_folder(location, candidate)


def _error(path: Path, problem: str, remedy: str) -> ArtifactError:
    exc = ArtifactError(path, problem, remedy)
    exc.format = FORMAT  # type: ignore[attr-defined]
    return exc


def _load_proto(folder: Path, proto_name: str) -> ParsedSavedModel:
    path = folder / proto_name
    try:
        if proto_name.endswith(".pbtxt"):
            return parse_text(path)
        return parse_binary(path)
    except WireError as exc:
        size = path.stat().st_size
        hint = text_mangling_hint(path.read_bytes()) if size <= MAX_JSON_BYTES else ""
        raise _error(
            folder,
            f"{proto_name} is truncated or corrupt ({exc}; file is {size} bytes{hint})",
            "re-export the model or copy the file again from its source",
        ) from None
    except NotASavedModel as exc:
        if exc.kind == "GraphDef":
            raise _GraphDefInstead(path) from None
        remedy = (
            "remove or rename it; a SavedModel folder needs the saved_model.pb(txt) that "
            "tf.saved_model.save or SavedModelBuilder writes"
        )
        if exc.broken:
            raise _error(folder, f"{proto_name} {exc.what}", remedy) from None
        # Something else under a SavedModel's name: not a (broken) SavedModel at all.
        raise ArtifactError(folder, f"{proto_name} {exc.what}", remedy) from None
    except OSError as exc:
        raise _error(
            folder, f"cannot read {proto_name} ({exc.strerror or exc})", "check permissions"
        ) from None


class _GraphDefInstead(Exception):
    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def _read_loose(path: Path, candidate: Candidate) -> Reading:
    """A SavedModel proto that is not in a SavedModel folder: read it, and say so."""
    try:
        parsed = _load_proto(path.parent, path.name)
    except _GraphDefInstead:
        return graphdef.read(candidate)
    error = (
        f"{path.name} holds a SavedModel proto outside a SavedModel folder (its variables/ and "
        "assets/ are not beside it as saved_model.pb expects); put it in its own folder, "
        "renamed to saved_model.pb"
        + ("txt" if parsed.encoding == "text" else "")
        + ", with the variables/ folder it was exported with"
    )
    return _assemble(path.parent, path.name, parsed, candidate, [error], standalone=True)


def _read_folder(folder: Path, candidate: Candidate, given_file: str = "") -> Reading:
    errors: list[str] = []
    evidence: list[str] = []
    if given_file:
        evidence.append(f"{given_file} given directly: read its folder as the SavedModel")
    if (folder / PB).is_file():
        proto_name = PB
        if (folder / PBTXT).is_file():
            evidence.append(f"both {PB} and {PBTXT} present: TensorFlow loads {PB}")
    elif (folder / PBTXT).is_file():
        proto_name = PBTXT
    elif (folder / CPB).is_file():
        raise _error(
            folder,
            f"{CPB} is a chunked SavedModel (TF >= 2.15 proto-splitter format for graphs over "
            "2 GB), which migrator cannot read yet",
            "inspect it with saved_model_cli from TensorFlow >= 2.15",
        )
    else:
        names = frozenset(os.listdir(folder)) | frozenset(
            d + "/" for d in os.listdir(folder) if (folder / d).is_dir()
        )
        renamed = _renamed_proto(folder, names)
        if renamed is None:
            raise _error(folder, f"{PB} is missing", "restore saved_model.pb from the export")
        proto_name = renamed
        errors.append(
            f"{PB} is missing; {renamed} holds a SavedModel proto: rename it to "
            f"{PB if renamed.endswith('.pb') else PBTXT} so TensorFlow can load the folder"
        )
    try:
        parsed = _load_proto(folder, proto_name)
    except _GraphDefInstead as exc:
        reading = graphdef.read_binary_graph(exc.path)
        problem = (
            f"{proto_name} holds a GraphDef (a bare graph, e.g. a frozen graph), not a "
            "SavedModel: rename it to something like frozen_graph.pb and load it with "
            "tf.compat.v1.GraphDef, or re-export the model with tf.saved_model.save"
        )
        return Reading(
            reading.format,
            reading.producer,
            reading.details,
            reading.evidence,
            (*reading.errors, problem),
            reading.raw,
        )
    return _assemble(folder, proto_name, parsed, candidate, errors, evidence=evidence)


def _assemble(
    folder: Path,
    proto_name: str,
    parsed: ParsedSavedModel,
    candidate: Candidate,
    errors: list[str],
    *,
    evidence: list[str] | None = None,
    standalone: bool = False,
) -> Reading:
    evidence = list(evidence or [])
    count = len(parsed.meta_graphs)
    evidence.insert(
        0,
        f"{proto_name} parses as SavedModel ({parsed.encoding}, schema version "
        f"{parsed.schema_version}, {count} MetaGraph{'s' if count != 1 else ''})",
    )
    if not count:
        errors.append(
            f"{proto_name} holds no MetaGraphs, so there is nothing to load; re-export the model"
        )
    metas = [_meta_graph_details(meta, facts) for meta, facts in parsed.meta_graphs]
    versions = list(
        dict.fromkeys(m["tensorflow_version"] for m in metas if m["tensorflow_version"])
    )
    producer: dict[str, str] = {}
    if versions:
        producer["tensorflow_version"] = versions[0]
        evidence.append(f"MetaInfoDef.tensorflow_version={versions[0]!r}")
        if len(versions) > 1:
            evidence.append(f"MetaGraphs disagree on tensorflow_version: {', '.join(versions)}")
    tf2 = any(m["object_graph"] for m in metas)
    evidence.append(
        "object_graph_def present => TF2 (tf.saved_model.save)"
        if tf2
        else "no object_graph_def => TF1-style graph SavedModel"
    )
    identifiers = sorted(
        {
            node.user_object.identifier
            for meta, _ in parsed.meta_graphs
            for node in meta.object_graph_def.nodes
            if node.HasField("user_object")
        }
    )
    raw: dict[str, Any] = {}
    top = frozenset() if standalone else _top_level_names(folder)

    keras = _keras(folder, top, parsed, errors, evidence)
    if keras is not None:
        raw["keras_config"] = keras.config
        if keras.training_config is not None:
            raw["training_config"] = keras.training_config
        for key in ("keras_version", "backend"):
            value = getattr(keras, key)
            if isinstance(value, str) and value:
                producer[key] = value

    needs_variables = any(facts.variable_nodes for _, facts in parsed.meta_graphs) or any(
        node.HasField("variable")
        for meta, _ in parsed.meta_graphs
        for node in meta.object_graph_def.nodes
    )
    variables = None if standalone else _variables(folder, needs_variables, errors, evidence)
    fingerprint = None if standalone else _fingerprint(folder, top, errors, evidence)
    assets = [] if standalone else _list_files(folder / "assets")
    assets_extra = [] if standalone else _list_files(folder / "assets.extra")
    missing_assets: list[str] = []
    if not standalone:
        # TensorFlow loads a SavedModel whose assets are gone (it only builds their paths);
        # the ops that read them fail later. A fact for the rules, not a read error.
        referenced = sorted({name for m in metas for name in m["asset_files"]})
        missing_assets = [n for n in referenced if not (folder / "assets" / n).is_file()]
        if missing_assets:
            evidence.append(
                f"asset file(s) listed by the graph but absent from assets/: "
                f"{', '.join(missing_assets[:10])}"
            )
    layout = dict(candidate.context) or None
    if layout and layout.get("kind") == "timestamped-export":
        evidence.append(
            f"folder {layout.get('version_folder')} is a timestamped export "
            f"({layout.get('timestamp')})"
        )
    elif layout and layout.get("kind") == "serving-version":
        evidence.append(f"folder {layout.get('version_folder')} is a TF Serving version folder")

    ops: dict[str, set[str]] = {}
    string_attrs: dict[str, list[str]] = {}
    for _, facts in parsed.meta_graphs:
        calls = set(facts.function_names)
        for op, where in facts.ops.items():
            if op not in calls:
                ops.setdefault(op, set()).update(where)
        for location, strings in facts.string_attrs.items():
            string_attrs.setdefault(location, strings)
    raw["ops"] = {op: sorted(where) for op, where in sorted(ops.items())}
    raw["string_attrs"] = string_attrs

    details: dict[str, Any] = {
        "era": "tf2" if tf2 else "tf1",
        "keras": keras is not None,
        "keras_source": keras.source if keras else None,
        "encoding": parsed.encoding,
        "proto_file": proto_name,
        "schema_version": parsed.schema_version,
        "tensorflow_versions": versions,
        "meta_graphs": metas,
        "variables": variables,
        "fingerprint": fingerprint,
        "keras_metadata": keras.summary() if keras else None,
        "assets": assets,
        "assets_extra": assets_extra,
        "missing_assets": missing_assets,
        "other_files": sorted(n for n in top if n not in LAYOUT_NAMES and n != proto_name)[
            :MAX_LISTED_FILES
        ],
        "layout": layout,
        "object_graph_identifiers": identifiers,
    }
    return Reading(
        format=FORMAT,
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw=raw,
    )


def _top_level_names(folder: Path) -> frozenset[str]:
    names = set()
    try:
        with os.scandir(folder) as it:
            for entry in it:
                try:
                    names.add(
                        entry.name + "/" if entry.is_dir(follow_symlinks=False) else entry.name
                    )
                except OSError:
                    names.add(entry.name)
    except OSError:
        return frozenset()
    return frozenset(names)


# --- MetaGraphs -----------------------------------------------------------------------------------


def _meta_graph_details(meta: Any, facts: GraphFacts) -> dict[str, Any]:
    info = meta.meta_info_def
    saver = None
    if meta.HasField("saver_def"):
        saver = {
            "version": _enum_name("SaverDef.CheckpointFormatVersion", meta.saver_def.version),
            "sharded": bool(meta.saver_def.sharded),
        }
    return {
        "tags": list(info.tags),
        "tensorflow_version": info.tensorflow_version or None,
        "tensorflow_git_version": info.tensorflow_git_version or None,
        "signatures": {key: _signature(sig) for key, sig in sorted(meta.signature_def.items())},
        "op_types": facts.op_types,
        "node_count": facts.node_count,
        "function_count": facts.function_count,
        "function_node_count": facts.function_node_count,
        "variable_nodes": facts.variable_nodes,
        "object_graph": meta.HasField("object_graph_def"),
        "saver": saver,
        "collections": sorted(meta.collection_def),
        "asset_files": _asset_files(meta),
    }


def _enum_name(enum: str, number: int) -> str:
    for name, value in protos.ENUMS[enum].items():
        if value == number:
            return name
    return str(number)


def _signature(sig: Any) -> dict[str, Any]:
    return {
        "method_name": sig.method_name,
        "inputs": {key: _tensor_info(info) for key, info in sorted(sig.inputs.items())},
        "outputs": {key: _tensor_info(info) for key, info in sorted(sig.outputs.items())},
    }


def _tensor_info(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": info.name or None,
        "dtype": protos.dtype_name(info.dtype),
        "shape": graphdef.shape_list(info.tensor_shape),
    }
    if info.HasField("coo_sparse"):
        coo = info.coo_sparse
        out["name"] = coo.values_tensor_name or None
        out["sparse"] = {
            "values": coo.values_tensor_name,
            "indices": coo.indices_tensor_name,
            "dense_shape": coo.dense_shape_tensor_name,
        }
    elif info.HasField("composite_tensor"):
        out["composite_components"] = [c.name for c in info.composite_tensor.components]
    return out


def _asset_files(meta: Any) -> list[str]:
    names = {a.filename for a in meta.asset_file_def if a.filename}
    collection = meta.collection_def.get("saved_model_assets")
    if collection is not None:
        for item in collection.any_list.value:
            if item.type_url.endswith("AssetFileDef"):
                try:
                    asset = protos.parse("AssetFileDef", item.value)
                except DecodeError:
                    continue
                if asset.filename:
                    names.add(asset.filename)
    return sorted(names)


# --- variables, fingerprint, assets ---------------------------------------------------------------


def _variables(
    folder: Path, needed: bool, errors: list[str], evidence: list[str]
) -> dict[str, Any]:
    """Which variables files exist, by listing and stat only (data shards are never opened)."""
    vdir = folder / VARIABLES
    info: dict[str, Any] = {
        "index": False,
        "data_shards_expected": 0,
        "data_shards_present": 0,
        "missing": [],
        "bytes": 0,
        "other_files": [],
        "needed": needed,
    }
    if not vdir.is_dir():
        if needed:
            info["missing"] = ["variables/"]
            errors.append(
                "variables/ folder is missing but the graph has variables: the model cannot be "
                "restored (weights are lost); copy the variables/ folder from the original export"
            )
        else:
            evidence.append("no variables/ folder, and the graph has no variables to restore")
        return info
    shards: dict[int, int] = {}
    totals: set[int] = set()
    other = []
    total_bytes = 0
    with os.scandir(vdir) as it:
        for entry in sorted(it, key=lambda e: e.name):
            try:
                if entry.is_file():
                    total_bytes += entry.stat().st_size
            except OSError:
                pass
            match = _DATA_SHARD.match(entry.name)
            if match:
                shards[int(match.group(1))] = int(match.group(2))
                totals.add(int(match.group(2)))
            elif entry.name != "variables.index":
                other.append(entry.name)
    info["bytes"] = total_bytes
    info["other_files"] = other
    index = vdir / "variables.index"
    info["index"] = index.is_file()
    expected = None
    if info["index"]:
        expected = _index_shards(index, errors)
    if expected is None:
        expected = max(totals) if totals else (1 if info["index"] else 0)
    info["data_shards_expected"] = expected
    present = [i for i in range(expected) if shards.get(i) == expected]
    info["data_shards_present"] = len(present)
    missing = [
        f"variables/variables.data-{i:05d}-of-{expected:05d}"
        for i in range(expected)
        if shards.get(i) != expected
    ]
    if not info["index"]:
        missing.insert(0, "variables/variables.index")
    info["missing"] = missing
    if missing and (needed or shards or info["index"]):
        errors.append(
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} missing: the "
            "variables cannot be restored, so the model cannot be loaded; copy the complete "
            "variables/ folder from the original export"
        )
    elif not missing:
        plural = "s" if expected != 1 else ""
        evidence.append(f"variables/ has variables.index and {expected} data shard{plural}")
    return info


def _index_shards(index: Path, errors: list[str]) -> int | None:
    """num_shards from the bundle header (first entry of variables.index), or None."""
    from migrator.formats import sstable

    try:
        with open(index, "rb") as fh:
            first = sstable.Table(fh).first_value(1 << 20)
    except sstable.TableError as exc:
        errors.append(
            f"variables/variables.index is unreadable ({exc}): the variables cannot be restored; "
            "copy the variables/ folder again from the original export"
        )
        return None
    except OSError as exc:
        errors.append(f"cannot read variables/variables.index ({exc.strerror or exc})")
        return None
    if first is None or first[0] != b"":
        errors.append(
            "variables/variables.index has no bundle header: it is not a TensorFlow V2 "
            "checkpoint index; re-export the model"
        )
        return None
    try:
        header = protos.parse("BundleHeaderProto", first[1])
    except DecodeError:
        errors.append("variables/variables.index has a corrupt bundle header; re-export the model")
        return None
    return max(header.num_shards, 1)


def _fingerprint(
    folder: Path, top: frozenset[str], errors: list[str], evidence: list[str]
) -> dict[str, Any] | None:
    if FINGERPRINT not in top:
        return None
    try:
        data = (folder / FINGERPRINT).read_bytes()
        fp = protos.parse("FingerprintDef", data)
    except (OSError, DecodeError) as exc:
        errors.append(
            f"{FINGERPRINT} is unreadable ({exc}); it is optional: delete it or re-export"
        )
        return None
    evidence.append(f"{FINGERPRINT} present ({len(data)} bytes)")
    out: dict[str, Any] = {
        "saved_model_checksum": fp.saved_model_checksum,
        "graph_def_program_hash": fp.graph_def_program_hash,
        "signature_def_hash": fp.signature_def_hash,
        "saved_object_graph_hash": fp.saved_object_graph_hash,
        "checkpoint_hash": fp.checkpoint_hash,
        "version": fp.version.producer if fp.HasField("version") else None,
    }
    if fp.uuid:
        out["uuid"] = fp.uuid
    return out


def _list_files(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root).as_posix()
        for name in sorted(filenames):
            out.append(name if rel == "." else f"{rel}/{name}")
            if len(out) >= MAX_LISTED_FILES:
                return out
    return out


# --- Keras ----------------------------------------------------------------------------------------


@dataclass
class KerasModel:
    source: str
    identifier: str | None
    config: Mapping[str, Any] | None
    keras_version: Any = None
    backend: Any = None
    training_config: Any = None
    salvaged: bool = False  # read from a damaged file (see _salvage_root_metadata)

    def summary(self) -> dict[str, Any]:
        summary = keras_config.summarize(self.config) if self.config else None
        return {
            "source": self.source,
            "identifier": self.identifier,
            "keras_version": self.keras_version if isinstance(self.keras_version, str) else None,
            "backend": self.backend if isinstance(self.backend, str) else None,
            "layer_count": summary["layer_count"] if summary else None,
            "summary": summary,
        }


def _keras(
    folder: Path,
    top: frozenset[str],
    parsed: ParsedSavedModel,
    errors: list[str],
    evidence: list[str],
) -> KerasModel | None:
    """The Keras model in the SavedModel, from the first source that records one."""
    if KERAS_METADATA in top:
        found = _from_keras_metadata(folder / KERAS_METADATA, errors)
        if found is not None:
            state = "corrupt, but its root metadata JSON is intact" if found.salvaged else "present"
            evidence.append(
                f"{KERAS_METADATA} {state} (root {found.identifier}, keras_version "
                f"{found.keras_version!r})"
            )
            return found
    found = _from_object_graph(parsed)
    if found is not None:
        evidence.append(f"object graph holds Keras objects (root {found.identifier})")
        return found
    if "assets/" in top and (folder / KERAS_JSON).is_file():
        found = _from_saved_model_json(folder / KERAS_JSON, errors)
        if found is not None:
            evidence.append(
                f"{KERAS_JSON} is a Keras model config ({(found.config or {}).get('class_name')})"
            )
            return found
    return None


def _model_config(metadata: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The model config in Keras SavedModel metadata: `model_config` when it carries a config
    (TF 2.3 writes only its class_name there), else the object's own class_name/config.
    Subclassed models saved without get_config() record no config at all: None."""
    model_config = metadata.get("model_config")
    if isinstance(model_config, Mapping) and isinstance(model_config.get("config"), Mapping):
        if keras_config.is_layer_entry(model_config):
            return model_config
    config = metadata.get("config")
    if keras_config.is_layer_entry(metadata) and isinstance(config, Mapping):
        if config.get("layer was saved without config"):
            return None
        return {"class_name": metadata["class_name"], "config": config}
    return None


def _from_keras_metadata(path: Path, errors: list[str]) -> KerasModel | None:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            errors.append(f"{KERAS_METADATA} is larger than {MAX_JSON_BYTES} bytes; not read")
            return None
        data = path.read_bytes()
    except OSError as exc:
        errors.append(f"cannot read {KERAS_METADATA} ({exc.strerror or exc}); check permissions")
        return None
    try:
        saved = protos.parse("SavedMetadata", data)
    except DecodeError:
        errors.append(
            f"{KERAS_METADATA} is corrupt (not a valid protobuf{text_mangling_hint(data)}): "
            "Keras cannot rebuild the model from it; copy it again from the original export, "
            "or load the SavedModel with tf.saved_model.load instead"
        )
        return _salvage_root_metadata(data)
    root = next((n for n in saved.nodes if n.node_path == "root"), None) or next(
        (n for n in saved.nodes if n.node_id == 0), None
    )
    if root is None:
        errors.append(f"{KERAS_METADATA} has no root node; re-save the model")
        return None
    metadata: Any = {}
    if root.metadata:
        try:
            metadata = json.loads(root.metadata)
        except ValueError as exc:
            errors.append(f"{KERAS_METADATA} root metadata is not valid JSON ({exc})")
            metadata = {}
    if not isinstance(metadata, Mapping):
        metadata = {}
    return KerasModel(
        source=KERAS_METADATA,
        identifier=root.identifier or None,
        config=_model_config(metadata),
        keras_version=metadata.get("keras_version"),
        backend=metadata.get("backend"),
        training_config=metadata.get("training_config"),
    )


_ROOT_NODE = re.compile(rb'\x1a\x04root"([\x01-\x7f])')


def _salvage_root_metadata(data: bytes) -> KerasModel | None:
    """The root node's metadata JSON from a keras_metadata.pb whose protobuf framing is broken.

    The root SavedObject is serialized as node_path "root" (field 3), identifier (field 4) and
    the metadata JSON (field 5), which Keras writes as ASCII. When only length varints were
    damaged (a text re-encoding, say), that JSON is still intact and says which Keras wrote
    the model; it is used only if it decodes completely as one JSON object.
    """
    match = _ROOT_NODE.search(data)
    if match is None:
        return None
    start = match.end()
    identifier = data[start : start + match.group(1)[0]].decode("ascii", "replace")
    brace = data.find(b"{", start)
    if brace < 0:
        return None
    try:
        metadata, _ = json.JSONDecoder().raw_decode(data[brace:].decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(metadata, Mapping) or not keras_config.is_layer_entry(metadata):
        return None
    return KerasModel(
        source=KERAS_METADATA,
        identifier=identifier or None,
        config=_model_config(metadata),
        keras_version=metadata.get("keras_version"),
        backend=metadata.get("backend"),
        training_config=metadata.get("training_config"),
        salvaged=True,
    )


def _from_object_graph(parsed: ParsedSavedModel) -> KerasModel | None:
    """TF 2.0..2.4 Keras SavedModels keep the model metadata in the object graph itself."""
    best: tuple[int, Any] | None = None
    any_keras: str | None = None
    for meta, _ in parsed.meta_graphs:
        for index, node in enumerate(meta.object_graph_def.nodes):
            if not node.HasField("user_object"):
                continue
            identifier = node.user_object.identifier
            if identifier.startswith("_tf_keras_") and any_keras is None:
                any_keras = identifier
            if identifier in KERAS_MODEL_IDENTIFIERS and (best is None or index == 0):
                best = (index, node.user_object)
                if index == 0:
                    break
        if best is not None:
            break
    if best is None:
        if any_keras is None:
            return None
        return KerasModel("object_graph", any_keras, None)
    user_object = best[1]
    metadata: Any = {}
    if user_object.metadata:
        try:
            metadata = json.loads(user_object.metadata)
        except ValueError:
            metadata = {}
    if not isinstance(metadata, Mapping):
        metadata = {}
    return KerasModel(
        source="object_graph",
        identifier=user_object.identifier,
        config=_model_config(metadata),
        keras_version=metadata.get("keras_version"),
        backend=metadata.get("backend"),
        training_config=metadata.get("training_config"),
    )


def _from_saved_model_json(path: Path, errors: list[str]) -> KerasModel | None:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        errors.append(f"{KERAS_JSON} is not valid JSON ({exc}); Keras cannot rebuild the model")
        return None
    if not (isinstance(data, Mapping) and keras_config.is_layer_entry(data)):
        return None
    return KerasModel(
        source=KERAS_JSON,
        identifier=None,
        config={"class_name": data["class_name"], "config": data.get("config")},
        keras_version=data.get("keras_version"),
        backend=data.get("backend"),
    )
