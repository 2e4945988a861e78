"""MIG306 (tf-op-layer-io) positive case: the rule must fire here.

An artifact with the pattern: tf.keras TF-op layer calling a TensorFlow API that touches files,
network or Python.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cases._writers import dense, sequential


def build(folder: Path) -> Path:
    target = folder / "tf_op_layer_readfile.json"
    target.write_text(
        json.dumps(
            {
                **sequential(
                    dense("dense_1", 4),
                    {
                        "class_name": "TensorFlowOpLayer",
                        "config": {
                            "name": "ReadFile",
                            "node_def": {"name": "ReadFile", "op": "ReadFile", "input": ["path"]},
                            "constants": {},
                        },
                    },
                ),
                "keras_version": "2.3.0-tf",
                "backend": "tensorflow",
            }
        ),
        encoding="utf-8",
    )
    return target
