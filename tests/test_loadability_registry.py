"""The loadability registry: every cell has one verdict, every check says what shows it, and the
loader profiles follow the TF-line table.

The predictions themselves are held to the measured matrix in tests/test_loadability.py; these
tests pin the structure, and single checks on readings built by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from migrator.knowledge import PROVENANCE, loaders
from migrator.knowledge.tf_lines import TF_LINES as LINES
from migrator.knowledge.versions import parse
from migrator.loadability import (
    LOADERS,
    LOADERS_BY_FORMAT,
    LOADERS_BY_TF,
    PROFILES,
    TF_LINES,
    predict_cells,
    profile_and_call,
)
from migrator.loadability.evidence import Evidence
from migrator.loadability.registry import all_checks, all_verdicts, first_blocker
from migrator.model import Artifact, Reading

# Where evidence may point: a measured cell, a Keras/TF source file, or a knowledge fact.
EVIDENCE_SOURCES = ("corpus/matrix.json", "corpus/realworld_matrix.json", "keras/", "knowledge.")


def test_every_applicable_cell_has_exactly_one_verdict():
    registered = {(v.call, v.fmt) for v in all_verdicts()}
    wanted = set()
    for fmt, loaders_of_format in LOADERS_BY_FORMAT.items():
        for tf_line in TF_LINES:
            for loader in loaders_of_format:
                if loader in LOADERS_BY_TF[tf_line]:
                    wanted.add((profile_and_call(tf_line, loader)[1], fmt))
    assert registered == wanted
    assert len(registered) == len(all_verdicts())


def test_every_check_and_verdict_has_a_doc_and_cites_its_evidence():
    for unit in (*all_checks(), *all_verdicts()):
        assert unit.doc, unit.name
        assert any(source in unit.evidence for source in EVIDENCE_SOURCES), (
            unit.name,
            unit.evidence,
        )
    cited = [
        name
        for c in all_checks()
        if "knowledge.loaders." in c.evidence
        for name in re.findall(
            r"\b[A-Z][A-Z0-9_]{3,}\b", c.evidence.split("knowledge.loaders.", 1)[1]
        )
    ]
    assert all(hasattr(loaders, name) for name in cited), cited


def test_check_names_are_unique():
    names = [c.name for c in all_checks()]
    assert len(names) == len(set(names))


def test_profiles_follow_the_tf_line_pins():
    assert TF_LINES == tuple(line.line for line in LINES)
    for line in LINES:
        keras = PROFILES[(line.line, "keras")]
        assert keras.version == parse(line.keras) and keras.tf == line.tensorflow
        assert keras.keras3 == line.keras3
        if line.tf_keras:
            assert PROFILES[(line.line, "tf_keras")].version == parse(line.tf_keras)
        else:
            assert (line.line, "tf_keras") not in PROFILES
            assert not any(loader.startswith("tf_keras.") for loader in LOADERS_BY_TF[line.line])
    assert set(LOADERS_BY_TF["2.21"]) == set(LOADERS)


# The capabilities each measured profile had when they were a hand-written table.
MEASURED_CAPABILITIES = {
    ("2.12", "keras"): ("legacy", False, True, True, False, False),
    ("2.15", "keras"): ("layers", False, True, True, False, False),
    ("2.16", "keras"): ("layers", False, False, False, False, False),
    ("2.21", "keras"): ("layers", True, True, True, True, True),
    ("2.16", "tf_keras"): ("layers", False, True, True, False, False),
    ("2.21", "tf_keras"): ("layers", False, True, True, False, False),
}


@pytest.mark.parametrize("key", sorted(MEASURED_CAPABILITIES))
def test_profile_capabilities_come_from_their_version(key):
    profile = PROFILES[key]
    got = (
        profile.v3_layout,
        profile.h5_safe_mode,
        profile.reads_newer_keras3_configs,
        profile.reads_orthogonal,
        profile.reads_keras_folder,
        profile.reads_sharded_weights,
    )
    assert got == MEASURED_CAPABILITIES[key]
    if not profile.keras3:  # Keras 3 drops InputLayer arguments it does not know
        assert ("optional" in profile.input_layer_args) == (key == ("2.21", "tf_keras"))


def test_loader_facts_state_their_provenance():
    for name in (
        "v3_weights_layers_layout_since",
        "keras3_h5_safe_mode_since",
        "keras3_reads_keras_folder_since",
        "keras3_reads_sharded_weights_since",
    ):
        assert PROVENANCE[name].checked


# --- single checks, on readings built by hand


def _artifact(name: str, fmt: str, details: dict[str, Any], producer=None) -> Artifact:
    reading = Reading(fmt, producer=producer or {}, details=details)
    return Artifact(name, Path("/nowhere") / name, reading)


def test_sharded_weights_need_a_recent_keras3():
    artifact = _artifact("model.weights.json", "keras-v3-weights", {"sharded": True})
    cells = predict_cells(artifact)
    assert cells["2.21/keras.load_weights"].verdict == "loads"
    assert "sharded" in cells["2.16/keras.load_weights"].reason
    assert cells["2.16/keras.load_weights"].verdict == "fails"


def test_an_unzipped_keras_folder_loads_only_in_a_recent_keras3():
    artifact = _artifact("model.keras", "keras-v3", {"container": "folder"})
    evidence = Evidence.of(artifact)
    assert first_blocker(("keras-archive",), evidence, PROFILES[("2.21", "keras")]) is None
    blocked = first_blocker(("keras-archive",), evidence, PROFILES[("2.16", "keras")])
    assert blocked and "unzipped folder" in blocked


def test_tf212_reads_no_layers_layout_weights():
    artifact = _artifact("w.weights.h5", "keras-v3-weights", {})
    cells = predict_cells(artifact)
    assert cells["2.12/keras.load_weights"].verdict == "fails"
    assert "_layer_checkpoint_dependencies" in cells["2.12/keras.load_weights"].reason
    assert cells["2.15/keras.load_weights"].verdict == "loads"


def test_a_tensor_default_caveat_only_for_tf212():
    metas = [{"tags": ["serve"], "signatures": {"serving_default": {"inputs": {"x": {}}}}}]
    artifact = _artifact(
        "sm", "saved-model", {"era": "tf2", "meta_graphs": metas}, {"tensorflow_version": "2.14.0"}
    )
    cells = predict_cells(artifact)
    assert "NotEncodableError" in cells["2.12/tf.saved_model.load"].reason
    assert "caveat" not in cells["2.15/tf.saved_model.load"].reason
    assert cells["2.16/keras.layers.TFSMLayer"].needs == ("call_endpoint",)


def test_keras3_capabilities_start_where_the_sources_say():
    # knowledge.loaders, checked in the Keras 3.0.5-3.15.1 sources
    from migrator.loadability.profiles import LoaderProfile

    def keras(*version: int) -> LoaderProfile:
        return LoaderProfile("keras", version, "2.21.0")

    assert not keras(3, 3, 3).reads_orthogonal and keras(3, 4, 1).reads_orthogonal
    assert not keras(3, 3, 3).reads_keras_folder and keras(3, 4, 1).reads_keras_folder
    assert not keras(3, 9, 2).reads_sharded_weights and keras(3, 10, 0).reads_sharded_weights
    assert keras(3, 12, 4).rejects_arguments(("quantization_config",)) == ("quantization_config",)
    assert keras(3, 13, 2).rejects_arguments(("quantization_config", "input_axes")) == (
        "input_axes",
    )
    assert not keras(3, 0, 1).maps_tf212_layout and keras(3, 0, 2).maps_tf212_layout
    assert LoaderProfile("tf_keras", (2, 21, 0), "2.21.0").rejects_arguments(("input_axes",)) == ()


def test_sharded_weights_written_with_shard_lists_need_keras_3_11():
    from migrator.loadability.runtimes import Runtime, labelled

    def sharded(listed: bool) -> Artifact:
        weight_map = {"/layers/dense/vars": ["model_00000.weights.h5"]}  # as the reader gives it
        raw = {"weight_map": weight_map, "shard_lists": listed}
        reading = Reading("keras-v3-weights", details={"sharded": True}, raw=raw)
        return Artifact("model.weights.json", Path("/nowhere/model.weights.json"), reading)

    lists = sharded(True)
    names = sharded(False)
    keras = {m: labelled(Runtime((2, 20), (3, m))) for m in (9, 10, 11)}
    verdict = {
        m: predict_cells(lists, [r])[f"{r.label}/keras.load_weights"] for m, r in keras.items()
    }
    assert "sharded" in verdict[9].reason and verdict[9].verdict == "fails"
    assert verdict[10].verdict == "fails" and "lists of shards" in verdict[10].reason
    assert verdict[11].verdict == "loads"
    older = predict_cells(names, [keras[10]])[f"{keras[10].label}/keras.load_weights"]
    assert older.verdict == "loads"


def test_the_reader_says_which_form_a_shard_map_was_written_in():
    # measured: Keras 3.10 loads the sharded weights it wrote itself (one file per group) and
    # misreads those of 3.11 (lists of files); the reader gives both maps as lists
    from migrator.audit import audit
    from tests.conftest import CORPUS

    for writer, listed in (("tf220-keras310", False), ("tf220-keras311", True)):
        path = CORPUS / "generated" / writer / "keras/functional/weights-sharded/model.weights.json"
        (artifact,) = audit([path]).artifacts
        assert artifact.reading.raw["shard_lists"] is listed, writer
        assert all(isinstance(v, list) for v in artifact.reading.raw["weight_map"].values())


def test_threads_asking_at_once_never_see_a_half_filled_registry(monkeypatch) -> None:
    # `convert --jobs 2` orders each source's runs by the verdicts from two threads at once;
    # the second thread used to find the registry marked loaded while the first was still
    # importing its modules (KeyError: ('load_model', 'keras-h5'), a failed conversion)
    import importlib
    import sys
    import threading
    import time

    from migrator.loadability import registry

    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry, "_CHECKS", {})
    monkeypatch.setattr(registry, "_VERDICTS", {})
    for name in [n for n in sys.modules if n.startswith("migrator.loadability.verdicts.")]:
        monkeypatch.delitem(sys.modules, name)

    real_import = importlib.import_module

    def slow_import(name: str):  # widens the window the race needs
        time.sleep(0.02)
        return real_import(name)

    monkeypatch.setattr(registry.importlib, "import_module", slow_import, raising=True)
    start, errors = threading.Barrier(4), []

    def ask() -> None:
        start.wait()
        try:
            registry.verdict_for("load_model", "keras-h5")
        except Exception as exc:  # what the race raised
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
