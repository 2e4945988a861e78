"""MIG152 (mlflow-stale-environment) positive case: the rule must fire here.

A folder logged from TF 2.4 (`tensorflow==2.4.1` in requirements.txt; its wheels stop at
Python 3.8) with `python_env.yaml` pinning Python 3.8.10.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"


def build(folder: Path) -> Path:
    target = copy_of(folder / "tf24_requirements", CORPUS / "mlflow130_keras_h5")
    (target / "requirements.txt").write_text("mlflow==1.14.1\ntensorflow==2.4.1\n")
    (target / "python_env.yaml").write_text(
        "python: 3.8.10\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n"
    )
    mlmodel = (
        (target / "MLmodel").read_text().replace("python_version: 3.11.7", "python_version: 3.8.10")
    )
    (target / "MLmodel").write_text(mlmodel)
    return target
