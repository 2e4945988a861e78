"""MIG119 (custom-objects-required) negative case: the rule must stay silent here.

Close to, but not: Custom classes or functions required to load.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "keras3_sequential.keras"
    return keras_zip(target, KERAS3_SEQ)
