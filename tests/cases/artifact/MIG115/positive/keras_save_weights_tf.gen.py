"""MIG115 (tf-format-weights-checkpoint) positive case: the rule must fire here.

An artifact with the pattern: Keras weights saved in the TF checkpoint format
(`save_weights("ckpt")`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import DT_FLOAT, checkpoint

KERAS_CKPT = {
    "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE": (DT_FLOAT, (3, 2)),
    "layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE": (DT_FLOAT, (2,)),
}


def build(folder: Path) -> Path:
    target = folder / "keras_save_weights_tf"
    return checkpoint(target, KERAS_CKPT, prefix="my_checkpoint", object_based=True)
