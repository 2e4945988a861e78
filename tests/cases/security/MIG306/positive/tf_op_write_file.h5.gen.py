"""MIG306 (tf-op-layer-io) positive case: the rule must fire here.

An artifact with the pattern: tf.keras TF-op layer calling a TensorFlow API that touches files,
network or Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import dense, keras_h5, sequential

TF_OP_WRITE = {
    "class_name": "TFOpLambda",
    "config": {"name": "tf.io.write_file", "trainable": True, "function": "io.write_file"},
}


def build(folder: Path) -> Path:
    target = folder / "tf_op_write_file.h5"
    return keras_h5(target, sequential(dense("dense_1", 4), TF_OP_WRITE), keras_version="2.15.0")
