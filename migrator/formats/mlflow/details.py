"""What the mlflow-model reader reports about an MLflow model folder, as one typed record.

Fields are declared in the order the JSON report lists them; a field the folder does not record
stays `UNSET` (absent from the report), so a reader of the JSON sees only what MLflow wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.formats.details import UNSET, Details


@dataclass(frozen=True, eq=False, kw_only=True)
class MLflowDetails(Details):
    """`details` of an mlflow-model reading (a folder holding an `MLmodel` file)."""

    flavors: list[str]  # flavor names in MLmodel order: "keras", "python_function", "sklearn"...
    # the flavor the TF/Keras model is loaded by ("keras" or "tensorflow"), None for other models
    model_flavor: str | None
    loader_module: str | None  # python_function.loader_module, verbatim
    mlflow_version: str | None
    # --- what the model flavor records (UNSET when it does not record it)
    keras_version: str = UNSET  # keras flavor; the tensorflow flavor stores tf.__version__ here
    keras_backend: str = UNSET
    keras_module: str = UNSET  # MLflow 1.x keras flavor / data/keras_module.txt
    save_format: str = UNSET  # "tf" | "h5" (keras flavor of MLflow 1.x, tensorflow flavor)
    save_exported_model: bool = UNSET  # Keras 3 flavor: data/model is model.export()'s output
    model_type: str = UNSET  # tensorflow flavor: "keras" | "tf2-module" | "tf1-estimator"
    saved_model_dir: str = UNSET  # tensorflow flavor: the SavedModel folder
    meta_graph_tags: list[str] = UNSET
    signature_def_key: str = UNSET
    # --- the model inside, read by the existing readers
    model_path: str | None  # POSIX path inside the folder ("data/model.keras"), None if none
    model_format: str | None  # the format id its reader gave it, None when unreadable or absent
    model_error: str = UNSET  # why the model inside could not be read (its own line says more)
    # "keras3-flavor" (data/model.keras or an exported SavedModel), "keras2-flavor" (MLflow 1.x
    # mlflow.keras: keras_module + data/model.h5 or a SavedModel data/model/), "tensorflow-keras"
    # (mlflow.tensorflow with a Keras model), "tensorflow-savedmodel" (saved_model_dir), None
    layout: str | None
    # where each loader that may open this folder looks for the model, by the paths it computes
    # (`knowledge.mlflow`): "mlflow.keras" (the Keras 3 flavor's loader) and "mlflow.tensorflow"
    # (its Keras loader, which `mlflow.keras` is under Keras 2); a path other than `model_path`
    # is a file the loader will not find
    loader_paths: dict[str, str] = UNSET
    # --- the environment the folder pins
    python_version: str | None  # python_function.python_version, else python_env.yaml / conda
    # file -> {distribution: specifier} for the TensorFlow, Keras and MLflow distributions
    pins: dict[str, dict[str, str]]
    environment_files: list[str]  # which of requirements.txt, conda.yaml, python_env.yaml exist
    # --- other facts
    signature: bool  # MLmodel has a signature
    input_example: bool  # MLmodel names a saved input example
    # files pyfunc would unpickle (custom objects, python_model): path, imports, calls, protocol,
    # error, from the opcodes (never loaded)
    pickled_files: list[dict[str, Any]]
    run_id: str = UNSET
    artifact_path: str = UNSET
    # every flavor's scalar settings, verbatim (strings cut at 200 characters)
    flavor_settings: dict[str, dict[str, Any]]
