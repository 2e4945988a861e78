"""Artifact rules (MIG1xx): cases, messages, no false positives on current artifacts, real files.

The per-rule positive/negative cases live in `tests/cases/{artifact,security}/<ID>/<kind>/` as
one self-contained `<name>.gen.py` each (its data plus a `build(folder)` over the shared writers
in `tests/cases/_writers.py`); `tests/test_rules_engine.py` runs them. Here: every case file is
self-contained and builds the artifact it is named after, every artifact and security rule has a
doc and both kinds of case, messages name the culprit and end with the remedy, severities follow
the facts, rules read only the reading (never the files), current-format artifacts written by
TF 2.21 / Keras 3 yield nothing, and every real-world artifact yields exactly the findings
reviewed by hand, which the JSON report carries unchanged.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest

import migrator.rules.artifacts as artifacts_module
import migrator.rules.security as security_module
from migrator.audit import audit
from migrator.model import Artifact, Finding, Report
from migrator.report.json_report import render as render_json
from migrator.rules import CONVERSIONS, all_rules, check_artifact, get_rule
from tests.conftest import CASES, REPO, build_case, case_table

CURRENT = Path(__file__).parent / "fixtures" / "artifact_rules" / "current"
RULES = [r for r in all_rules("artifact")]
ARTIFACT_IDS = sorted(r.id for r in RULES if r.family == "artifact")
SECURITY_IDS = sorted(r.id for r in RULES if r.family == "security")
CASE_TABLE = case_table()
# What a case file may import: the standard library, the shared writers, the reader tests'
# table writers, and nothing that builds cases elsewhere (so each case reads on its own).
CASE_IMPORTS = {"__future__", "json", "pickle", "pathlib", "typing", "tests.cases._writers",
                "tests.test_checkpoint"}  # fmt: skip


def findings(path: Path, rule_ids: Iterable[str] | None = None) -> list[Finding]:
    chosen = [get_rule(i) for i in rule_ids] if rule_ids else None
    report = audit([path], judges=[lambda a: check_artifact(a, rules=chosen)])
    return [f for a in report.artifacts for f in a.findings]


def case(rule_id: str, kind: str, name: str, tmp_path: Path) -> Path:
    return build_case(rule_id, kind, name, tmp_path)


# --- the cases and the meta-test for these two families ------------------------------------------


def test_both_families_are_defined_in_their_modules() -> None:
    assert len(ARTIFACT_IDS) >= 25 and len(SECURITY_IDS) >= 9
    for rule in RULES:
        module = artifacts_module if rule.family == "artifact" else security_module
        assert rule.check.__module__.startswith(module.__name__ + "."), rule.id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_artifact_and_security_rule_has_doc_versions_and_both_cases(rule) -> None:
    assert rule.doc.count("\n\n") >= 1 and rule.fix, f"{rule.id}: doc needs the why and a Fix:"
    assert rule.versions, rule.id
    assert not rule.convert or rule.convert in CONVERSIONS
    kinds = CASE_TABLE.get((rule.family, rule.id))
    assert kinds, f"{rule.id} has no case folder under {CASES / rule.family}"
    assert kinds.get("positive") and kinds.get("negative"), rule.id


def test_every_case_file_is_self_contained_and_builds_the_artifact_it_names(
    tmp_path: Path,
) -> None:
    """A case is one file: its doc says why, it imports only the shared writers, and `build`
    writes exactly the artifact named by the file (what `tests/test_rules_engine.py` audits)."""
    assert set(CASE_TABLE) == {(r.family, r.id) for r in RULES}
    for (family, rule_id), kinds in CASE_TABLE.items():
        for kind, cases in kinds.items():
            for name, entry in cases.items():
                where = entry.relative_to(CASES).as_posix()
                tree = ast.parse(entry.read_text(encoding="utf-8"))
                doc = ast.get_docstring(tree) or ""
                assert doc.startswith(f"{rule_id} (") and kind in doc.splitlines()[0], where
                imported = {
                    n.module if isinstance(n, ast.ImportFrom) else alias.name
                    for n in ast.walk(tree)
                    if isinstance(n, (ast.Import, ast.ImportFrom))
                    for alias in n.names
                }
                assert imported <= CASE_IMPORTS, (where, imported - CASE_IMPORTS)
                functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
                assert "build" in functions, where
                folder = tmp_path / family / rule_id / kind / name
                target = build_case(rule_id, kind, name, folder)
                assert target == folder / name and target.exists(), (where, target)
                assert sorted(p.name for p in folder.iterdir()) == [name], where


def test_every_positive_case_message_names_a_culprit_and_ends_with_the_remedy(
    tmp_path: Path,
) -> None:
    for (_, rule_id), kinds in CASE_TABLE.items():
        for name in kinds["positive"]:
            target = case(rule_id, "positive", name, tmp_path / rule_id)
            hits = [f for f in findings(target, [rule_id]) if f.rule == rule_id]
            assert hits, (rule_id, name)
            for finding in hits:
                assert finding.fix and finding.message.endswith(finding.fix + "."), finding
                problem = finding.message[: -len(finding.fix) - 3]
                assert len(problem) > 40 and ("`" in problem or "'" in problem or "(" in problem)


# --- rules read only what the readers recorded -----------------------------------------------------


def test_rules_never_touch_the_files_they_judge(tmp_path: Path) -> None:
    """Judge readings whose files are gone: the same findings, no error (no re-reading)."""
    judged_before: list[Artifact] = []
    readings = []
    for (_, rule_id), kinds in CASE_TABLE.items():
        for name in kinds["positive"]:
            target = case(rule_id, "positive", name, tmp_path / "cases" / rule_id)
            for artifact in audit([target]).artifacts:
                readings.append(artifact)
                judged_before.append(check_artifact(artifact))
    shutil.rmtree(tmp_path / "cases")
    after = [check_artifact(replace(a, location=tmp_path / "gone")) for a in readings]
    assert [a.findings for a in after] == [a.findings for a in judged_before]
    assert all(not any("internal error" in e for e in a.errors) for a in after)


def test_rule_modules_import_no_tensorflow() -> None:
    code = (
        "import sys; import migrator.rules.artifacts, migrator.rules.security; "
        "from migrator.rules import all_rules; all_rules(); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- severities and messages follow the facts -------------------------------------------------------


def by_rule(path: Path, rule_id: str) -> Finding:
    (hit,) = [f for f in findings(path, [rule_id]) if f.rule == rule_id]
    return hit


def test_keras1_weights_severity_depends_on_what_keras3_does(tmp_path: Path) -> None:
    split = by_rule(case("MIG113", "positive", "keras1_lstm_weights.h5", tmp_path), "MIG113")
    assert split.severity == "high" and "split per gate in `lstm_1`" in split.message
    keras2 = by_rule(case("MIG113", "positive", "keras2_weights.h5", tmp_path), "MIG113")
    assert keras2.severity == "low" and "by layer order" in keras2.message


def test_extension_mismatch_names_content_and_expected_name(tmp_path: Path) -> None:
    h5 = by_rule(case("MIG114", "positive", "hdf5_named.keras", tmp_path), "MIG114")
    assert "keras-h5 content under the name '.keras'" in h5.message
    assert h5.message.endswith("rename it to `.h5`/`.hdf5`.") and h5.severity == "high"
    zipped = by_rule(case("MIG114", "positive", "zip_named.h5", tmp_path), "MIG114")
    assert "keras-v3 content under the name '.h5'" in zipped.message
    weights = by_rule(case("MIG114", "positive", "v3_weights_named.h5", tmp_path), "MIG114")
    assert "`.weights.h5`" in weights.message and "Layer count mismatch" in weights.message


def test_dangling_state_severity(tmp_path: Path) -> None:
    absolute = by_rule(case("MIG118", "positive", "absolute_state_path", tmp_path), "MIG118")
    assert absolute.severity == "medium"
    assert "/home/someone/train/model.ckpt-100" in absolute.message
    assert "absolute path from another machine" in absolute.message
    pruned = by_rule(case("MIG118", "positive", "pruned_older_entries", tmp_path), "MIG118")
    assert pruned.severity == "low" and "`model.ckpt-50`" in pruned.message


def test_graphdef_with_variables_is_worse_than_a_frozen_one(tmp_path: Path) -> None:
    frozen = by_rule(case("MIG123", "positive", "frozen_graph.pb", tmp_path), "MIG123")
    unfrozen = by_rule(case("MIG123", "positive", "graph_with_variables.pb", tmp_path), "MIG123")
    assert (frozen.severity, unfrozen.severity) == ("medium", "high")
    assert "inputs `input`" in frozen.message and "1 variable node(s)" in unfrozen.message


def test_keras1_config_lists_its_markers(tmp_path: Path) -> None:
    hit = by_rule(case("MIG108", "positive", "keras1_cnn.h5", tmp_path), "MIG108")
    for marker in ("`Convolution2D layer`", "`border_mode` argument", "`dim_ordering` argument"):
        assert marker in hit.message
    assert "Keras 1.2.2" in hit.message and " more)" in hit.message  # the list stays one line


def test_custom_objects_name_each_class_and_where(tmp_path: Path) -> None:
    layer = by_rule(case("MIG119", "positive", "custom_layer.h5", tmp_path), "MIG119")
    assert "`AttentionPooling at pool`" in layer.message
    loss = by_rule(case("MIG119", "positive", "custom_loss.h5", tmp_path), "MIG119")
    assert "`focal_dice (loss)`" in loss.message
    registered = by_rule(case("MIG119", "positive", "registered_layer.keras", tmp_path), "MIG119")
    assert "Scale (my_project.layers)" in registered.message


def test_estimator_needs_estimator_evidence_not_just_classify_signatures(tmp_path: Path) -> None:
    hit = by_rule(case("MIG105", "positive", "estimator_export", tmp_path), "MIG105")
    assert "timestamp export folder 1646034756" in hit.message
    assert "input_example_tensor" in hit.message
    half_plus_two = case("MIG105", "negative", "half_plus_two_classify_regress", tmp_path)
    assert [f.rule for f in findings(half_plus_two, ["MIG105"])] == []


def test_loss_alias_rule_names_the_alias_and_not_full_names(tmp_path: Path) -> None:
    hit = by_rule(case("MIG127", "positive", "loss_dict_mae.h5", tmp_path), "MIG127")
    assert "loss `mae`" in hit.message and "compile=False" in hit.message


# --- no false positives on current-format artifacts -------------------------------------------------


def test_current_format_artifacts_yield_no_artifact_or_security_finding() -> None:
    """Written by TF 2.21 / Keras 3.15 with current APIs (tests/fixtures/.../generate_current.py)."""
    report = audit([CURRENT], judges=[check_artifact])
    formats = sorted(a.format for a in report.artifacts)
    assert formats == ["keras-v3", "keras-v3", "keras-v3-weights", "saved-model", "saved-model"]
    assert report.errors == () and all(a.errors == () for a in report.artifacts)
    assert {a.path: [f.message for f in a.findings] for a in report.artifacts} == {
        a.path: [] for a in report.artifacts
    }


# --- real-world artifacts: every finding reviewed by hand ---------------------------------------

# (rule, first letter of the severity) per artifact; reviewed against each file's bytes, its
# MANIFEST entry and what the runtimes do (see the rule docs). Security findings included.
EXPECTED: dict[str, tuple[str, ...]] = {
    "aisec_c4_signed_h5_k38/keras_model.h5": ("MIG112:l",),
    "bn_malicious_subclass_h5_k333/malicious_model.h5": ("MIG112:l", "MIG119:m", "MIG303:m"),
    "bn_malicious_subclass_keras_k333/malicious_model.keras": ("MIG119:m", "MIG302:h", "MIG303:m"),
    "cnndemo_k215_weights_yaml/model.yaml": ("MIG124:h",),
    "cnndemo_k215_weights_yaml/model_weights.h5": ("MIG113:l",),
    "daviesx_tf15_ckpt_v2/fc2.ckpt": ("MIG116:m", "MIG120:l"),
    "debangshu_k224_full_h5/model.h5": ("MIG112:l", "MIG119:m", "MIG120:l"),
    "dl4j_k122_theano_lstm_trio/simple_lstm_th_keras_1_config.json": ("MIG108:h", "MIG124:h"),
    "dl4j_k122_theano_lstm_trio/simple_lstm_th_keras_1_model.h5": (
        "MIG108:h", "MIG112:l", "MIG120:l", "MIG127:h",
    ),
    "dl4j_k122_theano_lstm_trio/simple_lstm_th_keras_1_weights.h5": ("MIG113:h",),
    "dl4j_k208_theano_weights_plus_json/lstm_th_keras_2_config.json": ("MIG124:h",),
    "dl4j_k208_theano_weights_plus_json/lstm_th_keras_2_weights.h5": ("MIG113:l",),
    "dl4j_k220_masking_lstm/masking_two_lstm.h5": ("MIG112:l",),
    "dl4j_k224_standalone_batchnorm/batchNormError2.h5": ("MIG112:l",),
    "dl4j_k231_causal_conv1d_model_and_weights/causal_conv1d_k2_s1_d1_cl_model.h5": ("MIG112:l",),
    "dl4j_k231_causal_conv1d_model_and_weights/causal_conv1d_k2_s1_d1_cl_weights.h5": (
        "MIG113:l",
    ),
    "dl4j_tf_ckpt_abs_path_simple_graph/simple_graph/data-all-1000": ("MIG116:m", "MIG118:m"),
    "dl4j_tf_ckpt_abs_path_simple_graph/simple_graph/frozen_graph.pbtxt": ("MIG123:m",),
    "dl4j_tf_ckpt_abs_path_simple_graph/simple_graph/frozen_model.pb": ("MIG123:m",),
    "dl4j_tf_ckpt_abs_path_simple_graph/simple_graph/model.txt": ("MIG123:h",),
    "dl4j_tf_graphdef_text_train_iris/train_iris.pbtxt": ("MIG123:h",),
    "dl4j_tfk224tf_act_noncompiled/act_1.h5": ("MIG112:l",),
    "dl4j_tfk240_embedding_conv1d/issue_9349.hdf5": ("MIG112:l", "MIG120:l"),
    "dv_k120_fullmodel_lambda/model.h5": (
        "MIG108:h", "MIG112:l", "MIG120:l", "MIG127:h", "MIG301:c",
    ),
    "dv_k120_fullmodel_lambda/model.json": ("MIG108:h", "MIG124:h", "MIG301:c"),
    "dv_k120_weights_plus_json/model.h5": ("MIG113:m",),
    "dv_k120_weights_plus_json/model.json": ("MIG108:h", "MIG124:h"),
    "dv_k231_weights_plus_json/model.h5": ("MIG113:l",),
    "dv_k231_weights_plus_json/model.json": ("MIG124:h",),
    "evilkeras_npz_dupentry_k36/model.keras": ("MIG126:h", "MIG304:c", "MIG309:h"),
    "heart_tfk210_h5/heart_disease.h5": ("MIG112:l", "MIG120:l"),
    "hng_tfk270_subclassed_weights_h5_and_tfckpt/actor_150": ("MIG115:h",),
    "hng_tfk270_subclassed_weights_h5_and_tfckpt/h5/actor_75.h5": ("MIG113:l",),
    "houserent_tf215_keras_sm_spacedpath/archive (4)": ("MIG101:h",),
    "houserent_tf215_sm_root_novars": ("MIG101:h", "MIG117:h"),
    "jba_tf20a0_export_saved_model_multimeta/1554322901": (
        "MIG103:m", "MIG104:h", "MIG106:m", "MIG117:h",
    ),
    "jonykai_frozen_graphdef/frozen_model.pb": ("MIG123:m",),
    "kosenko_lambda_marshal_h5_tfk215/malicious_model.h5": ("MIG112:l", "MIG120:l", "MIG301:c"),
    "kotlindl_tfk224tf_toyresnet_weights_json/modelConfig.json": ("MIG124:h",),
    "kotlindl_tfk224tf_toyresnet_weights_json/weights.h5": ("MIG113:l",),
    "kotlindl_tfk240_lstm_weights_json/model.json": ("MIG124:h",),
    "kotlindl_tfk240_lstm_weights_json/weights.h5": ("MIG113:l",),
    "malmodelscan_lambda_keras_sm_tf215/lambda_savedmodel": ("MIG101:h", "MIG301:h"),
    "malmodelscan_tensorabuse_readfile_sm/tensorabuse_savedmodel": ("MIG107:m", "MIG305:c"),
    "mnist0x7a_broken_renamed_savedmodel/model1": ("MIG101:h", "MIG117:h"),
    "mnist0x7a_tf210_keras_savedmodel": ("MIG101:h",),
    "ncf_k107_theano_gmf_weights/ml-1m_GMF_8_1501651698.h5": ("MIG113:m",),
    "oarriaga_k205_mini_xception_hdf5/fer2013_mini_XCEPTION.102-0.66.hdf5": (
        "MIG112:l", "MIG120:l",
    ),
    "petar_tf12_estimator_pbtxt": ("MIG103:m", "MIG105:m", "MIG117:h"),
    "sentiment_h5_named_dotkeras_tfk211/model.keras": ("MIG112:l", "MIG114:h", "MIG120:l"),
    "serving_bad_hp2_sessionbundle/bad_half_plus_two/00000123": (
        "MIG118:m", "MIG121:h", "MIG125:l",
    ),
    "serving_hp2_2versions_tf11/saved_model_half_plus_two_2_versions/00000123": ("MIG103:m",),
    "serving_hp2_2versions_tf11/saved_model_half_plus_two_2_versions/00000124": ("MIG103:m",),
    "serving_hp2_cfg_tf24/saved_model_half_plus_two_cpu_with_saved_model_config/00000123": (
        "MIG103:m",
    ),
    "serving_hp2_cpu_tf114/saved_model_half_plus_two_cpu/00000123": ("MIG103:m",),
    "serving_hp2_gpu_tf19/saved_model_half_plus_two_gpu/00000123": ("MIG103:m",),
    "serving_hp2_mlmd_tf21/saved_model_half_plus_two_mlmd/00000123": ("MIG103:m",),
    "serving_hp2_tf2_tf214/saved_model_half_plus_two_tf2_cpu/00000123": (),
    "serving_hp2_tflite/saved_model_half_plus_two_tflite/00000123/model.tflite": ("MIG122:i",),
    "serving_hp2_trt_tf22/saved_model_half_plus_two_gpu_trt/00000123": ("MIG103:m",),
    "serving_matrix_hp2_tf12/matrix_half_plus_two/1": ("MIG103:m",),
    "serving_parse_example_tflite/parse_example_tflite/00000123/model.tflite": ("MIG122:i", "MIG129:m"),
    "snake_keras3_weights_h5/model.weights.h5": (),
    "tetrisdqn_tf212_keras_sm_fingerprint/agent_no_conv_big_delta_state+1000": ("MIG101:h",),
    "tfjs_celsius_layers_k212/model.json": ("MIG122:i",),
    "tfjs_graph_model_from_tf231_sm/checkpoint": ("MIG101:h", "MIG102:m"),
    "tfjs_graph_model_from_tf231_sm/tfjs_model/model.json": ("MIG122:i",),
    "tfx_estimator_export_ts_tf29/export/chicago-taxi/1646034756": ("MIG103:m", "MIG105:m"),
    "tfx_estimator_model_dir_ckpt/model.ckpt-1000": ("MIG116:m", "MIG118:l", "MIG120:l"),
    "tfx_keras_sm_tf231_nometadata/Format-Serving": ("MIG101:h", "MIG102:m", "MIG119:l"),
    "tfx_transform_fn_tag_transform_tf215/transform_fn": ("MIG103:m", "MIG107:m"),
    "uvex_decoy_labelmap_named_saved_model_pbtxt": (),
    "vae_dotkeras_tfk214_subclassed/model.keras": ("MIG119:m", "MIG120:l", "MIG303:m"),
    "yt_tfk212_lstm_h5/lstm_sentiment_model.h5": ("MIG112:l", "MIG120:l", "MIG128:h"),
    "zhou_tfkeras_tf110_save_weights_tf_format/checkpoints/my_checkpoint": ("MIG115:h",),
}  # fmt: skip


@pytest.fixture(scope="module")
def realworld_judged(realworld_reading: Report) -> Report:
    """The session's reading of the real-world tree, judged by the artifact rules."""
    return replace(
        realworld_reading, artifacts=tuple(check_artifact(a) for a in realworld_reading.artifacts)
    )


@pytest.fixture(scope="module")
def realworld_report(realworld_judged: Report) -> dict[str, list[dict]]:
    return {a.path: [f.to_json() for f in a.findings] for a in realworld_judged.artifacts}


def test_every_real_artifact_yields_exactly_the_reviewed_findings(
    realworld_report: dict[str, list[dict]],
) -> None:
    got = {
        path: tuple(f"{f['rule']}:{f['severity'][0]}" for f in found if f["rule"][:4] in
                    ("MIG1", "MIG3"))
        for path, found in realworld_report.items()
    }  # fmt: skip
    assert got == EXPECTED


def test_real_messages_name_the_culprits(realworld_report: dict[str, list[dict]]) -> None:
    def message(path: str, rule: str) -> str:
        (text,) = [f["message"] for f in realworld_report[path] if f["rule"] == rule]
        return text

    assert "Keras 2.12.0, TF 2.12.0" in message(
        "tetrisdqn_tf212_keras_sm_fingerprint/agent_no_conv_big_delta_state+1000", "MIG101"
    )
    jba = message("jba_tf20a0_export_saved_model_multimeta/1554322901", "MIG104")
    assert "timestamp folder 1554322901" in jba and "`train`, `eval`, `serve`" in jba
    assert "`bidirectional_1 (Bidirectional(LSTM))`" in message(
        "yt_tfk212_lstm_h5/lstm_sentiment_model.h5", "MIG128"
    )
    assert "`model.ckpt-0`, `model.ckpt-999`" in message(
        "tfx_estimator_model_dir_ckpt/model.ckpt-1000", "MIG118"
    )
    assert "loss `mse`" in message("dv_k120_fullmodel_lambda/model.h5", "MIG127")
    assert "only `transform_signature`" in message(
        "tfx_transform_fn_tag_transform_tf215/transform_fn", "MIG107"
    )
    assert "`customLoss (loss)`" in message("debangshu_k224_full_h5/model.h5", "MIG119")


def test_json_report_carries_every_real_finding_unchanged(realworld_judged: Report) -> None:
    """The JSON report of the real-world audit: plain JSON (no tuple, bytes or Path leaks that
    a round trip would change), every artifact once, every finding with its rule, severity,
    message and fix as judged, and every artifact-rule message ending with its remedy."""
    data = json.loads(render_json(realworld_judged))
    assert data == realworld_judged.to_json()
    by_path = {a["path"]: a for a in data["artifacts"]}
    assert sorted(by_path) == sorted(a.path for a in realworld_judged.artifacts)
    assert sum(len(a.findings) for a in realworld_judged.artifacts) >= len(EXPECTED)
    for artifact in realworld_judged.artifacts:
        written = by_path[artifact.path]
        assert written["format"] == artifact.format and written["errors"] == list(artifact.errors)
        assert [
            (f["rule"], f["severity"], f["message"], f["fix"]) for f in written["findings"]
        ] == [(f.rule, f.severity, f.message, f.fix) for f in artifact.findings], artifact.path
        for finding in artifact.findings:
            if finding.rule[:4] in ("MIG1", "MIG3"):
                assert finding.fix and finding.message.endswith(finding.fix + "."), finding
