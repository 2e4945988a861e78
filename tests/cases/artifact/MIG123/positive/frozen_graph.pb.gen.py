"""MIG123 (bare-graphdef) positive case: the rule must fire here.

An artifact with the pattern: Bare GraphDef (frozen graph or graph without its variables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.cases._writers import DT_FLOAT, graph_def, node, placeholder


def frozen_nodes() -> list[Any]:
    """A frozen graph: the weights are a Const, no variable op left."""
    weights = node("w", "Const")
    weights.attr["dtype"].type = DT_FLOAT
    return [placeholder("input"), weights, node("logits", "MatMul", ["input", "w"])]


def build(folder: Path) -> Path:
    target = folder / "frozen_graph.pb"
    return graph_def(target, frozen_nodes())
