"""What readers need beyond `pathlib.Path`, for local paths and store paths alike.

`list_dir` and `walk` stand in for `os.scandir` / `os.walk` (a store has prefixes, not
directories, and no file descriptors); `byte_view` stands in for `mmap`: a local file is still
memory-mapped, a store object becomes a `RangeView` that fetches blocks on first touch, so the protobuf and FlatBuffer walkers that skip tensor payloads by length skip them over
the network too.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from migrator.storage.ahead import current_lookahead
from migrator.storage.ranges import MAX_BLOCKS, RangeView, is_head_cached, prefetch_heads
from migrator.storage.store import StorePath, next_siblings

SNIFF_AHEAD = MAX_BLOCKS // 4 - 1  # siblings whose heads one sniff fetches with its own


def list_dir(path: Any) -> tuple[list[str], list[str]]:
    """(file names, folder names) directly in `path`, sorted; local symlinks are followed.

    In a store walked under `listing_ahead`, the listing usually arrived already (ahead.py).
    """
    if isinstance(path, StorePath):
        ahead = current_lookahead(path)
        raw = ahead.take(path) if ahead is not None else None
        listed = raw is not None
        files, dirs = [], []
        for entry in path.from_listing(raw if listed else path.listing()):
            (dirs if entry.is_dir() else files).append(entry.name)
        if ahead is not None and not listed:
            ahead.queue(path, dirs)  # listed here: its subfolders are listed ahead from now on
        return sorted(files), sorted(dirs)
    files, dirs = [], []
    with os.scandir(path) as it:
        for entry in it:
            if entry.is_dir():
                dirs.append(entry.name)
            elif entry.is_file():
                files.append(entry.name)
    return sorted(files), sorted(dirs)


def walk(path: Any) -> Iterator[tuple[Any, list[str], list[str]]]:
    """`os.walk(path)` for either kind: (folder, folder names, file names), top-down.

    As with `os.walk`, pruning the yielded folder-name list in place stops the descent.
    """
    if not isinstance(path, StorePath):
        yield from os.walk(path)
        return
    try:
        files, dirs = list_dir(path)
    except OSError:
        return
    yield path, dirs, files
    for name in dirs:
        yield from walk(path / name)


def read_head(path: Any, size: int) -> bytes:
    """The first `size` bytes of a file, for sniffing its format.

    In a store, the first sniff in a folder also fetches the heads of the objects listed after
    it, in one concurrent round (`prefetch_heads`): discovery sniffs a folder's files in name
    order, so a folder of a thousand models costs a few rounds of parallel requests, not a
    thousand requests one after another.
    """
    if not isinstance(path, StorePath):
        with open(path, "rb") as fh:
            return fh.read(size)
    if not is_head_cached(path):
        prefetch_heads([path, *next_siblings(path, SNIFF_AHEAD)])
    with path.open("rb") as fh:
        return fh.read(size)


@contextmanager
def byte_view(path: Any) -> Iterator[Any]:
    """A read-only, indexable view of a file's bytes: an `mmap` locally, a `RangeView` in a store.

    An empty local file gives `b""` (mmap cannot map zero bytes).
    """
    if isinstance(path, StorePath):
        yield RangeView(path)
        return
    with open(Path(path), "rb") as fh:
        if not fh.seek(0, 2):
            yield b""
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            yield data


def entries(path: Any) -> list[Any]:
    """The entries of a folder, each with `name`, `is_file()`, `is_dir()` and `stat()`:
    `os.DirEntry`s locally (kinds and sizes from one `scandir`), `StorePath`s from one listing."""
    if isinstance(path, StorePath):
        return list(path.iterdir())
    with os.scandir(path) as it:
        return list(it)


def relative_posix(path: Any, root: Any) -> str:
    """`path` under `root` as a POSIX path ("." for `root` itself), for either kind."""
    if isinstance(path, StorePath):
        return path.relative_to(root)
    return Path(path).relative_to(root).as_posix()
