"""MIG120 (optimizer-state-dropped) negative case: the rule must stay silent here.

Close to, but not: Optimizer state that will not carry over.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_h5

TRAINING_MSE = {
    "loss": "mean_squared_error",
    "metrics": ["accuracy"],
    "optimizer_config": {"class_name": "Adam", "config": {"lr": 0.001}},
}


def build(folder: Path) -> Path:
    target = folder / "keras3_optimizer.h5"
    return keras_h5(
        target, KERAS3_SEQ, keras_version="3.8.0", training=TRAINING_MSE, optimizer_weights=3
    )
