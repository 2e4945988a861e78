"""Reading a SavedModel: find its proto, parse it, and assemble what every part says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import graphdef
from migrator.formats.graphdef import WireError
from migrator.formats.savedmodel.details import SavedModelDetails
from migrator.formats.savedmodel.files import fingerprint_info, variables_info
from migrator.formats.savedmodel.functions import concrete_functions
from migrator.formats.savedmodel.keras import find_keras_model
from migrator.formats.savedmodel.layout import list_files, renamed_proto, top_level_names
from migrator.formats.savedmodel.metagraphs import meta_graph_details
from migrator.formats.savedmodel.names import (
    CPB,
    FORMAT,
    LAYOUT_NAMES,
    MAX_JSON_BYTES,
    MAX_LISTED_FILES,
    PB,
    PBTXT,
)
from migrator.formats.savedmodel.proto import (
    NotASavedModel,
    ParsedSavedModel,
    parse_binary,
    parse_text,
    text_mangling_hint,
)
from migrator.knowledge.savedmodel import CHUNKED_SAVEDMODEL_SINCE
from migrator.knowledge.tfhub import REUSABLE_ATTRIBUTES
from migrator.knowledge.versions import render
from migrator.model import Candidate, Reading
from migrator.storage import list_dir

_CHUNKED = render(CHUNKED_SAVEDMODEL_SINCE)


def read(candidate: Candidate) -> Reading:
    """Read a SavedModel folder, a saved_model.pb(txt) given directly, or a loose proto."""
    location = candidate.location
    if location.is_file():
        if location.name in (PB, PBTXT):
            return _read_folder(location.parent, candidate, given_file=location.name)
        return _read_loose(location, candidate)
    return _read_folder(location, candidate)


def _error(path: Path, problem: str, remedy: str) -> ArtifactError:
    """An error about a SavedModel (the report names the format even though it is unreadable)."""
    return ArtifactError(path, problem, remedy, format=FORMAT)


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
            f"{CPB} is a chunked SavedModel (TF >= {_CHUNKED} proto-splitter format for graphs "
            "over 2 GB), which migrator cannot read yet",
            f"inspect it with saved_model_cli from TensorFlow >= {_CHUNKED}",
        )
    else:
        files, dirs = list_dir(folder)
        names = frozenset(files) | frozenset(d + "/" for d in dirs)
        renamed = renamed_proto(folder, names)
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
    metas = [meta_graph_details(meta, facts) for meta, facts in parsed.meta_graphs]
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
    # TF Hub's TF2 format: a TF2 SavedModel whose root object offers the Reusable SavedModel
    # interface (knowledge.tfhub.REUSABLE_ATTRIBUTES), as hub.KerasLayer requires.
    root_children = {
        child.local_name
        for meta, _ in parsed.meta_graphs
        if meta.object_graph_def.nodes
        for child in meta.object_graph_def.nodes[0].children
    }
    reusable = tf2 and set(REUSABLE_ATTRIBUTES) <= root_children
    if reusable:
        evidence.append(
            "root object has __call__, variables, trainable_variables and regularization_losses: "
            "a Reusable SavedModel (TF Hub's TF2 format, for hub.load and hub.KerasLayer)"
        )
    raw: dict[str, Any] = {}
    top = frozenset() if standalone else top_level_names(folder)

    keras = find_keras_model(folder, top, parsed, errors, evidence)
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
    variables = None if standalone else variables_info(folder, needs_variables, errors, evidence)
    fingerprint = None if standalone else fingerprint_info(folder, top, errors, evidence)
    assets = [] if standalone else list_files(folder / "assets")
    assets_extra = [] if standalone else list_files(folder / "assets.extra")
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
    # `saved_model_cli show --all`'s "Concrete Functions" (TF2 object graphs only; for inspect)
    functions = (
        concrete_functions(meta, facts.function_names) for meta, facts in parsed.meta_graphs
    )
    raw["concrete_functions"] = next((f for f in functions if f is not None), None)

    details = SavedModelDetails(
        era="tf2" if tf2 else "tf1",
        keras=keras is not None,
        keras_source=keras.source if keras else None,
        encoding=parsed.encoding,
        proto_file=proto_name,
        schema_version=parsed.schema_version,
        tensorflow_versions=versions,
        meta_graphs=metas,
        variables=variables,
        fingerprint=fingerprint,
        keras_metadata=keras.summary() if keras else None,
        assets=assets,
        assets_extra=assets_extra,
        missing_assets=missing_assets,
        other_files=sorted(n for n in top if n not in LAYOUT_NAMES and n != proto_name)[
            :MAX_LISTED_FILES
        ],
        layout=layout,
        object_graph_identifiers=identifiers,
        reusable=reusable,
    )
    return Reading(
        format=FORMAT,
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw=raw,
    )
