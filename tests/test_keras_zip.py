"""The keras-v3 reader: `.keras` zips and unzipped folders, audited from the central directory.

Real files: three real-world entries, and tiny fixtures saved by tf.keras 2.15.1 and Keras 3.15.1
(tests/fixtures/keras_zip/generate.py). What Keras 3 rejects in the tf.keras fixtures was checked
by loading them with Keras 3.15.1: "parent module keras.src.engine.functional cannot be imported",
"Unrecognized keyword arguments passed to Dense: {'batch_input_shape'...}", "... DepthwiseConv2D:
{'groups': 1}", "... LSTM: {'time_major': False}", and the npz fixture fails even in Keras 3.15.1
with "Object arrays cannot be loaded when allow_pickle=False". Everything else is built at test
time with zipfile/h5py so that each case shows one fact.
"""

from __future__ import annotations

import hashlib
import io
import json
import marshal
import pickle
import shutil
import struct
import warnings
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy
import pytest

from migrator.audit import audit
from migrator.discover import read_head
from migrator.facts import extension_matches, keras3_config_issues
from migrator.formats import keras_zip
from migrator.model import Artifact
from tests.conftest import realworld_entry

FIXTURES = Path(__file__).parent / "fixtures" / "keras_zip"


# --- helpers --------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def only_artifact(path: Path) -> Artifact:
    """Audit `path`; it must yield exactly one artifact, and the source must be left unchanged."""
    before = sha256(path) if path.is_file() else None
    report = audit([path])
    assert not report.errors, report.errors
    assert len(report.artifacts) == 1, [a.path for a in report.artifacts]
    if before is not None:
        assert sha256(path) == before
    return report.artifacts[0]


def write_zip(
    path: Path,
    members: list[tuple[str, bytes]],
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    """A zip with exactly these members in this order (duplicate names allowed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns on duplicate names
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for name, data in members:
                zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, compression)
    return path


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def metadata(version: str = "3.15.1") -> bytes:
    return dumps({"keras_version": version, "date_saved": "2024-05-01@10:00:00"})


def weights_h5(n_units: int = 3) -> bytes:
    """A small Keras 3 style weights file: layers/<name>/vars/<i> datasets."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        dense = h5.create_group("layers/dense/vars")
        dense.create_dataset("0", data=numpy.zeros((4, n_units), "float32"))
        dense.create_dataset("1", data=numpy.zeros((n_units,), "float32"))
        h5.create_group("optimizer/vars").create_dataset("0", data=numpy.zeros((), "int64"))
    return buffer.getvalue()


def npy_bytes(descr: Any, shape: tuple[int, ...], payload: bytes) -> bytes:
    """A .npy v1.0 file: magic, header length, the header dict literal, then `payload`."""
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def canary_pickle(canary: Path) -> bytes:
    """Pickle bytes that create `canary` if anything ever unpickles them (protocol 2 opcodes)."""
    text = str(canary).encode()
    return (
        b"\x80\x02cbuiltins\nopen\n"
        + b"X"
        + struct.pack("<I", len(text))
        + text
        + b"X\x01\x00\x00\x00w"
        + b"\x86R."
    )


def tf_keras_215_config() -> dict[str, Any]:
    """A functional config in tf.keras 2.15's `.keras` serialization (as its saving_lib writes)."""

    def layer(cls: str, config: dict[str, Any], module: str = "keras.layers") -> dict[str, Any]:
        return {"module": module, "class_name": cls, "config": config, "registered_name": None}

    lstm = layer("LSTM", {"name": "forward_lstm", "units": 2, "time_major": False})
    return {
        "module": "keras.src.engine.functional",
        "class_name": "Functional",
        "config": {
            "name": "model",
            "layers": [
                layer("InputLayer", {"batch_input_shape": [None, 8, 8, 3], "name": "img"}),
                layer("DepthwiseConv2D", {"name": "dw", "groups": 1, "dtype": "float32"}),
                layer(
                    "Lambda",
                    {
                        "name": "double",
                        "function": ["4wEAAAAAAAAA", None, None],
                        "function_type": "lambda",
                        "module": "__main__",
                        "output_shape_type": "raw",
                    },
                ),
                layer("Bidirectional", {"name": "bidi", "layer": lstm}),
                layer("Dense", {"name": "proj", "batch_input_shape": [None, 3], "units": 2}),
                layer(
                    "Dense",
                    {
                        "name": "head",
                        "units": 1,
                        "dtype": {
                            "module": "keras.mixed_precision",
                            "class_name": "Policy",
                            "config": {"name": "mixed_float16"},
                            "registered_name": None,
                        },
                    },
                ),
                layer("ThresholdedReLU", {"name": "thr", "theta": 1.0}),
            ],
        },
        "registered_name": "Functional",
        "compile_config": {
            "optimizer": {
                "module": "keras.optimizers",
                "class_name": "Adam",
                "config": {"name": "Adam", "is_legacy_optimizer": False, "jit_compile": False},
                "registered_name": None,
            },
            "loss": "mse",
        },
    }


def keras3_config() -> dict[str, Any]:
    """A Keras 3 Sequential: DTypePolicy objects, `__lambda__` in a Lambda and in a custom layer."""
    policy = {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    }
    lam = {
        "class_name": "__lambda__",
        "config": {"code": "4wEAAAAAAAAA", "defaults": None, "closure": None},
    }
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "in"},
                    "registered_name": None,
                },
                {
                    "module": "keras.layers",
                    "class_name": "Lambda",
                    "config": {"name": "fn", "dtype": policy, "function": lam},
                    "registered_name": None,
                },
                {
                    "module": "my_project.layers",
                    "class_name": "Scale",
                    "config": {"name": "scale", "dtype": policy, "activation": lam},
                    "registered_name": "my_project>Scale",
                },
            ],
        },
        "registered_name": None,
        "compile_config": {
            "optimizer": "adam",
            "loss": {
                "module": "builtins",
                "class_name": "function",
                "config": "my_loss",
                "registered_name": "function",
            },
        },
    }


def keras_archive(path: Path, config: dict[str, Any], version: str = "3.15.1") -> Path:
    return write_zip(
        path,
        [
            ("metadata.json", metadata(version)),
            ("config.json", dumps(config)),
            ("model.weights.h5", weights_h5()),
        ],
    )


# --- real-world entries ---------------------------------------------------------------------------


def test_realworld_keras333_custom_subclass() -> None:
    path = realworld_entry("bn_malicious_subclass_keras_k333") / "malicious_model.keras"
    art = only_artifact(path)
    assert art.format == "keras-v3"
    assert art.errors == ()
    assert art.producer == {"keras_version": "3.3.3"}
    d = art.details
    assert d["date_saved"] == "2024-06-18@07:48:29"
    assert d["saved_by"] == "keras3"
    assert d["model_class"] == "MaliciousModel"
    assert "malicious_model" in d["modules"]
    assert d["custom_objects"] == [
        {
            "path": "(model)",
            "class_name": "MaliciousModel",
            "module": "malicious_model",
            "registered_name": "Custom>MaliciousModel",
        }
    ]
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("model.weights.h5")
        names = [i.filename for i in zf.infolist()]
    assert (
        [m["name"] for m in d["members"]]
        == names
        == ["metadata.json", "config.json", "model.weights.h5"]
    )
    assert d["weights"]["member"] == "model.weights.h5"
    assert d["weights"]["bytes"] == info.file_size
    assert d["weights"]["compressed"] is False
    assert d["weights"]["layout"]["variables"] >= 1
    assert (
        "central directory lists metadata.json, config.json, model.weights.h5"
        in art.reading.evidence
    )


def test_realworld_npz_duplicate_entry_found_without_unpickling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = realworld_entry("evilkeras_npz_dupentry_k36") / "model.keras"

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the reader tried to deserialize untrusted bytes")

    for module, name in (
        (pickle, "loads"),
        (pickle, "load"),
        (pickle, "Unpickler"),
        (numpy, "load"),
        (numpy.lib.format, "read_array"),
        (marshal, "loads"),
    ):
        monkeypatch.setattr(module, name, refuse)
    art = only_artifact(path)
    assert art.format == "keras-v3"
    assert art.producer == {"keras_version": "3.6.0"}
    d = art.details
    assert d["date_saved"] == "2024-12-09@13:18:42"
    assert d["duplicate_members"] == ["model.weights.npz"]
    with zipfile.ZipFile(path) as zf:
        sizes = [i.file_size for i in zf.infolist() if i.filename == "model.weights.npz"]
    assert sizes == [2517, 37]
    # zipfile (and so Keras) resolves the name to the LAST entry: the 37-byte pickle
    assert d["weights"]["bytes"] == 37
    arrays = {(a["entry"], a["array"], a["dtype"]) for a in d["npz_object_arrays"]}
    assert arrays == {
        ("model.weights.npz#1", "__root__", "|O"),
        ("model.weights.npz#1", "layers/dense", "|O"),
        ("model.weights.npz#1", "optimizer", "|O"),
    }
    [issue] = d["npz_issues"]
    assert issue["entry"] == "model.weights.npz#2"
    assert "not a zip archive" in issue["problem"] and "pickle, protocol 4" in issue["problem"]
    assert d["compiled"] is True and d["optimizer"] == "RMSprop"
    assert d["layer_classes"] == ["Dense", "InputLayer"]


def test_realworld_tf_keras_214_subclassed_vae() -> None:
    path = realworld_entry("vae_dotkeras_tfk214_subclassed") / "model.keras"
    art = only_artifact(path)
    assert art.format == "keras-v3"
    assert art.errors == ()
    assert art.producer == {"keras_version": "2.14.0"}
    d = art.details
    assert d["saved_by"] == "tf.keras"
    assert "2.14.0" in d["saved_by_evidence"]
    assert d["date_saved"] == "2023-11-03@23:07:14"
    assert d["model_class"] == "VAE" and d["layer_count"] == 0
    assert d["registered_names"] == ["VAE"]
    assert d["custom_objects"] == [
        {"path": "(model)", "class_name": "VAE", "module": None, "registered_name": "VAE"}
    ]
    with zipfile.ZipFile(path) as zf:
        assert d["weights"]["bytes"] == zf.getinfo("model.weights.h5").file_size == 1157980


def test_realworld_hdf5_named_dotkeras_is_not_claimed() -> None:
    path = realworld_entry("sentiment_h5_named_dotkeras_tfk211") / "model.keras"
    assert keras_zip.claim_file(path, read_head(path)) is False
    art = only_artifact(path)
    assert art.format == "keras-h5"


# --- files saved by real Keras (tests/fixtures/keras_zip) -----------------------------------------


def keras3_issues(art: Artifact) -> list[dict[str, Any]]:
    """What Keras 3 rejects in the archive's config.json (a judgement: migrator.facts makes it)."""
    model_config = art.reading.raw["model_config"]
    return keras3_config_issues(model_config) if model_config is not None else []


def issues_by(art: Artifact) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["path"], i["issue"]): i for i in keras3_issues(art)}


def test_tf_keras_215_functional_fixture() -> None:
    art = only_artifact(FIXTURES / "tfk215_functional.keras")
    assert art.format == "keras-v3" and art.errors == ()
    assert art.producer == {"keras_version": "2.15.0"}
    assert art.details["saved_by"] == "tf.keras"
    issues = issues_by(art)
    assert issues[("(model)", "engine-module")]["detail"].startswith(
        "module 'keras.src.engine.functional'"
    )
    assert issues[("img", "batch_input_shape")]["rejected_by"] == "keras 3.0.x"
    assert (
        issues[("dw", "unrecognized-arg")]["detail"] == "DepthwiseConv2D does not accept `groups`"
    )
    assert ("head", "policy-dtype") in issues
    assert ("double", "keras2-lambda") in issues
    assert ("compile_config/optimizer", "optimizer-args") in issues
    assert ("compile_config/loss", "loss-args") in issues
    [lam] = art.details["lambda_layers"]
    assert lam["path"] == "double" and lam["marshalled"] is True and lam["module"] == "__main__"


def test_tf_keras_215_sequential_fixture() -> None:
    art = only_artifact(FIXTURES / "tfk215_sequential.keras")
    issues = issues_by(art)
    assert issues[("proj", "batch_input_shape")]["rejected_by"] == "keras>=3.0"
    assert issues[("rnn", "unrecognized-arg")]["detail"] == "LSTM does not accept `time_major`"
    assert art.details["optimizer"] == "sgd" and art.details["loss"] == "mse"


def test_keras3_fixtures_have_no_keras3_issues() -> None:
    functional = only_artifact(FIXTURES / "k3_functional.keras")
    assert functional.producer == {"keras_version": "3.15.1"}
    assert functional.details["saved_by"] == "keras3"
    assert keras3_issues(functional) == []
    assert functional.details["lambda_entries"] == ["config/layers/2/config/function"]
    assert functional.details["weights"]["layout"]["groups"] == ["layers", "optimizer", "vars"]

    npz = only_artifact(FIXTURES / "k3_sequential_npz.keras")
    assert npz.details["weights"]["format"] == "npz"
    assert keras3_issues(npz) == []
    # Keras' own npz store pickles a dict per layer: every array is an object array
    arrays = {a["array"] for a in npz.details["npz_object_arrays"]}
    assert {"__root__", "layers/dense", "layers/lstm"} <= arrays
    assert npz.details["npz_issues"] == []


# --- configs built at test time -------------------------------------------------------------------


def test_tf_keras_config_facts_keras3_rejects(tmp_path: Path) -> None:
    path = keras_archive(tmp_path / "m.keras", tf_keras_215_config(), version="2.15.0")
    art = only_artifact(path)
    assert art.errors == ()
    issues = issues_by(art)
    assert set(issues) == {
        ("(model)", "engine-module"),
        ("img", "batch_input_shape"),
        ("dw", "unrecognized-arg"),
        ("double", "keras2-lambda"),
        ("bidi/forward_lstm", "unrecognized-arg"),
        ("proj", "batch_input_shape"),
        ("head", "policy-dtype"),
        ("thr", "missing-layer"),
        ("compile_config/optimizer", "optimizer-args"),
    }
    assert issues[("bidi/forward_lstm", "unrecognized-arg")]["detail"].endswith("`time_major`")
    assert issues[("proj", "batch_input_shape")]["class_name"] == "Dense"


def test_keras3_config_lambda_and_custom_objects(tmp_path: Path) -> None:
    path = keras_archive(tmp_path / "m.keras", keras3_config())
    art = only_artifact(path)
    d = art.details
    assert keras3_issues(art) == []
    assert d["lambda_entries"] == [
        "config/layers/1/config/function",
        "config/layers/2/config/activation",
    ]
    # lambda_layers looks at Lambda-style fields; lambda_entries finds bytecode anywhere
    assert [lam["path"] for lam in d["lambda_layers"]] == ["fn"]
    assert [c["class_name"] for c in d["custom_objects"]] == ["Scale"]
    assert d["custom_objects"][0]["module"] == "my_project.layers"
    assert d["compiled"] is True and d["optimizer"] == "adam" and d["loss"] == "my_loss"
    assert d["weights"]["layout"] == {
        "variables": 3,
        "parameters": 4 * 3 + 3 + 1,
        "groups": ["layers", "optimizer"],
        "links": [],
    }


def test_weights_hdf5_links_are_listed_not_followed(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.create_group("layers/dense/vars").create_dataset("0", data=numpy.zeros((2, 2)))
        h5["layers/dense/vars/1"] = h5py.ExternalLink("/etc/passwd", "/data")
        h5["alias"] = h5py.SoftLink("/layers/dense")
    path = write_zip(
        tmp_path / "m.keras",
        [
            ("metadata.json", metadata()),
            ("config.json", dumps(keras3_config())),
            ("model.weights.h5", buffer.getvalue()),
        ],
    )
    layout = only_artifact(path).details["weights"]["layout"]
    assert layout["variables"] == 1 and layout["parameters"] == 4
    assert sorted(layout["links"], key=lambda x: x["path"]) == [
        {"path": "/alias", "soft": "/layers/dense"},
        {"path": "/layers/dense/vars/1", "external": "/etc/passwd:/data"},
    ]


def test_metadata_missing_is_an_error_and_era_comes_from_config(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "m.keras",
        [("config.json", dumps(keras3_config())), ("model.weights.h5", weights_h5())],
    )
    art = only_artifact(path)
    assert art.format == "keras-v3"
    assert art.producer == {}
    [error] = art.errors
    assert error.startswith("metadata.json missing")
    assert art.details["saved_by"] == "keras3"
    assert "batch_shape" in art.details["saved_by_evidence"]


def test_invalid_config_json_keeps_the_rest(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "m.keras",
        [
            ("metadata.json", metadata("2.15.0")),
            ("config.json", b'{"class_name": "Seq'),
            ("model.weights.h5", weights_h5()),
        ],
    )
    art = only_artifact(path)
    assert art.format == "keras-v3"
    assert art.producer == {"keras_version": "2.15.0"}
    [error] = art.errors
    assert error.startswith("config.json is not valid JSON (")
    assert "re-save" in error


def test_config_json_missing_and_weights_missing(tmp_path: Path) -> None:
    no_config = write_zip(
        tmp_path / "a.keras", [("metadata.json", metadata()), ("model.weights.h5", b"x")]
    )
    art = only_artifact(no_config)
    assert art.format == "keras-v3"
    assert any(e.startswith("config.json missing") for e in art.errors)
    assert art.details["model_class"] is None and keras3_issues(art) == []
    assert art.details["weights"]["member"] == "model.weights.h5"

    no_weights = write_zip(
        tmp_path / "b.keras",
        [("metadata.json", metadata()), ("config.json", dumps(keras3_config()))],
    )
    art = only_artifact(no_weights)
    [error] = art.errors
    assert error.startswith("weights member missing")
    assert art.details["weights"]["member"] is None


def test_compressed_members_are_read_but_weights_layout_skipped(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "m.keras",
        [
            ("metadata.json", metadata()),
            ("config.json", dumps(keras3_config())),
            ("model.weights.h5", weights_h5()),
        ],
        compression=zipfile.ZIP_DEFLATED,
    )
    art = only_artifact(path)
    assert art.errors == ()
    assert art.details["model_class"] == "Sequential"
    weights = art.details["weights"]
    assert weights["compressed"] is True
    assert weights["compressed_bytes"] < weights["bytes"]
    assert "compressed" in weights["layout_skipped"]
    assert {m["method"] for m in art.details["members"]} == {"deflated"}


def test_assets_and_metadata_producer_versions(tmp_path: Path) -> None:
    meta = dumps(
        {
            "keras_version": "3.5.0",
            "keras_hub_version": "0.16.1",
            "date_saved": "2024-10-01@00:00:00",
            "parameter_count": 12,
        }
    )
    path = write_zip(
        tmp_path / "m.keras",
        [
            ("metadata.json", meta),
            ("config.json", dumps(keras3_config())),
            ("model.weights.h5", weights_h5()),
            ("assets/0/vocab.txt", b"a\nb\n"),
        ],
    )
    art = only_artifact(path)
    assert art.producer == {"keras_version": "3.5.0", "keras_hub_version": "0.16.1"}
    assert art.details["assets"] == ["assets/0/vocab.txt"]
    assert art.details["metadata"]["parameter_count"] == 12


# --- folder form and sharded weights --------------------------------------------------------------


def test_unzipped_folder_form(tmp_path: Path) -> None:
    folder = tmp_path / "exported"
    (folder / "assets").mkdir(parents=True)
    (folder / "metadata.json").write_bytes(metadata())
    (folder / "config.json").write_bytes(dumps(keras3_config()))
    (folder / "model.weights.h5").write_bytes(weights_h5())
    (folder / "assets" / "vocab.txt").write_text("a\n")
    assert keras_zip.claim_dir(
        folder, frozenset(["metadata.json", "config.json", "model.weights.h5", "assets/"])
    )
    report = audit([tmp_path])
    [art] = report.artifacts
    assert art.path == "exported"
    assert art.format == "keras-v3" and art.errors == ()
    assert art.details["container"] == "folder"
    assert art.details["assets"] == ["assets/vocab.txt"]
    assert art.details["weights"]["layout"]["variables"] == 3
    assert art.producer == {"keras_version": "3.15.1"}
    assert set(art.files) == {
        "exported/metadata.json",
        "exported/config.json",
        "exported/model.weights.h5",
        "exported/assets/vocab.txt",
    }


def test_folder_without_metadata_is_not_a_keras_folder() -> None:
    assert not keras_zip.claim_dir(Path("x"), frozenset(["config.json", "model.weights.h5"]))
    assert not keras_zip.claim_dir(Path("x"), frozenset(["config.json", "metadata.json"]))
    assert keras_zip.claim_dir(
        Path("x"), frozenset(["config.json", "metadata.json", "model.weights.json"])
    )


def sharding_index(shards: list[str]) -> bytes:
    return dumps(
        {
            "metadata": {"total_size": 100.0},
            "weight_map": {f"/layers/dense_{i}/vars": [s] for i, s in enumerate(shards)},
        }
    )


def test_sharded_weights_in_archive(tmp_path: Path) -> None:
    shards = ["model_00000.weights.h5", "model_00001.weights.h5"]
    path = write_zip(
        tmp_path / "m.keras",
        [
            ("metadata.json", metadata()),
            ("config.json", dumps(keras3_config())),
            ("model.weights.json", sharding_index(shards)),
            (shards[0], weights_h5(2)),
            (shards[1], weights_h5(5)),
        ],
    )
    art = only_artifact(path)
    assert art.errors == ()
    weights = art.details["weights"]
    assert weights["sharded"] is True and weights["index"] == "model.weights.json"
    with zipfile.ZipFile(path) as zf:
        sizes = [zf.getinfo(s).file_size for s in shards]
    assert weights["shards"] == [
        {"member": s, "bytes": b} for s, b in zip(shards, sizes, strict=True)
    ]
    assert weights["bytes"] == sum(sizes)


def test_sharded_weights_with_a_missing_shard(tmp_path: Path) -> None:
    shards = ["model_00000.weights.h5", "model_00001.weights.h5"]
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "metadata.json").write_bytes(metadata())
    (folder / "config.json").write_bytes(dumps(keras3_config()))
    (folder / "model.weights.json").write_bytes(sharding_index(shards))
    (folder / shards[0]).write_bytes(weights_h5())
    art = only_artifact(folder)
    assert art.format == "keras-v3"
    [error] = art.errors
    assert "model_00001.weights.h5" in error and "missing" in error


# --- hostile and broken archives ------------------------------------------------------------------


def test_zip_slip_members_are_reported_not_extracted(tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    path = write_zip(
        work / "m.keras",
        [
            ("metadata.json", metadata()),
            ("config.json", dumps(keras3_config())),
            ("model.weights.h5", weights_h5()),
            ("../../evil", b"boom"),
            ("/etc/evil.conf", b"x"),
            ("assets/..\\..\\win", b"x"),
            ("C:/evil", b"x"),
        ],
    )
    art = only_artifact(path)
    reasons = {u["name"]: u["reason"] for u in art.details["unsafe_members"]}
    assert set(reasons) == {"../../evil", "/etc/evil.conf", "assets/..\\..\\win", "C:/evil"}
    assert "escapes" in reasons["../../evil"]
    assert reasons["/etc/evil.conf"] == "absolute path"
    assert not (tmp_path / "evil").exists()
    assert sorted(p.name for p in work.iterdir()) == ["m.keras"]


def test_truncated_zip_is_one_error(tmp_path: Path) -> None:
    good = (FIXTURES / "k3_functional.keras").read_bytes()
    path = tmp_path / "cut.keras"
    path.write_bytes(good[: len(good) // 2])
    assert keras_zip.claim_file(path, read_head(path))
    art = only_artifact(path)
    assert art.format == "keras-v3"
    [error] = art.errors
    assert error.startswith("truncated or corrupt zip archive (")
    assert "re-download or re-save" in error


def test_non_keras_zip_named_keras(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "m.keras", [(f"file{i}.txt", b"x") for i in range(7)])
    art = only_artifact(path)
    assert art.format == "keras-v3"
    [error] = art.errors
    assert error.startswith("zip archive without Keras members (no config.json or metadata.json)")
    assert "file0.txt, file1.txt" in error and "(7 members)" in error


def test_zipped_savedmodel_named_keras_gets_a_hint(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "m.keras",
        [("export/saved_model.pb", b"\x08\x01"), ("export/variables/variables.index", b"")],
    )
    [error] = only_artifact(path).errors
    assert "zipped SavedModel" in error


def test_keras_files_zipped_inside_a_folder_get_a_hint(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "m.keras",
        [
            ("mymodel/metadata.json", metadata()),
            ("mymodel/config.json", b"{}"),
            ("mymodel/model.weights.h5", b""),
        ],
    )
    [error] = only_artifact(path).errors
    assert "the Keras files sit in the folder mymodel/" in error


def test_non_keras_zip_with_another_name_is_not_claimed(tmp_path: Path) -> None:
    npz = tmp_path / "arrays.npz"
    numpy.savez(npz, a=numpy.zeros(3))
    assert keras_zip.claim_file(npz, read_head(npz)) is False
    plain = write_zip(tmp_path / "bundle.zip", [("config.json", b"{}"), ("data.csv", b"1")])
    assert keras_zip.claim_file(plain, read_head(plain)) is False


def test_empty_file_and_empty_zip_named_keras(tmp_path: Path) -> None:
    empty = tmp_path / "empty.keras"
    empty.write_bytes(b"")
    art = only_artifact(empty)
    [error] = art.errors
    assert "empty (0 bytes)" in error

    empty_zip = write_zip(tmp_path / "nothing.keras", [])
    assert empty_zip.read_bytes()[:4] == b"PK\x05\x06"
    art = only_artifact(empty_zip)
    assert art.format == "keras-v3"
    [error] = art.errors
    assert error.startswith("empty zip archive (no members)")


def test_hdf5_named_keras_goes_to_the_hdf5_reader(tmp_path: Path) -> None:
    path = tmp_path / "model.keras"
    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"] = "2.11.0"
        h5.attrs["backend"] = "tensorflow"
        h5.attrs["model_config"] = json.dumps(
            {"class_name": "Sequential", "config": {"name": "s", "layers": []}}
        )
        h5.create_group("model_weights")
    assert keras_zip.claim_file(path, read_head(path)) is False
    art = only_artifact(path)
    assert art.format == "keras-h5"


def test_keras_zip_named_h5_is_mislabeled(tmp_path: Path) -> None:
    path = keras_archive(tmp_path / "model.h5", keras3_config())
    art = only_artifact(path)
    assert art.format == "keras-v3"
    assert art.details["extension"] == ".h5"
    assert extension_matches(art) is False
    assert any("named .h5 but the bytes are a Keras zip" in e for e in art.reading.evidence)


def test_npz_weights_with_pickles_and_stray_members_never_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proof = tmp_path / "proof"
    pickle.loads(canary_pickle(proof))  # the payload is live: unpickling it creates the file
    assert proof.exists()
    canary = tmp_path / "canary"
    payload = canary_pickle(canary)
    npz = io.BytesIO()
    with zipfile.ZipFile(npz, "w") as nested:
        nested.writestr("layers/dense.npy", npy_bytes("|O", (), payload))
        nested.writestr("layers/kernel.npy", npy_bytes("<f4", (2, 2), b"\x00" * 16))
        nested.writestr("structured.npy", npy_bytes([("a", "<f4"), ("b", "|O")], (1,), payload))
        nested.writestr("run.py", b"import os")
        nested.writestr("fake.npy", b"not an array")
    path = write_zip(
        tmp_path / "m.keras",
        [
            ("metadata.json", metadata()),
            ("config.json", dumps(keras3_config())),
            ("model.weights.npz", npz.getvalue()),
        ],
    )

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the reader tried to deserialize untrusted bytes")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(numpy, "load", refuse)
    art = only_artifact(path)
    assert not canary.exists()
    objects = {a["array"]: a for a in art.details["npz_object_arrays"]}
    assert set(objects) == {"layers/dense", "structured"}
    assert objects["layers/dense"]["dtype"] == "|O" and objects["layers/dense"]["shape"] == []
    problems = {i["member"]: i["problem"] for i in art.details["npz_issues"]}
    assert problems["run.py"] == "not a .npy array"
    assert problems["fake.npy"].startswith("no .npy magic")
    assert art.details["weights"]["format"] == "npz"


# --- cost: the weights member is never read -------------------------------------------------------


def sparse_keras_with_big_stored_weights(path: Path, size: int) -> None:
    """A valid zip whose stored model.weights.h5 is `size` bytes of a sparse hole (cheap on disk)."""
    small = [("metadata.json", metadata()), ("config.json", dumps(keras3_config()))]
    central = b""
    with open(path, "wb") as fh:
        entries = []
        for name, data in small:
            entries.append((name, fh.tell(), len(data), zipfile.crc32(data)))
            fh.write(local_header(name, len(data), entries[-1][3]) + data)
        big_offset = fh.tell()
        fh.write(local_header("model.weights.h5", size, 0))
        fh.seek(size, io.SEEK_CUR)  # the hole: never written, reads as zeros
        entries.append(("model.weights.h5", big_offset, size, 0))
        cd_offset = fh.tell()
        for name, offset, length, crc in entries:
            central += central_header(name, offset, length, crc)
        fh.write(central)
        fh.write(
            struct.pack(
                "<4sHHHHIIH",
                b"PK\x05\x06",
                0,
                0,
                len(entries),
                len(entries),
                len(central),
                cd_offset,
                0,
            )
        )


def local_header(name: str, size: int, crc: int) -> bytes:
    raw = name.encode()
    return (
        struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 33, crc, size, size, len(raw), 0)
        + raw
    )


def central_header(name: str, offset: int, size: int, crc: int) -> bytes:
    raw = name.encode()
    return (
        struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            0,
            0,
            33,
            crc,
            size,
            size,
            len(raw),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + raw
    )


def test_large_stored_weights_member_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 200 * 1024 * 1024
    path = tmp_path / "big.keras"
    sparse_keras_with_big_stored_weights(path, size)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("model.weights.h5").file_size == size

    bytes_read = 0
    real_open = Path.open

    class Counting(io.BufferedReader):
        def read(self, n: int | None = -1) -> bytes:
            nonlocal bytes_read
            data = super().read(n)
            bytes_read += len(data)
            return data

        def readinto(self, b: Any) -> int:
            nonlocal bytes_read
            got = super().readinto(b)
            bytes_read += got or 0
            return got

    def counting_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "b" in mode and "r" in mode and Path(file) == path:
            return Counting(io.FileIO(file, "rb"))
        return real_open(file, mode, *args, **kwargs)

    # Readers open through `Path.open` (a store path answers the same call: migrator.storage).
    monkeypatch.setattr(Path, "open", counting_open)
    report = audit([path])  # not only_artifact(): its before/after sha256 would be counted too
    assert not report.errors and len(report.artifacts) == 1
    art = report.artifacts[0]
    assert art.format == "keras-v3" and art.errors == ()
    assert art.details["weights"]["bytes"] == size
    assert "layout_skipped" in art.details["weights"]  # zeros are not HDF5: nothing to walk
    assert 0 < bytes_read < 1024 * 1024, bytes_read


def test_fixture_copy_in_a_tree(tmp_path: Path) -> None:
    """Discovery groups a tree: one artifact per archive, nothing else claimed by this reader."""
    for name in ("tfk215_functional.keras", "k3_functional.keras"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    report = audit([tmp_path])
    assert [(a.path, a.format, a.producer.get("keras_version")) for a in report.artifacts] == [
        ("k3_functional.keras", "keras-v3", "3.15.1"),
        ("tfk215_functional.keras", "keras-v3", "2.15.0"),
    ]
