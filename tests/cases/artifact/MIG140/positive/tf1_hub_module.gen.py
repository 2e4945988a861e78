"""MIG140 (tfhub-tf1-module) positive case: the rule must fire here.

A TF1 Hub module as `hub.Module(...).export()` lays it out (tensorflow_hub native_module.py and
docs/hosting.md): `tfhub_module.pb` (ModuleDef, format FORMAT_V3 = 3), a TF1 `saved_model.pb`
whose MetaGraphs are the graph variants `set()` and `{"train"}`, each with the `default`
signature `hub.add_signature` writes, and `variables/`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PREDICT, meta_graph, saved_model, signature, tfhub_module_def

DEFAULT = {"default": signature(PREDICT, {"default": "x:0"}, {"default": "y:0"})}


def build(folder: Path) -> Path:
    target = saved_model(
        folder / "tf1_hub_module",
        meta_graph(tags=(), tf_version="1.15.0", signatures=DEFAULT),
        meta_graph(tags=("train",), tf_version="1.15.0", signatures=DEFAULT),
    )
    return tfhub_module_def(target, 3)
