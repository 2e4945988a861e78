"""MIG101 (keras-savedmodel) negative case: the rule must stay silent here.

Close to, but not: Keras SavedModel written by `model.save(dir)`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import FIXTURES, copy_of


def build(folder: Path) -> Path:
    target = folder / "keras3_model_export"
    return copy_of(target, FIXTURES / "artifact_rules/current/classifier_export")
