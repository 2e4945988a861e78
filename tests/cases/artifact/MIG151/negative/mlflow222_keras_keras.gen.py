"""MIG151 (mlflow-keras2-flavor) negative case: the rule must not fire here.

MLflow 2.22.5 `mlflow.keras.save_model` under Keras 3.3.3: the Keras 3 flavor (`data/model.keras`,
`keras_version`, `keras_backend`, `save_exported_model: false`), which its loader opens.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow222_keras_keras", CORPUS / "mlflow222_keras_keras")
