"""MIG119 (custom-objects-required) positive case: the rule must fire here.

An artifact with the pattern: Custom classes or functions required to load.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_h5

TRAINING_MSE = {
    "loss": "mean_squared_error",
    "metrics": ["accuracy"],
    "optimizer_config": {"class_name": "Adam", "config": {"lr": 0.001}},
}


def build(folder: Path) -> Path:
    target = folder / "custom_loss.h5"
    return keras_h5(target, KERAS2_MODEL, training={**TRAINING_MSE, "loss": "focal_dice"})
