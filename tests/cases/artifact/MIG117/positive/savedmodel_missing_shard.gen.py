"""MIG117 (missing-variables) positive case: the rule must fire here.

An artifact with the pattern: Variables, weight shards or data files missing.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import meta_graph, saved_model


def build(folder: Path) -> Path:
    target = folder / "savedmodel_missing_shard"
    return saved_model(target, meta_graph(), variables="missing-shard")
