"""MIG110 (layers-removed-in-keras3) negative case: the rule must stay silent here.

Close to, but not: Layer classes Keras 3 removed (TF-op layers, CuDNN RNNs,
LocallyConnected...).
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_h5


def build(folder: Path) -> Path:
    target = folder / "keras2_dense.h5"
    return keras_h5(target, KERAS2_MODEL)
