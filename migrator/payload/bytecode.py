"""The names a marshalled Python code object references, read without unmarshalling it.

Keras stores a Lambda's function as ``marshal.dumps(func.__code__)`` (base64 since Keras 2, raw
``raw_unicode_escape`` text in Keras 1). ``marshal.loads`` would build a code object that loading
then calls; we never do that. This module reads the marshal byte format itself, as data: ints,
floats, strings, tuples, lists, dicts, sets, references (``FLAG_REF``/``r``, Python 2 interned
``R``) and code objects, whose names (``co_names``), string constants and nested code objects it
collects. Nothing is built but strings and tuples of them.

The code-object layout depends on the Python that wrote it and marshal records no version, so each
known layout is tried in turn and the first that parses the whole stream consistently wins:
Python 3.11+ (5 ints, localsplus names/kinds, qualname, exception table), 3.8-3.10 (6 ints),
3.0-3.7 (5 ints) and 2.7 (4 ints). Bounded: input size, nesting depth and object count are capped;
a stream none of the layouts reads gives a `BytecodeError` that says so.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_OBJECTS = 200_000
FLAG_REF = 0x80


class BytecodeError(ValueError):
    """The bytes are not a marshalled code object any known layout reads."""


@dataclass(frozen=True)
class Layout:
    """One Python line's code-object field order."""

    python: str
    ints_before: int  # int32 fields before the bytecode string
    objects: tuple[str, ...]  # marshal objects between the ints and firstlineno
    objects_after: int  # marshal objects after firstlineno


_CLASSIC = ("code", "consts", "names", "varnames", "freevars", "cellvars", "filename", "name")
LAYOUTS = (
    Layout(
        "3.11+",
        5,
        (
            "code",
            "consts",
            "names",
            "localsplusnames",
            "localspluskinds",
            "filename",
            "name",
            "qualname",
        ),
        2,
    ),  # fmt: skip
    Layout("3.8-3.10", 6, _CLASSIC, 1),
    Layout("3.0-3.7", 5, _CLASSIC, 1),
    Layout("2.7", 4, _CLASSIC, 1),
)


@dataclass
class CodeNames:
    """Everything a code object and its nested code objects reference, in first-seen order."""

    python: str  # the layout that read it ("3.8-3.10", "2.7", ...)
    functions: list[str] = field(default_factory=list)  # co_name of each code object
    names: list[str] = field(default_factory=list)  # co_names: globals, attributes, imports
    strings: list[str] = field(default_factory=list)  # string constants

    def as_dict(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "functions": self.functions,
            "names": self.names,
            "strings": self.strings,
        }


def decode_keras_code(code: str) -> bytes:
    """The marshal bytes of a Keras ``func_dump`` string: base64 (Keras 2+) or raw text (Keras 1).

    Mirrors Keras' own ``func_load``: base64 first, raw_unicode_escape when that fails.
    """
    try:
        return base64.b64decode("".join(code.split()).encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        try:
            return code.encode("raw_unicode_escape")
        except UnicodeEncodeError as exc:
            raise BytecodeError(f"code string is neither base64 nor raw text ({exc})") from exc


def read_code_names(data: bytes) -> CodeNames:
    """The names a marshalled code object references; BytecodeError when no layout reads it."""
    if len(data) > MAX_BYTES:
        raise BytecodeError(f"marshalled code of {len(data)} bytes (over {MAX_BYTES}): not read")
    if not data or (data[0] & ~FLAG_REF) != ord("c"):
        head = data[:1].hex() or "nothing"
        raise BytecodeError(f"not a marshalled code object (first byte 0x{head})")
    furthest: tuple[int, str] = (-1, "")
    for layout in LAYOUTS:
        reader = _Reader(data, layout)
        try:
            reader.read_object(0)
        except BytecodeError as exc:
            furthest = max(furthest, (reader.pos, f"as Python {layout.python}: {exc}"))
            continue
        if reader.pos != len(data):
            problem = f"as Python {layout.python}: {len(data) - reader.pos} trailing bytes"
            furthest = max(furthest, (reader.pos, problem))
            continue
        return reader.found
    # The layout that read furthest is the likeliest writer: its problem is the one to show.
    raise BytecodeError(f"no known marshal layout reads it ({furthest[1]})")


@dataclass(frozen=True)
class _Code:
    """A nested code object in a constants tuple (its names are already collected)."""

    name: str


class _Reader:
    """One pass over the stream with one layout; collects names into ``found``."""

    def __init__(self, data: bytes, layout: Layout) -> None:
        self.data = data
        self.pos = 0
        self.layout = layout
        self.refs: list[Any] = []
        self.interned: list[Any] = []  # Python 2 `t` strings, referenced by `R`
        self.count = 0
        self.found = CodeNames(layout.python)

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise BytecodeError(f"truncated at byte {self.pos} (wanted {n} more)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int32(self) -> int:
        return int(struct.unpack("<i", self.take(4))[0])

    def length(self) -> int:
        n = self.int32()
        if n < 0 or n > len(self.data) - self.pos:
            raise BytecodeError(f"length {n} at byte {self.pos - 4} beyond the data")
        return n

    def read_object(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise BytecodeError(f"nested deeper than {MAX_DEPTH}")
        self.count += 1
        if self.count > MAX_OBJECTS:
            raise BytecodeError(f"more than {MAX_OBJECTS} objects")
        start = self.pos
        byte = self.take(1)[0]
        kind, flagged = chr(byte & ~FLAG_REF), bool(byte & FLAG_REF)
        slot = len(self.refs)
        if flagged:
            self.refs.append(None)  # reserved before children, as CPython does for containers
        value = self._value(kind, depth, start)
        if flagged:
            self.refs[slot] = value
        return value

    def _value(self, kind: str, depth: int, start: int) -> Any:
        if kind in "0NFTS.":
            return {"N": None, "F": False, "T": True}.get(kind, kind)
        if kind == "i":
            return self.int32()
        if kind == "I":
            return struct.unpack("<q", self.take(8))[0]
        if kind == "g":
            return struct.unpack("<d", self.take(8))[0]
        if kind == "y":
            return struct.unpack("<dd", self.take(16))
        if kind in "fx":  # text float / complex: one or two length-prefixed strings
            for _ in range(1 if kind == "f" else 2):
                self.take(self.take(1)[0])
            return 0.0
        if kind == "l":
            digits = self.int32()
            if abs(digits) > len(self.data):
                raise BytecodeError(f"long of {digits} digits at byte {start}")
            self.take(2 * abs(digits))
            return 0
        if kind in "zZ":
            return self.take(self.take(1)[0]).decode("latin-1")
        if kind in "aAu" or (kind == "t" and self.layout.python != "2.7"):
            raw = self.take(self.length())
            return raw.decode("utf-8", "replace") if kind in "ut" else raw.decode("latin-1")
        if kind == "t":  # Python 2 interned str
            text = self.take(self.length()).decode("latin-1")
            self.interned.append(text)
            return text
        if kind == "s":
            return self.take(self.length())
        if kind == "R":
            return self._lookup(self.interned, self.int32(), start)
        if kind == "r":
            return self._lookup(self.refs, self.int32(), start)
        if kind in "()[<>":
            n = self.take(1)[0] if kind == ")" else self.length()
            return tuple(self.read_object(depth + 1) for _ in range(n))
        if kind == "{":
            items = []
            while self.data[self.pos : self.pos + 1] != b"0":
                items.append((self.read_object(depth + 1), self.read_object(depth + 1)))
            self.take(1)
            return tuple(items)
        if kind == "c":
            return self._code(depth)
        raise BytecodeError(f"unknown marshal type {kind!r} at byte {start}")

    def _lookup(self, table: list[Any], index: int, start: int) -> Any:
        if not 0 <= index < len(table):
            raise BytecodeError(f"reference {index} at byte {start} to nothing")
        return table[index]

    def _code(self, depth: int) -> _Code:
        layout = self.layout
        for _ in range(layout.ints_before):
            self.int32()
        fields: dict[str, Any] = {}
        for name in layout.objects:
            fields[name] = self.read_object(depth + 1)
        self.int32()  # firstlineno
        for _ in range(layout.objects_after):
            self.read_object(depth + 1)
        self._check(fields)
        found = self.found
        found.functions.append(_text(fields["name"]))
        for name in fields["names"]:
            text = _text(name)
            if text not in found.names:
                found.names.append(text)
        for const in fields["consts"]:
            if isinstance(const, str | bytes):
                text = _text(const)
                if text not in found.strings:
                    found.strings.append(text)
        return _Code(_text(fields["name"]))

    def _check(self, fields: dict[str, Any]) -> None:
        """The layout reads this stream only if every field has its type."""
        if not isinstance(fields["code"], bytes):
            raise BytecodeError("co_code is not a byte string")
        for key in ("consts", "names"):
            if not isinstance(fields[key], tuple):
                raise BytecodeError(f"co_{key} is not a tuple")
        if not all(isinstance(n, str | bytes) for n in fields["names"]):
            raise BytecodeError("co_names holds a non-string")
        if "localspluskinds" in fields and not isinstance(fields["localspluskinds"], bytes):
            raise BytecodeError("co_localspluskinds is not a byte string")
        if "cellvars" in fields and not isinstance(fields["cellvars"], tuple):
            raise BytecodeError("co_cellvars is not a tuple")
        if not isinstance(fields["name"], str | bytes):
            raise BytecodeError("co_name is not a string")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)
