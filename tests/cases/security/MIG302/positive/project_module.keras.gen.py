"""MIG302 (config-module-outside-keras) positive case: the rule must fire here.

An artifact with the pattern: Config entry naming a Python module outside Keras.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras3_functional, keras_zip

PROJECT_LAYER = {
    "module": "my_project.layers",
    "class_name": "Scale",
    "config": {"name": "scale"},
    "registered_name": "my_project>Scale",
    "name": "scale",
    "inbound_nodes": [],
}


def build(folder: Path) -> Path:
    target = folder / "project_module.keras"
    return keras_zip(target, keras3_functional(PROJECT_LAYER))
