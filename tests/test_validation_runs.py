"""Which runtimes validation tries a Keras 2 HDF5 source in, and in what order (no TensorFlow)."""

from __future__ import annotations

import sys
from pathlib import Path

from migrator.convert import Convertible
from migrator.convert.validation_runs import _newer_tf_keras_first

PY = Path(sys.executable)


def _runtimes():
    from migrator.convert.runtimes import Runtime

    tf212 = Runtime("tf212", PY, "2.12.1", "2.12.0", None)
    tf215 = Runtime("tf215", PY, "2.15.1", "2.15.0", None)
    tf216 = Runtime("tf216", PY, "2.16.2", "3.3.3", "2.16.0")
    tf221 = Runtime("tf221", PY, "2.21.0", "3.15.1", "2.21.0")
    return [tf215, tf212], [tf221, tf216]  # newest first, as validation lists them


def _h5(keras_version: str | None) -> Convertible:
    producer = {"keras_version": keras_version} if keras_version else {}
    return Convertible(Path("m.h5"), ".", "keras-h5", ("keras-h5",), producer=producer)


def test_a_file_from_a_tf_keras_newer_than_every_tf_keras_2_runs_there_first() -> None:
    keras2, tfk = _runtimes()
    first, rest = _newer_tf_keras_first(_h5("2.21.0"), keras2, tfk)
    # tf.keras 2.12/2.15 refuse tf_keras 2.21's InputLayer `optional`: not tried before it
    assert [r.name for r in first] == ["tf221"]
    assert [r.name for r in rest] == ["tf216"]
    first, rest = _newer_tf_keras_first(_h5("2.16.0"), keras2, tfk)
    assert [r.name for r in first] == ["tf221", "tf216"] and rest == []


def test_files_an_installed_tf_keras_2_line_covers_keep_the_era_first() -> None:
    keras2, tfk = _runtimes()
    for written in ("2.15.0", "2.2.4", "2.12.0", None, "3.3.3", "1.2.2"):
        first, rest = _newer_tf_keras_first(_h5(written), keras2, tfk)
        assert first == [], written
        assert [r.name for r in rest] == ["tf221", "tf216"]


def test_no_tf_keras_as_new_as_the_writer_keeps_the_order() -> None:
    keras2, tfk = _runtimes()
    first, rest = _newer_tf_keras_first(_h5("2.22.0"), keras2, tfk)
    assert first == [] and [r.name for r in rest] == ["tf221", "tf216"]
