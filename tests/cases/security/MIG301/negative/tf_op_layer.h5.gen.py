"""MIG301 (lambda-layer) negative case: the rule must stay silent here.

Close to, but not: Lambda layer or marshalled Python code in a model config.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import dense, keras_h5, sequential

TF_OP_ADD = {
    "class_name": "TFOpLambda",
    "config": {"name": "tf.math.add", "trainable": True, "function": "math.add"},
}


def build(folder: Path) -> Path:
    target = folder / "tf_op_layer.h5"
    return keras_h5(target, sequential(dense("dense_1", 4), TF_OP_ADD), keras_version="2.15.0")
