"""MIG107 (no-serving-default) positive case: the rule must fire here.

An artifact with the pattern: SavedModel without a `serving_default` signature.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import saved_model, tf2_graph


def build(folder: Path) -> Path:
    target = folder / "module_without_signatures"
    return saved_model(target, tf2_graph(signatures={}))
