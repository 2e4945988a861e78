"""`StorePath`: an object or prefix in an fsspec store, with the `pathlib.Path` subset readers use.

Readers were written against `pathlib.Path`; giving them an object that answers the same calls
(`/`, `name`, `suffix`, `parent`, `stat`, `is_file`, `is_dir`, `iterdir`, `open`, `read_bytes`)
lets every format be read from a store without a second copy of its reader. What it
deliberately lacks is `__fspath__`: code that would hand a store path to `os` or the builtin
`open` fails loudly instead of reading a local file of the same name.

Reads are bounded: `open()` returns a file whose reads fetch block-sized ranges on demand through
one per-process cache (ranges.py), so h5py walking a 1 GB file's metadata, or zipfile reading a
`.keras` central directory, moves the blocks it touches and never the weights.
Listings come with sizes and kinds, and the paths they yield carry them, so discovery asks the
store once per folder, not once per file.
"""

from __future__ import annotations

import errno
import io
import posixpath
import stat as stat_module
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from migrator.storage.location import filesystem
from migrator.storage.ranges import RangedFile, fetch

MAX_LISTINGS = 256  # folder listings remembered per process (least recently used dropped)
LISTING_TTL = 30.0  # seconds a listing answers for its folder: a store may change meanwhile

# (protocol, folder) -> {entry name: the store's record}: what recent listings said, so that
# `folder / name` knows its size and kind (or that it does not exist) without asking the store
# again. Bounded, so a walk of a hundred thousand folders keeps memory flat.
_listings: OrderedDict[tuple[str, str], tuple[float, dict[str, dict[str, Any]]]] = OrderedDict()


def _remember(protocol: str, folder: str, entries: dict[str, dict[str, Any]]) -> None:
    _listings[(protocol, folder)] = (time.monotonic(), entries)
    _listings.move_to_end((protocol, folder))
    while len(_listings) > MAX_LISTINGS:
        _listings.popitem(last=False)


def _listed(protocol: str, folder: str) -> dict[str, dict[str, Any]] | None:
    """What a listing of `folder` made in the last `LISTING_TTL` seconds said, or None."""
    remembered = _listings.get((protocol, folder))
    if remembered is None or time.monotonic() - remembered[0] > LISTING_TTL:
        return None
    return remembered[1]


def next_siblings(path: StorePath, count: int) -> list[StorePath]:
    """Up to `count` objects listed after `path` in its folder's recent listing (name order, the
    order discovery walks them), each with its record; [] when the folder was not listed."""
    parent, _, name = path.path.rpartition("/")
    listed = _listed(path.protocol, parent)
    if listed is None:
        return []
    after = sorted(n for n, e in listed.items() if n > name and e.get("type") != "directory")
    return [
        StorePath(path.protocol, posixpath.join(parent, n), path.options, listed[n])
        for n in after[:count]
    ]


def forget(protocol: str, folder: str | None = None) -> None:
    """Drop remembered listings (of one folder, or all): after writing to the store."""
    if folder is None:
        for key in [k for k in _listings if k[0] == protocol]:
            del _listings[key]
    else:
        _listings.pop((protocol, folder.strip("/")), None)


@dataclass(frozen=True)
class StoreStat:
    """The `os.stat_result` fields readers use, for an object (file) or a prefix (folder)."""

    st_size: int
    st_mode: int
    st_mtime: float = 0.0


class StorePath:
    """`protocol://path` in an fsspec store; picklable (URL and options only, never a client)."""

    __slots__ = ("protocol", "path", "options", "_info")

    def __init__(
        self,
        protocol: str,
        path: str,
        options: Mapping[str, Any] | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.protocol = protocol
        self.path = path.strip("/")
        self.options = dict(options or {})
        self._info = dict(info) if info is not None else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (StorePath, (self.protocol, self.path, self.options, self._info))

    # -- pure path operations -------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.protocol}://{self.path}"

    def __repr__(self) -> str:
        return f"StorePath({str(self)!r})"

    def as_posix(self) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorePath) and (self.protocol, self.path) == (
            other.protocol,
            other.path,
        )

    def __hash__(self) -> int:
        return hash((self.protocol, self.path))

    def __lt__(self, other: StorePath) -> bool:
        return (self.protocol, self.path) < (other.protocol, other.path)

    def __truediv__(self, name: str) -> StorePath:
        return self.joinpath(name)

    def joinpath(self, *names: str) -> StorePath:
        path = self.path
        for name in names:
            path = posixpath.join(path, str(name).strip("/")) if path else str(name).strip("/")
        # A child of a folder listed recently knows its record at once, so it carries it to the
        # worker that reads it (a pickled StorePath keeps it) and nobody asks the store again.
        parent, _, name = path.rpartition("/")
        listed = _listed(self.protocol, parent)
        info = listed.get(name) if listed is not None else None
        return StorePath(self.protocol, path, self.options, info)

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def suffix(self) -> str:
        name = self.name
        dot = name.rfind(".")
        return name[dot:] if 0 < dot < len(name) - 1 else ""

    @property
    def suffixes(self) -> list[str]:
        name = self.name.lstrip(".")
        return ["." + s for s in name.split(".")[1:]] if "." in name else []

    @property
    def stem(self) -> str:
        suffix = self.suffix
        return self.name[: -len(suffix)] if suffix else self.name

    @property
    def parent(self) -> StorePath:
        parent = posixpath.dirname(self.path)
        return StorePath(self.protocol, parent, self.options) if parent else self

    @property
    def parents(self) -> tuple[StorePath, ...]:
        """The enclosing prefixes, nearest first, up to the bucket (as `Path.parents`)."""
        parts = self.path.split("/")
        return tuple(
            StorePath(self.protocol, "/".join(parts[:n]), self.options)
            for n in range(len(parts) - 1, 0, -1)
        )

    @property
    def parts(self) -> tuple[str, ...]:
        return (f"{self.protocol}://", *self.path.split("/"))

    def with_name(self, name: str) -> StorePath:
        return self.parent / name

    def with_suffix(self, suffix: str) -> StorePath:
        return self.with_name(self.stem + suffix)

    def relative_to(self, other: StorePath) -> str:
        """The POSIX path of `self` under `other` ("." for `other` itself)."""
        if not isinstance(other, StorePath) or other.protocol != self.protocol:
            raise ValueError(f"{self} is not in {other}")
        if self.path == other.path:
            return "."
        prefix = other.path + "/" if other.path else ""
        if not self.path.startswith(prefix):
            raise ValueError(f"{self} is not in {other}")
        return self.path[len(prefix) :]

    def absolute(self) -> StorePath:
        return self

    def resolve(self) -> StorePath:
        return self

    def is_symlink(self) -> bool:
        return False  # object stores have no links

    # -- what the store says ---------------------------------------------------------------

    @property
    def fs(self) -> Any:
        return filesystem(self.protocol, self.options)

    def info(self) -> Mapping[str, Any]:
        """The store's record (`size`, `type`), from the listing that found this path if any.

        When the parent folder was listed recently, its listing answers (a name it lacks does
        not exist) and the store is not asked.
        """
        if self._info is None:
            parent, _, name = self.path.rpartition("/")
            listed = _listed(self.protocol, parent) if parent else None
            if listed is not None:
                if name not in listed:
                    raise FileNotFoundError(
                        errno.ENOENT, "no such object or prefix in the store", str(self)
                    )
                self._info = listed[name]
                return self._info
            try:
                self._info = dict(self.fs.info(self.path))
            except FileNotFoundError:
                raise FileNotFoundError(
                    errno.ENOENT, "no such object or prefix in the store", str(self)
                ) from None
        return self._info

    def stat(self) -> StoreStat:
        info = self.info()
        folder = info.get("type") == "directory"
        mode = (stat_module.S_IFDIR | 0o555) if folder else (stat_module.S_IFREG | 0o444)
        return StoreStat(0 if folder else int(info.get("size") or 0), mode)

    lstat = stat  # no links in a store

    def exists(self) -> bool:
        try:
            self.info()
        except FileNotFoundError:
            return False
        return True

    def is_file(self) -> bool:
        try:
            return self.info().get("type") != "directory"
        except FileNotFoundError:
            return False

    def is_dir(self) -> bool:
        try:
            return self.info().get("type") == "directory"
        except FileNotFoundError:
            return False

    def iterdir(self) -> Iterator[StorePath]:
        """The entries of this prefix, each carrying its size and kind from the one listing."""
        return self.from_listing(self.listing())

    def listing(self) -> list[dict[str, Any]]:
        """The store's records of this prefix's entries: one listing request, nothing else
        (safe to call from several threads: tree.py lists folders ahead of discovery)."""
        try:
            return list(self.fs.ls(self.path, detail=True))
        except FileNotFoundError:
            raise FileNotFoundError(
                errno.ENOENT, "no such prefix in the store", str(self)
            ) from None

    def from_listing(self, entries: list[dict[str, Any]]) -> Iterator[StorePath]:
        """The entries of a `listing()` of this prefix as paths, remembered for their children
        (called by the thread that walks: the remembered listings are not shared by threads)."""
        found: dict[str, dict[str, Any]] = {}
        for entry in sorted(entries, key=lambda e: e["name"]):
            name = self.fs._strip_protocol(entry["name"]).strip("/")
            if name == self.path or not name:
                continue
            found[name.rpartition("/")[2]] = dict(entry)
        _remember(self.protocol, self.path, found)
        for name, entry in found.items():
            yield StorePath(self.protocol, posixpath.join(self.path, name), self.options, entry)

    def open(self, mode: str = "rb", encoding: str | None = None, **_: Any) -> IO[Any]:
        """A read-only file over ranged reads through the process's block cache (ranges.py)."""
        if mode not in ("r", "rb"):
            raise PermissionError(errno.EROFS, "store paths are opened read-only", str(self))
        if self.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a prefix, not an object", str(self))
        # Unbuffered: every read asks the block cache for exactly what it needs (a 64-byte sniff
        # fetches the head only; a BufferedReader would turn it into a whole block).
        raw = RangedFile(self, self.stat().st_size)
        if mode == "rb":
            return raw  # type: ignore[return-value]
        return io.TextIOWrapper(io.BufferedReader(raw), encoding=encoding or "utf-8")

    def read_bytes(self) -> bytes:
        size = self.stat().st_size
        return fetch(self, 0, size, size)

    def read_text(self, encoding: str | None = None, errors: str | None = None) -> str:
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")
