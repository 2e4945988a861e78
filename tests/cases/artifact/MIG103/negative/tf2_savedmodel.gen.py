"""MIG103 (tf1-savedmodel) negative case: the rule must stay silent here.

Close to, but not: TF1 graph-mode SavedModel (no object graph).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import saved_model, tf2_graph


def build(folder: Path) -> Path:
    target = folder / "tf2_savedmodel"
    return saved_model(target, tf2_graph())
