"""MIG120 (optimizer-state-dropped) negative case: the rule must stay silent here.

Close to, but not: Optimizer state that will not carry over.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "keras3_optimizer.keras"
    return keras_zip(target, KERAS3_SEQ)
