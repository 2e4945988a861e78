"""MIG117 (missing-variables) positive case: the rule must fire here.

An artifact with the pattern: Variables, weight shards or data files missing.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint


def build(folder: Path) -> Path:
    target = folder / "checkpoint_missing_data"
    return checkpoint(target, PLAIN_SAVER_CKPT, write_data=False)
