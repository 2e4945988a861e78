"""Validation tries a source first where the loadability verdicts predict it loads (no TF).

Read from the generated corpus (files the real releases wrote): a tf_keras 2.21 HDF5 carries
InputLayer `optional`, which tf.keras 2.12-2.15 refuse (measured: corpus/matrix.json), so its
runs in tf212/tf215 go after the tf_keras ones, and those runtimes are not started for it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from migrator.audit import audit
from migrator.convert import Options
from migrator.convert.classify import classify
from migrator.convert.run_order import by_prediction, verdict_runtime, where_it_loads
from migrator.convert.runtimes import Runtime
from migrator.convert.validate import Run, unrunnable_remedy

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
GENERATED = CORPUS / "generated"
LINES = {"tf212": "2.12", "tf215": "2.15", "tf216": "2.16", "tf221": "2.21"}
PY = Path(sys.executable)
TF212 = Runtime("tf212", PY, "2.12.1", "2.12.0", None)
TF215 = Runtime("tf215", PY, "2.15.1", "2.15.0", None)
TF216 = Runtime("tf216", PY, "2.16.2", "3.3.3", "2.16.0")
TF221 = Runtime("tf221", PY, "2.21.0", "3.15.1", "2.21.0")


def _runs(loader: str = "keras") -> list[Run]:
    """The era-first order validation_runs gives a Keras 2 HDF5: newest Keras 2, then tf_keras."""
    own = [
        Run(rt, "run_keras", {"flavour": "keras", "loader": loader}, "own") for rt in (TF215, TF212)
    ]
    tfk = [
        Run(rt, "run_keras", {"flavour": "tf_keras", "loader": loader}, "tfk")
        for rt in (TF221, TF216)
    ]
    return own + tfk


def _source(relative: str):
    (artifact,) = audit([GENERATED / relative]).artifacts
    return classify(artifact, Options())


def _order(runs: list[Run]) -> list[tuple[str, str]]:
    return [(run.runtime.name, run.args["flavour"]) for run in runs]


def _measured_order(artifact_id: str, runs: list[Run], call: str) -> list[tuple[str, str]]:
    """The runs the real releases loaded the artifact in (corpus/matrix.json), then the others,
    each in the given order."""
    cells = json.loads((CORPUS / "matrix.json").read_text())["artifacts"][artifact_id]["cells"]

    def loads(run: Run) -> bool:
        package = run.args["flavour"]
        cell = cells[f"{LINES[run.runtime.name]}/{package}.{call}"]
        return cell["verdict"] != "fails"

    return _order([r for r in runs if loads(r)] + [r for r in runs if not loads(r)])


def test_a_tf_keras_2_21_hdf5_runs_first_where_it_was_measured_to_load() -> None:
    source = _source("tf221/tf_keras/functional/save-h5/model.h5")
    ordered = by_prediction(_runs(), source.artifact)
    expected = _measured_order("tf221/tf_keras/functional/save-h5", _runs(), "load_model")
    assert _order(ordered) == expected
    # InputLayer `optional`: refused by tf.keras 2.12-2.15 and tf_keras 2.16, kept last so
    # that a wrong prediction still reaches them
    assert expected[0] == ("tf221", "tf_keras") and len(expected) == 4


def test_a_tf_keras_2_12_hdf5_keeps_the_era_first() -> None:
    source = _source("tf212/keras/functional/save-h5/model.h5")
    ordered = _order(by_prediction(_runs(), source.artifact))
    assert ordered == _measured_order("tf212/keras/functional/save-h5", _runs(), "load_model")
    assert ordered[:2] == [("tf215", "keras"), ("tf212", "keras")]


def test_weights_runs_are_ordered_by_the_load_weights_verdicts() -> None:
    source = _source("tf221/tf_keras/functional/save-h5/model.h5")
    ordered = by_prediction(_runs("config+weights"), source.artifact)
    # load_weights reads the weights only: `optional` does not matter, the era stays first
    assert _order(ordered) == _measured_order(
        "tf221/tf_keras/functional/save-h5", _runs("config+weights"), "load_weights"
    )
    assert _order(ordered) == _order(_runs("config+weights"))


def test_without_a_reading_the_order_is_unchanged() -> None:
    assert by_prediction(_runs(), None) == _runs()


def test_runtimes_are_seen_by_their_versions() -> None:
    seen = verdict_runtime(TF216)
    assert seen is not None
    assert (seen.tensorflow, seen.keras, seen.tf_keras) == ((2, 16, 2), (3, 3, 3), (2, 16, 0))
    assert verdict_runtime(Runtime("broken", PY, None, None, None)) is None


def test_where_it_loads_names_the_only_runtime_measured_to_load_the_source() -> None:
    """A tf.keras 2.13 Functional `.keras`: the one runtime of the extended matrix whose
    load_model loads it is tf213, and that is what the conversion's message names when no
    installed runtime can run it (validate.unrunnable_remedy)."""
    artifact = "tf213/keras/functional/save-keras"
    cells = json.loads((CORPUS / "matrix_extended.json").read_text())["artifacts"][artifact]
    loading = sorted(
        key for key, cell in cells["cells"].items()
        if key.endswith("load_model") and cell["verdict"] != "fails"
    )  # fmt: skip
    assert loading == ["tf213/keras.load_model"]
    source = _source(f"{artifact}/model.keras")
    assert where_it_loads(source.artifact) == "keras.load_model: tf.keras 2.13"
    remedy = unrunnable_remedy(where_it_loads(source.artifact))
    assert "loads with keras.load_model: tf.keras 2.13" in remedy
    assert "model.save('model.h5')" in remedy


def test_where_it_loads_is_empty_without_a_model_loader() -> None:
    source = _source("tf215/keras/sequential/weights-h5/weights.h5")
    assert where_it_loads(source.artifact) == ""
    assert "migrator runtimes list" in unrunnable_remedy("")
