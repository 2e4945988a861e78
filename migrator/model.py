"""Plain data passed between the stages: find -> read -> judge -> report.

Everything here is immutable and JSON-shaped, so a stage can never change what an earlier one saw
and the JSON report is a straight dump of these objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator import __version__

SCHEMA_VERSION = 1

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")


# Best first: the order of the loadability verdicts of issue 5.
_VERDICT_RANK = {"loads": 0, "loads-with-changes": 1, "fails": 2}


def severity_rank(severity: str) -> int:
    """Order severities so `--fail-on medium` can compare them."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    """One thing a rule noticed about an artifact or a line of code."""

    rule: str
    severity: str
    message: str
    fix: str = ""
    line: int | None = None  # code findings: 1-based line (in the notebook cell for notebooks)
    col: int | None = None  # code findings: 1-based column, as editors and SARIF count
    cell: int | None = None  # notebooks: 1-based index of the cell in the notebook's cell list

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "fix": self.fix,
        }
        if self.col is not None:
            out["col"] = self.col
        if self.cell is not None:
            out["cell"] = self.cell
        return out

    def location(self, path: str) -> str:
        """`path:line:col` (`path:cell_N:line:col` in a notebook), or `path` for artifacts."""
        if self.line is None:
            return path
        where = f"{path}:cell_{self.cell}" if self.cell is not None else path
        return f"{where}:{self.line}" + (f":{self.col}" if self.col is not None else "")


@dataclass(frozen=True)
class Reading:
    """What a format reader learned from an artifact's bytes, before any judgement.

    `producer` holds only values the artifact records itself, verbatim. `evidence` says which bytes
    decided the format, so a user can check the verdict by hand.
    """

    format: str
    producer: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    # Parsed metadata the rules walk (the Keras model config, training config, graph op lists...)
    # but which is too bulky for the JSON report. Keys are documented by each reader module.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Candidate:
    """A file or folder the discovery step thinks is one artifact, with the reader to use."""

    location: Path  # absolute path on disk
    rel: str  # POSIX path relative to the audit root; "." for the root itself
    reader: str  # name of the module in migrator.formats that reads it
    files: tuple[str, ...] = ()  # the files that make up the artifact, POSIX, relative to root
    context: Mapping[str, Any] = field(default_factory=dict)  # layout facts (versions, timestamps)


@dataclass(frozen=True)
class Artifact:
    """One audited artifact: where it is, what it is, and what was found."""

    path: str
    location: Path
    reading: Reading
    files: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    loadability: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # where it loads per loader as release ranges, where it first stops, and the verdict in each
    # `--target` runtime (migrator.loadability.ranges)
    load_ranges: Mapping[str, Any] = field(default_factory=dict)
    # sha256 of those `files` that `root / file` cannot reach (members of an archive), computed
    # while the archive was read; the CycloneDX report hashes every other file itself
    digests: Mapping[str, str] = field(default_factory=dict)
    # what an archive's walk found beside its models: code files judged by the code rules and
    # entries left out (excluded, tool folders); the audit moves them into the report's
    # `sources` and `skipped`, so they are never part of the artifact's own JSON
    sources: tuple[SourceFile, ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def format(self) -> str:
        return self.reading.format

    @property
    def details(self) -> Mapping[str, Any]:
        return self.reading.details

    @property
    def producer(self) -> Mapping[str, str]:
        return self.reading.producer

    @property
    def errors(self) -> tuple[str, ...]:
        return self.reading.errors

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "format": self.reading.format,
            "producer": dict(self.reading.producer),
            "details": _plain(self.reading.details),
            "evidence": list(self.reading.evidence),
            "findings": [f.to_json() for f in self.findings],
            "errors": list(self.reading.errors),
        }
        if self.loadability:
            out["loadability"] = {k: dict(v) for k, v in sorted(self.loadability.items())}
        if self.load_ranges:
            out["load_ranges"] = _plain(self.load_ranges)
        return out


@dataclass(frozen=True)
class SourceFile:
    """A Python file or notebook that code rules looked at."""

    path: str
    location: Path
    findings: tuple[Finding, ...] = ()
    errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "findings": [f.to_json() for f in self.findings],
            "errors": list(self.errors),
        }


@dataclass(frozen=True)
class Report:
    """The result of one audit: the JSON report's contract (schema_version 1)."""

    root: str
    artifacts: tuple[Artifact, ...] = ()
    errors: tuple[str, ...] = ()
    sources: tuple[SourceFile, ...] = ()
    # What the walk left out on purpose, one line each (excluded globs, tool folders, symlinks
    # to folders already audited): not errors, but never silent.
    skipped: tuple[str, ...] = ()

    @property
    def has_errors(self) -> bool:
        return (
            bool(self.errors)
            or any(a.errors for a in self.artifacts)
            or any(s.errors for s in self.sources)
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "root": self.root,
            "artifacts": [a.to_json() for a in sorted(self.artifacts, key=lambda a: a.path)],
            "errors": list(self.errors),
        }
        if self.sources:
            out["sources"] = [s.to_json() for s in sorted(self.sources, key=lambda s: s.path)]
        if self.skipped:
            out["skipped"] = list(self.skipped)
        out["summary"] = self.summary()
        out["version"] = __version__
        return out

    def summary(self) -> dict[str, Any]:
        """Counts a CI job or dashboard reads without walking the artifacts: artifacts by format,
        findings by severity, error lines, and per TF line how many artifacts some loader loads
        (best verdict over the loaders: `loads` beats `loads-with-changes` beats `fails`)."""
        tally = Summary()
        for a in self.artifacts:
            tally.add_artifact(a)
        for s in self.sources:
            tally.add_source(s)
        tally.add_errors(len(self.errors))
        return tally.to_json()


class Summary:
    """The JSON report's `summary` block, counted one artifact at a time.

    The streaming report (`migrator audit --format json`) writes each artifact out as soon as it
    is judged and keeps only these counters, so its memory does not grow with the store; the
    `Report.summary()` of library users counts through the same class, so both agree byte for byte.
    """

    def __init__(self) -> None:
        self.artifacts = 0
        self.sources = 0
        self.formats: Counter[str] = Counter()
        self.severities: Counter[str] = Counter()
        self.findings = 0
        self.errors = 0
        self.artifacts_with_errors = 0
        self.loadability: dict[str, Counter[str]] = {}

    def add_artifact(self, a: Artifact) -> None:
        self.artifacts += 1
        self.formats[a.format] += 1
        self._add_findings(a.findings)
        self.errors += len(a.errors)
        self.artifacts_with_errors += 1 if a.errors else 0
        best: dict[str, str] = {}
        for key, cell in a.loadability.items():
            env = str(key).partition("/")[0] if "/" in str(key) else "-"
            verdict = str(cell.get("verdict", ""))
            rank = _VERDICT_RANK.get(verdict, len(_VERDICT_RANK))
            if env not in best or rank < _VERDICT_RANK.get(best[env], len(_VERDICT_RANK)):
                best[env] = verdict
        for env, verdict in best.items():
            self.loadability.setdefault(env, Counter())[verdict] += 1

    def add_source(self, s: SourceFile) -> None:
        self.sources += 1
        self._add_findings(s.findings)
        self.errors += len(s.errors)

    def add_errors(self, count: int) -> None:
        """Report-level error lines (discovery, unreadable path arguments)."""
        self.errors += count

    def _add_findings(self, findings: tuple[Finding, ...]) -> None:
        self.findings += len(findings)
        self.severities.update(f.severity for f in findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "artifacts": self.artifacts,
            "sources": self.sources,
            "formats": dict(sorted(self.formats.items())),
            "findings": self.findings,
            "severities": {
                s: self.severities[s] for s in reversed(SEVERITIES) if self.severities[s]
            },
            "errors": self.errors,
            "artifacts_with_errors": self.artifacts_with_errors,
            "loadability": {
                env: dict(sorted(c.items())) for env, c in sorted(self.loadability.items())
            },
        }


def _plain(value: Any) -> Any:
    """Turn mappings, tuples and sets into JSON-ready dicts and lists, deterministically."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
