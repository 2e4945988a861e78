"""MIG152 (mlflow-stale-environment) negative case: the rule must stay silent.

MLflow 1.30.1 with tensorflow==2.12.1: old, but TF 2.12 wheels exist for Python 3.11, which is
still maintained (`tf_lines.python_max`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    return copy_of(folder / "mlflow130_tf212", CORPUS / "mlflow130_keras_tf")
