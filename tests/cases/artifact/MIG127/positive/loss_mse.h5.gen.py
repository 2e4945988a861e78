"""MIG127 (h5-loss-alias) positive case: the rule must fire here.

An artifact with the pattern: HDF5 model compiled with a loss alias Keras 3 cannot resolve
(`mse`, `mae`...).
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
    target = folder / "loss_mse.h5"
    return keras_h5(target, KERAS2_MODEL, training={**TRAINING_MSE, "loss": "mse"})
