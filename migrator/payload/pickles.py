"""The callables a pickle imports and calls, read from its opcodes with `pickletools`.

A pickle is a program for a small stack machine: `GLOBAL`/`STACK_GLOBAL`/`INST` import a
callable by module and name, `REDUCE`/`OBJ`/`NEWOBJ`/`INST` call it. Loading a pickle runs that
program; disassembling it with ``pickletools.genops`` only decodes the opcode stream. We follow
just enough of the stack to know the two strings a `STACK_GLOBAL` pops (pushed directly or fetched
from the memo), which is how protocol 2+ pickles name `os.system`.

Bounded: at most ``MAX_BYTES`` are read and ``MAX_OPS`` opcodes decoded; a stream that ends early
or holds an unknown opcode keeps what was found before it and says where it stopped.
"""

from __future__ import annotations

import io
import pickletools
import struct
import zipfile
from dataclasses import dataclass
from typing import IO, Any

MAX_BYTES = 16 * 1024 * 1024
MAX_OPS = 1_000_000

# Opcodes that push a string the next STACK_GLOBAL may pop as module or name.
_STRING_PUSHES = frozenset(
    {
        "STRING",
        "BINSTRING",
        "SHORT_BINSTRING",
        "UNICODE",
        "BINUNICODE",
        "SHORT_BINUNICODE",
        "BINUNICODE8",
    }
)
_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_CALLS = frozenset({"REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX"})


@dataclass(frozen=True)
class PickleCalls:
    """What one pickle imports (``module.name``, in order, once each) and whether it calls."""

    imports: tuple[str, ...]
    calls: int  # REDUCE/INST/OBJ/NEWOBJ opcodes: how many calls loading makes
    protocol: int | None
    error: str | None  # where and why disassembly stopped early, if it did

    def as_dict(self) -> dict[str, Any]:
        return {
            "imports": list(self.imports),
            "calls": self.calls,
            "protocol": self.protocol,
            "error": self.error,
        }


def looks_like_pickle(head: bytes) -> bool:
    """A protocol 2-5 header (``\\x80`` + protocol byte)."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def disassemble(data: bytes | IO[bytes]) -> PickleCalls:
    """The callables one pickle imports, from its opcodes only. Never raises on bad input."""
    if isinstance(data, bytes | bytearray):
        stream: IO[bytes] = io.BytesIO(bytes(data[:MAX_BYTES]))
        limited = len(data) > MAX_BYTES
    else:
        raw = data.read(MAX_BYTES + 1)
        limited = len(raw) > MAX_BYTES
        stream = io.BytesIO(raw[:MAX_BYTES])
    imports: dict[str, None] = {}
    memo: dict[int, str | None] = {}
    pushed: list[str | None] = []  # the values of recent pushes that matter (strings or None)
    calls = 0
    protocol: int | None = None
    error: str | None = None
    count = 0
    try:
        for opcode, arg, _pos in pickletools.genops(stream):
            count += 1
            if count > MAX_OPS:
                error = f"stopped after {MAX_OPS} opcodes"
                break
            name = opcode.name
            if name == "PROTO":
                protocol = int(arg)
            elif name in _STRING_PUSHES:
                value = arg.decode("latin-1") if isinstance(arg, bytes) else arg
                pushed.append(value if isinstance(value, str) else None)
            elif name in _GETS:
                pushed.append(memo.get(int(arg)))
            elif name in _PUTS:
                memo[int(arg)] = pushed[-1] if pushed else None
            elif name == "MEMOIZE":
                memo[len(memo)] = pushed[-1] if pushed else None
            elif name in ("GLOBAL", "INST"):
                module, _, attr = str(arg).partition(" ")
                imports.setdefault(f"{module}.{attr}")
                pushed.append(None)
                calls += name == "INST"
            elif name == "STACK_GLOBAL":
                attr = pushed.pop() if pushed else None
                module = pushed.pop() if pushed else None
                imports.setdefault(f"{module or '?'}.{attr or '?'}")
                pushed.append(None)
            elif name in _CALLS:
                calls += 1
                pushed.append(None)
            elif opcode.stack_after:
                pushed.append(None)
            if len(pushed) > 4096:
                del pushed[:2048]
            if name == "STOP":
                break
    except Exception as exc:  # truncated stream, unknown opcode, bad argument
        error = f"disassembly stopped: {exc}"
    if limited and error is None:
        error = f"only the first {MAX_BYTES} bytes were read"
    return PickleCalls(tuple(imports), calls, protocol, error)


def npy_pickle(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> PickleCalls:
    """The pickle after the header of an object-dtype ``.npy`` member (NumPy pickles those)."""
    try:
        with archive.open(info) as fh:
            magic = fh.read(8)
            if len(magic) < 8 or magic[:6] != b"\x93NUMPY":
                return PickleCalls((), 0, None, "no .npy magic")
            size = 2 if magic[6] == 1 else 4
            (length,) = struct.unpack("<H" if size == 2 else "<I", fh.read(size))
            fh.read(length)
            return disassemble(fh)
    except Exception as exc:  # truncated/corrupt nested member
        return PickleCalls((), 0, None, f"unreadable ({type(exc).__name__}: {exc})")
