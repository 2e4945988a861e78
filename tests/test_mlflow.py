"""MLflow model folders (`mlflow-model`): what the reader reports from folders real MLflow wrote,
the model inside reported under the folder, the flavor loader's verdicts, and hostile `MLmodel`
files: each one line naming the file, the rest of the batch audited.

`corpus/mlflow/` was written by MLflow 0.9.1, 1.30.1, 2.10.2, 2.22.5 and 3.17.2
(`corpus/mlflow_models.py`); its `manifest.json` records the MLflow, TensorFlow and Keras of each
folder, which is what the expectations here derive from. The cells of the flavor loader are
checked against real loads in `tests/test_mlflow_measured.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.cli import main
from migrator.loadability import judge, predict
from migrator.loadability.verdicts.mlflow import NotJudged
from migrator.model import Artifact, Report

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mlflow"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())
FOLDERS = sorted(MANIFEST)


def by_path(report: Report) -> dict[str, Artifact]:
    return {a.path: a for a in report.artifacts}


@pytest.fixture(scope="module")
def corpus_report() -> dict[str, Artifact]:
    return by_path(audit([CORPUS], judges=[judge]))


@pytest.fixture(scope="module")
def readings() -> dict[str, Artifact]:
    """Read without judges: the readings keep `raw` (the model inside), as convert reads them."""
    return by_path(audit([CORPUS]))


def copy(name: str, tmp_path: Path, as_name: str | None = None) -> Path:
    target = tmp_path / (as_name or name)
    shutil.copytree(CORPUS / name, target)
    return target


# --- folders written by real MLflow ------------------------------------------------------------


@pytest.mark.parametrize("name", FOLDERS)
def test_every_folder_is_one_mlflow_artifact_with_what_its_writer_recorded(
    corpus_report: dict[str, Artifact], name: str
) -> None:
    made = MANIFEST[name]
    artifact = corpus_report[name]
    assert artifact.format == "mlflow-model" and not artifact.errors
    d = artifact.details
    assert d["python_version"].count(".") == 2
    if made["mlflow"].startswith("0."):
        # MLflow 0.x records no mlflow_version and writes only the conda.yaml it is given
        assert d["mlflow_version"] is None and "mlflow_version" not in artifact.producer
        assert d["environment_files"] == ["conda.yaml"]
        assert d["pins"]["conda.yaml"]["tensorflow"] == f"=={made['tensorflow']}"
    else:
        assert d["mlflow_version"] == made["mlflow"] == artifact.producer["mlflow_version"]
        assert artifact.producer["tensorflow_version"] == made["tensorflow"]
        pins = d["pins"]["requirements.txt"]
        assert pins["tensorflow"] == f"=={made['tensorflow']}"
        assert pins["mlflow"] == f"=={made['mlflow']}"
        assert set(d["environment_files"]) == {"requirements.txt", "conda.yaml", "python_env.yaml"}
    # the model inside is its own artifact, reported under the folder, read by its own reader
    inner = corpus_report[f"{name}/{d['model_path']}"]
    assert inner.format == d["model_format"] and not inner.errors
    assert "MLmodel" in artifact.files[0] and not any(d["model_path"] in f for f in artifact.files)


@pytest.mark.parametrize(
    ("name", "flavor", "save_format", "model_path", "model_format", "layout"),
    [
        ("mlflow130_keras_h5", "keras", "h5", "data/model.h5", "keras-h5", "keras2-flavor"),
        ("mlflow130_keras_tf", "keras", "tf", "data/model", "saved-model", "keras2-flavor"),
        ("mlflow210_tensorflow_keras_h5", "tensorflow", "h5", "data/model.h5", "keras-h5",
         "tensorflow-keras"),
        ("mlflow210_tensorflow_keras_tf", "tensorflow", "tf", "data/model", "saved-model",
         "tensorflow-keras"),
        # TF >= 2.16 writes data/model.keras while the flavor still records save_format tf
        ("mlflow317_tensorflow_keras_keras", "tensorflow", "tf", "data/model.keras", "keras-v3",
         "tensorflow-keras"),
        ("mlflow317_keras_keras", "keras", None, "data/model.keras", "keras-v3", "keras3-flavor"),
        ("mlflow317_keras_exported", "keras", None, "data/model", "saved-model", "keras3-flavor"),
        ("mlflow317_tensorflow_keras3_h5", "tensorflow", "h5", "data/model.h5", "keras-h5",
         "tensorflow-keras"),
        # MLflow 0.x: the keras flavor's `data` is the HDF5 file at the folder root
        ("mlflow09_keras_h5", "keras", None, "model.h5", "keras-h5", "keras2-flavor"),
        # MLflow 2.22 under tf.keras 2.15: as 2.10; `mlflow.keras` writes a tensorflow flavor
        ("mlflow222_tensorflow_keras_tf", "tensorflow", "tf", "data/model", "saved-model",
         "tensorflow-keras"),
        ("mlflow222_tensorflow_keras_h5", "tensorflow", "h5", "data/model.h5", "keras-h5",
         "tensorflow-keras"),
        ("mlflow222_keras_via_tensorflow_tf", "tensorflow", "tf", "data/model", "saved-model",
         "tensorflow-keras"),
        # MLflow 2.22 under Keras 3.3: the Keras 3 flavor, and mlflow.tensorflow's .keras / .h5
        ("mlflow222_keras_keras", "keras", None, "data/model.keras", "keras-v3", "keras3-flavor"),
        ("mlflow222_keras_exported", "keras", None, "data/model", "saved-model", "keras3-flavor"),
        ("mlflow222_tensorflow_keras_keras", "tensorflow", "tf", "data/model.keras", "keras-v3",
         "tensorflow-keras"),
        ("mlflow222_tensorflow_keras3_h5", "tensorflow", "h5", "data/model.h5", "keras-h5",
         "tensorflow-keras"),
    ],
)  # fmt: skip
def test_keras_models_by_flavor_and_save_format(
    corpus_report: dict[str, Artifact],
    name: str,
    flavor: str,
    save_format: str | None,
    model_path: str,
    model_format: str,
    layout: str,
) -> None:
    d = corpus_report[name].details
    assert d["model_flavor"] == flavor and d["model_path"] == model_path
    assert d.get("save_format") == save_format
    assert d["model_format"] == model_format and d["layout"] == layout
    assert d["loader_module"] == f"mlflow.{flavor}"
    if flavor == "keras" and MANIFEST[name]["keras"]:
        assert d["keras_version"] == MANIFEST[name]["keras"]


def test_tensorflow_flavor_savedmodels(corpus_report: dict[str, Artifact]) -> None:
    tf1 = corpus_report["mlflow130_tensorflow_savedmodel"].details
    assert (tf1["saved_model_dir"], tf1["meta_graph_tags"], tf1["signature_def_key"]) == (
        "tfmodel",
        ["serve"],
        "serving_default",
    )
    assert tf1["model_path"] == "tfmodel" and tf1["layout"] == "tensorflow-savedmodel"
    module = corpus_report["mlflow210_tensorflow_module"].details
    assert module["model_type"] == "tf2-module" and module["model_path"] == "tf2model"


def test_pickles_are_disassembled_never_loaded(corpus_report: dict[str, Artifact]) -> None:
    pickled = corpus_report["mlflow210_tensorflow_keras_h5"].details["pickled_files"]
    assert [p["path"] for p in pickled] == ["data/global_custom_objects.cloudpickle"]
    assert all(name.startswith("keras.src.") for name in pickled[0]["imports"])
    assert corpus_report["mlflow317_keras_keras"].details["pickled_files"] == []


def test_rules_fire_on_what_each_mlflow_line_wrote(corpus_report: dict[str, Artifact]) -> None:
    from migrator.rules import check_artifact

    fired = {
        name: sorted({f.rule for f in check_artifact(corpus_report[name]).findings})
        for name in FOLDERS
    }
    assert fired["mlflow130_keras_h5"] == ["MIG151"]
    assert fired["mlflow130_keras_tf"] == ["MIG150"]
    assert fired["mlflow210_tensorflow_keras_tf"] == ["MIG150", "MIG350"]
    assert fired["mlflow210_tensorflow_keras_h5"] == ["MIG350"]
    assert fired["mlflow09_keras_h5"] == ["MIG151"]
    # where the Keras 3 loader looks; the 0.x layout is missed under Keras 2 as well
    (old,) = check_artifact(corpus_report["mlflow09_keras_h5"]).findings
    assert "`model.h5.h5` under Keras 2" in old.message and "every current MLflow" in old.message
    (v1,) = check_artifact(corpus_report["mlflow130_keras_h5"]).findings
    assert "`data/data.keras` wherever Keras 3 is installed" in v1.message
    # MLflow 2.22 under tf.keras 2.15 writes what 2.10 wrote, pickled registry included
    assert fired["mlflow222_tensorflow_keras_tf"] == ["MIG150", "MIG350"]
    assert fired["mlflow222_keras_via_tensorflow_tf"] == ["MIG150", "MIG350"]
    assert fired["mlflow222_tensorflow_keras_h5"] == ["MIG350"]
    for name in (
        "mlflow317_keras_keras",
        "mlflow317_keras_exported",
        "mlflow317_tensorflow_keras3_h5",
        "mlflow130_tensorflow_savedmodel",
        "mlflow222_keras_keras",
        "mlflow222_keras_exported",
        "mlflow222_tensorflow_keras_keras",
        "mlflow222_tensorflow_keras3_h5",
        "mlflow222_tensorflow_module",
    ):
        assert fired[name] == [], name


@pytest.mark.parametrize(
    ("name", "keras3", "tensorflow"),
    [
        # the Keras 3 loader: <pyfunc data>/<keras data>[/model] + .keras (none when exported)
        ("mlflow130_keras_h5", "data/data.keras", "data/model.h5"),
        ("mlflow130_keras_tf", "data/data.keras", "data/model"),
        ("mlflow09_keras_h5", "model.h5/model.h5.keras", "model.h5.h5"),
        # mlflow.tensorflow's loader on a Keras 3 flavor: no pyfunc data, no save_format.txt
        ("mlflow222_keras_keras", "data/model.keras", "model.h5"),
        ("mlflow222_keras_exported", "data/model", "model.h5"),
        ("mlflow222_tensorflow_keras_keras", None, "data/model.keras"),
        ("mlflow210_tensorflow_keras_h5", None, "data/model.h5"),
        ("mlflow222_tensorflow_module", None, None),
    ],
)
def test_where_each_loader_looks(
    corpus_report: dict[str, Artifact], name: str, keras3: str | None, tensorflow: str | None
) -> None:
    """As MLflow computes it (knowledge.mlflow), confirmed by the paths in the measured errors."""
    paths = corpus_report[name].details.get("loader_paths") or {}
    assert paths.get("mlflow.keras") == keras3
    assert paths.get("mlflow.tensorflow") == tensorflow


# --- loadability of the flavor loader -----------------------------------------------------------


def test_flavor_loader_cells_follow_the_loader_module(corpus_report: dict[str, Artifact]) -> None:
    def cell(name: str, line: str) -> dict[str, str]:
        return dict(corpus_report[name].loadability[f"{line}/mlflow.pyfunc.load_model"])

    # the Keras 3 flavor of MLflow >= 2.11 never finds a pre-2.11 keras flavor's model ...
    for line in ("2.16", "2.21"):
        assert cell("mlflow130_keras_h5", line)["verdict"] == "fails"
        assert "`data/data.keras`" in cell("mlflow130_keras_h5", line)["reason"]
    # ... but under Keras 2 `mlflow.keras` is mlflow.tensorflow, which reads the 1.x layout
    for line in ("2.12", "2.15"):
        assert cell("mlflow130_keras_h5", line)["verdict"] == "loads"
        assert cell("mlflow130_keras_tf", line)["verdict"] == "loads"
        # and looks for the 0.x root model.h5 as model.h5.h5, an exported Keras 3 one as model.h5
        assert "`model.h5.h5`" in cell("mlflow09_keras_h5", line)["reason"]
        assert cell("mlflow222_keras_exported", line)["verdict"] == "fails"
        assert "`model.h5`" in cell("mlflow222_keras_exported", line)["reason"]
    # mlflow.tensorflow + a model.save(dir) SavedModel: tf.keras loads it, Keras 3 needs tf_keras
    folder = "mlflow210_tensorflow_keras_tf"
    assert cell(folder, "2.15")["verdict"] == "loads"
    # ... but the pickled Keras 2.15 registry does not unpickle in Keras 3 (measured in tf221)
    assert (
        cell(folder, "2.21")["verdict"] == "fails"
        and "keras.src." in cell(folder, "2.21")["reason"]
    )
    assert cell("mlflow317_keras_keras", "2.21")["verdict"] == "loads"
    assert cell("mlflow317_keras_keras", "2.15")["verdict"] == "fails"
    assert cell("mlflow317_keras_exported", "2.16")["verdict"] == "loads"


def test_tensorflow_savedmodel_without_pickles_needs_legacy_keras(tmp_path: Path) -> None:
    folder = copy("mlflow210_tensorflow_keras_tf", tmp_path)
    (folder / "data" / "global_custom_objects.cloudpickle").unlink()
    (artifact,) = [a for a in audit([folder], judges=[judge]).artifacts if a.path == "."]
    cell = artifact.loadability["2.21/mlflow.pyfunc.load_model"]
    assert cell["verdict"] == "loads-with-changes" and "TF_USE_LEGACY_KERAS=1" in cell["reason"]


def test_folders_of_other_flavors_get_no_tensorflow_verdicts(tmp_path: Path) -> None:
    folder = tmp_path / "sk"
    folder.mkdir()
    (folder / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: "
        "model.pkl\n  sklearn:\n    pickled_model: model.pkl\n    sklearn_version: 1.5.0\n"
        "mlflow_version: 2.16.0\n"
    )
    (artifact,) = audit([folder]).artifacts
    assert artifact.format == "mlflow-model" and not artifact.errors
    assert artifact.details["flavors"] == ["python_function", "sklearn"]
    assert artifact.details["model_flavor"] is None
    assert artifact.details["flavor_settings"]["sklearn"]["sklearn_version"] == "1.5.0"
    with pytest.raises(NotJudged):
        predict(artifact)
    assert judge(artifact).loadability == {}


# --- environment files ---------------------------------------------------------------------------


def test_conda_and_python_env_pins(tmp_path: Path) -> None:
    folder = copy("mlflow317_keras_keras", tmp_path)
    (folder / "requirements.txt").unlink()
    (folder / "conda.yaml").write_text(
        "dependencies:\n- python=3.8.10\n- tensorflow=2.4.1\n- pip<=23\n- pip:\n"
        "  - keras>=2.4,<2.5  # a comment\n  - mlflow-skinny==1.14.1\n"
    )
    (folder / "python_env.yaml").write_text("python: 3.8.10\ndependencies: [-r requirements.txt]\n")
    mlmodel = (folder / "MLmodel").read_text().replace("    python_version: 3.11.7\n", "")
    (folder / "MLmodel").write_text(mlmodel)
    (artifact,) = [a for a in audit([folder]).artifacts if a.path == "."]
    assert artifact.details["python_version"] == "3.8.10"
    assert artifact.details["pins"] == {
        "conda.yaml": {"tensorflow": "==2.4.1", "keras": ">=2.4,<2.5", "mlflow-skinny": "==1.14.1"}
    }
    assert "tensorflow_version" not in artifact.producer  # only requirements.txt pins count


def test_mlmodel_given_on_its_own_stands_for_its_folder() -> None:
    (artifact,) = audit([CORPUS / "mlflow317_keras_keras" / "MLmodel"]).artifacts
    assert artifact.format == "mlflow-model" and artifact.details["model_format"] == "keras-v3"


# --- bad and hostile MLmodel files ---------------------------------------------------------------

BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "flavors: {keras: {data: data}}\nz: *i\n"
)

HOSTILE = {
    "bomb": (BOMB, "alias bomb"),
    "python_tag": (
        "flavors: !!python/object/apply:os.system ['true']\n",
        "construct Python objects",
    ),
    "not_yaml": ("flavors: [unclosed\n", "not valid YAML"),
    "no_flavors": ("mlflow_version: 2.0.0\n", "no `flavors` mapping"),
    "flavors_list": ("flavors: [keras, tensorflow]\n", "no `flavors` mapping"),
    "flavor_scalar": ("flavors: {keras: 3}\n", "settings mapping"),
    "version_list": (
        "flavors: {keras: {data: data, keras_version: [3, 1]}}\n",
        "keras_version is a list",
    ),
    "exported_text": (
        "flavors: {keras: {data: data, save_exported_model: 'yes'}}\n",
        "not true or false",
    ),
    "missing_data": ("flavors: {keras: {data: nowhere}}\n", "'nowhere', which is missing"),
    "data_traversal": ("flavors: {keras: {data: ../../etc}}\n", "outside the model folder"),
    "data_absolute": ("flavors: {keras: {data: /etc}}\n", "outside the model folder"),
    "saved_model_dir_traversal": (
        "flavors: {tensorflow: {saved_model_dir: ../x, model_type: tf2-module}}\n",
        "outside the model folder",
    ),
    "artifact_path_traversal": (
        "artifact_path: ../../../other-run\nflavors: {python_function: {loader_module: m}}\n",
        "outside the model folder",
    ),
    "artifact_uri_traversal": (
        "artifact_path: mlflow-artifacts:/0/../../../secrets\n"
        "flavors: {python_function: {loader_module: m}}\n",
        "outside the model folder",
    ),
    "env_traversal": (
        "flavors: {python_function: {loader_module: m, env: {conda: ../../conda.yaml}}}\n",
        "outside the model folder",
    ),
    "not_utf8": ("flavors: {keras: {data: \udcff}}\n", "not UTF-8"),
}


def write_hostile(folder: Path, text: str) -> None:
    folder.mkdir(parents=True)
    (folder / "MLmodel").write_bytes(text.encode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_mlmodel_is_one_error_line_naming_the_file(tmp_path: Path, case: str) -> None:
    text, expected = HOSTILE[case]
    write_hostile(tmp_path / case, text)
    (artifact,) = audit([tmp_path / case]).artifacts
    assert artifact.format == "mlflow-model"
    (line,) = artifact.errors
    assert expected in line and "MLmodel" in line and "\n" not in line


def test_mlflow3_artifact_uri_in_artifact_path_is_no_traversal(tmp_path: Path) -> None:
    """MLflow 3 records where a logged model lives as an artifact URI (measured with the
    tracking server of tests/test_mlflow_registry.py): a URI, not a path of this folder."""
    folder = copy("mlflow317_keras_keras", tmp_path)
    text = (folder / "MLmodel").read_text()
    uri = "mlflow-artifacts:/0/models/m-e07d123a81e041adbf68bc5ff77550a0/artifacts"
    (folder / "MLmodel").write_text(f"artifact_path: {uri}\n{text}")
    (artifact,) = [a for a in audit([folder]).artifacts if a.path == "."]
    assert not artifact.errors and artifact.details["artifact_path"] == uri


def test_symlinked_data_leading_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "model.keras").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {keras: {data: data}}\n")
    os.symlink(outside, folder / "data")
    report = audit([folder])
    (mlflow,) = [a for a in report.artifacts if a.format == "mlflow-model"]
    assert "through a symlink" in mlflow.errors[0]


def test_oversized_mlmodel_is_refused_without_parsing(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n" + "#" * (5 * 2**20))
    (artifact,) = audit([folder]).artifacts
    assert "MB" in artifact.errors[0] and "more than" in artifact.errors[0]


def test_a_batch_with_hostile_folders_reports_the_rest_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for case in ("bomb", "data_traversal", "python_tag"):
        write_hostile(tmp_path / case, HOSTILE[case][0])
    copy("mlflow317_keras_keras", tmp_path, "good")
    out = tmp_path / "report.json"
    code = main(["audit", str(tmp_path), "--format", "json", "-o", str(out)])
    report = json.loads(out.read_text())
    err = capsys.readouterr().err
    assert code == 2
    paths = {a["path"]: a for a in report["artifacts"]}
    assert paths["good"]["format"] == "mlflow-model" and not paths["good"]["errors"]
    assert paths["good/data/model.keras"]["format"] == "keras-v3"
    for case in ("bomb", "data_traversal", "python_tag"):
        assert len(paths[case]["errors"]) == 1
    assert "Traceback" not in err
    assert all(line.startswith("migrator: ") for line in err.strip().splitlines())


def test_source_folder_is_never_modified(tmp_path: Path) -> None:
    folder = copy("mlflow210_tensorflow_keras_tf", tmp_path)
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    audit([folder], judges=[judge])
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before


# --- registry URIs without the extra -------------------------------------------------------------


def test_registry_uri_without_mlflow_names_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if `migrator[mlflow]` were absent
    monkeypatch.setitem(sys.modules, "mlflow.artifacts", None)
    assert main(["audit", "models:/fraud/3", "runs:/0a1b/model"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    for uri, line in zip(("models:/fraud/3", "runs:/0a1b/model"), lines, strict=True):
        assert line.startswith(f"migrator: {uri}: ") and "pip install 'migrator[mlflow]'" in line


# --- conversion plan (the conversion itself: tests/test_mlflow_tf.py) ----------------------------


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        ("mlflow130_keras_h5", ["h5-to-keras", "keras-to-mlflow"]),
        ("mlflow130_keras_tf", ["savedmodel-to-keras", "keras-to-mlflow"]),
        ("mlflow210_tensorflow_keras_tf", ["savedmodel-to-keras", "keras-to-mlflow"]),
        ("mlflow317_tensorflow_keras_keras", ["keras-to-mlflow"]),
    ],
)
def test_mlflow_folders_convert_through_their_model_and_back(
    readings: dict[str, Artifact], name: str, steps: list[str]
) -> None:
    from migrator.convert import Options, default_targets
    from migrator.convert.classify import classify
    from migrator.convert.converter import model_dir
    from migrator.convert.plan import plan  # the function (the package's `plan` can be the module)

    source = classify(readings[name], Options())
    assert default_targets(source) == ("mlflow",)
    assert [s.name for s in plan(source, "mlflow")] == steps
    assert source.location == CORPUS / name / readings[name].details["model_path"]
    assert model_dir(source, single=True) == name  # published under the folder's name


def test_current_and_non_keras_folders_are_skipped_with_the_reason(
    readings: dict[str, Artifact],
) -> None:
    from migrator.convert import Options
    from migrator.convert.classify import classify
    from migrator.convert.plan import plan  # the function (the package's `plan` can be the module)
    from migrator.errors import AlreadyCurrent, NoConversionPath

    for name in ("mlflow317_keras_keras", "mlflow317_keras_exported"):
        with pytest.raises(AlreadyCurrent):
            plan(classify(readings[name], Options()), "mlflow")
    with pytest.raises(NoConversionPath, match="holds no Keras model"):
        plan(classify(readings["mlflow210_tensorflow_module"], Options()), "mlflow")
    # ... whose SavedModel converts on its own, as any SavedModel
    module = classify(readings["mlflow210_tensorflow_module/tf2model"], Options())
    assert module.kinds and module.format == "saved-model"


def test_the_model_of_a_folder_in_the_tree_is_not_converted_twice(
    readings: dict[str, Artifact],
) -> None:
    from migrator.convert import Options
    from migrator.convert.classify import classify
    from migrator.convert.plan import plan  # the function (the package's `plan` can be the module)
    from migrator.errors import NoConversionPath

    inner = classify(readings["mlflow130_keras_h5/data/model.h5"], Options())
    with pytest.raises(NoConversionPath, match="handled with its MLflow folder"):
        plan(inner, "keras")
    # given on its own (or from a tree inside the folder), the model converts as asked
    (alone,) = audit([CORPUS / "mlflow130_keras_h5" / "data" / "model.h5"]).artifacts
    assert classify(alone, Options()).kinds == ("keras-h5",)


def test_pickled_keras2_modules_follow_the_keras2_src_tree(tmp_path: Path) -> None:
    """tf.keras 2.13-2.15 share one keras/src tree: a 2.15 pickle naming a module 2.15 added
    fails in 2.13, one naming an older module does not (knowledge.mlflow.KERAS2_SRC_MODULES_ADDED)."""
    from migrator.loadability import predict_cells
    from migrator.loadability.runtimes import EXTENDED

    runtimes = [r for r in EXTENDED if r.label in ("tf212", "tf213", "tf215")]

    def cells(module: str) -> dict[str, str]:
        folder = tmp_path / module.rsplit(".", 1)[-1]
        shutil.copytree(CORPUS / "mlflow210_tensorflow_keras_h5", folder)
        pickle = b"\x80\x02c" + module.encode() + b"\nThing\nq\x00."  # GLOBAL, as cloudpickle
        (folder / "data" / "global_custom_objects.cloudpickle").write_bytes(pickle)
        (artifact,) = [a for a in audit([folder]).artifacts if a.path == "."]
        assert artifact.details["pickled_files"][0]["imports"] == [f"{module}.Thing"]
        return {k.split("/")[0]: c.verdict for k, c in predict_cells(artifact, runtimes).items()}

    assert cells("keras.src.utils.steps_per_execution_tuning") == {
        "tf212": "fails",
        "tf213": "fails",
        "tf215": "loads",
    }
    assert cells("keras.src.optimizers.adam") == {
        "tf212": "fails",
        "tf213": "loads",
        "tf215": "loads",
    }
