"""MIG118 (dangling-checkpoint-state) positive case: the rule must fire here.

An artifact with the pattern: `checkpoint` state file pointing at checkpoints that are not
there.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint


def build(folder: Path) -> Path:
    target = folder / "pruned_older_entries"
    return checkpoint(target, PLAIN_SAVER_CKPT, state="pruned")
