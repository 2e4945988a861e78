"""Read artifacts in worker processes, so one damaged file can never hang, exhaust or kill the batch.

libhdf5 can loop forever inside C code on some corrupted files, a C library can crash outright,
and a crafted attribute can ask for gigabytes; none of that can be interrupted from Python. Each
worker is a forked copy of this process (readers already imported) that reads and judges one
candidate at a time under an address-space limit (`RLIMIT_AS`); the parent waits with a
deadline, kills a worker that overruns it, dies or runs out of memory, records a one-line error
for that artifact, and starts a fresh worker for the rest. With several workers the batch also
uses every core.

Workers never outlive the audit: on Linux the kernel kills them when their parent dies
(`PR_SET_PDEATHSIG`, so even a SIGKILLed audit leaves nothing behind), and elsewhere a watchdog
thread exits when the parent pid changes. They ignore SIGINT: a Ctrl-C reaches the whole process
group, and only the parent decides how the run ends (it stops the workers itself).

HDF5 metadata reads get a deadline scaled by file size (`hdf5_deadline`) instead of the full
`--timeout`: a reader never reads weight data, so a metadata read that runs far past what the
file's size allows is the known libhdf5 global-heap loop, not a big model.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from migrator.errors import UsageError
from migrator.model import Reading

DEFAULT_TIMEOUT = 120.0
JOBS_VARIABLE = "MIGRATOR_JOBS"
MEMORY_VARIABLE = "MIGRATOR_WORKER_MEMORY"

# An HDF5 metadata read may take this long plus HDF5_SECONDS_PER_MB per MB of file (measured:
# the corpus's largest .h5 reads in well under a second; the 1 GB benchmark model in ~2 s).
HDF5_BASE_SECONDS = 15.0
HDF5_SECONDS_PER_MB = 0.05

_PR_SET_PDEATHSIG = 1

T = TypeVar("T")
R = TypeVar("R")


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


def _total_memory_mb() -> int:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8192
    return max(1024, pages // 2**20)


def default_memory_limit(jobs: int) -> int:
    """Address space (MB) one worker may use: `MIGRATOR_WORKER_MEMORY`, else sized for the machine.

    The default shares half the machine's memory among the workers, at least 2 GB each (a
    worker with h5py, numpy and protobuf loaded maps ~0.6 GB before reading anything) and at
    most 16 GB. `0` in the variable means no limit.
    """
    setting = os.environ.get(MEMORY_VARIABLE, "").strip()
    if setting:
        try:
            limit = int(setting)
        except ValueError:
            raise UsageError(
                f"{MEMORY_VARIABLE}={setting!r} is not a number of megabytes; "
                "use 0 (no limit) or a positive count such as 4096"
            ) from None
        if limit < 0:
            raise UsageError(f"{MEMORY_VARIABLE}={setting!r} is negative; use 0 or megabytes")
        return limit
    return max(2048, min(16384, _total_memory_mb() // 2 // max(1, jobs)))


def hdf5_deadline(size_bytes: int, timeout: float) -> float:
    """The deadline for an HDF5 metadata read of a file of `size_bytes`: never above `timeout`."""
    return min(timeout, HDF5_BASE_SECONDS + HDF5_SECONDS_PER_MB * size_bytes / 2**20)


def _die_with_parent(parent: int) -> None:
    """Make this worker end when its parent does, whatever signal killed the parent."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="migrator-parent-watchdog", daemon=True).start()


def _serve(conn: Connection, work: Callable[[Any], Any], parent: int, memory_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    if memory_mb > 0:
        limit = memory_mb * 2**20
        try:
            import resource  # POSIX only

            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        index, payload = item
        try:
            result: Any = work(payload)
        except MemoryError:
            result = _OutOfMemory()
        except Exception as exc:  # a judge or reader bug: one line, and the worker lives on
            result = _Crashed(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        try:
            conn.send((index, result))
        except MemoryError:
            conn.send((index, _OutOfMemory()))
        except (pickle.PicklingError, TypeError, AttributeError):
            conn.send((index, _picklable(result)))


@dataclass(frozen=True)
class _OutOfMemory:
    """What a worker sends back when the work raised MemoryError under its limit."""


@dataclass(frozen=True)
class _Crashed:
    """What a worker sends back when the work raised: the exception, on one line."""

    reason: str


def _picklable(result: Any) -> Any:
    """Drop the `raw` entries that cannot cross a process boundary (e.g. protobuf messages)."""
    reading = getattr(result, "reading", result)
    if not isinstance(reading, Reading):
        return result
    raw = {}
    for key, value in reading.raw.items():
        try:
            pickle.dumps(value)
        except Exception:
            continue
        raw[key] = value
    reading = replace(reading, raw=raw)
    return (
        reading
        if result is getattr(result, "reading", result)
        else replace(result, reading=reading)
    )


@dataclass
class _Worker:
    process: Any
    conn: Connection
    task: tuple[int, float] | None = None  # (index, deadline)


class ReaderPool(Generic[T, R]):
    """Map `work` over items in `jobs` forked workers, each call bounded by a deadline.

    `deadline(item)` gives an item's seconds (default: `timeout` for all); `failed(message)` turns
    a worker's death, overrun or memory exhaustion into a result (default: a `Reading` with that
    one error line). `memory_mb` bounds each worker's address space (0: no bound).
    """

    def __init__(
        self,
        work: Callable[[T], R],
        jobs: int,
        timeout: float,
        *,
        memory_mb: int | None = None,
        deadline: Callable[[T], float] | None = None,
        failed: Callable[[str], R] | None = None,
    ) -> None:
        self._work = work
        self._jobs = max(1, jobs)
        self._timeout = timeout
        self._memory_mb = default_memory_limit(self._jobs) if memory_mb is None else memory_mb
        self._deadline = deadline or (lambda _item: timeout)
        self._failed: Callable[[str], Any] = failed or _failed
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_serve, args=(child, self._work, os.getpid(), self._memory_mb), daemon=True
        )
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

    def _oom(self) -> str:
        return (
            f"the reader ran out of its {self._memory_mb} MB memory limit on this file; it is "
            f"probably damaged or hostile (raise {MEMORY_VARIABLE} or --memory-limit if it is a "
            "genuine huge model)"
        )

    def map(self, items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """Yield (item, result) in input order, pulling items only as workers can take them.

        At most `window` items are between being taken and being yielded (a slow item holds
        the ones after it that finished, so they wait in order), so neither the items nor the
        results pile up in this process: `items` may be a lazy iterable of any length.
        """
        source = iter(items)
        window = max(64, 16 * self._jobs)
        taken: dict[int, T] = {}  # index -> item, until it is yielded
        results: dict[int, Any] = {}
        workers: list[_Worker] = []
        next_in = next_out = 0
        exhausted = finished = False
        try:
            while True:
                for _slot in range(len(workers) + self._jobs):
                    if exhausted or next_in - next_out >= window:
                        break
                    idle = next((w for w in workers if w.task is None), None)
                    if idle is None and len(workers) >= self._jobs:
                        break
                    try:
                        item = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    if idle is None:
                        idle = self._start()
                        workers.append(idle)
                    taken[next_in] = item
                    idle.conn.send((next_in, item))
                    idle.task = (next_in, time.monotonic() + self._deadline(item))
                    next_in += 1
                busy = [w for w in workers if w.task is not None]
                if not busy and next_out == next_in:
                    finished = True
                    return
                if busy:
                    deadline = min(w.task[1] for w in busy)  # type: ignore[index]
                    ready = wait([w.conn for w in busy], max(0.0, deadline - time.monotonic()))
                    for i, w in enumerate(workers):
                        if w.task is None:
                            continue
                        index, due = w.task
                        if w.conn in ready:
                            try:
                                got_index, result = w.conn.recv()
                            except (EOFError, OSError):
                                w.process.join(5)  # the pipe closes before the exit is reaped
                                results[index] = self._failed(self._died(w.process.exitcode))
                            else:
                                w.task = None
                                if isinstance(result, _OutOfMemory):
                                    result = self._failed(self._oom())
                                elif isinstance(result, _Crashed):
                                    result = self._failed(
                                        f"internal error while judging this file "
                                        f"({result.reason}); please report this file to the "
                                        "migrator maintainers"
                                    )
                                results[got_index] = result
                                continue
                        elif time.monotonic() >= due:
                            seconds = self._deadline(taken[index])
                            results[index] = self._failed(
                                f"reading took longer than {seconds:g} s and was stopped; "
                                "the file is probably damaged (or raise --timeout for a huge graph)"
                            )
                        else:
                            continue
                        self._stop(w, kill=True)
                        workers[i] = self._start()
                while next_out in results:
                    yield taken.pop(next_out), results.pop(next_out)
                    next_out += 1
        finally:
            # Finished: idle workers are asked to exit. Interrupted (Ctrl-C, SIGTERM, the
            # consumer stopping): every worker is killed at once, none is waited on.
            for w in workers:
                self._stop(w, kill=not finished or w.task is not None)

    def _died(self, code: int | None) -> str:
        hint = f" (or ran out of its {self._memory_mb} MB memory limit)" if self._memory_mb else ""
        return (
            f"the reader process died (exit code {code}) on this file{hint}; "
            "it is probably damaged: check it or re-export the model"
        )


def _failed(message: str) -> Reading:
    return Reading("unknown", errors=(message,))
