"""V2 checkpoints: `<prefix>.index` (an SSTable of BundleEntryProto) and its `.data-*` shards.

Tensor data is never read. The one bounded exception is the `_CHECKPOINTABLE_OBJECT_GRAPH`
string tensor of object-based checkpoints (a TrackableObjectGraph proto, usually a few KB), read
from the data shard at the offset the index gives, and only up to `MAX_OBJECT_GRAPH_BYTES`.
Truncated data shards are still detected, from their sizes alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from migrator.formats import protos
from migrator.formats.checkpoint.found import Found, classify_keys, corrupt, describe_tensors
from migrator.formats.checkpoint.names import OBJECT_GRAPH_KEY
from migrator.formats.sstable import MAGIC, Table, TableError, read_varint

MAX_OBJECT_GRAPH_BYTES = 16 * 1024 * 1024


def read_v2(found: Found, folder: Path, prefix: str, data_present: list[str]) -> None:
    """Read the index of a V2 checkpoint into `found` (errors become error lines)."""
    d = found.details
    d["checkpoint_format"] = "V2"
    index = prefix + ".index"
    entries: list[tuple[str, Any]] = []
    header = None
    slice_entries = 0
    try:
        with (folder / index).open("rb") as fh:
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
        found.errors.append(corrupt(index, str(exc)))
        return
    except DecodeError:
        found.errors.append(corrupt(index, "the bundle header is not a BundleHeaderProto"))
        return
    except OSError as exc:
        found.errors.append(f"cannot read {index} ({exc.strerror or exc}); check permissions")
        return
    if header is None:
        found.errors.append(corrupt(index, "the index holds no entries (no bundle header)"))
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
    describe_tensors(found, [(n, e.dtype, e.shape, len(e.slices)) for n, e in entries])
    _check_shard_sizes(found, folder, expected, missing, entries)
    graph_entry = next((e for n, e in entries if n == OBJECT_GRAPH_KEY), None)
    if graph_entry is not None:
        d["kind"] = "object-based"
        found.evidence.append(f"{OBJECT_GRAPH_KEY} entry in {index}")
        d["object_graph"] = _read_object_graph(found, folder, expected, graph_entry)
    else:
        d["kind"] = "name-based"
    classify_keys(found)


def _check_shard_sizes(
    found: Found, folder: Path, shards: list[str], missing: list[str], entries: list
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


def _read_object_graph(found: Found, folder: Path, shards: list[str], entry: Any) -> Any:
    if entry.shard_id >= len(shards):
        return {"error": f"object graph names data shard {entry.shard_id}, which does not exist"}
    shard = folder / shards[entry.shard_id]
    if entry.size > MAX_OBJECT_GRAPH_BYTES:
        return {
            "skipped": f"{OBJECT_GRAPH_KEY} is {entry.size} bytes, over the "
            f"{MAX_OBJECT_GRAPH_BYTES}-byte limit for metadata reads"
        }
    try:
        with shard.open("rb") as fh:
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
