"""The loadability matrix: its shape (TF-free) and its measurement (one column per TF env).

`corpus/matrix.json` is what the real runtimes did with the committed corpus. The TF-free tests
check that it covers every generated artifact with exactly the loaders that apply to its format
and that the readers see each artifact as the format it was written in. The `tf` tests, run in
each tox TF env, regenerate this env's artifacts and re-measure this env's column of the matrix,
so a change in a runtime (or in the probe) shows up as named cells.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from corpus import ENVS, GENERATED, MATRIX, MATRIX_EXTENDED
from corpus.records import NEEDS, TOLERANCE, artifacts, compare, manifests, runtime_loaders
from migrator.knowledge.runtimes import RUNTIMES, by_name
from migrator.loadability import LOADERS, TF_LINES, applicable
from migrator.model import Report
from tests.conftest import CORPUS, artifacts_under

REPO = Path(__file__).resolve().parents[1]
VERDICTS = {"loads", "loads-with-changes", "fails"}
# What corpus.generate.sniff names the generated artifacts.
GENERATED_FORMATS = (
    "keras-h5",
    "keras-v3",
    "keras-h5-weights",
    "keras-v3-weights",
    "tf-checkpoint",
    "saved-model",
)


@pytest.fixture(scope="module")
def matrix() -> dict:
    return json.loads(MATRIX.read_text(encoding="utf-8"))


def test_every_env_generated_its_artifacts():
    assert [m["env"] for m in manifests()] == list(ENVS.values())
    assert set(ENVS) == set(TF_LINES)


def test_matrix_has_one_cell_per_artifact_tf_line_and_applicable_loader(matrix):
    generated = {a["id"]: a for a in artifacts()}
    assert sorted(matrix["artifacts"]) == sorted(generated)
    for artifact_id, entry in matrix["artifacts"].items():
        fmt = generated[artifact_id]["format"]
        assert entry["format"] == fmt, artifact_id
        expected = {f"{tf}/{loader}" for tf in TF_LINES for loader in applicable(fmt, tf)}
        assert set(entry["cells"]) == expected, artifact_id
    assert matrix["size"]["artifacts"] == len(generated)
    assert matrix["size"]["cells"] == sum(len(e["cells"]) for e in matrix["artifacts"].values())
    assert matrix["loaders"] == list(LOADERS)


def test_matrix_records_are_consistent(matrix):
    for artifact_id, entry in matrix["artifacts"].items():
        for key, record in entry["cells"].items():
            cell = f"{artifact_id} x {key}"
            assert record["verdict"] in VERDICTS, cell
            assert set(record["needs"]) <= set(NEEDS), cell
            if record["verdict"] == "fails":
                assert record["error"], cell
            else:
                assert record["max_abs_diff"] is not None, cell
                assert record["max_abs_diff"] <= TOLERANCE, cell
                assert bool(record["needs"]) == (record["verdict"] == "loads-with-changes"), cell


def test_every_generated_artifact_has_a_reference():
    for entry in artifacts():
        ref = json.loads((GENERATED / entry["reference"]).read_text(encoding="utf-8"))
        assert ref["model"] == entry["model"]
        assert ref["inputs"] and ref["outputs"]


@pytest.mark.parametrize("extended", [False, True], ids=["ci", "extended"])
def test_readers_see_each_artifact_as_the_format_it_was_written_in(
    corpus_reading: Report, extended: bool
):
    """Exactly one artifact at or under each generated path, of the format it was written in
    (read from the session's one reading of `corpus/`)."""
    wrong = []
    prefix = GENERATED.relative_to(CORPUS).as_posix()
    for entry in artifacts(extended=extended):
        under = artifacts_under(corpus_reading, f"{prefix}/{entry['path']}")
        found = [(a.path, a.format, a.errors) for a in under]
        if len(found) != 1 or found[0][1] != entry["format"] or found[0][2]:
            wrong.append(f"{entry['id']}: written as {entry['format']}, read as {found}")
    assert not wrong, "\n".join(wrong)


def test_api_errors_file_is_the_union_of_the_manifests():
    merged = json.loads((GENERATED / "api_errors.json").read_text(encoding="utf-8"))
    from_manifests = {
        (e["env"], e["framework"], e["api"], e["model"], e["error"])
        for m in manifests(extended=True)
        for e in m["artifacts"]
        if "error" in e
    }
    from_file = {
        (slot["env"], slot["framework"], key.split("/")[2], model, error)
        for key, slot in merged.items()
        for error, models in slot["errors"].items()
        for model in models
    }
    assert from_file == from_manifests


# --- the extended matrix: every other runtime (migrator/knowledge/runtimes.py), tox -e matrix


@pytest.fixture(scope="module")
def extended() -> dict:
    return json.loads(MATRIX_EXTENDED.read_text(encoding="utf-8"))


def test_ci_runtimes_measure_the_loaders_the_ci_matrix_has():
    """The extended probe's loader choice agrees with the CI matrix's for the four lines."""
    for runtime in (r for r in RUNTIMES if r.ci):
        for fmt in GENERATED_FORMATS:
            assert runtime_loaders(fmt, runtime) == applicable(fmt, runtime.line), (runtime, fmt)


def test_overlays_measure_only_what_their_keras_changes():
    for runtime in (r for r in RUNTIMES if r.overlay):
        loaders = {loader for fmt in GENERATED_FORMATS for loader in runtime_loaders(fmt, runtime)}
        assert loaders == {"keras.load_model", "keras.load_weights", "keras.layers.TFSMLayer"}


def test_every_manifest_is_a_runtimes_and_holds_its_pins():
    """The CI lines have their committed and their extended manifests; every manifest was
    written by the runtime it names, with the versions the table pins."""
    envs = [m["env"] for m in manifests(extended=True)]
    for env in ENVS.values():
        assert envs.count(env) == 2, f"{env}: generated.json and generated_extended.json"
    assert set(envs) <= {r.name for r in RUNTIMES}
    for manifest in manifests(extended=True):
        runtime = by_name(manifest["env"])
        versions = manifest["versions"]
        assert (versions["keras"], versions["tf-keras"]) == (runtime.keras, runtime.tf_keras)
        assert versions["tensorflow-cpu"] == runtime.tensorflow, runtime.name


def test_the_two_matrices_hold_every_cell_exactly_once(matrix, extended):
    """matrix.json: CI lines x CI artifacts; matrix_extended.json: every other (artifact,
    runtime, applicable loader) cell."""
    committed = set(matrix["artifacts"])
    generated = {a["id"]: a for a in artifacts(extended=True)}
    assert committed <= set(generated)
    expected = set()
    for artifact_id, entry in generated.items():
        for runtime in RUNTIMES:
            if runtime.ci and artifact_id in committed:
                continue  # matrix.json's cell
            for loader in runtime_loaders(entry["format"], runtime):
                expected.add((artifact_id, f"{runtime.name}/{loader}"))
    have = {(a, key) for a, e in extended["artifacts"].items() for key in e["cells"]}
    assert have <= expected, sorted(have - expected)[:20]
    assert extended["size"]["expected_cells"] == len(expected)
    assert set(extended["artifacts"]) <= set(generated)
    assert extended["size"]["cells"] == sum(len(e["cells"]) for e in extended["artifacts"].values())
    for artifact_id, entry in extended["artifacts"].items():
        assert entry["format"] == generated[artifact_id]["format"], artifact_id


def test_extended_records_are_consistent(extended):
    for artifact_id, entry in extended["artifacts"].items():
        for key, record in entry["cells"].items():
            cell = f"{artifact_id} x {key}"
            assert record["verdict"] in VERDICTS, cell
            assert set(record["needs"]) <= set(NEEDS), cell
            if record["verdict"] == "fails":
                assert record["error"], cell
            else:
                assert record["max_abs_diff"] is not None and record["max_abs_diff"] <= TOLERANCE
                assert bool(record["needs"]) == (record["verdict"] == "loads-with-changes"), cell


def test_extended_runtimes_measured_what_the_table_pins(extended):
    for name, info in extended["runtimes"].items():
        runtime = by_name(name)
        measured = info["versions"]
        assert measured["tensorflow-cpu"] == runtime.tensorflow, name
        assert (measured["keras"], measured["tf-keras"]) == (runtime.keras, runtime.tf_keras), name


# --- measured in the TF envs


def _tf_line() -> str:
    tf = pytest.importorskip("tensorflow")
    return ".".join(tf.__version__.split(".")[:2])


@pytest.mark.tf
def test_generator_reproduces_this_envs_committed_artifacts(tmp_path):
    env = ENVS[_tf_line()]
    subprocess.run(
        [sys.executable, "-m", "corpus.generate", "--out", str(tmp_path)], cwd=REPO, check=True
    )
    fresh = json.loads((tmp_path / env / "generated.json").read_text(encoding="utf-8"))
    committed = json.loads((GENERATED / env / "generated.json").read_text(encoding="utf-8"))
    assert fresh["versions"] == committed["versions"]
    assert fresh["artifacts"] == committed["artifacts"]
    for entry in committed["artifacts"]:
        fresh_ref = json.loads((tmp_path / entry["reference"]).read_text(encoding="utf-8"))
        committed_ref = json.loads((GENERATED / entry["reference"]).read_text(encoding="utf-8"))
        assert fresh_ref["inputs"] == committed_ref["inputs"], entry["id"]
        got, want = fresh_ref["outputs"], committed_ref["outputs"]
        assert len(got) == len(want)
        for row_got, row_want in zip(got, want, strict=True):
            assert row_got == pytest.approx(row_want, abs=TOLERANCE), entry["id"]


@pytest.mark.tf
def test_this_envs_column_of_the_matrix_is_what_the_runtime_does(tmp_path, matrix):
    tf_line = _tf_line()
    out = tmp_path / "column.json"
    subprocess.run(
        [sys.executable, "-m", "corpus.probe", "measure", "--out", str(out)], cwd=REPO, check=True
    )
    measured = json.loads(out.read_text(encoding="utf-8"))
    assert measured["tf"] == tf_line
    problems = compare(measured, matrix)
    assert not problems, f"{len(problems)} cells disagree with corpus/matrix.json:\n" + "\n".join(
        problems
    )


# --- the extended matrix's plumbing (TF-free)


def _record(verdict: str = "loads") -> dict:
    return {"verdict": verdict, "needs": [], "error": None, "max_abs_diff": 0.0}


def test_split_sends_ci_lines_on_committed_artifacts_to_matrix_json(matrix):
    from corpus.extended import split

    committed = next(iter(matrix["artifacts"]))
    added = next(a["id"] for a in artifacts(extended=True) if a["id"] not in matrix["artifacts"])
    column = {
        "env": "tf216",
        "tf": "2.16",
        "versions": {},
        "cells": {
            committed: {"tf216/keras.load_model": _record()},
            added: {"tf216/keras.load_model": _record("fails")},
        },
    }
    ci, rest = split([column])
    assert ci[0]["cells"] == {committed: {"2.16/keras.load_model": _record()}}
    assert rest[0]["cells"] == {added: {"tf216/keras.load_model": _record("fails")}}
    other = {**column, "env": "tf217", "tf": "2.17"}
    ci, rest = split([other])
    assert ci == [] and set(rest[0]["cells"]) == {committed, added}


def test_a_partial_run_updates_cells_and_keeps_the_others(extended):
    from corpus.extended import merge_extended

    artifact, entry = next(iter(extended["artifacts"].items()))
    key = next(iter(entry["cells"]))
    runtime = key.split("/")[0]
    flipped = "fails" if entry["cells"][key]["verdict"] != "fails" else "loads"
    column = {
        "env": runtime,
        "versions": extended["runtimes"][runtime]["versions"],
        "cells": {artifact: {key: _record(flipped)}},
    }
    merged = merge_extended([column], GENERATED, extended)
    assert merged["artifacts"][artifact]["cells"][key]["verdict"] == flipped
    assert merged["size"]["cells"] == extended["size"]["cells"]
    assert merged["size"]["expected_cells"] == extended["size"]["expected_cells"]


def test_an_overlay_runs_its_base_interpreter_with_its_keras_first(tmp_path):
    from corpus import envs

    overlay = by_name("tf219-keras35")
    python, extra = envs.interpreter(overlay, tmp_path)
    assert python == tmp_path / "matrixenvs" / "tf219" / "bin" / "python"
    first = extra["PYTHONPATH"].split(":")[0]
    assert first == str(tmp_path / "matrixenvs" / "tf219-keras35")
    python, _ = envs.interpreter(by_name("tf221"), tmp_path)
    assert python == tmp_path / "tf221" / "bin" / "python"  # a CI line: tox's own env
