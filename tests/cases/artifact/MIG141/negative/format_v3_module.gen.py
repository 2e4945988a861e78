"""MIG141 (tfhub-unreadable-module-def) negative case: the rule must stay silent here.

A FORMAT_V3 module with no required features: what every hub.Module export writes.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PREDICT, meta_graph, saved_model, signature, tfhub_module_def


def build(folder: Path) -> Path:
    target = saved_model(
        folder / "format_v3_module",
        meta_graph(
            tags=(), signatures={"default": signature(PREDICT, {"x": "x:0"}, {"default": "y:0"})}
        ),
    )
    return tfhub_module_def(target, 3)
