"""MIG113 (legacy-h5-weights) positive case: the rule must fire here.

An artifact with the pattern: Legacy `save_weights` HDF5 file (not a `.weights.h5`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import weights_h5

KERAS1_WEIGHTS = {
    "lstm_1": [(f"lstm_1_{w}_{g}", (3, 4) if w != "b" else (4,)) for g in "icfo" for w in "WUb"]
}


def build(folder: Path) -> Path:
    target = folder / "keras1_lstm_weights.h5"
    return weights_h5(target, KERAS1_WEIGHTS, keras_version=None, backend=None)
