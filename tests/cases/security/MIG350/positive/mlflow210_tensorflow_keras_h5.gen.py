"""MIG350 (mlflow-pickled-objects) positive case: the rule must fire here.

MLflow 2.10.2 `mlflow.tensorflow.save_model` writes `data/global_custom_objects.cloudpickle`
(Keras' registered classes, pickled by reference), which loading unpickles.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    name = "mlflow210_tensorflow_keras_h5"
    return copy_of(folder / name, CORPUS / name)
