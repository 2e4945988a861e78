"""MIG141 (tfhub-unreadable-module-def) positive case: the rule must fire here.

A FORMAT_V3 module listing a required feature: FORMAT_V3 defines none, and tensorflow_hub's
loader refuses a module requiring one it does not support ("Unsupported features").
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PREDICT, meta_graph, saved_model, signature, tfhub_module_def


def build(folder: Path) -> Path:
    target = saved_model(
        folder / "required_feature",
        meta_graph(
            tags=(), signatures={"default": signature(PREDICT, {"x": "x:0"}, {"default": "y:0"})}
        ),
    )
    return tfhub_module_def(target, 3, ("sparse_v2",))
