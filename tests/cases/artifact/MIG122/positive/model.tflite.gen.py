"""MIG122 (deployment-format) positive case: the rule must fire here.

An artifact with the pattern: Deployment format (TFLite, TF.js): not a source model.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tflite


def build(folder: Path) -> Path:
    target = folder / "model.tflite"
    return tflite(target)
