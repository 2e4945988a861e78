"""Read artifacts in worker processes, so one damaged file can never hang or kill the batch.

libhdf5 can loop forever inside C code on some corrupted files, and a C library can crash outright;
neither can be interrupted from Python. Each worker is a forked copy of this process (readers
already imported) that reads one candidate at a time; the parent waits with a deadline, kills a
worker that overruns it or dies, records a one-line error for that artifact, and starts a fresh
worker for the rest. With several workers the batch also uses every core.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from migrator.errors import UsageError
from migrator.model import Candidate, Reading

DEFAULT_TIMEOUT = 120.0
JOBS_VARIABLE = "MIGRATOR_JOBS"


def default_jobs() -> int:
    """How many reader processes an audit uses when the caller does not say.

    The environment variable `MIGRATOR_JOBS` overrides the default of one per core (up to 4):
    `0` reads in this process (no forked workers, no timeout: cheap for test suites and
    debuggers that audit one small file at a time), `N > 0` starts N workers. An empty value
    counts as unset; anything else is a usage mistake worth stopping for (`UsageError`, which
    the command line prints as one line).
    """
    setting = os.environ.get(JOBS_VARIABLE, "").strip()
    if setting:
        try:
            jobs = int(setting)
        except ValueError:
            raise UsageError(
                f"{JOBS_VARIABLE}={setting!r} is not a number of reader processes; "
                "use 0 (read in this process) or a positive count"
            ) from None
        if jobs < 0:
            raise UsageError(f"{JOBS_VARIABLE}={setting!r} is negative; use 0 or a positive count")
        return jobs
    return max(1, min(4, os.cpu_count() or 1))


def _serve(conn: Connection, read: Callable[[Candidate], Reading]) -> None:
    while True:
        try:
            item = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if item is None:
            return
        index, candidate = item
        reading = read(candidate)
        try:
            conn.send((index, reading))
        except (pickle.PicklingError, TypeError, AttributeError):
            conn.send((index, _picklable(reading)))


def _picklable(reading: Reading) -> Reading:
    """Drop the `raw` entries that cannot cross a process boundary (e.g. protobuf messages)."""
    raw = {}
    for key, value in reading.raw.items():
        try:
            pickle.dumps(value)
        except Exception:
            continue
        raw[key] = value
    return replace(reading, raw=raw)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    task: tuple[int, float] | None = None  # (index, started at)


class ReaderPool:
    """Map `read` over candidates in `jobs` forked workers, each read bounded by `timeout` s."""

    def __init__(self, read: Callable[[Candidate], Reading], jobs: int, timeout: float) -> None:
        self._read = read
        self._jobs = max(1, jobs)
        self._timeout = timeout
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_serve, args=(child, self._read), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    @staticmethod
    def _stop(worker: _Worker, kill: bool) -> None:
        if kill:
            worker.process.kill()
        else:
            try:
                worker.conn.send(None)
            except OSError:
                worker.process.kill()
        worker.process.join(5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def map(self, candidates: Sequence[Candidate]) -> Iterator[tuple[Candidate, Reading]]:
        """Yield (candidate, reading) in input order."""
        if not candidates:
            return
        pending = list(range(len(candidates)))[::-1]
        results: dict[int, Reading] = {}
        workers = [self._start() for _ in range(min(self._jobs, len(candidates)))]
        next_out = 0
        try:
            while next_out < len(candidates):
                for w in workers:
                    if w.task is None and pending:
                        index = pending.pop()
                        w.conn.send((index, candidates[index]))
                        w.task = (index, time.monotonic())
                busy = [w for w in workers if w.task is not None]
                if busy:
                    deadline = min(w.task[1] for w in busy) + self._timeout  # type: ignore[index]
                    ready = wait([w.conn for w in busy], max(0.0, deadline - time.monotonic()))
                    for i, w in enumerate(workers):
                        if w.task is None:
                            continue
                        index, started = w.task
                        if w.conn in ready:
                            try:
                                got_index, reading = w.conn.recv()
                                results[got_index] = reading
                                w.task = None
                                continue
                            except (EOFError, OSError):
                                w.process.join(5)  # the pipe closes before the exit is reaped
                                code = w.process.exitcode
                                results[index] = _failed(
                                    f"the reader process died (exit code {code}) on this file; "
                                    "it is probably damaged: check it or re-export the model"
                                )
                        elif time.monotonic() - started >= self._timeout:
                            results[index] = _failed(
                                f"reading took longer than {self._timeout:g} s and was stopped; "
                                "the file is probably damaged (or raise --timeout for a huge graph)"
                            )
                        else:
                            continue
                        self._stop(w, kill=True)
                        workers[i] = self._start()
                while next_out in results:
                    yield candidates[next_out], results.pop(next_out)
                    next_out += 1
        finally:
            for w in workers:
                self._stop(w, kill=w.task is not None)


def _failed(message: str) -> Reading:
    return Reading("unknown", errors=(message,))
