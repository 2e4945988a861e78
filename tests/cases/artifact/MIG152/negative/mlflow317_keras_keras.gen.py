"""MIG152 (mlflow-stale-environment) negative case: the rule must stay silent.

MLflow 3.17.2 pins tensorflow==2.21.0, keras==3.15.1 and Python 3.11.7: all install today.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow317_keras_keras", CORPUS / "mlflow317_keras_keras")
