"""MIG119 (custom-objects-required) positive case: the rule must fire here.

An artifact with the pattern: Custom classes or functions required to load.
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
    target = folder / "registered_layer.keras"
    return keras_zip(target, keras3_functional(PROJECT_LAYER))
