"""Security rules about TensorFlow graph ops (MIG305-MIG306): ops that read or write files, reach
the network or call Python when a signature runs, and TF-op layers of Keras configs that do the
same. The table of unsafe ops and how they were chosen are in the package docstring.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from migrator.facts import (
    layers_with_root,
    model_config,
    short_list,
)
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.security import LOAD

_UNSAFE_TF_API = re.compile(
    r"^(compat\.v1\.)?("
    r"io\.(read_file|write_file|matching_files|gfile\..*)|gfile\..*|read_file|write_file|"
    r"data\..*|summary\..*|debugging\.experimental\..*|saved_model\..*|train\..*|"
    r"py_function|numpy_function|py_func|"
    r"print|Print"
    r")$"
)


@dataclass(frozen=True)
class _UnsafeOp:
    """One unsafe TF op type: what it does, and how bad that is."""

    does: str
    severity: str  # "critical" (writes, sends, runs Python) or "high" (reads local files)


def _table() -> dict[str, _UnsafeOp]:
    writes = "writes files"
    reads = "reads local files"
    table: dict[str, _UnsafeOp] = {}

    def add(names: str, does: str, severity: str) -> None:
        for name in names.split():
            table[name] = _UnsafeOp(does, severity)

    add("WriteFile Save SaveV2 SaveSlices MergeV2Checkpoints", writes, "critical")
    add(
        "DatasetToTFRecord ExperimentalDatasetToTFRecord SaveDataset SaveDatasetV2 "
        "SnapshotDataset SnapshotDatasetV2 CreateSummaryFileWriter CreateSummaryDbWriter "
        "CalibrationStatisticsSaver",
        writes,
        "critical",
    )
    add(
        "PyFunc PyFuncStateless EagerPyFunc", "calls Python code of the loading process", "critical"
    )
    add(
        "DistributedSave RegisterDataset RegisterDatasetV2 DataServiceDataset "
        "DataServiceDatasetV2 DataServiceDatasetV3 DataServiceDatasetV4 RpcClient RpcCall "
        "RpcServer RpcServerRegister RpcServerStart Rpc TryRpc",
        "contacts a network address",
        "critical",
    )
    add("FileSystemSetConfiguration", "changes filesystem settings", "critical")
    add(
        "ReadFile MatchingFiles MatchingFilesDataset ExperimentalMatchingFilesDataset "
        "WholeFileReader WholeFileReaderV2 TextLineReader TextLineReaderV2 "
        "FixedLengthRecordReader FixedLengthRecordReaderV2 TFRecordReader TFRecordReaderV2 "
        "IdentityReader IdentityReaderV2 LMDBReader TFRecordDataset TFRecordDatasetV2 "
        "TextLineDataset FixedLengthRecordDataset FixedLengthRecordDatasetV2 CSVDataset "
        "CSVDatasetV2 ExperimentalCSVDataset LMDBDataset ExperimentalLMDBDataset SqlDataset "
        "ExperimentalSqlDataset LoadDataset SnapshotDatasetReader SnapshotChunkDataset "
        "ListSnapshotChunksDataset RecordInput LoadAndRemapMatrix GenerateVocabRemapping "
        "Restore RestoreSlice RestoreV2 DTensorRestoreV2 ImmutableConst",
        reads,
        "high",
    )
    return table


UNSAFE_OPS: dict[str, _UnsafeOp] = _table()
# Checkpoint ops a SavedModel's or Saver's own save/restore functions use; outside those places,
# or fed with constant paths, they are unsafe.
_CHECKPOINT_OPS = frozenset(
    {"Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints", "Restore", "RestoreSlice", "RestoreV2"}
)
# Where TF puts those: `tf.saved_model.save`'s traced save/restore functions, and top-level
# graph nodes (tf.train.Saver's `save/` scope, Keras and estimator savers).
_SAVER_FUNCTION = re.compile(r"^function:__inference__traced_(save|restore)_\d+/")
# Strings that name a place on disk or on the network (not checkpoint keys like `dense/kernel`
# or `/.ATTRIBUTES/OBJECT_CONFIG_JSON`, the root object's key).
_PATH_OR_URL = re.compile(r"^(/|\\\\|[A-Za-z]:[\\/]|~|\.\.?[\\/])|://|(^|[\\/])\.\.([\\/]|$)")
_CHECKPOINT_KEY = re.compile(r"(^|/)\.(ATTRIBUTES|OPTIMIZER_SLOT|KERAS_[A-Z_]+)(/|$)")


def _is_path(text: str) -> bool:
    return bool(_PATH_OR_URL.search(text)) and not _CHECKPOINT_KEY.search(text)


_OPS_ONLY_WITH_URLS = ("DebugIdentity", "DebugNanCount", "DebugNumericSummary")
_MEMMAPPED = "memmapped_package://"


def _is_saver(location: str, strings: list[str]) -> bool:
    if any(_is_path(s) for s in strings):
        return False  # a saver never bakes a path into the graph: the loader feeds it
    return location.startswith("graph:") or bool(_SAVER_FUNCTION.match(location))


def _graph_ops(artifact: Artifact) -> tuple[Mapping[str, Any], Mapping[str, list[str]]]:
    raw = artifact.reading.raw
    ops = raw.get("ops")
    strings = raw.get("string_attrs")
    return (ops if isinstance(ops, Mapping) else {}), (
        strings if isinstance(strings, Mapping) else {}
    )


def unsafe_graph_ops(artifact: Artifact) -> list[tuple[str, str, _UnsafeOp, list[str]]]:
    """(op, location, what it does, strings) for every unsafe op instance in the graph(s)."""
    ops, strings = _graph_ops(artifact)
    out = []
    for op, locations in ops.items():
        names = [locations] if isinstance(locations, str) else list(locations or [])
        for location in names:
            location = str(location)
            found = [str(s) for s in strings.get(location) or []]
            kind = _classify(op, location, found)
            if kind is not None:
                out.append((op, location, kind, found))
    return out


def _classify(op: str, location: str, strings: list[str]) -> _UnsafeOp | None:
    if op == "PrintV2":
        files = [s for s in strings if s.startswith("file://")]
        return _UnsafeOp("prints to a file", "critical") if files else None
    if op.startswith(_OPS_ONLY_WITH_URLS):
        urls = [s for s in strings if "://" in s]
        if not urls:
            return None
        network = any(not s.startswith("file://") for s in urls)
        return _UnsafeOp(
            "sends tensors over the network" if network else "dumps tensors to files", "critical"
        )
    if op in ("CacheDataset", "CacheDatasetV2"):
        named = [s for s in strings if s and s.isprintable()]
        return _UnsafeOp("writes cache files", "critical") if named else None
    kind = UNSAFE_OPS.get(op)
    if kind is None:
        return None
    if op == "ImmutableConst" and strings and all(s.startswith(_MEMMAPPED) for s in strings):
        return None  # memory-mapped graph format: reads regions of its own package
    if op in _CHECKPOINT_OPS and _is_saver(location, strings):
        return None
    return kind


def _where(location: str) -> str:
    kind, _, rest = location.partition(":")
    if kind == "function":
        function, _, node = rest.partition("/")
        return f"{node} in function {function}"
    return rest or location


@artifact_rule(
    "MIG305",
    "unsafe-graph-ops",
    title="TensorFlow ops that read or write files, reach the network or run Python",
    severity="critical",
    breaks_in=f"{LOAD}: the ops run when a signature (or the init op) runs: serving the model "
    "executes them with the server's permissions",
    formats=(
        "saved-model",
        "tfhub-module",
        "graph-def",
        "tf-checkpoint",
        "session-bundle",
        "tfjs-graph",
        "tflite",
    ),
)
def unsafe_graph_op_rule(artifact: Artifact) -> Hit | None:
    """Graph nodes or function-library nodes whose op touches files, the network or Python.

    A SavedModel needs no Python to be dangerous: ops such as `WriteFile`, `ReadFile`,
    `MatchingFiles`, `Save`/`SaveV2` with a baked-in path, `MergeV2Checkpoints` (renames and
    deletes), dataset readers over local paths (`TFRecordDataset`, `TextLineDataset`,
    `FixedLengthRecordDataset`), `PrintV2` to `file://`, `DebugIdentityV2/V3` with `file://` or
    `grpc://` URLs, `DistributedSave` and tf.data service ops (network), `ImmutableConst` outside
    the memory-mapped format, and `PyFunc`/`EagerPyFunc` (Python callbacks) run inside TensorFlow
    when the graph runs, e.g. on every serving request. The SavedModel's own save/restore functions
    and TF1 `tf.train.Saver` nodes use checkpoint ops with paths fed at run time; those are not
    flagged. In a checkpoint's `.meta` (a training graph, whose input pipeline reads files by
    design) only writes, network and Python ops are reported. TF.js graphs are reported at
    medium (TF.js has no kernels for these ops, so the graph fails rather than runs them);
    TFLite `Flex*` custom ops run TF kernels and are checked like graph ops.

    Fix: do not load or serve the model; regenerate it from reviewed code. If the op is legitimate
    (a training graph reading its data), strip it from the serving graph before exporting.
    """
    found = list(_all_unsafe(artifact))
    if not found:
        return None
    found.sort(key=lambda f: (f[2].severity != "critical", f[0], f[1]))
    described = []
    for op, location, kind, strings in found:
        shown = [s for s in strings if _is_path(s)] or strings
        shown = list(dict.fromkeys(_short(s) for s in shown))
        detail = f" {short_list(shown, 2)}" if shown else ""
        described.append(f"{op} ({kind.does}) at {_where(location)}{detail}")
    worst = "critical" if any(k.severity == "critical" for _, _, k, _ in found) else "high"
    if artifact.format == "tfjs-graph":
        worst = "medium"  # TF.js has no kernels for these ops: the graph fails instead of running
    return Hit(
        f"{len(found)} unsafe op(s) in the graph: {'; '.join(described[:6])}"
        + (f"; and {len(found) - 6} more" if len(found) > 6 else ""),
        "do not load or serve this model; regenerate it from reviewed code and strip file, "
        "network and Python ops from serving graphs",
        severity=worst,
    )


def _all_unsafe(artifact: Artifact) -> Iterator[tuple[str, str, _UnsafeOp, list[str]]]:
    if artifact.format == "tf-checkpoint":
        # A checkpoint's `.meta` is a training graph: its input pipeline reads files by design.
        yield from (f for f in unsafe_graph_ops(artifact) if f[2].severity == "critical")
        return
    if artifact.format == "tflite":
        for code in artifact.details.get("custom_ops") or []:
            name = str(code)
            if name.startswith("Flex"):
                kind = _classify(name[4:], "tflite", [])
                if kind is not None:
                    yield name, f"tflite:{name}", kind, []
        return
    yield from unsafe_graph_ops(artifact)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@artifact_rule(
    "MIG306",
    "tf-op-layer-io",
    title="tf.keras TF-op layer calling a TensorFlow API that touches files, network or Python",
    severity="critical",
    breaks_in="tf.keras 2.x (TF 2.0-2.15, tf_keras): `TFOpLambda`/`TensorFlowOpLayer` call the "
    "named TF API while the functional model is rebuilt at load time",
    formats=("keras-h5", "keras-json", "keras-yaml", "saved-model", "tfjs-layers"),
)
def tf_op_layer_io(artifact: Artifact) -> Hit | None:
    """A `TFOpLambda` / `SlicingOpLambda` naming a file, network or Python API, or a
    `TensorFlowOpLayer` whose NodeDef is an unsafe op.

    Functional tf.keras models record TF calls as layers: `TFOpLambda` stores the API name
    (`"function": "math.add"`) and tf.keras looks it up in the `tf` namespace and calls it with
    the recorded arguments when it rebuilds the model; TF 2.0-2.3's `TensorFlowOpLayer` stores a
    whole NodeDef and runs that op. A config can therefore name `io.write_file`,
    `io.gfile.remove`, `py_function`, or an op like `WriteFile`, and loading the model calls it.

    Fix: do not load the file with tf.keras; rebuild the model from reviewed code (Keras 3 does
    not load TF-op layers at all, see MIG110).
    """
    found = model_config(artifact)
    if found is None:
        return None
    culprits = []
    for path, entry in layers_with_root(found.config):
        cls = entry.get("class_name")
        config = entry.get("config")
        if not isinstance(config, Mapping):
            continue
        if cls in ("TFOpLambda", "SlicingOpLambda"):
            function = config.get("function")
            if isinstance(function, str) and _UNSAFE_TF_API.match(function):
                culprits.append(f"{path}: tf.{function}")
        elif cls == "TensorFlowOpLayer":
            node = config.get("node_def")
            op = node.get("op") if isinstance(node, Mapping) else None
            if isinstance(op, str) and (op in UNSAFE_OPS or op in ("PrintV2", "DebugIdentityV2")):
                culprits.append(f"{path}: op {op}")
    if not culprits:
        return None
    return Hit(
        f"TF-op layer(s) in {found.where} calling TensorFlow APIs that touch files, the network "
        f"or Python: {short_list(culprits)}: tf.keras calls them while loading",
        "do not load this file with tf.keras; rebuild the model from reviewed code",
    )
