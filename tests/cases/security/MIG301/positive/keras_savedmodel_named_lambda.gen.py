"""MIG301 (lambda-layer) positive case: the rule must fire here.

An artifact with the pattern: Lambda layer or marshalled Python code in a model config.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras_sm_metadata, saved_model, sequential, tf2_graph

NAMED_LAMBDA = sequential(
    {
        "class_name": "Lambda",
        "config": {
            "name": "lambda",
            "function": "exploit",
            "function_type": "function",
            "module": "__main__",
            "output_shape": None,
            "arguments": {},
        },
    }
)


def build(folder: Path) -> Path:
    target = folder / "keras_savedmodel_named_lambda"
    return saved_model(
        target,
        tf2_graph(user_objects=[("_tf_keras_sequential", None)]),
        keras_metadata=keras_sm_metadata(NAMED_LAMBDA),
    )
