"""MIG125 (v1-checkpoint-format) negative case: the rule must stay silent here.

Close to, but not: V1 checkpoint format (`write_version=V1`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint


def build(folder: Path) -> Path:
    target = folder / "v2_checkpoint"
    return checkpoint(target, PLAIN_SAVER_CKPT)
