"""MIG101 (keras-savedmodel) positive case: the rule must fire here.

An artifact with the pattern: Keras SavedModel written by `model.save(dir)`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_sm_metadata, saved_model, tf2_graph


def build(folder: Path) -> Path:
    target = folder / "keras_savedmodel_tf215"
    return saved_model(
        target,
        tf2_graph(user_objects=[("_tf_keras_sequential", None)]),
        keras_metadata=keras_sm_metadata(KERAS2_MODEL),
    )
