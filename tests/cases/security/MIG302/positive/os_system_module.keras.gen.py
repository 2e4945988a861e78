"""MIG302 (config-module-outside-keras) positive case: the rule must fire here.

An artifact with the pattern: Config entry naming a Python module outside Keras.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras3_functional, keras_zip

OS_SYSTEM = {
    "module": "os",
    "class_name": "system",
    "config": {"command": "id"},
    "registered_name": None,
    "name": "boom",
    "inbound_nodes": [],
}


def build(folder: Path) -> Path:
    target = folder / "os_system_module.keras"
    return keras_zip(target, keras3_functional(OS_SYSTEM))
