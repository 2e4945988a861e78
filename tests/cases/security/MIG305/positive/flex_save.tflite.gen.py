"""MIG305 (unsafe-graph-ops) positive case: the rule must fire here.

An artifact with the pattern: TensorFlow ops that read or write files, reach the network or run
Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tflite


def build(folder: Path) -> Path:
    target = folder / "flex_save.tflite"
    return tflite(target, "FlexSaveV2")
