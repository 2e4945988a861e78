"""Predicted == measured for every cell of the extended matrix (`corpus/matrix_extended.json`).

The extended matrix measures every runtime of `migrator.knowledge.runtimes` (each TF minor
2.12-2.21 with the Keras pip pairs with it, each Keras 3 minor on the newest TF admitting it) on
every generated artifact; its cells are keyed `<runtime name>/<loader>` (`tf217/...`,
`tf219-keras35/keras.load_model`). The predictions come from the readers and the release facts
alone; a disagreement fails and names the cell. (`tests/test_loadability.py` holds the four CI
lines of `corpus/matrix.json` to the same standard.)
"""

from __future__ import annotations

import json

import pytest

from corpus import GENERATED
from migrator.loadability import predict_runtime
from migrator.loadability.evidence import Evidence
from migrator.loadability.runtimes import EXTENDED
from migrator.model import Report
from tests.conftest import CORPUS, artifacts_under

MATRIX_EXTENDED = CORPUS / "matrix_extended.json"


@pytest.fixture(scope="module")
def extended() -> dict:
    if not MATRIX_EXTENDED.exists():
        pytest.skip("corpus/matrix_extended.json is not measured yet (tox -e matrix writes it)")
    return json.loads(MATRIX_EXTENDED.read_text(encoding="utf-8"))


def test_every_measured_runtime_is_a_known_runtime(extended):
    known = {runtime.label: runtime for runtime in EXTENDED}
    for name, info in extended["runtimes"].items():
        runtime = known[name]  # a KeyError names a runtime knowledge.runtimes lacks
        assert ".".join(map(str, runtime.tensorflow)) == info["tensorflow"], name
        assert ".".join(map(str, runtime.keras)) == info["keras"], name


def test_every_cell_of_the_extended_matrix_is_predicted(extended, corpus_reading: Report):
    runtimes = {runtime.label: runtime for runtime in EXTENDED}
    prefix = GENERATED.relative_to(CORPUS).as_posix()
    disagreements: list[str] = []
    cells = 0
    for artifact_id, entry in extended["artifacts"].items():
        found = artifacts_under(corpus_reading, f"{prefix}/{entry['path']}")
        if len(found) != 1:
            disagreements.append(f"{artifact_id}: read as {[a.path for a in found]}")
            continue
        evidence = Evidence.of(found[0])
        by_runtime: dict[str, dict] = {}
        for key, measured in entry["cells"].items():
            name, loader = key.split("/", 1)
            if name not in by_runtime:
                by_runtime[name] = predict_runtime(evidence, runtimes[name])
            guess = by_runtime[name].get(loader)
            cells += 1
            if guess is None:
                disagreements.append(f"{artifact_id} x {key}: measured, but no loader predicted")
                continue
            if (guess.verdict, sorted(guess.needs)) != (measured["verdict"], measured["needs"]):
                disagreements.append(
                    f"{artifact_id} x {key}: predicted {guess.verdict} {list(guess.needs)} "
                    f"({guess.reason}); measured {measured['verdict']} {measured['needs']} "
                    f"({measured.get('last_error') or measured.get('error')})"
                )
    assert cells == extended["size"]["cells"]
    assert not disagreements, f"{len(disagreements)} of {cells} cells disagree:\n" + "\n".join(
        disagreements
    )
