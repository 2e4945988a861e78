"""MIG350 (mlflow-pickled-objects) negative case: the rule must stay silent.

MLflow 3.17.2 `mlflow.keras.save_model`: a `.keras` inside and no pickle anywhere.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow317_keras_keras", CORPUS / "mlflow317_keras_keras")
