"""MIG115 (tf-format-weights-checkpoint) negative case: the rule must stay silent here.

Close to, but not: Keras weights saved in the TF checkpoint format (`save_weights("ckpt")`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint


def build(folder: Path) -> Path:
    target = folder / "saver_checkpoint"
    return checkpoint(target, PLAIN_SAVER_CKPT)
