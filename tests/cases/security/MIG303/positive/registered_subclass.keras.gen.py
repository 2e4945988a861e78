"""MIG303 (opaque-custom-model) positive case: the rule must fire here.

An artifact with the pattern: Model defined entirely by code outside the artifact.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras_zip

SUBCLASSED_K3 = {
    "module": "my_project.models",
    "class_name": "Net",
    "config": {"trainable": True},
    "registered_name": "my_project>Net",
    "build_config": {"input_shape": [None, 3]},
}


def build(folder: Path) -> Path:
    target = folder / "registered_subclass.keras"
    return keras_zip(target, SUBCLASSED_K3)
