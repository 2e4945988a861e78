"""MIG140 (tfhub-tf1-module) negative case: the rule must stay silent here.

The same TF1 SavedModel with the hub graph variants but no `tfhub_module.pb`: tensorflow_hub
treats it as a plain SavedModel (the ModuleDef file is what marks the hub.Module format), so it
is audited as a `saved-model`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PREDICT, meta_graph, saved_model, signature

DEFAULT = {"default": signature(PREDICT, {"default": "x:0"}, {"default": "y:0"})}


def build(folder: Path) -> Path:
    return saved_model(
        folder / "tf1_savedmodel_without_module_def",
        meta_graph(tags=(), tf_version="1.15.0", signatures=DEFAULT),
        meta_graph(tags=("train",), tf_version="1.15.0", signatures=DEFAULT),
    )
