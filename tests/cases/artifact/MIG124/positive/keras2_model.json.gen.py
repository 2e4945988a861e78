"""MIG124 (keras2-architecture-file) positive case: the rule must fire here.

An artifact with the pattern: Keras 1/2 architecture file (`to_json`/`to_yaml`).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cases._writers import KERAS2_MODEL


def build(folder: Path) -> Path:
    target = folder / "keras2_model.json"
    target.write_text(
        json.dumps({**KERAS2_MODEL, "keras_version": "2.3.1", "backend": "tensorflow"}),
        encoding="utf-8",
    )
    return target
