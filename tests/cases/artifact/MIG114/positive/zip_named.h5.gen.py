"""MIG114 (extension-mismatch) positive case: the rule must fire here.

An artifact with the pattern: File extension that lies about the content.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "zip_named.h5"
    return keras_zip(target, KERAS3_SEQ)
