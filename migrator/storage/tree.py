"""What readers need beyond `pathlib.Path`, for local paths and store paths alike.

`list_dir` and `walk` stand in for `os.scandir` / `os.walk` (a store has prefixes, not
directories, and no file descriptors); `byte_view` stands in for `mmap`: a local file is still
memory-mapped, a store object becomes a `RangeView` that fetches `READ_BLOCK` ranges on first
touch, so the protobuf and FlatBuffer walkers that skip tensor payloads by length skip them over
the network too.
"""

from __future__ import annotations

import mmap
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from migrator.storage.store import MAX_BLOCKS, READ_BLOCK, StorePath


def list_dir(path: Any) -> tuple[list[str], list[str]]:
    """(file names, folder names) directly in `path`, sorted; local symlinks are followed."""
    if isinstance(path, StorePath):
        files, dirs = [], []
        for entry in path.iterdir():
            (dirs if entry.is_dir() else files).append(entry.name)
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


def size_if_file(path: Any) -> int | None:
    """The size of `path` when it is a regular file (or store object), else None."""
    try:
        if isinstance(path, StorePath):
            return path.stat().st_size if path.is_file() else None
        return path.stat().st_size if os.path.isfile(path) else None
    except OSError:
        return None


class RangeView:
    """The bytes of a store object, fetched `READ_BLOCK` at a time when first indexed.

    Supports what the wire-format walkers use on an `mmap`: `len()`, `view[i]` and
    `view[a:b]`. At most `MAX_BLOCKS` blocks are kept (least recently used dropped).
    """

    def __init__(self, path: StorePath) -> None:
        self._path = path
        self._size = path.stat().st_size
        self._blocks: OrderedDict[int, bytes] = OrderedDict()

    def __len__(self) -> int:
        return self._size

    def _block(self, index: int) -> bytes:
        block = self._blocks.get(index)
        if block is None:
            start = index * READ_BLOCK
            end = min(start + READ_BLOCK, self._size)
            block = bytes(self._path.fs.cat_file(self._path.path, start=start, end=end))
            self._blocks[index] = block
            if len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(index)
        return block

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(self._size)
            if step != 1:
                raise ValueError("RangeView slices take no step")
            if stop <= start:
                return b""
            if stop - start > MAX_BLOCKS * READ_BLOCK:  # a big span: one ranged read, not cached
                return bytes(self._path.fs.cat_file(self._path.path, start=start, end=stop))
            parts = []
            for index in range(start // READ_BLOCK, (stop - 1) // READ_BLOCK + 1):
                block = self._block(index)
                base = index * READ_BLOCK
                parts.append(block[max(start - base, 0) : min(stop - base, len(block))])
            return b"".join(parts)
        if key < 0:
            key += self._size
        if not 0 <= key < self._size:
            raise IndexError("RangeView index out of range")
        return self._block(key // READ_BLOCK)[key % READ_BLOCK]


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
