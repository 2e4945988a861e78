"""MIG125 (v1-checkpoint-format) positive case: the rule must fire here.

An artifact with the pattern: V1 checkpoint format (`write_version=V1`).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import DT_FLOAT
from tests.test_checkpoint import meta_graph_bytes, write_v1


def v1_checkpoint(folder: Path) -> Path:
    """A `write_version=V1` checkpoint: one `model.ckpt` table plus its `.meta`."""
    folder.mkdir(parents=True, exist_ok=True)
    write_v1(folder / "model.ckpt", {"dense/kernel": (DT_FLOAT, (3, 2))})
    (folder / "model.ckpt.meta").write_bytes(meta_graph_bytes())
    return folder


def build(folder: Path) -> Path:
    target = folder / "v1_checkpoint"
    return v1_checkpoint(target)
