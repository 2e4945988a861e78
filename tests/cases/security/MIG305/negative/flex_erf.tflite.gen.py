"""MIG305 (unsafe-graph-ops) negative case: the rule must stay silent here.

Close to, but not: TensorFlow ops that read or write files, reach the network or run Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tflite


def build(folder: Path) -> Path:
    target = folder / "flex_erf.tflite"
    return tflite(target, "FlexErf")
