"""MIG305 (unsafe-graph-ops) positive case: the rule must fire here.

An artifact with the pattern: TensorFlow ops that read or write files, reach the network or run
Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import graph_def, node, placeholder, string_const


def build(folder: Path) -> Path:
    target = folder / "writefile_graph.pb"
    return graph_def(
        target,
        [
            placeholder("x"),
            string_const("dst", "/tmp/out.txt"),
            node("WriteFile", "WriteFile", ["dst", "x"]),
        ],
    )
