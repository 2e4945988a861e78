"""MIG307 (hdf5-external-link) negative case: the rule must stay silent here.

Close to, but not: HDF5 external link to another file.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_h5


def build(folder: Path) -> Path:
    target = folder / "keras2_model.h5"
    return keras_h5(target, KERAS2_MODEL)
