"""Which files make up a checkpoint, and which folders are SessionBundle exports.

A checkpoint is a group of files around a *prefix*, reported as one artifact named by it: V2
`<prefix>.index` + `<prefix>.data-NNNNN-of-NNNNN`; V1 `<prefix>` or `<prefix>-NNNNN-of-NNNNN`
(SSTables, recognised by their magic number); `<prefix>.meta`; and the folder's `checkpoint`
state file, which belongs to every checkpoint in it (alone, it is an artifact of its own).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from migrator.errors import ArtifactError
from migrator.formats.checkpoint.names import BUNDLE_META, STATE_FILE, V1_SHARD, V2_DATA
from migrator.formats.checkpoint.state import basename, parse_state
from migrator.formats.sstable import MAGIC

# First byte of a binary MetaGraphDef: the tag of one of its fields 1..7, length-delimited.
_META_FIRST_BYTES = frozenset({0x0A, 0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A})


def claim_dir(path: Path, names: frozenset[str]) -> bool:
    """A folder with `export.meta` is a SessionBundle export (one artifact)."""
    return BUNDLE_META in names


def claim_group(path: Path, names: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Checkpoints as groups named by their prefix; see this module's docstring for the layouts."""
    groups: dict[str, set[str]] = {}
    for name in names:
        if name.endswith(".index") and len(name) > 6:
            groups.setdefault(name[:-6], set()).add(name)
        elif match := V2_DATA.match(name):
            groups.setdefault(match["prefix"], set()).add(name)
    state_paths = _state_basenames(path, names)
    for name in sorted(names):
        if name in groups or V2_DATA.match(name) or name.endswith((".index", ".meta")):
            continue
        shard = V1_SHARD.match(name)
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
        with path.open("rb") as fh:
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
        with path.open("rb") as fh:
            head = fh.read(2)
    except OSError:
        return False
    return len(head) == 2 and head[0] in _META_FIRST_BYTES


def _state_basenames(path: Path, names: frozenset[str]) -> set[str]:
    """Base names the folder's `checkpoint` state file lists ({} when absent or not a state)."""
    if STATE_FILE not in names:
        return set()
    try:
        state = parse_state(path / STATE_FILE)
    except ArtifactError:
        return set()
    return {basename(p) for p in [state.model_checkpoint_path, *state.all_model_checkpoint_paths]}
