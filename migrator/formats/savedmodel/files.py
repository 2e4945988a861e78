"""The files beside the proto: `variables/` (listed and stat'ed, never opened) and fingerprint.

Only the bundle header of `variables/variables.index` is read, for the number of data shards;
`variables.data-*` files are only stat'ed, so cost does not grow with weight size.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from migrator.formats import protos
from migrator.formats.savedmodel.names import FINGERPRINT, VARIABLES
from migrator.storage import entries

_DATA_SHARD = re.compile(r"^variables\.data-(\d{5})-of-(\d{5})$")


def variables_info(
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
    for entry in sorted(entries(vdir), key=lambda e: e.name):
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
        with index.open("rb") as fh:
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


def fingerprint_info(
    folder: Path, top: frozenset[str], errors: list[str], evidence: list[str]
) -> dict[str, Any] | None:
    """The fields of `fingerprint.pb` (TF >= 2.11), or None when the folder has none."""
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
