"""MIG301 (lambda-layer) positive case: the rule must fire here.

An artifact with the pattern: Lambda layer or marshalled Python code in a model config.
"""

from __future__ import annotations

import json
from pathlib import Path

MARSHALLED = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA"
KERAS1_MERGE_LAMBDA = {
    "class_name": "Model",
    "config": {
        "name": "m",
        "layers": [
            {
                "class_name": "InputLayer",
                "name": "a",
                "config": {"name": "a", "batch_input_shape": [None, 2]},
            },
            {
                "class_name": "Merge",
                "name": "merge_1",
                "config": {
                    "name": "merge_1",
                    "mode": [MARSHALLED, None, None],
                    "mode_type": "lambda",
                    "output_shape": None,
                    "output_shape_type": "raw",
                    "concat_axis": -1,
                },
            },
        ],
    },
    "keras_version": "1.2.2",
}


def build(folder: Path) -> Path:
    target = folder / "keras1_merge_lambda.json"
    target.write_text(json.dumps(KERAS1_MERGE_LAMBDA), encoding="utf-8")
    return target
