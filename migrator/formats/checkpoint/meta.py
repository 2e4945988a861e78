"""`<prefix>.meta`: the MetaGraphDef tf.train.Saver writes beside a checkpoint.

Its graph is walked like a SavedModel's (op types and the strings feeding file/print ops go to
`raw`), so rules see a checkpoint's graph the way they see a SavedModel's. A lone `.meta` whose
checkpoint is gone is still reported, with an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from migrator.formats import graphdef, protos
from migrator.formats.checkpoint.found import Found
from migrator.formats.checkpoint.state import state_details
from migrator.model import Reading

MAX_META_BYTES = 256 * 1024 * 1024


def read_meta_into(found: Found, path: Path, name: str) -> None:
    """Read the MetaGraphDef `path` into `found`: its summary, producer and graph ops."""
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
            protos.enum_name("SaverDef.CheckpointFormatVersion", saver.version)
            if meta.HasField("saver_def")
            else None
        ),
        "collections": sorted(meta.collection_def),
        "signature_defs": sorted(meta.signature_def),
    }


def read_lone_meta(folder: Path, name: str, has_state: bool) -> Reading:
    """A `.meta` whose checkpoint is gone: still an artifact, with an error."""
    found = Found()
    prefix = name[:-5]
    found.details.update(checkpoint_format=None, prefix=prefix, meta_graph=None, state=None)
    read_meta_into(found, folder / name, name)
    if has_state:
        found.details["state"] = state_details(folder, prefix)
    found.errors.append(
        f"MetaGraphDef without its checkpoint: no {prefix}.index, {prefix}.data-* or V1 "
        f"{prefix} file beside {name}; copy the checkpoint files saved with it (the graph alone "
        "holds no trained values)"
    )
    return found.reading()
