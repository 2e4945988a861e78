"""MLflow model folders (format id ``mlflow-model``): a folder holding an ``MLmodel`` file.

This is how MLflow stores every logged or saved model (``mlflow.keras.save_model``,
``mlflow.tensorflow.log_model``, a registry version downloaded to disk): ``MLmodel`` names the
flavors and what each recorded (versions, save format, SavedModel tags and signature key), the
environment files pin Python and the requirements, and the model itself sits under ``data/`` (or
the SavedModel folder the ``tensorflow`` flavor names).

The folder is one artifact made of ``MLmodel``, the environment files and MLflow's bookkeeping
(``metadata/`` copies, input examples, ``registered_model_meta``); the model inside is left to
discovery, which reports it as its own artifact under the folder (``<folder>/data/model.keras``),
and is also read here, so rules and loadability judge the folder by what it holds.

- `mlmodel`: bounded, safe YAML for MLmodel and the env files; field checks; paths kept inside;
- `environment`: Python version and TensorFlow/Keras/MLflow pins;
- `reading`: the reader; `details`: what it reports, field by field.

``producer``: ``mlflow_version``, the keras flavor's ``keras_version``, the exact ``tensorflow``
pin of requirements.txt (``tensorflow_version``) and ``python_version``, verbatim.
``raw``: ``mlmodel`` (the parsed MLmodel), ``model_reading`` (the inner model's `Reading` or None).
"""

from __future__ import annotations

from pathlib import Path

from migrator.formats import register
from migrator.formats.mlflow.details import MLflowDetails
from migrator.formats.mlflow.environment import FILES
from migrator.formats.mlflow.mlmodel import FORMAT, MLMODEL
from migrator.formats.mlflow.reading import read

register(__name__, formats=(FORMAT,), order=8)

__all__ = ["FORMAT", "MLMODEL", "MLflowDetails", "claim_dir", "claim_file", "members", "read"]

# MLflow's own files beside MLmodel (mlflow 1.30-3.17): the environment, input examples, the
# registry's marker, and `metadata/` (a copy of MLmodel and the env files, MLflow >= 2.3).
_OWN = frozenset(
    {
        MLMODEL,
        *FILES,
        "input_example.json",
        "serving_input_example.json",
        "registered_model_meta",
        "metadata/",
    }
)


def claim_dir(path: Path, names: frozenset[str]) -> bool:
    """A folder with an ``MLmodel`` file is an MLflow model, whatever else it holds."""
    return MLMODEL in names


def claim_file(path: Path, head: bytes) -> bool:
    """An ``MLmodel`` file given on its own stands for its folder."""
    return path.name == MLMODEL


def members(path: Path, names: frozenset[str]) -> frozenset[str]:
    """MLmodel and MLflow's bookkeeping; the model under data/ is discovered on its own."""
    return names & _OWN
