"""The audit pipeline: discover -> read -> judge, producing a `Report` (nothing here prints)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from migrator.discover import Discovery, discover, read_head
from migrator.errors import ArtifactError
from migrator.formats import reader
from migrator.model import Artifact, Candidate, Reading, Report
from migrator.workers import DEFAULT_TIMEOUT, ReaderPool, default_jobs


def read_reading(candidate: Candidate) -> Reading:
    """Read one candidate; every failure becomes an error line on the reading, never a raise."""
    if not candidate.reader:
        return Reading("unknown", errors=(_unclaimed(candidate),))
    try:
        return reader(candidate.reader).read(candidate)
    except ArtifactError as exc:
        return Reading(getattr(exc, "format", None) or "unknown", errors=(exc.short,))
    except (OSError, MemoryError) as exc:
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
    return Artifact(candidate.rel, candidate.location, read_reading(candidate), candidate.files)


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


def audit(
    paths: Sequence[Path],
    *,
    judges: Sequence[Judge] = (),
    code_rules: Callable[[str, Path], object] | None = None,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Report:
    """Audit one or more paths. With several, paths in the report are relative to their common folder.

    Readers run in `jobs` worker processes (default: up to 4, one per core), each artifact bounded
    by `timeout` seconds, so a damaged file that hangs or crashes a C library costs one error line.
    `jobs=0` reads in this process, without that protection (for debugging).
    """
    resolved = [Path(p) for p in paths]
    if len(resolved) == 1 and not resolved[0].is_file():
        base = resolved[0]
        prefixes = [""]
    elif len(resolved) == 1:  # one file: reported by its name, under its folder
        base = resolved[0].absolute().parent
        prefixes = [resolved[0].name]
    else:
        base = Path(os.path.commonpath([p.absolute() for p in resolved]))
        if base == Path(base.anchor):  # nothing in common but `/`: keep the paths absolute
            prefixes = [p.absolute().as_posix() for p in resolved]
        else:
            prefixes = [Path(os.path.relpath(p.absolute(), base)).as_posix() for p in resolved]
    errors: list[str] = []
    sources = []
    candidates: list[tuple[str, Candidate]] = []
    for path, prefix in zip(resolved, prefixes, strict=True):
        found: Discovery = discover(path)
        errors.extend(_prefixed_error(prefix, e) for e in found.errors)
        candidates.extend((prefix, c) for c in found.candidates)
        if code_rules is not None:
            for rel, location in found.sources:
                sources.append(code_rules(_prefixed(prefix, rel), location))

    jobs = default_jobs() if jobs is None else jobs
    todo = [c for _, c in candidates]
    if jobs <= 0 or len(todo) <= 1 and timeout <= 0:
        readings = ((c, read_reading(c)) for c in todo)
    else:
        readings = ReaderPool(read_reading, jobs, timeout).map(todo)
    artifacts: list[Artifact] = []
    for (prefix, _), (candidate, reading) in zip(candidates, readings, strict=True):
        artifact = Artifact(candidate.rel, candidate.location, reading, candidate.files)
        if prefix:
            artifact = _with_prefix(artifact, prefix)
        for judge in judges:
            artifact = judge(artifact)
        artifacts.append(artifact)
    artifacts.sort(key=lambda a: a.path)
    return Report(
        root=base.as_posix(),
        artifacts=tuple(artifacts),
        errors=tuple(errors),
        sources=tuple(sources),
    )


def _prefixed(prefix: str, rel: str) -> str:
    if not prefix or prefix == ".":
        return rel
    return prefix if rel == "." else f"{prefix}/{rel}"


def _prefixed_error(prefix: str, error: str) -> str:
    return error if not prefix else f"{prefix}: {error}" if not error.startswith(prefix) else error


def _with_prefix(artifact: Artifact, prefix: str) -> Artifact:
    from dataclasses import replace

    return replace(
        artifact,
        path=_prefixed(prefix, artifact.path),
        files=tuple(_prefixed(prefix, f) for f in artifact.files),
    )
