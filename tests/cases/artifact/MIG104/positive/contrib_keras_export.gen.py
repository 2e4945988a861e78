"""MIG104 (keras-contrib-export) positive case: the rule must fire here.

An artifact with the pattern: tf.contrib / `tf.keras.experimental` Keras export
(`assets/saved_model.json`).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, meta_graph, saved_model, signature

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
    target = folder / "contrib_keras_export"
    return saved_model(
        target,
        *CONTRIB_GRAPHS,
        assets={"saved_model.json": json.dumps(KERAS2_MODEL).encode()},
        inside="1554322901",
    )
