"""MIG116 (tf1-saver-checkpoint) positive case: the rule must fire here.

An artifact with the pattern: Name-based TF1 checkpoint (`tf.train.Saver`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint, meta_with


def build(folder: Path) -> Path:
    target = folder / "saver_checkpoint"
    return checkpoint(target, PLAIN_SAVER_CKPT, meta=meta_with([]))
