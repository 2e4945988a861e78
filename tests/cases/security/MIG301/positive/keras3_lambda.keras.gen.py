"""MIG301 (lambda-layer) positive case: the rule must fire here.

An artifact with the pattern: Lambda layer or marshalled Python code in a model config.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras3_functional, keras_zip

MARSHALLED = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA"
KERAS3_LAMBDA = keras3_functional(
    {
        "module": "keras.layers",
        "class_name": "Lambda",
        "registered_name": None,
        "name": "scale",
        "config": {
            "name": "scale",
            "function": {
                "class_name": "__lambda__",
                "config": {"code": MARSHALLED, "defaults": None, "closure": None},
            },
            "arguments": {},
        },
        "inbound_nodes": [],
    }
)


def build(folder: Path) -> Path:
    target = folder / "keras3_lambda.keras"
    return keras_zip(target, KERAS3_LAMBDA)
