"""MIG121 (session-bundle) negative case: the rule must stay silent here.

Close to, but not: SessionBundle export (pre-SavedModel).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import meta_graph, saved_model


def build(folder: Path) -> Path:
    target = folder / "tf1_savedmodel"
    return saved_model(target, meta_graph())
