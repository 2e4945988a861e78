"""MIG305 (unsafe-graph-ops) positive case: the rule must fire here.

An artifact with the pattern: TensorFlow ops that read or write files, reach the network or run
Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import PLAIN_SAVER_CKPT, checkpoint, meta_with, node


def build(folder: Path) -> Path:
    target = folder / "pyfunc_training_meta"
    return checkpoint(
        target,
        PLAIN_SAVER_CKPT,
        meta=meta_with([node("PyFunc", "PyFunc", ["x"], {"token": "pyfunc_0"})]),
    )
