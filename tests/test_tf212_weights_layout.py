"""The tf.keras 2.12-2.14 weights layout renamed to the `layers/` one later releases walk.

The copy holds every array under the renamed path (nested containers too), the source archive is
left as it was, and a file that already has both groups is refused rather than merged.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from migrator.convert.tf212_weights_layout import rename_layout, renamed_weights

KERNEL = np.arange(6, dtype="float32").reshape(2, 3)
INNER = np.full((3,), 7.0, dtype="float32")


def _weights_2_14(path: Path) -> None:
    """A Functional model with a nested Sequential, as tf.keras 2.14 lays it out."""
    with h5py.File(path, "w") as h5:
        h5.create_group("vars")
        h5["_layer_checkpoint_dependencies/dense/vars/0"] = KERNEL
        h5.create_group("_layer_checkpoint_dependencies/input_layer/vars")
        inner = "_layer_checkpoint_dependencies/sequential/_layer_checkpoint_dependencies"
        h5[f"{inner}/dense/vars/0"] = INNER


def _paths(path: Path | str) -> list[str]:
    with h5py.File(path, "r") as h5:
        found: list[str] = []
        h5.visititems(lambda name, item: found.append(name))
        return sorted(found)


def test_every_level_is_renamed_and_every_array_kept(tmp_path):
    weights = tmp_path / "model.weights.h5"
    _weights_2_14(weights)
    assert rename_layout(weights) == 2
    assert not any("_layer_checkpoint_dependencies" in p for p in _paths(weights))
    with h5py.File(weights, "r") as h5:
        np.testing.assert_array_equal(h5["layers/dense/vars/0"][()], KERNEL)
        np.testing.assert_array_equal(h5["layers/sequential/layers/dense/vars/0"][()], INNER)
        assert "layers/input_layer/vars" in h5 and "vars" in h5


def test_a_keras_archive_is_read_into_a_temporary_copy_and_left_unchanged(tmp_path):
    member = tmp_path / "member.h5"
    _weights_2_14(member)
    archive = tmp_path / "model.keras"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("config.json", "{}")
        zf.write(member, "model.weights.h5")
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    with renamed_weights(str(archive)) as copy:
        assert copy.endswith(".weights.h5")  # the name load_weights reads as Keras v3 weights
        assert "layers/sequential/layers/dense/vars/0" in _paths(copy)
    assert not Path(copy).exists() and not Path(copy).parent.exists()
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before


def test_a_file_holding_both_layouts_is_refused_not_merged(tmp_path):
    weights = tmp_path / "model.weights.h5"
    _weights_2_14(weights)
    with h5py.File(weights, "r+") as h5:
        h5["layers/other/vars/0"] = KERNEL
    with pytest.raises(ValueError, match="both in the weights file"):
        rename_layout(weights)
