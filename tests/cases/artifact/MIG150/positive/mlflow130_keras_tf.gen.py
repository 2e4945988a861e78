"""MIG150 (mlflow-keras-savedmodel) positive case: the rule must fire here.

MLflow 1.30.1 `mlflow.keras.save_model(save_format="tf")`: the `keras` flavor with the model in
the SavedModel folder `data/model/` (written by real MLflow, `corpus/mlflow_models.py`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow130_keras_tf", CORPUS / "mlflow130_keras_tf")
