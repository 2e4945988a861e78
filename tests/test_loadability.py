"""Predicted loadability == measured loadability, for every cell of corpus/matrix.json.

The predictions come from the readers alone (no TensorFlow); the matrix is what the real
runtimes did (corpus/probe.py). A disagreement fails and names the cell.
"""

from __future__ import annotations

import json

import pytest

from corpus import GENERATED, MATRIX
from corpus.probe_realworld import REALWORLD_MATRIX
from migrator.audit import audit
from migrator.loadability import (
    LOADERS_BY_FORMAT,
    NEEDS,
    TF_LINES,
    applicable,
    judge,
    predict,
    predict_cells,
)
from migrator.model import Artifact, Reading, Report
from tests.conftest import CORPUS, REALWORLD, artifacts_under, realworld_manifest

# Words each need must show up as in a predicted reason, so a user reads what to do.
NEED_WORDS = {
    "safe_mode=False": "safe_mode=False",
    "compile=False": "compile=False",
    "custom_objects": "custom class",
    "optimizer_reset": "optimizer state",
    "tags": "tags=",
    "call_endpoint": "call_endpoint=",
}


@pytest.fixture(scope="module")
def matrix() -> dict:
    return json.loads(MATRIX.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def readings(matrix, corpus_reading: Report) -> dict[str, Artifact]:
    """Every matrix artifact as the readers see it, from the session's one reading of corpus/."""
    prefix = GENERATED.relative_to(CORPUS).as_posix()
    out = {}
    for key, entry in matrix["artifacts"].items():
        under = artifacts_under(corpus_reading, f"{prefix}/{entry['path']}")
        assert len(under) == 1, (entry["path"], [a.path for a in under])
        out[key] = under[0]
    return out


def _read(path) -> Artifact:
    report = audit([path])
    assert len(report.artifacts) == 1, [a.path for a in report.artifacts]
    return report.artifacts[0]


def test_every_cell_of_the_matrix_is_predicted(matrix, readings):
    disagreements = []
    cells = 0
    for artifact_id, entry in matrix["artifacts"].items():
        predicted = predict_cells(readings[artifact_id])
        if set(predicted) != set(entry["cells"]):
            disagreements.append(
                f"{artifact_id}: predicted cells {sorted(predicted)} != measured {sorted(entry['cells'])}"
            )
            continue
        for key, measured in entry["cells"].items():
            cells += 1
            guess = predicted[key]
            if (guess.verdict, sorted(guess.needs)) != (measured["verdict"], measured["needs"]):
                disagreements.append(
                    f"{artifact_id} x {key}: predicted {guess.verdict} {list(guess.needs)} "
                    f"({guess.reason}); measured {measured['verdict']} {measured['needs']} "
                    f"({measured.get('last_error') or measured.get('error')})"
                )
    assert cells == matrix["size"]["cells"] or disagreements
    assert not disagreements, (
        f"{len(disagreements)} of {matrix['size']['cells']} cells disagree:\n"
        + "\n".join(disagreements)
    )


def test_reasons_name_what_a_change_needs(matrix, readings):
    for artifact_id, entry in matrix["artifacts"].items():
        for key, cell in predict_cells(readings[artifact_id]).items():
            assert cell.reason, key
            for need in cell.needs:
                assert need in NEEDS
                assert NEED_WORDS[need] in cell.reason, (entry["path"], key, cell.reason)


def test_custom_classes_are_named_in_the_reason():
    artifact = _read(GENERATED / "tf221/keras/custom/save-keras/model.keras")
    cell = predict(artifact)["2.21/keras.load_model"]
    assert cell["verdict"] == "loads-with-changes"
    assert "ScaleShift" in cell["reason"] and "registered" in cell["reason"]


def test_only_applicable_loaders_get_a_cell():
    assert applicable("keras-h5", "2.12") == ("keras.load_model", "keras.load_weights")
    assert "keras.layers.TFSMLayer" in applicable("saved-model", "2.21")
    assert applicable("graph-def", "2.21") == ()
    for fmt in LOADERS_BY_FORMAT:
        for tf in TF_LINES:
            assert all(loader in LOADERS_BY_FORMAT[fmt] for loader in applicable(fmt, tf))


def test_unreadable_artifacts_and_other_formats_get_no_verdict(tmp_path):
    broken = Artifact("x.h5", tmp_path / "x.h5", Reading("keras-h5", errors=("truncated",)))
    assert predict(broken) == {}
    assert judge(broken) is broken
    frozen = _read(GENERATED / "tf221/tf/sequential/frozen-graph/frozen.pb")
    assert frozen.format == "graph-def" and predict(frozen) == {}


def test_judge_attaches_loadability_to_the_json_report():
    artifact = judge(_read(GENERATED / "tf215/keras/sequential/save-dir/model"))
    out = artifact.to_json()["loadability"]
    assert out["2.21/keras.load_model"]["verdict"] == "fails"
    assert out["2.21/tf_keras.load_model"]["verdict"] == "loads"
    assert set(out["2.21/keras.layers.TFSMLayer"]) == {"verdict", "reason"}


# --- the real-world artifacts: every readable one of an applicable format gets verdicts


@pytest.mark.realworld
def test_realworld_artifacts_get_verdicts(realworld_reading: Report):
    seen = 0
    assert {a.path.split("/")[0] for a in realworld_reading.artifacts} == {
        e["id"] for e in realworld_manifest()
    }
    for artifact in realworld_reading.artifacts:
        cells = predict_cells(artifact)
        if artifact.errors or artifact.format not in LOADERS_BY_FORMAT:
            assert cells == {}
            continue
        seen += 1
        expected = {
            f"{tf}/{loader}" for tf in TF_LINES for loader in applicable(artifact.format, tf)
        }
        assert set(cells) == expected, artifact.path
        for cell in cells.values():
            assert cell.verdict in ("loads", "loads-with-changes", "fails") and cell.reason
    assert seen > 0, REALWORLD


# Measured real-world cells the readers cannot yet tell apart, with why. Each must still
# disagree (so this list cannot go stale once a reader reports what is missing).
KNOWN_GAPS = {
    (
        "serving_hp2_tf2_tf214/saved_model_half_plus_two_tf2_cpu/00000123",
        "2.12/tf.saved_model.load",
    ): (
        "TF 2.12 cannot decode the `tensor_value` StructuredValue (a tensor default argument) "
        "TF >= 2.13 writes into function specs; the savedmodel reader does not report the "
        "StructuredValue kinds of the object graph yet"
    ),
}


@pytest.mark.realworld
def test_realworld_cells_that_were_measured_agree(realworld_reading: Report):
    """Every real-world cell corpus/probe_realworld.py measured, against its prediction.

    Those cells say whether the loader takes the artifact and what it needed (there are no
    reference outputs); cells whose prediction needs the artifact's own custom classes are not
    measurable (the probe does not have them) and are left out.
    """
    data = json.loads(REALWORLD_MATRIX.read_text(encoding="utf-8"))
    malicious = {e["id"] for e in realworld_manifest() if "malicious" in e.get("tags", [])}
    disagreements = []
    compared = 0
    by_path = {a.path: a for a in realworld_reading.artifacts}  # "<entry>/<path in entry>"
    for name, cells in data["artifacts"].items():
        entry, path = name.split("/", 1)
        assert entry not in malicious, f"{name}: a malicious entry was loaded"
        predicted = predict_cells(by_path[entry if path == "." else name])
        for key, measured in cells.items():
            guess = predicted[key]
            if "custom_objects" in guess.needs:
                continue
            agree = (guess.verdict, sorted(guess.needs)) == (measured["verdict"], measured["needs"])
            if (name, key) in KNOWN_GAPS:
                assert not agree, f"{name} x {key} now agrees: remove it from KNOWN_GAPS"
                continue
            compared += 1
            if not agree:
                disagreements.append(
                    f"{name} x {key}: predicted {guess.verdict} {list(guess.needs)} "
                    f"({guess.reason}); measured {measured['verdict']} {measured['needs']} "
                    f"({measured.get('last_error') or measured.get('error')})"
                )
    assert compared > 0
    assert not disagreements, f"{len(disagreements)} of {compared} cells disagree:\n" + "\n".join(
        disagreements
    )


# --- rules learned from real-world files, on files written here (the real ones may be absent)


def _keras_h5(path, config, *, version, training=None, optimizer_state=False):
    """A minimal full-model HDF5 file as Keras writes it (attributes and groups, tiny weights)."""
    import h5py
    import numpy as np

    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = version.encode()
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        if training:
            f.attrs["training_config"] = json.dumps(training).encode()
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"d"]
        layer = weights.create_group("d")
        layer.attrs["weight_names"] = [b"d/kernel:0"]
        layer.create_dataset("d/kernel:0", data=np.zeros((4, 2), "float32"))
        if optimizer_state:
            group = f.create_group("optimizer_weights")
            group.attrs["weight_names"] = [b"Adam/iterations:0"]
            group.create_dataset("Adam/iterations:0", data=np.zeros((), "int64"))
    return _read(path)


def _load_model_cells(artifact):
    return {k: v for k, v in predict_cells(artifact).items() if k.endswith("load_model")}


_DENSE = {
    "class_name": "Dense",
    "config": {"name": "d", "units": 2, "batch_input_shape": [None, 4]},
}


def test_keras3_rejects_list_style_sequential_configs(tmp_path):
    # dl4j_k220_masking_lstm: Keras 3's legacy loader calls dict.pop on the bare list
    artifact = _keras_h5(
        tmp_path / "m.h5", {"class_name": "Sequential", "config": [_DENSE]}, version="2.1.0"
    )
    cells = _load_model_cells(artifact)
    assert cells["2.21/keras.load_model"].verdict == "fails"
    assert "bare list" in cells["2.21/keras.load_model"].reason
    assert cells["2.16/keras.load_model"].verdict == "fails"
    assert cells["2.21/tf_keras.load_model"].verdict == "loads"
    assert cells["2.12/keras.load_model"].verdict == "loads"


def test_keras3_rejects_sequential_starting_with_a_convolution_without_input_layer(tmp_path):
    # debangshu_k224_full_h5, dl4j_k231_causal_conv1d: the input gets an extra axis
    conv = {
        "class_name": "Conv1D",
        "config": {
            "name": "d",
            "filters": 2,
            "kernel_size": [2],
            "batch_input_shape": [None, 16, 3],
        },
    }
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [conv]}}
    cells = _load_model_cells(_keras_h5(tmp_path / "c.h5", config, version="2.3.1"))
    assert cells["2.21/keras.load_model"].verdict == "fails"
    assert "extra axis" in cells["2.21/keras.load_model"].reason
    assert cells["2.21/tf_keras.load_model"].verdict == "loads"
    # a Dense first layer is fine: Keras 3 maps its batch_input_shape correctly
    dense = {"class_name": "Sequential", "config": {"name": "s", "layers": [_DENSE]}}
    cells = _load_model_cells(_keras_h5(tmp_path / "d.h5", dense, version="2.3.1"))
    assert cells["2.21/keras.load_model"].verdict == "loads"


def test_standalone_keras_optimizer_state_does_not_survive(tmp_path):
    # oarriaga_k205_mini_xception_hdf5: "Error in loading the saved optimizer state"
    training = {
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
        "optimizer_config": {"class_name": "Adam", "config": {"lr": 0.001}},
        "loss_weights": None,
        "sample_weight_mode": None,
    }
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [_DENSE]}}
    artifact = _keras_h5(
        tmp_path / "o.h5", config, version="2.0.5", training=training, optimizer_state=True
    )
    cells = _load_model_cells(artifact)
    assert cells["2.12/keras.load_model"].needs == ("optimizer_reset",)
    assert cells["2.21/tf_keras.load_model"].needs == ("optimizer_reset",)
    # Keras 3 cannot even compile it: `lr` is a Keras 2.0-2.2 optimizer argument
    assert cells["2.21/keras.load_model"].needs == ("compile=False", "optimizer_reset")
    assert "`lr`" in cells["2.21/keras.load_model"].reason


def test_odd_readings_get_verdicts_not_exceptions(tmp_path):
    for fmt, details in [
        ("saved-model", {}),
        ("saved-model", {"meta_graphs": "?", "variables": [], "keras": True}),
        ("keras-v3", {"weights": None, "container": "zip"}),
        ("keras-v3-weights", {"layers": [{"path": 3}]}),
        ("tf-checkpoint", {"kind": "object-based", "keras_save_weights": True}),
        ("keras-h5-weights", {}),
    ]:
        artifact = Artifact("x", tmp_path / "x", Reading(fmt, details=details))
        cells = predict_cells(artifact)
        assert cells and all(c.reason for c in cells.values()), fmt
