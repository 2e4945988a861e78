"""MIG151 (mlflow-keras2-flavor) positive case: the rule must fire here.

Reproduced from the MLflow 0.x layout (`corpus/mlflow/mlflow09_keras_h5` is one MLflow 0.9.1
really wrote), with the Keras 2.2 and run id of its era: the `keras` flavor's `data` names the
HDF5 file itself (`data: model.h5`) and records only `keras_version`.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_h5

MLMODEL = """\
artifact_path: model
flavors:
  keras:
    data: model.h5
    keras_version: 2.2.4
  python_function:
    data: model.h5
    env: conda.yaml
    loader_module: mlflow.keras
    python_version: 3.6.8
run_id: 3f2c9a
utc_time_created: '2019-03-01 10:00:00.000000'
"""


def build(folder: Path) -> Path:
    target = folder / "mlflow0_keras_h5_file"
    target.mkdir()
    (target / "MLmodel").write_text(MLMODEL)
    keras_h5(target / "model.h5", KERAS2_MODEL, keras_version="2.2.4")
    return target
