"""MIG303 (opaque-custom-model) positive case: the rule must fire here.

An artifact with the pattern: Model defined entirely by code outside the artifact.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras_h5


def build(folder: Path) -> Path:
    target = folder / "subclassed_empty_config.h5"
    return keras_h5(
        target,
        {"class_name": "Net", "config": {"trainable": True, "dtype": "float32"}},
        keras_version="3.3.3",
        layers={"dense": [("net/dense/kernel", (3, 2))]},
    )
