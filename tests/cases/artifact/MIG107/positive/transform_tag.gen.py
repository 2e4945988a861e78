"""MIG107 (no-serving-default) positive case: the rule must fire here.

An artifact with the pattern: SavedModel without a `serving_default` signature.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PREDICT, meta_graph, saved_model, signature


def build(folder: Path) -> Path:
    target = folder / "transform_tag"
    return saved_model(
        target,
        meta_graph(
            tags=("transform",),
            signatures={"transform_signature": signature(PREDICT, {"x": "x:0"}, {"y": "y:0"})},
        ),
    )
