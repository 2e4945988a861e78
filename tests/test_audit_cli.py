"""`migrator audit` / `migrator inspect` end to end: grouping, errors that never stop the batch,
exit codes, deterministic JSON, and no TensorFlow anywhere on the audit path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from migrator.audit import audit
from migrator.cli import main
from migrator.formats import protos
from tests.conftest import REPO, realworld_entry


def write_saved_model(folder: Path, tf_version: str = "1.15.0", variables: bool = True) -> None:
    """A minimal TF1-style SavedModel: one MetaGraph tagged serve with a predict signature."""
    sm = protos.message_class("SavedModel")()
    sm.saved_model_schema_version = 1
    mg = sm.meta_graphs.add()
    mg.meta_info_def.tags.append("serve")
    mg.meta_info_def.tensorflow_version = tf_version
    node = mg.graph_def.node.add(name="x", op="Placeholder")
    node.attr["dtype"].type = 1
    mg.graph_def.node.add(name="y", op="Identity", input=["x"])
    sig = mg.signature_def["serving_default"]
    sig.method_name = "tensorflow/serving/predict"
    sig.inputs["x"].name = "x:0"
    sig.inputs["x"].dtype = 1
    sig.outputs["y"].name = "y:0"
    sig.outputs["y"].dtype = 1
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "saved_model.pb").write_bytes(sm.SerializeToString())
    if variables:
        (folder / "variables").mkdir(exist_ok=True)


def write_keras_h5(path: Path, keras_version: str = "2.3.1") -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [{"class_name": "Dense", "config": {"name": "dense", "units": 2}}],
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = keras_version.encode()
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [b"dense"]
        d = g.create_group("dense")
        d.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        d.create_dataset("dense/kernel:0", data=[[1.0, 2.0]])
        d.create_dataset("dense/bias:0", data=[0.0, 0.0])


@pytest.fixture
def mixed_tree(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    write_saved_model(root / "serving" / "mymodel" / "00000001")
    write_saved_model(root / "serving" / "mymodel" / "00000002")
    write_keras_h5(root / "models" / "classifier.h5")
    (root / "models" / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 10)  # truncated
    (root / "models" / "empty.keras").write_bytes(b"")
    (root / "models" / "notes.txt").write_text("not a model")
    (root / ".git").mkdir()
    (root / ".git" / "x.h5").write_bytes(b"junk")
    (root / "train.py").write_text("import tensorflow as tf\n")
    return root


def test_tree_groups_saved_models_and_goes_on_after_bad_files(mixed_tree: Path) -> None:
    report = audit([mixed_tree])
    by_path = {a.path: a for a in report.artifacts}
    assert sorted(by_path) == [
        "models/broken.h5",
        "models/classifier.h5",
        "models/empty.keras",
        "serving/mymodel/00000001",
        "serving/mymodel/00000002",
    ]
    assert by_path["serving/mymodel/00000001"].format == "saved-model"
    assert by_path["serving/mymodel/00000001"].producer["tensorflow_version"] == "1.15.0"
    assert by_path["models/classifier.h5"].format == "keras-h5"
    assert by_path["models/classifier.h5"].producer == {
        "keras_version": "2.3.1",
        "backend": "tensorflow",
    }
    for bad in ("models/broken.h5", "models/empty.keras"):
        errors = by_path[bad].errors
        assert len(errors) == 1 and "\n" not in errors[0], errors
        assert "internal error" not in errors[0]
    assert "empty" in by_path["models/empty.keras"].errors[0]
    assert report.has_errors


def test_layout_of_serving_versions_is_reported(mixed_tree: Path) -> None:
    report = audit([mixed_tree])
    sm = next(a for a in report.artifacts if a.path == "serving/mymodel/00000002")
    layout = sm.details["layout"]
    assert layout["kind"] == "serving-version"
    assert layout["version"] == 2
    assert layout["model_base"] == "serving/mymodel"
    assert layout["versions_in_base"] == [1, 2]


def test_timestamped_export_folder(tmp_path: Path) -> None:
    write_saved_model(tmp_path / "export" / "1554322901")
    report = audit([tmp_path])
    (artifact,) = report.artifacts
    assert artifact.details["layout"]["kind"] == "timestamped-export"
    assert artifact.details["layout"]["timestamp"] == "2019-04-03T20:21:41Z"


def test_cli_exit_codes_and_json_contract(mixed_tree: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["audit", str(mixed_tree), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 2  # errors occurred
    data = json.loads(out)
    assert data["schema_version"] == 1
    assert data["root"] == mixed_tree.as_posix()
    paths = [a["path"] for a in data["artifacts"]]
    assert paths == sorted(paths)
    for a in data["artifacts"]:
        assert set(a) >= {"path", "format", "producer", "details", "findings", "errors"}
    assert "models/broken.h5" in err  # one-line errors name the file on stderr

    good = mixed_tree / "serving"
    assert main(["audit", str(good), "--format", "json"]) == 0
    capsys.readouterr()


def test_json_report_is_deterministic(mixed_tree: Path) -> None:
    first = json.dumps(audit([mixed_tree]).to_json())
    second = json.dumps(audit([mixed_tree]).to_json())
    assert first == second
    assert "created_at" not in first


def test_missing_path_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["audit", str(tmp_path / "nope")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "nope" in err and "no such file or folder" in err


def test_several_paths_are_relative_to_their_common_folder(mixed_tree: Path) -> None:
    report = audit([mixed_tree / "models", mixed_tree / "serving"])
    assert report.root == mixed_tree.as_posix()
    assert "models/classifier.h5" in {a.path for a in report.artifacts}
    assert "serving/mymodel/00000001" in {a.path for a in report.artifacts}


def test_inspect_single_file_and_saved_model(
    mixed_tree: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["inspect", str(mixed_tree / "models" / "classifier.h5")]) == 0
    out = capsys.readouterr().out
    assert "format: keras-h5" in out and "keras_version: 2.3.1" in out
    assert main(["inspect", str(mixed_tree / "serving" / "mymodel" / "00000001")]) == 0
    out = capsys.readouterr().out
    assert "MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:" in out
    assert "signature_def['serving_default']:" in out
    assert "name: x:0" in out and "Method name is: tensorflow/serving/predict" in out


def test_inspect_json(mixed_tree: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["inspect", "--json", str(mixed_tree / "models" / "classifier.h5")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["artifacts"][0]["path"] == "classifier.h5"  # a single file is reported by its name
    assert data["artifacts"][0]["format"] == "keras-h5"


def test_source_is_never_modified(mixed_tree: Path) -> None:
    before = {p: p.read_bytes() for p in mixed_tree.rglob("*") if p.is_file()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    audit([mixed_tree])
    assert {p: p.read_bytes() for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes
    assert sorted(p for p in mixed_tree.rglob("*") if p.is_file()) == sorted(before)


_NO_TF = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'torch', 'jax'):
            raise ImportError('blocked for this test: ' + name)
sys.meta_path.insert(0, Block())
from migrator.cli import main
code = main(sys.argv[1:])
loaded = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')]
assert not loaded, loaded
sys.exit(code)
"""


def test_audit_runs_with_tensorflow_blocked(mixed_tree: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _NO_TF, "audit", str(mixed_tree), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["artifacts"]


def test_realworld_audit_with_tensorflow_blocked() -> None:
    folder = realworld_entry("mnist0x7a_tf210_keras_savedmodel").parent
    proc = subprocess.run(
        [sys.executable, "-c", _NO_TF, "audit", str(folder), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(json.loads(proc.stdout)["artifacts"]) > 50


def test_models_beside_a_saved_model_are_still_found(tmp_path: Path) -> None:
    """A repo whose root is a SavedModel may hold other models next to it and below it."""
    write_saved_model(tmp_path)
    write_keras_h5(tmp_path / "model.h5")
    write_saved_model(tmp_path / "archive (4)")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "vocab.txt").write_text("a\nb\n")
    report = audit([tmp_path])
    by_path = {a.path: a for a in report.artifacts}
    assert sorted(by_path) == [".", "archive (4)", "model.h5"]
    assert by_path["."].format == "saved-model"
    assert "assets/vocab.txt" in by_path["."].files
    assert "model.h5" not in by_path["."].files
    assert by_path["model.h5"].format == "keras-h5"


def test_a_deeply_nested_json_file_is_one_error(tmp_path: Path) -> None:
    """A model.json nested deeper than Python's recursion limit must not stop the audit."""
    depth = 200_000
    (tmp_path / "model.json").write_text('{"modelTopology": ' + "[" * depth + "]" * depth + "}")
    write_keras_h5(tmp_path / "ok.h5")
    report = audit([tmp_path])
    by_path = {a.path: a for a in report.artifacts}
    assert not by_path["ok.h5"].errors
    (error,) = by_path["model.json"].errors
    assert "not valid JSON" in error and "\n" not in error


def test_a_reader_claim_that_raises_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader bug while examining one file or folder costs that file, not the audit."""
    from migrator.formats import reader

    def broken(*args: object) -> bool:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(reader("tflite"), "claim_file", broken)
    monkeypatch.setattr(reader("tfjs"), "claim_group", broken)
    write_keras_h5(tmp_path / "sub" / "ok.h5")
    (tmp_path / "sub" / "model.tflite").write_bytes(b"1234TFL3" + b"\0" * 64)
    report = audit([tmp_path], jobs=0)
    assert [a.path for a in report.artifacts] == ["sub/ok.h5"]
    assert any(
        e.startswith("sub/model.tflite: the tflite reader failed to examine it (RecursionError")
        for e in report.errors
    ), report.errors
    assert any(e.startswith("sub: the tfjs reader failed") for e in report.errors), report.errors


@pytest.mark.parametrize(
    ("tf", "says", "never"),
    [
        ("2.4.0", "saved by TF 2.4.0, before TF 2.5", "without `model.save`"),
        ("2.12.1", "saved by TF 2.12.1 without `model.save`", "before TF 2.5"),
        ("", "saved before TF 2.5", "saved by TF"),
    ],
)
def test_mig102_message_matches_the_tf_version(tf: str, says: str, never: str) -> None:
    from migrator.model import Artifact, Reading
    from migrator.rules import get_rule

    producer = {"tensorflow_version": tf} if tf else {}
    reading = Reading("saved-model", producer, {"keras": True, "keras_source": "object_graph"})
    hit = get_rule("MIG102").check(Artifact("m", Path("/m"), reading))
    assert says in hit.message and never not in hit.message


def test_single_file_and_unrelated_paths(tmp_path: Path) -> None:
    write_keras_h5(tmp_path / "a" / "m.h5")
    report = audit([tmp_path / "a" / "m.h5"])
    assert [a.path for a in report.artifacts] == ["m.h5"]  # not "."
    assert report.root == (tmp_path / "a").as_posix()
    other = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/run")
    report = audit([tmp_path / "a", other / "no-such-model.h5"])
    assert report.root == "/"
    assert (tmp_path / "a" / "m.h5").as_posix() in {a.path for a in report.artifacts}
