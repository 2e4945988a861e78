"""MIG301 (lambda-layer) positive case: the rule must fire here.

An artifact with the pattern: Lambda layer or marshalled Python code in a model config.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import dense, keras_h5, sequential

MARSHALLED = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA"
NESTED_LAMBDA = sequential(
    {
        "class_name": "TimeDistributed",
        "config": {
            "name": "td",
            "layer": {
                "class_name": "Lambda",
                "config": {
                    "name": "inner_lambda",
                    "function": [MARSHALLED, None, None],
                    "function_type": "lambda",
                    "module": "__main__",
                    "output_shape": None,
                    "output_shape_type": "raw",
                    "arguments": {},
                },
            },
        },
    },
    dense("dense_1", 1),
)


def build(folder: Path) -> Path:
    target = folder / "nested_marshalled_lambda.h5"
    return keras_h5(target, NESTED_LAMBDA, keras_version="2.15.0")
