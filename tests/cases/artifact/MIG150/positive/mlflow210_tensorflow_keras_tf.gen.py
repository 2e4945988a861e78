"""MIG150 (mlflow-keras-savedmodel) positive case: the rule must fire here.

MLflow 2.10.2 `mlflow.tensorflow.save_model(keras_model)` under TF 2.15: the `tensorflow` flavor
with `model_type: keras`, `save_format: tf` and the SavedModel folder `data/model/`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(
        folder / "mlflow210_tensorflow_keras_tf", CORPUS / "mlflow210_tensorflow_keras_tf"
    )
