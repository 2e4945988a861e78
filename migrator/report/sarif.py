"""SARIF 2.1.0 for GitHub code scanning: one run, the rules that fired, one result per finding.

GitHub's conventions (docs "SARIF support for code scanning", "SARIF results exceed limits"):
paths relative to the repository root (the working directory the audit runs in, `%SRCROOT%`),
`partialFingerprints` that survive re-runs, `security-severity` on security rules, at most
25,000 results per run. Artifact findings have no line: they point at line 1 of the artifact's
main file (a SavedModel folder's `saved_model.pb`, a checkpoint's `.index`).
Unreadable artifacts are tool execution notifications, not results: no rule fired on them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from migrator import __version__
from migrator.model import SEVERITIES, Artifact, Report, severity_rank
from migrator.report import register
from migrator.report.common import (
    Located,
    RuleMeta,
    all_findings,
    extra_fix,
    rule_meta,
    safe_text,
    where,
    worst_severity,
)
from migrator.storage import is_remote

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "migratorFinding/v1"
MAX_RESULTS = 25_000  # GitHub rejects a run with more

# SARIF levels GitHub shows as Error / Warning / Note.
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub maps security-severity scores to Critical (>= 9.0), High (7.0-8.9), Medium (4.0-6.9),
# Low (0.1-3.9); one score inside each band.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.1"}

# The file a folder or group artifact is pointed at, in order of preference.
MAIN_FILES = (
    "saved_model.pb",
    "saved_model.pbtxt",
    "model.json",
    "export.meta",
    "config.json",
    "metadata.json",
)


@register("sarif")
def render(report: Report, *, base: Path | None = None) -> str:
    """The SARIF log as JSON text. `base` is `%SRCROOT%` (default: the working directory)."""
    return safe_text(json.dumps(sarif_log(report, base=base), indent=2, ensure_ascii=False) + "\n")


def sarif_log(report: Report, *, base: Path | None = None) -> dict[str, Any]:
    root = Path(os.path.abspath(base if base is not None else Path.cwd()))
    located = list(all_findings(report))
    dropped = 0
    if len(located) > MAX_RESULTS:
        keep = sorted(located, key=lambda item: -_rank(item.finding.severity))[:MAX_RESULTS]
        kept = {id(item) for item in keep}
        dropped = len(located) - len(keep)
        located = [item for item in located if id(item) in kept]

    targets = {a.path: _main_file(a) for a in report.artifacts}
    targets.update({s.path: Path(s.location) for s in report.sources})

    metas = _rules(located)
    index = {meta.id: i for i, meta in enumerate(metas)}
    seen: Counter[tuple[str, str, str]] = Counter()
    results = []
    for item in located:
        f = item.finding
        location = _location(targets.get(item.path), item.path, root)
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        key = (f.rule, uri, f.message)
        seen[key] += 1
        cell = getattr(f, "cell", None)
        region: dict[str, int] = {"startLine": 1}
        if f.line and f.line > 0 and cell is None:
            region["startLine"] = f.line
            if f.col is not None and f.col >= 1:
                region["startColumn"] = f.col  # Finding.col counts from 1, as SARIF does
        location["physicalLocation"]["region"] = region
        fix = extra_fix(f)
        text = f"{f.message} Fix: {fix}" if fix else f.message
        if cell is not None:  # a notebook's line is inside a cell, not a line of the .ipynb JSON
            text = f"Cell {cell}, line {where(f).partition(', ')[2]}: {text}"
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": LEVEL.get(f.severity, "warning"),
                "message": {"text": text},
                "locations": [location],
                "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(*key, seen[key])},
                "properties": {"severity": f.severity, "kind": item.kind, "path": item.path},
            }
        )

    driver: dict[str, Any] = {
        "name": "migrator",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [_descriptor(meta) for meta in metas],
    }
    uri = _information_uri()
    if uri:
        driver["informationUri"] = uri

    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
        "invocations": [_invocation(report, targets, root, dropped)],
        "results": results,
        "properties": {"auditRoot": report.root},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rank(severity: str) -> int:
    return severity_rank(severity) if severity in SEVERITIES else 0


def _rules(located: Sequence[Located]) -> list[RuleMeta]:
    """One descriptor per rule that fired, sorted by id (so `ruleIndex` is stable)."""
    by_rule: dict[str, list[Located]] = {}
    for item in located:
        by_rule.setdefault(item.finding.rule, []).append(item)
    metas = []
    for rule_id in sorted(by_rule):
        meta = rule_meta(rule_id)
        if meta is None:  # a rule the registry does not know (a plugin's, or an older report's)
            worst = worst_severity(i.finding for i in by_rule[rule_id]) or "medium"
            meta = RuleMeta(id=rule_id, title=rule_id, severity=worst)
        metas.append(meta)
    return metas


def _descriptor(meta: RuleMeta) -> dict[str, Any]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", meta.doc.strip()) if p.strip()]
    full = " ".join(paragraphs[0].split()) if paragraphs else meta.title
    doc = meta.doc.strip()
    fix = f"Fix: {meta.fix}" if meta.fix and meta.fix not in " ".join(doc.split()) else ""
    versions = "; ".join(f"{k}: {v}" for k, v in sorted(meta.versions.items()))
    convert = f"`migrator convert` can fix this ({meta.convert})." if meta.convert else ""
    hint = f"`migrator rules {meta.id}` prints this documentation."
    extra = [fix, f"Versions: {versions}" if versions else "", convert, hint]
    text = "\n\n".join(p for p in (meta.title, doc, *extra) if p)
    markdown = "\n\n".join(p for p in (f"**{meta.title}**", doc, *extra) if p)
    tags = ["migrator"] + ([meta.family] if meta.family else [])
    if meta.is_security and "security" not in tags:
        tags.append("security")
    properties: dict[str, Any] = {"tags": tags}
    if meta.is_security:
        properties["security-severity"] = SECURITY_SEVERITY.get(meta.severity, "5.5")
    return {
        "id": meta.id,
        "name": _pascal(meta.name or meta.title) or meta.id,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": full},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL.get(meta.severity, "warning")},
        "properties": properties,
    }


def _pascal(title: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title))


def _fingerprint(rule: str, uri: str, message: str, occurrence: int) -> str:
    """Same rule, file and message -> same fingerprint on every run, wherever the line moves."""
    data = "\0".join((rule, uri, message, str(occurrence))).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:32]


def _main_file(artifact: Artifact) -> Path:
    """The file on disk a result about `artifact` points at (no file system access)."""
    location = artifact.location if is_remote(artifact.location) else Path(artifact.location)
    members = list(artifact.files)
    names = [PurePosixPath(m).name for m in members]
    if not members or location.name in names:
        return location  # a single file, or the main file of a group (TF.js model.json)
    ranked = sorted(
        members,
        key=lambda m: (
            MAIN_FILES.index(PurePosixPath(m).name)
            if PurePosixPath(m).name in MAIN_FILES
            else len(MAIN_FILES) + (0 if m.endswith(".index") else 1),
            m,
        ),
    )
    pick = ranked[0]
    if artifact.path != "." and pick.startswith(artifact.path + "/"):
        return location / pick[len(artifact.path) + 1 :]  # a folder artifact inside the tree
    if PurePosixPath(pick).name.startswith(location.name + "."):
        return location.parent / PurePosixPath(pick).name  # a checkpoint prefix and its files
    return location / pick  # the audited folder itself is the artifact


def _path_bytes(rel: str) -> bytes:
    """The bytes of a path as the file system has them (a name that is not UTF-8 comes back
    from `os.fsdecode` as surrogate escapes), so its URI percent-encodes the real bytes."""
    try:
        return rel.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return rel.encode("utf-8", "backslashreplace")


def _location(target: Path | None, path: str, root: Path) -> dict[str, Any]:
    if is_remote(target):  # an object in a store: its URL is the absolute URI
        return {"physicalLocation": {"artifactLocation": {"uri": quote(str(target), safe="/:")}}}
    where = Path(os.path.abspath(target)) if target is not None else root / path
    if where == root or where.is_relative_to(root):
        rel = where.relative_to(root).as_posix()
        artifact = {"uri": quote(_path_bytes(rel), safe="/"), "uriBaseId": SRCROOT}
    else:  # outside the working tree: an absolute URI, which a base id must not qualify
        artifact = {"uri": where.as_uri()}
    return {"physicalLocation": {"artifactLocation": artifact}}


def _invocation(
    report: Report, targets: dict[str, Path], root: Path, dropped: int
) -> dict[str, Any]:
    notes: list[dict[str, Any]] = []
    for owner in sorted((*report.artifacts, *report.sources), key=lambda o: o.path):
        for error in owner.errors:
            notes.append(
                {
                    "level": "error",
                    "message": {"text": f"{owner.path}: {error}"},
                    "locations": [_location(targets.get(owner.path), owner.path, root)],
                }
            )
    for error in report.errors:
        notes.append({"level": "error", "message": {"text": error}})
    if dropped:
        notes.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{dropped} less severe result(s) left out: code scanning accepts at "
                    f"most {MAX_RESULTS} per run; see `migrator audit --format json` for all."
                },
            }
        )
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _information_uri() -> str | None:
    """The project's home page as its installed metadata records it, if it records one."""
    try:
        meta = importlib.metadata.metadata("migrator")
    except importlib.metadata.PackageNotFoundError:
        return None
    urls = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    for label in ("homepage", "repository", "source", "documentation"):
        if urls.get(label):
            return urls[label]
    home = meta.get("Home-page")
    return home or next(iter(urls.values()), None)
