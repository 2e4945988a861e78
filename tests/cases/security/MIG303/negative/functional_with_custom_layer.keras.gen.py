"""MIG303 (opaque-custom-model) negative case: the rule must stay silent here.

Close to, but not: Model defined entirely by code outside the artifact.
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
    target = folder / "functional_with_custom_layer.keras"
    return keras_zip(target, keras3_functional(PROJECT_LAYER))
