"""Security rules (MIG3xx): artifacts whose loading could run code, touch files or reach the network.

Auditing never executes any of it: these rules read the facts the readers recorded (configs as
JSON, op types and the strings that feed file ops, zip and HDF5 structure, npy headers). Nothing
is unmarshalled, unpickled, imported or run. Severities follow what loading can do: `critical`
when loading (or serving) the artifact runs code or writes/sends data chosen by whoever made it,
`high` when it reads local files or names code outside the artifact that loading will import or
call, `medium` when the artifact cannot be audited because its behaviour lives in code elsewhere.

The unsafe TensorFlow ops were chosen from what the ops do: the op registry of TF 2.21 (every op
with file names, URLs, Python callbacks or network addresses among its inputs or attrs, checked
against the `tf.raw_ops` documentation) plus ops of older releases (`Rpc`/`TryRpc` of
`tf.contrib.rpc`), and TFLite's Flex allowlist for `Flex*` custom ops.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from migrator.facts import (
    KERAS_PACKAGES,
    custom_classes,
    layers_with_root,
    model_config,
    short_list,
)
from migrator.formats import keras_config
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule

LOAD = "every Keras/TF version that loads the artifact"


# --- Lambda layers and other code in configs ---------------------------------------------------


@artifact_rule(
    "MIG301",
    "lambda-layer",
    title="Lambda layer or marshalled Python code in a model config",
    severity="critical",
    deprecated_in="Keras 2.13 / Keras 3 (`safe_mode=True` refuses `.keras` Lambda bytecode)",
    breaks_in=f"{LOAD}: tf.keras/Keras 2 unmarshal and run the bytecode while rebuilding the "
    "model; Keras 3 runs it with `safe_mode=False` and in legacy HDF5 files",
    formats=("keras-h5", "keras-json", "keras-yaml", "keras-v3", "saved-model", "tfjs-layers"),
)
def lambda_layer(artifact: Artifact) -> Iterable[Hit]:
    """A Lambda layer, at any nesting depth, or any other config field holding Python bytecode.

    Keras serializes a Lambda's function as marshalled bytecode (Keras 1/2: `function_type:
    "lambda"`, in HDF5, JSON/YAML, `keras_metadata.pb`; Keras 3: a `__lambda__` entry in
    `config.json`) or as the name of a function to look up (`function_type: "function"`). Loading
    unmarshals the bytecode and calls it while rebuilding the model, so a crafted file runs
    arbitrary code (CVE-2024-3660 class). A Lambda that names a function runs whatever the
    loading process defines under that name. Keras 1 `Merge` layers can carry marshalled `mode`
    functions the same way.

    Fix: never load the file with Keras unless you trust its source; rebuild the Lambda as a
    registered custom layer in reviewed code and load only the weights into it
    (`migrator convert` refuses Lambda layers unless `--unsafe` is given).
    """
    found = model_config(artifact)
    entries = _lambda_entries(artifact)
    if found is None and not entries:
        return
    where = found.where if found else "config.json"
    marshalled = [i for i in entries if i["marshalled"]]
    named = [i for i in entries if not i["marshalled"]]
    if marshalled:
        paths = [f"{i['path']} ({', '.join(i['fields'])})" for i in marshalled]
        yield Hit(
            f"{len(marshalled)} layer(s) with marshalled Python bytecode in {where}: "
            f"{short_list(paths)}: loading unmarshals and runs it",
            "do not load this file with Keras unless you trust its source; rebuild the Lambda "
            "as reviewed code and load only the weights",
        )
    if named:
        paths = [f"{i['path']} -> {i['function']}" for i in named]
        yield Hit(
            f"{len(named)} Lambda layer(s) in {where} calling functions by name: "
            f"{short_list(paths)}: loading runs whatever the loading process defines under "
            "that name",
            "load only with the function's reviewed code imported, or rebuild the layer as a "
            "registered custom layer",
            severity="high",
        )


def _lambda_entries(artifact: Artifact) -> list[dict[str, Any]]:
    """Every Lambda/marshalled entry: path, fields, marshalled, function (name or '?')."""
    out: dict[str, dict[str, Any]] = {}
    found = model_config(artifact)
    if found is not None:
        for item in keras_config.lambda_layers(found.config):
            function = _function_name(found.config, item["path"])
            out[item["path"]] = {
                "path": item["path"],
                "fields": item["marshalled_fields"] or ["function"],
                "marshalled": bool(item["marshalled"]),
                "function": function,
            }
    if artifact.format == "keras-v3":  # `__lambda__` anywhere, compile_config included
        for path in artifact.details.get("lambda_entries") or []:
            if not any(path.startswith(p) or p in path for p in out):
                out[path] = {"path": path, "fields": ["__lambda__"], "marshalled": True}
    return list(out.values())


def _function_name(config: Mapping[str, Any], path: str) -> str:
    for layer_path, entry in keras_config.iter_layers(config):
        if layer_path != path:
            continue
        inner = entry.get("config")
        function = inner.get("function") if isinstance(inner, Mapping) else None
        if isinstance(function, str):
            return function
        if isinstance(function, Mapping):  # Keras 3: {"class_name": "function", "config": name}
            value = function.get("config")
            return value if isinstance(value, str) else str(function.get("class_name"))
    return "?"


# Python modules whose callables give a config process, file or network access.
_DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "sys",
        "shutil",
        "socket",
        "importlib",
        "runpy",
        "pickle",
        "marshal",
        "ctypes",
        "code",
        "codeop",
        "pty",
        "webbrowser",
        "multiprocessing",
        "http",
        "urllib",
        "requests",
        "io",
        "pathlib",
        "tempfile",
        "commands",
        "platform",
        "signal",
        "types",
    }
)
# `builtins` callables a function entry must never name.
_DANGEROUS_BUILTINS = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "input",
        "breakpoint",
        "exit",
        "quit",
        "help",
    }
)


def _module_entries(config: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Serialized objects with a `module` key, anywhere in a config (compile config included)."""
    stack: list[tuple[str, Any]] = [(path, config)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, Mapping):
            if isinstance(node.get("class_name"), str) and isinstance(node.get("module"), str):
                yield here or "(model)", node
            for key in reversed(list(node)):
                stack.append((f"{here}/{key}" if here else str(key), node[key]))
        elif isinstance(node, list):
            for index in range(len(node) - 1, -1, -1):
                stack.append((f"{here}/{index}" if here else str(index), node[index]))


@artifact_rule(
    "MIG302",
    "config-module-outside-keras",
    title="Config entry naming a Python module outside Keras",
    severity="high",
    breaks_in="Keras <= 3.8 and tf.keras 2.13-2.15 import any `module` a `.keras` config names "
    "and call the class found there (CVE-2025-1550); Keras 3.9+ refuse modules outside Keras",
    formats=("keras-v3", "keras-h5", "keras-json", "keras-yaml", "saved-model", "tfjs-layers"),
)
def config_module_outside_keras(artifact: Artifact) -> Hit | None:
    """A serialized object whose `module` is not a Keras package, or a `builtins` function entry
    that names a Python builtin such as `eval` or `open`.

    Keras 3 configs record `module` + `class_name` for every object. Up to Keras 3.8 (and
    tf.keras 2.13-2.15), deserialization ran `importlib.import_module(module)` for any module and
    called `class_name` from it with the config as arguments, so a crafted `.keras` file can
    import an installed module and invoke its callables; the `builtins` lookup for function
    entries likewise returned `eval`/`exec`. Keras 3.9+ only import Keras' own packages, but older
    runtimes stay exposed. A legitimate custom module still means running that module's code.

    Fix: load only with a Keras >= 3.9 (safe_mode on) and only when the named module is your own
    reviewed code; otherwise treat the file as hostile and rebuild the model from trusted code.
    """
    found = model_config(artifact)
    if found is None:
        return None
    roots: list[tuple[str, Any]] = [("", found.config)]
    compile_config = artifact.reading.raw.get("compile_config")
    if compile_config is not None:
        roots.append(("compile_config", compile_config))
    dangerous, foreign = [], []
    for root, value in roots:
        for path, entry in _module_entries(value, root):
            module = str(entry["module"])
            name = entry["class_name"]
            top = module.split(".", 1)[0]
            if top == "builtins":
                target = entry.get("config") if name == "function" else name
                if isinstance(target, str) and target in _DANGEROUS_BUILTINS:
                    dangerous.append(f"{path}: builtins.{target}")
                continue
            if top in KERAS_PACKAGES:
                continue
            item = f"{path}: {module}.{name}"
            (dangerous if top in _DANGEROUS_MODULES else foreign).append(item)
    if not dangerous and not foreign:
        return None
    culprits = dangerous + foreign
    problem = (
        f"{found.where} names code outside Keras ({short_list(culprits, 3)}): Keras <= 3.8 and "
        "tf.keras 2.13-2.15 import that module and call it while loading"
    )
    remedy = (
        "treat the file as hostile unless the module is your own reviewed code; load it only "
        "with Keras >= 3.9 and safe_mode on"
    )
    return Hit(problem, remedy, severity="critical" if dangerous else None)


@artifact_rule(
    "MIG303",
    "opaque-custom-model",
    title="Model defined entirely by code outside the artifact",
    severity="medium",
    breaks_in=f"{LOAD}: loading calls the class registered under that name with the saved "
    "weights; what the model computes is decided by that code, not by the file",
    formats=("keras-h5", "keras-json", "keras-yaml", "keras-v3", "tfjs-layers"),
)
def opaque_custom_model(artifact: Artifact) -> Hit | None:
    """A subclassed or custom model whose config is just a class name: no layers to audit.

    Its architecture and behaviour live in the class that the loading process provides
    (`custom_objects`, a registered package, a module named in the config). The artifact itself
    cannot be reviewed, and loading it executes that class's code (`__init__`, `build`, `call`)
    with the file's weights; whoever controls the class (or the package that registers the name)
    controls what the model does. Published malicious models use exactly this shape.

    Fix: load it only with the defining code from a reviewed source pinned by version, or
    rebuild the model as a functional/Sequential model whose config describes every layer and
    save that.
    """
    found = model_config(artifact)
    if found is None:
        return None
    config = found.config
    cls = config.get("class_name")
    if not isinstance(cls, str) or keras_config.children(config):
        return None
    custom = [name for path, name in custom_classes(config) if path == "(model)"]
    if not custom:
        return None
    origin = config.get("module") or config.get("registered_name")
    origin_text = f" ({origin})" if isinstance(origin, str) and origin else ""
    return Hit(
        f"custom model class `{cls}`{origin_text} with no layers in {found.where}: what it "
        "computes is whatever code provides that class at load time, which cannot be audited here",
        "load it only with reviewed, version-pinned defining code, or rebuild it as a "
        "functional model whose config lists its layers",
    )


# TF API names a tf.keras TFOpLambda/SlicingOpLambda may call (its `function` field) that read
# or write files, reach the network, or run Python.
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
    formats=("saved-model", "graph-def", "tf-checkpoint", "session-bundle", "tfjs-graph", "tflite"),
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


# --- weights and containers -------------------------------------------------------------------


@artifact_rule(
    "MIG304",
    "npz-pickle",
    title="Pickled objects in `.npz` weights",
    severity="critical",
    breaks_in="Keras versions that load `.keras` npz weights with `numpy.load(allow_pickle=True)` "
    "(tf.keras 2.15, Keras 3.3.3 checked) unpickle them, running any code the pickle names",
    formats=("keras-v3",),
)
def npz_pickle(artifact: Artifact) -> Hit | None:
    """A `.keras` archive whose npz weights hold object arrays (pickles) or a bare pickle.

    Object-dtype `.npy` arrays are pickles, and a pickle can call any importable function
    (`os.system`) when it is loaded. Keras npz stores pickle one dict per layer, and loaders
    that use `allow_pickle=True` run whatever a crafted pickle says. A weights member that is
    not a zip at all but starts like a pickle is worse still: it exists only to be unpickled.

    Fix: do not load the file; if the model is needed, rebuild it from trusted code and retrain,
    or load the weights only in an isolated sandbox and re-save them as `.weights.h5`.
    """
    arrays = [a for a in artifact.details.get("npz_object_arrays") or [] if isinstance(a, Mapping)]
    issues = [
        i
        for i in artifact.details.get("npz_issues") or []
        if isinstance(i, Mapping) and "pickle" in str(i.get("problem", ""))
    ]
    if not arrays and not issues:
        return None
    parts = [f"{i.get('entry')}: {i.get('problem')}" for i in issues]  # bare pickles first
    parts += [f"{a.get('entry')}:{a.get('array')} (dtype {a.get('dtype')})" for a in arrays]
    return Hit(
        f"pickled data in the npz weights ({short_list(parts, 3)}): loading unpickles it, which "
        "can run arbitrary code",
        "do not load this file; rebuild the model from trusted code, or re-save the weights as "
        "`.weights.h5` inside an isolated sandbox",
    )


def _external_links(artifact: Artifact) -> list[str]:
    links = [
        f"{link.get('path')} -> {link.get('file')}:{link.get('target')}"
        for link in artifact.details.get("external_links") or []
        if isinstance(link, Mapping)
    ]
    weights = artifact.details.get("weights") if artifact.format == "keras-v3" else None
    layout = weights.get("layout") if isinstance(weights, Mapping) else None
    for link in (layout or {}).get("links") or []:  # `.keras` weights member: {path, external}
        if isinstance(link, Mapping) and link.get("external"):
            links.append(f"model.weights.h5:{link.get('path')} -> {link.get('external')}")
    return links


@artifact_rule(
    "MIG307",
    "hdf5-external-link",
    title="HDF5 external link to another file",
    severity="high",
    breaks_in=f"{LOAD}: h5py follows external links when Keras reads the group, opening "
    "whatever file the link names on the loading machine",
    formats=("keras-h5", "keras-h5-weights", "keras-v3-weights", "keras-v3"),
)
def hdf5_external_link(artifact: Artifact) -> Hit | None:
    """An HDF5 group or dataset that is an external link into another file.

    Keras never writes external links. When Keras walks the file, h5py resolves the link and
    opens the named file (absolute paths included) on the machine that loads the model: a way to
    read local data into weights, probe the filesystem, or make the model depend on a file that
    is not shipped with it. The audit lists links without following them.

    Fix: do not load the file; re-save the model from a trusted copy (Keras writes
    self-contained files), or copy the linked data in with h5py after reviewing it.
    """
    links = _external_links(artifact)
    if not links:
        return None
    return Hit(
        f"{len(links)} HDF5 external link(s): {short_list(links, 3)}: loading opens the linked "
        "file on the loading machine",
        "do not load it; re-save the model from a trusted, self-contained copy",
    )


@artifact_rule(
    "MIG308",
    "zip-path-escape",
    title="Zip member that escapes the archive (absolute path, `..`, symlink)",
    severity="high",
    breaks_in="any extractor that does not sanitize names (Keras versions that extract assets, "
    "`unzip`, Java/Go/Node tools): files are written outside the target folder",
    formats=("keras-v3",),
)
def zip_path_escape(artifact: Artifact) -> Hit | None:
    """A `.keras` member whose name is absolute, has `..` components, backslashes, NUL bytes or
    is a symlink entry.

    Keras writes only `metadata.json`, `config.json`, `model.weights.*` and `assets/...`. A
    member like `../../.bashrc` or `/etc/cron.d/x` exists to be written outside the extraction
    folder by tools that trust names (zip slip); symlink entries redirect later writes. Python's
    `zipfile` strips such names, many other tools do not.

    Fix: do not extract or load the file; rebuild it from a trusted copy, and reject archives with
    such members at upload time.
    """
    members = [m for m in artifact.details.get("unsafe_members") or [] if isinstance(m, Mapping)]
    if not members:
        return None
    parts = [f"{m.get('name')!r} ({m.get('reason')})" for m in members]
    return Hit(
        f"{len(members)} archive member(s) that escape the extraction folder: "
        f"{short_list(parts, 3)}",
        "do not extract or load it; rebuild it from a trusted copy",
    )


@artifact_rule(
    "MIG309",
    "zip-duplicate-members",
    title="Zip archive listing the same member name twice",
    severity="high",
    breaks_in="every Keras version: `zipfile` (and so Keras) reads the LAST entry of a name, "
    "while scanners that read the first one see different content",
    formats=("keras-v3",),
)
def zip_duplicate_members(artifact: Artifact) -> Hit | None:
    """The central directory lists a member name more than once.

    Keras never writes duplicates. Python's `zipfile` resolves a name to its last entry, many
    scanners and unzip tools to the first: a benign first copy can hide a payload that Keras
    loads (published malicious `.keras` files pair this with pickled npz weights).

    Fix: do not load the file; rebuild it from a trusted copy, and reject archives with duplicate
    names at upload time.
    """
    duplicates = [str(d) for d in artifact.details.get("duplicate_members") or []]
    if not duplicates:
        return None
    return Hit(
        f"duplicate archive member(s) {short_list(duplicates)}: Keras loads the last copy, "
        "scanners that read the first one see something else",
        "do not load it; rebuild it from a trusted copy",
    )
