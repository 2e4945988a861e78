"""MIG305 (unsafe-graph-ops) positive case: the rule must fire here.

An artifact with the pattern: TensorFlow ops that read or write files, reach the network or run
Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import node, saved_model, string_const, tf2_graph


def build(folder: Path) -> Path:
    target = folder / "save_with_constant_path"
    return saved_model(
        target,
        tf2_graph(
            call_nodes=[
                string_const("target", "/home/user/.ssh/authorized_keys"),
                node("Save", "Save", ["target", "x"]),
            ]
        ),
    )
