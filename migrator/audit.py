"""The audit pipeline: discover -> read -> judge, producing a `Report` (nothing here prints).

Reading and judging both happen in the worker processes (`workers.py`), under the per-artifact
deadline and memory limit: rules walk whatever a reader parsed, and a hostile file (a YAML alias
bomb, a config nested a million deep) must cost one error line, not the main process. The main
process keeps only what the report shows: once judged, an artifact's `raw` (the parsed configs
and op lists the rules walked) is dropped in the worker and never crosses the pipe, so the
main process grows with the number of artifacts, not with their contents. `audit_stream` hands
the judged artifacts out one at a time in report order, so a caller that writes each one out as
it comes (the JSON report of `migrator audit`) does not grow with their number either; `audit()`
collects them into a `Report` for library users and the renderers that need everything at once.

SIGTERM and SIGINT end an audit with `Interrupted` (the command line turns it into exit 143/130
and writes no report): the pool stops its workers on the way out, and workers die with their
parent in any case.
"""

from __future__ import annotations

import heapq
import json
import os
import signal
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from migrator.discover import Discovery, discover, read_head
from migrator.errors import ArtifactError, Interrupted
from migrator.formats import reader
from migrator.model import Artifact, Candidate, Reading, Report, SourceFile
from migrator.spool import Spool
from migrator.storage import common_base, is_remote
from migrator.storage import location as to_location
from migrator.workers import DEFAULT_TIMEOUT, default_jobs, hdf5_deadline

if TYPE_CHECKING:
    from migrator.backends import Backend

# Readers whose work is HDF5 metadata, which gets a deadline scaled by file size (workers.py).
HDF5_READERS = frozenset({"hdf5"})
_OUT_OF_MEMORY = "ran out of memory reading this file; it is probably damaged or hostile"


def read_reading(candidate: Candidate) -> Reading:
    """Read one candidate; every failure becomes an error line on the reading, never a raise.

    MemoryError is the exception: it propagates, so a worker can name the memory limit it hit.
    """
    if not candidate.reader:
        return Reading("unknown", errors=(_unclaimed(candidate),))
    try:
        return reader(candidate.reader).read(candidate)
    except ArtifactError as exc:
        return Reading(getattr(exc, "format", None) or "unknown", errors=(exc.short,))
    except MemoryError:
        raise
    except OSError as exc:
        return Reading("unknown", errors=(f"cannot read ({type(exc).__name__}: {exc})",))
    except Exception as exc:  # a reader bug must not stop a ten-thousand-model batch
        return Reading(
            "unknown",
            errors=(
                f"internal error in the {candidate.reader} reader ({type(exc).__name__}: {exc}); "
                "please report this file to the migrator maintainers",
            ),
        )


def read_candidate(candidate: Candidate) -> Artifact:
    """Read one candidate in this process (no timeout): for callers that read a single artifact."""
    return Artifact(candidate.rel, candidate.location, _read_here(candidate), candidate.files)


def _read_here(candidate: Candidate) -> Reading:
    try:
        return read_reading(candidate)
    except MemoryError:
        return Reading("unknown", errors=(_OUT_OF_MEMORY,))


def _unclaimed(candidate: Candidate) -> str:
    try:
        head = read_head(candidate.location, 16)
    except OSError as exc:
        return f"cannot read file ({exc.strerror or exc}); check permissions"
    if not head:
        return "file is empty (0 bytes); re-export the model or remove the file"
    suffix = candidate.location.suffix or "(no extension)"
    return (
        f"the name suggests a model ({suffix}) but the content matches no known format "
        f"(first bytes {head[:8]!r}); check that the file was not truncated or replaced"
    )


Judge = Callable[[Artifact], Artifact]


@dataclass(frozen=True)
class Scope:
    """What the audit applies to what it finds, handed to a reader that finds more inside one
    file (an archive): the walk's globs and the code rules, as on disk.

    `code_rules` goes to the reader processes (and to Ray workers, pickled), so it is the plain
    callable, never the command line's progress-counting wrapper around it.
    """

    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    code_rules: Callable[[str, Path], SourceFile] | None = None


def judge_candidate(
    item: tuple[str, Candidate],
    judges: Sequence[Judge],
    *,
    keep_raw: bool = True,
    scope: Scope | None = None,
) -> Artifact | tuple[Artifact, ...]:
    """Read one (prefix, candidate) and run the judges on it; with `keep_raw=False`, drop `raw`.

    A reader with ``expand(candidate, judge, scope=...)`` (archives) turns one file into several
    artifacts, each read and judged inside it while its entries are at hand: a tuple, in report
    order, the first carrying the code files and left-out entries found inside (`scope`).
    """
    prefix, candidate = item

    def judged(found: Candidate, reading: Reading) -> Artifact:
        artifact = Artifact(found.rel, found.location, reading, found.files)
        if prefix:
            artifact = _with_prefix(artifact, prefix)
        for judge in judges:
            artifact = judge(artifact)
        if not keep_raw and artifact.reading.raw:
            artifact = replace(artifact, reading=replace(artifact.reading, raw={}))
        return artifact

    expand = getattr(reader(candidate.reader), "expand", None) if candidate.reader else None
    if expand is not None:
        return tuple(expand(candidate, judged, scope=scope))
    return judged(candidate, read_reading(candidate))


def _deadline(timeout: float, item: tuple[str, Candidate]) -> float:
    candidate = item[1]
    if candidate.reader in HDF5_READERS:
        try:
            return hdf5_deadline(candidate.location.stat().st_size, timeout)
        except OSError:
            return timeout
    return timeout


@dataclass
class AuditStream:
    """An audit as it runs: what discovery found, then the judged artifacts one at a time.

    `root` and `errors` are known before any artifact is read; `skipped` and `sources` hold what
    discovery found (small: one line or one source file each) and grow while `artifacts` is
    read, by the code files and left-out entries found inside archives: they are complete once
    it is exhausted. `artifacts` yields each judged artifact in path order, as the report lists
    them, and holds none of them after handing it out. A caller that writes each one out as it
    comes (the JSON report) holds only what it keeps itself, so its memory does not grow with
    the number of artifacts.
    """

    root: str
    errors: tuple[str, ...]
    skipped: list[str]
    sources: list[SourceFile]
    artifacts: Iterator[Artifact]


def audit(
    paths: Sequence[Path],
    *,
    judges: Sequence[Judge] = (),
    code_rules: Callable[[str, Path], object] | None = None,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_limit: int | None = None,
    exclude: Sequence[str] = (),
    include: Sequence[str] = (),
    backend: Backend | None = None,
) -> Report:
    """Audit one or more paths. With several, paths in the report are relative to their common folder.

    Readers and judges run in `jobs` worker processes (default: up to 4, one per core), each
    artifact bounded by `timeout` seconds (HDF5: less, scaled by size) and `memory_limit` MB
    (default: sized for the machine), so a damaged file that hangs, exhausts memory or crashes a
    C library costs one error line. `jobs=0` reads in this process, without that protection.
    When judges are given, `raw` is dropped from each reading once they have run: the report
    does not carry it. `exclude`/`include` are globs on the reported paths (discover.py).
    Raises `Interrupted` on SIGTERM or SIGINT. `audit_stream` is the same audit without holding
    every artifact at once. `backend` runs the reads elsewhere (`migrator.backends`: a Ray
    cluster); the default is this machine.
    """
    with audit_stream(
        paths,
        judges=judges,
        code_rules=code_rules,
        jobs=jobs,
        timeout=timeout,
        memory_limit=memory_limit,
        exclude=exclude,
        include=include,
        backend=backend,
    ) as stream:
        shared: dict[object, object] = {}
        compact = jobs is None or jobs > 0
        artifacts = tuple(_compact(a, shared) if compact else a for a in stream.artifacts)
        return Report(
            root=stream.root,
            artifacts=artifacts,
            errors=stream.errors,
            sources=tuple(stream.sources),
            skipped=tuple(stream.skipped),
        )


@contextmanager
def audit_stream(
    paths: Sequence[Path],
    *,
    judges: Sequence[Judge] = (),
    code_rules: Callable[[str, Path], object] | None = None,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_limit: int | None = None,
    exclude: Sequence[str] = (),
    include: Sequence[str] = (),
    backend: Backend | None = None,
) -> Iterator[AuditStream]:
    """`audit()` as an `AuditStream`, for writing a report as the artifacts are judged.

    Discovery runs on entry; the candidates (small: a path and a file list each) are sorted by
    the path their artifact will be reported under, and the pool yields results in input order,
    so artifacts come out in report order without the main process sorting the judged artifacts.
    SIGTERM and SIGINT raise `Interrupted` anywhere inside the `with` block; leaving it stops
    the workers.
    """
    with _signals_interrupt():
        stream = _discover_all(paths, code_rules, tuple(exclude), tuple(include))
        root, errors, skipped, sources, todo = stream
        jobs = default_jobs() if jobs is None else jobs
        plain = getattr(code_rules, "__wrapped__", code_rules)  # not the progress counter
        scope = Scope(tuple(exclude), tuple(include), plain)
        work = partial(judge_candidate, judges=tuple(judges), keep_raw=not judges, scope=scope)
        found = AuditStream(root, errors, list(skipped), list(sources), iter(()))
        found.artifacts = artifacts = _artifacts(
            work, todo, jobs, timeout, memory_limit, backend, found
        )
        del todo, stream
        try:
            yield found
        finally:
            artifacts.close()


def _discover_all(
    paths: Sequence[Path],
    code_rules: Callable[[str, Path], object] | None,
    exclude: tuple[str, ...],
    include: tuple[str, ...],
) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[Any, ...], _Todo]:
    """Walk every path: (root, errors, skipped, judged sources, candidates in report order).

    The candidates are spooled to disk as the walk finds them, one spool per path: each walk
    yields them in the order of their reported paths, and several paths are merged on that key.
    """
    resolved = [to_location(p) for p in paths]  # s3://... stays a store path (migrator.storage)
    if len(resolved) == 1 and not resolved[0].is_file():
        base = resolved[0]
        prefixes = [""]
    elif len(resolved) == 1:  # one file: reported by its name, under its folder
        base = resolved[0].absolute().parent
        prefixes = [resolved[0].name]
    elif any(is_remote(p) for p in resolved):
        base, prefixes = common_base(resolved)
    else:
        base = Path(os.path.commonpath([p.absolute() for p in resolved]))
        if base == Path(base.anchor):  # nothing in common but `/`: keep the paths absolute
            prefixes = [p.absolute().as_posix() for p in resolved]
        else:
            prefixes = [Path(os.path.relpath(p.absolute(), base)).as_posix() for p in resolved]
    errors: list[str] = []
    skipped: list[str] = []
    sources = []
    spools: list[Spool] = []
    try:
        for path, prefix in zip(resolved, prefixes, strict=True):
            spool: Spool = Spool(prefix)
            spools.append(spool)
            found: Discovery = discover(path, exclude=exclude, include=include, into=spool)
            errors.extend(_prefixed_error(prefix, e) for e in found.errors)
            skipped.extend(_prefixed_error(prefix, e) for e in found.skipped)
            if code_rules is not None:
                for rel, location in found.sources:
                    sources.append(code_rules(_prefixed(prefix, rel), location))
            del found
    except BaseException:
        for spool in spools:
            spool.close()
        raise
    return base.as_posix(), tuple(errors), tuple(skipped), tuple(sources), _Todo(spools)


class _Todo:
    """The spooled candidates of every audited path, as one sized iterable in report order."""

    def __init__(self, spools: list[Spool]) -> None:
        self._spools = spools

    def __len__(self) -> int:
        return sum(len(s) for s in self._spools)

    def __iter__(self) -> Iterator[tuple[str, Candidate]]:
        if len(self._spools) == 1:
            return iter(self._spools[0])
        # Stable, on the path each artifact is reported under: the order the report lists them in.
        return heapq.merge(*self._spools, key=lambda item: _prefixed(item[0], item[1].rel))

    def close(self) -> None:
        for spool in self._spools:
            spool.close()


def _artifacts(
    work: Callable[[tuple[str, Candidate]], Artifact],
    todo: _Todo,
    jobs: int,
    timeout: float,
    memory_limit: int | None,
    backend: Backend | None = None,
    found: AuditStream | None = None,
) -> Generator[Artifact, None, None]:
    """The judged artifacts in report order; what an archive found inside beside its models
    (code files, left-out entries) moves from its row to `found`'s `sources` and `skipped`."""
    try:
        for (prefix, candidate), result in _judged(
            work, todo, jobs, timeout, memory_limit, backend
        ):
            if isinstance(result, Reading):  # the worker died, overran or ran out of memory
                result = Artifact(candidate.rel, candidate.location, result, candidate.files)
                if prefix:
                    result = _with_prefix(result, prefix)
            if isinstance(result, tuple):  # an archive: its row, then what it holds
                for artifact in result:
                    if found is not None and (artifact.sources or artifact.skipped):
                        found.sources.extend(artifact.sources)
                        found.skipped.extend(artifact.skipped)
                        artifact = replace(artifact, sources=(), skipped=())
                    yield artifact
                continue
            yield result
    finally:
        todo.close()


def _judged(
    work: Callable[[tuple[str, Candidate]], Artifact],
    todo: _Todo,
    jobs: int,
    timeout: float,
    memory_limit: int | None,
    backend: Backend | None = None,
) -> Iterator[tuple[tuple[str, Candidate], Artifact | Reading]]:
    """Each candidate judged by `work` on the backend (this machine by default), in order.

    Locally that is the forked reader pool (`jobs` processes, or this process when `jobs` is
    0); on a cluster, chunks of candidates as tasks that each run the same pool.
    """
    from migrator.backends import ReadLimits, get

    limits = ReadLimits(jobs, timeout, memory_limit, partial(_deadline, timeout))
    yield from (backend or get()).read(work, todo, limits)


def _compact(artifact: Artifact, shared: dict[object, object]) -> Artifact:
    """One copy of each verdict table, finding list, evidence and producer across the batch.

    Every artifact crosses the pipe as a fresh copy; artifacts of the same kind and era carry
    equal loadability tables (a dozen cells of long reasons), findings and evidence, which the
    report needs once each, not once per artifact.
    """
    reading = artifact.reading

    def share(kind: str, key: Callable[[], object], value: Any) -> Any:
        try:
            return shared.setdefault((kind, key()), value)
        except (TypeError, ValueError):  # an unhashable or unserializable value: keep its own
            return value

    loadability = artifact.loadability
    if loadability:
        loadability = share(
            "loadability", lambda: json.dumps(loadability, sort_keys=True), loadability
        )
    findings = share("findings", lambda: artifact.findings, artifact.findings)
    evidence = share("evidence", lambda: reading.evidence, reading.evidence)
    producer = share("producer", lambda: tuple(sorted(reading.producer.items())), reading.producer)
    return replace(
        artifact,
        loadability=loadability,
        findings=findings,
        reading=replace(reading, evidence=evidence, producer=producer),
    )


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM (and Ctrl-C) into `Interrupted` while the audit runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(signal.SIGINT) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _prefixed(prefix: str, rel: str) -> str:
    if not prefix or prefix == ".":
        return rel
    if rel.startswith("!/"):  # inside an archive given as the path itself: `model.tar.gz!/1`
        return f"{prefix}{rel}"
    return prefix if rel == "." else f"{prefix}/{rel}"


def _prefixed_error(prefix: str, error: str) -> str:
    return error if not prefix else f"{prefix}: {error}" if not error.startswith(prefix) else error


def _with_prefix(artifact: Artifact, prefix: str) -> Artifact:
    """`artifact` named under the audited path `prefix`. A file given as the path names its
    files in its own folder (itself, a checkpoint's siblings): `model.h5`, not `model.h5/model.h5`,
    so the CycloneDX report finds and hashes them; members of an archive given as the path
    (`!/1/...`) hang off the archive's name."""
    folder = prefix
    if artifact.path == "." and prefix.rpartition("/")[2] in artifact.files:
        folder = prefix.rpartition("/")[0]
    return replace(
        artifact,
        path=_prefixed(prefix, artifact.path),
        files=tuple(_prefixed(prefix if f.startswith("!/") else folder, f) for f in artifact.files),
    )
