"""MIG117 (missing-variables) negative case: the rule must stay silent here.

Close to, but not: Variables, weight shards or data files missing.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import meta_graph, saved_model


def build(folder: Path) -> Path:
    target = folder / "savedmodel_complete"
    return saved_model(target, meta_graph())
