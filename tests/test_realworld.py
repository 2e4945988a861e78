"""Every entry of ../shared/realworld/MANIFEST.json, audited: formats and producers as the bytes say.

The expected table below was written by hand from each file's own bytes (HDF5 root attributes,
`metadata.json`, MetaInfoDef.tensorflow_version, keras_metadata.pb, model.json fields), checked
against the MANIFEST's `evidence`. It names every artifact the audit must find in the entry's
folder, so grouping (a SavedModel folder is one artifact; a checkpoint prefix is one artifact)
is tested too. Broken entries must produce errors, never crashes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.model import Report
from tests.conftest import REALWORLD, realworld_manifest

TF = "tensorflow"
PRODUCER_KEYS = ("keras_version", "tensorflow_version", "backend")


def k(version: str, backend: str | None = TF) -> dict[str, str]:
    """Producer of a Keras file: keras_version plus backend when the file records one."""
    return {"keras_version": version, **({"backend": backend} if backend else {})}


def t(version: str) -> dict[str, str]:
    return {"tensorflow_version": version}


# entry id -> {artifact path relative to the entry folder: (format, producer, has_errors)}
# has_errors: True = must report an error, False = must not, None = either is acceptable.
EXPECTED: dict[str, dict[str, tuple[str, dict[str, str], bool | None]]] = {
    "serving_hp2_cpu_tf114": {
        "saved_model_half_plus_two_cpu/00000123": ("saved-model", t("1.14.0"), False)
    },
    "serving_hp2_2versions_tf11": {
        "saved_model_half_plus_two_2_versions/00000123": ("saved-model", t("1.1.0-rc2"), False),
        "saved_model_half_plus_two_2_versions/00000124": ("saved-model", t("1.1.0-rc2"), False),
    },
    "serving_hp2_gpu_tf19": {
        "saved_model_half_plus_two_gpu/00000123": ("saved-model", t("1.9.0"), False)
    },
    "serving_hp2_mlmd_tf21": {
        "saved_model_half_plus_two_mlmd/00000123": ("saved-model", t("2.1.0"), False)
    },
    "serving_hp2_cfg_tf24": {
        "saved_model_half_plus_two_cpu_with_saved_model_config/00000123": (
            "saved-model",
            t("2.4.0"),
            False,
        )
    },
    "serving_hp2_tf2_tf214": {
        "saved_model_half_plus_two_tf2_cpu/00000123": ("saved-model", t("2.14.0"), False)
    },
    "serving_hp2_trt_tf22": {
        "saved_model_half_plus_two_gpu_trt/00000123": ("saved-model", t("2.2.0"), False)
    },
    "serving_matrix_hp2_tf12": {"matrix_half_plus_two/1": ("saved-model", t("1.2.0-rc2"), None)},
    # export.meta records no tensorflow_version (2016, before MetaInfoDef had one filled in)
    "serving_bad_hp2_sessionbundle": {"bad_half_plus_two/00000123": ("session-bundle", {}, None)},
    "serving_hp2_tflite": {
        "saved_model_half_plus_two_tflite/00000123/model.tflite": ("tflite", {}, False)
    },
    "serving_parse_example_tflite": {
        "parse_example_tflite/00000123/model.tflite": ("tflite", {}, False)
    },
    "bn_malicious_subclass_h5_k333": {"malicious_model.h5": ("keras-h5", k("3.3.3"), False)},
    "bn_malicious_subclass_keras_k333": {
        "malicious_model.keras": ("keras-v3", {"keras_version": "3.3.3"}, False)
    },
    "kosenko_lambda_marshal_h5_tfk215": {"malicious_model.h5": ("keras-h5", k("2.15.0"), False)},
    "aisec_c4_signed_h5_k38": {"keras_model.h5": ("keras-h5", k("3.8.0"), False)},
    "dv_k120_fullmodel_lambda": {
        "model.h5": ("keras-h5", k("1.2.0", None), False),
        "model.json": ("keras-json", k("1.2.0", None), False),
    },
    "dv_k120_weights_plus_json": {
        "model.h5": ("keras-h5-weights", {}, False),
        "model.json": ("keras-json", k("1.2.0", None), False),
    },
    "dv_k231_weights_plus_json": {
        "model.h5": ("keras-h5-weights", k("2.3.1"), False),
        "model.json": ("keras-json", k("2.3.1"), False),
    },
    "ncf_k107_theano_gmf_weights": {"ml-1m_GMF_8_1501651698.h5": ("keras-h5-weights", {}, False)},
    "evilkeras_npz_dupentry_k36": {"model.keras": ("keras-v3", {"keras_version": "3.6.0"}, None)},
    "mnist0x7a_tf210_keras_savedmodel": {
        ".": ("saved-model", {**t("2.10.0"), **k("2.10.0")}, False)
    },
    "mnist0x7a_broken_renamed_savedmodel": {
        "model1": ("saved-model", {**t("2.10.0"), **k("2.10.0")}, True)
    },
    "daviesx_tf15_ckpt_v2": {"fc2.ckpt": ("tf-checkpoint", t("1.5.0"), False)},
    "jonykai_frozen_graphdef": {"frozen_model.pb": ("graph-def", {}, False)},
    "tetrisdqn_tf212_keras_sm_fingerprint": {
        "agent_no_conv_big_delta_state+1000": (
            "saved-model",
            {**t("2.12.0"), **k("2.12.0")},
            False,
        )
    },
    "yt_tfk212_lstm_h5": {"lstm_sentiment_model.h5": ("keras-h5", k("2.12.0"), False)},
    "heart_tfk210_h5": {"heart_disease.h5": ("keras-h5", k("2.10.0"), False)},
    "houserent_tf215_keras_sm_spacedpath": {
        "archive (4)": ("saved-model", {**t("2.15.0"), **k("2.15.0")}, False)
    },
    "houserent_tf215_sm_root_novars": {".": ("saved-model", {**t("2.15.0"), **k("2.15.0")}, True)},
    "tfjs_celsius_layers_k212": {"model.json": ("tfjs-layers", k("2.12.0"), False)},
    "snake_keras3_weights_h5": {"model.weights.h5": ("keras-v3-weights", {}, False)},
    "cnndemo_k215_weights_yaml": {
        "model.yaml": ("keras-yaml", k("2.1.5"), False),
        "model_weights.h5": ("keras-h5-weights", k("2.1.5"), False),
    },
    # named .keras, but the bytes are a tf.keras 2.11 HDF5 full model
    "sentiment_h5_named_dotkeras_tfk211": {"model.keras": ("keras-h5", k("2.11.0"), False)},
    "vae_dotkeras_tfk214_subclassed": {
        "model.keras": ("keras-v3", {"keras_version": "2.14.0"}, False)
    },
    "oarriaga_k205_mini_xception_hdf5": {
        "fer2013_mini_XCEPTION.102-0.66.hdf5": ("keras-h5", k("2.0.5"), False)
    },
    "petar_tf12_estimator_pbtxt": {".": ("saved-model", t("1.2.0"), True)},
    # a label map committed as saved_model.pbtxt: not a SavedModel at all
    "uvex_decoy_labelmap_named_saved_model_pbtxt": {".": ("unknown", {}, True)},
    "tfx_estimator_export_ts_tf29": {
        "export/chicago-taxi/1646034756": ("saved-model", t("2.9.0-dev20220227"), False)
    },
    "tfx_estimator_model_dir_ckpt": {
        "model.ckpt-1000": ("tf-checkpoint", t("2.9.0-dev20220227"), False)
    },
    "tfx_keras_sm_tf231_nometadata": {
        # TF 2.3.1 embedded Keras metadata (keras_version 2.4.0) in the object graph
        "Format-Serving": ("saved-model", {**t("2.3.1"), **k("2.4.0")}, False)
    },
    "tfx_transform_fn_tag_transform_tf215": {"transform_fn": ("saved-model", t("2.15.1"), False)},
    "dl4j_k122_theano_lstm_trio": {
        "simple_lstm_th_keras_1_model.h5": ("keras-h5", k("1.2.2", None), False),
        "simple_lstm_th_keras_1_weights.h5": ("keras-h5-weights", {}, False),
        "simple_lstm_th_keras_1_config.json": ("keras-json", k("1.2.2", None), False),
    },
    "dl4j_k208_theano_weights_plus_json": {
        "lstm_th_keras_2_weights.h5": ("keras-h5-weights", k("2.0.8", "theano"), False),
        "lstm_th_keras_2_config.json": ("keras-json", k("2.0.8", "theano"), False),
    },
    "dl4j_tfk224tf_act_noncompiled": {"act_1.h5": ("keras-h5", k("2.2.4-tf"), False)},
    "dl4j_k224_standalone_batchnorm": {"batchNormError2.h5": ("keras-h5", k("2.2.4"), False)},
    "dl4j_tfk240_embedding_conv1d": {"issue_9349.hdf5": ("keras-h5", k("2.4.0"), False)},
    "dl4j_k231_causal_conv1d_model_and_weights": {
        "causal_conv1d_k2_s1_d1_cl_model.h5": ("keras-h5", k("2.3.1"), False),
        "causal_conv1d_k2_s1_d1_cl_weights.h5": ("keras-h5-weights", k("2.3.1"), False),
    },
    "dl4j_k220_masking_lstm": {"masking_two_lstm.h5": ("keras-h5", k("2.2.0"), False)},
    "dl4j_tf_graphdef_text_train_iris": {"train_iris.pbtxt": ("graph-def", {}, False)},
    "dl4j_tf_ckpt_abs_path_simple_graph": {
        "simple_graph/data-all-1000": ("tf-checkpoint", t("1.4.1"), False),
        "simple_graph/frozen_graph.pbtxt": ("graph-def", {}, False),
        "simple_graph/frozen_model.pb": ("graph-def", {}, False),
        # a text GraphDef saved with a .txt extension: the bytes decide, not the name
        "simple_graph/model.txt": ("graph-def", {}, False),
    },
    "kotlindl_tfk224tf_toyresnet_weights_json": {
        "modelConfig.json": ("keras-json", k("2.2.4-tf"), False),
        "weights.h5": ("keras-h5-weights", k("2.2.4-tf"), False),
    },
    "kotlindl_tfk240_lstm_weights_json": {
        "model.json": ("keras-json", k("2.4.0"), False),
        "weights.h5": ("keras-h5-weights", k("2.4.0"), False),
    },
    "zhou_tfkeras_tf110_save_weights_tf_format": {
        "checkpoints/my_checkpoint": ("tf-checkpoint", {}, False)
    },
    "jba_tf20a0_export_saved_model_multimeta": {
        # variables.data-00000-of-00001 is absent from the snapshot: must be reported
        "1554322901": ("saved-model", {**t("2.0.0-alpha0"), **k("2.2.4-tf")}, True)
    },
    "malmodelscan_tensorabuse_readfile_sm": {
        "tensorabuse_savedmodel": ("saved-model", t("2.15.0"), False)
    },
    "malmodelscan_lambda_keras_sm_tf215": {
        "lambda_savedmodel": ("saved-model", {**t("2.15.0"), **k("2.15.0")}, False)
    },
    "debangshu_k224_full_h5": {"model.h5": ("keras-h5", k("2.2.4"), False)},
    "hng_tfk270_subclassed_weights_h5_and_tfckpt": {
        "h5/actor_75.h5": ("keras-h5-weights", k("2.7.0"), False),
        "actor_150": ("tf-checkpoint", {}, False),
    },
    "tfjs_graph_model_from_tf231_sm": {
        "tfjs_model/model.json": ("tfjs-graph", {}, False),
        # a Keras model saved by TF 2.3.1: the object graph records keras_version 2.4.0
        "checkpoint": ("saved-model", {**t("2.3.1"), **k("2.4.0")}, False),
    },
}

MANIFEST = realworld_manifest()
IDS = [e["id"] for e in MANIFEST] or ["<realworld absent>"]


def test_expected_table_covers_every_manifest_entry() -> None:
    if not MANIFEST:
        pytest.skip(f"real-world artifacts not available at {REALWORLD}")
    assert sorted(e["id"] for e in MANIFEST) == sorted(EXPECTED)


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


@pytest.mark.realworld
@pytest.mark.parametrize("entry_id", IDS)
def test_realworld_entry(entry_id: str) -> None:
    if not MANIFEST:
        pytest.skip(f"real-world artifacts not available at {REALWORLD}")
    folder = REALWORLD / "artifacts" / entry_id
    before = _tree_digest(folder)
    report = audit([folder])
    assert _tree_digest(folder) == before, "auditing modified the source"
    found = {a.path: a for a in report.artifacts}
    expected = EXPECTED[entry_id]
    assert sorted(found) == sorted(expected), f"artifacts found: {sorted(found)}"
    for path, (fmt, producer, has_errors) in expected.items():
        artifact = found[path]
        assert artifact.format == fmt, (path, artifact.errors)
        got = {key: artifact.producer[key] for key in PRODUCER_KEYS if key in artifact.producer}
        assert got == producer, path
        if has_errors is True:
            assert artifact.errors, f"{path}: a broken artifact must report an error"
            assert all("\n" not in e and e.strip() for e in artifact.errors)
        elif has_errors is False:
            assert not artifact.errors, f"{path}: unexpected errors {artifact.errors}"
        for error in artifact.errors:
            assert "internal error" not in error, error
    assert not report.errors


@pytest.mark.realworld
def test_whole_realworld_tree_in_one_audit(realworld_reading: Report) -> None:
    """One audit over all 59 entries: same artifacts as the per-entry audits, nothing crashes.

    That audit is the session's `realworld_reading`, which other modules share.
    """
    report = realworld_reading
    paths = {a.path for a in report.artifacts}
    want = {(f"{eid}/{p}" if p != "." else eid) for eid, arts in EXPECTED.items() for p in arts}
    assert paths == want
    data = report.to_json()
    assert [a["path"] for a in data["artifacts"]] == sorted(paths)
