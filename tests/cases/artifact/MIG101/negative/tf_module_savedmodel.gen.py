"""MIG101 (keras-savedmodel) negative case: the rule must stay silent here.

Close to, but not: Keras SavedModel written by `model.save(dir)`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import saved_model, tf2_graph


def build(folder: Path) -> Path:
    target = folder / "tf_module_savedmodel"
    return saved_model(target, tf2_graph())
