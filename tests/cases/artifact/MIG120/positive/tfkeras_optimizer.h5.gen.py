"""MIG120 (optimizer-state-dropped) positive case: the rule must fire here.

An artifact with the pattern: Optimizer state that will not carry over.
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
    target = folder / "tfkeras_optimizer.h5"
    return keras_h5(
        target, KERAS2_MODEL, keras_version="2.15.0", training=TRAINING_MSE, optimizer_weights=3
    )
