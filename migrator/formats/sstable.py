"""Read the LevelDB-style table files TensorFlow writes: checkpoint `.index` files and V1 checkpoints.

The layout (TensorFlow's `core/lib/io/{format,block,table_builder}.cc`, inherited from LevelDB):

- the file ends with a 48-byte footer: two varint-encoded BlockHandles (metaindex, index), zero
  padding to 40 bytes, then the 64-bit magic 0xdb4775248b80fb57 as two little-endian uint32;
- a BlockHandle is (offset, size) as two varint64; every block is followed by a 5-byte trailer:
  one compression byte (0 = none, 1 = snappy) and a masked CRC32C of the block plus that byte;
- a block is a run of entries (varint shared-prefix length, varint unshared length, varint value
  length, unshared key bytes, value bytes), then a uint32 array of restart offsets and its count;
- the index block maps a separator key to the BlockHandle of each data block, in key order.

TensorFlow writes V2 bundle indexes uncompressed (`TableBuilderOptions()` in tensor_bundle.cc sets
kNoCompression since 1.2); V1 checkpoints used the default (snappy when the build had it), so this
module carries a small bounds-checked snappy decoder. Every offset and length read from the file
is checked against the file size before it is used: corrupt bytes give `TableError`, never an
IndexError or a huge allocation.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from migrator.formats.graphdef import wire

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
TRAILER_SIZE = 5
NO_COMPRESSION = 0
SNAPPY_COMPRESSION = 1
# A block bigger than this is not metadata: refuse it instead of reading it.
DEFAULT_MAX_BLOCK = 64 * 1024 * 1024


class TableError(Exception):
    """The bytes are not a readable table; the message says what is wrong, for a user."""


class TableLimit(TableError):
    """The table may be fine, but reading what was asked would exceed a metadata size limit."""


@dataclass(frozen=True)
class BlockHandle:
    offset: int
    size: int


def read_varint(buf: bytes, pos: int, limit: int | None = None) -> tuple[int, int]:
    """Decode a varint64 at `pos`; returns (value, next position). Raises TableError if cut short."""
    try:
        return wire.read_varint(buf, pos, len(buf) if limit is None else limit)
    except wire.WireError as exc:
        raise TableError(f"bad varint in a table block ({exc})") from None


def _decode_handle(buf: bytes, pos: int = 0) -> tuple[BlockHandle, int]:
    try:
        offset, pos = read_varint(buf, pos)
        size, pos = read_varint(buf, pos)
    except TableError as exc:
        raise TableError(f"bad block handle ({exc})") from None
    return BlockHandle(offset, size), pos


# --- CRC32C (Castagnoli), as LevelDB masks it -------------------------------------------------


def _crc_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE: tuple[int, ...] | None = None


def crc32c(data: bytes) -> int:
    global _CRC_TABLE
    if _CRC_TABLE is None:
        _CRC_TABLE = _crc_table()
    table = _CRC_TABLE
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def mask_crc(crc: int) -> int:
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


# --- snappy -----------------------------------------------------------------------------------


def snappy_decompress(data: bytes, max_size: int = DEFAULT_MAX_BLOCK) -> bytes:
    """Decode a raw snappy block (no framing), checking every length and back-reference."""
    try:
        length, pos = read_varint(data, 0)
    except TableError:
        raise TableError("corrupted compressed block contents (bad length)") from None
    if length > max_size:
        raise TableError(f"compressed block claims {length} bytes uncompressed (limit {max_size})")
    out = bytearray()
    n = len(data)
    while pos < n:
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                if pos + extra > n:
                    raise TableError("corrupted compressed block contents (literal length)")
                size = int.from_bytes(data[pos : pos + extra], "little")
                pos += extra
            size += 1
            if pos + size > n:
                raise TableError("corrupted compressed block contents (literal runs past end)")
            out += data[pos : pos + size]
            pos += size
        else:
            if kind == 1:
                if pos + 1 > n:
                    raise TableError("corrupted compressed block contents (copy)")
                size = ((tag >> 2) & 7) + 4
                offset = ((tag >> 5) << 8) | data[pos]
                pos += 1
            else:
                width = 2 if kind == 2 else 4
                if pos + width > n:
                    raise TableError("corrupted compressed block contents (copy)")
                size = (tag >> 2) + 1
                offset = int.from_bytes(data[pos : pos + width], "little")
                pos += width
            if offset == 0 or offset > len(out):
                raise TableError("corrupted compressed block contents (bad back-reference)")
            start = len(out) - offset
            if offset >= size:
                out += out[start : start + size]
            else:  # overlapping copy repeats the last `offset` bytes
                for i in range(size):
                    out.append(out[start + i])
        if len(out) > length:
            raise TableError("corrupted compressed block contents (longer than declared)")
    if len(out) != length:
        raise TableError("corrupted compressed block contents (shorter than declared)")
    return bytes(out)


# --- blocks -----------------------------------------------------------------------------------


def iter_block(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) pairs of one uncompressed block, keys rebuilt from their shared prefixes."""
    if len(block) < 4:
        raise TableError("block too short for its restart count")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 * (num_restarts + 1)
    if num_restarts == 0 or limit < 0:
        raise TableError(f"bad restart count {num_restarts} in a {len(block)}-byte block")
    pos = 0
    key = b""
    while pos < limit:
        shared, pos = read_varint(block, pos, limit)
        unshared, pos = read_varint(block, pos, limit)
        value_len, pos = read_varint(block, pos, limit)
        if shared > len(key):
            raise TableError("entry shares more key bytes than the previous key has")
        if pos + unshared + value_len > limit:
            raise TableError("entry runs past the end of its block")
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + value_len]
        pos += value_len


class Table:
    """An open table file: footer and index read eagerly, data blocks read on demand."""

    def __init__(self, fh: BinaryIO, *, max_block: int = DEFAULT_MAX_BLOCK) -> None:
        self._fh = fh
        self.max_block = max_block
        fh.seek(0, os.SEEK_END)
        self.file_size = fh.tell()
        if self.file_size < FOOTER_SIZE:
            raise TableError(
                f"file is {self.file_size} bytes, shorter than the {FOOTER_SIZE}-byte table footer"
            )
        fh.seek(self.file_size - FOOTER_SIZE)
        footer = fh.read(FOOTER_SIZE)
        lo, hi = struct.unpack_from("<II", footer, FOOTER_SIZE - 8)
        if (hi << 32) | lo != MAGIC:
            raise TableError("not an SSTable (bad magic number in the last 8 bytes)")
        self.metaindex_handle, pos = _decode_handle(footer, 0)
        self.index_handle, _ = _decode_handle(footer, pos)
        self.compressions: set[int] = set()
        self.index: list[tuple[bytes, BlockHandle]] = []
        for key, value in iter_block(self.read_block(self.index_handle)):
            handle, _ = _decode_handle(value)
            self.index.append((key, handle))

    def _check_handle(self, handle: BlockHandle, *, limit: bool = True) -> None:
        end = handle.offset + handle.size + TRAILER_SIZE
        if end > self.file_size - FOOTER_SIZE:
            raise TableError(
                f"bad block handle (offset {handle.offset}, size {handle.size}) past the end of a "
                f"{self.file_size}-byte file: the file is truncated"
            )
        if limit and handle.size > self.max_block:
            raise TableLimit(
                f"block of {handle.size} bytes is larger than the {self.max_block}-byte limit"
            )

    def read_block(self, handle: BlockHandle) -> bytes:
        """The uncompressed contents of one block, checksum verified."""
        self._check_handle(handle)
        self._fh.seek(handle.offset)
        raw = self._fh.read(handle.size + TRAILER_SIZE)
        if len(raw) != handle.size + TRAILER_SIZE:
            raise TableError("truncated block read")
        kind = raw[handle.size]
        (stored,) = struct.unpack_from("<I", raw, handle.size + 1)
        if mask_crc(crc32c(raw[: handle.size + 1])) != stored:
            raise TableError(
                f"block checksum mismatch at offset {handle.offset}: the file is corrupt"
            )
        self.compressions.add(kind)
        if kind == NO_COMPRESSION:
            return raw[: handle.size]
        if kind == SNAPPY_COMPRESSION:
            return snappy_decompress(raw[: handle.size], self.max_block)
        raise TableError(f"bad block type {kind} at offset {handle.offset}")

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) in key order."""
        for _, handle in self.index:
            yield from iter_block(self.read_block(handle))

    def first_value(self, max_value: int) -> tuple[bytes, bytes] | None:
        """The first entry, reading no more of the file than that entry needs.

        A V1 checkpoint keeps its table of contents under the empty key, first in the first data
        block, followed by the tensor data itself: reading the whole block would read weights.
        An uncompressed block is parsed in place; a compressed one must be read whole, so it is
        refused when it is larger than `max_value`.
        """
        if not self.index:
            return None
        handle = self.index[0][1]
        self._check_handle(handle, limit=False)  # only the first entry is read, not the block
        self._fh.seek(handle.offset + handle.size)
        kind = self._fh.read(1)
        if kind != bytes([NO_COMPRESSION]):
            if handle.size > min(max_value, self.max_block):
                raise TableLimit(
                    f"first block is compressed and {handle.size} bytes (limit {max_value})"
                )
            block = self.read_block(handle)
            return next(iter_block(block), None)
        self.compressions.add(NO_COMPRESSION)
        self._fh.seek(handle.offset)
        head = self._fh.read(min(handle.size, 30))
        limit = handle.size
        shared, pos = read_varint(head, 0)
        unshared, pos = read_varint(head, pos)
        value_len, pos = read_varint(head, pos)
        if shared != 0:
            raise TableError("first entry of a block shares a key prefix")
        if pos + unshared + value_len > limit:
            raise TableError("first entry runs past the end of its block")
        if unshared + value_len > max_value:
            raise TableLimit(f"first entry is {value_len} bytes (limit {max_value})")
        self._fh.seek(handle.offset + pos)
        body = self._fh.read(unshared + value_len)
        return body[:unshared], body[unshared:]
