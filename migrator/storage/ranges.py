"""Bounded ranged reads of store objects: the blocks a process fetched, shared by every open.

An audit opens the same object several times (discovery's 64-byte head, each reader's claim,
then the reader itself, h5py and zipfile seeking around in it). Every read here goes through one
per-process cache of `READ_BLOCK`-sized blocks (at most `MAX_BLOCKS`, least recently used
dropped), so a block crosses the network once per process however often it is read, and a
process never holds more than `MAX_BLOCKS * READ_BLOCK` bytes of store data. A read spanning
more than `DIRECT_BLOCKS` blocks is one ranged GET of exactly that span and is not cached.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrator.storage.store import StorePath

READ_BLOCK = 64 * 1024  # bytes one ranged GET fetches: metadata reads are small and scattered
MAX_BLOCKS = 128  # blocks a process keeps (8 MiB)
DIRECT_BLOCKS = 16  # a read over this many blocks is fetched as one span, uncached
HEAD = 4096  # a first read inside this many leading bytes fetches only them (discovery's sniff)

_blocks: OrderedDict[tuple[str, str, str, int], bytes] = OrderedDict()


def _token(path: StorePath) -> str:
    """Which version of the object a block belongs to: a rewritten object is new blocks."""
    info = path.info()
    for name in ("ETag", "etag", "md5Hash", "generation", "LastModified", "mtime", "created"):
        if info.get(name):
            return str(info[name])
    return str(info.get("size"))


def _block(path: StorePath, index: int, size: int) -> bytes:
    key = (path.protocol, path.path, _token(path), index)
    block = _blocks.get(key)
    if block is not None:
        _blocks.move_to_end(key)
        return block
    start = index * READ_BLOCK
    end = min(start + READ_BLOCK, size)
    block = bytes(path.fs.cat_file(path.path, start=start, end=end))
    _blocks[key] = block
    while len(_blocks) > MAX_BLOCKS:
        _blocks.popitem(last=False)
    return block


def _head(path: StorePath, size: int) -> bytes:
    """The object's first `HEAD` bytes, unless its first block is cached (which holds them).

    Discovery reads 64 bytes of every file to decide its format; fetching a whole block for
    that would move most small files twice (here, and again in the worker that reads them).
    """
    token = _token(path)
    block = _blocks.get((path.protocol, path.path, token, 0))
    if block is not None:
        return block
    key = (path.protocol, path.path, token, -1)
    head = _blocks.get(key)
    if head is None:
        head = bytes(path.fs.cat_file(path.path, start=0, end=min(HEAD, size)))
        _blocks[key] = head
        while len(_blocks) > MAX_BLOCKS:
            _blocks.popitem(last=False)
    return head


def is_head_cached(path: StorePath) -> bool:
    token = _token(path)
    return any((path.protocol, path.path, token, i) in _blocks for i in (-1, 0))


def prefetch_heads(paths: list[StorePath]) -> None:
    """Fetch the heads of several objects in one concurrent round (fsspec's `cat_ranges`, which
    async drivers such as s3fs run in parallel): discovery sniffs every file of a folder, and a
    round of parallel requests costs about what one request does. At most `MAX_BLOCKS // 2` are
    kept; heads already cached are not fetched, and objects that fail are left to the ordinary
    reads (which report them)."""
    todo = [p for p in paths if (p.protocol, p.path, _token(p), -1) not in _blocks]
    for start in range(0, len(todo), MAX_BLOCKS // 2):
        batch = todo[start : start + MAX_BLOCKS // 2]
        if len(batch) < 2:
            return
        ends = [min(HEAD, p.stat().st_size) for p in batch]
        try:
            heads = batch[0].fs.cat_ranges(
                [p.path for p in batch], [0] * len(batch), ends, on_error="return"
            )
        except Exception:  # a driver without batched ranges: each file is sniffed on its own
            return
        for path, end, head in zip(batch, ends, heads, strict=False):
            if isinstance(head, bytes) and len(head) == end:
                _blocks[(path.protocol, path.path, _token(path), -1)] = head
        while len(_blocks) > MAX_BLOCKS:
            _blocks.popitem(last=False)


def fetch(path: StorePath, start: int, stop: int, size: int) -> bytes:
    """Bytes [start, stop) of an object of `size` bytes (clipped to it)."""
    stop = min(stop, size)
    if stop <= start:
        return b""
    if stop <= HEAD:
        head = _head(path, size)
        if len(head) >= stop:
            return head[start:stop]
    first, last = start // READ_BLOCK, (stop - 1) // READ_BLOCK
    if last - first + 1 > DIRECT_BLOCKS:
        return bytes(path.fs.cat_file(path.path, start=start, end=stop))
    parts = []
    for index in range(first, last + 1):
        block = _block(path, index, size)
        base = index * READ_BLOCK
        parts.append(block[max(start - base, 0) : min(stop - base, len(block))])
    return b"".join(parts)


class PositionedReader(io.RawIOBase):
    """A read-only, seekable raw file of `size` bytes whose bytes come from `read_at(pos, n)`:
    what h5py's file-object driver, zipfile and `read(n)` callers need, for any byte source
    (a store object here, a zip member in the `.keras` reader)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size
        self._pos = 0

    def read_at(self, pos: int, count: int) -> bytes:
        raise NotImplementedError

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
        data = self.read_at(self._pos, count)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


class RangedFile(PositionedReader):
    """A store object as a file, each read served by the block cache (`fetch`)."""

    def __init__(self, path: StorePath, size: int) -> None:
        super().__init__(size)
        self._path = path
        self.name = str(path)

    def read_at(self, pos: int, count: int) -> bytes:
        return fetch(self._path, pos, pos + count, self._size)


class RangeView:
    """The bytes of a store object as an indexable view (`len`, `view[i]`, `view[a:b]`): what
    the protobuf and FlatBuffer walkers use on an `mmap`, fetched block by block on first touch."""

    def __init__(self, path: StorePath) -> None:
        self._path = path
        self._size = path.stat().st_size
        self._last: tuple[int, bytes] = (-1, b"")

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(self._size)
            if step != 1:
                raise ValueError("RangeView slices take no step")
            return fetch(self._path, start, stop, self._size)
        if key < 0:
            key += self._size
        if not 0 <= key < self._size:
            raise IndexError("RangeView index out of range")
        index = key // READ_BLOCK
        if self._last[0] != index:  # byte-by-byte varint walks stay in one block
            self._last = (index, _block(self._path, index, self._size))
        return self._last[1][key % READ_BLOCK]
