"""MIG111 (tfkeras-keras-v3-config) positive case: the rule must fire here.

An artifact with the pattern: `.keras` file from tf.keras 2.13-2.15 with config Keras 3 rejects.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import FIXTURES, copy_of


def build(folder: Path) -> Path:
    target = folder / "tfkeras215_real.keras"
    return copy_of(target, FIXTURES / "keras_zip/tfk215_functional.keras")
