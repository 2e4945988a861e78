"""MIG152 (mlflow-stale-environment) positive case: the rule must fire here.

Only conda.yaml pins TensorFlow, with an upper bound (`tensorflow<2.11`, conda syntax elsewhere):
the newest release it allows, 2.10, has wheels up to Python 3.10.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import copy_of

CORPUS = Path(__file__).resolve().parents[5] / "corpus" / "mlflow"

CONDA = """\
channels:
- conda-forge
dependencies:
- python=3.11.7
- pip
- pip:
  - mlflow
  - tensorflow>=2.8,<2.11
name: mlflow-env
"""


def build(folder: Path) -> Path:
    target = copy_of(folder / "conda_upper_bound", CORPUS / "mlflow317_keras_keras")
    (target / "conda.yaml").write_text(CONDA)
    (target / "requirements.txt").unlink()
    return target
