"""MIG129 (tflite-custom-ops) positive case: a Select TF (`Flex*`) op needs the Flex delegate."""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tflite


def build(folder: Path) -> Path:
    return tflite(folder / "flex_add.tflite", "FlexAddV2")
