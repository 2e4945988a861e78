"""Facts about MLflow's TensorFlow/Keras flavors and the environments its model folders pin.

An MLflow model folder (`MLmodel` + `data/` + environment files) is loaded by the module its
`python_function.loader_module` names, from whatever MLflow is installed where it is served, not
from the MLflow that wrote it. What each MLflow line writes and reads was checked in the installed
sources: mlflow 1.30.1 (`mlflow/keras.py`, `mlflow/tensorflow/__init__.py`), 2.10.2
(`mlflow/keras/__init__.py` redirects to `mlflow.tensorflow`) and 3.17.2 (`mlflow/keras/load.py`,
`mlflow/keras/save.py`, `mlflow/tensorflow/__init__.py`), and by writing folders with each
(`corpus/mlflow_models.py`).
"""

from __future__ import annotations

from migrator.knowledge import fact
from migrator.knowledge.tf_lines import line_of
from migrator.knowledge.versions import minor_line

# The Keras 3 `mlflow.keras` flavor replaced the Keras 2 one: its loader opens only
# `data/model.keras` (or, with `save_exported_model`, `tf.saved_model.load(data/model)`), so a
# folder written by `mlflow.keras` of MLflow 1.x (data/model.h5 or a SavedModel data/model/,
# `keras_module.txt`) no longer loads through its own loader_module.
KERAS3_FLAVOR_SINCE = fact(
    "mlflow_keras3_flavor_since",
    "2.11",
    checked="mlflow 3.17.2 mlflow/keras/load.py (_load_keras_model: data/model.keras or "
    "save_exported_model); mlflow 2.10.2 mlflow/keras/__init__.py (redirects to "
    "mlflow.tensorflow._load_pyfunc); MLflow 2.11.0 release notes (Keras 3 flavor)",
    since="mlflow 2.11",
)

# ... but only where the `keras` package is Keras 3: `mlflow/keras/__init__.py` checks
# `keras.__version__` on import and, below 3.0 (TF <= 2.15, where `keras` is tf.keras 2.x), makes
# `mlflow.keras` the `mlflow.tensorflow` module (`_load_pyfunc`, save_model, load_model), "for
# backwards compatibility on loading keras model saved by old mlflow versions". There its
# `save_model` writes a `tensorflow` flavor, and a `keras` flavor folder is loaded by
# `mlflow.tensorflow._load_pyfunc` (model_type `keras` inferred from the flavor's name).
KERAS_FLAVOR_NEEDS_KERAS = fact(
    "mlflow_keras_flavor_needs_keras",
    "3.0",
    checked="mlflow 2.11.4, 2.22.5 and 3.17.2 mlflow/keras/__init__.py (`if Version("
    "keras.__version__) < 3` -> from mlflow.tensorflow import _load_pyfunc, ...); written: "
    "corpus/mlflow/mlflow222_keras_via_tensorflow_tf (mlflow.keras.save_model under tf.keras "
    "2.15 gives flavor tensorflow)",
    since="mlflow 2.11",
)

# `mlflow.tensorflow._load_pyfunc` on a Keras model (model_type `keras`, stated or inferred from
# a `keras` flavor): the folder is `python_function.data`; the model is `<data>/model` when that
# is a folder, else `<data>` itself; `.h5` is appended when the save format is h5, which is what
# it assumes when `<data>/save_format.txt` is absent, else `.keras` when that file exists; the
# module is `<data>/keras_module.txt`, else `tensorflow.keras`. The flavor's own `save_format`
# field is not read.
TF_PYFUNC_DEFAULT_SAVE_FORMAT = fact(
    "mlflow_tf_pyfunc_default_save_format",
    "h5",
    checked="mlflow 2.22.5 and 3.17.2 mlflow/tensorflow/__init__.py (_load_pyfunc, "
    "_load_keras_model: `save_format = 'h5'` 'for backwards compatibility', model_path += "
    "'.h5' / '.keras')",
)

# What the newest MLflow loads for each loader_module a folder names (mlflow 3.17.2):
# `mlflow.keras` -> keras.saving.load_model(data/model.keras), or tf.saved_model.load(data/model)
# when the flavor says save_exported_model; `mlflow.tensorflow` -> by model_type: `keras` loads
# data/model[.h5|.keras] with `<keras_module.txt>.models.load_model` (tensorflow.keras by default:
# Keras 3 from TF 2.16, tf_keras with TF_USE_LEGACY_KERAS=1), `tf2-module` and `tf1-estimator`
# load saved_model_dir with tf.saved_model.load.
TF_LOADER_MODULES = fact(
    "mlflow_tf_loader_modules",
    ("mlflow.keras", "mlflow.tensorflow"),
    checked="mlflow 3.17.2 mlflow/keras/load.py, mlflow/tensorflow/__init__.py (_load_pyfunc)",
)

# Files in an MLflow folder that `mlflow.pyfunc.load_model` unpickles with cloudpickle: custom
# objects of the Keras flavors (MLflow 1.x mlflow.keras, 2.x/3.x mlflow.tensorflow) and a custom
# pyfunc's python_model. Loading them runs whatever code the pickle names.
PICKLED_FILES = fact(
    "mlflow_pickled_files",
    ("custom_objects.cloudpickle", "global_custom_objects.cloudpickle", "python_model.pkl"),
    checked="mlflow 3.17.2 mlflow/tensorflow/__init__.py (_load_custom_objects: cloudpickle.load, "
    "refused unless MLFLOW_ALLOW_PICKLE_DESERIALIZATION); mlflow 1.30.1 mlflow/keras.py; "
    "mlflow/pyfunc/model.py (python_model.pkl)",
)

# Unpickling the custom objects MLflow pickled (`mlflow.tensorflow` pickles Keras' whole global
# registry, `keras.src.*` classes among them) imports each class by its module path. tf.keras
# 2.13-2.15 share one `keras/src/` tree (`knowledge.loaders.KERAS2_SRC_PACKAGE_SINCE`): 2.15 only
# adds the modules below, so a 2.13-2.15 pickle imports in any 2.13-2.15 runtime holding its
# modules (measured: the 2.15 registry of corpus/mlflow loads in TF 2.13, 2.14 and 2.15), not in
# 2.12 (no `keras.src`) nor in Keras 3, whose `keras/src/` is another tree (no
# `keras.src.models.sharpness_aware_minimization`: measured in TF 2.16-2.21).
KERAS2_SRC_MODULES_ADDED = fact(
    "keras2_src_modules_added",
    {"keras.src.utils.steps_per_execution_tuning": (2, 15)},
    checked="the *.py files under site-packages/keras/src of tf.keras 2.13.1, 2.14.0 and 2.15.0 "
    "(tests excluded): equal but for utils/steps_per_execution_tuning.py, new in 2.15; "
    "corpus/mlflow/measured.json",
)

# The newest CPython each TensorFlow minor published wheels for, for the minors migrator does not
# run (the lines it runs carry theirs in `tf_lines.TF_LINES.python_max`).
_TF_PYTHON_MAX = fact(
    "tf_python_max_unrun_minors",
    {
        "1.13": "3.7", "1.14": "3.7", "1.15": "3.7",
        "2.0": "3.7", "2.1": "3.7", "2.2": "3.8", "2.3": "3.8", "2.4": "3.8",
        "2.5": "3.9", "2.6": "3.9", "2.7": "3.9", "2.8": "3.10", "2.9": "3.10",
        "2.10": "3.10", "2.11": "3.10", "2.13": "3.11", "2.14": "3.11",
        "2.17": "3.12", "2.18": "3.12", "2.19": "3.12", "2.20": "3.13",
    },
    checked="PyPI wheel tags of tensorflow / tensorflow-cpu per release",
)  # fmt: skip

# CPython versions still receiving releases: a pin whose wheels stop before the oldest of them
# installs only on an interpreter that no longer gets security fixes.
OLDEST_MAINTAINED_PYTHON = fact(
    "oldest_maintained_python",
    "3.11",
    checked="python.org/downloads release status (3.10 reached end of life in October 2026, "
    "PEP 619)",
    since="2026-10",
)


def tf_python_max(version: str | None) -> str | None:
    """The newest Python the wheels of this TensorFlow release exist for, or None if unknown."""
    line = minor_line(version)
    if line is None:
        return None
    known = line_of(version)
    return known.python_max if known else _TF_PYTHON_MAX.get(f"{line[0]}.{line[1]}")
