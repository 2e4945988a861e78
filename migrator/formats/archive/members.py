"""Walk an archive's entries once, in order, with bounded reads of each member's content.

A compressed tar has no index: the only way to its last member is through every byte before
it. So tars (plain, gzip, bzip2, xz) are read in tarfile's stream mode (`r|*`), one pass, and
each member's content is offered to the caller while the stream stands on it; a zip is read
through its central directory. Either way the caller sees `Entry` records plus a bounded
`read(n)` for regular files, and every failure of the container itself (not an archive,
truncated, a bomb, too many members) is an `ArchiveProblem`: one line for the report.

Bombs are refused from what the headers declare, before any byte is inflated: a member whose
end lies further into the expanded stream than `MAX_RATIO` times the compressed file could
reach, or past `MAX_EXPANDED_BYTES`, stops the walk.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from migrator.formats.archive import limits
from migrator.formats.archive.limits import container_by_name, human

Reader = Callable[[int], bytes]


class ArchiveProblem(Exception):
    """The container itself cannot be read on (one line: the problem and what to do)."""


@dataclass(frozen=True)
class Entry:
    """One archive entry as its header declares it."""

    name: str  # as stored, leading "./" removed
    kind: str  # file, dir, symlink, hardlink, device, fifo, other
    size: int
    target: str = ""  # a link's target


def sniff(path: Path, head: bytes) -> str | None:
    """The container the bytes say (`tar+gzip`, `tar`, `zip`...), or None."""
    if head.startswith(limits.GZIP_MAGIC):
        return "tar+gzip"
    if head.startswith(limits.BZIP2_MAGIC):
        return "tar+bzip2"
    if head.startswith(limits.XZ_MAGIC):
        return "tar+xz"
    if head.startswith(limits.ZIP_MAGICS):
        return "zip"
    block = head if len(head) >= limits.USTAR_OFFSET + 5 else _read_head(path, 512)
    if block[limits.USTAR_OFFSET : limits.USTAR_OFFSET + 5] == b"ustar":
        return "tar"
    return None


def _read_head(path: Path, size: int) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def entries(path: Path, fh: BinaryIO, container: str) -> Iterator[tuple[Entry, Reader | None]]:
    """Every entry of the archive in stored order, with a bounded reader for regular files.

    A reader is valid only until the next entry is asked for (the stream moves on).
    """
    if container == "zip":
        yield from _zip_entries(path, fh)
    else:
        yield from _tar_entries(path, fh, container)


class _Counting:
    """A read-only file that counts the compressed bytes tarfile consumed."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self.count += len(data)
        return data


def _tar_entries(path: Path, fh: BinaryIO, container: str) -> Iterator[tuple[Entry, Reader | None]]:
    compressed = fh.seek(0, 2)
    fh.seek(0)
    stream = _Counting(fh)
    expected = container_by_name(path.name)
    try:
        archive = tarfile.open(fileobj=stream, mode="r|*")  # type: ignore[call-overload]
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise ArchiveProblem(_not_a_tar(path, container, expected, exc)) from None
    except Exception as exc:  # zlib.error, lzma.LZMAError: a damaged compressed stream
        raise ArchiveProblem(_not_a_tar(path, container, expected, exc)) from None
    count = 0
    with archive:
        while True:
            try:
                info = archive.next()
            except tarfile.ReadError as exc:
                raise ArchiveProblem(_damaged(container, exc, count)) from None
            except (EOFError, OSError, ValueError, tarfile.TarError) as exc:
                raise ArchiveProblem(_damaged(container, exc, count)) from None
            except Exception as exc:  # zlib.error, lzma.LZMAError
                raise ArchiveProblem(_damaged(container, exc, count)) from None
            if info is None:
                return
            count += 1
            if count > limits.MAX_MEMBERS:
                raise ArchiveProblem(
                    f"holds more than {limits.MAX_MEMBERS} entries; extract it and audit the folder"
                )
            end = info.offset_data + max(0, info.size)
            _check_expansion(end, compressed, container)
            entry = Entry(_clean(info.name), _tar_kind(info), max(0, info.size), info.linkname)
            if entry.kind != "file":
                yield entry, None
                continue
            yield entry, _tar_reader(archive, info, container)


def _tar_reader(archive: tarfile.TarFile, info: tarfile.TarInfo, container: str) -> Reader:
    handle = archive.extractfile(info)

    def read(size: int) -> bytes:
        if handle is None:
            return b""
        try:
            return handle.read(size)
        except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
            raise ArchiveProblem(_damaged(container, exc, None, info.name)) from None
        except Exception as exc:  # zlib.error, lzma.LZMAError
            raise ArchiveProblem(_damaged(container, exc, None, info.name)) from None

    return read


def _check_expansion(end: int, compressed: int, container: str) -> None:
    """Refuse a member whose declared end is beyond what the compressed file can hold."""
    if end > limits.MAX_EXPANDED_BYTES:
        raise ArchiveProblem(
            f"declares {human(end)} of content, over the {human(limits.MAX_EXPANDED_BYTES)} cap "
            "(an archive bomb, or a store too large to audit packed); extract it with a tool "
            "you trust and audit the folder"
        )
    if (
        container != "tar"
        and end > limits.RATIO_FLOOR
        and end > limits.MAX_RATIO * max(1, compressed)
    ):
        raise ArchiveProblem(
            f"declares {human(end)} of content from {human(compressed)} compressed "
            f"(over {limits.MAX_RATIO}:1; model weights compress ~1.1:1): an archive bomb; "
            "do not extract it; get the model from its source again"
        )


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.ischr() or info.isblk():
        return "device"
    if info.isfifo():
        return "fifo"
    return "other"


def _clean(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/") if name not in ("/", "") else name


def _not_a_tar(path: Path, container: str, expected: str | None, exc: BaseException) -> str:
    what = expected or container
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return (
        f"is not a readable {describe(what)} ({reason}); check that the download completed "
        f"and re-create it with `tar czf {path.name} 1/` (SageMaker layout)"
    )


def _damaged(container: str, exc: BaseException, count: int | None, member: str = "") -> str:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    where = f" inside {member}" if member else f" after {count} entries" if count else ""
    return (
        f"{describe(container)} is truncated or corrupt{where} ({reason}); "
        "download it again; the entries before the damage were audited"
    )


def describe(container: str) -> str:
    return {
        "tar": "tar archive",
        "tar+gzip": "gzip-compressed tar",
        "tar+bzip2": "bzip2-compressed tar",
        "tar+xz": "xz-compressed tar",
        "zip": "zip archive",
    }.get(container, container)


def _zip_entries(path: Path, fh: BinaryIO) -> Iterator[tuple[Entry, Reader | None]]:
    from migrator.errors import ArtifactError
    from migrator.formats.keras_zip.container import open_zip

    try:
        archive = open_zip(path, fh)
    except ArtifactError as exc:
        raise ArchiveProblem(
            f"is not a readable zip archive ({exc.problem}); {exc.remedy}"
        ) from None
    infos = archive.infolist()
    if len(infos) > limits.MAX_MEMBERS:
        raise ArchiveProblem(
            f"holds {len(infos)} entries, over {limits.MAX_MEMBERS}; extract it and audit the folder"
        )
    compressed = fh.seek(0, 2)
    _check_expansion(sum(i.file_size for i in infos), compressed, "zip")
    for info in infos:
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            kind = "symlink"
        elif info.is_dir():
            kind = "dir"
        elif stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # zipfile writes 0o600: no type
            kind = "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "other"
        else:
            kind = "file"
        entry = Entry(_clean(info.filename), kind, info.file_size)
        if kind != "file":
            yield entry, None
            continue
        if info.flag_bits & 0x1:
            raise ArchiveProblem(
                f"member {info.filename} is encrypted; decrypt the archive and audit it again"
            )
        yield entry, _zip_reader(archive, info)


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Reader:
    return ZipMember(archive, info)


class ZipMember:
    """A bounded reader of one zip member, opened on first read; unlike a tar stream's, a zip
    member can be read again from its first byte (`again`), while the archive is open."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self._archive = archive
        self._info = info
        self._handle: BinaryIO | None = None

    def __call__(self, size: int) -> bytes:
        try:
            if self._handle is None:
                self._handle = self._archive.open(self._info)  # type: ignore[assignment]
            return self._handle.read(size)  # type: ignore[union-attr]
        except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
            raise ArchiveProblem(_damaged("zip", exc, None, self._info.filename)) from None
        except Exception as exc:  # zlib.error, lzma.LZMAError
            raise ArchiveProblem(_damaged("zip", exc, None, self._info.filename)) from None

    def again(self) -> ZipMember:
        return ZipMember(self._archive, self._info)
