"""MIG103 (tf1-savedmodel) positive case: the rule must fire here.

An artifact with the pattern: TF1 graph-mode SavedModel (no object graph).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import meta_graph, saved_model


def build(folder: Path) -> Path:
    target = folder / "tf1_builder_savedmodel"
    return saved_model(target, meta_graph())
