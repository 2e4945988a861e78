"""MIG126 (keras-npz-weights) positive case: the rule must fire here.

An artifact with the pattern: `.keras` archive with `.npz` weights.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "npz_weights.keras"
    return keras_zip(target, KERAS3_SEQ, keras_version="3.1.0", weights="npz")
