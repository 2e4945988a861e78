"""MIG112 (legacy-h5-model) positive case: the rule must fire here.

An artifact with the pattern: Legacy HDF5 full model (`.h5`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_h5


def build(folder: Path) -> Path:
    target = folder / "keras2_model.h5"
    return keras_h5(target, KERAS2_MODEL)
