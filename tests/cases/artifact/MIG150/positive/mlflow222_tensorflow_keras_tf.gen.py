"""MIG150 (mlflow-keras-savedmodel) positive case: the rule must fire here.

MLflow 2.22.5 `mlflow.tensorflow.save_model` of a tf.keras 2.15 model (default save_format tf):
the SavedModel `data/model/` that Keras 3 refuses.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow222_tensorflow_keras_tf", CORPUS / "mlflow222_tensorflow_keras_tf")
