"""Reader for the Keras v3 format (`keras-v3`): `.keras` zip archives and their unzipped folders.

What the writers produce (checked in keras-team/keras `keras/src/saving/saving_lib.py`, tf.keras
2.12/2.15 `keras/(src/)saving/saving_lib.py`, and by saving models with tf.keras 2.15.1 and
Keras 3.15.1):

- a zip (``zipfile.ZipFile(f, "w")``: every member stored, no compression) holding
  ``metadata.json`` (``{"keras_version": ..., "date_saved": "%Y-%m-%d@%H:%M:%S"}``, written by
  every writer since tf.keras 2.12), ``config.json`` (the serialized model, with
  ``compile_config`` inside it), ``model.weights.h5`` or ``model.weights.npz``, and ``assets/...``
  when a layer saved assets;
- Keras 3.x ``model.save(path, zipped=False)`` and Hugging Face uploads: the same files in a folder;
- ``save_weights("x.weights.json", max_shard_size=...)`` (recent Keras 3; 3.15.1 checked) writes a
  ``*.weights.json`` index (``{"metadata": {"total_size"}, "weight_map": {path: [shard]}}``) plus
  ``<base>_00000.weights.h5`` shards. Keras never puts shards in a ``.keras`` archive itself, but a
  folder or archive that carries them is read the same way (index + shards = the weights).

Only the central directory and the small JSON members are read (each capped at 64 MB); the weights
member is never read or extracted. For ``.npz`` weights only the ``.npy`` headers of the nested
archive are read (``ast.literal_eval`` of the header dict; never ``numpy.load``, never pickle).
For a stored ``model.weights.h5`` the HDF5 group structure is read through a bounded window onto
the outer file (metadata only, never dataset contents).

``details`` keys:

- ``container``: "zip" or "folder"; ``extension`` (lower-cased suffix, "" if none) and
  ``extension_matches`` (".keras" for a zip; no suffix for a folder)
- ``keras_version``, ``date_saved``: verbatim from metadata.json (None if absent)
- ``metadata``: metadata.json's scalar values, verbatim (strings capped at 200 characters)
- ``saved_by``: "tf.keras" (the Keras 2 line: tf.keras 2.12-2.15, tf_keras), "keras3", or None;
  ``saved_by_evidence``: which bytes decided it
- everything ``keras_config.summarize`` gives (model_class, name, layer_count, layers,
  layer_classes, nested_models, modules, registered_names), with ``lambda_layers`` replaced by
  ``keras_config.lambda_layers`` (dicts: path, class_name, function_type, module, marshalled...)
- ``lambda_entries``: config paths of every ``__lambda__`` (Keras 3 bytecode) entry anywhere in
  config.json, including ``compile_config`` and custom layer arguments
- ``custom_objects``: serialized entries Keras cannot build from its own modules (module outside
  keras/keras_hub/keras_cv/keras_nlp, or no module but a registered name): path, class_name,
  module, registered_name
- ``compiled`` (config.json has a non-empty ``compile_config``), ``optimizer`` (class name or
  string as recorded), ``loss`` (names as recorded)
- ``config_issues_for_keras3``: what Keras 3 rejects in this config (see
  ``keras3_config_issues``): path, class_name, issue, detail, rejected_by
- ``weights``: ``member`` (name, or None when missing), ``format`` ("h5"/"npz"/None), ``bytes``,
  ``compressed`` (member not stored), ``compressed_bytes``, ``sharded``, ``shards``
  ([{member, bytes}]), ``index`` (the shard index member), ``layout`` (HDF5 structure when read:
  variables, parameters, top-level groups, ``links``: soft and external links, never followed;
  ``truncated`` past 100,000 datasets) or ``layout_skipped`` (why not)
- ``assets``: member names under ``assets/``
- ``members``: [{name, bytes, compressed_bytes, method}] (first 200), ``member_count``
- ``duplicate_members``: names the central directory lists more than once (zipfile and Keras use
  the LAST one; scanners that read the first are fooled)
- ``unsafe_members``: [{name, reason}]: absolute paths, drive letters, ``..`` components,
  backslashes, NUL bytes, symlink entries (Keras extracts the whole archive to load assets)
- ``npz_object_arrays``: [{entry, array, dtype, shape}] for ``.npz`` weights: arrays whose dtype
  is object (``|O``): pickles. Every Keras npz store pickles one dict per layer; tf.keras 2.15
  and Keras 3.3.3 load it with ``numpy.load(allow_pickle=True)`` (so a planted pickle runs),
  Keras 3.15.1 with ``allow_pickle=False`` (so it cannot load npz weights at all). ``entry``
  numbers duplicate weights members in central-directory order.
- ``npz_issues``: [{entry, member, problem}]: nested members that are not ``.npy`` arrays, npz
  members that are not zip archives (e.g. a bare pickle), unreadable headers

``producer``: ``keras_version`` and every other ``*_version`` string metadata.json records
(e.g. ``keras_hub_version``), verbatim.
``raw``: ``model_config`` (config.json), ``metadata`` (metadata.json), ``compile_config``.
"""

from __future__ import annotations

import ast
import io
import json
import os
import stat
import struct
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from migrator.errors import ArtifactError
from migrator.formats import keras_config, register
from migrator.knowledge import versions
from migrator.knowledge.keras3 import (
    KERAS2_ENGINE_MODULES,
    KERAS2_LAMBDA_KEYS,
    KERAS2_ONLY_OPTIMIZER_ARGS,
    KERAS_PACKAGES,
    MISSING_LAYERS,
    REJECTED_LAYER_ARGS,
)
from migrator.model import Candidate, Reading

register(__name__, formats=("keras-v3",), order=30)

FORMAT = "keras-v3"

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS_H5 = "model.weights.h5"
WEIGHTS_NPZ = "model.weights.npz"
SHARD_INDEX_SUFFIX = ".weights.json"
ASSETS_PREFIX = "assets/"

JSON_CAP = 64 * 1024 * 1024  # config.json / metadata.json / shard index larger than this: not read
CENTRAL_DIRECTORY_CAP = 64 * 1024 * 1024
MEMBERS_LISTED = 200
NPZ_MEMBERS_CAP = 100_000
NPZ_COMPRESSED_CAP = 64 * 1024 * 1024  # a deflated npz member is scanned only up to this size
NPY_HEADER_CAP = 65536
H5_DATASETS_CAP = 100_000
H5_GROUPS_LISTED = 50

_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_METHODS = {0: "stored", 8: "deflated", 12: "bzip2", 14: "lzma"}
_REMEDY_RESAVE = "re-save it with model.save('model.keras'); the source file was not changed"


# --- claiming -------------------------------------------------------------------------------------


def claim_file(path: Path, head: bytes) -> bool:
    """A zip whose central directory holds Keras members, whatever its name; any zip named .keras.

    Ours when the archive's root holds ``metadata.json``, or ``config.json`` next to a Keras weights
    member. A zip named ``.keras`` is ours even when it is broken or holds nothing Keras wrote, so
    the user gets a keras-v3 error instead of "unknown format".
    """
    if not head.startswith((_ZIP_LOCAL, _ZIP_EMPTY)):
        return False
    named_keras = path.suffix.lower() == ".keras"
    try:
        with open(path, "rb") as fh:
            names = {info.filename for info in _open_zip(path, fh).infolist()}
    except ArtifactError:
        return named_keras
    return _keras_names(names) or named_keras


def claim_dir(path: Path, names: frozenset[str]) -> bool:
    """The unzipped form Keras 3 writes (``zipped=False``, Hugging Face uploads, KerasHub presets).

    ``config.json`` + ``metadata.json`` + weights (``model.weights.h5``/``.npz`` or a
    ``*.weights.json`` shard index): a folder with all three is one artifact.
    """
    if CONFIG not in names or METADATA not in names:
        return False
    return bool({WEIGHTS_H5, WEIGHTS_NPZ} & names) or any(
        n.endswith(SHARD_INDEX_SUFFIX) for n in names
    )


def _keras_names(names: set[str]) -> bool:
    if METADATA in names:
        return True
    weights = {WEIGHTS_H5, WEIGHTS_NPZ} & names or any(
        n.endswith(SHARD_INDEX_SUFFIX) and "/" not in n for n in names
    )
    return CONFIG in names and bool(weights)


# --- the two containers: one interface -----------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    """One entry of the archive's central directory (or one file of the folder)."""

    name: str
    size: int
    compressed_size: int
    method: int  # zip compression method; 0 (stored) for folder files
    symlink: bool = False
    info: zipfile.ZipInfo | None = None


class _Zip:
    """A `.keras` archive: central directory entries and bounded reads of chosen members."""

    container = "zip"

    def __init__(self, path: Path, fh: BinaryIO) -> None:
        self.path = path
        self.fh = fh
        self.zf = _open_zip(path, fh)
        self.members = [
            _Member(
                i.filename,
                i.file_size,
                i.compress_size,
                i.compress_type,
                symlink=stat.S_ISLNK(i.external_attr >> 16),
                info=i,
            )
            for i in self.zf.infolist()
        ]

    def read_small(self, member: _Member, cap: int = JSON_CAP) -> bytes:
        assert member.info is not None
        if member.info.flag_bits & 0x1:
            raise _MemberError(f"{member.name} is encrypted")
        if member.size > cap:
            raise _MemberError(f"{member.name} is {member.size} bytes, over the {cap} byte cap")
        try:
            with self.zf.open(member.info) as fh:
                data = fh.read(cap + 1)
        except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
            raise _MemberError(f"{member.name} cannot be read ({exc})") from exc
        except Exception as exc:  # zlib.error, lzma.LZMAError...: corrupt compressed data
            raise _MemberError(
                f"{member.name} cannot be read ({type(exc).__name__}: {exc})"
            ) from exc
        if len(data) > cap:
            raise _MemberError(f"{member.name} is over the {cap} byte cap")
        return data

    def window(self, member: _Member) -> io.RawIOBase | None:
        """The stored bytes of `member` as a seekable file, or None when it is compressed."""
        assert member.info is not None
        if member.method != zipfile.ZIP_STORED or member.info.flag_bits & 0x1:
            return None
        start = _data_offset(self.fh, member.info)
        if start is None:
            return None
        return _Window(self.fh, start, member.compressed_size)

    def open_compressed(self, member: _Member) -> BinaryIO:
        assert member.info is not None
        return self.zf.open(member.info)  # type: ignore[return-value]


class _Folder:
    """The unzipped form: files under a folder, read the same way as archive members."""

    container = "folder"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.members: list[_Member] = []
        self.escaping: list[dict[str, str]] = []
        root = path.resolve()
        for dirpath, dirnames, filenames in os.walk(path):  # symlinked folders are not entered
            dirnames.sort()
            here = Path(dirpath)
            links = [d for d in dirnames if (here / d).is_symlink()]
            for fname in sorted(filenames + links):
                full = here / fname
                rel = full.relative_to(path).as_posix()
                link = full.is_symlink()
                if link:
                    target = full.resolve()
                    if target != root and root not in target.parents:
                        self.escaping.append(
                            {
                                "name": rel,
                                "reason": f"symlink to {os.readlink(full)} outside the folder",
                            }
                        )
                try:
                    size = full.stat().st_size if not full.is_dir() else 0
                except OSError:
                    size = 0
                self.members.append(_Member(rel, size, size, 0, symlink=link))

    def read_small(self, member: _Member, cap: int = JSON_CAP) -> bytes:
        try:
            with open(self.path / member.name, "rb") as fh:
                data = fh.read(cap + 1)
        except OSError as exc:
            raise _MemberError(f"{member.name} cannot be read ({exc.strerror or exc})") from exc
        if len(data) > cap:
            raise _MemberError(f"{member.name} is over the {cap} byte cap")
        return data

    def window(self, member: _Member) -> BinaryIO | None:
        try:
            return open(self.path / member.name, "rb")
        except OSError:
            return None

    def open_compressed(self, member: _Member) -> BinaryIO:
        return open(self.path / member.name, "rb")


_Source = _Zip | _Folder


class _MemberError(Exception):
    """A member could not be read; becomes one error line on the reading."""


class _Window(io.RawIOBase):
    """A read-only, seekable view of bytes [start, start+size) of an open file."""

    def __init__(self, fh: BinaryIO, start: int, size: int) -> None:
        super().__init__()
        self._fh = fh
        self._start = start
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = max(0, min(len(view), self._size - self._pos))
        if count == 0:
            return 0
        self._fh.seek(self._start + self._pos)
        got = self._fh.readinto(view[:count])  # type: ignore[attr-defined]
        got = got or 0
        self._pos += got
        return got


def _open_zip(path: Path, fh: BinaryIO) -> zipfile.ZipFile:
    """Open the central directory only, refusing absurd ones; every failure is an ArtifactError."""
    try:
        size = _central_directory_size(fh)
    except (OSError, struct.error) as exc:
        raise _artifact_error(
            path, f"cannot read the zip directory ({exc})", _REMEDY_RESAVE
        ) from exc
    if size is not None and size > CENTRAL_DIRECTORY_CAP:
        raise _artifact_error(
            path,
            f"zip central directory is {size} bytes (over {CENTRAL_DIRECTORY_CAP}); "
            "not a plausible Keras archive",
            "check where the file came from",
        )
    try:
        fh.seek(0)
        return zipfile.ZipFile(fh)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        ValueError,
        struct.error,
        NotImplementedError,
        OSError,
    ) as exc:
        raise _artifact_error(
            path,
            f"truncated or corrupt zip archive ({exc})",
            "re-download or re-save the model; the source file was not changed",
        ) from exc


def _central_directory_size(fh: BinaryIO) -> int | None:
    """Size the end-of-central-directory record declares (zip64 aware), or None if not found."""
    fh.seek(0, io.SEEK_END)
    end = fh.tell()
    tail_len = min(end, 22 + 65535)
    fh.seek(end - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        return None
    cd_size = struct.unpack("<I", tail[at + 12 : at + 16])[0]
    if cd_size == 0xFFFFFFFF and at >= 20 and tail[at - 20 : at - 16] == _ZIP64_LOCATOR:
        (z64_offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        if z64_offset + 56 <= end:
            fh.seek(z64_offset)
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06":
                cd_size = struct.unpack("<Q", record[40:48])[0]
    return cd_size


def _data_offset(fh: BinaryIO, info: zipfile.ZipInfo) -> int | None:
    """Where a member's data starts: after its local header (name and extra field lengths there)."""
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) < 30 or header[:4] != _ZIP_LOCAL:
        return None
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _artifact_error(path: Path | str, problem: str, remedy: str = "") -> ArtifactError:
    exc = ArtifactError(path, problem, remedy)
    exc.format = FORMAT  # type: ignore[attr-defined]
    return exc


# --- reading --------------------------------------------------------------------------------------


def read(candidate: Candidate) -> Reading:
    path = candidate.location
    if path.is_dir():
        return _read_source(_Folder(path), path)
    with open(path, "rb") as fh:
        return _read_source(_Zip(path, fh), path)


def _read_source(source: _Source, path: Path) -> Reading:
    errors: list[str] = []
    latest = {m.name: m for m in source.members}  # the last entry wins, as in zipfile and Keras
    details, evidence = _container_facts(source, path, latest)

    metadata = _read_object(source, latest.get(METADATA), METADATA, errors)
    if METADATA not in latest:
        errors.append(
            f"{METADATA} missing: every Keras writer since tf.keras 2.12 stores it, so the "
            f"producing Keras version is unknown; {_REMEDY_RESAVE}"
        )
    metadata = metadata or {}
    producer = {k: v for k, v in metadata.items() if k.endswith("_version") and isinstance(v, str)}
    keras_version = producer.get("keras_version")
    if keras_version:
        evidence.append(f"{METADATA} keras_version={keras_version!r}")
    date_saved = metadata.get("date_saved")
    details["keras_version"] = keras_version
    details["date_saved"] = date_saved if isinstance(date_saved, str) else None
    details["metadata"] = {
        k: (v[:200] if isinstance(v, str) else v)
        for k, v in metadata.items()
        if isinstance(v, (str, int, float, bool)) or v is None
    }

    model_config = _read_object(source, latest.get(CONFIG), CONFIG, errors)
    if CONFIG not in latest:
        errors.append(
            f"{CONFIG} missing: Keras cannot rebuild the model without it; {_REMEDY_RESAVE}"
        )
    if model_config is not None and isinstance(model_config.get("class_name"), str):
        evidence.append(f"{CONFIG} class_name={model_config['class_name']!r}")
    details["saved_by"], details["saved_by_evidence"] = _saved_by(keras_version, model_config)
    details.update(_config_details(model_config))

    details["weights"] = _weights(source, latest, errors)
    details.update(_member_details(source))

    compile_config = model_config.get("compile_config") if model_config else None
    return Reading(
        FORMAT,
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={"model_config": model_config, "metadata": metadata, "compile_config": compile_config},
    )


def _container_facts(
    source: _Source, path: Path, latest: Mapping[str, _Member]
) -> tuple[dict[str, Any], list[str]]:
    """Zip or folder, extension, and the evidence lines; refuses archives with no Keras members."""
    names = list(latest)
    found = [n for n in (METADATA, CONFIG, WEIGHTS_H5, WEIGHTS_NPZ) if n in latest]
    details: dict[str, Any] = {"container": source.container}
    if isinstance(source, _Folder):
        details["extension"] = path.suffix.lower()
        details["extension_matches"] = path.suffix == ""
        return details, ["folder holds " + ", ".join(found)]
    if not names:
        raise _artifact_error(
            path, "empty zip archive (no members): nothing Keras wrote", _REMEDY_RESAVE
        )
    if not _keras_names(set(names)) and CONFIG not in latest:
        raise _artifact_error(path, _not_keras_problem(names), _not_keras_remedy(names))
    source.fh.seek(0)
    evidence = [
        f"zip signature {source.fh.read(4)!r} at offset 0",
        "central directory lists " + ", ".join(found),
    ]
    suffix = path.suffix.lower()
    details["extension"] = suffix
    details["extension_matches"] = suffix == ".keras"
    if suffix != ".keras":
        evidence.append(
            f"named {suffix or '(no extension)'} but the bytes are a Keras zip archive (.keras)"
        )
    return details, evidence


def _read_object(
    source: _Source, member: _Member | None, name: str, errors: list[str]
) -> dict[str, Any] | None:
    """A small JSON member that must hold an object; None (with an error line) otherwise."""
    if member is None:
        return None
    loaded = _json_member(source, member, errors)
    if loaded is None:
        return None
    if not isinstance(loaded, dict):
        errors.append(
            f"{name} is not a JSON object (got {type(loaded).__name__}); {_REMEDY_RESAVE}"
        )
        return None
    return loaded


def _config_details(model_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every config fact, with empty values when config.json is missing or unreadable."""
    if model_config is None:
        return {
            **keras_config.summarize({}),
            "model_class": None,
            "lambda_layers": [],
            "lambda_entries": [],
            "custom_objects": [],
            "config_issues_for_keras3": [],
            **_compile_facts(None),
        }
    return {
        **keras_config.summarize(model_config),
        "lambda_layers": keras_config.lambda_layers(model_config),
        "lambda_entries": lambda_entries(model_config),
        "custom_objects": custom_objects(model_config),
        "config_issues_for_keras3": keras3_config_issues(model_config),
        **_compile_facts(model_config.get("compile_config")),
    }


def _member_details(source: _Source) -> dict[str, Any]:
    """Member list, assets, duplicates, names unsafe to extract, and pickles in npz weights."""
    members = source.members
    counts = Counter(m.name for m in members)
    unsafe = [u for m in members if (u := _unsafe(m)) is not None]
    if isinstance(source, _Folder):
        unsafe.extend(source.escaping)
    npz_arrays, npz_issues = _npz_facts(source, members)
    return {
        "assets": sorted(n for n in counts if n.startswith(ASSETS_PREFIX) and not n.endswith("/")),
        "members": [
            {
                "name": m.name,
                "bytes": m.size,
                "compressed_bytes": m.compressed_size,
                "method": _METHODS.get(m.method, f"method {m.method}"),
            }
            for m in members[:MEMBERS_LISTED]
        ],
        "member_count": len(members),
        "duplicate_members": sorted(n for n, c in counts.items() if c > 1),
        "unsafe_members": unsafe,
        "npz_object_arrays": npz_arrays,
        "npz_issues": npz_issues,
    }


def _not_keras_problem(names: Sequence[str]) -> str:
    shown = ", ".join(names[:5]) + (f", ... ({len(names)} members)" if len(names) > 5 else "")
    return f"zip archive without Keras members (no {CONFIG} or {METADATA}); it holds {shown}"


def _not_keras_remedy(names: Sequence[str]) -> str:
    if any(PurePosixPath(n).name in ("saved_model.pb", "saved_model.pbtxt") for n in names):
        return "it looks like a zipped SavedModel: unzip it and audit the folder"
    nested = sorted(
        {str(PurePosixPath(n).parent) for n in names if PurePosixPath(n).name == CONFIG}
    )
    if nested:
        return (
            f"the Keras files sit in the folder {nested[0]}/ but Keras reads them only at the "
            "archive root: zip the folder's contents, not the folder"
        )
    return "this is not a Keras model; save one with model.save('model.keras')"


def _json_member(source: _Source, member: _Member, errors: list[str]) -> Any:
    try:
        data = source.read_small(member)
    except _MemberError as exc:
        errors.append(f"{exc}; {_REMEDY_RESAVE}")
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        errors.append(
            f"{member.name} is not UTF-8 text ({exc.reason} at byte {exc.start}); {_REMEDY_RESAVE}"
        )
    except json.JSONDecodeError as exc:
        errors.append(
            f"{member.name} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            f"{_REMEDY_RESAVE}"
        )
    except RecursionError:
        errors.append(f"{member.name} nests JSON too deeply to parse; {_REMEDY_RESAVE}")
    return None


def _saved_by(
    keras_version: str | None, model_config: Mapping[str, Any] | None
) -> tuple[str | None, str | None]:
    """Keras 2 line (tf.keras / tf_keras) or Keras 3, from metadata first, else from the config."""
    major = versions.major(keras_version)
    if major == 2:
        return "tf.keras", f"{METADATA} keras_version={keras_version!r} (Keras 2 line)"
    if major is not None and major >= 3:
        return "keras3", f"{METADATA} keras_version={keras_version!r}"
    if model_config is None:
        return None, None
    for path, entry in _entries(model_config):
        module = entry.get("module")
        if isinstance(module, str) and module.startswith(KERAS2_ENGINE_MODULES):
            return "tf.keras", f"{CONFIG} module {module!r} at {path or '(model)'} (tf.keras only)"
    for path, entry in _entries(model_config):
        config = entry.get("config")
        if (
            entry.get("class_name") == "InputLayer"
            and isinstance(config, Mapping)
            and ("batch_shape" in config)
        ):
            return "keras3", f"{CONFIG} InputLayer `batch_shape` at {path} (Keras 3 only)"
        if entry.get("class_name") in ("DTypePolicy", "__lambda__"):
            return "keras3", f"{CONFIG} {entry['class_name']} entry at {path} (Keras 3 only)"
        module = entry.get("module")
        if isinstance(module, str) and module.startswith("keras.src.models"):
            return "keras3", f"{CONFIG} module {module!r} at {path or '(model)'} (Keras 3 only)"
    return None, None


def _compile_facts(compile_config: Any) -> dict[str, Any]:
    if not isinstance(compile_config, Mapping) or not compile_config:
        return {"compiled": False, "optimizer": None, "loss": None}
    return {
        "compiled": True,
        "optimizer": _object_name(compile_config.get("optimizer")),
        "loss": _object_name(compile_config.get("loss")),
    }


def _object_name(value: Any) -> Any:
    """How a serialized object is named: a string as is, an entry by class_name, lists/dicts mapped."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if isinstance(value.get("class_name"), str):
            inner = value.get("config")
            if value["class_name"] == "function" and isinstance(inner, str):
                return inner
            return value["class_name"]
        return {str(k): _object_name(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_object_name(v) for v in value]
    return repr(value)


# --- config facts ---------------------------------------------------------------------------------


def _entries(value: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every serialized object (a dict with a string ``class_name``) anywhere in a JSON tree.

    Paths join dict keys and list indexes with "/" (``config/layers/3/config/function``), so a
    finding can point at the exact spot, including compile_config and custom layer arguments.
    """
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, Mapping):
            if isinstance(node.get("class_name"), str):
                yield here, node
            for key in reversed(list(node)):
                stack.append((f"{here}/{key}" if here else str(key), node[key]))
        elif isinstance(node, list):
            for index in range(len(node) - 1, -1, -1):
                stack.append((f"{here}/{index}" if here else str(index), node[index]))


def lambda_entries(model_config: Mapping[str, Any]) -> list[str]:
    """Paths of every Keras 3 ``__lambda__`` entry (marshalled Python bytecode) in the config."""
    return [p for p, e in _entries(model_config) if e.get("class_name") == "__lambda__"]


def custom_objects(model_config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Serialized objects Keras cannot build from its own modules: custom code needed to load.

    An entry counts when its ``module`` is outside keras/keras_hub/keras_cv/keras_nlp (Keras 3
    only imports modules of those packages; anything else must be registered), or when it has no
    module but a ``registered_name`` (how tf.keras 2.13+ records registered custom classes).
    """
    out = []
    for path, entry in _entries(model_config):
        cls = entry["class_name"]
        if cls.startswith("__") or not ("module" in entry or "registered_name" in entry):
            continue
        module = entry.get("module")
        registered = entry.get("registered_name")
        if isinstance(module, str):
            custom = module.split(".", 1)[0] not in KERAS_PACKAGES | {"builtins"}
        else:
            custom = isinstance(registered, str) and bool(registered)
        if custom:
            out.append(
                {
                    "path": path or "(model)",
                    "class_name": cls,
                    "module": module if isinstance(module, str) else None,
                    "registered_name": registered if isinstance(registered, str) else None,
                }
            )
    return out


def keras3_config_issues(model_config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Facts in a config that make Keras 3 refuse to load it (tf.keras 2.13-2.15 `.keras` files).

    Each item: ``path`` (layer path, or a compile_config path), ``class_name``, ``issue`` (short
    id), ``detail`` and ``rejected_by`` ("keras>=3.0", or "keras 3.0.x" for InputLayer
    ``batch_input_shape``, which Keras accepts again from 3.1). Verified by loading tf.keras 2.15.1
    configs in Keras 3.3.3 and 3.15.1:

    - ``engine-module``: ``module`` ``keras.src.engine.*`` / ``keras.engine.*`` (tf.keras 2.12-2.15
      ``Functional``): "parent module ... cannot be imported"
    - ``batch_input_shape`` on any layer but InputLayer ("Unrecognized keyword arguments passed to
      Dense"), and on InputLayer for Keras 3.0.x
    - ``groups`` on depthwise/separable/transposed convolutions; ``kernel_*`` on SeparableConv;
      ``time_major`` on RNN layers; ``trainable`` on SpatialDropout/Discretization;
      ``query_shape``/``key_shape``/``value_shape`` on MultiHeadAttention (``unrecognized-arg``)
    - ``policy-dtype``: a ``Policy`` dtype object (``keras.mixed_precision``): AttributeError
    - ``keras2-lambda``: a Lambda with ``function_type``/``module`` keys (marshalled tf.keras form)
    - ``missing-layer``: classes Keras 3 removed (LocallyConnected2D, ThresholdedReLU, ...)
    - ``optimizer-args``: compile_config optimizer with ``is_legacy_optimizer``/``jit_compile``;
      ``loss-args``: loss objects with ``fn`` or ``reduction: "auto"`` (load with compile=False)
    """
    issues: list[dict[str, Any]] = []

    def add(path: str, cls: Any, issue: str, detail: str, rejected_by: str = "keras>=3.0") -> None:
        issues.append(
            {
                "path": path or "(model)",
                "class_name": cls if isinstance(cls, str) else None,
                "issue": issue,
                "detail": detail,
                "rejected_by": rejected_by,
            }
        )

    layers = [("", model_config), *keras_config.iter_layers(model_config)]
    for path, entry in layers:
        cls = entry.get("class_name")
        module = entry.get("module")
        if isinstance(module, str) and module.startswith(KERAS2_ENGINE_MODULES):
            add(path, cls, "engine-module", f"module {module!r} does not exist in Keras 3")
        if path and cls in MISSING_LAYERS:
            add(path, cls, "missing-layer", f"layer class {cls} was removed in Keras 3")
        config = entry.get("config")
        if not isinstance(config, Mapping):
            continue
        if "batch_input_shape" in config:
            if cls == "InputLayer":
                add(
                    path,
                    cls,
                    "batch_input_shape",
                    "InputLayer `batch_input_shape` (Keras 3.1+ maps it to `batch_shape`)",
                    "keras 3.0.x",
                )
            else:
                add(path, cls, "batch_input_shape", f"{cls} does not accept `batch_input_shape`")
        for key, classes in REJECTED_LAYER_ARGS.items():
            if cls in classes and key in config:
                add(path, cls, "unrecognized-arg", f"{cls} does not accept `{key}`")
        dtype = config.get("dtype")
        if isinstance(dtype, Mapping) and dtype.get("class_name") == "Policy":
            add(path, cls, "policy-dtype", "dtype is a tf.keras mixed-precision `Policy` object")
        if cls == "Lambda":
            keys = [k for k in KERAS2_LAMBDA_KEYS if k in config]
            if keys:
                add(path, cls, "keras2-lambda", "Lambda config keys " + ", ".join(keys))

    compile_config = model_config.get("compile_config")
    if isinstance(compile_config, Mapping):
        optimizer = compile_config.get("optimizer")
        if isinstance(optimizer, Mapping) and isinstance(optimizer.get("config"), Mapping):
            keys = [k for k in sorted(KERAS2_ONLY_OPTIMIZER_ARGS) if k in optimizer["config"]]
            if keys:
                add(
                    "compile_config/optimizer",
                    optimizer.get("class_name"),
                    "optimizer-args",
                    "optimizer config keys " + ", ".join(keys),
                )
        for path, entry in _entries(compile_config.get("loss"), "compile_config/loss"):
            config = entry.get("config")
            if not isinstance(config, Mapping):
                continue
            keys = [k for k in ("fn",) if k in config]
            if config.get("reduction") == "auto":
                keys.append("reduction='auto'")
            if keys:
                add(path, entry["class_name"], "loss-args", "loss config " + ", ".join(keys))
    return issues


# --- weights --------------------------------------------------------------------------------------


def _weights(source: _Source, latest: Mapping[str, _Member], errors: list[str]) -> dict[str, Any]:
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
        loaded = _json_member(source, latest[index], errors)
        weight_map = loaded.get("weight_map") if isinstance(loaded, Mapping) else None
        if isinstance(weight_map, Mapping):
            for value in weight_map.values():
                for shard in value if isinstance(value, list) else [value]:
                    if isinstance(shard, str) and shard not in shard_names:
                        shard_names.append(shard)
        elif loaded is not None:
            errors.append(f"{index} has no `weight_map` object; {_REMEDY_RESAVE}")
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
        f"Keras refuses to load it; {_REMEDY_RESAVE}"
    )
    return out


def _h5_layout(source: _Source, member: _Member) -> dict[str, Any]:
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
    if variables >= H5_DATASETS_CAP:
        layout["truncated"] = True
    return {"layout": layout}


# --- npz weights: .npy headers only ----------------------------------------------------------------


def _npz_facts(
    source: _Source, members: Sequence[_Member]
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
    source: _Source,
    member: _Member,
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
            except _MemberError as exc:
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
                raise _MemberError(f"no .npy magic (first bytes {magic[:8]!r})")
            major = magic[6]
            if major == 1:
                (length,) = struct.unpack("<H", fh.read(2))
            elif major in (2, 3):
                (length,) = struct.unpack("<I", fh.read(4))
            else:
                raise _MemberError(f"unknown .npy format version {major}.{magic[7]}")
            if length > NPY_HEADER_CAP:
                raise _MemberError(
                    f".npy header of {length} bytes (over {NPY_HEADER_CAP}): not parsed"
                )
            text = fh.read(length)
    except _MemberError:
        raise
    except Exception as exc:  # truncated/corrupt nested member
        raise _MemberError(f"header unreadable ({type(exc).__name__}: {exc})") from exc
    try:
        header = ast.literal_eval(text.decode("utf-8" if major == 3 else "latin-1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError) as exc:
        raise _MemberError(f".npy header is not a literal dict ({type(exc).__name__})") from exc
    if not isinstance(header, dict):
        raise _MemberError(".npy header is not a dict")
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


# --- unsafe names ---------------------------------------------------------------------------------


def _unsafe(member: _Member) -> dict[str, str] | None:
    """Why extracting this member could write outside the target folder, or None."""
    name = member.name
    if "\x00" in name:
        return {"name": name, "reason": "NUL byte in the name"}
    if member.symlink and member.info is not None:
        return {"name": name, "reason": "symlink entry (extraction by unzip creates a link)"}
    if name.startswith(("/", "\\")):
        return {"name": name, "reason": "absolute path"}
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return {"name": name, "reason": "Windows drive letter"}
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return {"name": name, "reason": "`..` component escapes the extraction folder"}
    if "\\" in name:
        return {"name": name, "reason": "backslash separator (a path on Windows)"}
    return None
