"""MIG129 (tflite-custom-ops) negative case: a model of builtin operators only (`ADD`)."""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import tflite


def build(folder: Path) -> Path:
    return tflite(folder / "builtin_add.tflite")
