"""MIG150 (mlflow-keras-savedmodel) negative case: the rule must stay silent.

MLflow 3.17.2 `mlflow.tensorflow.save_model(keras_model)` under TF 2.21 still records
`save_format: tf`, but writes `data/model.keras`: what the flavor records is not the file.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    name = "mlflow317_tensorflow_keras_keras"
    return copy_of(folder / name, CORPUS / name)
