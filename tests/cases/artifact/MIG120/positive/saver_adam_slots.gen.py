"""MIG120 (optimizer-state-dropped) positive case: the rule must fire here.

An artifact with the pattern: Optimizer state that will not carry over.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import DT_FLOAT, checkpoint

SAVER_CKPT = {
    "dense/kernel": (DT_FLOAT, (3, 2)),
    "dense/kernel/Adam": (DT_FLOAT, (3, 2)),
    "dense/kernel/Adam_1": (DT_FLOAT, (3, 2)),
    "beta1_power": (DT_FLOAT, ()),
    "global_step": (9, ()),
}


def build(folder: Path) -> Path:
    target = folder / "saver_adam_slots"
    return checkpoint(target, SAVER_CKPT)
