"""TensorFlow checkpoints (`tf-checkpoint`) and legacy SessionBundle exports (`session-bundle`).

A checkpoint is a group of files around a *prefix*, and is reported as one artifact named by it:

- V2 (TF >= 0.12 default): `<prefix>.index` (an SSTable mapping tensor names to
  BundleEntryProto; the empty key holds BundleHeaderProto) and `<prefix>.data-NNNNN-of-NNNNN`
  shards holding the bytes;
- V1 (tf.train.Saver before V2, and `write_version=V1`): `<prefix>` or `<prefix>-NNNNN-of-NNNNN`,
  each an SSTable whose empty key holds a SavedTensorSlices table of contents;
- `<prefix>.meta`: the MetaGraphDef tf.train.Saver writes beside it (a lone `.meta` whose
  checkpoint is gone is still an artifact, with an error);
- the `checkpoint` state file (text CheckpointState) belongs to every checkpoint in its folder;
  alone, it is an artifact with an error.

A SessionBundle (`tensorflow/contrib/session_bundle`, before SavedModel) is a folder holding
`export.meta` (a MetaGraphDef whose `serving_signatures` collection holds a
`tensorflow.serving.Signatures` Any) and its variables checkpoint with prefix `export`
(`export`, `export-?????-of-?????`, or V2 `export.index` + `export.data-?????-of-?????`).

Tensor data is never read. The one bounded exception is the `_CHECKPOINTABLE_OBJECT_GRAPH`
string tensor of object-based checkpoints (a TrackableObjectGraph proto, usually a few KB), read
from the data shard at the offset the index gives, and only up to `MAX_OBJECT_GRAPH_BYTES`.
Truncated data shards are still detected, from their sizes alone.

`details` keys (tf-checkpoint; session-bundle adds the ones after the blank line):
  checkpoint_format   "V2" | "V1" | null (no tensor files found)
  prefix              the checkpoint prefix (file name without .index/.data/.meta)
  kind                "object-based" (has _CHECKPOINTABLE_OBJECT_GRAPH: tf.train.Checkpoint,
                      Keras save_weights in TF format) | "name-based" (tf.train.Saver) | null
  keras_save_weights  true when the keys are Keras object-based ones (layer-N/,
                      layer_with_weights-N/, .ATTRIBUTES/OBJECT_CONFIG_JSON, keras_api/), or the
                      object graph is rooted at the model itself (no `save_counter`, which every
                      tf.train.Checkpoint adds): what `model.save_weights("path")` without .h5 wrote
  tensor_count        full tensors in the checkpoint (partition slices not counted)
  parameter_count     sum of the element counts of numeric tensors (from shapes)
  tensors             [{name, dtype ("DT_FLOAT"), shape ([int], -1 unknown), partitions?}], at
                      most MAX_TENSORS_LISTED; `tensors_capped` says when the list was cut;
                      `tensors_skipped` when a V1 table of contents is over the read limit
  optimizer_slots     true when optimizer state is saved (.OPTIMIZER_SLOT/, slot variables in
                      the object graph, optimizer/_variables/N, or TF1 slot names like w/Adam)
  num_shards          data shards the index (V2) or the file names (V1) announce
  data_shards_present data shard file names found
  missing             files the checkpoint needs that are absent
  stray_data_shards   .data files of this prefix that the index does not announce (if any)
  partition_slices    V2 entries that hold one slice of a partitioned variable (if any)
  endianness          "BIG" when the bundle header says so (absent for little-endian)
  object_graph        {nodes, root_children, slot_variables, registered_savers} | {skipped} |
                      {error} | null
  meta_graph          summary of `<prefix>.meta` (tensorflow_version, tensorflow_git_version,
                      tags, ops, saver_version, collections) | null
  state               the `checkpoint` state file: {model_checkpoint_path,
                      all_model_checkpoint_paths, absolute_paths, dangling, points_here,
                      points_here_by_name} | {error} | null
                      (absolute entries are resolved only inside this folder: a path from
                      another machine counts as dangling even if it exists here by chance)

  signatures          session-bundle: {default: {...}, named: {name: {...}}} from
                      `serving_signatures`, each {type, and tensor names}; null when absent
  assets              session-bundle: file names under assets/
  layout              the folder context discovery found (TF Serving version folder, ...)

`raw` keys: "meta_graph" (the parsed MetaGraphDef or None), "object_graph" (the parsed
TrackableObjectGraph or None), "keys" (every tensor name in the checkpoint), and with a `.meta`
graph "ops" and "string_attrs" (as in `graphdef`: op type -> locations, and the strings feeding
file/print ops), so rules see the graph the way they see a SavedModel's.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from google.protobuf.message import DecodeError

from migrator.errors import ArtifactError
from migrator.formats import graphdef, protos, register
from migrator.formats.sstable import MAGIC, Table, TableError, TableLimit, read_varint
from migrator.model import Candidate, Reading

register(__name__, formats=("tf-checkpoint", "session-bundle"), order=20)

FORMAT = "tf-checkpoint"
BUNDLE_FORMAT = "session-bundle"
STATE_FILE = "checkpoint"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
MAX_OBJECT_GRAPH_BYTES = 16 * 1024 * 1024
MAX_TENSORS_LISTED = 2000
MAX_META_BYTES = 256 * 1024 * 1024
MAX_STATE_BYTES = 1024 * 1024
MAX_V1_TOC_BYTES = 64 * 1024 * 1024

# SessionBundle names (tensorflow/contrib/session_bundle/constants.py)
BUNDLE_META = "export.meta"
BUNDLE_PREFIX = "export"
SIGNATURES_KEY = "serving_signatures"
SIGNATURES_TYPE = "tensorflow.serving.Signatures"

_V2_DATA = re.compile(r"^(?P<prefix>.+)\.data-(?P<shard>\d{5})-of-(?P<count>\d{5})$")
_V1_SHARD = re.compile(r"^(?P<prefix>.+)-(?P<shard>\d{5})-of-(?P<count>\d{5})$")
# First byte of a binary MetaGraphDef: the tag of one of its fields 1..7, length-delimited.
_META_FIRST_BYTES = frozenset({0x0A, 0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A})
_NON_PARAMETER_DTYPES = frozenset({"DT_STRING", "DT_RESOURCE", "DT_VARIANT", "DT_INVALID"})
_KERAS_KEY = re.compile(
    r"(^|/)(layer|layer_with_weights)-\d+/|\.ATTRIBUTES/OBJECT_CONFIG_JSON$|(^|/)keras_api/"
)
# TF1 optimizers name slots `<var>/<OptimizerName>[_N]`; Keras optimizers in graph mode
# `training/<Optimizer>/<var>/<slot>`; new Keras optimizers keep them in optimizer/_variables/N.
_TF1_SLOT = re.compile(
    r".+/(Adam|Momentum|RMSProp|Adagrad|AdagradDA|ProximalAdagrad|Ftrl|Adadelta|Nadam|Adamax|"
    r"LazyAdam|AdamW|ExponentialMovingAverage)(_\d+)?$"
)
_KERAS_GRAPH_SLOT = re.compile(
    r"^training/\w+/.+/(accumulator|linear|m|v|vhat|momentum|rms|mg|accum_grad|accum_var)$"
)
_OBJECT_SLOT = re.compile(r"\.OPTIMIZER_SLOT/|(^|/)optimizer/_variables/\d+/")


# --- claiming ---------------------------------------------------------------------------------


def claim_dir(path: Path, names: frozenset[str]) -> bool:
    """A folder with `export.meta` is a SessionBundle export (one artifact)."""
    return BUNDLE_META in names


def claim_group(path: Path, names: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Checkpoints as groups named by their prefix; see the module docstring for the layouts."""
    groups: dict[str, set[str]] = {}
    for name in names:
        if name.endswith(".index") and len(name) > 6:
            groups.setdefault(name[:-6], set()).add(name)
        elif match := _V2_DATA.match(name):
            groups.setdefault(match["prefix"], set()).add(name)
    state_paths = _state_basenames(path, names)
    for name in sorted(names):
        if name in groups or _V2_DATA.match(name) or name.endswith((".index", ".meta")):
            continue
        shard = _V1_SHARD.match(name)
        prefix = shard["prefix"] if shard else name
        if prefix in groups and not shard:
            continue
        plausible = bool(shard) or (
            name + ".meta" in names or name.endswith(".ckpt") or name in state_paths
        )
        if plausible and _has_table_magic(path / name):
            groups.setdefault(prefix, set()).add(name)
    for name in names:
        if not name.endswith(".meta") or len(name) <= 5:
            continue
        prefix = name[:-5]
        if prefix in groups:
            groups[prefix].add(name)
        elif _looks_like_meta_graph(path / name):
            groups[name] = {name}
    if STATE_FILE in names:
        if groups:
            for members in groups.values():
                members.add(STATE_FILE)
        elif state_paths:
            groups[STATE_FILE] = {STATE_FILE}
    return [(main, tuple(sorted(members))) for main, members in sorted(groups.items())]


def _has_table_magic(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() < 48:
                return False
            fh.seek(-8, os.SEEK_END)
            lo, hi = struct.unpack("<II", fh.read(8))
    except OSError:
        return False
    return (hi << 32) | lo == MAGIC


def _looks_like_meta_graph(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        return False
    return len(head) == 2 and head[0] in _META_FIRST_BYTES


def _state_basenames(path: Path, names: frozenset[str]) -> set[str]:
    """Base names the folder's `checkpoint` state file lists ({} when absent or not a state)."""
    if STATE_FILE not in names:
        return set()
    try:
        state = _parse_state(path / STATE_FILE)
    except ArtifactError:
        return set()
    return {_basename(p) for p in [state.model_checkpoint_path, *state.all_model_checkpoint_paths]}


# --- reading ----------------------------------------------------------------------------------


def read(candidate: Candidate) -> Reading:
    if candidate.location.is_dir() and (candidate.location / BUNDLE_META).is_file():
        return _read_session_bundle(candidate)
    folder = candidate.location.parent
    main = candidate.location.name
    members = sorted({PurePosixPath(f).name for f in candidate.files})
    files = set(members) - {STATE_FILE}
    if main == STATE_FILE and not files:
        return _read_lone_state(folder)
    if main.endswith(".meta") and files == {main}:
        return _read_lone_meta(folder, main, STATE_FILE in members)
    found = _read_checkpoint(folder, main, members)
    return Reading(
        FORMAT,
        producer=found.producer,
        details=found.details,
        evidence=tuple(found.evidence),
        errors=tuple(found.errors),
        raw=found.raw,
    )


class _Found:
    """What reading one checkpoint prefix gathered (shared by checkpoints and SessionBundles)."""

    def __init__(self) -> None:
        self.details: dict[str, Any] = {}
        self.producer: dict[str, str] = {}
        self.evidence: list[str] = []
        self.errors: list[str] = []
        self.raw: dict[str, Any] = {"meta_graph": None, "object_graph": None, "keys": []}


def _read_checkpoint(folder: Path, prefix: str, members: list[str], meta: str = "") -> _Found:
    found = _Found()
    d = found.details
    d.update(
        checkpoint_format=None,
        prefix=prefix,
        kind=None,
        keras_save_weights=False,
        tensor_count=0,
        parameter_count=0,
        tensors=[],
        optimizer_slots=False,
        num_shards=None,
        data_shards_present=[],
        missing=[],
        object_graph=None,
        meta_graph=None,
        state=None,
    )
    meta = meta or prefix + ".meta"
    if meta in members:
        _read_meta_into(found, folder / meta, meta)
    index = prefix + ".index"
    v2_data = sorted(m for m in members if (x := _V2_DATA.match(m)) and x["prefix"] == prefix)
    v1_files = sorted(m for m in members if m == prefix or _is_v1_shard_of(m, prefix))
    if index in members:
        _read_v2(found, folder, prefix, v2_data)
    elif v1_files:
        _read_v1(found, folder, prefix, v1_files)
    elif v2_data:
        d["checkpoint_format"] = "V2"
        d["data_shards_present"] = v2_data
        d["missing"] = [index]
        found.errors.append(
            f"{index} is missing, so the tensors in {', '.join(v2_data)} cannot be located; "
            "copy the .index file saved together with the .data shards"
        )
    if STATE_FILE in members:
        d["state"] = _state_details(folder, prefix)
        found.evidence.append(f"CheckpointState text in '{STATE_FILE}'")
    return found


def _is_v1_shard_of(name: str, prefix: str) -> bool:
    match = _V1_SHARD.match(name)
    return bool(match) and match["prefix"] == prefix and not _V2_DATA.match(name)


# --- V2 bundles -------------------------------------------------------------------------------


def _read_v2(found: _Found, folder: Path, prefix: str, data_present: list[str]) -> None:
    d = found.details
    d["checkpoint_format"] = "V2"
    index = prefix + ".index"
    entries: list[tuple[str, Any]] = []
    header = None
    slice_entries = 0
    try:
        with open(folder / index, "rb") as fh:
            table = Table(fh)
            for key, value in table.items():
                if header is None:
                    if key != b"":
                        raise TableError("the first entry is not the bundle header (empty key)")
                    header = protos.parse("BundleHeaderProto", value)
                    continue
                if key.startswith(b"\x00"):
                    slice_entries += 1  # one slice of a partitioned tensor, keyed by OrderedCode
                    continue
                name = key.decode("utf-8", "replace")
                try:
                    entries.append((name, protos.parse("BundleEntryProto", value)))
                except DecodeError:
                    raise TableError(f"entry for key {name!r} is not a BundleEntryProto") from None
    except TableError as exc:
        found.errors.append(_corrupt(index, str(exc)))
        return
    except DecodeError:
        found.errors.append(_corrupt(index, "the bundle header is not a BundleHeaderProto"))
        return
    except OSError as exc:
        found.errors.append(f"cannot read {index} ({exc.strerror or exc}); check permissions")
        return
    if header is None:
        found.errors.append(_corrupt(index, "the index holds no entries (no bundle header)"))
        return
    found.evidence.append(f"SSTable magic 0x{MAGIC:x} at the end of {index}")
    found.evidence.append(
        f"BundleHeaderProto under the empty key: num_shards={header.num_shards}, "
        f"version producer={header.version.producer}"
    )
    if header.endianness:
        d["endianness"] = "BIG"
    num_shards = header.num_shards
    d["num_shards"] = num_shards
    expected = [f"{prefix}.data-{i:05d}-of-{num_shards:05d}" for i in range(num_shards)]
    d["data_shards_present"] = [n for n in expected if n in data_present]
    missing = [n for n in expected if n not in data_present]
    d["missing"] = missing
    if missing:
        found.errors.append(
            f"missing data shard(s) {', '.join(missing)} (the index announces {num_shards}); "
            f"copy every {prefix}.data-*-of-{num_shards:05d} file saved with {index}"
        )
    stray = sorted(set(data_present) - set(expected))
    if stray:
        d["stray_data_shards"] = stray
    if slice_entries:
        d["partition_slices"] = slice_entries
    _describe_tensors(found, [(n, e.dtype, e.shape, len(e.slices)) for n, e in entries])
    _check_shard_sizes(found, folder, expected, missing, entries)
    graph_entry = next((e for n, e in entries if n == OBJECT_GRAPH_KEY), None)
    if graph_entry is not None:
        d["kind"] = "object-based"
        found.evidence.append(f"{OBJECT_GRAPH_KEY} entry in {index}")
        d["object_graph"] = _read_object_graph(found, folder, expected, graph_entry)
    else:
        d["kind"] = "name-based"
    _classify_keys(found)


def _check_shard_sizes(
    found: _Found, folder: Path, shards: list[str], missing: list[str], entries: list
) -> None:
    """A truncated shard is found from its size: every entry must end inside its shard."""
    sizes: dict[int, int] = {}
    for i, name in enumerate(shards):
        if name not in missing:
            try:
                sizes[i] = (folder / name).stat().st_size
            except OSError:
                continue
    for name, entry in entries:
        if entry.slices:
            continue
        size = sizes.get(entry.shard_id)
        if entry.shard_id >= len(shards) and shards:
            found.errors.append(
                f"tensor {name!r} names data shard {entry.shard_id} but the index announces "
                f"{len(shards)}; the .index file is corrupt, re-copy the checkpoint"
            )
            return
        if size is not None and entry.offset + entry.size > size:
            found.errors.append(
                f"data shard {shards[entry.shard_id]} is {size} bytes but the index places "
                f"tensor {name!r} at bytes {entry.offset}..{entry.offset + entry.size}: the shard "
                "is truncated; re-copy it from the source"
            )
            return


def _read_object_graph(found: _Found, folder: Path, shards: list[str], entry: Any) -> Any:
    if entry.shard_id >= len(shards):
        return {"error": f"object graph names data shard {entry.shard_id}, which does not exist"}
    shard = folder / shards[entry.shard_id]
    if entry.size > MAX_OBJECT_GRAPH_BYTES:
        return {
            "skipped": f"{OBJECT_GRAPH_KEY} is {entry.size} bytes, over the "
            f"{MAX_OBJECT_GRAPH_BYTES}-byte limit for metadata reads"
        }
    try:
        with open(shard, "rb") as fh:
            fh.seek(entry.offset)
            blob = fh.read(entry.size)
    except OSError as exc:
        return {"error": f"cannot read {shard.name} ({exc.strerror or exc})"}
    if len(blob) != entry.size:
        return {"error": f"{shard.name} ends before the object graph"}
    # A scalar string tensor on disk: varint length, 4-byte masked CRC of the lengths, bytes.
    try:
        length, pos = read_varint(blob, 0)
    except TableError:
        return {"error": "object graph string tensor has a bad length"}
    if pos + 4 + length != len(blob):
        return {"error": "object graph string tensor length does not match its entry"}
    try:
        graph = protos.parse("TrackableObjectGraph", blob[pos + 4 :])
    except DecodeError:
        return {"error": "object graph bytes are not a TrackableObjectGraph"}
    found.raw["object_graph"] = graph
    nodes = list(graph.nodes)
    root_children = sorted(c.local_name for c in nodes[0].children) if nodes else []
    return {
        "nodes": len(nodes),
        "root_children": root_children,
        "slot_variables": sum(len(n.slot_variables) for n in nodes),
        "registered_savers": sorted(
            {n.registered_saver.name for n in nodes if n.registered_saver.name}
        ),
    }


# --- V1 checkpoints ---------------------------------------------------------------------------


def _read_v1(found: _Found, folder: Path, prefix: str, files: list[str]) -> None:
    d = found.details
    d["checkpoint_format"] = "V1"
    counts = {int(m["count"]) for f in files if (m := _V1_SHARD.match(f))}
    if len(counts) > 1:
        found.errors.append(
            f"V1 shard files disagree on the shard count ({sorted(counts)}); "
            "keep only the files of one save"
        )
    if counts:
        n = max(counts)
        expected = [f"{prefix}-{i:05d}-of-{n:05d}" for i in range(n)]
    else:
        n, expected = 1, [prefix]
    d["num_shards"] = n
    d["data_shards_present"] = [f for f in expected if f in files]
    d["missing"] = [f for f in expected if f not in files]
    if d["missing"]:
        found.errors.append(
            f"missing V1 checkpoint shard(s) {', '.join(d['missing'])}; copy every "
            f"{prefix}-*-of-{n:05d} file saved together"
        )
    tensors: dict[str, tuple[int, Any, int]] = {}
    for name in d["data_shards_present"]:
        try:
            with open(folder / name, "rb") as fh:
                first = Table(fh).first_value(MAX_V1_TOC_BYTES)
            if first is None or first[0] != b"":
                raise TableError("no table of contents under the empty key")
            toc = protos.parse("SavedTensorSlices", first[1])
        except TableLimit as exc:
            d["tensors_skipped"] = f"{name}: table of contents not read ({exc})"
            return
        except TableError as exc:
            found.errors.append(_corrupt(name, str(exc)))
            return
        except DecodeError:
            found.errors.append(_corrupt(name, "the table of contents is not SavedTensorSlices"))
            return
        except OSError as exc:
            found.errors.append(f"cannot read {name} ({exc.strerror or exc}); check permissions")
            return
        for meta in toc.meta.tensor:
            if meta.name not in tensors:
                tensors[meta.name] = (meta.type, meta.shape, 0)
            dtype, shape, parts = tensors[meta.name]
            # A full extent is start 0 with no length; a partition slice sets one of them.
            partial = sum(1 for s in meta.slice if any(e.start or e.length for e in s.extent))
            tensors[meta.name] = (dtype, shape, parts + partial)
    found.evidence.append(
        f"SSTable magic 0x{MAGIC:x} and a SavedTensorSlices table of contents in "
        f"{d['data_shards_present'][0] if d['data_shards_present'] else prefix}"
    )
    _describe_tensors(found, [(k, *v) for k, v in sorted(tensors.items())])
    d["kind"] = "object-based" if OBJECT_GRAPH_KEY in tensors else "name-based"
    _classify_keys(found)


# --- shared tensor facts ----------------------------------------------------------------------


def _describe_tensors(found: _Found, tensors: list[tuple[str, int, Any, int]]) -> None:
    d = found.details
    listed: list[dict[str, Any]] = []
    parameters = 0
    for name, dtype, shape, partitions in sorted(tensors, key=lambda t: t[0]):
        dims = [-1 if dim.size < 0 else int(dim.size) for dim in shape.dim]
        dtype_name = protos.dtype_name(dtype)
        if dtype_name not in _NON_PARAMETER_DTYPES and all(x >= 0 for x in dims):
            count = 1
            for x in dims:
                count *= x
            parameters += count
        if len(listed) < MAX_TENSORS_LISTED:
            item: dict[str, Any] = {"name": name, "dtype": dtype_name, "shape": dims}
            if partitions:
                item["partitions"] = partitions
            listed.append(item)
    d["tensor_count"] = len(tensors)
    d["parameter_count"] = parameters
    d["tensors"] = listed
    if len(tensors) > MAX_TENSORS_LISTED:
        d["tensors_capped"] = f"first {MAX_TENSORS_LISTED} of {len(tensors)} tensors listed"
    found.raw["keys"] = [t[0] for t in tensors]


def _classify_keys(found: _Found) -> None:
    d = found.details
    keys: list[str] = found.raw["keys"]
    graph = d.get("object_graph") or {}
    d["optimizer_slots"] = bool(graph.get("slot_variables")) or any(
        _OBJECT_SLOT.search(k) or _TF1_SLOT.match(k) or _KERAS_GRAPH_SLOT.match(k) for k in keys
    )
    if d["kind"] != "object-based":
        return
    if any(_KERAS_KEY.search(k) for k in keys):
        d["keras_save_weights"] = True
        found.evidence.append("Keras object-based keys (layer-N/, layer_with_weights-N/, ...)")
    elif "root_children" in graph and "save_counter" not in graph["root_children"]:
        d["keras_save_weights"] = True
        found.evidence.append(
            "object graph rooted at the model itself (no save_counter): Keras save_weights"
        )


# --- .meta graphs -----------------------------------------------------------------------------


def _read_meta_into(found: _Found, path: Path, name: str) -> None:
    try:
        size = path.stat().st_size
        if size > MAX_META_BYTES:
            found.details["meta_graph"] = {
                "skipped": f"{name} is {size} bytes, over the {MAX_META_BYTES}-byte limit"
            }
            return
        data = path.read_bytes()
    except OSError as exc:
        found.errors.append(f"cannot read {name} ({exc.strerror or exc}); check permissions")
        return
    try:
        meta = protos.parse("MetaGraphDef", data)
    except DecodeError:
        found.errors.append(
            f"{name} is not a MetaGraphDef (protobuf decoding failed): truncated or not written by "
            "tf.train.Saver; re-copy it, or delete it if the graph is rebuilt in code"
        )
        return
    found.raw["meta_graph"] = meta
    facts = graphdef.scan_graph_message(meta.graph_def)
    found.raw["ops"] = facts.ops_by_location()
    found.raw["string_attrs"] = facts.string_attrs
    summary = summarize_meta_graph(meta)
    found.details["meta_graph"] = summary
    if summary["tensorflow_version"]:
        found.producer["tensorflow_version"] = summary["tensorflow_version"]
        found.evidence.append(
            f"{name} MetaInfoDef tensorflow_version={summary['tensorflow_version']!r}"
        )
    else:
        found.evidence.append(f"{name} parses as a MetaGraphDef (no tensorflow_version recorded)")


def summarize_meta_graph(meta: Any) -> dict[str, Any]:
    """The facts of a MetaGraphDef a user and the rules need (no node contents)."""
    info = meta.meta_info_def
    ops = {node.op for node in meta.graph_def.node}
    for function in meta.graph_def.library.function:
        ops.update(node.op for node in function.node_def)
    saver = meta.saver_def
    return {
        "tensorflow_version": info.tensorflow_version,
        "tensorflow_git_version": info.tensorflow_git_version,
        "tags": list(info.tags),
        "node_count": len(meta.graph_def.node),
        "ops": sorted(ops),
        "saver_version": (
            _enum_name("SaverDef.CheckpointFormatVersion", saver.version)
            if meta.HasField("saver_def")
            else None
        ),
        "collections": sorted(meta.collection_def),
        "signature_defs": sorted(meta.signature_def),
    }


def _enum_name(enum: str, number: int) -> str:
    names = {v: k for k, v in protos.ENUMS[enum].items()}
    return names.get(number, str(number))


def _read_lone_meta(folder: Path, name: str, has_state: bool) -> Reading:
    found = _Found()
    prefix = name[:-5]
    found.details.update(checkpoint_format=None, prefix=prefix, meta_graph=None, state=None)
    _read_meta_into(found, folder / name, name)
    if has_state:
        found.details["state"] = _state_details(folder, prefix)
    found.errors.append(
        f"MetaGraphDef without its checkpoint: no {prefix}.index, {prefix}.data-* or V1 "
        f"{prefix} file beside {name}; copy the checkpoint files saved with it (the graph alone "
        "holds no trained values)"
    )
    return Reading(
        FORMAT,
        producer=found.producer,
        details=found.details,
        evidence=tuple(found.evidence),
        errors=tuple(found.errors),
        raw=found.raw,
    )


# --- the `checkpoint` state file --------------------------------------------------------------


def _parse_state(path: Path) -> Any:
    from google.protobuf import text_format

    try:
        if path.stat().st_size > MAX_STATE_BYTES:
            raise ArtifactError(path, "too large for a checkpoint state file")
        text = path.read_text(encoding="utf-8")
        state = protos.parse_text("CheckpointState", text)
    except (OSError, UnicodeDecodeError, text_format.ParseError) as exc:
        raise ArtifactError(
            path, f"not a readable CheckpointState text proto ({type(exc).__name__})"
        ) from None
    if not state.model_checkpoint_path and not state.all_model_checkpoint_paths:
        raise ArtifactError(path, "CheckpointState names no checkpoint")
    return state


def _is_absolute(entry: str) -> bool:
    return PurePosixPath(entry).is_absolute() or PureWindowsPath(entry).is_absolute()


def _basename(entry: str) -> str:
    return PureWindowsPath(entry).name if "\\" in entry else PurePosixPath(entry).name


def _resolve_here(folder: Path, entry: str) -> str | None:
    """The prefix name in `folder` an entry refers to, or None when it points elsewhere."""
    if _is_absolute(entry):
        if not PurePosixPath(entry).is_absolute():
            return None  # a Windows path: never inside this folder on this machine
        try:
            inside = Path(entry).parent.resolve() == folder.resolve()
        except (OSError, ValueError):
            inside = False
        return _basename(entry) if inside else None
    parts = PurePosixPath(entry.replace("\\", "/"))
    return parts.name if str(parts.parent) in ("", ".") else None


def _prefix_exists(folder: Path, prefix: str) -> bool:
    if (folder / (prefix + ".index")).is_file() or (folder / prefix).is_file():
        return True
    try:
        return any((m := _V1_SHARD.match(n)) and m["prefix"] == prefix for n in os.listdir(folder))
    except OSError:
        return False


def _state_details(folder: Path, prefix: str) -> dict[str, Any]:
    try:
        state = _parse_state(folder / STATE_FILE)
    except ArtifactError as exc:
        return {"error": exc.short}
    entries = [state.model_checkpoint_path, *state.all_model_checkpoint_paths]
    dangling = []
    for entry in dict.fromkeys(e for e in entries if e):
        here = _resolve_here(folder, entry)
        if here is None or not _prefix_exists(folder, here):
            dangling.append(entry)
    latest = state.model_checkpoint_path
    return {
        "model_checkpoint_path": latest,
        "all_model_checkpoint_paths": list(state.all_model_checkpoint_paths),
        "absolute_paths": any(_is_absolute(e) for e in entries if e),
        "dangling": dangling,
        "points_here": _resolve_here(folder, latest) == prefix if latest else False,
        "points_here_by_name": _basename(latest) == prefix if latest else False,
    }


def _read_lone_state(folder: Path) -> Reading:
    try:
        state = _parse_state(folder / STATE_FILE)
    except ArtifactError as exc:
        exc.format = FORMAT
        raise
    details = {"checkpoint_format": None, "prefix": None, "state": _state_details(folder, "")}
    named = state.model_checkpoint_path or state.all_model_checkpoint_paths[-1]
    return Reading(
        FORMAT,
        details=details,
        evidence=(f"CheckpointState text in '{STATE_FILE}'",),
        errors=(
            f"checkpoint state file with no checkpoint beside it: it names {named!r} but no "
            f"{_basename(named)}.index / .data-* / V1 file is in this folder; copy the "
            "checkpoint files here or delete the stale state file",
        ),
    )


# --- SessionBundle ----------------------------------------------------------------------------


def _read_session_bundle(candidate: Candidate) -> Reading:
    folder = candidate.location
    try:
        names = sorted(n for n in os.listdir(folder) if (folder / n).is_file())
    except OSError as exc:
        raise ArtifactError(folder, f"cannot list folder ({exc.strerror or exc})") from None
    found = _read_checkpoint(folder, BUNDLE_PREFIX, names, meta=BUNDLE_META)
    d = found.details
    found.evidence.insert(0, f"{BUNDLE_META} (SessionBundle META_GRAPH_DEF_FILENAME)")
    if d["checkpoint_format"] is None:
        d["missing"] = [*d["missing"], "export / export-?????-of-????? / export.index"]
        found.errors.append(
            "SessionBundle without its variables checkpoint (no export, export-?????-of-????? "
            "or export.index beside export.meta); copy the files saved with the export"
        )
    meta = found.raw["meta_graph"]
    d["signatures"] = None
    if meta is not None:
        if SIGNATURES_KEY not in meta.collection_def:
            found.errors.append(
                f"{BUNDLE_META} has no '{SIGNATURES_KEY}' collection, so TensorFlow Serving has no "
                "signature to serve; re-export with signatures, preferably as a SavedModel"
            )
        else:
            d["signatures"] = _bundle_signatures(found, meta.collection_def[SIGNATURES_KEY])
    assets = folder / "assets"
    d["assets"] = sorted(p.name for p in assets.iterdir()) if assets.is_dir() else []
    if candidate.context:
        d["layout"] = dict(candidate.context)
    return Reading(
        BUNDLE_FORMAT,
        producer=found.producer,
        details=d,
        evidence=tuple(found.evidence),
        errors=tuple(found.errors),
        raw=found.raw,
    )


def _bundle_signatures(found: _Found, collection: Any) -> dict[str, Any] | None:
    values = list(collection.any_list.value)
    if not values:
        found.errors.append(
            f"'{SIGNATURES_KEY}' collection holds no Any value; re-export with signatures"
        )
        return None
    any_value = values[0]
    if not any_value.type_url.endswith("/" + SIGNATURES_TYPE):
        found.errors.append(
            f"'{SIGNATURES_KEY}' holds {any_value.type_url!r}, not {SIGNATURES_TYPE}; "
            "re-export with the session_bundle Exporter or as a SavedModel"
        )
        return None
    try:
        sigs = protos.parse("ServingSignatures", any_value.value)
    except DecodeError:
        found.errors.append(f"'{SIGNATURES_KEY}' bytes are not a {SIGNATURES_TYPE} message")
        return None
    found.evidence.append(f"'{SIGNATURES_KEY}' collection holds {SIGNATURES_TYPE}")
    out: dict[str, Any] = {"default": None, "named": {}}
    if sigs.HasField("default_signature"):
        out["default"] = _bundle_signature(sigs.default_signature)
    for key in sorted(sigs.named_signatures):
        out["named"][key] = _bundle_signature(sigs.named_signatures[key])
    return out


def _bundle_signature(sig: Any) -> dict[str, Any]:
    if sig.HasField("regression_signature"):
        r = sig.regression_signature
        return {"type": "regression", "input": r.input.tensor_name, "output": r.output.tensor_name}
    if sig.HasField("classification_signature"):
        c = sig.classification_signature
        return {
            "type": "classification",
            "input": c.input.tensor_name,
            "classes": c.classes.tensor_name,
            "scores": c.scores.tensor_name,
        }
    if sig.HasField("generic_signature"):
        g = sig.generic_signature
        return {"type": "generic", "map": {k: g.map[k].tensor_name for k in sorted(g.map)}}
    return {"type": None}


def _corrupt(name: str, problem: str) -> str:
    return (
        f"{name}: corrupt or truncated checkpoint table ({problem}); re-copy the checkpoint "
        "from its source, TensorFlow cannot restore it either"
    )
