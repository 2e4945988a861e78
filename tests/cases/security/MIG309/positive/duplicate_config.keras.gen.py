"""MIG309 (zip-duplicate-members) positive case: the rule must fire here.

An artifact with the pattern: Zip archive listing the same member name twice.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "duplicate_config.keras"
    return keras_zip(target, KERAS3_SEQ, duplicate=("config.json", json.dumps(KERAS3_SEQ).encode()))
