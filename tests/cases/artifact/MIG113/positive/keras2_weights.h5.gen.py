"""MIG113 (legacy-h5-weights) positive case: the rule must fire here.

An artifact with the pattern: Legacy `save_weights` HDF5 file (not a `.weights.h5`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import weights_h5

KERAS2_WEIGHTS = {"dense_1": [("dense_1/kernel:0", (3, 4)), ("dense_1/bias:0", (4,))]}


def build(folder: Path) -> Path:
    target = folder / "keras2_weights.h5"
    return weights_h5(target, KERAS2_WEIGHTS)
