"""Keras 3.11 writes a Functional model's lone output as a bare tensor reference, which Keras
3.0-3.3 cannot read (knowledge.loaders.KERAS3_READS_BARE_TENSOR_REFERENCE_SINCE).

Measured (corpus/matrix_extended.json): the functional model Keras 3.11.3 and 3.12.4 wrote, as
`.keras` and `.h5`, fails `load_model` in Keras 3.3.3 (AssertionError); the one Keras 3.10.0
wrote, whose `output_layers` is `[["out", 0, 0]]`, loads there.
"""

from __future__ import annotations

import zipfile

from migrator.audit import audit
from migrator.loadability import predict_cells
from migrator.loadability.evidence import Evidence
from migrator.loadability.runtimes import Runtime, labelled
from tests.conftest import CORPUS

GENERATED = CORPUS / "generated"


def _load_model(relative: str, keras: tuple[int, ...]):
    (artifact,) = audit([GENERATED / relative]).artifacts
    runtime = labelled(Runtime((2, 16), keras))
    return predict_cells(artifact, [runtime])[f"{runtime.label}/keras.load_model"], artifact


def test_a_bare_output_reference_is_refused_before_keras_3_4() -> None:
    for relative in (
        "tf220-keras311/keras/functional/save-keras/model.keras",
        "tf220-keras311/keras/functional/save-h5/model.h5",
    ):
        cell, artifact = _load_model(relative, (3, 3, 3))
        assert cell.verdict == "fails" and "bare tensor reference" in cell.reason, relative
        assert Evidence.of(artifact).config.bare_tensor_refs == ("(model).output_layers",)
        assert _load_model(relative, (3, 4, 1))[0].verdict == "loads", relative


def test_a_listed_output_reference_still_loads_in_keras_3_3() -> None:
    relative = "tf220-keras310/keras/functional/save-keras/model.keras"
    with zipfile.ZipFile(GENERATED / relative) as z:
        assert b'"output_layers": [["out", 0, 0]]' in z.read("config.json")
    cell, artifact = _load_model(relative, (3, 3, 3))
    assert cell.verdict == "loads"
    assert Evidence.of(artifact).config.bare_tensor_refs == ()
