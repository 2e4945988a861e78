"""The Ray backend on a real local Ray cluster (tox `ray`): a head and one worker node, started
by this module's session fixture with small memory settings and stopped at the end.

- The JSON report of a tree is byte-identical between the local and the Ray backend (the
  generated corpus, and a tree of damaged files), with reads in the Ray worker itself and in
  the forked reader pool inside each task.
- SIGTERM during a Ray audit exits 143 and writes no report, as locally.
- A Ray worker that dies mid-audit costs one error line for the artifact it was reading; the
  other artifacts of its chunk are read again and come out as the local backend gives them.
- A Ray worker killed mid-conversion costs only its artifact, left unfinished in the ledger,
  and the rerun converts it (needs the TF runtimes: MIGRATOR_RUNTIME_TF215/TF221, as tox sets).

Where Ray cannot start the tests skip with the reason, except with CI set, where they fail.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrator.audit import audit
from migrator.cli import main
from migrator.model import Artifact
from tests.conftest import REPO

pytestmark = [pytest.mark.ray, pytest.mark.slow]

GENERATED = REPO / "corpus" / "generated"
POISON = "poison.h5"
# Keras 2 HDF5 files two TF lines wrote: converting each needs tf215 (load) and tf221 (steps).
CONVERT_SOURCES = (
    "tf215/keras/sequential/save-h5/model.h5",
    "tf215/keras/functional/save-h5/model.h5",
    "tf221/tf_keras/functional/save-h5/model.h5",
)


_NOT_STARTED: list[str] = []  # why the cluster could not start, so it is tried once a session
# Each node's TMPDIR, neither of them this process's: a task that used a folder of the driver's
# would write where its node's tasks never look. And the S3 server the nodes were started with
# (its endpoint and credentials in their environment, as a user's nodes have their store's).
NODE_TMP: list[Path] = []
S3: list[Any] = []


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the Ray tests must run: {reason}")
    pytest.skip(reason)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(ray_cli: Path, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """`ray start --block ...` in its own session: stopping it (by its pid) stops its processes."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [str(ray_cli), "start", "--block", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
    try:  # whatever it started and left behind, by its process group (its own session)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _own_tmp(env: dict[str, str], folder: Path) -> dict[str, str]:
    folder.mkdir()
    NODE_TMP.append(folder)
    return {**env, "TMPDIR": str(folder)}


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """A head node and one worker node (one CPU each), and this process connected as driver."""
    if _NOT_STARTED:
        _unavailable(_NOT_STARTED[0])
    if importlib.util.find_spec("ray") is None:
        _NOT_STARTED.append("ray is not installed (pip install 'migrator[ray]'; tox -e ray)")
        _unavailable(_NOT_STARTED[0])
    ray_cli = Path(sys.executable).parent / "ray"
    if not ray_cli.exists():
        _unavailable(f"no `ray` command beside {sys.executable}")
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: Ray's socket paths
    # Ray >= 2.5x authenticates every client with a token: one for this cluster, given to the
    # nodes, to this process (the driver) and to the command lines the tests start.
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN")}
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    import ray  # after the token is set: Ray reads its auth settings once, on first use

    stack = contextlib.ExitStack()
    if importlib.util.find_spec("moto") and importlib.util.find_spec("s3fs"):
        from tests.s3_server import running_s3

        S3.append(stack.enter_context(running_s3()))
    env = dict(os.environ)
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    env["RAY_memory_monitor_refresh_ms"] = "0"  # a shared CI machine must not trigger its killer
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    port = _free_port()
    address = f"127.0.0.1:{port}"
    small = ["--num-cpus=1", f"--object-store-memory={96 * 2**20}", "--disable-usage-stats"]
    procs = [
        _start(
            ray_cli,
            [
                "--head",
                f"--port={port}",
                "--include-dashboard=false",
                f"--temp-dir={temp}",
                f"--dashboard-agent-listen-port={_free_port()}",
                *small,
            ],
            _own_tmp(env, temp / "head-tmp"),
            temp / "head.log",
        )
    ]
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            if procs[0].poll() is not None or time.monotonic() > deadline:
                log = (temp / "head.log").read_text(errors="replace")[-1500:]
                _NOT_STARTED.append(f"the Ray head did not start: {log}")
                _unavailable(_NOT_STARTED[0])
            time.sleep(0.5)
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
        procs.append(
            _start(
                ray_cli,
                [f"--address={address}", f"--dashboard-agent-listen-port={_free_port()}", *small],
                _own_tmp(env, temp / "node-tmp"),
                temp / "worker.log",
            )
        )
        while len([n for n in ray.nodes() if n["Alive"]]) < 2:
            if procs[1].poll() is not None or time.monotonic() > deadline:
                log = (temp / "worker.log").read_text(errors="replace")[-1500:]
                _NOT_STARTED.append(f"the Ray worker node did not join: {log}")
                _unavailable(_NOT_STARTED[0])
            time.sleep(1)
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for proc in reversed(procs):
            _stop(proc)
        shutil.rmtree(temp, ignore_errors=True)
        stack.close()
        S3.clear()
        NODE_TMP.clear()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _audit_json(tmp_path: Path, name: str, *args: str) -> bytes:
    out = tmp_path / f"{name}.json"
    code = main(["audit", *args, "--format", "json", "-o", str(out), "--exit-zero"])
    assert code in (0, 2), code  # 2: the damaged tree's errors
    return out.read_bytes()


@pytest.mark.parametrize("jobs", ["0", "1"])
def test_json_report_of_the_generated_corpus_is_byte_identical(ray_cluster, tmp_path, jobs):
    local = _audit_json(tmp_path, "local", str(GENERATED), "--jobs", jobs)
    on_ray = _audit_json(
        tmp_path, "ray", str(GENERATED), "--jobs", jobs, "--backend", "ray",
        "--ray-address", ray_cluster,
    )  # fmt: skip
    assert json.loads(local)["summary"]["artifacts"] > 100
    assert on_ray == local


def _damaged_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "damaged"
    tree.mkdir()
    good = GENERATED / "tf215" / "keras" / "sequential" / "save-h5" / "model.h5"
    shutil.copy2(good, tree / "good.h5")
    data = good.read_bytes()
    (tree / "truncated.h5").write_bytes(data[: len(data) // 3])
    (tree / "empty.keras").write_bytes(b"")
    (tree / "not_a_model.pb").write_bytes(b"\x00\x01garbage" * 10)
    return tree


def test_json_report_of_damaged_files_is_byte_identical(ray_cluster, tmp_path):
    tree = _damaged_tree(tmp_path)
    local = _audit_json(tmp_path, "local", str(tree), "--jobs", "1")
    on_ray = _audit_json(tmp_path, "ray", str(tree), "--jobs", "1", "--backend", "ray")
    assert len(json.loads(local)["artifacts"]) == 4
    assert any(a["errors"] for a in json.loads(local)["artifacts"])
    assert on_ray == local


def test_code_rules_and_excludes_inside_an_archive_are_applied_on_ray(ray_cluster, tmp_path):
    """The code rules and globs reach the Ray tasks that read an archive (pickled with the
    work), and what they find inside comes back into the report's sources and skipped."""
    from tests.test_archive_members import source_tarball

    tree = tmp_path / "repo"
    source_tarball(tree / "source.tar.gz", [("code/vendor/old.py", b"import os\n")])
    args = (str(tree), "--jobs", "1", "--exclude", "vendor")
    local = _audit_json(tmp_path, "local", *args)
    on_ray = _audit_json(tmp_path, "ray", *args, "--backend", "ray", "--ray-address", ray_cluster)
    report = json.loads(local)
    assert [s["path"] for s in report["sources"]] == ["source.tar.gz!/code/train.py"]
    assert report["sources"][0]["findings"]
    assert report["skipped"] == ["source.tar.gz!/code/vendor: excluded by the pattern 'vendor'"]
    assert on_ray == local


def _poisoned(artifact: Artifact) -> Artifact:
    """A judge that kills the process it runs in on one file: a Ray worker, or a forked reader."""
    if artifact.path.endswith(POISON):
        os._exit(3)
    return artifact


def _tree_of_ten(tmp_path: Path) -> Path:
    tree = tmp_path / "ten"
    tree.mkdir()
    source = GENERATED / "tf215" / "keras" / "sequential" / "save-h5" / "model.h5"
    for i in range(9):
        shutil.copy2(source, tree / f"m{i}.h5")
    shutil.copy2(source, tree / POISON)
    return tree


def test_a_ray_worker_dying_mid_audit_costs_one_error_line(ray_cluster, tmp_path):
    from migrator.backends.ray_cluster import RayBackend

    tree = _tree_of_ten(tmp_path)
    told: list[int] = []
    with RayBackend() as backend:  # jobs=0: the judge runs in the Ray worker and kills it
        backend.observer = told.append  # what the progress line counts on a cluster
        report = audit([tree], judges=[_poisoned], jobs=0, backend=backend)
    assert sum(told) == 10  # every artifact once, the re-sent ones and the lost one included
    by_path = {a.path: a for a in report.artifacts}
    assert len(by_path) == 10
    (line,) = by_path[POISON].errors
    assert line.startswith("the Ray worker reading this file died"), line
    local = {a.path: a for a in audit([tree], jobs=0).artifacts}
    for path, artifact in by_path.items():
        if path != POISON:
            assert artifact.to_json() == local[path].to_json()


def test_a_dying_reader_inside_a_ray_task_reads_as_it_does_locally(ray_cluster, tmp_path):
    from migrator.backends.ray_cluster import RayBackend

    tree = _tree_of_ten(tmp_path)
    local = audit([tree], judges=[_poisoned], jobs=1)
    with RayBackend() as backend:  # jobs=1: each task's forked reader dies, not the Ray worker
        on_ray = audit([tree], judges=[_poisoned], jobs=1, backend=backend)
    assert [a.to_json() for a in on_ray.artifacts] == [a.to_json() for a in local.artifacts]
    poisoned = next(a for a in local.artifacts if a.path == POISON)
    assert "reader process died" in poisoned.errors[0]


# -- conversion: a killed Ray worker costs its artifact, and the ledger redoes it ---------------


def _runtimes_or_skip() -> None:
    from migrator.convert import runtimes

    missing = [n for n in ("tf215", "tf221") if runtimes.find(n) is None]
    if missing:
        _unavailable(
            f"no {', '.join(missing)} runtime (set MIGRATOR_RUNTIME_TF215/TF221 as tox -e ray does)"
        )


def _convert(tree: Path, out: Path, address: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "migrator", "convert", str(tree), "-o", str(out), "--json"]
        + ["--backend", "ray", "--ray-address", address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _ray_tasks(title: str) -> list[int]:
    """Pids of this user's Ray workers running `title` now (Ray sets `ray::<function>` as the
    process title of a worker while it runs a task)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith(f"ray::{title}"):
            found.append(int(entry.name))
    return found


def test_a_ray_worker_killed_mid_conversion_costs_its_artifact_and_the_rerun_converts_it(
    ray_cluster, tmp_path
):
    from migrator.convert import ledger as ld

    _runtimes_or_skip()
    tree, out = tmp_path / "tree", tmp_path / "out"
    for rel in CONVERT_SOURCES:
        src = GENERATED / rel
        assert src.is_file(), src
        dest = tree / rel.replace("/", "_")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    proc = _convert(tree, out, ray_cluster)
    killed = None
    deadline = time.monotonic() + 600
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        pids = _ray_tasks("convert_one")
        if pids:
            killed = pids[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.2)
    stdout, stderr = proc.communicate(timeout=900)
    assert killed is not None, f"no conversion task was seen running: {stderr[-2000:]}"
    assert proc.returncode == 2, stderr[-2000:]
    first = json.loads(stdout)
    assert first["summary"]["failed"] == 1, first
    (lost,) = first["failed"]
    assert "Ray worker converting it died" in lost["reason"], lost
    assert first["summary"]["converted"] == len(CONVERT_SOURCES) - 1, first
    assert ld.summary(out)["counts"]["running"] == 1  # unfinished: the next run redoes it

    proc = _convert(tree, out, ray_cluster)
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-2000:]
    second = json.loads(stdout)
    assert [o["path"] for o in second["converted"]] == [lost["path"]], second
    assert len(second["skipped"]) == len(CONVERT_SOURCES) - 1
    assert all("already converted" in o["reason"] for o in second["skipped"])
    status = ld.summary(out)
    assert status["counts"] == {
        "converted": len(CONVERT_SOURCES), "skipped": 0, "failed": 0, "running": 0
    }  # fmt: skip
    versions = sorted(p.parent.name for p in out.rglob("metadata.json"))
    assert versions == ["v1"] * len(CONVERT_SOURCES)  # each source converted exactly once


def test_a_store_to_store_conversion_runs_whole_on_the_nodes(ray_cluster, tmp_path):
    """Each task fetches its source into its own node's temp folder, converts, validates and
    publishes to the bucket from there: the driver's temp folder and store cache stay empty,
    nothing in the report or the ledger names a local folder, the sources are unchanged."""
    from migrator.convert import ledger as ld
    from migrator.storage.staging import work_dir
    from migrator.storage.store import StorePath

    _runtimes_or_skip()
    if not S3:
        _unavailable("moto[server] and s3fs are not installed (tox -e ray installs them)")
    client = S3[0].client()
    client.create_bucket(Bucket="raystores")
    names = {}
    for rel in CONVERT_SOURCES:
        names[rel] = rel.replace("/", "_")
        client.upload_file(str(GENERATED / rel), "raystores", f"legacy/{names[rel]}")

    def etags() -> dict[str, str]:
        listed = client.list_objects_v2(Bucket="raystores", Prefix="legacy/")
        return {o["Key"]: o["ETag"] for o in listed["Contents"]}

    before = etags()
    driver_tmp, cache = tmp_path / "driver-tmp", tmp_path / "cache"
    driver_tmp.mkdir()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(TMPDIR=str(driver_tmp), MIGRATOR_STORE_CACHE=str(cache))
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator", "convert", "s3://raystores/legacy"]
        + ["-o", "s3://raystores/current", "--json", "--backend", "ray"]
        + ["--ray-address", ray_cluster],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen: set[str] = set()
    while proc.poll() is None:  # anything a task (or the driver) puts in the driver's temp
        seen.update(str(p) for p in driver_tmp.rglob("*"))
        seen.update(str(p) for p in (cache / "src").rglob("*") if p.is_file())  # no fetch here
        time.sleep(0.2)
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-3000:]
    assert seen == set(), seen
    assert [p for p in cache.rglob("*") if p.is_file() and "src" in p.parts] == []
    report = json.loads(stdout)
    assert report["summary"]["converted"] == len(CONVERT_SOURCES), report
    ledger = work_dir("out", StorePath("s3", "raystores/current"))
    ledger = cache / ledger.relative_to(ledger.parents[1])  # the driver's cache, not ours
    status = ld.summary(ledger)
    assert status.pop("ledger").startswith(str(cache))  # where it is; then what it records
    records = json.dumps(status)
    for text in (stdout, records):
        for local in (str(driver_tmp), str(cache / "src"), *map(str, NODE_TMP), "/tmp/"):
            assert local not in text, (local, text[:2000])
    for outcome in report["converted"]:
        (output,) = outcome["outputs"]
        assert output["path"].startswith("s3://raystores/current/"), output
        key = output["path"].removeprefix("s3://raystores/") + "/metadata.json"
        meta = json.loads(client.get_object(Bucket="raystores", Key=key)["Body"].read())
        assert meta["source"]["path"] == f"s3://raystores/legacy/{outcome['path']}", meta
        assert meta["version"] == "v1" and meta["validation"], meta
    assert sorted(o["path"] for o in report["converted"]) == sorted(names.values())
    # The tasks worked in their nodes' temp folders (their runtime servers' logs are there),
    # and removed what they fetched and built.
    assert any(list(folder.glob("migrator-*")) for folder in NODE_TMP), NODE_TMP
    for folder in NODE_TMP:
        for kept in ("migrator-src-*/**/*", "migrator-out-*/**/*"):
            assert [p for p in folder.glob(kept) if p.is_file()] == []
    assert etags() == before


def test_sigterm_during_a_ray_audit_exits_143_and_writes_no_report(ray_cluster, tmp_path):
    """ray.init replaces the SIGTERM handler; the audit's contract (143, no report) must hold."""
    out = tmp_path / "report.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator", "audit", str(GENERATED), "--format", "json"]
        + ["-o", str(out), "--backend", "ray", "--ray-address", ray_cluster, "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while not _ray_tasks("read_chunk") and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the audit ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr[-2000:]
    assert not out.exists()
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("migrator: ") for line in lines), stderr[-2000:]


def test_an_unreachable_cluster_is_one_line_at_once(tmp_path):
    if importlib.util.find_spec("ray") is None:
        _unavailable("ray is not installed (pip install 'migrator[ray]'; tox -e ray)")
    tree = _damaged_tree(tmp_path)
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("RAY_ADDRESS", None)
    start = time.monotonic()
    done = subprocess.run(  # a fresh process: this one may be connected to the test cluster
        [sys.executable, "-m", "migrator", "audit", str(tree), "--backend", "ray"]
        + ["--ray-address", address],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert time.monotonic() - start < 60  # not Ray's minutes of retries
    assert done.returncode == 2
    err = done.stderr.strip()
    assert err.startswith("migrator: cannot reach the Ray cluster at " + address), err
    assert "\n" not in err
