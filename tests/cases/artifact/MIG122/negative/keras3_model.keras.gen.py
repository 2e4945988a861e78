"""MIG122 (deployment-format) negative case: the rule must stay silent here.

Close to, but not: Deployment format (TFLite, TF.js): not a source model.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "keras3_model.keras"
    return keras_zip(target, KERAS3_SEQ)
