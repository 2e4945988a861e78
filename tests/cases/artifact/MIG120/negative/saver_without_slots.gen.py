"""MIG120 (optimizer-state-dropped) negative case: the rule must stay silent here.

Close to, but not: Optimizer state that will not carry over.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint


def build(folder: Path) -> Path:
    target = folder / "saver_without_slots"
    return checkpoint(target, PLAIN_SAVER_CKPT)
