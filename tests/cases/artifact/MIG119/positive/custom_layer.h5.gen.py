"""MIG119 (custom-objects-required) positive case: the rule must fire here.

An artifact with the pattern: Custom classes or functions required to load.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import dense, keras_h5, sequential

CUSTOM_LAYER = {"class_name": "AttentionPooling", "config": {"name": "pool", "heads": 2}}


def build(folder: Path) -> Path:
    target = folder / "custom_layer.h5"
    return keras_h5(target, sequential(dense("dense_1", 4), CUSTOM_LAYER))
