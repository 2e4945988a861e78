"""Lay the members readers need into a private, memory-backed folder, and nothing else.

Every reader of migrator takes a path (h5py, the SavedModel and checkpoint readers, discovery's
claims): rather than teach each of them a second way to read, the archive reader replays the
archive's tree in a private folder under `/dev/shm` (memory, not disk; the system temp folder
where there is none) with the content of only what readers read: protos, configs, JSON, `.h5`
files, each up to `MAX_MEMBER_BYTES`. Weight data shards of a SavedModel (`variables/*.data-*`)
keep their first `HEAD_BYTES` and their declared size as a sparse file: readers stat them and
never read them, so a 20 GB model costs a few kilobytes. A member over the caps is laid the same
sparse way and remembered, so the artifact it belongs to gets an error saying so instead of
being read from zeros.

Every member laid is hashed (sha256) as its bytes go by, for the CycloneDX report: a tar stream
passes every byte of every member anyway, so with `read_through` the unkept tail of a weight
shard is read on and hashed instead of being skipped inside tarfile (no extra read, but CPU:
up to `MAX_HASHED_BYTES` per archive); a zip member whose tail was not read is hashed later,
only when an artifact holds it, within the same budget (`expand`).

Nothing the archive says can place a file outside the folder: a member is laid only when its
name passes `unsafe_reason` (no absolute paths, `..`, drive letters, backslashes, NUL) and it is
a regular file or folder; links, devices and FIFOs are never created. Files are opened with
`O_NOFOLLOW | O_EXCL`-style flags, so a name laid twice replaces the earlier bytes (as `tar x`
does) without ever following anything.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from migrator.formats.archive import limits
from migrator.formats.archive.members import ArchiveProblem, Reader

_PREFIX = "migrator-archive-"
_SHARD = re.compile(r"\.data-\d{5}-of-\d{5}$")
_CHUNK = 2**20
_HASH_CHUNK = 2**18  # bytes only hashed: smaller reads are faster through tarfile's stream


def unsafe_reason(name: str, kind: str, target: str = "") -> str | None:
    """Why this entry must not be laid out (or extracted), or None when it is safe."""
    if kind in ("symlink", "hardlink"):
        return f"{kind} to {target or '?'} (links are not followed)"
    if kind in ("device", "fifo", "other"):
        return f"a {kind} entry, not a file"
    if "\x00" in name:
        return "NUL byte in the name"
    if name.startswith(("/", "\\")):
        return "absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "Windows drive letter"
    if "\\" in name:
        return "backslash separator (a path on Windows)"
    if ".." in name.split("/"):
        return "`..` component escapes the extraction folder"
    return None


def is_weight_shard(name: str) -> bool:
    """A SavedModel's variable data: stat'ed by readers, never read."""
    parts = name.split("/")
    return len(parts) >= 2 and parts[-2] == "variables" and bool(_SHARD.search(parts[-1]))


class Stage:
    """The private folder and the bookkeeping of what was laid in it."""

    def __init__(self, root: Path, *, whole: bool = False) -> None:
        self.root = root
        # every file with all its bytes (extraction for the conversion runtimes, which load
        # weights); the walker's expansion caps still bound the total
        self.whole = whole
        self.kept = 0  # bytes of content written (sparse tails not counted)
        self.over_cap: dict[str, int] = {}  # member -> declared size, laid without its content
        self.problems: list[str] = []  # members that could not be laid (name clashes)
        self.damaged: set[str] = set()  # members the archive ends or breaks inside
        self.digests: dict[str, str] = {}  # member -> sha256 of all its bytes
        # read each member to its end, hashing what is not kept (a tar stream passes those
        # bytes anyway; a zip would inflate them only for the hash)
        self.read_through = False
        self.hashed = 0  # bytes hashed beyond what was kept (against `MAX_HASHED_BYTES`)

    def add_dir(self, name: str) -> None:
        if not name:
            return
        try:
            os.makedirs(self.root / name, exist_ok=True)
        except OSError as exc:
            self.problems.append(f"{name}/ ({exc.strerror or exc})")

    def add_file(self, name: str, size: int, read: Reader) -> None:
        """Lay `name` with the bytes readers need (all, a head, or a head over the caps), and
        record its sha256 when all its bytes went by."""
        whole = self.whole or not is_weight_shard(name)
        over = size > limits.member_cap(name) or self.kept + size > limits.MAX_KEPT_BYTES
        if whole and over and not self.whole:
            self.over_cap[name] = size
            whole = False
        keep = size if whole else min(size, limits.HEAD_BYTES)
        target = self.root / name
        self.digests.pop(name, None)  # a name laid again: the last copy's hash, or none
        try:
            os.makedirs(target.parent, exist_ok=True)
            if target.is_dir() and not target.is_symlink():
                raise IsADirectoryError(21, "a folder of that name was laid already")
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(target, flags, 0o644 if self.whole else 0o600)
        except OSError as exc:
            self.problems.append(f"{name} ({exc.strerror or exc})")
            return
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            left, rest, through = keep, 0, False
            try:
                left = _copy(read, left, digest, out.write)
                rest = size - keep if not left else 0
                through = self.read_through and self.hashed + rest <= limits.MAX_HASHED_BYTES
                if rest and through:
                    self.hashed += rest
                    rest = _copy(read, rest, digest, None)
            except ArchiveProblem:
                self.damaged.add(name)
                raise
            finally:
                self.kept += keep - left
            if left or (rest and through):  # the stream ended inside the member
                self.damaged.add(name)
            elif not rest:
                self.digests[name] = digest.hexdigest()
            out.truncate(size)  # the declared size; the unread tail is a hole, not bytes

    def path(self, name: str) -> Path:
        return self.root / name


def _copy(read: Reader, left: int, digest: Any, write: Callable[[bytes], object] | None) -> int:
    """Read `left` bytes in chunks into `digest` (and `write`); how many the stream lacked."""
    chunk = _CHUNK if write is not None else _HASH_CHUNK
    while left > 0:
        data = read(min(chunk, left))
        if not data:
            break
        digest.update(data)
        if write is not None:
            write(data)
        left -= len(data)
    return left


def hash_member(read: Reader, size: int) -> str | None:
    """The sha256 of a member read from its first byte, or None when it ends early."""
    digest = hashlib.sha256()
    return None if _copy(read, size, digest, None) else digest.hexdigest()


@contextmanager
def staging() -> Iterator[Stage]:
    """A fresh private folder, removed on the way out (and, if this process was killed, by the
    next archive read on the machine, which removes folders whose process is gone)."""
    base = _memory_backed()
    _remove_stale(base)
    root = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base))
    try:
        yield Stage(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _memory_backed() -> str | None:
    shm = "/dev/shm"
    try:
        if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
            free = os.statvfs(shm)
            if free.f_bavail * free.f_frsize >= limits.MAX_KEPT_BYTES:
                return shm
    except OSError:
        pass
    return None  # the system temp folder


def _remove_stale(base: str | None) -> None:
    """Staging folders left by workers killed at their deadline (no `finally` runs on SIGKILL)."""
    folder = base or tempfile.gettempdir()
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not name.startswith(_PREFIX):
            continue
        pid = name[len(_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: leave its folder alone
    return True
