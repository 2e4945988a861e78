"""MIG106 (multiple-metagraphs) negative case: the rule must stay silent here.

Close to, but not: SavedModel with several MetaGraphs (train/eval/serve).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import meta_graph, saved_model


def build(folder: Path) -> Path:
    target = folder / "serve_only"
    return saved_model(target, meta_graph())
