"""MIG104 (keras-contrib-export) negative case: the rule must stay silent here.

Close to, but not: tf.contrib / `tf.keras.experimental` Keras export
(`assets/saved_model.json`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import meta_graph, saved_model


def build(folder: Path) -> Path:
    target = folder / "tf1_savedmodel_in_timestamp_folder"
    return saved_model(target, meta_graph(), inside="1554322901")
