"""The `mlflow.pyfunc.load_model` cells of TF 2.21, measured: every folder of `corpus/mlflow/` (written
by MLflow 1.30.1, 2.10.2 and 3.17.2) loaded with the real mlflow of tox -e tf221, in fresh
processes, and compared with what `migrator.loadability` predicts from the bytes.

`loads` must load as is; `loads-with-changes` naming TF_USE_LEGACY_KERAS must fail without it
and load with it; `fails` must fail both ways.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.loadability import judge

pytestmark = [pytest.mark.tf, pytest.mark.latest]

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mlflow"
FOLDERS = sorted(p.name for p in CORPUS.iterdir() if (p / "MLmodel").is_file())
# One process per TF_USE_LEGACY_KERAS setting (TensorFlow reads it at import) loads every folder
# given, each in its own try, and prints one JSON line per folder: what serving would see.
LOAD = """
import json, sys, mlflow.pyfunc
for path in sys.argv[1:]:
    try:
        mlflow.pyfunc.load_model(path)
        print(json.dumps([path, True, ""]), flush=True)
    except Exception as exc:
        print(json.dumps([path, False, f"{type(exc).__name__}: {exc}"[:300]]), flush=True)
"""


def _need_mlflow() -> None:
    """tox -e tf221 installs mlflow; elsewhere skip, but never in CI (a missing dep is a bug)."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("mlflow is missing from the tf221 env (tox.ini deps)")
        pytest.skip("mlflow is not installed in this env")


def _load_all(folders: list[Path], legacy: bool) -> dict[str, tuple[bool, str]]:
    """{folder: (loaded, why not)} from one fresh process with TF_USE_LEGACY_KERAS as given."""
    _need_mlflow()
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1" if legacy else "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", LOAD, *map(str, folders)],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    out = {}
    for line in done.stdout.splitlines():
        if line.startswith("["):
            path, ok, why = json.loads(line)
            out[path] = (ok, why)
    assert set(out) == {str(f) for f in folders}, done.stderr[-2000:]
    return out


def _loads(folder: Path, legacy: bool) -> tuple[bool, str]:
    return _load_all([folder], legacy)[str(folder)]


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each corpus folder (copied: the corpus stays untouched), its predicted 2.21 cell and what
    the real mlflow did without and with TF_USE_LEGACY_KERAS."""
    root = tmp_path_factory.mktemp("measured")
    folders = []
    for name in FOLDERS:
        shutil.copytree(CORPUS / name, root / name)
        folders.append(root / name)
    plain, legacy = _load_all(folders, False), _load_all(folders, True)
    out = {}
    for folder in folders:
        (artifact,) = [a for a in audit([folder], judges=[judge]).artifacts if a.path == "."]
        out[folder.name] = {
            "cell": artifact.loadability["2.21/mlflow.pyfunc.load_model"],
            "plain": plain[str(folder)],
            "legacy": legacy[str(folder)],
        }
    return out


@pytest.mark.parametrize("name", FOLDERS)
def test_pyfunc_cell_of_tf221_matches_the_real_mlflow(name: str, measured: dict) -> None:
    cell = measured[name]["cell"]
    (plain, why), (legacy, why_legacy) = measured[name]["plain"], measured[name]["legacy"]
    if cell["verdict"] == "loads":
        assert plain, (name, why)
    elif cell["verdict"] == "loads-with-changes":
        assert "TF_USE_LEGACY_KERAS=1" in cell["reason"]
        assert not plain and legacy, (name, why, why_legacy)
    else:
        assert not plain and not legacy, (name, cell["reason"])


def test_legacy_keras_change_is_real(tmp_path: Path) -> None:
    """The one `loads-with-changes` path: an MLflow 2.10 SavedModel folder without its pickle."""
    folder = tmp_path / "m"
    shutil.copytree(CORPUS / "mlflow210_tensorflow_keras_tf", folder)
    (folder / "data" / "global_custom_objects.cloudpickle").unlink()
    (artifact,) = [a for a in audit([folder], judges=[judge]).artifacts if a.path == "."]
    assert artifact.loadability["2.21/mlflow.pyfunc.load_model"]["verdict"] == "loads-with-changes"
    assert not _loads(folder, legacy=False)[0]
    assert _loads(folder, legacy=True)[0]


# --- convert: a current MLflow folder, validated with mlflow.pyfunc.load_model ------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory):
    """The MLflow 1.30 / 2.10 Keras folders converted as a tree, as a user would."""
    from migrator.convert import Options
    from migrator.convert.pipeline import convert_path
    from migrator.convert.publish import sha256_tree

    _need_mlflow()
    tree = tmp_path_factory.mktemp("store")
    for name in ("mlflow130_keras_h5", "mlflow130_keras_tf", "mlflow210_tensorflow_keras_tf"):
        shutil.copytree(CORPUS / name, tree / name)
    before = sha256_tree(tree)
    out = tmp_path_factory.mktemp("out")
    report = convert_path(tree, out, Options())
    return tree, out, report, before, sha256_tree(tree)


def test_mlflow_folders_become_current_folders_that_pyfunc_loads(converted) -> None:
    tree, out, report, before, after = converted
    assert before == after  # the source is never modified
    outcomes = {o.path: o for o in report.outcomes}
    for name in ("mlflow130_keras_h5", "mlflow130_keras_tf", "mlflow210_tensorflow_keras_tf"):
        outcome = outcomes[name]
        assert outcome.status == "converted", (name, outcome.reason)
        version = out / name / "mlflow" / "v1"
        assert [o["path"] for o in outcome.outputs] == [str(version)]
        (folder, model) = [
            a
            for a in audit([version], judges=[judge]).artifacts
            if a.path in (".", "data/model.keras")
        ]
        assert folder.details["layout"] == "keras3-flavor" and model.format == "keras-v3"
        assert (
            folder.details["pickled_files"] == []
            and "mlflow.pyfunc.load_model"
            in (json.loads((version / "metadata.json").read_text())["validation"]["output_run"])
        )
        assert folder.loadability["2.21/mlflow.pyfunc.load_model"]["verdict"] == "loads"
        assert _loads(version, legacy=False)[0], name  # a fresh process, as serving loads it
        # the model inside was converted with its folder, not a second time on its own
        inner = outcomes[f"{name}/{folder_model(tree / name)}"]
        assert inner.status == "skipped" and "MLflow folder" in inner.reason


def folder_model(folder: Path) -> str:
    (artifact,) = [a for a in audit([folder]).artifacts if a.path == "."]
    return str(artifact.details["model_path"])


def test_converting_again_never_overwrites(converted, tmp_path: Path) -> None:
    from migrator.convert import Options
    from migrator.convert.pipeline import convert_path

    tree, out, _, _, _ = converted
    again = {o.path: o for o in convert_path(tree, out, Options()).outcomes}
    assert again["mlflow130_keras_h5"].status == "skipped"
    assert "already converted" in again["mlflow130_keras_h5"].reason
    assert sorted(p.name for p in (out / "mlflow130_keras_h5" / "mlflow").iterdir()) == ["v1"]


# --- the committed folders are what this env's real MLflow writes --------------------------------

# What a folder's reading says about MLflow's layout; ids, times and sizes vary between writes.
LAYOUT_FIELDS = (
    "flavors", "model_flavor", "loader_module", "mlflow_version", "keras_version", "keras_backend",
    "keras_module", "save_format", "save_exported_model", "model_type", "saved_model_dir",
    "model_path", "model_format", "layout", "loader_paths", "environment_files", "signature",
)  # fmt: skip


def test_this_mlflow_writes_what_the_corpus_holds(tmp_path: Path) -> None:
    """`corpus/mlflow_models.py` run with tox's real MLflow writes, call by call, folders that
    read exactly as the committed ones of that MLflow line (else the corpus is stale)."""
    _need_mlflow()
    import mlflow

    done = subprocess.run(
        [sys.executable, str(CORPUS.parent / "mlflow_models.py"), str(tmp_path)],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    written = json.loads((tmp_path / "manifest.json").read_text())
    tag = "mlflow" + "".join(mlflow.__version__.split(".")[:2])
    assert written and all(name.startswith(tag) for name in written)
    committed = json.loads((CORPUS / "manifest.json").read_text())
    for name in written:
        if name not in committed:
            pytest.fail(f"{name}: this MLflow writes a folder the corpus lacks; regenerate it")
        fresh, kept = (
            next(a for a in audit([root / name]).artifacts if a.path == ".")
            for root in (tmp_path, CORPUS)
        )
        assert not fresh.errors, (name, fresh.errors)
        for field in LAYOUT_FIELDS:
            assert fresh.details.get(field) == kept.details.get(field), (name, field)
