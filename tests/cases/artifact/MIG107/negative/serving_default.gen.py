"""MIG107 (no-serving-default) negative case: the rule must stay silent here.

Close to, but not: SavedModel without a `serving_default` signature.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PREDICT, meta_graph, saved_model, signature

HALF_PLUS_TWO_SIGS = {
    "serving_default": signature(PREDICT, {"x": "x:0"}, {"y": "y:0"}),
    "classify_x_to_y": signature(
        "tensorflow/serving/classify", {"inputs": "tf_example:0"}, {"scores": "y:0"}
    ),
    "regress_x_to_y": signature(
        "tensorflow/serving/regress", {"inputs": "tf_example:0"}, {"outputs": "y:0"}
    ),
}


def build(folder: Path) -> Path:
    target = folder / "serving_default"
    return saved_model(target, meta_graph(signatures=HALF_PLUS_TWO_SIGS))
