"""MIG151 (mlflow-keras2-flavor) positive case: the rule must fire here.

MLflow 1.30.1 `mlflow.keras.save_model(save_format="h5")`: `keras_module`, `save_format` and
`data/model.h5`, loaded through `loader_module: mlflow.keras`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow130_keras_h5", CORPUS / "mlflow130_keras_h5")
