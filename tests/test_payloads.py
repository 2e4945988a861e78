"""Payloads are named without running them: pickles to the callables they import, Lambda bytecode
to the names it references, across pickle protocols and the marshal layouts of Python 2.7 and
3.x, with truncated and foreign data ending in a clear "could not be read".

Pickles and code objects are built here with `pickle.dumps`/`marshal.dumps` (building a payload is
fine; the audit must never load one: `test_security_rules.py` proves that with its canary).
"""

from __future__ import annotations

import base64
import json
import marshal
import os
import pickle
import struct
import zipfile
from pathlib import Path

import h5py
import pytest

from migrator.audit import audit
from migrator.payload.bytecode import (
    MAX_DEPTH,
    BytecodeError,
    decode_keras_code,
    read_code_names,
)
from migrator.payload.pickles import disassemble
from migrator.rules import check_artifact
from migrator.rules.security._dangerous import bytecode_references, dangerous_callable
from tests.cases._writers import KERAS3_SEQ
from tests.conftest import REALWORLD, build_case


class _System:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("id",))


class _Eval:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (eval, ("1+1",))


# --- pickles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_every_protocol_names_os_system(protocol: int) -> None:
    found = disassemble(pickle.dumps(_System(), protocol=protocol))
    assert found.imports == (f"{os.system.__module__}.system",)
    assert found.calls == 1 and found.error is None
    assert dangerous_callable(found.imports[0])


def test_memoized_strings_feed_stack_global() -> None:
    # The same module twice: protocol 4 fetches the second "posix"/"builtins" from the memo.
    data = pickle.dumps([_System(), _System(), _Eval()], protocol=4)
    found = disassemble(data)
    assert set(found.imports) == {f"{os.system.__module__}.system", "builtins.eval"}
    assert found.calls == 3


def test_truncated_and_garbage_pickles_keep_what_was_found() -> None:
    data = pickle.dumps([_System(), _Eval()], protocol=2)
    cut = disassemble(data[: len(data) // 2 + 8])
    assert f"{os.system.__module__}.system" in cut.imports
    assert cut.error and "disassembly stopped" in cut.error
    junk = disassemble(b"\x80\x04\xff\xfe garbage")
    assert junk.imports == () and junk.error


def test_a_plain_numpy_pickle_names_only_numpy() -> None:
    np = pytest.importorskip("numpy")
    found = disassemble(pickle.dumps({"kernel": np.zeros(2)}, protocol=3))
    assert found.imports and all(i.startswith(("numpy.", "_codecs.")) for i in found.imports)
    assert not any(dangerous_callable(i) for i in found.imports)


# --- marshal bytecode --------------------------------------------------------------------------------


def _function():  # type: ignore[no-untyped-def]
    import subprocess

    def inner(y):  # type: ignore[no-untyped-def]
        return eval("1") + __import__("os").system("id")

    return subprocess.Popen(["ls"]), inner


def test_this_python_code_object_with_a_nested_function() -> None:
    names = read_code_names(marshal.dumps(_function.__code__))
    assert names.functions == ["inner", "_function"]
    assert {"subprocess", "Popen", "eval", "__import__", "system"} <= set(names.names)
    assert {"os", "id", "ls"} <= set(names.strings)
    refs = bytecode_references(names.names, names.strings)
    assert "subprocess.Popen" in refs and "eval" in refs and "__import__" in refs
    assert "os (by name)" in refs


def _s(raw: bytes, kind: bytes = b"s") -> bytes:
    return kind + struct.pack("<i", len(raw)) + raw


def _t(*items: bytes) -> bytes:
    return b"(" + struct.pack("<i", len(items)) + b"".join(items)


def _z(text: str, kind: bytes = b"Z") -> bytes:
    return kind + bytes([len(text)]) + text.encode()


def test_python27_layout_with_interned_string_references() -> None:
    """`lambda x: os.system(x)` as Python 2.7 marshals it: 4 ints, `t` interned names, `R` refs."""
    code = (
        b"c" + struct.pack("<4i", 1, 1, 2, 67)
        + _s(b"t\x00\x00j\x01\x00|\x00\x00\x83\x01\x00S")
        + _t(b"N")
        + _t(_s(b"os", b"t"), _s(b"system", b"t"))
        + _t(_s(b"x", b"t"))
        + _t() + _t()
        + _s(b"<stdin>")
        + _s(b"<lambda>", b"t")
        + struct.pack("<i", 1)
        + _s(b"")
    )  # fmt: skip
    names = read_code_names(code)
    assert names.python == "2.7" and names.names == ["os", "system"]
    assert bytecode_references(names.names, names.strings) == ["os.system"]
    # an `R` reference back to an interned string (index 1 = "system") reads the same
    again = code.replace(_t(_s(b"x", b"t")), _t(b"R" + struct.pack("<i", 1)))
    assert read_code_names(again).names == ["os", "system"]


@pytest.mark.parametrize(("ints", "python"), [(5, "3.0-3.7"), (6, "3.8-3.10")])
def test_python3_layouts_before_311(ints: int, python: str) -> None:
    """A 3.x code object with FLAG_REF'd short ascii strings and an `r` back-reference."""
    head = b"\xe3" + struct.pack(f"<{ints}i", *([1] * (ints - 1) + [67]))
    code = (
        head
        + _s(b"t\x00\xa0\x01|\x00\xa1\x01S\x00")
        + b")\x01N"
        + b")\x02" + _z("os", b"\xda") + _z("system", b"\xda")
        + b")\x01" + _z("x", b"\xda")
        + b"\xa9\x00" + b"r" + struct.pack("<i", 4)  # freevars (), cellvars: ref 4, the same ()
        + _z("<stdin>", b"\xfa")
        + _z("<lambda>", b"\xda")
        + struct.pack("<i", 1)
        + _s(b"")
    )  # fmt: skip
    names = read_code_names(code)
    assert names.python == python and names.names == ["os", "system"]


def test_truncated_foreign_and_hostile_bytecode_are_bounded_errors() -> None:
    good = marshal.dumps(_function.__code__)
    with pytest.raises(BytecodeError, match="no known marshal layout reads it"):
        read_code_names(good[: len(good) // 2])
    with pytest.raises(BytecodeError, match="not a marshalled code object"):
        read_code_names(marshal.dumps(("a", "b")))
    deep = b"\xe3" + struct.pack("<5i", 0, 0, 0, 1, 67) + _s(b"") + b"(\x01\x00\x00\x00" * 500
    with pytest.raises(BytecodeError):
        read_code_names(deep)
    assert MAX_DEPTH < 500
    huge = b"\xe3" + struct.pack("<5i", 0, 0, 0, 1, 67) + b"s" + struct.pack("<i", 2**30)
    with pytest.raises(BytecodeError, match="no known marshal layout"):
        read_code_names(huge)


def test_keras_encodings_base64_and_keras1_raw_text() -> None:
    raw = marshal.dumps(_function.__code__)
    keras2 = base64.encodebytes(raw).decode("ascii")  # Keras 2 writes newlines every 76 chars
    assert decode_keras_code(keras2) == raw
    keras1 = raw.decode("raw_unicode_escape")  # Keras 1 func_dump
    assert decode_keras_code(keras1) == raw


# --- the rules name them -------------------------------------------------------------------------


def _h5_with_lambda(path: Path, code: str) -> Path:
    layer = {"class_name": "Lambda", "config": {"name": "lambda_1", "function": [code, None, None],
             "function_type": "lambda", "module": "__main__", "arguments": {}}}  # fmt: skip
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [layer]}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        f.create_group("model_weights").attrs["layer_names"] = []
    return path


def _finding(path: Path, rule: str) -> tuple[str, str]:
    (artifact,) = audit([path], judges=[check_artifact]).artifacts
    (finding,) = [f for f in artifact.findings if f.rule == rule]
    return finding.message, finding.severity


def test_mig301_names_what_lambda_bytecode_references(tmp_path: Path) -> None:
    code = base64.b64encode(marshal.dumps(_function.__code__)).decode()
    message, severity = _finding(_h5_with_lambda(tmp_path / "m.h5", code), "MIG301")
    assert "`lambda_1` function: bytecode references" in message
    assert "`subprocess.Popen`" in message and "`eval`" in message
    assert severity == "critical"


def test_mig301_unreadable_bytecode_still_says_bytecode_is_present(tmp_path: Path) -> None:
    code = base64.b64encode(marshal.dumps(_function.__code__)[:40]).decode()
    message, severity = _finding(_h5_with_lambda(tmp_path / "m.h5", code), "MIG301")
    assert "bytecode present, names could not be read" in message
    assert "marshalled Python bytecode" in message and severity == "critical"


def test_mig301_keras3_lambda_case_names_its_payload(tmp_path: Path) -> None:
    target = build_case("MIG301", "positive", "keras3_lambda.keras", tmp_path)
    message, _ = _finding(target, "MIG301")
    # the case's code string is a truncated code object: present, names unreadable, said once
    assert message.startswith("1 layer(s) with marshalled Python bytecode in config.json")
    assert (
        "`scale` function: bytecode present, names could not be read (no known marshal" in message
    )


def test_mig304_names_the_callables_a_pickle_imports(tmp_path: Path) -> None:
    target = tmp_path / "m.keras"
    with zipfile.ZipFile(target, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        z.writestr("config.json", json.dumps(KERAS3_SEQ))
        z.writestr("model.weights.npz", pickle.dumps(_System(), protocol=2))
    message, severity = _finding(target, "MIG304")
    assert f"pickle in `model.weights.npz` calls `{os.system.__module__}.system`" in message
    assert severity == "critical"


def test_mig304_numpy_only_pickles_are_high_not_critical(tmp_path: Path) -> None:
    target = build_case("MIG304", "positive", "npz_object_arrays.keras", tmp_path)
    message, severity = _finding(target, "MIG304")
    assert severity == "high" and "only rebuilds NumPy arrays" in message


def test_real_malicious_payloads_are_named() -> None:
    root = REALWORLD / "artifacts"
    if not root.is_dir():
        pytest.skip(f"real-world artifacts not available at {REALWORLD}")
    h5 = root / "kosenko_lambda_marshal_h5_tfk215" / "malicious_model.h5"
    message, _ = _finding(h5, "MIG301")
    assert "`lambda` function: bytecode references `os.system`" in message
    assert "cp /app/flag.txt" in message
    message, severity = _finding(root / "evilkeras_npz_dupentry_k36" / "model.keras", "MIG304")
    assert "pickle in `model.weights.npz#2` calls `os.system`" in message
    assert severity == "critical"
    # Keras 1.2-era preprocessing lambdas (Python 3.0-3.7 bytecode): read, nothing dangerous
    message, _ = _finding(root / "dv_k120_fullmodel_lambda" / "model.json", "MIG301")
    assert "bytecode (Python 3.0-3.7) references no global names" in message


def test_protocol0_inst_and_global_opcodes_are_named() -> None:
    inst = b"(S'id'\nios\nsystem\n."  # INST: import os.system and call it with the marked args
    found = disassemble(inst)
    assert found.imports == ("os.system",) and found.calls == 1
    glob = b"csubprocess\nPopen\n(S'ls'\ntR."  # GLOBAL + REDUCE
    found = disassemble(glob)
    assert found.imports == ("subprocess.Popen",) and found.calls == 1
