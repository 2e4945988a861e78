"""MIG106 (multiple-metagraphs) positive case: the rule must fire here.

An artifact with the pattern: SavedModel with several MetaGraphs (train/eval/serve).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import meta_graph, saved_model, signature

CONTRIB_GRAPHS = (
    meta_graph(
        tags=("train",),
        tf_version="2.0.0-alpha0",
        signatures={
            "train": signature("tensorflow/supervised/training", {"x": "x:0"}, {"loss": "y:0"})
        },
    ),
    meta_graph(
        tags=("eval",),
        tf_version="2.0.0-alpha0",
        signatures={"eval": signature("tensorflow/supervised/eval", {"x": "x:0"}, {"loss": "y:0"})},
    ),
    meta_graph(tags=("serve",), tf_version="2.0.0-alpha0"),
)


def build(folder: Path) -> Path:
    target = folder / "train_eval_serve"
    return saved_model(target, *CONTRIB_GRAPHS)
