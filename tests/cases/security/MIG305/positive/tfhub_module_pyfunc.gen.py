"""MIG305 (unsafe-graph-ops) positive case: the rule must fire here.

A TF1 Hub module whose inference graph calls Python (`PyFunc`): the module format does not hide
its graph from the op scan; hub.load or hub.Module would run the op when the signature runs.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import (
    PREDICT,
    meta_graph,
    node,
    placeholder,
    saved_model,
    signature,
    tfhub_module_def,
)


def build(folder: Path) -> Path:
    nodes = [placeholder("x"), node("w", "VariableV2"), node("y", "PyFunc", ["x", "w"])]
    target = saved_model(
        folder / "tfhub_module_pyfunc",
        meta_graph(
            tags=(),
            nodes=nodes,
            signatures={"default": signature(PREDICT, {"default": "x:0"}, {"default": "y:0"})},
        ),
    )
    return tfhub_module_def(target, 3)
