"""migrator's `mlflow.pyfunc.load_model` cells against every measured one.

`corpus/mlflow/measured.json` holds what the real `mlflow.pyfunc.load_model` did with every folder
of `corpus/mlflow/` in each runtime measured (`corpus/mlflow_measure.py`: MLflow 2.22.5 and 3.17.2
beside TF 2.12, 2.15 and 2.16, MLflow 3.17.2 in tox's tf221 and beside the matrix envs of TF 2.13,
2.14 and 2.17-2.20, and with the Keras 3.0, 3.5 and 3.12 overlays of the extended matrix; TF >=
2.16 also with `TF_USE_LEGACY_KERAS=1`). Each is predicted for the
runtime of `loadability.runtimes.EXTENDED` with the same TensorFlow and Keras. A `loads` cell
must have loaded as is; a `loads-with-changes` cell naming TF_USE_LEGACY_KERAS must have failed
without it and loaded with it; a `fails` cell must have failed both ways. TF-free: the
measurements are committed, the predictions read bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.knowledge.mlflow import KERAS3_FLAVOR_SINCE
from migrator.knowledge.versions import parse, render
from migrator.loadability import predict_cells
from migrator.loadability.runtimes import EXTENDED, Runtime
from migrator.model import Artifact

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mlflow"
MEASURED = json.loads((CORPUS / "measured.json").read_text())
FOLDERS = sorted(json.loads((CORPUS / "manifest.json").read_text()))
CALL = "mlflow.pyfunc.load_model"


@pytest.fixture(scope="module")
def folders() -> dict[str, Artifact]:
    """The folders as read (not judged: a reading keeps the model inside for the verdicts)."""
    return {a.path: a for a in audit([CORPUS]).artifacts if "/" not in a.path}


def line_of(runtime: str) -> str:
    tf = parse(MEASURED["runtimes"][runtime]["tensorflow"])
    assert tf is not None, runtime
    return f"{tf[0]}.{tf[1]}"


def runtime_of(name: str) -> Runtime:
    """The known runtime with the TensorFlow, Keras and tf_keras the measuring process imported."""
    versions = MEASURED["runtimes"][name]
    for runtime in EXTENDED:
        if (
            render(runtime.tensorflow) == versions["tensorflow"]
            and render(runtime.keras) == versions["keras"]
            and (render(runtime.tf_keras) if runtime.tf_keras else None) == versions["tf_keras"]
        ):
            return runtime
    raise AssertionError(f"{name}: no runtime of loadability.runtimes has {versions}")


def disagreements(folders: dict[str, Artifact]) -> Iterator[str]:
    """One line per measured cell the prediction contradicts."""
    predictions: dict[tuple[str, str], dict] = {}
    for cell in MEASURED["cells"]:
        name, runtime = cell["folder"], cell["runtime"]
        if (name, runtime) not in predictions:
            known = runtime_of(runtime)
            cells = predict_cells(folders[name], [known])
            predictions[name, runtime] = cells.get(f"{known.label}/{CALL}")
        predicted = predictions[name, runtime]
        if predicted is None:
            yield f"{name} in {runtime}: no prediction"
            continue
        verdict, reason = predicted.verdict, predicted.reason
        legacy, loaded = cell["legacy_keras"], cell["loaded"]
        if verdict == "loads":
            wrong = not legacy and not loaded
        elif verdict == "loads-with-changes":
            wrong = "TF_USE_LEGACY_KERAS=1" not in reason or loaded != legacy
        else:
            wrong = loaded
        if wrong:
            setting = "TF_USE_LEGACY_KERAS=1" if legacy else "as is"
            did = "loaded" if loaded else f"failed ({cell['error'][:120]})"
            yield f"{name} in {runtime} {setting}: predicted {verdict} ({reason[:120]}); {did}"


def test_every_measured_cell_agrees_with_the_prediction(folders: dict[str, Artifact]) -> None:
    wrong = list(disagreements(folders))
    assert not wrong, "\n".join(wrong)


def test_every_folder_is_measured_in_every_runtime_both_ways_from_tf216() -> None:
    """A folder added to the corpus without measuring it would leave its cells untested."""
    seen = {(c["folder"], c["runtime"], c["legacy_keras"]) for c in MEASURED["cells"]}
    for runtime, versions in MEASURED["runtimes"].items():
        settings = (False, True) if versions.get("tf_keras") else (False,)
        for name in FOLDERS:
            for legacy in settings:
                assert (name, runtime, legacy) in seen, (name, runtime, legacy)
    # every TF line of the tox envs, and the lines between them, have been measured
    lines = {f"2.{minor}" for minor in range(12, 22)}
    assert {line_of(r) for r in MEASURED["runtimes"]} == lines


def test_the_measured_mlflows_are_those_the_verdict_describes() -> None:
    """The verdict judges the MLflow of the Keras 3 flavor era (>= 2.11): the newest 2.x and a 3.x."""
    floor = parse(KERAS3_FLAVOR_SINCE)
    assert floor is not None
    versions = {v["mlflow"] for v in MEASURED["runtimes"].values()}
    assert all((parse(v) or (0,)) >= floor for v in versions), versions
    assert {v.split(".")[0] for v in versions} == {"2", "3"}


def test_the_comparison_can_fail(folders: dict[str, Artifact]) -> None:
    """Each plain cell flipped against its measurement is named: the comparison is not vacuous."""
    original = MEASURED["cells"]
    try:
        for cell in (c for c in original if not c["legacy_keras"]):
            MEASURED["cells"] = [dict(cell, loaded=not cell["loaded"], error="flipped")]
            wrong = list(disagreements(folders))
            assert len(wrong) == 1 and cell["folder"] in wrong[0], cell
    finally:
        MEASURED["cells"] = original


@pytest.mark.parametrize(
    ("folder", "line", "loaded"),
    [
        # MLflow >= 2.11 `mlflow.keras` under Keras 2 is `mlflow.tensorflow`: the 1.x layout loads
        ("mlflow130_keras_h5", "2.15", True),
        ("mlflow130_keras_tf", "2.12", True),
        # ... under Keras 3 it is the Keras 3 flavor, which looks for data/data.keras
        ("mlflow130_keras_h5", "2.16", False),
        # the 0.x layout (model.h5 at the root) is looked for as model.h5.h5 under Keras 2
        ("mlflow09_keras_h5", "2.15", False),
        # an exported Keras 3 folder: mlflow.tensorflow's loader (Keras 2) looks for model.h5
        ("mlflow222_keras_exported", "2.15", False),
        ("mlflow222_keras_exported", "2.16", True),
    ],
)
def test_measured_facts_the_verdict_rests_on(folder: str, line: str, loaded: bool) -> None:
    """The measurements themselves, for the causes the verdict encodes (knowledge.mlflow)."""
    cells = [
        c
        for c in MEASURED["cells"]
        if c["folder"] == folder and line_of(c["runtime"]) == line and not c["legacy_keras"]
    ]
    assert cells and all(c["loaded"] is loaded for c in cells), cells
