"""MIG304 (npz-pickle) negative case: the rule must stay silent here.

Close to, but not: Pickled objects in `.npz` weights.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "h5_weights.keras"
    return keras_zip(target, KERAS3_SEQ)
