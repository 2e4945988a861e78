"""MIG305 (unsafe-graph-ops) negative case: the rule must stay silent here.

Close to, but not: TensorFlow ops that read or write files, reach the network or run Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import TF1_SAVER, meta_graph, node, placeholder, saved_model


def build(folder: Path) -> Path:
    target = folder / "tf1_savedmodel_with_saver"
    return saved_model(
        target,
        meta_graph(
            nodes=[
                placeholder("x"),
                node("w", "VariableV2"),
                node("y", "MatMul", ["x", "w"]),
                *TF1_SAVER,
            ]
        ),
    )
