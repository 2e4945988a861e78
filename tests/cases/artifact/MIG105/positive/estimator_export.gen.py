"""MIG105 (estimator-export) positive case: the rule must fire here.

An artifact with the pattern: Estimator / `export_savedmodel` export.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PREDICT, meta_graph, saved_model, signature

ESTIMATOR_SIGS = {
    "serving_default": signature(
        "tensorflow/serving/classify",
        {"inputs": "input_example_tensor:0"},
        {"scores": "head/probabilities:0"},
    ),
    "predict": signature(PREDICT, {"examples": "input_example_tensor:0"}, {"logits": "add:0"}),
}


def build(folder: Path) -> Path:
    target = folder / "estimator_export"
    return saved_model(
        target, meta_graph(tf_version="1.15.0", signatures=ESTIMATOR_SIGS), inside="1646034756"
    )
