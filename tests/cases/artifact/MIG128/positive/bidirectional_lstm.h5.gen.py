"""MIG128 (keras2-wrapper-layers) positive case: the rule must fire here.

An artifact with the pattern: Keras 2 wrapper layers (TimeDistributed, Bidirectional) in an HDF5
model.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import dense, keras_h5, sequential


def build(folder: Path) -> Path:
    target = folder / "bidirectional_lstm.h5"
    return keras_h5(
        target,
        sequential(
            {
                "class_name": "Bidirectional",
                "config": {
                    "name": "bi",
                    "layer": {"class_name": "LSTM", "config": {"name": "lstm", "units": 4}},
                },
            },
            dense("dense_1", 1),
        ),
        keras_version="2.12.0",
    )
