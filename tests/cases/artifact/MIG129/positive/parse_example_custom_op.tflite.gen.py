"""MIG129 (tflite-custom-ops) positive case: the rule must fire here.

A TFLite model whose one operator is the custom op `ParseExample`: TF 2.21's interpreter fails
with "Encountered unresolved custom op: ParseExample" at `allocate_tensors()`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tflite


def build(folder: Path) -> Path:
    return tflite(folder / "parse_example_custom_op.tflite", "ParseExample")
