"""MIG151 (mlflow-keras2-flavor) positive case: the rule must fire here.

MLflow 0.9.1 `mlflow.keras.save_model`: `model.h5` at the folder root (`data: model.h5`), no
`mlflow_version`; the Keras 3 `mlflow.keras` looks for `model.h5/model.h5.keras`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow09_keras_h5", CORPUS / "mlflow09_keras_h5")
