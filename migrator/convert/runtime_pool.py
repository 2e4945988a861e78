"""The runtime workers of a batch: long-lived, shared by every job slot, leased per use.

One `Pool` serves a whole `migrator convert` run (every `--jobs` thread, every artifact). Per
runtime (and oneDNN setting) it keeps one fork server, started on first use, so TensorFlow is
imported once per runtime per batch; workers are forked from it on demand and returned to the
pool after each use, so a batch of any size runs on a handful of warm processes. A thread takes
a worker with `lease(runtime)` for as long as it needs the same process (a step, or a whole
validation whose weights stay held in the worker) and no other thread uses it meanwhile. A
worker that hangs past its timeout or crashes is killed by its `call`; the next lease of it
forks a fresh one, so the failure stays with that one artifact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from migrator.convert.runtimes import Runtime
from migrator.convert.worker_client import Worker
from migrator.convert.worker_processes import ForkServer, use_fork_server, worker_env


class Pool:
    """Workers of every runtime a batch uses; `close()` stops them and their fork servers."""

    def __init__(
        self,
        *,
        extra_paths: Iterable[Path] = (),
        idle_per_runtime: int = 4,
        threads: int | None = None,
    ) -> None:
        self.extra_paths = tuple(Path(p).resolve() for p in extra_paths)
        self.idle_per_runtime = idle_per_runtime
        # TensorFlow pool size of every worker (`worker_processes.fair_threads`); None: TF's own
        # default. Set before the first worker starts (`ConverterFactory.start_runtimes`).
        self.threads = threads
        self._fork = use_fork_server()
        self._lock = threading.Lock()
        self._servers: dict[str, ForkServer] = {}
        self._idle: dict[str, list[Worker]] = {}
        self._busy: dict[int, Worker] = {}
        self._closed = False

    @staticmethod
    def _key(runtime: Runtime, onednn: bool) -> str:
        return f"{runtime.python}|{onednn}"

    def _new_worker(self, runtime: Runtime, onednn: bool, key: str) -> Worker:
        server = None
        if self._fork:
            server = self._servers.get(key)
            if server is None:
                server = ForkServer(runtime, self._env(onednn))
                self._servers[key] = server
        return Worker(
            runtime,
            extra_paths=self.extra_paths,
            onednn=onednn,
            server=server,
            threads=self.threads,
        )

    def _env(self, onednn: bool) -> dict[str, str]:
        return worker_env(self.extra_paths, onednn, self.threads)

    @contextmanager
    def lease(self, runtime: Runtime, *, onednn: bool = False) -> Iterator[Worker]:
        """A worker of `runtime` for this thread alone until the block ends."""
        key = self._key(runtime, onednn)
        with self._lock:
            if self._closed:
                raise RuntimeError("the runtime pool is closed")
            idle = self._idle.setdefault(key, [])
            worker = idle.pop() if idle else self._new_worker(runtime, onednn, key)
            self._busy[id(worker)] = worker
        try:
            yield worker
        finally:
            with self._lock:
                self._busy.pop(id(worker), None)
                idle = self._idle.setdefault(key, [])
                keep = not self._closed and len(idle) < self.idle_per_runtime
                if keep:
                    idle.append(worker)
            if not keep:
                worker.stop()

    def start(self, runtimes: Iterable[Runtime]) -> None:
        """Start the fork servers of `runtimes` now, in parallel (import TensorFlow in each), so
        the first conversions do not wait for them one after the other."""
        if not self._fork:
            return
        servers = []
        with self._lock:
            if self._closed:  # a background start that came after the batch ended
                return
            for runtime in runtimes:
                key = self._key(runtime, False)
                if key not in self._servers:
                    self._servers[key] = ForkServer(runtime, self._env(False))
                servers.append(self._servers[key])
        threads = [threading.Thread(target=s.ensure_started, daemon=True) for s in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = [w for idle in self._idle.values() for w in idle]
            busy = list(self._busy.values())  # closed mid-call (an interrupt): killed now
            servers = list(self._servers.values())
            self._idle.clear()
            self._servers.clear()
        for worker in workers:  # all at once, then wait for each
            worker.request_exit()
        for worker in workers:
            worker.stop()
        for worker in busy:
            worker.stop(kill=True)
        for server in servers:  # all told at once: each exits on its own, not one by one
            server.request_stop()
        for server in servers:
            server.stop()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
