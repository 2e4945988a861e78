"""The matrix's axes: which loaders exist in each TF line and which take each artifact format.

A cell of `corpus/matrix.json` is `<tf line>/<loader>`; the cells an artifact gets are the loaders
that exist in the line (`LOADERS_BY_TF`) and take its format (`LOADERS_BY_FORMAT`). The TF lines
are `migrator.knowledge.tf_lines`'s; tf_keras exists where the line pins one, TFSMLayer is Keras
3's (`keras/src/export/tfsm_layer.py`), so both appear from TF 2.16 on.
"""

from __future__ import annotations

from migrator.knowledge.tf_lines import TF_LINES, TFLine

LOADERS: tuple[str, ...] = (
    "keras.load_model",
    "tf_keras.load_model",
    "keras.load_weights",
    "tf_keras.load_weights",
    "tf.saved_model.load",
    "keras.layers.TFSMLayer",
)


def _loaders_of(line: TFLine) -> tuple[str, ...]:
    """The loaders a TF line has: tf_keras where it pins one, TFSMLayer where `keras` is Keras 3."""
    return tuple(
        loader
        for loader in LOADERS
        if (line.tf_keras or not loader.startswith("tf_keras."))
        and (line.keras3 or loader != "keras.layers.TFSMLayer")
    )


LOADERS_BY_TF: dict[str, tuple[str, ...]] = {line.line: _loaders_of(line) for line in TF_LINES}

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


def applicable(fmt: str, tf_line: str) -> tuple[str, ...]:
    """The loaders that apply to format `fmt` in TF line `tf_line`, in LOADERS order."""
    wanted = set(LOADERS_BY_FORMAT.get(fmt, ())) & set(LOADERS_BY_TF[tf_line])
    return tuple(loader for loader in LOADERS if loader in wanted)
