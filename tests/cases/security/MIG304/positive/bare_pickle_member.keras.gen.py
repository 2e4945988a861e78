"""MIG304 (npz-pickle) positive case: the rule must fire here.

An artifact with the pattern: Pickled objects in `.npz` weights.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "bare_pickle_member.keras"
    return keras_zip(
        target,
        KERAS3_SEQ,
        keras_version="3.6.0",
        weights="none",
        extra={"model.weights.npz": pickle.dumps({"inert": [1, 2, 3]}, protocol=4)},
    )
