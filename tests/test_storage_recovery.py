"""What a killed publish leaves in a store is removed by the next publish, and only that.

fsspec's in-memory filesystem stands in for the store (a real driver, the same calls s3fs
answers); the leftovers are laid out exactly as a publish killed between its claim and its
`metadata.json` leaves them, with writers that are really dead (a process that has exited),
really alive (one that still runs) or on another host. A real SIGKILL of `migrator convert`
mid-publish over S3's HTTP API: tests/test_storage_s3_convert.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

fsspec = pytest.importorskip("fsspec", reason="fsspec is installed by the test extra")

from migrator.convert import Options  # noqa: E402
from migrator.convert.command import render_status  # noqa: E402
from migrator.convert.ledger import Ledger  # noqa: E402
from migrator.storage import location, publish, recovery  # noqa: E402
from migrator.storage.convert import ledger_folder  # noqa: E402


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MIGRATOR_STORE_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def _local_version(tmp_path: Path, sha: str) -> Path:
    folder = tmp_path / f"local-{sha}"
    folder.mkdir()
    (folder / "model.keras").write_bytes(sha.encode() * 10)
    meta = {"source": {"sha256": sha, "path": "/staged"}, "files": []}
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def _killed_publish(
    bucket: str, version: str, writer: dict[str, object], *, complete: bool = False
) -> str:
    """The keys a publish killed after copying its payload (or after its metadata.json) left."""
    store = fsspec.filesystem("memory")
    name = f"{int(float(str(writer['created'])))}-{writer['host']}-{writer['pid']}-{'a' * 32}"
    staging = f"/{bucket}/out/.migrator-staging/{name}"
    store.pipe_file(f"{staging}/model.keras", b"payload")
    store.pipe_file(f"{staging}/.migrator-target", f"m/keras/{version}".encode())
    claim = {**writer, "staging": name}
    store.pipe_file(f"/{bucket}/out/m/keras/{version}/.migrator-claim", json.dumps(claim).encode())
    store.pipe_file(f"/{bucket}/out/m/keras/{version}/model.keras", b"payload")
    if complete:
        store.pipe_file(f"/{bucket}/out/m/keras/{version}/metadata.json", b'{"source": {}}')
    return staging


def _keys(bucket: str) -> list[str]:
    return sorted(fsspec.filesystem("memory").find(f"/{bucket}/out"))


def _writer(pid: int, age: float = 5, host: str | None = None) -> dict[str, object]:
    return {"host": host or recovery.host_id(), "pid": pid, "created": time.time() - age}


def _publish_after_kill(
    tmp_path: Path, bucket: str, writer: dict[str, object], model: str = "m", **kw: bool
) -> str:
    """Lay out a killed publish's leftovers in v1 (or v3 for model "other"), publish a new
    version of `model`; returns the URL of the version published."""
    _killed_publish(bucket, "v3" if model == "other" else "v1", writer, **kw)
    out = location(f"memory://{bucket}/out")
    local = _local_version(tmp_path, "s1")
    return str(publish.publish_version(local, out, model, "keras", "s3://a"))


def test_a_dead_writers_unfinished_version_is_removed_and_its_number_reused(
    tmp_path: Path, dead_pid: int
) -> None:
    bucket = f"rec-dead-{tmp_path.name}"
    version = _publish_after_kill(tmp_path, bucket, _writer(dead_pid))
    assert version.endswith("/m/keras/v1")  # the number the killed publish held
    out = location(f"memory://{bucket}/out")
    assert _keys(bucket) == [
        f"/{bucket}/out/m/keras/v1/metadata.json",
        f"/{bucket}/out/m/keras/v1/model.keras",
    ]  # no claim, no staging keys, nothing of the dead writer's
    body = fsspec.filesystem("memory").cat_file(f"/{bucket}/out/m/keras/v1/model.keras")
    assert body == b"s1" * 10
    with Ledger(ledger_folder(out), Options()):
        pass  # --status needs a ledger, as after any conversion into OUT
    status = render_status(ledger_folder(out), as_json=False)
    cleaned = [line for line in status.splitlines() if line.startswith("  cleaned")]
    assert len(cleaned) == 2
    assert "m/keras/v1: removed an unfinished version (2 key(s)" in status
    assert f"(process {dead_pid} on this machine)" in status
    assert ".migrator-staging/" in status and "removed the temporary upload" in status
    data = json.loads(render_status(ledger_folder(out), as_json=True))
    assert {r["what"] for r in data["cleaned"]} == {"unfinished version", "upload"}


def test_a_live_writers_claim_is_left_alone(tmp_path: Path, live_pid: int) -> None:
    bucket = f"rec-live-{tmp_path.name}"
    version = _publish_after_kill(tmp_path, bucket, _writer(live_pid, age=0))
    assert version.endswith("/m/keras/v2")  # v1 is being written by someone else
    keys = _keys(bucket)
    assert f"/{bucket}/out/m/keras/v1/.migrator-claim" in keys
    assert [k for k in keys if "/.migrator-staging/" in k and k.endswith("/model.keras")]


def test_a_pid_reused_by_a_later_process_is_not_the_writer(tmp_path: Path, live_pid: int) -> None:
    bucket = f"rec-reuse-{tmp_path.name}"
    # claimed an hour ago: before the process that has that pid now started
    version = _publish_after_kill(tmp_path, bucket, _writer(live_pid, age=3600))
    assert version.endswith("/m/keras/v1")


@pytest.mark.parametrize(("age", "removed"), [(60, False), (2 * recovery.STALE, True)])
def test_another_hosts_writer_is_judged_by_age(tmp_path: Path, age: float, removed: bool) -> None:
    bucket = f"rec-host-{int(removed)}-{tmp_path.name}"
    version = _publish_after_kill(tmp_path, bucket, _writer(4242, age, host="0123456789ab"))
    assert version.endswith("/m/keras/v1" if removed else "/m/keras/v2")


def test_a_finished_version_keeps_everything_but_the_dead_claim(
    tmp_path: Path, dead_pid: int
) -> None:
    bucket = f"rec-done-{tmp_path.name}"
    version = _publish_after_kill(tmp_path, bucket, _writer(dead_pid), complete=True)
    assert version.endswith("/m/keras/v2")
    keys = _keys(bucket)
    assert f"/{bucket}/out/m/keras/v1/metadata.json" in keys
    assert f"/{bucket}/out/m/keras/v1/model.keras" in keys
    assert not [k for k in keys if ".migrator-" in k]


def test_a_publish_into_another_model_cleans_the_dead_upload_and_its_version(
    tmp_path: Path, dead_pid: int
) -> None:
    bucket = f"rec-other-{tmp_path.name}"
    _publish_after_kill(tmp_path, bucket, _writer(dead_pid), model="other")
    assert not [k for k in _keys(bucket) if "/m/keras/" in k or ".migrator-" in k]
