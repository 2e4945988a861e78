"""Keras 3.3.3 counts a Bidirectional layer's weights otherwise than 3.0-3.3.2 (knowledge.loaders.
KERAS3_BIDIRECTIONAL_LAYER_SINCE): a whole model saved on one side does not load on the other.

Measured (corpus/matrix_extended.json): the Keras 3.3.3 recurrent model (an LSTM and a
Bidirectional GRU), as `.h5` and `.keras`, fails `load_model` in Keras 3.0.5, 3.1.1 and 3.2.1
("Layer expects 9 weight(s). Received 6") and loads in 3.4.1; `load_weights` loads everywhere.
The other way round loads: what Keras 3.0-3.2 saved as `.keras` loads in 3.3.3 and 3.15.1, but
not in 3.0-3.2 themselves.
"""

from __future__ import annotations

import json
import zipfile

from migrator.audit import audit
from migrator.loadability import predict_cells
from migrator.loadability.runtimes import Runtime, labelled
from tests.conftest import CORPUS

RECURRENT = CORPUS / "generated" / "tf216" / "keras" / "recurrent"


def _keras3(minor: int, patch: int = 0) -> Runtime:
    tf = {0: 16, 1: 16, 2: 17, 3: 16, 4: 17, 15: 21}[minor]  # the overlays' base lines
    return labelled(Runtime((2, tf), (3, minor, patch)))


def _cells(path, runtime: Runtime) -> dict:
    (artifact,) = audit([path]).artifacts
    cells = predict_cells(artifact, [runtime])
    return {k.split("/", 1)[1]: v for k, v in cells.items()}


def test_a_3_3_3_model_does_not_load_whole_before_3_3_3() -> None:
    for path in (RECURRENT / "save-h5" / "model.h5", RECURRENT / "save-keras" / "model.keras"):
        for runtime in (_keras3(0, 5), _keras3(2, 1)):
            cells = _cells(path, runtime)
            assert cells["keras.load_model"].verdict == "fails", (path, runtime)
            assert "Bidirectional" in cells["keras.load_model"].reason
            assert cells["keras.load_weights"].verdict != "fails"
        assert _cells(path, _keras3(4, 1))["keras.load_model"].verdict != "fails"


def test_a_keras_archive_saved_before_3_3_3_loads_in_3_3_3_and_later(tmp_path) -> None:
    # measured: the Keras 3.0.5/3.1.1/3.2.1 recurrent `.keras` loads in 3.3.3 and 3.15.1 (its
    # extra weights are left unread); those releases cannot save it as HDF5 at all
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(RECURRENT / "save-keras" / "model.keras") as source:
        members = {name: source.read(name) for name in source.namelist()}
    metadata = json.loads(members["metadata.json"])
    members["metadata.json"] = json.dumps({**metadata, "keras_version": "3.2.1"}).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    for runtime in (_keras3(3, 3), _keras3(15, 1)):
        reason = _cells(path, runtime)["keras.load_model"].reason or ""
        assert "Bidirectional" not in reason, runtime
    # measured: 3.0.5-3.2.1 do not load back the `.keras` they wrote themselves
    cell = _cells(path, _keras3(2, 1))["keras.load_model"]
    assert cell.verdict == "fails" and "Bidirectional" in cell.reason
