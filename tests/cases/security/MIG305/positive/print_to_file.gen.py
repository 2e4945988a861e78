"""MIG305 (unsafe-graph-ops) positive case: the rule must fire here.

An artifact with the pattern: TensorFlow ops that read or write files, reach the network or run
Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import node, saved_model, tf2_graph


def build(folder: Path) -> Path:
    target = folder / "print_to_file"
    return saved_model(
        target,
        tf2_graph(
            call_nodes=[
                node(
                    "PrintV2",
                    "PrintV2",
                    ["x"],
                    {"output_stream": "file:///tmp/leak.txt", "end": "\n"},
                )
            ]
        ),
    )
