"""MIG350 (mlflow-pickled-objects) positive case: the rule must fire here.

A `data/custom_objects.cloudpickle` whose opcodes import `posix.system` (a protocol-2 pickle
written byte by byte: it is never loaded, here or by the audit).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"
# PROTO 2, GLOBAL 'posix system', SHORT_BINUNICODE 'true', TUPLE1, REDUCE, STOP
PAYLOAD = b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00true\x85R."


def build(folder: Path) -> Path:
    target = copy_of(folder / "custom_objects_system", CORPUS / "mlflow130_keras_h5")
    (target / "data" / "custom_objects.cloudpickle").write_bytes(PAYLOAD)
    return target
