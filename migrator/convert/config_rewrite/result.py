"""The value every config rewrite returns: the rewritten config and what was done to get it.

Its own module so the per-era rewrites (`keras1_to_2`, `keras2_to_3`, `activations`) share it
without importing each other or the package that chains them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.errors import UnsafeContent

Config = dict[str, Any]

# Keras wrappers whose `layer` (and `backward_layer`) is itself a layer config to rewrite.
WRAPPERS = ("TimeDistributed", "Bidirectional")


@dataclass
class Rewrite:
    """A rewritten config and what was changed to get it."""

    config: Config
    changes: list[str] = field(default_factory=list)
    # layer name -> Keras class name of the source layer, for weight layout conversion
    source_classes: dict[str, str] = field(default_factory=dict)
    lambdas: list[str] = field(default_factory=list)
    # Major Keras version that wrote the config (1, 2 or 3): activations changed meaning in 3.
    source_keras_major: int = 2
    # layer name -> weight transforms (see weight_layouts.apply_transforms) that keep the layer
    # computing the same function after an activation changed meaning.
    weight_transforms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def note(self, message: str) -> None:
        if message not in self.changes:
            self.changes.append(message)


def refuse_lambdas(names: list[str]) -> None:
    """Raise UnsafeContent for Lambda layers (rebuilding them runs code stored in the file)."""
    shown = ", ".join(repr(n) for n in names[:5])
    raise UnsafeContent(
        shown,
        f"Lambda layer(s) {shown} hold Python code stored in the artifact; converting them "
        "means running that code",
        "rewrite them as registered custom layers and pass --custom-objects, or pass --unsafe "
        "if you trust the file's origin",
    )
