"""Read one checkpoint prefix: its `.meta`, its V2 or V1 tensor files and its state file."""

from __future__ import annotations

from pathlib import Path

from migrator.formats.checkpoint.found import Found
from migrator.formats.checkpoint.meta import read_meta_into
from migrator.formats.checkpoint.names import STATE_FILE, V2_DATA, is_v1_shard_of
from migrator.formats.checkpoint.state import state_details
from migrator.formats.checkpoint.v1 import read_v1
from migrator.formats.checkpoint.v2 import read_v2


def read_prefix(folder: Path, prefix: str, members: list[str], meta: str = "") -> Found:
    """Everything the files `members` of `folder` say about checkpoint `prefix`."""
    found = Found()
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
        root_kind=None,
    )
    meta = meta or prefix + ".meta"
    if meta in members:
        read_meta_into(found, folder / meta, meta)
    index = prefix + ".index"
    v2_data = sorted(m for m in members if (x := V2_DATA.match(m)) and x["prefix"] == prefix)
    v1_files = sorted(m for m in members if m == prefix or is_v1_shard_of(m, prefix))
    if index in members:
        read_v2(found, folder, prefix, v2_data)
    elif v1_files:
        read_v1(found, folder, prefix, v1_files)
    elif v2_data:
        d["checkpoint_format"] = "V2"
        d["data_shards_present"] = v2_data
        d["missing"] = [index]
        found.errors.append(
            f"{index} is missing, so the tensors in {', '.join(v2_data)} cannot be located; "
            "copy the .index file saved together with the .data shards"
        )
    if STATE_FILE in members:
        d["state"] = state_details(folder, prefix)
        found.evidence.append(f"CheckpointState text in '{STATE_FILE}'")
    return found
