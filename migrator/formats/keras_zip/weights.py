"""The weights of a `.keras` model, described without reading a weight value.

Keras stores ``model.weights.h5`` or ``model.weights.npz`` (or a ``*.weights.json`` shard index
with ``<base>_00000.weights.h5`` shards). For a stored HDF5 member only its group structure is
read, through a bounded window onto the outer file. For ``.npz`` weights only the ``.npy``
headers of the nested archive are read (``ast.literal_eval`` of the header dict; never
``numpy.load``, never pickle), because every Keras npz store pickles one dict per layer and a
planted pickle runs when Keras loads it with ``allow_pickle=True``.
"""

from __future__ import annotations

import ast
import re
import struct
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from migrator.formats.keras_zip.container import (
    REMEDY_RESAVE,
    SHARD_INDEX_SUFFIX,
    WEIGHTS_H5,
    WEIGHTS_NPZ,
    Member,
    MemberError,
    Source,
    json_member,
)
from migrator.payload.pickles import disassemble, looks_like_pickle, npy_pickle

NPZ_MEMBERS_CAP = 100_000
NPZ_COMPRESSED_CAP = 64 * 1024 * 1024  # a deflated npz member is scanned only up to this size
NPY_HEADER_CAP = 65536
H5_DATASETS_CAP = 100_000
H5_GROUPS_LISTED = 50

# --- weights --------------------------------------------------------------------------------------


def weights_facts(
    source: Source, latest: Mapping[str, Member], errors: list[str]
) -> dict[str, Any]:
    """The ``weights`` detail: which member holds the weights, its size, shards and HDF5 layout.

    `latest` maps each name to its last central-directory entry (the one Keras reads).
    """
    out: dict[str, Any] = {
        "member": None,
        "format": None,
        "bytes": None,
        "compressed": None,
        "compressed_bytes": None,
        "sharded": False,
        "shards": [],
        "index": None,
    }
    for name, fmt in ((WEIGHTS_H5, "h5"), (WEIGHTS_NPZ, "npz")):
        member = latest.get(name)
        if member is None:
            continue
        out.update(
            member=name,
            format=fmt,
            bytes=member.size,
            compressed=member.method != zipfile.ZIP_STORED,
            compressed_bytes=member.compressed_size,
        )
        if fmt == "h5":
            out.update(_h5_layout(source, member))
        return out

    indexes = sorted(n for n in latest if n.endswith(SHARD_INDEX_SUFFIX) and "/" not in n)
    if indexes:
        index = indexes[0]
        out.update(index=index, sharded=True, format="h5")
        shard_names: list[str] = []
        loaded = json_member(source, latest[index], errors)
        weight_map = loaded.get("weight_map") if isinstance(loaded, Mapping) else None
        if isinstance(weight_map, Mapping):
            for value in weight_map.values():
                for shard in value if isinstance(value, list) else [value]:
                    if isinstance(shard, str) and shard not in shard_names:
                        shard_names.append(shard)
        elif loaded is not None:
            errors.append(f"{index} has no `weight_map` object; {REMEDY_RESAVE}")
        if not shard_names:  # fall back on the naming scheme <base>_NNNNN.weights.h5
            base = index[: -len(SHARD_INDEX_SUFFIX)]
            shard_names = sorted(
                n for n in latest if n.startswith(base + "_") and n.endswith(".weights.h5")
            )
        shards = []
        for shard in sorted(shard_names):
            member = latest.get(shard)
            shards.append({"member": shard, "bytes": member.size if member else None})
            if member is None:
                errors.append(
                    f"weights shard {shard} named in {index} is missing; Keras cannot load the "
                    "weights without it: copy the complete set of shards"
                )
        out["shards"] = shards
        out["bytes"] = sum(s["bytes"] or 0 for s in shards)
        out["member"] = index
        return out

    errors.append(
        f"weights member missing (no {WEIGHTS_H5}, {WEIGHTS_NPZ} or *{SHARD_INDEX_SUFFIX}): "
        f"Keras refuses to load it; {REMEDY_RESAVE}"
    )
    return out


def _h5_layout(source: Source, member: Member) -> dict[str, Any]:
    """Variables and parameter count of a weights HDF5, from its metadata only (never the data)."""
    if member.method != zipfile.ZIP_STORED:
        return {
            "layout_skipped": "weights member is compressed; reading its structure would read it"
        }
    window = source.window(member)
    if window is None:
        return {"layout_skipped": "weights member could not be located in the archive"}
    try:
        import h5py
    except ImportError:  # h5py is a core dependency; be explicit anyway
        return {"layout_skipped": "h5py is not installed"}
    variables = 0
    parameters = 0
    groups: set[str] = set()
    links: list[dict[str, str]] = []
    owners: set[str] = set()  # groups holding variables under the tf.keras 2.12-2.14 layout
    try:
        with window, h5py.File(window, "r") as h5:
            groups.update(str(k) for k in h5.keys())
            stack = [h5]
            while stack and variables < H5_DATASETS_CAP:
                group = stack.pop()
                for key in group:
                    link = group.get(key, getlink=True)
                    if isinstance(link, h5py.ExternalLink):
                        target = f"{link.filename}:{link.path}"
                        links.append(
                            {"path": f"{group.name.rstrip('/')}/{key}", "external": target}
                        )
                        continue
                    if isinstance(link, h5py.SoftLink):
                        links.append({"path": f"{group.name.rstrip('/')}/{key}", "soft": link.path})
                        continue
                    obj = group[key]
                    if isinstance(obj, h5py.Group):
                        stack.append(obj)
                    elif isinstance(obj, h5py.Dataset):
                        variables += 1
                        owner, _, leaf = group.name.strip("/").rpartition("/")
                        if leaf == "vars" and owner.startswith(LEGACY_LAYER_ROOT + "/"):
                            owners.add(owner)
                        count = 1
                        for dim in obj.shape or ():
                            count *= int(dim)
                        parameters += count
    except Exception as exc:  # malformed HDF5: a fact about the member, not a crash
        return {
            "layout_skipped": f"weights HDF5 structure unreadable ({type(exc).__name__}: {exc})"
        }
    layout: dict[str, Any] = {
        "variables": variables,
        "parameters": parameters,
        "groups": sorted(groups)[:H5_GROUPS_LISTED],
        "links": links[:H5_GROUPS_LISTED],
    }
    if owners:  # tf.keras 2.12-2.14's layout: how its walk numbered the layers
        layout["numbering"] = layer_numbering(owners)
    if variables >= H5_DATASETS_CAP:
        layout["truncated"] = True
    return {"layout": layout}


# tf.keras 2.12-2.14 kept each layer's weights under `_layer_checkpoint_dependencies/<name>/vars`.
LEGACY_LAYER_ROOT = "_layer_checkpoint_dependencies"
_NUMBERED = re.compile(r"(.*?)(?:_(\d+))?")


def layer_numbering(owners: Iterable[str]) -> str | None:
    """How the saving walk numbered a container's layers of one class, read from the names of
    the groups that hold variables (`owners`, HDF5 paths without the leading slash).

    tf.keras 2.12 and 2.13 count a layer with weights twice (`_layer_checkpoint_dependencies`
    lists it as `layer_with_weights-i` and `layer-j`), so such layers of one class are `dense`,
    `dense_2`, `dense_4`: "gapped". tf.keras 2.14 and every later walk skip a layer already
    visited: `dense`, `dense_1`: "compact" (knowledge.loaders.V3_WEIGHTS_COMPACT_NUMBERING_SINCE).
    None when the names do not tell (at most one layer with weights per class and container,
    which both numberings name alike) or contradict each other.
    """
    numbers: dict[tuple[str, str], set[int]] = {}
    for owner in owners:
        parent, _, leaf = owner.rpartition("/")
        match = _NUMBERED.fullmatch(leaf)
        base, number = (match.group(1), int(match.group(2) or 0)) if match else (leaf, 0)
        numbers.setdefault((parent, base), set()).add(number)
    seen = set()
    for found in numbers.values():
        if 1 in found:
            seen.add("compact")
        elif any(n >= 2 for n in found):
            seen.add("gapped")
    return seen.pop() if len(seen) == 1 else None


# --- npz weights: .npy headers only ----------------------------------------------------------------


def npz_facts(
    source: Source, members: Sequence[Member]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Object (pickled) arrays and oddities in every ``*.npz`` weights member, duplicates included."""
    arrays: list[dict[str, Any]] = []
    issues: list[dict[str, Any]] = []
    npz = [
        m
        for m in members
        if m.name == WEIGHTS_NPZ or (m.name.endswith(".npz") and "/" not in m.name)
    ]
    for entry, member in enumerate(npz, start=1):
        label = f"{member.name}#{entry}" if len(npz) > 1 else member.name
        _inspect_npz(source, member, label, arrays, issues)
    return arrays, issues


def _inspect_npz(
    source: Source,
    member: Member,
    label: str,
    arrays: list[dict[str, Any]],
    issues: list[dict[str, Any]],
) -> None:
    def issue(inner: str | None, problem: str) -> None:
        issues.append({"entry": label, "member": inner, "problem": problem})

    handle: Any = source.window(member)
    if handle is None:
        if member.size > NPZ_COMPRESSED_CAP:
            issue(None, f"compressed npz member over {NPZ_COMPRESSED_CAP} bytes: not inspected")
            return
        try:
            handle = source.open_compressed(member)
        except Exception as exc:
            issue(None, f"cannot be opened ({type(exc).__name__}: {exc})")
            return
    with handle:
        try:
            head = handle.read(16)
            handle.seek(0)
        except Exception as exc:
            issue(None, f"cannot be read ({type(exc).__name__}: {exc})")
            return
        try:
            nested = zipfile.ZipFile(handle)  # type: ignore[arg-type]
        except Exception as exc:
            issue(None, f"not a zip archive: {_describe_bytes(head)} ({exc})")
            if looks_like_pickle(head):  # named from its opcodes, never unpickled
                handle.seek(0)
                issues[-1]["pickle"] = disassemble(handle).as_dict()
            return
        for count, info in enumerate(nested.infolist()):
            if count >= NPZ_MEMBERS_CAP:
                issue(None, f"more than {NPZ_MEMBERS_CAP} members: the rest not inspected")
                break
            if not info.filename.endswith(".npy"):
                issue(info.filename, "not a .npy array")
                continue
            try:
                header = _npy_header(nested, info)
            except MemberError as exc:
                issue(info.filename, str(exc))
                continue
            descr = header.get("descr")
            if _is_object_dtype(descr):
                shape = header.get("shape")
                arrays.append(
                    {
                        "entry": label,
                        "array": info.filename[: -len(".npy")],
                        "dtype": descr if isinstance(descr, str) else repr(descr),
                        "shape": list(shape) if isinstance(shape, tuple) else shape,
                        "pickle": npy_pickle(nested, info).as_dict(),
                    }
                )


def _describe_bytes(head: bytes) -> str:
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return f"starts like a pickle, protocol {head[1]}"
    return f"first bytes {head[:8]!r}"


def _npy_header(nested: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, Any]:
    """The header dict of one ``.npy`` member: magic, version, length, then a Python dict literal."""
    try:
        with nested.open(info) as fh:
            magic = fh.read(8)
            if len(magic) < 8 or magic[:6] != b"\x93NUMPY":
                raise MemberError(f"no .npy magic (first bytes {magic[:8]!r})")
            major = magic[6]
            if major == 1:
                (length,) = struct.unpack("<H", fh.read(2))
            elif major in (2, 3):
                (length,) = struct.unpack("<I", fh.read(4))
            else:
                raise MemberError(f"unknown .npy format version {major}.{magic[7]}")
            if length > NPY_HEADER_CAP:
                raise MemberError(
                    f".npy header of {length} bytes (over {NPY_HEADER_CAP}): not parsed"
                )
            text = fh.read(length)
    except MemberError:
        raise
    except Exception as exc:  # truncated/corrupt nested member
        raise MemberError(f"header unreadable ({type(exc).__name__}: {exc})") from exc
    try:
        header = ast.literal_eval(text.decode("utf-8" if major == 3 else "latin-1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError) as exc:
        raise MemberError(f".npy header is not a literal dict ({type(exc).__name__})") from exc
    if not isinstance(header, dict):
        raise MemberError(".npy header is not a dict")
    return header


def _is_object_dtype(descr: Any) -> bool:
    """True for object dtypes (``|O``, ``O8``), also inside structured (list) descriptions."""
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        return any(
            isinstance(field, tuple) and len(field) >= 2 and _is_object_dtype(field[1])
            for field in descr
        )
    return False
