"""MIG108 (keras1-config) positive case: the rule must fire here.

An artifact with the pattern: Keras 1 model config (layer classes and arguments Keras 2 renamed
or removed).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras_h5

KERAS1_CNN = {
    "class_name": "Sequential",
    "config": [
        {
            "class_name": "Convolution2D",
            "config": {
                "name": "convolution2d_1",
                "nb_filter": 4,
                "nb_row": 3,
                "nb_col": 3,
                "border_mode": "same",
                "dim_ordering": "th",
                "init": "glorot_uniform",
                "activation": "relu",
                "batch_input_shape": [None, 1, 8, 8],
            },
        },
        {"class_name": "Flatten", "config": {"name": "flatten_1"}},
        {"class_name": "Dense", "config": {"name": "dense_1", "output_dim": 2, "init": "uniform"}},
    ],
}


def build(folder: Path) -> Path:
    target = folder / "keras1_cnn.h5"
    return keras_h5(target, KERAS1_CNN, keras_version="1.2.2", backend=None)
