"""The `mlflow.pyfunc.load_model` cells of TF 2.21, measured: every folder of `corpus/mlflow/` (written
by MLflow 1.30.1, 2.10.2 and 3.17.2) loaded with the real mlflow of tox -e tf221, each in a fresh
process, and compared with what `migrator.loadability` predicts from the bytes.

`loads` must load as is; `loads-with-changes` naming TF_USE_LEGACY_KERAS must fail without it
and load with it; `fails` must fail both ways.
"""

from __future__ import annotations

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
LOAD = "import sys, mlflow.pyfunc\nmlflow.pyfunc.load_model(sys.argv[1])\nprint('loaded')\n"


def _loads(folder: Path, legacy: bool) -> tuple[bool, str]:
    pytest.importorskip("mlflow")
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1" if legacy else "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(folder)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    last = (done.stderr.strip().splitlines() or [""])[-1]
    return done.returncode == 0 and "loaded" in done.stdout, last


@pytest.mark.parametrize("name", FOLDERS)
def test_pyfunc_cell_of_tf221_matches_the_real_mlflow(name: str, tmp_path: Path) -> None:
    folder = tmp_path / name  # mlflow may write next to the model; the corpus stays untouched
    shutil.copytree(CORPUS / name, folder)
    (artifact,) = [a for a in audit([folder], judges=[judge]).artifacts if a.path == "."]
    cell = artifact.loadability["2.21/mlflow.pyfunc.load_model"]
    plain, why = _loads(folder, legacy=False)
    if cell["verdict"] == "loads":
        assert plain, (name, why)
    elif cell["verdict"] == "loads-with-changes":
        assert "TF_USE_LEGACY_KERAS=1" in cell["reason"]
        legacy, why_legacy = _loads(folder, legacy=True)
        assert not plain and legacy, (name, why, why_legacy)
    else:
        assert not plain, (name, cell["reason"])
        assert not _loads(folder, legacy=True)[0], name


def test_legacy_keras_change_is_real(tmp_path: Path) -> None:
    """The one `loads-with-changes` path: an MLflow 2.10 SavedModel folder without its pickle."""
    folder = tmp_path / "m"
    shutil.copytree(CORPUS / "mlflow210_tensorflow_keras_tf", folder)
    (folder / "data" / "global_custom_objects.cloudpickle").unlink()
    (artifact,) = [a for a in audit([folder], judges=[judge]).artifacts if a.path == "."]
    assert artifact.loadability["2.21/mlflow.pyfunc.load_model"]["verdict"] == "loads-with-changes"
    assert not _loads(folder, legacy=False)[0]
    assert _loads(folder, legacy=True)[0]
