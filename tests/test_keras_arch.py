"""The architecture-file reader: real to_json()/to_yaml() files, what it must not claim, and
hostile or broken files (unsafe YAML tags, alias bombs, invalid JSON, empty, huge).

Producers are compared with the files' own top-level keys, read here independently.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from migrator.audit import audit
from migrator.discover import read_head
from migrator.errors import ArtifactError
from migrator.facts import extension_matches
from migrator.formats import keras_arch
from migrator.model import Artifact, Candidate
from tests.conftest import REALWORLD, realworld_entry

# artifacts/<entry>/<file> -> (format, details that must hold; from the MANIFEST evidence)
REAL_ARCH: dict[str, tuple[str, dict[str, Any]]] = {
    "dv_k120_fullmodel_lambda/model.json": (
        "keras-json",
        {
            "model_class": "Sequential",
            "keras_major": 1,
            "config_style": "keras1",
            "uses_lambda": True,
            "layer_count": 16,
        },
    ),
    "dv_k120_weights_plus_json/model.json": (
        "keras-json",
        {"keras_major": 1, "config_style": "keras1", "layer_count": 15, "uses_lambda": False},
    ),
    "dv_k231_weights_plus_json/model.json": (
        "keras-json",
        {"keras_major": 2, "config_style": "keras2", "name": "sequential_6", "layer_count": 15},
    ),
    "cnndemo_k215_weights_yaml/model.yaml": (
        "keras-yaml",
        {
            "keras_major": 2,
            "config_style": "keras2",
            "layer_count": 5,
            "yaml_tags": ["!!python/tuple"],
            "extension_matches": True,
        },
    ),
    "dl4j_k122_theano_lstm_trio/simple_lstm_th_keras_1_config.json": (
        "keras-json",
        {"keras_major": 1, "config_style": "keras1", "layer_classes": ["Dense", "LSTM"]},
    ),
    "dl4j_k208_theano_weights_plus_json/lstm_th_keras_2_config.json": (
        "keras-json",
        {"keras_major": 2, "config_style": "keras2", "layer_classes": ["Dense", "LSTM"]},
    ),
    "kotlindl_tfk224tf_toyresnet_weights_json/modelConfig.json": (
        "keras-json",
        {"model_class": "Model", "tf_keras": True, "keras_major": 2, "name": "toy_resnet"},
    ),
    "kotlindl_tfk240_lstm_weights_json/model.json": (
        "keras-json",
        {
            "model_class": "Sequential",
            "tf_keras": False,
            "keras_major": 2,
            "layer_classes": ["Activation", "Dense", "Dropout", "InputLayer", "LSTM"],
        },
    ),
    # inside a SavedModel folder it belongs to the SavedModel; audited alone it is a to_json()
    "jba_tf20a0_export_saved_model_multimeta/1554322901/assets/saved_model.json": (
        "keras-json",
        {"model_class": "Sequential", "tf_keras": True},
    ),
}

# JSON/text files in the real-world tree that are not Keras architectures
NOT_ARCH = [
    "tfjs_celsius_layers_k212/model.json",
    "tfjs_graph_model_from_tf231_sm/tfjs_model/model.json",
    "malmodelscan_tensorabuse_readfile_sm/tensorabuse_savedmodel/saved_model.json",
    "dl4j_tf_ckpt_abs_path_simple_graph/simple_graph/model.txt",
    "dl4j_tf_graphdef_text_train_iris/train_iris.pbtxt",
    "uvex_decoy_labelmap_named_saved_model_pbtxt/saved_model.pbtxt",
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _producer_from_text(path: Path) -> dict[str, str]:
    """keras_version/backend from the file itself: JSON keys, or top-level YAML lines."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        return {k: data[k] for k in ("keras_version", "backend") if k in data}
    out = {}
    for key in ("keras_version", "backend"):
        match = re.search(rf"^{key}: *(.+?) *$", text, re.M)
        if match:
            out[key] = match.group(1).strip("'\"")
    return out


def _only(path: Path) -> Artifact:
    report = audit([path])
    assert not report.errors
    assert len(report.artifacts) == 1, [a.path for a in report.artifacts]
    return report.artifacts[0]


def _one_line_error(artifact: Artifact) -> str:
    assert len(artifact.errors) == 1, artifact.errors
    error = artifact.errors[0]
    assert "\n" not in error and error.strip()
    assert "internal error" not in error
    return error


def _subset(expected: dict[str, Any], got: dict[str, Any]) -> None:
    for key, value in expected.items():
        assert got.get(key) == value, (key, got.get(key))


# --- real-world files ----------------------------------------------------------------------------


@pytest.mark.parametrize("rel", sorted(REAL_ARCH))
def test_realworld_architecture_file(rel: str) -> None:
    entry, _, name = rel.partition("/")
    path = realworld_entry(entry) / name
    before = _sha(path)
    fmt, details = REAL_ARCH[rel]
    artifact = _only(path)
    assert _sha(path) == before
    assert artifact.format == fmt, artifact.errors
    assert not artifact.errors
    assert dict(artifact.producer) == _producer_from_text(path)
    # the reader records the extension; whether Keras 3 opens it under that name is a judgement
    _subset(details, {**artifact.details, "extension_matches": extension_matches(artifact)})
    assert artifact.reading.raw["model_config"]["class_name"] == artifact.details["model_class"]
    json.dumps(artifact.to_json())


@pytest.mark.parametrize("rel", NOT_ARCH)
def test_realworld_non_architecture_files_are_not_claimed(rel: str) -> None:
    entry, _, name = rel.partition("/")
    path = realworld_entry(entry) / name
    assert not keras_arch.claim_file(path, read_head(path))


def test_every_realworld_json_and_yaml_is_classified() -> None:
    root = REALWORLD / "artifacts"
    if not root.is_dir():
        pytest.skip(f"real-world artifacts not available at {REALWORLD}")
    found = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in (".json", ".yaml", ".yml")
    }
    assert found == set(REAL_ARCH) | {r for r in NOT_ARCH if r.endswith(".json")}


def test_keras1_lambda_in_json_is_marshalled_raw_text() -> None:
    path = realworld_entry("dv_k120_fullmodel_lambda") / "model.json"
    lambdas = _only(path).details["lambda_layers"]
    assert [(item["path"], item["marshalled"], item["code_encoding"]) for item in lambdas] == [
        ("Preprocess", True, "raw"),
        ("Postprocess", True, "raw"),
    ]


# --- what must not be claimed --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("package.json", '{"name": "app", "version": "1.0.0", "dependencies": {}}'),
        ("metadata.json", '{"keras_version": "3.3.3", "date_saved": "2024-06-18@10:00:00"}'),
        ("layer.json", '{"class_name": "Dense", "config": {"name": "d", "units": 2}}'),
        ("optimizer.json", '{"class_name": "Adam", "config": {"learning_rate": 0.001}}'),
        ("vocab.json", '{"[PAD]": 0, "[UNK]": 1, "class_name": 2}'),
        ("config.yaml", "model:\n  class_name: ResNet\n  depth: 50\n"),
        ("train.yaml", "class_name: Adam\nconfig:\n  lr: 0.1\n"),
        ("settings.json", ""),
    ],
)
def test_files_that_are_not_keras_architectures_are_not_claimed(
    tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert not keras_arch.claim_file(path, read_head(path))
    assert audit([tmp_path]).artifacts == ()


# --- configs of every era ------------------------------------------------------------------------


def test_json_without_an_extension_is_claimed_by_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "architecture"
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}],
        },
        "keras_version": "2.4.0",
        "backend": "tensorflow",
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    artifact = _only(path)
    assert artifact.format == "keras-json"
    assert dict(artifact.producer) == {"keras_version": "2.4.0", "backend": "tensorflow"}
    assert extension_matches(artifact) is False


def test_sorted_pretty_json_starting_with_backend_is_claimed(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    config = {
        "class_name": "Model",
        "config": {"name": "m", "layers": []},
        "keras_version": "2.1.6",
        "backend": "theano",
    }
    path.write_text(json.dumps(config, indent=4, sort_keys=True), encoding="utf-8")
    artifact = _only(path)
    assert artifact.format == "keras-json" and not artifact.errors
    assert dict(artifact.producer) == {"keras_version": "2.1.6", "backend": "theano"}


def test_keras3_to_json_without_version_is_inferred_and_lambda_flagged(tmp_path: Path) -> None:
    code = base64.b64encode(b"not real bytecode, never decoded").decode()
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "registered_name": None,
                    "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input"},
                },
                {
                    "module": "keras.layers",
                    "class_name": "Lambda",
                    "registered_name": None,
                    "config": {
                        "name": "lambda",
                        "function": {
                            "class_name": "__lambda__",
                            "config": {"code": code, "defaults": None, "closure": None},
                        },
                        "arguments": {},
                    },
                },
            ],
        },
    }
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    artifact = _only(path)
    details = artifact.details
    assert artifact.format == "keras-json" and dict(artifact.producer) == {}
    assert details["config_style"] == "keras3" and details["keras_major"] == 3
    assert any("inferred from the keras3 config style" in e for e in artifact.reading.evidence)
    assert details["lambda_layers"] == [
        {
            "path": "lambda",
            "class_name": "Lambda",
            "function_type": "lambda",
            "module": None,
            "marshalled": True,
            "marshalled_fields": ["function"],
            "code_encoding": "base64",
        }
    ]


def test_keras1_merge_with_a_lambda_mode_is_flagged_inside_branches(tmp_path: Path) -> None:
    def branch(name: str) -> dict[str, Any]:
        return {
            "class_name": "Sequential",
            "config": [
                {
                    "class_name": "Dense",
                    "config": {"name": name, "output_dim": 4, "init": "glorot_uniform"},
                }
            ],
        }

    config = {
        "class_name": "Sequential",
        "keras_version": "1.1.0",
        "config": [
            {
                "class_name": "Merge",
                "config": {
                    "name": "merge_1",
                    "mode": ["\u00e3\u0001\u0000raw", None, None],
                    "mode_type": "lambda",
                    "output_shape": None,
                    "output_shape_type": "raw",
                    "layers": [branch("left"), branch("right")],
                },
            },
            {"class_name": "Dense", "config": {"name": "out", "output_dim": 1}},
        ],
    }
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    details = _only(path).details
    assert details["config_style"] == "keras1"
    assert details["layer_count"] == 6  # merge, 2 branches, 2 branch layers, out
    assert details["lambda_layers"] == [
        {
            "path": "merge_1",
            "class_name": "Merge",
            "function_type": "lambda",
            "module": None,
            "marshalled": True,
            "marshalled_fields": ["mode"],
            "code_encoding": "raw",
        }
    ]


def test_lambda_by_function_name_is_not_marshalled(tmp_path: Path) -> None:
    config = {
        "class_name": "Model",
        "keras_version": "2.3.1",
        "backend": "tensorflow",
        "config": {
            "name": "m",
            "layers": [
                {
                    "class_name": "Lambda",
                    "name": "norm",
                    "config": {
                        "name": "norm",
                        "function": "normalize",
                        "function_type": "function",
                        "module": "my_project.layers",
                        "output_shape": None,
                        "output_shape_type": "raw",
                        "arguments": {},
                    },
                }
            ],
        },
    }
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    details = _only(path).details
    assert details["uses_lambda"] is True
    assert details["lambda_layers"][0]["marshalled"] is False
    assert details["lambda_layers"][0]["module"] == "my_project.layers"


# --- hostile and broken files --------------------------------------------------------------------
# Broken files are named arch.json, not model.json: a model.json that does not parse is also a
# candidate TF.js model, and the TF.js reader answers for those.


@pytest.mark.parametrize(
    "tag_line",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
        "!!python/name:os.system ''",
    ],
)
def test_yaml_python_tags_are_refused_and_never_run(tmp_path: Path, tag_line: str) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "model.yaml"
    path.write_text(
        "backend: tensorflow\nclass_name: Sequential\nconfig:\n- class_name: Dense\n"
        f"  config: {{name: d, units: 2, activation: {tag_line.format(marker=marker)}}}\n"
        "keras_version: 2.1.5\n",
        encoding="utf-8",
    )
    before = _sha(path)
    artifact = _only(path)
    assert artifact.format == "keras-yaml"
    error = _one_line_error(artifact)
    assert "!!python/" in error and "migrator does not construct it" in error
    assert not marker.exists()
    assert _sha(path) == before


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = [
        "class_name: Sequential",
        "config:",
        "- &l1 {class_name: Sequential, config: [&l0 {class_name: Dense, config: {name: d}}"
        + ", *l0" * 9
        + "]}",
    ]
    for level in range(2, 9):  # 10**8 layer entries once the aliases are expanded
        lines.append(
            f"- &l{level} {{class_name: Sequential, config: ["
            + ", ".join([f"*l{level - 1}"] * 10)
            + "]}"
        )
    lines.append("keras_version: 2.1.5")
    path = tmp_path / "model.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    artifact = _only(path)
    assert artifact.format == "keras-yaml"
    assert "more than" in _one_line_error(artifact)


def test_truncated_json_architecture_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "arch.json"
    text = json.dumps(
        {
            "class_name": "Sequential",
            "keras_version": "2.2.4",
            "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d"}}]},
        }
    )
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    before = _sha(path)
    artifact = _only(path)
    assert artifact.format == "keras-json"
    assert _one_line_error(artifact).startswith("invalid JSON (")
    assert _sha(path) == before


def test_empty_model_json_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"")
    assert "file is empty" in _one_line_error(_only(path))


def test_non_utf8_json_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "arch.json"
    path.write_bytes(b'{"class_name": "Sequential", "config": {"name": "\xff\xfe"}}')
    artifact = _only(path)
    assert artifact.format == "keras-json"
    assert "not UTF-8" in _one_line_error(artifact)


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "arch.json"
    path.write_text(
        '{"class_name": "Sequential", "config": ' + "[" * 100_000 + "]" * 100_000 + "}",
        encoding="utf-8",
    )
    artifact = _only(path)
    assert artifact.format == "keras-json"
    assert "nested too deeply" in _one_line_error(artifact)


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "arch.json"
    with open(path, "wb") as fh:
        fh.write(b'{"class_name": "Sequential", "config": [')
        fh.truncate(keras_arch.MAX_BYTES + 1)  # sparse: costs no disk and no reading
    artifact = _only(path)
    assert artifact.format == "keras-json"
    assert "MB" in _one_line_error(artifact)


def test_reading_json_that_is_not_a_model_config_is_an_error(tmp_path: Path) -> None:
    # Keras-shaped start and a model class, but the "layers" are not layer entries
    path = tmp_path / "model.json"
    path.write_text('{"class_name": "Sequential", "config": [1, 2, 3]}', encoding="utf-8")
    assert not keras_arch.claim_file(path, read_head(path))
    with pytest.raises(ArtifactError) as caught:
        keras_arch.read(Candidate(path, ".", "keras_arch", (path.name,)))
    assert "not a Keras model config" in str(caught.value)
    assert caught.value.format == "keras-json"  # type: ignore[attr-defined]


def test_damaged_architecture_files_give_errors_never_crashes(tmp_path: Path) -> None:
    """Seeded random edits (bytes, unsafe tags, anchors, brackets, cuts) of corpus files: each is
    left unclaimed, read, or refused with one ArtifactError line, never another exception."""
    import random

    rng = random.Random(3)
    corpus = Path(__file__).resolve().parents[1] / "corpus" / "legacy"
    sources = [corpus / "k208_theano_cnn_arch.yaml", corpus / "k122_theano_merge.json"]
    inserts = [b"!!python/object/apply:os.system [x]", b"&a ", b"*a", b"{", b"]", b"\xff"]
    outcomes = set()
    for i in range(150):
        source = sources[i % 2]
        data = bytearray(source.read_bytes())
        for _ in range(1 + i % 4):
            pos = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[pos:pos] = rng.choice(inserts)
            else:
                del data[pos : pos + rng.randrange(1, 20)]
        path = tmp_path / f"arch{i}{source.suffix}"
        path.write_bytes(bytes(data))
        if not keras_arch.claim_file(path, bytes(data[:64])):
            outcomes.add("unclaimed")
            continue
        try:
            outcomes.add(keras_arch.read(Candidate(path, ".", "keras_arch", (path.name,))).format)
        except ArtifactError as exc:
            assert "\n" not in str(exc)
            outcomes.add("error")
    assert "error" in outcomes and outcomes & {"keras-json", "keras-yaml"}
