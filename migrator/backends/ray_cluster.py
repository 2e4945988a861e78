"""The `ray` backend: the audit's reads and the conversions as tasks on a Ray cluster.

Connecting: `--ray-address` (or `RAY_ADDRESS`) names a cluster (`host:port` of its head, or
`ray://host:10001`); without one, a cluster started on this machine with `ray start` is joined,
else a local one is started for the run (no dashboard, a small object store, no usage
statistics unless the user turned them on) and shut down with it. Every node must see the paths
being audited or converted (a shared filesystem, or the store URLs of `migrator.storage`) and
have this migrator version installed with the `ray` extra.

Reads are sent in chunks, so a tree of a million small files is not a million tasks: each chunk is
one task (one CPU) that reads its artifacts through the local reader pool (`ray_tasks.py`), so
one artifact stays isolated as on one machine. A task whose worker dies (a node lost, the OOM
killer) or that overruns its chunk's deadline is cancelled (`ray.cancel(force=True)`, and
`max_retries=0`: Ray never retries behind migrator's back); its artifacts are sent again one per
task, and an artifact whose own task dies or overruns gets one error line. Results are yielded in
input order, with a bounded number of chunks in flight, so memory does not grow with the tree.

Conversions are one task per artifact (they take seconds to minutes, so the few milliseconds a
task costs do not matter): the batch's threads (`convert/batch.py`) each wait on one task at a
time, the ledger stays in this process, and a task whose worker dies raises `TaskLost`, which the
batch leaves unfinished in the ledger so that the next run converts it again.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from migrator import __version__
from migrator.backends import Backend, ReadLimits, node_convert, register
from migrator.backends import ray_tasks as tasks
from migrator.errors import MigratorError, TaskLost, UsageError
from migrator.model import Reading

if TYPE_CHECKING:
    from migrator.convert import Convertible, Options
    from migrator.convert.converter import Converter, Outcome
    from migrator.storage.staging import Stager

T = TypeVar("T")

EXTRA_HINT = "pip install 'migrator[ray]'"
# At most this many artifacts per read task; fewer when the tree is small, so that every CPU of
# the cluster gets several chunks. A chunk costs a few tenths of a second beyond its reads (its
# reader process is forked from the Ray worker and stopped at its end): on 2,000 artifacts,
# 128 per chunk read 61/s, 32 per chunk 31/s, 8 per chunk 20/s (benchmarks/ray_bench.py).
CHUNK_MAX = 128
CHUNKS_PER_CPU = 4
# Seconds a chunk may take beyond the sum of its artifacts' deadlines (worker start, imports).
CHUNK_MARGIN = 60.0
# A conversion's backstop: this many --timeout periods (each load, step and validation run is
# bounded by --timeout inside the task) plus time to install missing runtimes on a fresh node.
CONVERT_CALLS = 8
INSTALL_SECONDS = 1800.0
# The object store of a cluster this backend starts for one run: results are small (an audit
# result is a few KB), so 256 MB is plenty and leaves memory to the readers and runtimes.
LOCAL_OBJECT_STORE = 256 * 2**20


def import_ray() -> Any:
    """The `ray` module, or a one-line error naming the extra that provides it."""
    try:
        import ray
    except ImportError:
        raise UsageError(
            f"--backend ray needs Ray, which is not installed; install the extra: {EXTRA_HINT}"
        ) from None
    return ray


def _keep_stdout_for_the_report() -> None:
    """Stop Ray from printing the cluster's error events on this process's stdout.

    A Ray driver prints every error event of its job ("(raylet) A worker died or was killed
    ...") on `sys.stdout`, whatever `log_to_driver` says; stdout carries the report (`--format
    json` piped into another tool). migrator reports those events itself, one line per
    artifact, and Ray keeps them in its session logs, so the driver's copy is dropped: Ray's
    printer (`ray._private.worker.print_to_stdstream`, looked up on each call) is swapped for
    one that forwards only what is not a raylet event, to stderr. A Ray that renames it keeps
    its own behaviour, which tests/test_ray.py would catch (it parses the JSON on stdout).
    """
    module = sys.modules.get("ray._private.worker")
    original = getattr(module, "print_to_stdstream", None)
    if original is None or getattr(original, "_migrator", False):
        return

    def to_stderr(data: dict[str, Any], ignore_prefix: bool) -> None:
        if data.get("pid") == "raylet":
            return
        original({**data, "is_err": True}, ignore_prefix)

    to_stderr._migrator = True  # type: ignore[attr-defined]
    module.print_to_stdstream = to_stderr  # type: ignore[union-attr]


def _reachable(address: str) -> bool:
    """Does something answer on the address's port? Ray's own client retries an address that
    does not answer for minutes, with warnings of its own; this asks for five seconds."""
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=5):
            return True
    except (OSError, ValueError):
        return False


def _running_here() -> str | None:
    """The address of a cluster `ray start` left running on this machine, if one answers.

    Ray records the last one it started in its temp folder and finds running GCS processes;
    a record of a cluster that has since died is ignored (a new local cluster is started).
    """
    try:
        from ray._private.services import get_ray_address_from_environment

        found = get_ray_address_from_environment("auto", None)
    except Exception:  # none found, or a Ray without this helper: start a local cluster
        return None
    return found if isinstance(found, str) and found and _reachable(found) else None


def _call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a Ray function, letting a signal's exception through as itself.

    A signal handler that raises (the audit's `Interrupted` on SIGTERM, Ctrl-C's
    KeyboardInterrupt) while Ray waits in compiled code comes out as a `SystemError` whose cause
    is that exception; the command line must see the interruption, not an internal error.
    """
    try:
        return function(*args, **kwargs)
    except SystemError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, BaseException) and not isinstance(cause, Exception):
            raise cause from None
        raise


@dataclass
class _Chunk:
    """Items sent as one task; `results` once it finished, or `parts` once it was split."""

    items: list[Any]
    ref: Any = None
    due: float = 0.0
    results: list[Any] | None = None
    parts: deque[_Chunk] = field(default_factory=deque)


@register("ray")
class RayBackend(Backend):
    """A Ray cluster: given by `address`, else joined or started on this machine."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address
        self._ray: Any = None
        self._owned = False  # this backend called ray.init, so it shuts the connection down
        self._stores: dict[Path, Any] = {}  # OUT work folder -> the store URL nodes publish to

    # -- connection ---------------------------------------------------------------------

    def connect(self) -> Any:
        """Connect on first use (a `--plan` or an empty tree never starts Ray)."""
        if self._ray is not None:
            return self._ray
        ray = import_ray()
        if not ray.is_initialized():
            # ray.init replaces the SIGTERM handler with `sys.exit(15)`; the audit's own handler
            # (exit 143, no report written) must stay, so it is put back.
            main = threading.current_thread() is threading.main_thread()
            previous = signal.getsignal(signal.SIGTERM) if main else None
            try:
                self._init(ray)
            finally:
                if main and previous is not None:
                    signal.signal(signal.SIGTERM, previous)
            self._owned = True
            _keep_stdout_for_the_report()
        self._ray = ray
        return ray

    def _init(self, ray: Any) -> None:
        env = {k: v for k, v in os.environ.items() if k.startswith("MIGRATOR_")}
        common: dict[str, Any] = {
            "log_to_driver": False,  # worker output is not the report; it stays in Ray's logs
            "logging_level": logging.ERROR,
            "runtime_env": {"env_vars": env} if env else None,
        }
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        if address and not _reachable(address):
            raise UsageError(
                f"cannot reach the Ray cluster at {address} (nothing answers on that port); "
                "check --ray-address (host:port of the head node, or ray://host:10001) and that "
                "the cluster is running, or omit it to start a local cluster"
            )
        try:
            joined = address or _running_here()
            if joined:
                ray.init(address=joined, **common)
                return
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            ray.init(
                num_cpus=os.cpu_count() or 1,
                include_dashboard=False,
                object_store_memory=LOCAL_OBJECT_STORE,
                **common,
            )
        except MigratorError:
            raise
        except Exception as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
            reason = " ".join(str(exc).split())[:300]
            raise UsageError(
                f"cannot connect to {where} ({type(exc).__name__}: {reason}); check "
                "--ray-address (host:port of the head node, or ray://host:10001) or omit it to "
                "start a local cluster"
            ) from None

    def close(self) -> None:
        if self._ray is not None and self._owned:
            self._ray.shutdown()
        self._ray, self._owned = None, False

    def cpus(self) -> int:
        """The CPUs of the whole cluster (each read chunk and each conversion takes one)."""
        ray = self.connect()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _check_version(self, version: str) -> None:
        if version != __version__:
            raise UsageError(
                f"a Ray node runs migrator {version} and this is migrator {__version__}; install "
                "the same version on every node (reports must not depend on where a file was read)"
            )

    # -- reads ----------------------------------------------------------------------------

    def read(
        self, work: Callable[[T], Any], items: Iterable[T], limits: ReadLimits
    ) -> Iterator[tuple[T, Any]]:
        ray = self.connect()
        cpus = self.cpus()
        size = CHUNK_MAX
        if hasattr(items, "__len__"):
            size = max(1, min(CHUNK_MAX, math.ceil(len(items) / (cpus * CHUNKS_PER_CPU))))
        remote = ray.remote(tasks.read_chunk).options(num_cpus=1, max_retries=0)
        inner = ReadLimits(min(limits.jobs, 1), limits.timeout, limits.memory_mb, limits.deadline)
        shared = ray.put(work)  # one copy of the judges for every task
        source = iter(items)
        order: deque[_Chunk] = deque()  # chunks in input order, until yielded
        window = 2 * cpus
        flying: dict[Any, _Chunk] = {}

        def submit(chunk: _Chunk) -> None:
            chunk.ref = remote.remote(shared, chunk.items, inner)
            chunk.due = time.monotonic() + limits.timeout * len(chunk.items) + CHUNK_MARGIN
            flying[chunk.ref] = chunk

        try:
            exhausted = False
            while True:
                while not exhausted and len(flying) < window and len(order) < 4 * window:
                    batch = list(islice(source, size))
                    if not batch:
                        exhausted = True
                        break
                    chunk = _Chunk(batch)
                    order.append(chunk)
                    submit(chunk)
                while order and _done(order[0]):
                    yield from _drain(order.popleft())
                if not flying:
                    if exhausted and not order:
                        return
                    continue
                soonest = min(c.due for c in flying.values())
                wait = max(0.05, min(1.0, soonest - time.monotonic()))
                ready, _ = _call(ray.wait, list(flying), num_returns=1, timeout=wait)
                for ref in ready:
                    self._landed(ray, flying.pop(ref), submit, limits)
                now = time.monotonic()
                for ref, chunk in list(flying.items()):
                    if now >= chunk.due:
                        ray.cancel(ref, force=True)
                        del flying[ref]
                        self._failed(chunk, submit, limits, overran=True)
        finally:
            for ref in flying:
                ray.cancel(ref, force=True)

    def _landed(
        self, ray: Any, chunk: _Chunk, submit: Callable[[_Chunk], None], limits: ReadLimits
    ) -> None:
        try:
            version, results = _call(ray.get, chunk.ref)
        except ray.exceptions.RayTaskError as exc:  # the task's own code raised: not the file's
            reason = " ".join(str(exc.cause if exc.cause else exc).split())[:300]
            line = f"internal error in the Ray read task ({reason}); please report it"
            self._finish(chunk, [Reading("unknown", errors=(line,)) for _ in chunk.items])
            return
        except ray.exceptions.RayError as exc:  # the worker or its node died
            self._failed(chunk, submit, limits, overran=False, why=type(exc).__name__)
            return
        self._check_version(version)
        self._finish(chunk, results)

    def _finish(self, chunk: _Chunk, results: list[Any]) -> None:
        chunk.results = results
        if self.observer is not None:
            self.observer(len(results))

    def _failed(
        self,
        chunk: _Chunk,
        submit: Callable[[_Chunk], None],
        limits: ReadLimits,
        *,
        overran: bool,
        why: str = "",
    ) -> None:
        """A chunk's task died or overran: send its artifacts again one per task; an artifact
        alone in its task gets one error line."""
        if len(chunk.items) > 1:
            chunk.parts = deque(_Chunk([item]) for item in chunk.items)
            for part in chunk.parts:
                submit(part)
            return
        if overran:
            seconds = limits.deadline(chunk.items[0]) if limits.deadline else limits.timeout
            line = (
                f"reading took longer than {seconds:g} s on the Ray cluster and its task was "
                "stopped; the file is probably damaged (or raise --timeout for a huge graph)"
            )
        else:
            line = (
                f"the Ray worker reading this file died ({why}); the file may be damaged or the "
                "node was lost: check the file, or audit it again"
            )
        self._finish(chunk, [Reading("unknown", errors=(line,))])

    # -- conversions ----------------------------------------------------------------------

    def publishes_to(self, local_out: Path, out: Any) -> None:
        self._stores[Path(local_out).absolute()] = out

    def converters(self, out_root: Path, options: Options) -> Callable[[], Converter]:
        self.connect()
        store = self._stores.get(Path(out_root).absolute())
        return lambda: RayConverter(self, out_root, options, store)  # type: ignore[return-value]

    def convert_jobs(self, requested: int | None) -> int:
        return requested if requested and requested > 1 else self.cpus()


def _done(chunk: _Chunk) -> bool:
    if chunk.results is not None:
        return True
    return bool(chunk.parts) and all(_done(p) for p in chunk.parts)


def _drain(chunk: _Chunk) -> Iterator[tuple[Any, Any]]:
    if chunk.results is not None:
        yield from zip(chunk.items, chunk.results, strict=True)
        return
    for part in chunk.parts:
        yield from _drain(part)


class RayConverter:
    """What a batch thread converts with: each conversion is one task on the cluster, whole on
    its node (`node_convert.py`: it fetches a store source, converts, publishes to a store OUT,
    in the node's own temp folder), so nothing of this machine's folders is needed there.

    It offers the `Converter` methods the batch calls (`convert`, `close`).
    """

    stages_itself = True  # the batch hands it store sources unfetched (its `stager` says how)

    def __init__(
        self, backend: RayBackend, out_root: Path, options: Options, store: Any = None
    ) -> None:
        ray = backend.connect()
        self._ray = ray
        self._backend = backend
        self._out_root = Path(out_root).absolute()
        self._store = store
        self._options = options
        self._remote = ray.remote(node_convert.convert_one).options(num_cpus=1, max_retries=0)
        self._deadline = options.timeout * CONVERT_CALLS + INSTALL_SECONDS

    def convert(
        self,
        source: Convertible,
        *,
        single: bool,
        sha256: str | None = None,
        stager: Stager | None = None,
    ) -> Outcome:
        from migrator.convert.converter import Outcome

        ray = self._ray
        kind = source.kind if source.kinds else None
        work = node_convert.job(
            stager, source, self._store, self._out_root, single=single, key=sha256
        )
        ref = self._remote.remote(work, self._options)
        try:
            version, outcome = _call(ray.get, ref, timeout=self._deadline)
        except ray.exceptions.GetTimeoutError:
            ray.cancel(ref, force=True)
            return Outcome(
                source.rel,
                source.format,
                "failed",
                kind,
                reason=f"the conversion did not finish within {self._deadline:.0f} s on the "
                "Ray cluster and its task was stopped; pass a larger --timeout for a huge model",
            )
        except ray.exceptions.RayTaskError as exc:
            reason = " ".join(str(exc.cause if exc.cause else exc).split())[:300]
            return Outcome(
                source.rel,
                source.format,
                "failed",
                kind,
                reason=f"internal error in the Ray conversion task ({reason}); this is a migrator "
                "bug: please report it with this line",
            )
        except ray.exceptions.RayError as exc:
            raise TaskLost(
                source.rel,
                f"the Ray worker converting it died ({type(exc).__name__}); it is left "
                "unfinished in the ledger",
                "run the same command again to convert it",
            ) from None
        self._backend._check_version(version)
        if isinstance(outcome, node_convert.Lost):  # its source could not be fetched there
            raise TaskLost(source.rel, outcome.problem, outcome.remedy)
        return outcome

    def close(self) -> None:
        """Nothing to stop here: the runtime workers live in the cluster's worker processes."""
