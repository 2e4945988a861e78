"""MIG309 (zip-duplicate-members) negative case: the rule must stay silent here.

Close to, but not: Zip archive listing the same member name twice.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "unique_members.keras"
    return keras_zip(target, KERAS3_SEQ)
