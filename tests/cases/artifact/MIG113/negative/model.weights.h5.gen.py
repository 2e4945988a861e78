"""MIG113 (legacy-h5-weights) negative case: the rule must stay silent here.

Close to, but not: Legacy `save_weights` HDF5 file (not a `.weights.h5`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import v3_weights_h5


def build(folder: Path) -> Path:
    target = folder / "model.weights.h5"
    return v3_weights_h5(target)
