"""MIG305 (unsafe-graph-ops) negative case: the rule must stay silent here.

Close to, but not: TensorFlow ops that read or write files, reach the network or run Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import graph_def, node, placeholder


def build(folder: Path) -> Path:
    target = folder / "print_to_stderr.pb"
    return graph_def(
        target,
        [
            placeholder("x"),
            node("PrintV2", "PrintV2", ["x"], {"output_stream": "stderr", "end": "\n"}),
        ],
    )
