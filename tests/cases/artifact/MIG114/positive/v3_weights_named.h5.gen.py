"""MIG114 (extension-mismatch) positive case: the rule must fire here.

An artifact with the pattern: File extension that lies about the content.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import v3_weights_h5


def build(folder: Path) -> Path:
    target = folder / "v3_weights_named.h5"
    return v3_weights_h5(target)
