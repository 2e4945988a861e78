"""MIG111 (tfkeras-keras-v3-config) positive case: the rule must fire here.

An artifact with the pattern: `.keras` file from tf.keras 2.13-2.15 with config Keras 3 rejects.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras3_functional, keras_zip

TFKERAS_FUNCTIONAL = dict(keras3_functional(), module="keras.src.engine.functional")


def build(folder: Path) -> Path:
    target = folder / "tfkeras_engine_module.keras"
    return keras_zip(target, TFKERAS_FUNCTIONAL, keras_version="2.14.0")
