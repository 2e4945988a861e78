"""tf.keras 2.12-2.14's `_layer_checkpoint_dependencies/` layout: which walk numbered the layers,
read from the bytes, and the loaders that look a layer up under another number.

tf.keras 2.12 and 2.13 count a layer with weights twice (`dense`, `dense_2`), 2.14 does not
(`dense`, `dense_1`); each of them looks a layer up under its own number. Measured in the
extended matrix (tf213, tf214 columns): every tf.keras 2.14 `.keras` and `.weights.h5` of a model
with two Dense layers fails in tf.keras 2.13 ("Layer 'out' expected 2 variables, but received 0")
and loads in 2.14; a 2.13 one loads in 2.13 and fails in 2.14.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from migrator.audit import audit
from migrator.formats.keras_zip.weights import layer_numbering
from migrator.loadability import predict_cells
from migrator.loadability.runtimes import Runtime, labelled
from tests.test_keras_v3_tf212 import _artifact, write_tf212_keras_v3

ROOT = "_layer_checkpoint_dependencies"
TF212, TF213, TF214, TF215 = (labelled(Runtime((2, m), (2, m))) for m in (12, 13, 14, 15))
KERAS33 = labelled(Runtime((2, 16), (3, 3, 3), (2, 16)))


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        ([f"{ROOT}/dense", f"{ROOT}/dense_2"], "gapped"),
        ([f"{ROOT}/dense", f"{ROOT}/dense_2", f"{ROOT}/dense_4"], "gapped"),
        ([f"{ROOT}/dense", f"{ROOT}/dense_1"], "compact"),
        ([f"{ROOT}/dense", f"{ROOT}/dense_1", f"{ROOT}/conv2d"], "compact"),
        # one layer with weights per class: both walks name it alike
        ([f"{ROOT}/dense", f"{ROOT}/batch_normalization", f"{ROOT}/conv2d"], None),
        ([], None),
        # siblings are numbered per container: `dense` in two models is no gap
        ([f"{ROOT}/dense", f"{ROOT}/sequential/{ROOT}/dense"], None),
        # one class shows gaps, another none: a file neither walk wrote
        ([f"{ROOT}/dense", f"{ROOT}/dense_2", f"{ROOT}/lstm", f"{ROOT}/lstm_1"], None),
    ],
)
def test_layer_numbering_from_group_names(owners, expected):
    assert layer_numbering(owners) == expected


def _weights(h5: h5py.File, names: tuple[str, ...]) -> None:
    shapes = ((4, 3), (3, 2))
    for name, shape in zip(names, shapes, strict=True):
        group = h5.create_group(f"{ROOT}/{name}/vars")
        group["0"] = np.zeros(shape, np.float32)
        group["1"] = np.zeros(shape[1], np.float32)
    h5.create_group("vars")


def _archive(path: Path, names: tuple[str, ...], keras_version: str | None):
    """A tf.keras 2.12-2.14 `.keras` of a two-Dense Sequential whose weights use `names`."""
    write_tf212_keras_v3(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        _weights(h5, names)
    members["model.weights.h5"] = buffer.getvalue()
    metadata = {"keras_version": keras_version} if keras_version else {}
    members["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return _artifact(path)


def _weights_file(path: Path, names: tuple[str, ...]):
    with h5py.File(path, "w") as h5:
        _weights(h5, names)
    (artifact,) = audit([path]).artifacts
    return artifact


def test_the_reader_tells_2_14_archives_from_2_12_2_13_ones(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    compact = _archive(tmp_path / "a/m.keras", ("dense", "dense_1"), "2.14.0")
    gapped = _archive(tmp_path / "b/m.keras", ("dense", "dense_2"), "2.13.1")
    assert compact.details["weights_layout"] == gapped.details["weights_layout"] == "tf.keras-2.12"
    assert compact.details["weights_numbering"] == "compact"
    assert gapped.details["weights_numbering"] == "gapped"
    assert any("tf.keras 2.14" in e for e in compact.reading.evidence)
    assert any("tf.keras 2.12-2.13" in e for e in gapped.reading.evidence)
    assert not any("save_format='keras_v3'" in e for e in compact.reading.evidence)


def test_archive_numbering_comes_from_the_bytes_when_no_version_is_recorded(tmp_path):
    # no metadata.json keras_version: the group names alone decide
    artifact = _archive(tmp_path / "m.keras", ("dense", "dense_1"), None)
    cells = predict_cells(artifact, [TF213, TF214, KERAS33])
    assert cells["2.14/keras.load_model"].verdict == "loads"
    assert cells["2.13/keras.load_model"].verdict == "fails"
    reason = cells["2.13/keras.load_model"].reason
    assert "without gaps" in reason and "load it with tf.keras 2.14 or Keras 3.0.2+" in reason
    assert cells[f"{KERAS33.label}/keras.load_model"].verdict == "loads"


def test_a_2_14_weights_file_fails_in_2_12_and_2_13(tmp_path):
    artifact = _weights_file(tmp_path / "m.weights.h5", ("dense", "dense_1"))
    cells = predict_cells(artifact, [TF212, TF213, TF214, TF215, KERAS33])
    for runtime in (TF212, TF213):
        cell = cells[f"{runtime.label}/keras.load_weights"]
        assert cell.verdict == "fails", runtime.label
        assert "`dense_1`" in cell.reason and "tf.keras 2.14" in cell.reason
    assert cells["2.14/keras.load_weights"].verdict == "loads"
    cell = cells["2.15/keras.load_weights"]  # `layers/` only
    assert cell.verdict == "fails" and "load it with tf.keras 2.14 or Keras 3.0.2+" in cell.reason
    assert cells[f"{KERAS33.label}/keras.load_weights"].verdict == "loads"  # maps, compactly


def test_a_2_13_weights_file_fails_in_2_14_only_among_its_own_layout(tmp_path):
    artifact = _weights_file(tmp_path / "m.weights.h5", ("dense", "dense_2"))
    cells = predict_cells(artifact, [TF212, TF213, TF214, KERAS33])
    assert cells["2.12/keras.load_weights"].verdict == "loads"
    assert cells["2.13/keras.load_weights"].verdict == "loads"
    cell = cells["2.14/keras.load_weights"]
    assert cell.verdict == "fails" and "`dense_2`" in cell.reason
    assert cells[f"{KERAS33.label}/keras.load_weights"].verdict == "fails"


def test_one_layer_per_class_loads_in_every_legacy_line(tmp_path):
    artifact = _weights_file(tmp_path / "m.weights.h5", ("dense", "batch_normalization"))
    cells = predict_cells(artifact, [TF212, TF213, TF214])
    for runtime in (TF212, TF213, TF214):
        assert cells[f"{runtime.label}/keras.load_weights"].verdict == "loads", runtime.label
