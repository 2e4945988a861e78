"""Artifact rules about MLflow model folders (MIG150-MIG152): what the MLflow flavor loaders of
Keras 3 releases no longer read, and environments that no longer install.

The rules read the `mlflow-model` reading (`migrator.formats.mlflow`): the flavor, the layout of
the model inside and the pins of the environment files. The model inside is also an artifact of
its own (`<folder>/data/...`) and gets the rules of its format there.
"""

from __future__ import annotations

import re

from migrator.knowledge.keras3 import KERAS3
from migrator.knowledge.mlflow import KERAS3_FLAVOR_SINCE, OLDEST_MAINTAINED_PYTHON, tf_python_max
from migrator.knowledge.versions import parse
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.artifacts._common import detail

CONVERT_MLFLOW = (
    "convert the folder with `migrator convert` (a Keras 3 `.keras` inside, MLmodel and "
    "requirements for the current `mlflow.keras`)"
)


@artifact_rule(
    "MIG150",
    "mlflow-keras-savedmodel",
    title="MLflow Keras model stored as a `model.save(dir)` SavedModel",
    severity="high",
    deprecated_in="TF 2.16 / Keras 3 (`model.save(dir)` no longer writes SavedModels)",
    breaks_in=f"{KERAS3}: mlflow's loaders call `keras.models.load_model` on `data/model/`, "
    "which Keras 3 refuses; MLflow >= 2.11 `mlflow.keras` looks for `data/model.keras`",
    convert="keras-to-mlflow",
    formats=("mlflow-model",),
)
def keras_savedmodel(artifact: Artifact) -> Hit | None:
    """A Keras model in an MLflow folder saved in the TF SavedModel format (`save_format: tf`).

    MLflow 1.x `mlflow.keras` and MLflow 2.x `mlflow.tensorflow` saved Keras models with
    `model.save("data/model")`, a Keras SavedModel folder. Both load it back with
    `<keras_module>.models.load_model("data/model")`: under TF >= 2.16 `tensorflow.keras` is
    Keras 3, which loads only `.keras` and `.h5` files, so `mlflow.pyfunc.load_model` raises.
    A folder of the `keras` flavor fails even earlier with MLflow >= 2.11 and Keras 3, whose
    `mlflow.keras` loader opens `data/data.keras` (with Keras 2 it is `mlflow.tensorflow`). Only `mlflow.tensorflow` with
    `TF_USE_LEGACY_KERAS=1` and tf-keras installed still loads it.

    Fix: convert the folder with `migrator convert`, which publishes a copy whose `data/` holds a
    Keras 3 `.keras` and whose MLmodel and requirements name the current `mlflow.keras` flavor
    (validated with `mlflow.pyfunc.load_model`); until then serve it with TF <= 2.15, or with
    `TF_USE_LEGACY_KERAS=1` and tf-keras for `mlflow.tensorflow`.
    """
    layout = detail(artifact, "layout")
    if detail(artifact, "model_format") != "saved-model" or layout not in (
        "keras2-flavor",
        "tensorflow-keras",
    ):
        return None
    where = detail(artifact, "model_path")
    made = detail(artifact, "mlflow_version") or "an unknown MLflow"
    if layout == "keras2-flavor":
        opens = (detail(artifact, "loader_paths") or {}).get("mlflow.keras", "data/model.keras")
        loader = (
            f"with Keras 3 installed, MLflow >= {KERAS3_FLAVOR_SINCE} `mlflow.keras` (its "
            f"loader_module) looks for `{opens}`, and Keras 3 refuses the folder"
        )
    else:
        loader = (
            "`mlflow.tensorflow` loads it with `tensorflow.keras.models.load_model`, which is "
            "Keras 3 from TF 2.16 and refuses SavedModel folders (only `TF_USE_LEGACY_KERAS=1` "
            "with tf-keras loads it)"
        )
    return Hit(
        f"Keras model saved as a SavedModel folder `{where}` by MLflow {made} "
        f"(`{detail(artifact, 'model_flavor')}` flavor, save_format "
        f"{detail(artifact, 'save_format') or 'tf'}): {loader}",
        CONVERT_MLFLOW,
    )


@artifact_rule(
    "MIG151",
    "mlflow-keras2-flavor",
    title="MLflow `keras` flavor of MLflow < 2.11 (`keras_module` + `data/model.h5`)",
    severity="high",
    deprecated_in=f"MLflow {KERAS3_FLAVOR_SINCE} (the `keras` flavor became the Keras 3 flavor)",
    breaks_in=f"MLflow >= {KERAS3_FLAVOR_SINCE} with Keras 3 installed (TF >= 2.16): "
    "`mlflow.keras` loads only `data/model.keras` or an exported SavedModel",
    convert="keras-to-mlflow",
    formats=("mlflow-model",),
)
def keras2_flavor(artifact: Artifact) -> Hit | None:
    """A `keras` flavor written by `mlflow.keras` before MLflow 2.11: `keras_module`, `save_format`
    and the model in `data/model.h5`.

    The folder's `python_function.loader_module` is `mlflow.keras`, which since MLflow 2.11 is
    the Keras 3 flavor wherever the `keras` package is Keras 3 (every TF >= 2.16 env): its loader
    opens `<data>/model.keras` (`data/data.keras` for these folders, whose pyfunc data is
    `data/`; or `tf.saved_model.load` for `save_exported_model`) and never reads
    `keras_module.txt` or `model.h5`, so `mlflow.pyfunc.load_model` and
    `mlflow.keras.load_model` fail with a missing file. Under Keras 2 (TF <= 2.15) `mlflow.keras`
    is still `mlflow.tensorflow`, which reads the 1.x layout (measured with MLflow 2.22.5 and
    3.17.2 in TF 2.12 and 2.15: `corpus/mlflow/measured.json`) but not the 0.x one (`model.h5`
    at the folder root, which it looks for as `model.h5.h5`). The SavedModel form is MIG150.

    Fix: convert the folder with `migrator convert` (a `.keras` inside, MLmodel rewritten for the
    Keras 3 flavor), or load it only where TF <= 2.15 (Keras 2) is installed, or pin
    `mlflow<2.11`.
    """
    if detail(artifact, "layout") != "keras2-flavor":
        return None
    if detail(artifact, "model_format") == "saved-model":
        return None  # MIG150 says it, with the Keras 3 refusal
    where = detail(artifact, "model_path")
    module = detail(artifact, "keras_module") or "keras"
    paths = detail(artifact, "loader_paths") or {}
    opens = paths.get("mlflow.keras", "data/model.keras")
    made = detail(artifact, "mlflow_version") or "(version not recorded)"
    keras2 = paths.get("mlflow.tensorflow", where)
    if keras2 == where:
        scope = (
            "wherever Keras 3 is installed (TF >= 2.16), so `mlflow.pyfunc.load_model` fails there"
        )
    else:  # the 0.x layout: mlflow.tensorflow's loader (mlflow.keras under Keras 2) misses it too
        scope = (
            f"under Keras 3, and `{keras2}` under Keras 2 (where it is `mlflow.tensorflow`'s "
            "loader), so `mlflow.pyfunc.load_model` fails with every current MLflow"
        )
    return Hit(
        f"`keras` flavor written by MLflow {made} "
        f"(keras_module {module!r}, model in `{where}`): MLflow >= {KERAS3_FLAVOR_SINCE}'s "
        f"`mlflow.keras` loader opens `{opens}` {scope}",
        CONVERT_MLFLOW,
    )


_BOUND = re.compile(r"(==|~=|<=|<|===)\s*v?([0-9][0-9.]*)")
_TF_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu")


def _newest_allowed(spec: str) -> str | None:
    """The highest release a specifier allows, when it has an upper bound or an exact pin."""
    for clause in spec.split(","):
        match = _BOUND.search(clause)
        if not match:
            continue
        op, version = match.groups()
        if op == "<":
            parts = parse(version) or ()
            if len(parts) >= 2 and parts[1] > 0 and all(p == 0 for p in parts[2:]):
                return f"{parts[0]}.{parts[1] - 1}"  # <2.11 allows 2.10.x at most
            continue
        return version
    return None


@artifact_rule(
    "MIG152",
    "mlflow-stale-environment",
    title="MLflow environment pins a TensorFlow or Python that no longer installs",
    severity="medium",
    breaks_in=f"Python < {OLDEST_MAINTAINED_PYTHON} is past end of life; TensorFlow wheels stop "
    "at a Python per release (`knowledge.mlflow.tf_python_max`)",
    convert="keras-to-mlflow",
    formats=("mlflow-model",),
)
def stale_environment(artifact: Artifact) -> Hit | None:
    """`requirements.txt`/`conda.yaml`/`python_env.yaml` pin a Python past end of life or a
    TensorFlow whose wheels stop before every maintained Python.

    `mlflow models serve`, `mlflow models build-docker` and `spark_udf(env_manager=...)` rebuild
    the model's environment from these files. TensorFlow publishes wheels for a few Pythons per
    release (TF 2.10 stops at 3.10, TF 2.4 at 3.8): once no maintained Python can install the
    pinned release, serving the folder needs an interpreter that no longer gets security fixes,
    even when the model itself would load in a current TensorFlow.

    Fix: convert the folder with `migrator convert`, which writes the runtime's TensorFlow, Keras
    and Python into requirements.txt, conda.yaml and python_env.yaml; or re-log the model from a
    current environment.
    """
    oldest = parse(OLDEST_MAINTAINED_PYTHON) or ()
    problems: list[str] = []
    python = detail(artifact, "python_version")
    parsed = parse(python)
    if parsed and parsed[:2] < oldest[:2]:
        problems.append(f"Python {python} (end of life)")
    for source, pins in sorted((detail(artifact, "pins") or {}).items()):
        if not isinstance(pins, dict):
            continue
        for name in _TF_DISTRIBUTIONS:
            spec = pins.get(name)
            newest = _newest_allowed(str(spec)) if spec else None
            ceiling = tf_python_max(newest)
            if ceiling and (parse(ceiling) or ())[:2] < oldest[:2]:
                problems.append(f"`{name}{spec}` in {source} (wheels stop at Python {ceiling})")
    if not problems:
        return None
    shown = list(dict.fromkeys(problems))
    return Hit(
        f"environment pins {', '.join(shown[:3])}"
        + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")
        + f": no Python >= {OLDEST_MAINTAINED_PYTHON} can rebuild it for `mlflow models serve`",
        CONVERT_MLFLOW,
    )
