"""One archive -> the archive's own row plus one artifact per model inside it.

The archive is walked once (`members.entries`); safe entries are laid in a private folder
(`stage`); the folder is then found and read exactly as a folder on disk would be: the same
discovery (a SavedModel folder is one artifact, TF Serving version folders keep their layout),
the same readers, the same judges. Only the names change: what discovery calls `1` inside
`model.tar.gz` is reported as `model.tar.gz!/1`, and its files as `model.tar.gz!/1/...`. An
archive inside the archive is expanded the same way, down to `MAX_DEPTH`.

Everything goes through `judge` while the folder exists (rules may look at files), and each
artifact leaves with its location set back to the archive on disk, since the folder is gone
once the archive is done.

What the audit applies on disk applies inside (`Scope`): `--exclude`/`--include` globs leave
members out as they leave files out (a pattern without a slash matches a name at any depth, one
with a slash matches the member's path inside the archive, `code/train.py`, or its path as
reported, `models/source.tar.gz!/code/train.py`; each member left out is a `skipped` line), and
the code rules judge the `.py` files and notebooks found (a training repo or SageMaker's
`code/train.py` shipped as a tarball), reported as `source.tar.gz!/code/train.py:LINE`. The
sha256 of every file of every artifact found goes with it (`Artifact.digests`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.formats.archive import limits
from migrator.formats.archive.limits import human
from migrator.formats.archive.members import ArchiveProblem, Entry, describe, entries, sniff
from migrator.formats.archive.stage import Stage, hash_member, staging, unsafe_reason
from migrator.model import Artifact, Candidate, Reading, SourceFile
from migrator.storage import location as to_location

if TYPE_CHECKING:
    from migrator.audit import Scope

FORMAT = "archive"
SEPARATOR = "!/"
MAX_LISTED = 50  # names listed per kind in details and error lines

Judge = Callable[[Candidate, Reading], Artifact]


def inner_rel(archive_rel: str, rel: str) -> str:
    """`model.tar.gz!/1` for `1` inside `model.tar.gz`; `model.tar.gz!/` for its root."""
    base = "" if archive_rel == "." else archive_rel  # the archive given as the audit path
    return f"{base}{SEPARATOR}{'' if rel == '.' else rel}"


def expand(
    candidate: Candidate,
    judge: Judge,
    depth: int = 0,
    scope: Scope | None = None,
    shown: str = "",
) -> list[Artifact]:
    """The archive's row first, then every artifact inside it, judged, in report order.

    `scope` is what the audit applies inside (globs, code rules); `shown` is the archive's path
    as reported under its audited folder (a nested archive's includes the outer one's), which
    slash patterns are matched against.
    """
    shown = shown or (candidate.location.name if candidate.rel == "." else candidate.rel)
    with staging() as stage:
        row, found = _lay_out(candidate, stage, scope, shown)
        judged = judge(candidate, row)
        top = judged.path  # the archive's name in the report: what its members are named after
        inner = _inner(candidate, stage, found, judge, depth, scope, shown)
        sources, unjudged = _code(found, stage, scope, top)
        judged = replace(
            judged, sources=sources, skipped=(*_renamed(top, found.skipped), *unjudged)
        )
    return [_placed(a, candidate.location, top) for a in (judged, *inner)]


def _lay_out(
    candidate: Candidate, stage: Stage, scope: Scope | None, shown: str
) -> tuple[Reading, Any]:
    """Walk the archive into `stage`; the archive's own reading and the discovery of the folder."""
    from migrator.discover import discover

    path = candidate.location
    errors: list[str] = []
    evidence: list[str] = []
    unsafe: list[dict[str, str]] = []
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    total = 0
    container = None
    held: dict[str, tuple[int, Any]] = {}  # zip members whose tail was not hashed: size, reader
    with ExitStack() as still_open:  # a zip stays open until its artifacts' members are hashed
        try:
            fh = still_open.enter_context(path.open("rb"))
            head = fh.read(512)
            container = sniff(path, head)
            if container is None:
                raise ArchiveProblem(_not_an_archive(path, head))
            stage.read_through = container != "zip"
            evidence.append(_evidence(container, head))
            for entry, read in entries(path, fh, container):
                counts[entry.name] += 1
                kinds[entry.kind] += 1
                total += entry.size if entry.kind == "file" else 0
                lay(entry, read, stage, unsafe)
                again = getattr(read, "again", None)
                if again is not None and entry.name not in stage.digests:
                    held[entry.name] = (entry.size, again)
                else:
                    held.pop(entry.name, None)
        except ArchiveProblem as exc:
            errors.append(str(exc))
        except OSError as exc:
            errors.append(f"cannot read the archive ({exc.strerror or exc}); check permissions")
        found = discover(
            stage.root,
            exclude=scope.exclude if scope else (),
            include=scope.include if scope else (),
            outer=f"{shown}{SEPARATOR}",
        )
        _hash_held(found, stage, held)
    duplicates = sorted(n for n, c in counts.items() if c > 1)
    if unsafe:
        listed = ", ".join(f"{u['name']} ({u['reason']})" for u in unsafe[:5])
        errors.append(
            f"{len(unsafe)} entr{'y' if len(unsafe) == 1 else 'ies'} unsafe to extract, not read: "
            f"{listed}{' ...' if len(unsafe) > 5 else ''}; rebuild the archive from a folder "
            "of regular files with relative names, and do not extract this one"
        )
    if duplicates:
        errors.append(
            f"names stored more than once: {', '.join(duplicates[:5])}; extraction keeps the "
            "last copy, which is the one audited; rebuild the archive with each name once"
        )
    if stage.problems:
        errors.append(
            f"entries that clash with each other, not read: {', '.join(stage.problems[:5])}; "
            "rebuild the archive from a folder"
        )
    # inside the archive, as its own paths ("." for its root): reported as `<archive>!/<path>`
    models = sorted(c.rel for c in found.candidates)
    errors.extend(_renamed(candidate.rel, found.errors))
    details: dict[str, Any] = {
        "container": container,
        "entries": sum(kinds.values()),
        "entry_kinds": dict(sorted(kinds.items())),
        "expanded_bytes": total,
        "kept_bytes": stage.kept,
        "artifacts": models[:MAX_LISTED],
        "code": sorted(rel for rel, _ in found.sources)[:MAX_LISTED],
        "unsafe_entries": unsafe[:MAX_LISTED],
        "duplicate_names": duplicates[:MAX_LISTED],
        "over_cap": {n: s for n, s in sorted(stage.over_cap.items())[:MAX_LISTED]},
    }
    if not models and not errors:
        evidence.append("no model found among the entries")
    return Reading(FORMAT, {}, details, tuple(evidence), tuple(errors)), found


def lay(entry: Entry, read: Any, stage: Stage, unsafe: list[dict[str, str]]) -> None:
    """Lay one entry in `stage`, or record why it is unsafe (never written)."""
    if entry.name in ("", "."):
        return
    why = unsafe_reason(entry.name, entry.kind, entry.target)
    if why is not None:
        unsafe.append({"name": entry.name, "reason": why})
    elif entry.kind == "dir":
        stage.add_dir(entry.name)
    elif read is not None:
        stage.add_file(entry.name, entry.size, read)


def _not_an_archive(path: Path, head: bytes) -> str:
    named = describe(limits.container_by_name(path.name) or "archive")
    what = "an empty file" if not head else f"first bytes {head[:8]!r}"
    return (
        f"is named like a {named} but is not one ({what}: neither gzip, bzip2, xz, zip nor tar); "
        "check that the download completed and was not an error page, then fetch it again"
    )


def _evidence(container: str, head: bytes) -> str:
    magic = {
        "tar+gzip": "gzip magic 1f 8b",
        "tar+bzip2": "bzip2 magic BZh",
        "tar+xz": "xz magic fd 37 7a 58 5a 00",
        "zip": "zip signature PK",
    }.get(container, "ustar magic at byte 257" if head[257:262] == b"ustar" else "named .tar")
    return f"{magic}; read as {container} in one pass, entry by entry (never extracted)"


def _inner(
    archive: Candidate,
    stage: Stage,
    found: Any,
    judge: Judge,
    depth: int,
    scope: Scope | None,
    shown: str,
) -> list[Artifact]:
    from migrator.audit import read_reading

    out: list[Artifact] = []
    for inner in found.candidates:
        named = replace(
            inner,
            rel=inner_rel(archive.rel, inner.rel),
            files=tuple(inner_rel(archive.rel, f) for f in inner.files),
        )
        if inner.reader == "archive":
            if depth + 1 >= limits.MAX_DEPTH:
                problem = (
                    f"an archive nested {depth + 2} deep (the cap is {limits.MAX_DEPTH}); "
                    "extract the outer archive and audit what it holds"
                )
                reading = Reading(FORMAT, errors=(problem,))
                out.append(_hashed(judge(named, reading), inner.files, stage))
                continue
            deeper = inner_rel(shown, inner.rel)
            nested = expand(named, judge, depth + 1, scope, deeper)
            out.append(_hashed(nested[0], inner.files, stage))  # its own row: a member here
            out.extend(nested[1:])
            continue
        problem = _cut(inner, stage) or _over_cap(inner, stage)
        reading = Reading("unknown", errors=(problem,)) if problem else read_reading(named)
        out.append(_hashed(judge(named, reading), inner.files, stage))
    return out


def _hashed(artifact: Artifact, members: tuple[str, ...], stage: Stage) -> Artifact:
    """`artifact` with the sha256 of its files, which are these members of the archive.

    The judged artifact names its files as the report does (with the audit's prefix), in the
    order of the members it was made from.
    """
    if len(members) != len(artifact.files):
        return artifact
    digests = dict(artifact.digests)
    for member, name in zip(members, artifact.files, strict=True):
        if member in stage.digests:
            digests[name] = stage.digests[member]
    return replace(artifact, digests=digests)


def _hash_held(found: Any, stage: Stage, held: dict[str, tuple[int, Any]]) -> None:
    """Hash the zip members of found artifacts that were not read to their end (weight shards,
    members over the caps) with a second read, within what is left of `MAX_HASHED_BYTES`. A
    member that breaks on the way is damaged, as when laid."""
    for member in sorted({f for c in found.candidates for f in c.files} & held.keys()):
        size, again = held[member]
        if stage.hashed + size > limits.MAX_HASHED_BYTES:
            continue
        stage.hashed += size
        try:
            digest = hash_member(again(), size)
        except ArchiveProblem:
            digest = None
        if digest is None:
            stage.damaged.add(member)
        else:
            stage.digests[member] = digest


def _code(
    found: Any, stage: Stage, scope: Scope | None, top: str
) -> tuple[tuple[SourceFile, ...], tuple[str, ...]]:
    """The code rules over the `.py` files and notebooks in the archive, named as reported, in
    path order up to `MAX_CODE_TOTAL_BYTES`; a `skipped` line for what is past it."""
    if scope is None or scope.code_rules is None:
        return (), ()
    out = []
    judged, past, past_bytes = 0, 0, 0
    for rel, staged in found.sources:
        name = inner_rel(top, rel)
        if rel in stage.over_cap:
            size, cap = stage.over_cap[rel], limits.member_cap(rel)
            problem = (
                f"is {human(size)}, over the {human(cap)} migrator reads of a code file inside "
                "an archive, so the code rules did not read it; extract the archive and audit "
                "the extracted folder"
            )
        elif rel in stage.damaged:
            problem = (
                "is cut short where the archive is truncated or corrupt, so the code rules did "
                "not read it; download the archive again"
            )
        else:
            size = staged.stat().st_size
            if past or judged + size > limits.MAX_CODE_TOTAL_BYTES:
                past, past_bytes = past + 1, past_bytes + size
                continue
            judged += size
            out.append(scope.code_rules(name, staged))
            continue
        out.append(SourceFile(name, staged, errors=(problem,)))
    if not past:
        return tuple(out), ()
    line = (
        f"{inner_rel(top, '.')}: {past} code file(s) ({human(past_bytes)}) past the "
        f"{human(limits.MAX_CODE_TOTAL_BYTES)} of code judged inside one archive were not "
        "judged (the first in path order were); extract the archive and audit the folder"
    )
    return tuple(out), (line,)


def _renamed(top: str, lines: list[str]) -> list[str]:
    """Discovery's `path: what` lines about the laid-out folder, named as the report names them."""
    out = []
    for line in lines:
        name, sep, rest = line.partition(": ")
        out.append(f"{inner_rel(top, name)}: {rest}" if sep else line)
    return out


def _cut(inner: Candidate, stage: Stage) -> str:
    """An error when the archive ends or breaks inside a file of this artifact."""
    cut = sorted(f for f in inner.files if f in stage.damaged)
    if not cut:
        return ""
    return (
        f"{cut[0]} (in the archive) is cut short where it is truncated or "
        "corrupt, so this artifact was not read; download the archive again"
    )


def _over_cap(inner: Candidate, stage: Stage) -> str:
    """An error when a file of this artifact was laid without its content (over the caps)."""
    big = sorted(f for f in inner.files if f in stage.over_cap)
    if not big:
        return ""
    name = big[0]
    return (
        f"{name} (in the archive) is {human(stage.over_cap[name])}, over the {human(limits.MAX_MEMBER_BYTES)} migrator reads "
        "from inside an archive (or the archive's total of what readers need is); extract the "
        "archive and audit the extracted folder"
    )


def _placed(artifact: Artifact, location: Path, top: str) -> Artifact:
    """Back at the archive on disk (the private folder is gone): the artifact, and the code
    files found with it, shown as `<archive>!/<member>` wherever a renderer places them."""
    sources = tuple(
        replace(s, location=to_location(f"{location}{s.path[len(top) :]}"))  # a URL stays one
        if s.path.startswith(top)
        else s
        for s in artifact.sources
    )
    return replace(artifact, location=location, sources=sources)
