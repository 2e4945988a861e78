"""The protobuf wire format, walked by hand: how big graphs are read without copying tensors.

protobuf's parser decodes a message whole; a frozen graph's constants can be gigabytes. These
helpers walk fields over a memory-mapped file, so callers parse only the parts they need and skip
the rest by length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from migrator.formats import protos
from migrator.storage import byte_view

# Wire types (protobuf encoding).
VARINT, I64, LEN, I32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes break the protobuf wire format (truncated or corrupt)."""


def read_varint(buf: Any, pos: int, end: int) -> tuple[int, int]:
    """Decode a varint at `pos`; returns (value, next position)."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise WireError(f"varint cut off at byte {pos}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError(f"varint longer than 10 bytes at byte {pos}")


def iter_fields(buf: Any, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """Yield (field number, wire type, a, b, tag start) for each field in buf[start:end].

    For LEN fields (a, b) is the payload's [start, end); for VARINT a is the value and b the next
    position; for fixed-width fields (a, b) is the value's byte range.
    """
    pos = start
    while pos < end:
        tag_start = pos
        tag, pos = read_varint(buf, pos, end)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {tag_start}")
        if wire == VARINT:
            value, pos = read_varint(buf, pos, end)
            yield number, wire, value, pos, tag_start
        elif wire == LEN:
            length, pos = read_varint(buf, pos, end)
            if pos + length > end:
                raise WireError(
                    f"field {number} at byte {tag_start} claims {length} bytes but only "
                    f"{end - pos} remain"
                )
            yield number, wire, pos, pos + length, tag_start
            pos += length
        elif wire in (I64, I32):
            size = 8 if wire == I64 else 4
            if pos + size > end:
                raise WireError(f"fixed-width field {number} cut off at byte {tag_start}")
            yield number, wire, pos, pos + size, tag_start
            pos += size
        else:
            raise WireError(f"invalid wire type {wire} for field {number} at byte {tag_start}")


def wire_text(buf: Any, a: int, b: int) -> str:
    """The UTF-8 text in buf[a:b] (undecodable bytes replaced)."""
    return bytes(buf[a:b]).decode("utf-8", "replace")


def parse_message(name: str, buf: Any, a: int, b: int) -> Any:
    """Message `name` parsed from buf[a:b]; WireError when the bytes do not parse."""
    try:
        return protos.parse(name, bytes(buf[a:b]))
    except DecodeError as exc:
        raise WireError(f"{name} at bytes {a}..{b} does not parse ({exc})") from None


def expect(wire: int, expected: int, what: str, at: int) -> None:
    """Raise WireError unless field `what` at byte `at` has the wire type it must have."""
    if wire != expected:
        raise WireError(f"{what} at byte {at} has wire type {wire}, expected {expected}")


@dataclass
class MappedFile:
    """A read-only view of a file's bytes: memory-mapped on disk, ranged reads in a store."""

    path: Path
    buf: Any = b""
    _view: Any = None

    def __enter__(self) -> MappedFile:
        # A local file is memory-mapped; a store object is fetched in ranges as it is walked.
        self._view = byte_view(self.path)
        self.buf = self._view.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._view is not None:
            self._view.__exit__(None, None, None)

    def __len__(self) -> int:
        return len(self.buf)
