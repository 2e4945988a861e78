"""MIG124 (keras2-architecture-file) negative case: the rule must stay silent here.

Close to, but not: Keras 1/2 architecture file (`to_json`/`to_yaml`).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cases._writers import KERAS3_SEQ


def build(folder: Path) -> Path:
    target = folder / "keras3_model.json"
    target.write_text(json.dumps(KERAS3_SEQ), encoding="utf-8")
    return target
