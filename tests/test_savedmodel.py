"""SavedModel reader: real SavedModels of every era, broken copies of them, and the legacy corpus.

Expectations come from each artifact's own bytes as the MANIFEST's `evidence` describes them
(MetaInfoDef.tensorflow_version, tags, signatures, keras_metadata.pb, object graph, file layout).
The broken cases are made in tmp_path from real files; the sources are never modified.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import os
import shutil
import struct
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from corpus import legacy_savedmodel as gen
from migrator.audit import audit
from migrator.formats import graphdef, protos, savedmodel, sstable
from migrator.model import Artifact, Candidate, Report
from tests.conftest import REPO, realworld_entry

CORPUS = REPO / "corpus"


def one(path: Path, rel: str | None = None) -> Artifact:
    """The artifact at `rel` (or the only artifact) of auditing `path`."""
    report = audit([path])
    if rel is None:
        assert len(report.artifacts) == 1, [a.path for a in report.artifacts]
        return report.artifacts[0]
    found = {a.path: a for a in report.artifacts}
    assert rel in found, sorted(found)
    return found[rel]


def tree_digest(root: Path) -> dict[str, tuple[int, str]]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            out[path.relative_to(root).as_posix()] = (
                stat.st_mtime_ns,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return out


def sig_names(artifact: Artifact, index: int = 0) -> list[str]:
    return sorted(artifact.details["meta_graphs"][index]["signatures"])


# --- real SavedModels -----------------------------------------------------------------------------

HP2_SIGS = [
    "classify_x_to_y",
    "regress_x2_to_y3",
    "regress_x_to_y",
    "regress_x_to_y2",
    "serving_default",
]


def test_tf1_serving_savedmodel_tf114() -> None:
    root = realworld_entry("serving_hp2_cpu_tf114")
    a = one(root)
    assert a.path == "saved_model_half_plus_two_cpu/00000123"
    assert a.format == "saved-model"
    assert dict(a.producer) == {"tensorflow_version": "1.14.0"}
    d = a.details
    assert d["era"] == "tf1" and d["keras"] is False and d["keras_source"] is None
    assert d["encoding"] == "binary" and d["schema_version"] == 1
    (mg,) = d["meta_graphs"]
    assert mg["tags"] == ["serve"] and mg["object_graph"] is False
    assert mg["tensorflow_git_version"] == "unknown"
    assert sig_names(a) == HP2_SIGS
    assert {"asset_filepaths", "saved_model_main_op"} <= set(mg["collections"])
    assert mg["asset_files"] == ["foo.txt"] and d["assets"] == ["foo.txt"]
    assert mg["saver"] == {"version": "V2", "sharded": True}
    assert {"VariableV2", "SaveV2", "RestoreV2", "ParseExample"} <= set(mg["op_types"])
    assert d["variables"]["index"] and d["variables"]["missing"] == []
    assert d["variables"]["data_shards_expected"] == d["variables"]["data_shards_present"] == 1
    assert d["variables"]["bytes"] == 20 + 172
    assert d["layout"]["kind"] == "serving-version" and d["layout"]["version"] == 123
    assert d["fingerprint"] is None and d["keras_metadata"] is None
    assert a.errors == ()
    predict = mg["signatures"]["serving_default"]
    assert predict["method_name"] == "tensorflow/serving/predict"
    assert predict["inputs"] == {"x": {"name": "x:0", "dtype": "DT_FLOAT", "shape": [-1, 1]}}
    classify = mg["signatures"]["classify_x_to_y"]
    assert classify["inputs"]["inputs"] == {
        "name": "tf_example:0",
        "dtype": "DT_STRING",
        "shape": None,
    }


def test_serving_model_base_with_two_versions() -> None:
    root = realworld_entry("serving_hp2_2versions_tf11")
    report = audit([root])
    paths = [a.path for a in report.artifacts]
    base = "saved_model_half_plus_two_2_versions"
    assert paths == [f"{base}/00000123", f"{base}/00000124"]
    for a, version in zip(report.artifacts, (123, 124), strict=True):
        assert a.format == "saved-model" and a.errors == ()
        assert dict(a.producer) == {"tensorflow_version": "1.1.0-rc2"}
        assert a.details["layout"]["version"] == version
        assert a.details["layout"]["versions_in_base"] == [123, 124]
        assert a.details["layout"]["model_base"] == base


@pytest.mark.parametrize(
    ("entry", "version", "extra"),
    [
        ("serving_hp2_gpu_tf19", "1.9.0", []),
        ("serving_hp2_mlmd_tf21", "2.1.0", ["mlmd_uuid"]),
        ("serving_hp2_trt_tf22", "2.2.0", []),
        ("serving_hp2_cfg_tf24", "2.4.0", ["saved_model_config.pb"]),
    ],
)
def test_graph_mode_savedmodels_written_by_tf1_and_tf2(
    entry: str, version: str, extra: list[str]
) -> None:
    a = one(realworld_entry(entry))
    assert a.format == "saved-model" and a.errors == ()
    assert dict(a.producer) == {"tensorflow_version": version}
    assert a.details["era"] == "tf1"  # written by TF 2.x too, but no object graph
    assert a.details["assets_extra"] == extra
    assert "serving_default" in sig_names(a)


def test_missing_asset_is_reported_but_not_an_error() -> None:
    # The graph lists foo.txt (saved_model_assets) but this copy has no assets/ folder.
    # TensorFlow 2.21 loads and runs it (checked once with tf.compat.v1.saved_model.load).
    a = one(realworld_entry("serving_hp2_cfg_tf24"))
    assert a.details["meta_graphs"][0]["asset_files"] == ["foo.txt"]
    assert a.details["missing_assets"] == ["foo.txt"]
    assert a.errors == ()
    assert any("foo.txt" in e for e in a.reading.evidence)


def test_tf2_savedmodel_with_fingerprint() -> None:
    a = one(realworld_entry("serving_hp2_tf2_tf214"))
    assert dict(a.producer) == {"tensorflow_version": "2.14.0"}
    assert a.details["era"] == "tf2" and a.details["keras"] is False
    assert a.details["meta_graphs"][0]["object_graph"] is True
    assert "__saved_model_init_op" in sig_names(a)
    fp = a.details["fingerprint"]
    assert fp is not None and fp["saved_model_checksum"] > 0 and fp["version"] == 1
    assert "_generic_user_object" in a.details["object_graph_identifiers"]
    assert a.errors == ()


def test_savedmodel_without_variables_folder_and_without_variables() -> None:
    # matrix_half_plus_two: Placeholder/Const/Mul/Add only; TF loads it with no variables/.
    a = one(realworld_entry("serving_matrix_hp2_tf12"))
    assert a.path == "matrix_half_plus_two/1"
    assert dict(a.producer) == {"tensorflow_version": "1.2.0-rc2"}
    variables = a.details["variables"]
    assert variables["index"] is False and variables["needed"] is False
    assert variables["missing"] == []
    assert a.errors == ()
    assert a.details["meta_graphs"][0]["saver"] is None


@pytest.mark.parametrize(
    ("entry", "rel", "version", "fingerprint"),
    [
        ("mnist0x7a_tf210_keras_savedmodel", ".", "2.10.0", False),
        (
            "tetrisdqn_tf212_keras_sm_fingerprint",
            "agent_no_conv_big_delta_state+1000",
            "2.12.0",
            True,
        ),
        ("houserent_tf215_keras_sm_spacedpath", "archive (4)", "2.15.0", True),
        ("malmodelscan_lambda_keras_sm_tf215", "lambda_savedmodel", "2.15.0", True),
    ],
)
def test_keras_savedmodels_with_keras_metadata(
    entry: str, rel: str, version: str, fingerprint: bool
) -> None:
    a = one(realworld_entry(entry), rel)
    assert a.format == "saved-model" and a.errors == ()
    assert dict(a.producer) == {
        "tensorflow_version": version,
        "keras_version": version,
        "backend": "tensorflow",
    }
    d = a.details
    assert d["era"] == "tf2" and d["keras"] is True and d["keras_source"] == "keras_metadata.pb"
    assert (d["fingerprint"] is not None) is fingerprint
    assert sig_names(a) == ["__saved_model_init_op", "serving_default"]
    km = d["keras_metadata"]
    assert km["identifier"] == "_tf_keras_sequential" and km["keras_version"] == version
    assert km["summary"]["model_class"] == "Sequential" and km["layer_count"] > 0
    assert a.reading.raw["keras_config"]["class_name"] == "Sequential"
    assert "_tf_keras_sequential" in d["object_graph_identifiers"]


def test_lambda_layer_is_visible_to_rules() -> None:
    a = one(realworld_entry("malmodelscan_lambda_keras_sm_tf215"), "lambda_savedmodel")
    assert a.details["keras_metadata"]["summary"]["lambda_layers"]
    layers = json.dumps(a.reading.raw["keras_config"])
    assert '"Lambda"' in layers and "exploit" in layers


def test_tf23_keras_savedmodel_keeps_keras_metadata_in_the_object_graph() -> None:
    a = one(realworld_entry("tfx_keras_sm_tf231_nometadata"))
    assert dict(a.producer) == {
        "tensorflow_version": "2.3.1",
        "keras_version": "2.4.0",
        "backend": "tensorflow",
    }
    d = a.details
    assert d["keras"] is True and d["keras_source"] == "object_graph"
    assert d["keras_metadata"]["identifier"] == "_tf_keras_network"
    assert d["keras_metadata"]["summary"]["model_class"] == "Functional"
    assert d["keras_metadata"]["layer_count"] == 9
    assert d["fingerprint"] is None and a.errors == ()


def test_savedmodel_in_a_folder_named_checkpoint() -> None:
    root = realworld_entry("tfjs_graph_model_from_tf231_sm")
    a = one(root, "checkpoint")
    assert a.format == "saved-model" and a.errors == ()
    assert a.producer["tensorflow_version"] == "2.3.1"
    # The root object is a subclassed Keras model saved without get_config(): Keras-made,
    # with its versions recorded, but no config to summarise.
    assert a.producer["keras_version"] == "2.4.0"
    assert a.details["keras_source"] == "object_graph"
    assert a.details["keras_metadata"]["identifier"] == "_tf_keras_model"
    assert a.details["keras_metadata"]["layer_count"] is None


def test_estimator_timestamped_export() -> None:
    root = realworld_entry("tfx_estimator_export_ts_tf29")
    a = one(root)
    assert a.path == "export/chicago-taxi/1646034756"
    assert dict(a.producer) == {"tensorflow_version": "2.9.0-dev20220227"}
    assert a.details["era"] == "tf1" and a.errors == ()
    assert sig_names(a) == ["classification", "predict", "regression", "serving_default"]
    layout = a.details["layout"]
    assert layout["kind"] == "timestamped-export"
    assert layout["timestamp"] == "2022-02-28T07:52:36Z"
    assert layout["model_base"] == "export/chicago-taxi"
    assert len(a.details["assets"]) == 2
    assert a.details["meta_graphs"][0]["asset_files"] == a.details["assets"]


def test_custom_tag_transform_graph() -> None:
    a = one(realworld_entry("tfx_transform_fn_tag_transform_tf215"))
    assert a.details["meta_graphs"][0]["tags"] == ["transform"]
    assert sig_names(a) == ["transform_signature"]
    assert dict(a.producer) == {"tensorflow_version": "2.15.1"}


def test_contrib_keras_export_multi_metagraph_with_missing_data_shard() -> None:
    a = one(realworld_entry("jba_tf20a0_export_saved_model_multimeta"))
    assert a.path == "1554322901"
    assert dict(a.producer) == {
        "tensorflow_version": "2.0.0-alpha0",
        "keras_version": "2.2.4-tf",
        "backend": "tensorflow",
    }
    d = a.details
    assert [m["tags"] for m in d["meta_graphs"]] == [["train"], ["eval"], ["serve"]]
    assert d["keras"] is True and d["keras_source"] == "assets/saved_model.json"
    assert d["era"] == "tf1"
    assert d["keras_metadata"]["summary"]["model_class"] == "Sequential"
    assert d["variables"]["other_files"] == ["checkpoint"]
    assert d["variables"]["missing"] == ["variables/variables.data-00000-of-00001"]
    assert d["layout"]["kind"] == "timestamped-export"
    (error,) = a.errors
    assert "variables.data-00000-of-00001" in error and "cannot be" in error
    train = d["meta_graphs"][0]["signatures"]["train"]
    assert train["method_name"] == "tensorflow/supervised/training"
    assert train["outputs"]["metrics/accuracy/update_op"]["shape"] == [0]


def test_text_savedmodel_from_tf12_estimator() -> None:
    a = one(realworld_entry("petar_tf12_estimator_pbtxt"))
    assert a.format == "saved-model"
    assert dict(a.producer) == {"tensorflow_version": "1.2.0"}
    d = a.details
    assert d["encoding"] == "text" and d["proto_file"] == "saved_model.pbtxt"
    (mg,) = d["meta_graphs"]
    assert mg["tensorflow_git_version"] == "v1.2.0-rc2-21-g12f033d"
    assert {"dnn", "global_step", "input_feature_keys", "legacy_init_op"} <= set(mg["collections"])
    methods = {s["method_name"] for s in mg["signatures"].values()}
    assert methods == {"tensorflow/serving/classify"}
    assert len(mg["signatures"]) == 2
    (error,) = a.errors
    assert "variables/" in error and "cannot be restored" in error


def test_missing_variables_folder_is_an_error() -> None:
    a = one(realworld_entry("houserent_tf215_sm_root_novars"))
    assert a.format == "saved-model"
    assert a.producer["tensorflow_version"] == "2.15.0"
    assert a.details["variables"]["missing"] == ["variables/"]
    (error,) = a.errors
    assert "variables/ folder is missing" in error and "original export" in error


def test_mangled_keras_savedmodel_names_the_renamed_proto() -> None:
    a = one(realworld_entry("mnist0x7a_broken_renamed_savedmodel"))
    assert a.path == "model1" and a.format == "saved-model"
    assert a.details["proto_file"] == "model1.pb"
    assert a.details["other_files"] == ["model1.py"]
    errors = "\n".join(a.errors)
    assert "saved_model.pb is missing; model1.pb holds a SavedModel proto" in errors
    assert "rename it to saved_model.pb" in errors
    assert "variables/ folder is missing" in errors
    # keras_metadata.pb was re-encoded as UTF-8 text: corrupt, but its root JSON still says
    # which Keras wrote it.
    assert "keras_metadata.pb is corrupt" in errors and "re-encoded as text" in errors
    assert dict(a.producer) == {
        "tensorflow_version": "2.10.0",
        "keras_version": "2.10.0",
        "backend": "tensorflow",
    }


def test_label_map_named_saved_model_pbtxt_is_not_a_model() -> None:
    a = one(realworld_entry("uvex_decoy_labelmap_named_saved_model_pbtxt"))
    assert a.format == "unknown"
    (error,) = a.errors
    assert error.startswith("saved_model.pbtxt is not a SavedModel text proto")
    assert "label map" in error


def test_tensorabuse_io_ops_and_paths_reach_the_rules() -> None:
    a = one(realworld_entry("malmodelscan_tensorabuse_readfile_sm"))
    assert a.details["era"] == "tf2" and a.errors == ()
    assert sig_names(a) == ["__saved_model_init_op"]
    assert a.details["other_files"] == ["saved_model.json"]
    ops = a.reading.raw["ops"]
    for op in (
        "MatchingFiles",
        "Save",
        "DistributedSave",
        "FixedLengthRecordDatasetV2",
        "DebugIdentityV3",
    ):
        assert op in ops, op
        assert all(loc.startswith("function:") for loc in ops[op])
    strings = {s for values in a.reading.raw["string_attrs"].values() for s in values}
    assert "/etc/passwd" in strings and "/home/*/.ssh" in strings


def test_signatures_match_saved_model_cli_shapes() -> None:
    # `saved_model_cli show --all` (TF 2.21) prints this for the jba export's eval signature.
    from migrator.report.inspect import saved_model_cli_text

    a = one(realworld_entry("jba_tf20a0_export_saved_model_multimeta"))
    text = "\n".join(saved_model_cli_text(a.details["meta_graphs"]))
    assert (
        text.index("tag-set: 'eval'")
        < text.index("tag-set: 'serve'")
        < text.index("tag-set: 'train'")
    )
    assert "        shape: (0)\n        name: metric_op_wrapper:0" in text
    assert "        dtype: DT_INVALID\n        shape: unknown_rank\n        name: init_1" in text


def test_auditing_never_modifies_the_source() -> None:
    roots = [
        realworld_entry(e)
        for e in (
            "mnist0x7a_broken_renamed_savedmodel",
            "jba_tf20a0_export_saved_model_multimeta",
            "petar_tf12_estimator_pbtxt",
            "serving_hp2_cpu_tf114",
        )
    ]
    before = [tree_digest(r) for r in roots]
    for root in roots:
        audit([root])
    assert [tree_digest(r) for r in roots] == before


# --- broken copies --------------------------------------------------------------------------------


@pytest.fixture
def hp2(tmp_path: Path) -> Path:
    """A private copy of the TF 1.14 half_plus_two SavedModel."""
    src = realworld_entry("serving_hp2_cpu_tf114") / "saved_model_half_plus_two_cpu" / "00000123"
    dst = tmp_path / "model"
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.5, 0.9, 0.999])
def test_truncated_saved_model_pb(hp2: Path, fraction: float) -> None:
    pb = hp2 / "saved_model.pb"
    data = pb.read_bytes()
    pb.write_bytes(data[: int(len(data) * fraction)])
    a = one(hp2)
    assert a.format == "saved-model"
    (error,) = a.errors
    assert error.startswith("saved_model.pb is truncated or corrupt")
    assert "re-export" in error


def test_corrupt_bytes_inside_saved_model_pb(hp2: Path) -> None:
    pb = hp2 / "saved_model.pb"
    data = bytearray(pb.read_bytes())
    data[8:12] = b"\xff\xff\xff\xff"  # a length varint that never ends inside the file
    pb.write_bytes(bytes(data))
    a = one(hp2)
    assert a.format == "saved-model"
    (error,) = a.errors
    assert "truncated or corrupt" in error


def test_empty_and_garbage_saved_model_pb(hp2: Path) -> None:
    pb = hp2 / "saved_model.pb"
    pb.write_bytes(b"")
    a = one(hp2)
    assert a.format == "saved-model"
    (error,) = a.errors
    assert error.startswith("saved_model.pb is empty (0 bytes)")
    pb.write_bytes(b"PK\x03\x04 this is a zip, not a SavedModel" * 4)
    a = one(hp2)
    assert a.format == "unknown"
    (error,) = a.errors
    assert error.startswith("saved_model.pb is not a SavedModel proto")


def test_graphdef_saved_as_saved_model_pb(hp2: Path) -> None:
    frozen = realworld_entry("jonykai_frozen_graphdef") / "frozen_model.pb"
    shutil.copy(frozen, hp2 / "saved_model.pb")
    a = one(hp2)
    assert a.format == "graph-def"
    assert a.details["frozen"] is True and a.details["node_count"] == 269
    (error,) = a.errors
    assert "saved_model.pb holds a GraphDef" in error and "not a SavedModel" in error


def test_zero_meta_graphs(hp2: Path) -> None:
    (hp2 / "saved_model.pb").write_bytes(
        protos.message_class("SavedModel")(saved_model_schema_version=1).SerializeToString()
    )
    a = one(hp2)
    assert a.format == "saved-model"
    assert a.details["meta_graphs"] == []
    assert any("holds no MetaGraphs" in e for e in a.errors)


def test_missing_index(hp2: Path) -> None:
    (hp2 / "variables" / "variables.index").unlink()
    a = one(hp2)
    assert a.details["variables"]["missing"] == ["variables/variables.index"]
    (error,) = a.errors
    assert "variables/variables.index" in error and "cannot be loaded" in error


def test_missing_data_shard(hp2: Path) -> None:
    (hp2 / "variables" / "variables.data-00000-of-00001").unlink()
    a = one(hp2)
    assert a.details["variables"]["data_shards_present"] == 0
    (error,) = a.errors
    assert error.startswith("variables/variables.data-00000-of-00001 missing")


def test_corrupt_index(hp2: Path) -> None:
    index = hp2 / "variables" / "variables.index"
    index.write_bytes(index.read_bytes()[:-20])
    a = one(hp2)
    assert a.format == "saved-model"
    assert any(e.startswith("variables/variables.index is unreadable") for e in a.errors)


def test_sharded_variables_from_the_bundle_header(tmp_path: Path, hp2: Path) -> None:
    tensors = [gen.BundleTensor(f"v{i}", gen.DT_FLOAT, (), [float(i)], i % 3) for i in range(6)]
    shutil.rmtree(hp2 / "variables")
    gen.write_bundle(hp2 / "variables" / "variables", tensors, num_shards=3)
    a = one(hp2)
    assert a.details["variables"]["data_shards_expected"] == 3
    assert a.details["variables"]["data_shards_present"] == 3 and a.errors == ()
    (hp2 / "variables" / "variables.data-00001-of-00003").unlink()
    a = one(hp2)
    assert a.details["variables"]["missing"] == ["variables/variables.data-00001-of-00003"]
    assert len(a.errors) == 1


def test_corrupt_keras_metadata(tmp_path: Path) -> None:
    src = realworld_entry("tetrisdqn_tf212_keras_sm_fingerprint")
    model = tmp_path / "m"
    shutil.copytree(src / "agent_no_conv_big_delta_state+1000", model)
    (model / "keras_metadata.pb").write_bytes(b"\x0a\xff\xff\xff\x0f garbage")
    a = one(model)
    assert a.format == "saved-model"
    (error,) = a.errors
    assert error.startswith("keras_metadata.pb is corrupt")
    # The object graph still says Keras; the versions were only in keras_metadata.pb.
    assert a.details["keras_source"] == "object_graph"
    assert dict(a.producer) == {"tensorflow_version": "2.12.0"}


def test_truncated_text_savedmodel(tmp_path: Path) -> None:
    src = realworld_entry("petar_tf12_estimator_pbtxt") / "saved_model.pbtxt"
    model = tmp_path / "m"
    model.mkdir()
    text = src.read_text()
    (model / "saved_model.pbtxt").write_text(text[: len(text) // 2])
    a = one(model)
    assert a.format == "saved-model"
    (error,) = a.errors
    assert error.startswith("saved_model.pbtxt is a SavedModel text proto that does not parse")


def test_loose_savedmodel_proto_and_direct_file_argument(tmp_path: Path, hp2: Path) -> None:
    loose = tmp_path / "exports"
    loose.mkdir()
    shutil.copy(hp2 / "saved_model.pb", loose / "half_plus_two.pb")
    a = one(loose)
    assert a.path == "half_plus_two.pb" and a.format == "saved-model"
    assert a.producer["tensorflow_version"] == "1.14.0"
    (error,) = a.errors
    assert "outside a SavedModel folder" in error and "saved_model.pb" in error
    # Given saved_model.pb itself, the folder around it is read as the SavedModel.
    b = one(hp2 / "saved_model.pb")
    assert b.format == "saved-model" and b.errors == ()
    assert b.details["variables"]["index"] is True


def test_chunked_savedmodel_is_reported(tmp_path: Path) -> None:
    model = tmp_path / "big"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.cpb").write_bytes(b"\x00" * 32)
    a = one(model)
    assert a.format == "saved-model"
    (error,) = a.errors
    assert "saved_model.cpb is a chunked SavedModel" in error


# --- cost: weights are never read ------------------------------------------------------------------


def test_large_variables_data_is_never_opened(monkeypatch: pytest.MonkeyPatch, hp2: Path) -> None:
    data = hp2 / "variables" / "variables.data-00000-of-00001"
    with open(data, "r+b") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)) and ".data-" in os.fspath(file):
            raise AssertionError(f"weight data opened: {file}")
        return real_open(file, *args, **kwargs)

    def guarded_os_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if ".data-" in os.fspath(path):
            raise AssertionError(f"weight data opened: {path}")
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    a = one(hp2)
    assert a.format == "saved-model" and a.errors == ()
    assert a.details["variables"]["bytes"] == 200 * 1024 * 1024 + 172


def _big_const_savedmodel(folder: Path, megabytes: int) -> None:
    """A TF1 SavedModel whose graph holds a `megabytes` MB float constant (a frozen layer)."""
    g = gen.Graph(27)
    x = g.placeholder("x", gen.DT_FLOAT, (-1, 1024))
    count = megabytes * 1024 * 1024 // 4
    value = protos.message_class("TensorProto")(
        dtype=gen.DT_FLOAT,
        tensor_shape=gen.shape_proto((1024, count // 1024)),
        tensor_content=b"\x00" * (count * 4),
    )
    g.node(
        "w",
        "Const",
        dtype=gen.a_type(gen.DT_FLOAT),
        value=protos.message_class("AttrValue")(tensor=value),
    )
    g.matmul("y", x, "w", (-1, count // 1024))
    sig = gen.signature(
        gen.PREDICT,
        {"x": gen.tensor_info("x:0", gen.DT_FLOAT, (-1, 1024))},
        {"y": gen.tensor_info("y:0", gen.DT_FLOAT, (-1, count // 1024))},
    )
    mg = protos.message_class("MetaGraphDef")()
    mg.meta_info_def.tags.append("serve")
    mg.meta_info_def.tensorflow_version = "1.15.0"
    mg.graph_def.CopyFrom(g.graph)
    mg.signature_def["serving_default"].CopyFrom(sig)
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(gen.saved_model_bytes(mg))


def test_big_constants_in_saved_model_pb_are_not_copied(tmp_path: Path) -> None:
    _big_const_savedmodel(tmp_path / "big", 64)
    assert (tmp_path / "big" / "saved_model.pb").stat().st_size > 64 * 1024 * 1024
    tracemalloc.start()
    try:
        reading = savedmodel.read(Candidate(tmp_path / "big", ".", "savedmodel"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reading.errors == ()
    (mg,) = reading.details["meta_graphs"]
    assert mg["op_types"] == ["Const", "MatMul", "Placeholder"]
    assert reading.raw["ops"]["Const"] == ["graph:w"]
    assert peak < 8 * 1024 * 1024, peak  # the 64 MB tensor never became a Python object


# --- the legacy corpus ------------------------------------------------------------------------------

GOLDEN = (
    "tf115_savedmodel",
    "serving_base_v1",
    "serving_base_v2",
    "estimator_tf18",
    "contrib_keras_tf113",
    "tf14_text_savedmodel",
)


def _subset_problems(expected: Any, actual: Any, where: str) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += _subset_problems(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: {expected!r} != {actual!r}"]
        return [
            p
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for p in _subset_problems(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: {expected!r} != {actual!r}"]


@pytest.fixture(scope="module")
def corpus_report(corpus_reading: Report) -> dict[str, Any]:
    """The session's one audit of `corpus/` (tests/conftest.py), as the JSON report has it."""
    return {a["path"]: a for a in corpus_reading.to_json()["artifacts"]}


@pytest.mark.parametrize("name", GOLDEN)
def test_corpus_golden(name: str, corpus_report: dict[str, Any]) -> None:
    golden = json.loads((CORPUS / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    artifact = corpus_report.get(golden["path"])
    assert artifact is not None, golden["path"]
    expected = {k: v for k, v in golden.items() if k != "path"}
    assert _subset_problems(expected, artifact, name) == []


def test_corpus_is_reproducible(tmp_path: Path) -> None:
    gen.build_all(tmp_path)
    for name in gen.OWNED:
        fresh, committed = tmp_path / "legacy" / name, CORPUS / "legacy" / name
        assert {p: h for p, (_, h) in tree_digest(fresh).items()} == {
            p: h for p, (_, h) in tree_digest(committed).items()
        }, name
    for name in GOLDEN:
        assert (tmp_path / "expected" / f"{name}.json").read_bytes() == (
            CORPUS / "expected" / f"{name}.json"
        ).read_bytes()


def _table(path: Path) -> tuple[sstable.Table, list[tuple[bytes, bytes]]]:
    with open(path, "rb") as fh:
        table = sstable.Table(fh)
        return table, list(table.items())


def _check_bundle(prefix: Path) -> list[tuple[str, Any]]:
    """Every entry of a bundle, with its CRC checked against its data the way TF checks it."""
    table, items = _table(prefix.with_name(prefix.name + ".index"))
    assert items[0][0] == b""
    header = protos.parse("BundleHeaderProto", items[0][1])
    shards = [
        prefix.with_name(f"{prefix.name}.data-{i:05d}-of-{header.num_shards:05d}").read_bytes()
        for i in range(header.num_shards)
    ]
    out = []
    for key, value in items[1:]:
        entry = protos.parse("BundleEntryProto", value)
        data = shards[entry.shard_id][entry.offset : entry.offset + entry.size]
        if entry.dtype == gen.DT_STRING:
            length, pos = graphdef.read_varint(data, 0, len(data))
            assert struct.unpack("<I", data[pos : pos + 4])[0] == sstable.mask_crc(
                sstable.crc32c(struct.pack("<I", length))
            )
            check = struct.pack("<I", length) + data[pos:]
        else:
            check = data
        assert sstable.mask_crc(sstable.crc32c(check)) == entry.crc32c, key
        out.append((key.decode(), entry))
    assert table.index[0][0] == gen._shortest_successor(items[-1][0])
    return out


def test_generated_bundles_follow_the_real_format() -> None:
    # The same checks pass on bundles TensorFlow wrote and on ours.
    real_tf1 = realworld_entry("serving_hp2_cpu_tf114")
    real_obj = realworld_entry("tfjs_graph_model_from_tf231_sm")
    for prefix in (
        real_tf1 / "saved_model_half_plus_two_cpu/00000123/variables/variables",
        real_obj / "checkpoint/variables/variables",
        CORPUS / "legacy/tf115_savedmodel/variables/variables",
        CORPUS / "legacy/contrib_keras_tf113/1554322901/variables/variables",
    ):
        assert _check_bundle(prefix)
    real_header = _table(
        real_tf1 / "saved_model_half_plus_two_cpu/00000123/variables/variables.index"
    )[1][0]
    ours_header = _table(CORPUS / "legacy/tf115_savedmodel/variables/variables.index")[1][0]
    assert ours_header == real_header  # num_shards 1, version {producer 1}


def _saved_model(path: Path) -> Any:
    return protos.parse("SavedModel", path.read_bytes())


def test_generated_tf1_savedmodel_has_the_structure_of_tf_servings() -> None:
    real = _saved_model(
        realworld_entry("serving_hp2_cpu_tf114")
        / "saved_model_half_plus_two_cpu/00000123/saved_model.pb"
    ).meta_graphs[0]
    ours = _saved_model(CORPUS / "legacy/tf115_savedmodel/saved_model.pb").meta_graphs[0]
    for field_name in (
        "filename_tensor_name",
        "save_tensor_name",
        "restore_op_name",
        "max_to_keep",
        "sharded",
        "keep_checkpoint_every_n_hours",
        "version",
    ):
        assert getattr(ours.saver_def, field_name) == getattr(real.saver_def, field_name)
    # A trainable variable's VariableDef sets the same fields as TF's (global_step, not
    # trainable, leaves `trainable` unset in both).
    real_def = protos.parse(
        "VariableDef", real.collection_def["trainable_variables"].bytes_list.value[0]
    )
    our_def = protos.parse(
        "VariableDef", ours.collection_def["trainable_variables"].bytes_list.value[0]
    )
    assert [f.name for f, _ in our_def.ListFields()] == [f.name for f, _ in real_def.ListFields()]
    assert our_def.snapshot_name == our_def.variable_name.replace(":0", "/read:0")
    assert list(ours.collection_def["saved_model_main_op"].node_list.value) == ["group_deps"]

    def save_ops(mg: Any) -> list[str]:
        return sorted({n.op for n in mg.graph_def.node if n.name.startswith("save/")})

    assert save_ops(ours) == save_ops(real)
    real_sig, our_sig = real.signature_def["serving_default"], ours.signature_def["predict"]
    assert our_sig.method_name == real_sig.method_name


def test_generated_contrib_export_has_the_structure_of_a_real_one() -> None:
    real_dir = realworld_entry("jba_tf20a0_export_saved_model_multimeta") / "1554322901"
    ours_dir = CORPUS / "legacy/contrib_keras_tf113/1554322901"
    real, ours = (
        _saved_model(real_dir / "saved_model.pb"),
        _saved_model(ours_dir / "saved_model.pb"),
    )
    assert [list(m.meta_info_def.tags) for m in ours.meta_graphs] == [
        list(m.meta_info_def.tags) for m in real.meta_graphs
    ]

    def methods(sm: Any) -> list[set[str]]:
        return [
            {s.method_name for k, s in m.signature_def.items() if not k.startswith("__")}
            for m in sm.meta_graphs
        ]

    assert methods(ours) == methods(real)
    # train/eval outputs: loss, metrics/<name>/{update_op,value}, predictions/<layer>
    for real_mg, our_mg in zip(real.meta_graphs[:2], ours.meta_graphs[:2], strict=True):
        (key,) = [k for k in our_mg.signature_def if not k.startswith("__")]
        ours_out = sorted(o.split("/")[0] for o in our_mg.signature_def[key].outputs)
        real_out = sorted(o.split("/")[0] for o in real_mg.signature_def[key].outputs)
        assert ours_out == real_out == ["loss", "metrics", "metrics", "predictions"]
    assert (ours_dir / "variables/checkpoint").read_bytes() == (
        real_dir / "variables/checkpoint"
    ).read_bytes()
    real_json = json.loads((real_dir / "assets/saved_model.json").read_text())
    our_json = json.loads((ours_dir / "assets/saved_model.json").read_text())
    assert set(our_json) == set(real_json)
    assert our_json["keras_version"] == real_json["keras_version"] == "2.2.4-tf"
    keys = [k for k, _ in _check_bundle(ours_dir / "variables/variables")]
    real_keys = [k.decode() for k, _ in _table(real_dir / "variables/variables.index")[1][1:]]
    for marker in (
        ".ATTRIBUTES/VARIABLE_VALUE",
        ".ATTRIBUTES/OBJECT_CONFIG_JSON",
        "_CHECKPOINTABLE_OBJECT_GRAPH",
    ):
        assert any(marker in k for k in keys) and any(marker in k for k in real_keys)


@pytest.mark.parametrize(
    "entry",
    [
        "houserent_tf215_keras_sm_spacedpath",
        "tfx_estimator_export_ts_tf29",
        "malmodelscan_tensorabuse_readfile_sm",
        "jba_tf20a0_export_saved_model_multimeta",
    ],
)
def test_walked_and_parsed_graphs_agree(entry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big graphs are walked field by field and big nodes rebuilt by hand; forcing that path on
    real graphs must find exactly what one protobuf parse finds."""
    root = realworld_entry(entry)
    (folder,) = {p.parent for p in root.rglob("saved_model.pb")}

    def read() -> Any:
        return savedmodel.read(Candidate(folder, ".", "savedmodel"))

    parsed = read()
    monkeypatch.setattr(graphdef.walk, "NODE_RUN", 64)
    monkeypatch.setattr(graphdef.walk, "SMALL_NODE", 64)
    walked = read()
    keys = ("op_types", "node_count", "function_count", "function_node_count", "variable_nodes")
    for mine, theirs in zip(
        walked.details["meta_graphs"], parsed.details["meta_graphs"], strict=True
    ):
        assert {k: mine[k] for k in keys} == {k: theirs[k] for k in keys}
    assert walked.raw["ops"] == parsed.raw["ops"]
    assert walked.raw["string_attrs"].keys() == parsed.raw["string_attrs"].keys()


def test_members_leave_unrelated_entries_to_discovery(tmp_path: Path) -> None:
    names = frozenset(
        {
            "saved_model.pb",
            "variables/",
            "assets/",
            "model.h5",
            "archive (4)/",
            "keras_metadata.pb",
            "fingerprint.pb",
            "notes.txt",
        }
    )
    assert savedmodel.members(tmp_path, names) == {
        "saved_model.pb",
        "variables/",
        "assets/",
        "keras_metadata.pb",
        "fingerprint.pb",
    }
    root = realworld_entry("mnist0x7a_broken_renamed_savedmodel") / "model1"
    names = frozenset(os.listdir(root))
    assert savedmodel.members(root, names) == {"keras_metadata.pb", "model1.pb"}


def test_unknown_fields_a_later_tensorflow_may_add_are_skipped(hp2: Path) -> None:
    pb = hp2 / "saved_model.pb"
    pb.write_bytes(pb.read_bytes() + b"\x1a\x03abc" + b"\x20\x07")  # fields 3 (bytes), 4 (int)
    a = one(hp2)
    assert a.format == "saved-model" and a.errors == ()
    assert a.producer["tensorflow_version"] == "1.14.0"
