"""TensorFlow.js models (`tfjs-layers`, `tfjs-graph`): a `model.json` and the weight shards it lists.

The JSON (tfjs-converter's `model.json`, or tfjs-layers' `model.save()`) holds `modelTopology`
and `weightsManifest` ([{paths: [shard file], weights: [{name, shape, dtype, quantization?}]}]),
and since tfjs 1.x `format`: "layers-model" | "graph-model". Without `format`, the topology
decides: a Keras model config (`model_config`, or `class_name` at the top) is a layers model, a
GraphDef in JSON (`node`) a graph model.

Shard files are never opened: their sizes are compared with the byte count the manifest's shapes
and dtypes imply, which catches truncated shards without reading a weight.

`producer`: `generatedBy` -> generated_by, `convertedBy` -> converted_by, and for layers models
`modelTopology.keras_version` / `backend`, all verbatim.

`details`: `TfjsLayersDetails` / `TfjsGraphDetails` below, field by field.

`raw` keys: "model_config" (layers models: the Keras model config dict), "ops" (graph models:
{op type: [node names]}).
"""

from __future__ import annotations

import json
import posixpath
import stat as stat_module
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import keras_config, register
from migrator.formats.details import UNSET, Details
from migrator.knowledge import versions
from migrator.model import Candidate, Reading

register(__name__, formats=("tfjs-layers", "tfjs-graph"), order=40)

LAYERS = "tfjs-layers"
GRAPH = "tfjs-graph"
HEAD_BYTES = 64 * 1024
MAX_JSON_BYTES = 512 * 1024 * 1024
_MARKERS = (b'"modelTopology"', b'"weightsManifest"', b'"layers-model"', b'"graph-model"')
# Bytes per element of the dtypes a manifest may name (tfjs-core io/types.ts).
_DTYPE_BYTES = {
    "float32": 4, "int32": 4, "bool": 1, "complex64": 8,
    "uint8": 1, "uint16": 2, "float16": 2, "int8": 1, "int16": 2,
}  # fmt: skip


@dataclass(frozen=True, eq=False, kw_only=True)
class TfjsDetails(Details):
    """What both TF.js formats report: the format and the weights manifest against the shards."""

    format: str  # "layers-model" | "graph-model"
    format_declared: bool  # the JSON says so itself (`format` key)
    shards: dict[str, list[str]]  # {listed, present, missing}, relative to the model.json folder
    weights: int  # weight entries in the manifest
    weight_bytes: int | None  # bytes the manifest implies (None when a string weight hides it)
    shard_bytes: int  # total size of the present shards


@dataclass(frozen=True, eq=False, kw_only=True)
class TfjsLayersDetails(TfjsDetails):
    """`details` of a tfjs-layers reading; without a model config only `model_class` (None)."""

    # everything `keras_config.summarize(model_config)` gives
    model_class: str | None
    name: str | None = UNSET
    layer_count: int = UNSET
    layers: list[dict[str, Any]] = UNSET
    layer_classes: list[str] = UNSET
    nested_models: list[str] = UNSET
    modules: list[str] = UNSET
    registered_names: list[str] = UNSET
    lambda_layers: list[str] = UNSET  # paths
    config_style: str | None = UNSET  # keras_config.config_style
    keras_major: int | None = UNSET  # from modelTopology keras_version
    training_config: bool = UNSET  # modelTopology holds a training_config object
    lambda_layers_detail: list[dict[str, Any]] = UNSET  # keras_config.lambda_layers


@dataclass(frozen=True, eq=False, kw_only=True)
class TfjsGraphDetails(TfjsDetails):
    """`details` of a tfjs-graph reading (a GraphDef in JSON)."""

    ops: list[str]  # sorted op types of modelTopology.node and its function library
    node_count: int
    initializer_ops: list[str]  # op types of modelInitializer
    graph_producer: Any  # modelTopology.versions.producer
    signature: dict[str, Any] | None  # {inputs, outputs}: key -> {name, dtype, shape}
    user_defined_metadata: list[str]  # sorted keys of userDefinedMetadata


def claim_group(path: Path, names: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    """A JSON file that is a TF.js model, with the listed shard files beside it."""
    groups = []
    for name in sorted(names):
        if not name.lower().endswith(".json"):
            continue
        head = _head(path / name)
        if head is None:
            continue
        if not any(marker in head for marker in _MARKERS):
            # Not a TF.js model by its first bytes; a file named model.json that is not even
            # JSON is still claimed, so it gets an error instead of being skipped silently.
            if name.lower() != "model.json" or _is_json_start(head):
                continue
        members = {name}
        document = _load(path / name)
        if isinstance(document, dict):
            if not ("modelTopology" in document or "weightsManifest" in document):
                continue
            for shard in _listed_shards(document):
                if "/" not in shard and shard in names:
                    members.add(shard)
        groups.append((name, tuple(sorted(members))))
    return groups


def _head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError:
        return None


def _is_json_start(head: bytes) -> bool:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return len(head) == HEAD_BYTES  # cut off by the head limit: undecided, assume JSON
    return True


def _load(path: Path) -> Any:
    """The parsed JSON, or None when it cannot be read or parsed (read() says why)."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return None
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None


def _listed_shards(document: dict[str, Any]) -> list[str]:
    out: list[str] = []
    manifest = document.get("weightsManifest")
    if not isinstance(manifest, list):
        return out
    for group in manifest:
        paths = group.get("paths") if isinstance(group, dict) else None
        if isinstance(paths, list):
            out.extend(p for p in paths if isinstance(p, str) and p not in out)
    return out


def read(candidate: Candidate) -> Reading:
    path = candidate.location
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise _error(path, f"{size} bytes is too large for a model.json", None)
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise _error(path, f"cannot read file ({exc.strerror or exc})", None) from None
    guessed = _guess_format(raw_bytes[:HEAD_BYTES])
    if not raw_bytes.strip():
        raise _error(path, "file is empty", guessed, "re-export the model or remove the file")
    try:
        document = json.loads(raw_bytes.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _error(
            path,
            f"not valid JSON ({type(exc).__name__}: {str(exc)[:120]})",
            guessed,
            "re-export it with tensorflowjs_converter or re-copy the file (it may be truncated)",
        ) from None
    if not isinstance(document, dict):
        raise _error(path, f"JSON top level is a {type(document).__name__}, not an object", guessed)
    topology = document.get("modelTopology")
    manifest = document.get("weightsManifest")
    declared = document.get("format")
    fmt = declared if declared in ("layers-model", "graph-model") else _infer_format(topology)
    artifact_format = LAYERS if fmt == "layers-model" else GRAPH if fmt == "graph-model" else None
    if not isinstance(topology, dict):
        raise _error(path, "no `modelTopology` object", artifact_format)
    if artifact_format is None:
        raise _error(
            path,
            "`modelTopology` is neither a Keras model config nor a GraphDef",
            None,
            "re-export it with tensorflowjs_converter",
        )
    errors: list[str] = []
    producer: dict[str, str] = {}
    for key, out_key in (("generatedBy", "generated_by"), ("convertedBy", "converted_by")):
        if isinstance(document.get(key), str):
            producer[out_key] = document[key]
    evidence = [f"{path.name}: JSON with modelTopology and weightsManifest"]
    evidence.append(
        f"format={declared!r}" if declared else f"no `format` key; topology looks like a {fmt}"
    )
    details: dict[str, Any] = {"format": fmt, "format_declared": declared == fmt}
    if not isinstance(manifest, list):
        errors.append(
            "no `weightsManifest` list, so the weights cannot be located; re-export the model "
            "with tensorflowjs_converter"
        )
        manifest = []
    _describe_weights(path.parent, manifest, details, errors)
    raw: dict[str, Any] = {}
    if artifact_format == LAYERS:
        _describe_layers(topology, details, producer, raw, evidence)
    else:
        _describe_graph(document, topology, details, raw)
    typed = TfjsLayersDetails if artifact_format == LAYERS else TfjsGraphDetails
    return Reading(
        artifact_format,
        producer=producer,
        details=typed(**details),
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw=raw,
    )


def _guess_format(head: bytes) -> str | None:
    if b'"layers-model"' in head:
        return LAYERS
    if b'"graph-model"' in head:
        return GRAPH
    return None


def _infer_format(topology: Any) -> str | None:
    if not isinstance(topology, dict):
        return None
    if "model_config" in topology or "class_name" in topology:
        return "layers-model"
    if "node" in topology:
        return "graph-model"
    return None


def _error(
    path: Path,
    problem: str,
    fmt: str | None,
    remedy: str = "re-export it with tensorflowjs_converter",
) -> ArtifactError:
    return ArtifactError(path, problem, remedy, format=fmt or "unknown")


# --- weights manifest -------------------------------------------------------------------------


def _describe_weights(
    folder: Path, manifest: list[Any], details: dict[str, Any], errors: list[str]
) -> None:
    listed: list[str] = []
    present: list[str] = []
    missing: list[str] = []
    weights = 0
    expected_total: int | None = 0
    shard_total = 0
    short: list[str] = []
    for index, group in enumerate(manifest):
        if not isinstance(group, dict):
            errors.append(f"weightsManifest[{index}] is not an object; re-export the model")
            continue
        paths = [p for p in _list(group.get("paths")) if isinstance(p, str)]
        entries = [w for w in _list(group.get("weights")) if isinstance(w, dict)]
        weights += len(entries)
        expected = _group_bytes(entries)
        group_size = 0
        group_complete = True
        for shard in paths:
            if shard in listed:
                continue
            listed.append(shard)
            location = _inside(folder, shard)
            size = _size(location) if location is not None else None
            if size is None:
                missing.append(shard)
                group_complete = False
            else:
                present.append(shard)
                group_size += size
        shard_total += group_size
        if expected is None or expected_total is None:
            expected_total = None
        else:
            expected_total += expected
        if group_complete and expected is not None and group_size < expected:
            short.append(
                f"group {index} ({', '.join(paths)}): {group_size} bytes, manifest needs {expected}"
            )
    details["shards"] = {"listed": listed, "present": present, "missing": missing}
    details["weights"] = weights
    details["weight_bytes"] = expected_total
    details["shard_bytes"] = shard_total
    if missing:
        errors.append(
            f"missing weight shard(s) {', '.join(missing)} listed in weightsManifest; copy them "
            "next to the model.json (TF.js fetches them relative to it)"
        )
    if short:
        errors.append(
            "weight shards are smaller than the manifest's shapes and dtypes require ("
            + "; ".join(short)
            + "): truncated; re-copy or re-convert the model"
        )


def _inside(folder: Path, shard: str) -> Path | None:
    """The shard's location if it resolves inside the model folder; URLs and ../ stay outside."""
    if "://" in shard or shard.startswith("/") or "\\" in shard or "\x00" in shard:
        return None
    normal = posixpath.normpath(shard)
    if normal.startswith("../") or normal == "..":
        return None
    return folder / normal


def _size(path: Path) -> int | None:
    try:
        stat = path.stat()
    except (OSError, ValueError):  # ValueError: a NUL byte in a manifest path
        return None
    return stat.st_size if stat_module.S_ISREG(stat.st_mode) else None


def _group_bytes(entries: list[dict[str, Any]]) -> int | None:
    total = 0
    for entry in entries:
        shape = entry.get("shape")
        quantization = entry.get("quantization")
        dtype = entry.get("dtype")
        if isinstance(quantization, dict) and isinstance(quantization.get("dtype"), str):
            dtype = quantization["dtype"]
        per = _DTYPE_BYTES.get(dtype) if isinstance(dtype, str) else None
        if per is None or not isinstance(shape, list):
            return None
        count = 1
        for dim in shape:
            if not isinstance(dim, int) or dim < 0:
                return None
            count *= dim
        total += count * per
    return total


# --- layers models ----------------------------------------------------------------------------


def _describe_layers(
    topology: dict[str, Any],
    details: dict[str, Any],
    producer: dict[str, str],
    raw: dict[str, Any],
    evidence: list[str],
) -> None:
    model_config = topology.get("model_config")
    if not isinstance(model_config, dict) and "class_name" in topology:
        model_config = topology  # tfjs-layers model.save(): the topology is the model config
    for key in ("keras_version", "backend"):
        value = topology.get(key)
        if not isinstance(value, str) and isinstance(model_config, dict):
            value = model_config.get(key)
        if isinstance(value, str):
            producer[key] = value
    if "keras_version" in producer:
        evidence.append(f"modelTopology keras_version={producer['keras_version']!r}")
    if not isinstance(model_config, dict):
        details["model_class"] = None
        return
    raw["model_config"] = model_config
    details.update(keras_config.summarize(model_config))
    style, _markers = keras_config.config_style(model_config)
    details["config_style"] = style
    details["keras_major"] = versions.major(producer.get("keras_version"))
    details["training_config"] = isinstance(topology.get("training_config"), dict)
    details["lambda_layers_detail"] = keras_config.lambda_layers(model_config)


# --- graph models -----------------------------------------------------------------------------


def _describe_graph(
    document: dict[str, Any], topology: dict[str, Any], details: dict[str, Any], raw: dict[str, Any]
) -> None:
    ops: dict[str, list[str]] = {}
    nodes = [n for n in _list(topology.get("node")) if isinstance(n, dict)]
    library = topology.get("library")
    functions = library.get("function") if isinstance(library, dict) else None
    for function in functions if isinstance(functions, list) else []:
        if isinstance(function, dict):
            nodes.extend(n for n in _list(function.get("nodeDef")) if isinstance(n, dict))
    for node in nodes:
        op = node.get("op")
        if isinstance(op, str):
            ops.setdefault(op, []).append(str(node.get("name", "")))
    raw["ops"] = {op: ops[op] for op in sorted(ops)}
    details["ops"] = sorted(ops)
    details["node_count"] = len(_list(topology.get("node")))
    initializer = document.get("modelInitializer")
    init_nodes = initializer.get("node") if isinstance(initializer, dict) else None
    details["initializer_ops"] = sorted(
        {n["op"] for n in _list(init_nodes) if isinstance(n, dict) and isinstance(n.get("op"), str)}
    )
    versions = topology.get("versions")
    details["graph_producer"] = versions.get("producer") if isinstance(versions, dict) else None
    signature = document.get("signature")
    details["signature"] = (
        {side: _signature_side(signature.get(side)) for side in ("inputs", "outputs")}
        if isinstance(signature, dict)
        else None
    )
    metadata = document.get("userDefinedMetadata")
    details["user_defined_metadata"] = sorted(metadata) if isinstance(metadata, dict) else []


def _signature_side(side: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(side, dict):
        return out
    for key in sorted(side):
        info = side[key]
        if not isinstance(info, dict):
            continue
        shape_info = info.get("tensorShape")
        shape: list[int] | None = None
        if isinstance(shape_info, dict) and not shape_info.get("unknownRank"):
            shape = []
            for dim in _list(shape_info.get("dim")):
                size = dim.get("size", "-1") if isinstance(dim, dict) else "-1"
                try:
                    shape.append(int(size))
                except (TypeError, ValueError):
                    shape.append(-1)
        out[key] = {"name": info.get("name"), "dtype": info.get("dtype"), "shape": shape}
    return out


def _list(value: Any) -> list[Any]:
    """`value` when the manifest holds a list there, else [] (a damaged file's wrong JSON type)."""
    return value if isinstance(value, list) else []
