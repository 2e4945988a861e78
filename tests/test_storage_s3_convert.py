"""Conversion out of and into S3 over HTTP (moto on loopback behind the counting proxy of
tests/s3_server.py), with real TensorFlow runtimes: what is downloaded, and what a publish killed
by SIGKILL leaves for the rerun. Runs in `tox -e stores`, which points MIGRATOR_RUNTIME_* at the
tox TF envs; outside CI it skips when those or moto are missing, in CI it fails instead.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests import test_storage_s3
from tests.test_storage_s3 import CORPUS, ROOT, _etags, _migrator, _runtimes, _seed

pytestmark = pytest.mark.stores
s3 = test_storage_s3.s3  # the same S3 server fixture (a server of this module's own)

SEQUENTIAL = CORPUS / "tf215" / "keras" / "sequential"
LAZY = {  # prefix under the source -> (corpus folder, what the conversion must do with it)
    "current": (CORPUS / "tf221" / "keras" / "sequential" / "save-keras", "skipped"),
    "lambda": (CORPUS / "tf215" / "keras" / "lambda" / "save-h5", "failed"),
    "custom": (CORPUS / "tf215" / "keras" / "custom" / "save-keras", "skipped"),
    "legacy": (SEQUENTIAL / "save-h5", "converted"),
}


def _keys(s3: Any, prefix: str) -> list[str]:
    return sorted(_etags(s3, prefix))


def test_only_the_converted_source_is_downloaded_and_no_copy_stays(s3: Any, tmp_path: Path) -> None:
    _runtimes()
    for name, (folder, _) in LAZY.items():
        _seed(s3, f"lazy/{name}", folder)
    sources = _etags(s3, "lazy/")
    cache = tmp_path / "cache"
    env = {"MIGRATOR_STORE_CACHE": str(cache)}
    s3.counts.reset()
    audit = _migrator("audit", "s3://models/lazy", "--format", "json", env=env)
    assert audit.returncode in (0, 1), audit.stderr
    audited = {k: s3.counts.bytes[f"models/{k}"] for k in sources}
    assert not s3.counts.whole  # the audit reads ranges, never a whole object

    s3.counts.reset()
    result = _migrator(
        "convert", "s3://models/lazy", "-o", "s3://models/lazy-out", "--json", "--jobs", "2",
        env=env,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr  # the Lambda model is refused: a failure
    report = json.loads(result.stdout)
    status = {o["path"]: s for s in ("converted", "skipped", "failed") for o in report[s]}
    for name, (_, expected) in LAZY.items():
        objects = [k for k in sources if k.startswith(f"lazy/{name}/")]
        assert objects and all(status[k.removeprefix("lazy/")] == expected for k in objects)
        downloads = sum(s3.counts.whole[f"models/{k}"] for k in objects)
        if expected == "converted":
            assert downloads == 1  # fetched once, right before its conversion
        else:  # never downloaded: what the reads moved is what the audit moves
            assert downloads == 0, (name, s3.counts.whole)
            assert sum(s3.counts.bytes[f"models/{k}"] for k in objects) <= sum(
                audited[k] for k in objects
            )
    assert not [p for p in cache.rglob("*") if p.is_file() and "src" in p.parts]
    assert not list((cache / "src").iterdir())  # the run's staging folder is gone
    kept = [p.name for p in (cache / "out").rglob("*") if p.is_file()]
    assert kept and all(n.startswith(".migrator-ledger.sqlite") for n in kept)  # no versions
    assert _etags(s3, "lazy/") == sources

    s3.counts.reset()  # a rerun: the ledger knows every source from the store's listing
    again = _migrator("convert", "s3://models/lazy", "-o", "s3://models/lazy-out", env=env)
    assert again.returncode == 2, again.stderr  # the Lambda refusal again, nothing else
    assert not s3.counts.whole


def test_a_publish_killed_midway_is_cleaned_and_completed_once_by_the_rerun(
    s3: Any, tmp_path: Path
) -> None:
    _runtimes()
    _seed(s3, "killed/model", SEQUENTIAL / "save-h5")
    _seed(s3, "killed/other", SEQUENTIAL / "save-format-h5")
    sources = _etags(s3, "killed/")
    env = {**os.environ, "MIGRATOR_JOBS": "2", "MIGRATOR_STORE_CACHE": str(tmp_path / "cache")}
    args = [sys.executable, "-m", "migrator", "convert", "s3://models/killed"]
    args += ["-o", "s3://models/killed-out"]
    # Freeze the first metadata.json write: the payload is copied into v1/ by then.
    hold = s3.hold(lambda method, key: method == "PUT" and key.endswith("/v1/metadata.json"))
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 900
        while not hold.held.wait(1):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the publish never reached metadata.json"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(60)
    finally:
        s3.release(hold)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(60)
        if proc.stderr:
            proc.stderr.close()
    left = _keys(s3, "killed-out/")
    assert [k for k in left if k.endswith("/v1/.migrator-claim")]  # killed mid-publish
    assert [k for k in left if k.endswith("/v1/model.keras")]
    assert not [k for k in left if k.endswith("metadata.json")]

    cache = {"MIGRATOR_STORE_CACHE": env["MIGRATOR_STORE_CACHE"]}  # the same ledger
    again = _migrator(
        "convert", "s3://models/killed", "-o", "s3://models/killed-out", "--json", env=cache
    )
    assert again.returncode == 0, again.stderr
    keys = _keys(s3, "killed-out/")
    assert not [k for k in keys if ".migrator-" in k]  # no claim, no staging key
    versions: dict[str, set[str]] = {}
    for key in keys:  # killed-out/<folder>/model/keras/v<N>/...
        folder, version = key.split("/")[1], key.split("/")[4]
        versions.setdefault(folder, set()).add(version)
        assert f"killed-out/{folder}/model/keras/{version}/metadata.json" in keys  # complete
    assert versions == {"model": {"v1"}, "other": {"v1"}}  # exactly one version per source
    client = s3.client()
    for folder in versions:
        meta_key = f"killed-out/{folder}/model/keras/v1/metadata.json"
        meta = json.loads(client.get_object(Bucket="models", Key=meta_key)["Body"].read())
        assert meta["source"]["path"].startswith(f"s3://models/killed/{folder}/")
        assert meta["version"] == "v1"
    assert _etags(s3, "killed/") == sources
    status = _migrator("convert", "--status", "s3://models/killed-out", env=cache)
    assert status.returncode == 0, status.stderr
    assert "removed an unfinished version" in status.stdout
    assert "on this machine" in status.stdout
