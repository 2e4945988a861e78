"""MIG307 (hdf5-external-link) positive case: the rule must fire here.

An artifact with the pattern: HDF5 external link to another file.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import KERAS2_MODEL, keras_h5


def build(folder: Path) -> Path:
    target = folder / "external_link.h5"
    return keras_h5(target, KERAS2_MODEL, external_link=("stolen", "/etc/hosts"))
