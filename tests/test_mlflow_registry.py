"""`migrator audit models:/NAME[/VERSION]` and `runs:/RUN_ID/path` against a real MLflow tracking
server (SQLite backend, local artifact store) that this module's fixture starts and stops.

The models in the registry are logged by the real mlflow package: a Keras 3 model through
`mlflow.keras.log_model`, and the MLflow 1.30 folder of `corpus/mlflow/` logged as the artifacts
of a run, as a store migrated from an old MLflow holds it. Runs in tox -e tf221, the env with
mlflow and TensorFlow; in CI a server that cannot start fails the tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.cli import main

pytestmark = [pytest.mark.tf, pytest.mark.latest]

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mlflow"
START_SECONDS = 240  # the first start runs every SQLite migration; on 2 busy cores ~60 s


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the MLflow tracking server is needed in CI: {why}")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local `mlflow server` (SQLite backend store, artifacts under a temp folder)."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        _unavailable("mlflow is not installed in this env")
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination", str(root / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (root / "server.log").read_text(errors="replace")[-600:]
                _unavailable(f"mlflow server did not start on {url}: {tail}")
            time.sleep(1)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@pytest.fixture(scope="module")
def registry(server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Registered models: `legacy-keras` (two versions of the MLflow 1.30 folder), `keras3` (a
    Keras 3 model logged by mlflow.keras); and the run id of the first legacy version."""
    import keras
    import mlflow
    import numpy as np

    mlflow.set_tracking_uri(server)
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "1"
    ids: dict[str, str] = {}
    for _ in range(2):
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(CORPUS / "mlflow130_keras_tf"), artifact_path="model")
        mlflow.register_model(f"runs:/{run.info.run_id}/model", "legacy-keras")
        ids.setdefault("legacy_run", run.info.run_id)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.predict(np.ones((1, 3), dtype="float32"), verbose=0)
    with mlflow.start_run():
        info = mlflow.keras.log_model(
            model, name="model", registered_model_name="keras3", pip_requirements=["keras"]
        )
    ids["logged_model"] = info.model_uri  # MLflow 3: models:/m-<id>, a logged model
    return ids


def audit_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracking: str, *uris: str
) -> tuple[int, dict[str, dict], str]:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking)
    out = tmp_path / "report.json"
    code = main(["audit", *uris, "--format", "json", "-o", str(out)])
    report = json.loads(out.read_text())
    return code, {a["path"]: a for a in report["artifacts"]}, json.dumps(report["errors"])


def test_registered_version_is_audited_and_named_by_its_uri(
    registry: dict[str, str],
    server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, paths, _ = audit_json(tmp_path, monkeypatch, server, "models:/legacy-keras/1")
    folder = paths["models:/legacy-keras/1"]
    assert folder["format"] == "mlflow-model" and folder["details"]["mlflow_version"] == "1.30.1"
    assert paths["models:/legacy-keras/1/data/model"]["format"] == "saved-model"
    assert "MIG150" in {f["rule"] for f in folder["findings"]}
    assert code == 0


def test_name_without_version_is_its_newest_version(
    registry: dict[str, str], server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, paths, _ = audit_json(
        tmp_path, monkeypatch, server, "models:/legacy-keras", "models:/keras3"
    )
    assert paths["models:/legacy-keras/2"]["format"] == "mlflow-model"
    keras3 = paths["models:/keras3/1"]
    assert keras3["details"]["layout"] == "keras3-flavor" and keras3["findings"] == []
    assert keras3["loadability"]["2.21/mlflow.pyfunc.load_model"]["verdict"] == "loads"
    assert paths["models:/keras3/1/data/model.keras"]["format"] == "keras-v3"


def test_logged_model_uri(
    registry: dict[str, str], server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = registry["logged_model"]
    assert uri.startswith("models:/m-")
    _, paths, _ = audit_json(tmp_path, monkeypatch, server, uri)
    assert paths[uri]["format"] == "mlflow-model"
    assert paths[uri]["details"]["layout"] == "keras3-flavor"


def test_run_uri(
    registry: dict[str, str], server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = registry["legacy_run"]
    _, paths, _ = audit_json(tmp_path, monkeypatch, server, f"runs:/{run}/model")
    assert paths[f"runs:/{run}/model"]["format"] == "mlflow-model"


@pytest.mark.parametrize("uri", ["models:/no-such-model/1", "models:/legacy-keras/99"])
def test_unknown_model_or_version_is_one_line_and_exit_2(
    registry: dict[str, str],
    server: str,
    uri: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    code = main(["audit", uri, str(CORPUS / "mlflow317_keras_keras"), "--format", "concise"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    (line,) = [e for e in err if uri in e]
    assert line.startswith(f"migrator: {uri}: ") and "check the name" in line


def test_unreachable_server_is_one_line_and_quick() -> None:
    """In a fresh process, as a user runs it (this one has set MLflow's tracking URI above)."""
    pytest.importorskip("mlflow")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{_free_port()}"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "audit", "models:/anything/1"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "cannot reach the tracking server" in line and "MLFLOW_TRACKING_URI" in line
    assert time.monotonic() - started < 120


def test_temporary_downloads_are_removed_at_exit(server: str, registry: dict[str, str]) -> None:
    env = {**os.environ, "MLFLOW_TRACKING_URI": server, "MIGRATOR_JOBS": "0"}
    before = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("migrator-mlflow-*"))
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "audit", "models:/keras3/1", "--format", "concise"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("migrator-mlflow-*"))
    assert after <= before
