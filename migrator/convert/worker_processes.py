"""Worker processes of a runtime: started on their own, or forked from a fork server.

On POSIX a worker is forked from its runtime's fork server (`ForkServer`, one per runtime and
oneDNN setting, started once per batch: importing TensorFlow is paid once, not once per
worker); elsewhere, with `MIGRATOR_WORKER_START=spawn`, or in a runtime whose Python cannot pass
sockets, it is a fresh `python -m migrator.convert.worker`. Both kinds offer the same `Process`
interface to `worker_client.Worker`: send a request line, read reply lines, end (politely or by
SIGKILL), and the exit status once it is known (negative: killed by that signal).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from migrator.convert.runtimes import Runtime
from migrator.errors import ConversionError, RuntimeUnavailable, WorkerCrashed

# The folder holding the `migrator` package: put first on the workers' PYTHONPATH so every runtime
# runs this very source, not an older copy installed in its env.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
START_SETTING = "MIGRATOR_WORKER_START"  # "fork" (default where possible) or "spawn"
_SERVER_START_TIMEOUT = 600.0  # importing TensorFlow on a loaded machine


# TensorFlow's own settings for its thread pools (read when a process makes its first op), and
# OpenMP's (oneDNN kernels): a user who set any of them keeps their value.
THREAD_SETTINGS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")


def fair_threads(jobs: int, cpus: int | None = None) -> int:
    """Threads per TensorFlow pool for each worker of a batch running `jobs` conversions.

    Each conversion keeps two runtimes busy at once (the source runs in its era's runtime while
    the output is built and run in the newest), so `jobs` conversions run 2 x jobs TensorFlow
    processes. By default each sizes its pools to every core, and on small models their threads
    then mostly wait for each other: on 2 idle cores, 212 small models took 34.5 s at --jobs 1
    with TensorFlow's defaults and 25.5 s with one thread per pool
    (benchmarks/convert_tree_bench.py).
    So each process gets its share of the cores, at least one."""
    if cpus is None:
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count() or 1
    return max(1, cpus // (2 * max(1, jobs)))


def worker_env(
    extra_paths: Iterable[Path], onednn: bool, threads: int | None = None
) -> dict[str, str]:
    """The environment of a runtime's processes: this migrator first on the path, quiet TF,
    and (`threads`) TensorFlow's thread pools sized to the process's share of the cores."""
    env = dict(os.environ)
    if threads and not any(env.get(name) for name in THREAD_SETTINGS):
        for name in THREAD_SETTINGS:
            env[name] = str(threads)
    paths = [str(PACKAGE_ROOT), os.getcwd(), *map(str, extra_paths)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # oneDNN reorders float arithmetic differently in each TF release, which would make the
    # same model differ by more than 1e-5 between runtimes; TensorFlow's own CPU kernels do
    # not. They lack channels-first convolutions, though, so those models run with oneDNN.
    env["TF_ENABLE_ONEDNN_OPTS"] = "1" if onednn else "0"
    env.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


def use_fork_server() -> bool:
    wanted = os.environ.get(START_SETTING, "fork").strip().lower()
    return wanted != "spawn" and hasattr(socket, "send_fds") and hasattr(os, "fork")


class Process(Protocol):
    """A started worker: its pid, its reply lines, and how it ends."""

    pid: int

    def send(self, line: str) -> None: ...
    def lines(self) -> Iterable[str]: ...
    def close_input(self) -> None: ...
    def exit_code(self, timeout: float) -> int | None: ...
    def kill(self) -> None: ...


class Spawned:
    """A worker started as its own interpreter (`python -m migrator.convert.worker`)."""

    def __init__(self, runtime: Runtime, env: Mapping[str, str], log: int) -> None:
        self.proc = subprocess.Popen(
            [str(runtime.python), "-u", "-m", "migrator.convert.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=dict(env),
            start_new_session=True,
        )
        self.pid = self.proc.pid

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def lines(self) -> Iterable[str]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def close_input(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()

    def exit_code(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass


class Forked:
    """A worker forked by a `ForkServer`, talking over its own socket."""

    def __init__(self, server: ForkServer, conn: socket.socket, pid: int) -> None:
        self.server, self.conn, self.pid = server, conn, pid
        self._writer = conn.makefile("w", encoding="utf-8", buffering=1)
        self._reader = conn.makefile("r", encoding="utf-8")

    def send(self, line: str) -> None:
        self._writer.write(line)
        self._writer.flush()

    def lines(self) -> Iterable[str]:
        return self._reader

    def close_input(self) -> None:
        try:
            self.conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def exit_code(self, timeout: float) -> int | None:
        return self.server.exit_code(self.pid, timeout)

    def kill(self) -> None:
        if self.server.exit_code(self.pid, 0) is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            self.server.exit_code(self.pid, 10)
        for f in (self._writer, self._reader, self.conn):
            try:
                f.close()
            except OSError:
                pass


class ForkServer:
    """One runtime's fork server (see `forkserver.py`), started on first use, thread-safe."""

    def __init__(self, runtime: Runtime, env: Mapping[str, str]) -> None:
        self.runtime, self.env = runtime, dict(env)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._exits: dict[int, int] = {}
        self._exited = threading.Condition()
        self._log: Path | None = None
        self.spawn_only = False
        self._retired = False  # stopped for good: a late ensure_started must not start it again

    def _start(self) -> None:
        mine, theirs = socket.socketpair()
        fd, log = tempfile.mkstemp(prefix=f"migrator-{self.runtime.name}-server-", suffix=".log")
        self._log = Path(log)
        self._replies = queue.Queue()
        try:
            self._proc = subprocess.Popen(
                [str(self.runtime.python), "-m", "migrator.convert.forkserver",
                 str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=fd,
                env=self.env,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            mine.close()
            raise RuntimeUnavailable(
                "migrator",
                f"cannot start {self.runtime.python} ({exc})",
                "check the runtime with `migrator runtimes list`",
            ) from None
        finally:
            os.close(fd)
            theirs.close()
        self._control = mine
        threading.Thread(target=self._pump, args=(mine, self._replies), daemon=True).start()
        first = self._reply(_SERVER_START_TIMEOUT)
        if first and first.get("spawn"):
            self.spawn_only = True  # this interpreter cannot pass sockets: workers start alone
            self._stop_locked()
            return
        if not first or not first.get("ready"):
            self._stop_locked()
            raise RuntimeUnavailable(
                "migrator",
                f"the {self.runtime.name} runtime did not start ({self._tail()})",
                "check it with `migrator runtimes list`; set MIGRATOR_WORKER_START=spawn to "
                "start each worker on its own",
            )

    def _pump(self, control: socket.socket, replies: queue.Queue[dict[str, Any] | None]) -> None:
        try:
            with control.makefile("r", encoding="utf-8") as lines:
                for line in lines:
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue
                    if "exited" in message:
                        with self._exited:
                            self._exits[int(message["exited"])] = int(message["status"])
                            self._exited.notify_all()
                    else:
                        replies.put(message)
        except (OSError, ValueError):
            pass  # the channel was closed under the reader: the server is being stopped
        replies.put(None)
        with self._exited:
            self._exited.notify_all()

    def _reply(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self._replies.get(timeout=timeout)
        except queue.Empty:
            return None

    def _tail(self) -> str:
        try:
            text = self._log.read_text(encoding="utf-8", errors="replace") if self._log else ""
        except OSError:
            text = ""
        lines = [ln for ln in text.splitlines() if ln.strip() and not is_noise(ln)]
        return lines[-1][-300:] if lines else "no output"

    def ensure_started(self) -> None:
        """Start the server unless it is running (a failure is raised again by `fork`)."""
        with self._lock:
            try:
                self._ensure_started_locked()
            except ConversionError:
                pass

    def _ensure_started_locked(self) -> None:
        if self.spawn_only:
            return
        if self._retired:
            raise RuntimeUnavailable(
                "migrator", f"the {self.runtime.name} runtime was stopped", "run again"
            )
        if self._proc is None or self._proc.poll() is not None:
            self._stop_locked()
            self._start()

    def fork(self, log: Path) -> Forked | None:
        """A new worker whose stderr goes to `log` (None: this runtime spawns its workers)."""
        with self._lock:
            self._ensure_started_locked()
            if self.spawn_only:
                return None
            assert self._control is not None
            mine, theirs = socket.socketpair()
            try:
                message = json.dumps({"log": str(log)}).encode()
                socket.send_fds(self._control, [message], [theirs.fileno()])
            except OSError:
                mine.close()
                self._stop_locked()
                raise WorkerCrashed(
                    "migrator", f"the {self.runtime.name} fork server died", "run again"
                ) from None
            finally:
                theirs.close()
            reply = self._reply(60)
            if not reply or "pid" not in reply:
                mine.close()
                self._stop_locked()
                raise WorkerCrashed(
                    "migrator",
                    f"the {self.runtime.name} fork server did not start a worker ({self._tail()})",
                    "run again; set MIGRATOR_WORKER_START=spawn if it keeps failing",
                )
            return Forked(self, mine, int(reply["pid"]))

    def exit_code(self, pid: int, timeout: float) -> int | None:
        """The worker's exit status once the server reaped it (None if still running)."""
        with self._exited:
            self._exited.wait_for(
                lambda: pid in self._exits or self._proc is None or self._proc.poll() is not None,
                timeout=timeout,
            )
            return self._exits.get(pid)

    def _stop_locked(self) -> None:
        proc, self._proc = self._proc, None
        control, self._control = self._control, None
        if control is not None:
            try:  # shutdown, not just close: the reader thread's file still refers to it
                control.shutdown(socket.SHUT_RDWR)  # the server sees EOF, kills its workers
            except OSError:
                pass
            control.close()
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None

    def request_stop(self) -> None:
        """Tell the server to end (it sees EOF, kills its workers and exits) without waiting;
        `stop` then reaps it. Several servers told first end in parallel."""
        control = self._control
        if control is not None:
            try:
                control.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        self._retired = True
        proc = self._proc
        if not self._lock.acquire(timeout=0.2):  # still importing TensorFlow: end it now
            if proc is not None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            self._lock.acquire()
        try:
            self._stop_locked()
        finally:
            self._lock.release()


def is_noise(line: str) -> bool:
    noise = (
        "oneDNN custom operations",
        "cuda drivers",
        "cudart_stub",
        "To enable the following",
        "rebuild TensorFlow",
        "AVX",
        "absl::InitializeLog",
        "TF-TRT Warning",
    )
    return any(n in line for n in noise)
