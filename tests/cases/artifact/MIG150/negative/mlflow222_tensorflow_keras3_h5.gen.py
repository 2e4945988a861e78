"""MIG150 (mlflow-keras-savedmodel) negative case: the rule must not fire here.

MLflow 2.22.5 `mlflow.tensorflow.save_model(keras_model_kwargs={"save_format": "h5"})` under
Keras 3.3.3: `data/model.h5`, no SavedModel.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow222_tensorflow_keras3_h5", CORPUS / "mlflow222_tensorflow_keras3_h5")
