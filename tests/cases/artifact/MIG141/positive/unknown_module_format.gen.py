"""MIG141 (tfhub-unreadable-module-def) positive case: the rule must fire here.

A TF1 Hub module whose `tfhub_module.pb` declares format 4: module_def.proto defines only
FORMAT_V3 = 3, and tensorflow_hub's loader refuses anything else ("Unsupported module def
format").
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PREDICT, meta_graph, saved_model, signature, tfhub_module_def


def build(folder: Path) -> Path:
    target = saved_model(
        folder / "unknown_module_format",
        meta_graph(
            tags=(), signatures={"default": signature(PREDICT, {"x": "x:0"}, {"default": "y:0"})}
        ),
    )
    return tfhub_module_def(target, 4)
