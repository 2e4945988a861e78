"""MIG123 (bare-graphdef) positive case: the rule must fire here.

An artifact with the pattern: Bare GraphDef (frozen graph or graph without its variables).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import graph_def, node, placeholder


def build(folder: Path) -> Path:
    target = folder / "graph_with_variables.pb"
    return graph_def(
        target, [placeholder("x"), node("w", "VariableV2"), node("y", "MatMul", ["x", "w"])]
    )
