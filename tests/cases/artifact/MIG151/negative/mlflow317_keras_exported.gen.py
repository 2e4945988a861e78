"""MIG151 (mlflow-keras2-flavor) negative case: the rule must stay silent.

MLflow 3.17.2 `mlflow.keras.save_model(save_exported_model=True)`: the Keras 3 flavor with the
`model.export()` SavedModel in `data/model/`, which its loader opens with tf.saved_model.load.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow317_keras_exported", CORPUS / "mlflow317_keras_exported")
