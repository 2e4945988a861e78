"""MIG128 (keras2-wrapper-layers) positive case: the rule must fire here.

An artifact with the pattern: Keras 2 wrapper layers (TimeDistributed, Bidirectional) in an HDF5
model.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import dense, keras_h5, sequential


def build(folder: Path) -> Path:
    target = folder / "time_distributed_dense.h5"
    return keras_h5(
        target,
        sequential(
            {"class_name": "TimeDistributed", "config": {"name": "td", "layer": dense("inner", 2)}}
        ),
        keras_version="2.3.1",
    )
