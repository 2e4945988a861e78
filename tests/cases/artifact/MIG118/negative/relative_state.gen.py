"""MIG118 (dangling-checkpoint-state) negative case: the rule must stay silent here.

Close to, but not: `checkpoint` state file pointing at checkpoints that are not there.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint


def build(folder: Path) -> Path:
    target = folder / "relative_state"
    return checkpoint(target, PLAIN_SAVER_CKPT)
