"""MIG305 (unsafe-graph-ops) negative case: the rule must stay silent here.

Close to, but not: TensorFlow ops that read or write files, reach the network or run Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import graph_def, node


def build(folder: Path) -> Path:
    target = folder / "memmapped_immutable_const.pb"
    return graph_def(
        target, [node("w", "ImmutableConst", [], {"memory_region_name": "memmapped_package://w"})]
    )
