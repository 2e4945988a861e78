"""MIG114 (extension-mismatch) positive case: the rule must fire here.

An artifact with the pattern: File extension that lies about the content.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_h5


def build(folder: Path) -> Path:
    target = folder / "hdf5_named.keras"
    return keras_h5(target, KERAS2_MODEL, keras_version="2.11.0")
