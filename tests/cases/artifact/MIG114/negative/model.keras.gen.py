"""MIG114 (extension-mismatch) negative case: the rule must stay silent here.

Close to, but not: File extension that lies about the content.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "model.keras"
    return keras_zip(target, KERAS3_SEQ)
