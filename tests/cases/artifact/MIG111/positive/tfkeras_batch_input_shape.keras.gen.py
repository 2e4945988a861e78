"""MIG111 (tfkeras-keras-v3-config) positive case: the rule must fire here.

An artifact with the pattern: `.keras` file from tf.keras 2.13-2.15 with config Keras 3 rejects.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras_zip

TFKERAS_SEQ = {
    "module": "keras",
    "class_name": "Sequential",
    "registered_name": None,
    "config": {
        "name": "sequential",
        "layers": [
            {
                "module": "keras.layers",
                "class_name": "Dense",
                "registered_name": None,
                "config": {"name": "dense", "units": 2, "batch_input_shape": [None, 3]},
            }
        ],
    },
}


def build(folder: Path) -> Path:
    target = folder / "tfkeras_batch_input_shape.keras"
    return keras_zip(target, TFKERAS_SEQ, keras_version="2.15.0")
