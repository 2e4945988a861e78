"""MIG304 (npz-pickle) positive case: the rule must fire here.

An artifact with the pattern: Pickled objects in `.npz` weights.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "npz_object_arrays.keras"
    return keras_zip(target, KERAS3_SEQ, keras_version="3.6.0", weights="npz")
