"""`--target` runtimes and the load ranges, on real artifacts of the generated corpus.

The recurrent `.h5` tf.keras 2.15 wrote records Keras 2's `time_major` in its LSTM/GRU configs:
it loads in TF 2.15 (measured) and in no Keras 3 (measured in 2.16 and 2.21; `time_major` is a
Keras 2 argument every Keras 3 rejects), so a TF 2.17 target fails with that reason.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from corpus import GENERATED
from migrator.audit import audit
from migrator.cli import main
from migrator.errors import UsageError
from migrator.loadability import judge, parse_targets
from migrator.loadability.evidence import Evidence
from migrator.loadability.targets import TARGET_FINDING, judge_target, parse_target

RECURRENT_H5 = GENERATED / "tf215/keras/recurrent/save-h5/model.h5"
SEQUENTIAL_H5 = GENERATED / "tf215/keras/sequential/save-h5/model.h5"


def _copy(tmp_path: Path, source: Path, name: str = "model.h5") -> Path:
    folder = tmp_path / "models"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(source, folder / name)
    return folder / name


def _judged(path: Path, *targets: str):
    (artifact,) = audit([path]).artifacts
    return judge(artifact, parse_targets(targets))


def test_an_artifact_that_loads_in_2_15_fails_a_2_17_target_with_its_reason(tmp_path, capsys):
    path = _copy(tmp_path, RECURRENT_H5)
    assert main(["audit", str(path), "--target", "tf==2.15"]) == 0
    capsys.readouterr()
    assert main(["audit", str(path), "--target", "tf==2.17 keras==3.5", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    (artifact,) = data["artifacts"]
    (finding,) = [f for f in artifact["findings"] if f["rule"] == TARGET_FINDING]
    assert "tf==2.17 keras==3.5" in finding["message"]
    assert "time_major" in finding["message"]
    assert "not measured" in finding["message"]  # 2.17 sits between the measured lines
    assert "tf_keras 2.16-2.21" in finding["fix"]  # where it does load
    # only the target's cells are shown, named after it
    assert {k.split("/")[0] for k in artifact["loadability"]} == {"2.17+keras3.5"}
    (target,) = artifact["load_ranges"]["targets"]
    assert (target["loads"], target["verdict"]) == (False, "weights-only")
    # --exit-zero turns the failed target into 0
    assert main(["audit", str(path), "--target", "tf==2.17 keras==3.5", "--exit-zero"]) == 0


def test_a_measured_target_says_so_and_a_loading_artifact_passes(tmp_path):
    artifact = _judged(
        _copy(tmp_path, SEQUENTIAL_H5), "tf==2.21 keras==3.15", "tf==2.17 keras==3.5"
    )
    measured, between = artifact.load_ranges["targets"]
    assert measured["basis"] == "measured" and measured["loads"]
    assert between["basis"].startswith("answered from the release facts") and between["loads"]
    assert not [f for f in artifact.findings if f.rule == TARGET_FINDING]


def test_several_targets_exit_1_when_any_fails(tmp_path, capsys):
    path = _copy(tmp_path, RECURRENT_H5)
    code = main(["audit", str(path), "--target", "tf==2.15", "--target", "tf==2.21 keras==3.15"])
    assert code == 1
    assert "LOADS IN TARGET" in capsys.readouterr().out


def test_targets_from_pyproject_and_the_command_line_wins(tmp_path, capsys):
    path = _copy(tmp_path, RECURRENT_H5)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\ntarget = ["tf==2.18 keras==3.8"]\n', encoding="utf-8"
    )
    assert main(["audit", str(path)]) == 1
    assert "tf==2.18 keras==3.8" in capsys.readouterr().out
    assert main(["audit", str(path), "--target", "tf==2.12"]) == 0
    capsys.readouterr()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\ntarget = ["tf==2.30"]\n', encoding="utf-8"
    )
    assert main(["audit", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "pyproject.toml" in err and "TF 2.12-2.21" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("tf==2.11", "outside the known range (TF 2.12-2.21"),
        ("tf==2.22 keras==3.15", "outside the known range"),
        ("tf==2.18 keras==3.16", "keras 3.16 is outside the known range"),
        ("tf==2.18 keras==2.15", "outside the known range"),
        ("tf==2.14 keras==3.5", "comes with tf.keras 2.14"),
        ("tf==2.14 tf_keras==2.14", "tf_keras exists from TF 2.16"),
        ("tf==2.18 keras==3.8 tf_keras==2.17", "tf_keras==2.18"),
        ("keras==3.8", "tf== required"),
        ("torch==2.1 tf==2.18", "unknown package 'torch'"),
        ("tf==2.18 keras==3.8 tf==2.19", "names tf twice"),
        ("tf>=2.18", "not a runtime"),
        ("tf==2.18 keras==3", "keras==3 names no minor release"),
    ],
)
def test_bad_targets_are_one_line_usage_errors(tmp_path, capsys, target, says):
    with pytest.raises(UsageError) as raised:
        parse_target(target)
    assert says in str(raised.value)
    assert main(["audit", str(_copy(tmp_path, SEQUENTIAL_H5)), "--target", target]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_targets_normalise_and_take_the_measured_pairing():
    target = parse_target("tensorflow==2.16, keras==3.3")
    assert target.text == "tf==2.16 keras==3.3" and target.runtime.measured
    paired = parse_target("tf==2.21")  # the Keras 3 the measured 2.21 line pins
    assert paired.runtime.keras[:2] == (3, 15) and paired.runtime.label == "2.21"
    assert paired.runtime.tf_keras is None  # tf-keras is installed only when named
    with_tf_keras = parse_target("tf==2.19 keras==3.10 tf-keras==2.19")
    assert with_tf_keras.runtime.tf_keras == (2, 19) and not with_tf_keras.runtime.measured
    assert parse_target("tf==2.13").runtime.keras == (2, 13)


# --- ranges


def test_ranges_per_loader_and_where_it_stops(tmp_path):
    artifact = _judged(_copy(tmp_path, RECURRENT_H5))
    loaders = artifact.load_ranges["loaders"]
    assert loaders["keras.load_model"]["text"] == "tf.keras 2.12-2.15"
    assert loaders["keras.load_model"]["stops"]["at"] == "Keras 3.0"
    assert loaders["tf_keras.load_model"]["text"] == "tf_keras 2.16-2.21"
    assert "stops" not in loaders["tf_keras.load_model"]
    stop = artifact.load_ranges["stops_loading"]
    assert (stop["loader"], stop["at"]) == ("keras.load_model", "Keras 3.0")
    assert "time_major" in stop["reason"]
    # without targets the cells are the measured lines'
    assert {k.split("/")[0] for k in artifact.loadability} == {"2.12", "2.15", "2.16", "2.21"}


def test_a_range_follows_a_release_fact(tmp_path):
    # Keras 3 asks safe_mode=False for legacy HDF5 Lambda bytecode from 3.11.3 on
    # (knowledge.loaders.KERAS3_H5_SAFE_MODE_SINCE): the range splits there
    artifact = _judged(_copy(tmp_path, GENERATED / "tf215/keras/lambda/save-h5/model.h5"))
    spans = artifact.load_ranges["loaders"]["keras.load_model"]["loads"]
    keras3 = [s for s in spans if s["package"] == "Keras"]
    assert keras3 and keras3[-1]["to"] == "3.15" and keras3[-1]["changes"]
    assert "stops_loading" not in artifact.load_ranges


def test_json_table_and_html_show_the_ranges(tmp_path, capsys):
    path = _copy(tmp_path, RECURRENT_H5)
    assert main(["audit", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["artifacts"][0]["load_ranges"]["stops_loading"]["at"] == "Keras 3.0"
    main(["audit", str(path), "--format", "table"])
    table = capsys.readouterr().out
    assert "keras.load_model: tf.keras 2.12-2.15" in table
    assert "stops loading at Keras 3.0 (keras.load_model)" in table
    main(["audit", str(path), "--format", "html"])
    page = capsys.readouterr().out
    assert "tf_keras 2.16-2.21" in page and "Stops loading at Keras 3.0" in page


def test_keras3_files_load_from_the_release_that_knows_their_arguments(tmp_path):
    # Keras 3.15.1 writes initializer `input_axes` (read from 3.15) and `quantization_config`
    # (read from 3.13): only Keras 3.15 loads it, and no Keras 2 line
    artifact = _judged(
        _copy(tmp_path, GENERATED / "tf221/keras/sequential/save-keras/model.keras", "m.keras")
    )
    ranges = artifact.load_ranges["loaders"]
    assert ranges["keras.load_model"]["text"] == "Keras 3.15"
    assert ranges["tf_keras.load_model"]["text"] == "nowhere"
    # the same config without `input_axes`: Keras 3.13 on
    from dataclasses import replace

    from migrator.loadability.evidence import Evidence
    from migrator.loadability.ranges import loader_range

    evidence = Evidence.of(artifact)
    assert evidence.config is not None
    older = replace(
        evidence, config=replace(evidence.config, newer_keras3=("quantization_config",))
    )
    found = loader_range(older, "keras.load_model")
    assert found.text == "Keras 3.13-3.15"
    assert found.stops is None
    keras312 = parse_target("tf==2.21 keras==3.12")
    assert "`quantization_config`" in judge_target(keras312, _cells(older, keras312))["reason"]


def _cells(evidence, target):
    from migrator.loadability import predict_runtime

    return predict_runtime(evidence, target.runtime)


def test_the_target_finding_is_described_in_sarif(tmp_path, capsys):
    path = _copy(tmp_path, RECURRENT_H5)
    assert main(["audit", str(path), "--target", "tf==2.19", "--format", "sarif"]) == 1
    run = json.loads(capsys.readouterr().out)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules[TARGET_FINDING]["shortDescription"]["text"] == "Does not load in a target runtime"
    (result,) = [r for r in run["results"] if r["ruleId"] == TARGET_FINDING]
    assert result["level"] == "error" and "tf==2.19" in result["message"]["text"]
    assert "measured" in result["message"]["text"]  # TF 2.19 with the Keras pip pairs with it


def test_an_artifact_the_verdicts_cannot_judge_is_an_error_under_a_target(tmp_path, monkeypatch):
    import migrator.loadability as loadability

    (artifact,) = audit([_copy(tmp_path, SEQUENTIAL_H5)]).artifacts

    def broken(evidence, runtime):
        raise KeyError("a reading no check foresaw")

    monkeypatch.setattr(loadability, "predict_runtime", broken)
    assert judge(artifact) is artifact  # without targets: no verdicts, no noise
    judged = judge(artifact, parse_targets(["tf==2.21"]))
    (error,) = judged.errors
    assert "internal error judging loadability" in error and "report this artifact" in error


def test_keras_3_0_to_3_2_compile_legacy_hdf5_whatever_compile_says(tmp_path):
    # their load_model passes no compile= to the HDF5 loader: the `mse` alias stops them
    artifact = _judged(_copy(tmp_path, GENERATED / "tf215/keras/trained/save-h5/model.h5"))
    evidence = Evidence.of(artifact)
    early = _cells(evidence, parse_target("tf==2.17 keras==3.2"))["keras.load_model"]
    assert early.verdict == "fails" and "whatever compile= says" in early.reason
    later = _cells(evidence, parse_target("tf==2.17 keras==3.4"))["keras.load_model"]
    assert later.verdict == "loads-with-changes" and "compile=False" in later.needs
    spans = artifact.load_ranges["loaders"]["keras.load_model"]["loads"]
    assert [s for s in spans if s["package"] == "Keras"][0]["from"] == "3.3"
