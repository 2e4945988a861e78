"""The matrix's axes: which loaders exist in each TF line and which take each artifact format.

A cell of `corpus/matrix.json` is `<runtime>/<loader>`; the cells an artifact gets are the loaders
that exist in the runtime (`runtimes.Runtime.loaders`: tf_keras's where installed, TFSMLayer with
Keras 3, `keras/src/export/tfsm_layer.py`) and take its format (`LOADERS_BY_FORMAT`).
"""

from __future__ import annotations

LOADERS: tuple[str, ...] = (
    "keras.load_model",
    "tf_keras.load_model",
    "keras.load_weights",
    "tf_keras.load_weights",
    "tf.saved_model.load",
    "keras.layers.TFSMLayer",
    # MLflow's flavor loader: pyfunc hands the folder to its loader_module (verdicts/mlflow.py)
    "mlflow.pyfunc.load_model",
)


_MODEL_FILE = (
    "keras.load_model",
    "tf_keras.load_model",
    "keras.load_weights",
    "tf_keras.load_weights",
)
_WEIGHTS = ("keras.load_weights", "tf_keras.load_weights")

# The loaders that take this format as input at all. Formats absent here (GraphDef, TF.js,
# TFLite, SessionBundle, bare JSON/YAML architectures) have no loader among LOADERS.
LOADERS_BY_FORMAT: dict[str, tuple[str, ...]] = {
    "keras-h5": _MODEL_FILE,
    "keras-v3": _MODEL_FILE,
    "keras-h5-weights": _WEIGHTS,
    "keras-v3-weights": _WEIGHTS,
    "tf-checkpoint": _WEIGHTS,
    "saved-model": (
        "keras.load_model",
        "tf_keras.load_model",
        "tf.saved_model.load",
        "keras.layers.TFSMLayer",
    ),
    "mlflow-model": ("mlflow.pyfunc.load_model",),
    # TF1 Hub modules: tf.saved_model.load is also hub.load's and hub.KerasLayer's cell
    # (verdicts/tfhub.py)
    "tfhub-module": (
        "keras.load_model",
        "tf_keras.load_model",
        "tf.saved_model.load",
        "keras.layers.TFSMLayer",
    ),
}

# What a `loads-with-changes` verdict may require or lose (the probe records the same names).
NEEDS: dict[str, str] = {
    "safe_mode=False": "load_model(..., safe_mode=False) (the artifact carries Python bytecode)",
    "compile=False": "load_model(..., compile=False) (the training configuration does not load)",
    "custom_objects": "the custom class importable and registered",
    "optimizer_reset": "the optimizer state is not restored",
    "tags": "tf.saved_model.load(..., tags=['serve']) (several MetaGraphs)",
    "call_endpoint": "TFSMLayer(..., call_endpoint='serving_default') (no `serve` endpoint)",
}
