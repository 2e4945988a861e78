"""The batch's pool of runtime workers, without TensorFlow: fork server, leases, kills, deaths.

The pool's mechanics do not depend on TensorFlow, so they run here with this interpreter as the
"runtime" (its fork server skips the TensorFlow imports it cannot do) and the worker operations
that need no TensorFlow (`release`). A hang is a real one: the h5-to-keras step given a FIFO
nobody writes blocks in h5py's `open`, before any TensorFlow import. The TensorFlow side (workers of real runtimes
converting a tree) is covered by tests/test_convert_tree.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from migrator.convert.run_results import record_weights
from migrator.convert.runtime_pool import Pool
from migrator.convert.runtimes import Runtime
from migrator.errors import WorkerCrashed

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork servers need POSIX")

HERE = Runtime("here", Path(sys.executable), None, None, None)


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_dead(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MIGRATOR_WORKER_START", raising=False)
    with Pool() as p:
        yield p


def test_workers_are_forked_from_one_server_and_reused(pool: Pool) -> None:
    with pool.lease(HERE) as first, pool.lease(HERE) as second:
        assert first is not second  # two leases at once: two processes
        for worker in (first, second):
            assert worker.call("release", {"out": "x"}, timeout=60, subject="t") == {
                "released": False
            }
        server = _parent(first.pid)
        assert _parent(second.pid) == server and first.pid != second.pid
        pids = {first.pid, second.pid}
    with pool.lease(HERE) as again:
        again.call("release", {"out": "x"}, timeout=60, subject="t")
        assert again.pid in pids  # an idle worker is reused, not started again


def test_a_hung_worker_is_killed_and_replaced_and_the_server_stays(
    pool: Pool, tmp_path: Path
) -> None:
    fifo = tmp_path / "model.h5"
    os.mkfifo(fifo)  # the h5-to-keras step opens it with h5py and waits for a writer forever
    out = tmp_path / "out"
    out.mkdir()
    with pool.lease(HERE) as worker:
        worker.call("release", {"out": "x"}, timeout=60, subject="t")
        hung, server = worker.pid, _parent(worker.pid)
        started = time.monotonic()
        with pytest.raises(WorkerCrashed, match=r"did not finish within 2 s in here"):
            worker.call(
                "step:h5-to-keras",
                {"src": str(fifo), "out_dir": str(out)},
                timeout=2,
                subject="model.h5",
            )
        assert time.monotonic() - started < 15
        assert _wait_dead(hung)
        assert worker.call("release", {"out": "x"}, timeout=60, subject="t") == {"released": False}
        assert worker.pid != hung and _parent(worker.pid) == server  # forked, not started


def test_a_worker_that_dies_is_one_error_and_the_next_call_gets_a_new_one(pool: Pool) -> None:
    with pool.lease(HERE) as worker:
        worker.call("release", {"out": "x"}, timeout=60, subject="t")
        dead, server = worker.pid, _parent(worker.pid)
        os.kill(dead, signal.SIGKILL)
        assert _wait_dead(dead)
        with pytest.raises(WorkerCrashed, match=r"here worker died during release \(signal 9\)"):
            worker.call("release", {"out": "x"}, timeout=60, subject="model.h5")
        worker.call("release", {"out": "x"}, timeout=60, subject="t")
        assert worker.pid != dead and _parent(worker.pid) == server


def test_a_worker_that_exits_is_reaped_at_once_not_at_the_next_poll(pool: Pool) -> None:
    """The server wakes on SIGCHLD: an ended worker is reaped (and its exit reported to the
    batch, which waits for it when it closes) well inside the server's 5 s poll."""
    with pool.lease(HERE) as worker:
        worker.call("release", {"out": "x"}, timeout=60, subject="t")
        pid = worker.pid
        worker.request_exit()
        deadline = time.monotonic() + 1.5
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not os.path.exists(f"/proc/{pid}")  # gone, not a zombie awaiting the poll


def test_workers_and_server_die_with_the_main_process(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from migrator.convert.runtime_pool import Pool
        from migrator.convert.runtimes import Runtime
        pool = Pool()
        here = Runtime("here", Path(sys.executable), None, None, None)
        with pool.lease(here) as a, pool.lease(here) as b:
            a.call("release", {"out": "x"}, timeout=60, subject="t")
            b.call("release", {"out": "x"}, timeout=60, subject="t")
            print(a.pid, b.pid, flush=True)
            time.sleep(600)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("MIGRATOR_WORKER_START", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2
        server = _parent(pids[0])
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        for pid in (*pids, server):
            assert _wait_dead(pid), f"process {pid} outlived the killed main process"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_spawn_mode_starts_workers_on_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATOR_WORKER_START", "spawn")
    with Pool() as pool, pool.lease(HERE) as worker:
        worker.call("release", {"out": "x"}, timeout=60, subject="t")
        assert _parent(worker.pid) == os.getpid()


def test_leases_are_exclusive_across_threads(pool: Pool) -> None:
    seen: list[int] = []
    lock = threading.Lock()
    active: set[int] = set()
    clashes: list[int] = []

    def use() -> None:
        for _ in range(5):
            with pool.lease(HERE) as worker:
                with lock:
                    if id(worker) in active:
                        clashes.append(id(worker))
                    active.add(id(worker))
                worker.call("release", {"out": "x"}, timeout=60, subject="t")
                with lock:
                    active.discard(id(worker))
                    seen.append(worker.pid)

    threads = [threading.Thread(target=use) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not clashes and len(seen) == 15
    assert len(set(seen)) <= 3  # never more workers than leases at once


def test_weight_digests_describe_each_tensor_and_hold_the_arrays() -> None:
    import numpy as np

    from migrator.convert import run_results

    info: dict = {}
    kernel = np.arange(6, dtype=np.float32).reshape(2, 3)
    record_weights(info, "tag", ["d#0:kernel", "d#1:bias"], [kernel, np.zeros(3, np.float32)])
    assert info["weights"] == ["d#0:kernel", "d#1:bias"]
    (k_dtype, k_shape, k_hash), (_, _, b_hash) = info["weight_digests"]
    assert (k_dtype, k_shape) == ("float32", [2, 3]) and k_hash != b_hash
    again: dict = {}
    record_weights(again, "tag2", ["d#0:kernel"], [kernel.copy(order="F")])
    assert again["weight_digests"][0][2] == k_hash  # the bytes in C order, whatever the layout
    assert run_results.release("tag") == {"released": True}
    assert run_results.release("tag") == {"released": False}
    run_results.release("tag2")


def test_thread_pools_get_each_process_its_share_of_the_cores() -> None:
    from migrator.convert.worker_processes import fair_threads

    # two TensorFlow processes per conversion (source and output run at once)
    assert fair_threads(1, cpus=2) == 1
    assert fair_threads(1, cpus=8) == 4
    assert fair_threads(2, cpus=8) == 2
    assert fair_threads(4, cpus=2) == 1  # never below one


def test_worker_env_sets_thread_pools_unless_the_user_did(monkeypatch: pytest.MonkeyPatch) -> None:
    from migrator.convert.worker_processes import THREAD_SETTINGS, worker_env

    for name in THREAD_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    env = worker_env((), False, 3)
    assert [env[name] for name in THREAD_SETTINGS] == ["3", "3", "3"]
    assert not any(name in worker_env((), False, None) for name in THREAD_SETTINGS)
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "5")
    env = worker_env((), False, 3)
    assert env["TF_NUM_INTRAOP_THREADS"] == "5"
    assert "TF_NUM_INTEROP_THREADS" not in env and "OMP_NUM_THREADS" not in env


def test_forked_workers_run_with_the_pools_thread_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from migrator.convert.worker_processes import THREAD_SETTINGS

    monkeypatch.delenv("MIGRATOR_WORKER_START", raising=False)
    for name in THREAD_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    with Pool(threads=2) as pool, pool.lease(HERE) as worker:
        worker.call("release", {"out": "x"}, timeout=60, subject="t")
        assert worker.pid is not None
        with open(f"/proc/{worker.pid}/environ", "rb") as fh:
            environ = dict(item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item)
    assert {environ[name.encode()] for name in THREAD_SETTINGS} == {b"2"}
