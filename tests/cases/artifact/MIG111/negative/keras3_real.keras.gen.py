"""MIG111 (tfkeras-keras-v3-config) negative case: the rule must stay silent here.

Close to, but not: `.keras` file from tf.keras 2.13-2.15 with config Keras 3 rejects.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import FIXTURES, copy_of


def build(folder: Path) -> Path:
    target = folder / "keras3_real.keras"
    return copy_of(target, FIXTURES / "artifact_rules/current/classifier.keras")
