"""MIG102 (keras-savedmodel-no-metadata) negative case: the rule must stay silent here.

Close to, but not: Keras SavedModel from TF 2.0-2.4 without `keras_metadata.pb`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_sm_metadata, saved_model, tf2_graph


def build(folder: Path) -> Path:
    target = folder / "keras_savedmodel_with_metadata"
    return saved_model(
        target,
        tf2_graph(user_objects=[("_tf_keras_sequential", None)]),
        keras_metadata=keras_sm_metadata(KERAS2_MODEL),
    )
