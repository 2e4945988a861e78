"""MIG129 (tflite-custom-ops) negative case: `TFLite_Detection_PostProcess` is a custom code the
stock interpreter registers itself (BuiltinOpResolver `AddCustom`, checked with TF 2.21).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tflite


def build(folder: Path) -> Path:
    return tflite(folder / "detection_postprocess.tflite", "TFLite_Detection_PostProcess")
