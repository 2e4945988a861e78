"""MIG302 (config-module-outside-keras) negative case: the rule must stay silent here.

Close to, but not: Config entry naming a Python module outside Keras.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS3_SEQ, keras_zip


def build(folder: Path) -> Path:
    target = folder / "keras3_sequential.keras"
    return keras_zip(target, KERAS3_SEQ)
