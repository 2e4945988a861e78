"""MIG102 (keras-savedmodel-no-metadata) positive case: the rule must fire here.

An artifact with the pattern: Keras SavedModel from TF 2.0-2.4 without `keras_metadata.pb`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, saved_model, tf2_graph

TF2_KERAS_OBJECT_GRAPH = [
    (
        "_tf_keras_sequential",
        {
            "class_name": "Sequential",
            "name": "sequential",
            "keras_version": "2.4.0",
            "backend": "tensorflow",
            "config": KERAS2_MODEL["config"],
            "model_config": KERAS2_MODEL,
        },
    )
]


def build(folder: Path) -> Path:
    target = folder / "keras_savedmodel_tf23_object_graph"
    return saved_model(target, tf2_graph("2.3.1", user_objects=TF2_KERAS_OBJECT_GRAPH))
