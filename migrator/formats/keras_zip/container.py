"""The `.keras` container layer: a zip archive or its unzipped folder, behind one interface.

Keras 3 reads the same members from a `.keras` zip and from the folder `save(zipped=False)`
writes, so the reader does too: `ZipSource` and `FolderSource` list their members and read small
ones under a cap. For a zip only the central directory is read (refused past 64 MB, since no
Keras archive needs one that large), and a stored member can be opened as a bounded window onto
the outer file, so nothing is ever extracted. Member names that would escape an extraction folder
are recognised here too, because Keras extracts the whole archive to load assets.
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from migrator.errors import ArtifactError
from migrator.storage import is_remote, relative_posix, walk
from migrator.storage.ranges import PositionedReader

FORMAT = "keras-v3"

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS_H5 = "model.weights.h5"
WEIGHTS_NPZ = "model.weights.npz"
SHARD_INDEX_SUFFIX = ".weights.json"
ASSETS_PREFIX = "assets/"

JSON_CAP = 64 * 1024 * 1024  # config.json / metadata.json / shard index larger than this: not read
CENTRAL_DIRECTORY_CAP = 64 * 1024 * 1024

ZIP_LOCAL = b"PK\x03\x04"
ZIP_EMPTY = b"PK\x05\x06"
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
REMEDY_RESAVE = "re-save it with model.save('model.keras'); the source file was not changed"


def keras_names(names: set[str]) -> bool:
    """Members Keras wrote at the archive root: metadata.json, or config.json beside weights."""
    if METADATA in names:
        return True
    weights = {WEIGHTS_H5, WEIGHTS_NPZ} & names or any(
        n.endswith(SHARD_INDEX_SUFFIX) and "/" not in n for n in names
    )
    return CONFIG in names and bool(weights)


# --- the two containers: one interface -----------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One entry of the archive's central directory (or one file of the folder)."""

    name: str
    size: int
    compressed_size: int
    method: int  # zip compression method; 0 (stored) for folder files
    symlink: bool = False
    info: zipfile.ZipInfo | None = None


class ZipSource:
    """A `.keras` archive: central directory entries and bounded reads of chosen members."""

    container = "zip"

    def __init__(self, path: Path, fh: BinaryIO) -> None:
        self.path = path
        self.fh = fh
        self.zf = open_zip(path, fh)
        self.members = [
            Member(
                i.filename,
                i.file_size,
                i.compress_size,
                i.compress_type,
                symlink=stat.S_ISLNK(i.external_attr >> 16),
                info=i,
            )
            for i in self.zf.infolist()
        ]

    def read_small(self, member: Member, cap: int = JSON_CAP) -> bytes:
        assert member.info is not None
        if member.info.flag_bits & 0x1:
            raise MemberError(f"{member.name} is encrypted")
        if member.size > cap:
            raise MemberError(f"{member.name} is {member.size} bytes, over the {cap} byte cap")
        try:
            with self.zf.open(member.info) as fh:
                data = fh.read(cap + 1)
        except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
            raise MemberError(f"{member.name} cannot be read ({exc})") from exc
        except Exception as exc:  # zlib.error, lzma.LZMAError...: corrupt compressed data
            raise MemberError(
                f"{member.name} cannot be read ({type(exc).__name__}: {exc})"
            ) from exc
        if len(data) > cap:
            raise MemberError(f"{member.name} is over the {cap} byte cap")
        return data

    def window(self, member: Member) -> io.RawIOBase | None:
        """The stored bytes of `member` as a seekable file, or None when it is compressed."""
        assert member.info is not None
        if member.method != zipfile.ZIP_STORED or member.info.flag_bits & 0x1:
            return None
        start = _data_offset(self.fh, member.info)
        if start is None:
            return None
        return _Window(self.fh, start, member.compressed_size)

    def open_compressed(self, member: Member) -> BinaryIO:
        assert member.info is not None
        return self.zf.open(member.info)  # type: ignore[return-value]


class FolderSource:
    """The unzipped form: files under a folder, read the same way as archive members."""

    container = "folder"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.members: list[Member] = []
        self.escaping: list[dict[str, str]] = []
        root = path.resolve()
        remote = is_remote(path)  # a store has no symlinks
        for dirpath, dirnames, filenames in walk(path):  # symlinked folders are not entered
            dirnames.sort()
            here = dirpath if remote else Path(dirpath)
            links = [] if remote else [d for d in dirnames if (here / d).is_symlink()]
            for fname in sorted(filenames + links):
                full = here / fname
                rel = relative_posix(full, path)
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
                self.members.append(Member(rel, size, size, 0, symlink=link))

    def read_small(self, member: Member, cap: int = JSON_CAP) -> bytes:
        try:
            with (self.path / member.name).open("rb") as fh:
                data = fh.read(cap + 1)
        except OSError as exc:
            raise MemberError(f"{member.name} cannot be read ({exc.strerror or exc})") from exc
        if len(data) > cap:
            raise MemberError(f"{member.name} is over the {cap} byte cap")
        return data

    def window(self, member: Member) -> BinaryIO | None:
        try:
            return (self.path / member.name).open("rb")
        except OSError:
            return None

    def open_compressed(self, member: Member) -> BinaryIO:
        return (self.path / member.name).open("rb")


Source = ZipSource | FolderSource


class MemberError(Exception):
    """A member could not be read; becomes one error line on the reading."""


class _Window(PositionedReader):
    """A read-only, seekable view of bytes [start, start+size) of an open file."""

    def __init__(self, fh: BinaryIO, start: int, size: int) -> None:
        super().__init__(size)
        self._fh = fh
        self._start = start

    def read_at(self, pos: int, count: int) -> bytes:
        self._fh.seek(self._start + pos)
        return self._fh.read(count)


def open_zip(path: Path, fh: BinaryIO) -> zipfile.ZipFile:
    """Open the central directory only, refusing absurd ones; every failure is an ArtifactError."""
    try:
        size = _central_directory_size(fh)
    except (OSError, struct.error) as exc:
        raise artifact_error(path, f"cannot read the zip directory ({exc})", REMEDY_RESAVE) from exc
    if size is not None and size > CENTRAL_DIRECTORY_CAP:
        raise artifact_error(
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
        raise artifact_error(
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
    if len(header) < 30 or header[:4] != ZIP_LOCAL:
        return None
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def artifact_error(path: Path | str, problem: str, remedy: str = "") -> ArtifactError:
    """An unreadable archive or folder, reported as keras-v3 (the format it claimed to be)."""
    return ArtifactError(path, problem, remedy, format=FORMAT)


def read_object(
    source: Source, member: Member | None, name: str, errors: list[str]
) -> dict[str, Any] | None:
    """A small JSON member that must hold an object; None (with an error line) otherwise."""
    if member is None:
        return None
    loaded = json_member(source, member, errors)
    if loaded is None:
        return None
    if not isinstance(loaded, dict):
        errors.append(f"{name} is not a JSON object (got {type(loaded).__name__}); {REMEDY_RESAVE}")
        return None
    return loaded


def json_member(source: Source, member: Member, errors: list[str]) -> Any:
    """A small member parsed as JSON; None (with an error line saying what to do) when it fails."""
    try:
        data = source.read_small(member)
    except MemberError as exc:
        errors.append(f"{exc}; {REMEDY_RESAVE}")
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        errors.append(
            f"{member.name} is not UTF-8 text ({exc.reason} at byte {exc.start}); {REMEDY_RESAVE}"
        )
    except json.JSONDecodeError as exc:
        errors.append(
            f"{member.name} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            f"{REMEDY_RESAVE}"
        )
    except RecursionError:
        errors.append(f"{member.name} nests JSON too deeply to parse; {REMEDY_RESAVE}")
    return None


# --- names unsafe to extract ---------------------------------------------------------------------------------


def unsafe_reason(member: Member) -> dict[str, str] | None:
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
