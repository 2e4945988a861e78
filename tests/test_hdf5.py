"""The HDF5 reader: real Keras files of every era, the legacy corpus, and broken or hostile files.

Expected formats and details come from the MANIFEST's evidence for each real file; producers are
compared with the file's own attributes, read here independently with h5py. Malformed inputs
are generated into tmp_path and must give one clear error, never a crash, and stay unchanged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from corpus import legacy_hdf5
from migrator.audit import audit
from migrator.errors import ArtifactError
from migrator.facts import extension_matches
from migrator.formats import hdf5
from migrator.model import Artifact, Candidate
from tests.conftest import REALWORLD, realworld_entry

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

# artifacts/<entry>/<file> -> (format, details that must hold; from the MANIFEST evidence)
REAL_HDF5: dict[str, tuple[str, dict[str, Any]]] = {
    "dv_k120_fullmodel_lambda/model.h5": (
        "keras-h5",
        {
            "model_class": "Sequential",
            "keras_major": 1,
            "config_style": "keras1",
            "training_config": True,
            "optimizer": "Adam",
            "uses_lambda": True,
            "optimizer_weights": True,
            "tf_keras": False,
            "extension_matches": True,
        },
    ),
    "dv_k120_weights_plus_json/model.h5": (
        "keras-h5-weights",
        {"layer_count": 15, "keras_major": 1, "weight_naming": "keras1"},
    ),
    "dv_k231_weights_plus_json/model.h5": (
        "keras-h5-weights",
        {"layer_count": 15, "keras_major": 2, "weight_naming": "keras2", "extension_matches": True},
    ),
    "ncf_k107_theano_gmf_weights/ml-1m_GMF_8_1501651698.h5": (
        "keras-h5-weights",
        {
            "layer_names": [
                "item_input",
                "user_input",
                "item_embedding",
                "user_embedding",
                "flatten_1",
                "flatten_2",
                "merge_1",
                "prediction",
            ],
            "keras_major": 1,
            "weight_naming": "keras1",
        },
    ),
    "kosenko_lambda_marshal_h5_tfk215/malicious_model.h5": (
        "keras-h5",
        {
            "keras_major": 2,
            "training_config": True,
            "optimizer": "Custom>Adam",
            "uses_lambda": True,
            "lambda_layers": [
                {
                    "path": "lambda",
                    "class_name": "Lambda",
                    "function_type": "lambda",
                    "module": "__main__",
                    "marshalled": True,
                    "marshalled_fields": ["function"],
                    "code_encoding": "base64",
                }
            ],
        },
    ),
    "aisec_c4_signed_h5_k38/keras_model.h5": (
        "keras-h5",
        {
            "keras_major": 3,
            "model_class": "Sequential",
            "training_config": True,
            "optimizer": "Adam",
            "optimizer_weights": True,
            "config_style": "keras3",
        },
    ),
    "bn_malicious_subclass_h5_k333/malicious_model.h5": (
        "keras-h5",
        {
            "model_class": "MaliciousModel",
            "keras_major": 3,
            "weights_layer_count": 2,
            "layer_count": 0,
            "training_config": False,
        },
    ),
    "yt_tfk212_lstm_h5/lstm_sentiment_model.h5": (
        "keras-h5",
        {"keras_major": 2, "training_config": True, "optimizer_weights": True},
    ),
    "heart_tfk210_h5/heart_disease.h5": (
        "keras-h5",
        {
            "model_class": "Sequential",
            "layer_classes": ["Dense", "Dropout", "InputLayer"],
            "optimizer": "Adam",
            "keras_major": 2,
        },
    ),
    "snake_keras3_weights_h5/model.weights.h5": (
        "keras-v3-weights",
        {
            "optimizer": True,
            "named_weights_h5": True,
            "extension_matches": True,
            "legacy_layer_key": False,
        },
    ),
    "cnndemo_k215_weights_yaml/model_weights.h5": (
        "keras-h5-weights",
        {"layer_count": 5, "keras_major": 2, "weight_naming": "keras2"},
    ),
    "sentiment_h5_named_dotkeras_tfk211/model.keras": (
        "keras-h5",
        {
            "extension": ".keras",
            "extension_matches": False,
            "optimizer": "Custom>Adam",
            "keras_major": 2,
        },
    ),
    "oarriaga_k205_mini_xception_hdf5/fer2013_mini_XCEPTION.102-0.66.hdf5": (
        "keras-h5",
        {
            "model_class": "Model",
            "training_config": True,
            "keras_major": 2,
            "extension": ".hdf5",
            "extension_matches": True,
        },
    ),
    "dl4j_k122_theano_lstm_trio/simple_lstm_th_keras_1_model.h5": (
        "keras-h5",
        {
            "keras_major": 1,
            "config_style": "keras1",
            "training_config": True,
            "model_class": "Sequential",
        },
    ),
    "dl4j_k122_theano_lstm_trio/simple_lstm_th_keras_1_weights.h5": (
        "keras-h5-weights",
        {"layer_names": ["lstm_1", "dense_1"], "keras_major": 1, "weight_naming": "keras1"},
    ),
    "dl4j_k208_theano_weights_plus_json/lstm_th_keras_2_weights.h5": (
        "keras-h5-weights",
        {"layer_names": ["lstm_1", "lstm_2", "dense_1"], "keras_major": 2},
    ),
    "dl4j_tfk224tf_act_noncompiled/act_1.h5": (
        "keras-h5",
        {
            "tf_keras": True,
            "training_config": False,
            "model_class": "Model",
            "layer_classes": ["Activation", "InputLayer"],
            "keras_major": 2,
        },
    ),
    "dl4j_k224_standalone_batchnorm/batchNormError2.h5": (
        "keras-h5",
        {"tf_keras": False, "model_class": "Model", "training_config": False},
    ),
    "dl4j_tfk240_embedding_conv1d/issue_9349.hdf5": (
        "keras-h5",
        {"model_class": "Functional", "training_config": True},
    ),
    "dl4j_k231_causal_conv1d_model_and_weights/causal_conv1d_k2_s1_d1_cl_model.h5": (
        "keras-h5",
        {"model_class": "Sequential", "training_config": True},
    ),
    "dl4j_k231_causal_conv1d_model_and_weights/causal_conv1d_k2_s1_d1_cl_weights.h5": (
        "keras-h5-weights",
        {"layer_names": ["conv0"], "keras_major": 2},
    ),
    "dl4j_k220_masking_lstm/masking_two_lstm.h5": (
        "keras-h5",
        {"training_config": False, "layer_classes": ["LSTM", "Masking"]},
    ),
    "kotlindl_tfk224tf_toyresnet_weights_json/weights.h5": (
        "keras-h5-weights",
        {"tf_keras": True, "keras_major": 2, "layer_count": 14},
    ),
    "kotlindl_tfk240_lstm_weights_json/weights.h5": (
        "keras-h5-weights",
        {"tf_keras": False, "keras_major": 2, "layer_count": 8},
    ),
    "debangshu_k224_full_h5/model.h5": (
        "keras-h5",
        {"model_class": "Sequential", "training_config": True, "tf_keras": False},
    ),
    "hng_tfk270_subclassed_weights_h5_and_tfckpt/h5/actor_75.h5": (
        "keras-h5-weights",
        {"top_level_model_weights": True, "layer_names": ["dense", "dense_1", "dense_2"]},
    ),
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _attr_text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _producer_from_attrs(path: Path) -> dict[str, str]:
    """keras_version/backend as the file records them: root first, then model_weights."""
    out: dict[str, str] = {}
    with h5py.File(path, "r") as f:
        holders = [f] + ([f["model_weights"]] if "model_weights" in f else [])
        for key in ("keras_version", "backend"):
            for holder in holders:
                if key in holder.attrs:
                    out[key] = _attr_text(holder.attrs[key])
                    break
    return out


def _only(report_path: Path) -> Artifact:
    report = audit([report_path])
    assert not report.errors
    assert len(report.artifacts) == 1, [a.path for a in report.artifacts]
    return report.artifacts[0]


def _one_line_error(artifact: Artifact) -> str:
    assert len(artifact.errors) == 1, artifact.errors
    error = artifact.errors[0]
    assert "\n" not in error and error.strip()
    assert "internal error" not in error
    return error


def _assert_subset(expected: Any, got: Any, where: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: {got!r}"
        for key, value in expected.items():
            assert key in got, f"{where}/{key} missing"
            _assert_subset(value, got[key], f"{where}/{key}")
    else:
        assert got == expected, f"{where}: expected {expected!r}, got {got!r}"


# --- real-world files ----------------------------------------------------------------------------


def test_table_covers_every_hdf5_file_in_the_realworld_tree() -> None:
    root = REALWORLD / "artifacts"
    if not root.is_dir():
        pytest.skip(f"real-world artifacts not available at {REALWORLD}")
    found = set()
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                if fh.read(8) == hdf5.SIGNATURE:
                    found.add(path.relative_to(root).as_posix())
    assert found == set(REAL_HDF5)


@pytest.mark.parametrize("rel", sorted(REAL_HDF5))
def test_realworld_hdf5(rel: str) -> None:
    entry, _, name = rel.partition("/")
    path = realworld_entry(entry) / name
    before = _sha(path)
    fmt, details = REAL_HDF5[rel]
    artifact = _only(path)
    assert _sha(path) == before, "auditing modified the source"
    assert artifact.format == fmt, artifact.errors
    assert not artifact.errors
    assert dict(artifact.producer) == _producer_from_attrs(path)
    # the reader records the extension; whether Keras 3 opens it under that name is a judgement
    _assert_subset(details, {**artifact.details, "extension_matches": extension_matches(artifact)})
    assert artifact.reading.evidence[0] == "HDF5 signature at offset 0"
    json.dumps(artifact.to_json())  # the details are JSON-ready


def test_keras1_lambda_code_is_reported_not_decoded() -> None:
    path = realworld_entry("dv_k120_fullmodel_lambda") / "model.h5"
    details = _only(path).details
    lambdas = {item["path"]: item for item in details["lambda_layers"]}
    assert set(lambdas) == {"Preprocess", "Postprocess"}
    for item in lambdas.values():
        # Keras 1 stored the marshal bytes as a latin-1 string, not base64
        assert item["marshalled"] is True and item["code_encoding"] == "raw"
        assert item["function_type"] == "lambda"
    assert "backend" not in _producer_from_attrs(path)  # Keras 1 wrote no backend


def test_weights_only_details_list_every_weight_with_shape_from_metadata() -> None:
    path = realworld_entry("dl4j_k122_theano_lstm_trio") / "simple_lstm_th_keras_1_weights.h5"
    details = _only(path).details
    with h5py.File(path, "r") as f:
        for layer in details["weights"]:
            group = f[layer["layer"]]
            names = [_attr_text(n) for n in group.attrs["weight_names"]]
            assert [w["name"] for w in layer["weights"]] == names
            for weight in layer["weights"]:
                assert tuple(weight["shape"]) == group[weight["name"]].shape
                assert weight["dtype"] == group[weight["name"]].dtype.name
    assert details["weight_count"] == 14


# --- the legacy corpus ---------------------------------------------------------------------------


GOLDEN_NAMES = [
    "k122_theano_cnn.h5",
    "k122_theano_merge_weights.h5",
    "k122_theano_merge.json",
    "k208_theano_cnn.h5",
    "k208_theano_cnn_arch.yaml",
    "tfk224tf_deep_mlp.h5",
]


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_corpus_file_matches_its_golden_record(name: str) -> None:
    golden = json.loads((CORPUS / "expected" / f"{Path(name).stem}.json").read_text())
    assert golden["path"] == f"legacy/{name}"
    path = CORPUS / "legacy" / name
    record = _only(path).to_json()
    record["path"] = f"legacy/{name}"
    _assert_subset(golden, record)


def test_corpus_chunked_layer_names_are_joined_in_order() -> None:
    path = CORPUS / "legacy" / "tfk224tf_deep_mlp.h5"
    with h5py.File(path, "r") as f:
        group = f["model_weights"]
        assert "layer_names" not in group.attrs
        chunks = [group.attrs[f"layer_names{i}"] for i in range(2)]
        assert sum(c.nbytes for c in chunks) > legacy_hdf5.HDF5_OBJECT_HEADER_LIMIT
        names = [_attr_text(n) for c in chunks for n in c]
    reading = _only(path).reading
    assert reading.raw["layer_names"] == names
    assert names[-1] == legacy_hdf5.LONG_NAME
    assert reading.details["chunked_attributes"] == {"model_weights/layer_names": 2}


def test_corpus_generator_is_deterministic_and_matches_the_committed_files(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    legacy_hdf5.build_all(first)
    legacy_hdf5.build_all(second)
    for path in sorted(first.rglob("*")):
        if path.is_file():
            rel = path.relative_to(first)
            assert path.read_bytes() == (second / rel).read_bytes(), rel
            committed = CORPUS / rel
            if path.suffix == ".h5":  # HDF5 bytes depend on the library: compare the content
                assert _h5_content(path) == _h5_content(committed), rel
            else:
                assert path.read_bytes() == committed.read_bytes(), rel


def _h5_content(path: Path) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    with h5py.File(path, "r") as f:

        def visit(name: str, obj: Any) -> None:
            for key in sorted(obj.attrs):
                items.append((f"{name}@{key}", repr(obj.attrs[key])))
            if isinstance(obj, h5py.Dataset):
                items.append((name, f"{obj.dtype}{obj.shape}{obj[()].tobytes().hex()}"))

        visit("/", f)
        f.visititems(visit)
    return items


# --- files generated here: layouts, edge cases, hostile and broken inputs ------------------------


def _write_full_model(path: Path, **extra_attrs: Any) -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [{"class_name": "Dense", "config": {"name": "dense", "units": 2}}],
        },
    }
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.3.1"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        for key, value in extra_attrs.items():
            f.attrs[key] = value
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.asarray([b"dense"])
        layer = group.create_group("dense")
        layer.attrs["weight_names"] = np.asarray([b"dense/kernel:0", b"dense/bias:0"])
        layer.create_dataset("dense/kernel:0", data=np.ones((3, 2), "f4"))
        layer.create_dataset("dense/bias:0", data=np.zeros((2,), "f4"))


def test_truncated_hdf5_is_one_clear_error(tmp_path: Path) -> None:
    whole = tmp_path / "whole.h5"
    _write_full_model(whole)
    data = whole.read_bytes()
    broken = tmp_path / "model.h5"
    broken.write_bytes(data[: len(data) // 2])
    whole.unlink()
    before = _sha(broken)
    artifact = _only(broken)
    error = _one_line_error(artifact)
    assert error.startswith("HDF5 file is truncated or corrupt (")
    assert artifact.format == "unknown"
    assert _sha(broken) == before


def test_hdf5_without_a_keras_layout_names_its_top_level_keys(tmp_path: Path) -> None:
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.zeros((2, 4, 4), "u1"))
        f.create_group("labels")
        f.attrs["creator"] = "a data pipeline"
    error = _one_line_error(_only(path))
    assert "holds no Keras model or weights layout" in error
    assert "images, labels" in error and "creator" in error


def test_invalid_model_config_json_keeps_the_format(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    _write_full_model(path)
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = '{"class_name": "Sequential", "config": {'
    artifact = _only(path)
    assert artifact.format == "keras-h5"
    assert "model_config is not valid JSON" in _one_line_error(artifact)


def test_invalid_training_config_is_an_error_beside_the_details(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    _write_full_model(path, training_config=b"{broken")
    artifact = _only(path)
    assert artifact.format == "keras-h5"
    assert artifact.details["training_config"] is True
    assert artifact.details["optimizer"] is None
    assert "training_config is not valid JSON" in _one_line_error(artifact)


def test_empty_h5_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    path.write_bytes(b"")
    assert "empty" in _one_line_error(_only(path))


def test_html_page_named_h5_is_not_claimed_as_hdf5(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    path.write_bytes(b"<!DOCTYPE html><html>404 Not Found</html>")
    assert not hdf5.claim_file(path, path.read_bytes()[:64])
    artifact = _only(path)
    assert artifact.format == "unknown"
    _one_line_error(artifact)


def test_missing_weight_datasets_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    _write_full_model(path)
    with h5py.File(path, "a") as f:
        del f["model_weights/dense/dense/bias:0"]
    artifact = _only(path)
    assert artifact.format == "keras-h5"
    error = _one_line_error(artifact)
    assert "1 weight(s) listed in weight_names" in error and "dense/dense/bias:0" in error


def test_big_weights_are_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 300 MB kernel costs nothing: its storage is an external raw file that does not exist,
    a compressed 600 MB dataset has no chunk written, and every h5py data read is patched to
    fail. Shapes and sizes still come out of the metadata."""
    path = tmp_path / "big.h5"
    rows = 300 * 2**20 // (4 * 1024)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.3.1"
        f.attrs["backend"] = "tensorflow"
        config = {
            "class_name": "Sequential",
            "config": {
                "name": "s",
                "layers": [
                    {"class_name": "Dense", "config": {"name": "big", "units": 1024}},
                    {"class_name": "Dense", "config": {"name": "huge", "units": 1024}},
                ],
            },
        }
        f.attrs["model_config"] = json.dumps(config)
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.asarray([b"big", b"huge"])
        big = group.create_group("big")
        big.attrs["weight_names"] = np.asarray([b"big/kernel:0"])
        big.create_dataset(
            "big/kernel:0",
            shape=(rows, 1024),
            dtype="f4",
            external=[(str(tmp_path / "absent.bin"), 0, h5py.h5f.UNLIMITED)],
        )
        huge = group.create_group("huge")
        huge.attrs["weight_names"] = np.asarray([b"huge/kernel:0"])
        huge.create_dataset(
            "huge/kernel:0",
            shape=(2 * rows, 1024),
            dtype="f4",
            chunks=(1024, 1024),
            compression="gzip",
        )
    assert path.stat().st_size < 1_000_000

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("weight data was read")

    for name in ("__getitem__", "read_direct", "__array__", "__iter__", "astype", "asstr"):
        monkeypatch.setattr(h5py.Dataset, name, refuse)
    artifact = _only(path)
    assert not artifact.errors
    assert artifact.details["weight_count"] == 2
    assert artifact.details["weight_bytes"] == 3 * rows * 1024 * 4
    shapes = [w["shape"] for layer in artifact.reading.raw["weights"] for w in layer["weights"]]
    assert shapes == [[rows, 1024], [2 * rows, 1024]]


def test_external_links_are_listed_and_never_followed(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    _write_full_model(path)
    with h5py.File(path, "a") as f:
        # a link into a file that does not exist: following it would raise
        f["model_weights/dense/extra"] = h5py.ExternalLink("/nonexistent/secrets.h5", "/data")
    artifact = _only(path)
    assert not artifact.errors
    assert artifact.details["external_links"] == [
        {"path": "model_weights/dense/extra", "file": "/nonexistent/secrets.h5", "target": "/data"}
    ]
    assert any("external link" in e for e in artifact.reading.evidence)


def test_weight_behind_an_external_link_is_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    _write_full_model(path)
    with h5py.File(path, "a") as f:
        del f["model_weights/dense/dense/bias:0"]
        f["model_weights/dense/dense/bias:0"] = h5py.ExternalLink(
            str(tmp_path / "absent.h5"), "/bias"
        )
    artifact = _only(path)
    assert artifact.format == "keras-h5"
    assert "dense/dense/bias:0" in _one_line_error(artifact)


def test_chunked_weights_only_attributes_are_joined(tmp_path: Path) -> None:
    path = tmp_path / "weights.h5"
    names = [f"layer_{i:04d}_" + "x" * 180 for i in range(600)]
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.2.4-tf"
        f.attrs["backend"] = "tensorflow"
        data = np.asarray([n.encode() for n in names])
        for i, part in enumerate(np.array_split(data, 3)):
            f.attrs[f"layer_names{i}"] = part
        for name in names:
            f.create_group(name).attrs["weight_names"] = np.zeros((0,))
        weights = [f"{names[0]}/w{i}:0" for i in range(4)]
        group = f[names[0]]
        del group.attrs["weight_names"]
        group.attrs["weight_names0"] = np.asarray([w.encode() for w in weights[:2]])
        group.attrs["weight_names1"] = np.asarray([w.encode() for w in weights[2:]])
        for w in weights:
            group.create_dataset(w, data=np.zeros((2,), "f4"))
    artifact = _only(path)
    details = artifact.details
    assert artifact.format == "keras-h5-weights" and not artifact.errors
    assert details["layer_names"] == names
    assert details["layer_names_chunked"] is True
    assert details["chunked_attributes"] == {"layer_names": 3, f"{names[0]}/weight_names": 2}
    assert [w["name"] for w in details["weights"][0]["weights"]] == weights
    assert details["keras_major"] == 2 and details["tf_keras"] is True


def test_keras1_weights_without_version_are_inferred_and_said_so(tmp_path: Path) -> None:
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.asarray([b"dense_1"])
        group = f.create_group("dense_1")
        group.attrs["weight_names"] = np.asarray([b"dense_1_W", b"dense_1_b"])
        group.create_dataset("dense_1_W", data=np.zeros((3, 2), "f4"))
        group.create_dataset("dense_1_b", data=np.zeros((2,), "f4"))
    artifact = _only(path)
    assert artifact.details["keras_major"] == 1
    assert artifact.details["weight_naming"] == "keras1"
    assert dict(artifact.producer) == {}
    assert any("no keras_version attribute" in e for e in artifact.reading.evidence)


def test_keras2_style_weights_without_version_are_not_called_keras1(tmp_path: Path) -> None:
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.asarray([b"dense"])
        group = f.create_group("dense")
        group.attrs["weight_names"] = np.asarray([b"dense/kernel:0"])
        group.create_dataset("dense/kernel:0", data=np.zeros((3, 2), "f4"))
    details = _only(path).details
    assert details["keras_major"] is None and details["weight_naming"] == "keras2"


def test_full_model_without_version_infers_from_config_style(tmp_path: Path) -> None:
    path = tmp_path / "old.h5"
    config = {
        "class_name": "Sequential",
        "config": [
            {
                "class_name": "Convolution2D",
                "config": {"name": "c", "nb_filter": 4, "dim_ordering": "th"},
            }
        ],
    }
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.asarray([b"c"])
        group.create_group("c").attrs["weight_names"] = np.zeros((0,))
    artifact = _only(path)
    assert artifact.details["keras_major"] == 1
    assert artifact.details["config_style"] == "keras1"
    assert dict(artifact.producer) == {}
    assert any("inferred from the keras1 config style" in e for e in artifact.reading.evidence)


def test_hdf5_after_a_user_block_is_read(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    with h5py.File(path, "w", userblock_size=1024) as f:
        f.attrs["keras_version"] = "2.1.6"
        f.attrs["layer_names"] = np.asarray([b"d"])
        f.create_group("d").attrs["weight_names"] = np.zeros((0,))
    with open(path, "r+b") as fh:
        fh.write(b"user block written by some tool\n")
    assert hdf5.signature_offset(path, path.read_bytes()[:64]) == 1024
    artifact = _only(path)
    assert artifact.format == "keras-h5-weights"
    assert artifact.reading.evidence[0] == "HDF5 signature at offset 1024 (after a user block)"


def test_model_weights_without_model_config_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    _write_full_model(path)
    with h5py.File(path, "a") as f:
        del f.attrs["model_config"]
    artifact = _only(path)
    assert artifact.format == "keras-h5"
    assert "no model_config attribute" in _one_line_error(artifact)


def test_legacy_weights_named_weights_h5_do_not_match_their_extension(tmp_path: Path) -> None:
    path = tmp_path / "model.weights.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["layer_names"] = np.asarray([b"d"])
        f.create_group("d").attrs["weight_names"] = np.zeros((0,))
    artifact = _only(path)
    assert artifact.format == "keras-h5-weights"
    assert artifact.details["extension"] == ".weights.h5"
    assert extension_matches(artifact) is False


def test_keras3_weights_layout_variants(tmp_path: Path) -> None:
    path = tmp_path / "model_00001.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("_layer_checkpoint_dependencies/dense/vars/0", data=np.zeros((3, 2)))
        f.create_dataset("_layer_checkpoint_dependencies/dense/vars/1", data=np.zeros((2,)))
        bf16 = f.create_dataset("layers/emb/vars/0", data=np.zeros((5, 2), "u2"))
        bf16.attrs["dtype"] = "bfloat16"
        f.create_dataset("optimizer/vars/0", data=np.int64(3))
        f.create_group("vars")
    artifact = _only(path)
    details = artifact.details
    assert artifact.format == "keras-v3-weights" and not artifact.errors
    assert details["layers"] == [
        {"path": "_layer_checkpoint_dependencies/dense", "variables": 2},
        {"path": "layers/emb", "variables": 1},
    ]
    assert details["legacy_layer_key"] is True
    assert details["optimizer"] is True and details["optimizer_variable_count"] == 1
    assert details["dtypes"] == ["bfloat16", "float64", "int64"]
    assert details["weight_bytes"] == (6 + 2) * 8 + 10 * 2 + 8
    assert details["sharded_part"] is True and details["named_weights_h5"] is True
    assert artifact.producer == {}


def test_keras3_weights_under_another_name_are_flagged(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.zeros((3, 2), "f4"))
    artifact = _only(path)
    assert artifact.format == "keras-v3-weights"
    assert extension_matches(artifact) is False
    assert any(".weights.h5" in e for e in artifact.reading.evidence)


def _write_sharded(folder: Path, list_values: bool = True) -> None:
    """The layout Keras 3.15's save_weights("model.weights.json", max_shard_size=...) wrote for
    a Dense model (checked with the TF 2.21 venv): shards hold `<path>/vars` groups with a `name`
    attribute, and the optimizer's variables span several shards. Keras 3 releases before that
    mapped each group to a single shard name instead of a list (`list_values=False`)."""
    shards: dict[str, dict[str, dict[str, tuple[int, ...]]]] = {
        "model_00000.weights.h5": {
            "vars": {},
            "layers/dense/vars": {"0": (8, 64), "1": (64,)},
            "optimizer/vars": {"0": (), "1": ()},
        },
        "model_00001.weights.h5": {
            "optimizer/vars": {"2": (8, 64), "3": (8, 64), "4": (64,), "5": (64,)},
        },
    }
    weight_map: dict[str, Any] = {}
    for shard, groups in shards.items():
        with h5py.File(folder / shard, "w") as f:
            for group, datasets in groups.items():
                g = f.create_group(group)
                g.attrs["name"] = group.split("/")[-2] if group != "vars" else "sequential"
                for name, shape in datasets.items():
                    g.create_dataset(name, data=np.zeros(shape, "f4"))
                if list_values:
                    weight_map.setdefault(f"/{group}", []).append(shard)
                else:
                    weight_map.setdefault(f"/{group}", shard)
    config = {"metadata": {"total_size": 12345.0}, "weight_map": weight_map}
    (folder / "model.weights.json").write_text(json.dumps(config, indent=4))


@pytest.mark.parametrize("list_values", [True, False])
def test_keras3_sharded_weights_are_one_artifact(tmp_path: Path, list_values: bool) -> None:
    _write_sharded(tmp_path, list_values)
    (tmp_path / "notes.json").write_text('{"weight_map": "not a sharding config"}')
    report = audit([tmp_path])
    assert [a.path for a in report.artifacts] == ["model.weights.json"]
    artifact = report.artifacts[0]
    assert artifact.files == (
        "model.weights.json",
        "model_00000.weights.h5",
        "model_00001.weights.h5",
    )
    details = artifact.details
    assert artifact.format == "keras-v3-weights" and not artifact.errors
    assert details["sharded"] is True and details["total_size"] == 12345.0
    assert details["layers"] == [{"path": "layers/dense", "variables": 2, "name": "dense"}]
    assert details["optimizer_variable_count"] == 6
    names = [v["name"] for v in artifact.reading.raw["variables"]["optimizer"]]
    assert names == ["0", "1", "2", "3", "4", "5"]
    assert details["weight_bytes"] == 4 * (8 * 64 + 64 + 2 + 2 * 8 * 64 + 2 * 64)


def test_a_shard_audited_alone_brings_its_group(tmp_path: Path) -> None:
    _write_sharded(tmp_path)
    artifact = _only(tmp_path / "model_00001.weights.h5")
    assert artifact.format == "keras-v3-weights" and artifact.details["sharded"] is True


def test_missing_shard_is_reported(tmp_path: Path) -> None:
    _write_sharded(tmp_path)
    (tmp_path / "model_00001.weights.h5").unlink()
    artifact = _only(tmp_path)
    assert artifact.format == "keras-v3-weights"
    assert artifact.details["missing_shards"] == ["model_00001.weights.h5"]
    assert "1 shard file(s) named in weight_map are missing" in _one_line_error(artifact)


def test_damaged_files_give_errors_never_crashes(tmp_path: Path) -> None:
    """Bytes overwritten at random (seeded) in the metadata of corpus files: every outcome is a
    reading or one ArtifactError line, never another exception. Only the first 2 KB change (the
    superblock, object headers and group tables): libhdf5 2.0 itself loops forever on some
    damaged global heap collections (where variable-length strings live), which no reader can
    interrupt from Python."""
    rng = np.random.RandomState(5)
    sources = [
        CORPUS / "legacy" / n for n in ("k122_theano_merge_weights.h5", "k208_theano_cnn.h5")
    ]
    outcomes = set()
    for i in range(80):
        data = bytearray(sources[i % 2].read_bytes())
        for _ in range(1 + i % 8):
            data[rng.randint(8, 2048)] = rng.randint(256)
        path = tmp_path / f"damaged{i}.h5"
        path.write_bytes(bytes(data))
        try:
            outcomes.add(hdf5.read(Candidate(path, ".", "hdf5", (path.name,))).format)
        except ArtifactError as exc:
            assert "\n" not in str(exc)
            outcomes.add("error")
    assert "error" in outcomes and outcomes & {"keras-h5", "keras-h5-weights"}
