"""MIG150 (mlflow-keras-savedmodel) negative case: the rule must stay silent.

MLflow 1.30.1 `mlflow.keras.save_model(save_format="h5")`: a legacy flavor (MIG151), but the
model is an HDF5 file, not a SavedModel folder.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow130_keras_h5", CORPUS / "mlflow130_keras_h5")
