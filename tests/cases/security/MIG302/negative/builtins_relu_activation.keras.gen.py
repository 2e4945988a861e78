"""MIG302 (config-module-outside-keras) negative case: the rule must stay silent here.

Close to, but not: Config entry naming a Python module outside Keras.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import keras3_functional, keras_zip


def build(folder: Path) -> Path:
    target = folder / "builtins_relu_activation.keras"
    return keras_zip(
        target,
        keras3_functional(
            {
                "module": "keras.layers",
                "class_name": "Activation",
                "registered_name": None,
                "name": "act",
                "inbound_nodes": [],
                "config": {
                    "name": "act",
                    "activation": {
                        "module": "builtins",
                        "class_name": "function",
                        "config": "relu",
                        "registered_name": "function",
                    },
                },
            }
        ),
    )
