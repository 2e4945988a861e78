"""GitHub-flavoured Markdown for pull-request comments: summary, artifact table, findings, errors.

A comment body is limited to 65,536 characters, so the text is built in whole pieces (a table
row, a finding, a `<details>` block's opening and closing) and stops before the limit with a
note saying what was left out; tags are always balanced. Every value taken from an artifact is
escaped: paths and rule ids go in code spans, free text is backslash-escaped, `@` cannot mention.
"""

from __future__ import annotations

import html
import re

from migrator.model import Finding, Report
from migrator.report import register
from migrator.report.common import (
    WEIGHTS_ONLY,
    all_errors,
    extra_fix,
    format_counts,
    producer_text,
    safe_text,
    severity_counts,
    sorted_findings,
    verdict_heading,
    verdict_summary,
    where,
    worst_severity,
)

MAX_COMMENT_CHARS = 65_536  # GitHub's limit on an issue or pull-request comment body
DETAILS_AFTER = 5  # an artifact with more findings than this gets a collapsed <details> block
NOTE_RESERVE = 400  # room kept for the truncation note

BADGE = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵", "info": "⚪"}
VERDICT_BADGE = {"loads": "✅", "loads-with-changes": "⚠️", "fails": "❌", WEIGHTS_ONLY: "❌"}


def text_length(text: str) -> int:
    """Length as GitHub's limit may count it: UTF-16 code units (never less than code points)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2  # lone surrogates count one


# Characters that start inline markup mid-line (the text never starts a line, so `#`, `-`, `+`
# and digits are harmless; `(` and `!` only matter next to `[`, which is escaped).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: object) -> str:
    """Free text that renders as itself: no markup, no HTML, no @mentions, one line."""
    flat = re.sub(r"\s+", " ", str(text))
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))
    return escaped.replace("@", "@\u2060")  # a word joiner after @ keeps GitHub from mentioning


def code(text: object, *, in_table: bool = False) -> str:
    """A code span that holds any text, backticks included."""
    flat = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    if flat.startswith("`") or flat.endswith("`"):
        flat = f" {flat} "
    if in_table:
        flat = flat.replace("|", "\\|")
    return f"{fence}{flat}{fence}"


def prose(text: object) -> str:
    """Free text where `backticked` parts become code spans (inert) and the rest is escaped."""
    parts = re.split(r"(`[^`]+`)", " ".join(str(text).split()))  # one line, inner spaces kept
    return "".join(code(p[1:-1]) if i % 2 else md(p) for i, p in enumerate(parts))


def badge(severity: str | None) -> str:
    if not severity:
        return "—"
    return f"{BADGE.get(severity, '⚪')} **{md(severity)}**"


class _Budget:
    """Collects pieces until the next one would pass the limit; then refuses everything."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.used = 0
        self.full = False

    def add(self, piece: str, reserve: int = 0) -> bool:
        size = text_length(piece)
        if self.full or self.used + size + reserve > self.limit:
            self.full = True
            return False
        self.parts.append(piece)
        self.used += size
        return True

    def force(self, piece: str) -> None:
        """Add a piece whose room was reserved earlier (a closing tag, the truncation note)."""
        self.parts.append(piece)
        self.used += text_length(piece)


@register("markdown")
def render(report: Report, *, limit: int = MAX_COMMENT_CHARS) -> str:
    out = _Budget(limit)
    reserve = NOTE_RESERVE
    counts = severity_counts(report)
    errors = all_errors(report)
    n_findings = sum(counts.values())

    title = (
        f"### migrator audit: {len(report.artifacts)} artifact(s), "
        f"{n_findings} finding(s), {len(errors)} error(s)\n\n"
    )
    line = " · ".join(f"{BADGE.get(s, '⚪')} {n} {md(s)}" for s, n in counts.items())
    formats = ", ".join(f"{md(name)} {n}" for name, n in format_counts(report).items())
    summary = (line or "✅ no findings") + f" — audited {code(report.root)}\n\n"
    if formats:
        summary += f"Formats: {formats}\n\n"
    out.force(title + summary)

    shown_artifacts = shown_findings = shown_errors = 0
    artifacts = sorted(report.artifacts, key=lambda a: a.path)
    if artifacts and out.add(
        f"| Artifact | Format | Producer | {verdict_heading(report).capitalize()} | Findings |\n"
        "| --- | --- | --- | --- | --- |\n",
        reserve,
    ):
        for a in artifacts:
            if a.errors:
                verdict = "❌ unreadable"
            else:
                v = verdict_summary(a)
                verdict = f"{VERDICT_BADGE.get(v.verdict, '❔')} {md(v.text)}" if v else "—"
            n = len(a.findings)
            found = f"{BADGE.get(worst_severity(a.findings) or '', '⚪')} {n}" if n else "—"
            row = (
                f"| {code(a.path, in_table=True)} | {md(a.format)} | {md(producer_text(a))} "
                f"| {verdict} | {found} |\n"
            )
            if not out.add(row, reserve):
                break
            shown_artifacts += 1
        out.add("\n", reserve)

    groups = [(a.path, a.format, a.findings, False) for a in artifacts if a.findings] + [
        (s.path, "code", s.findings, True)
        for s in sorted(report.sources, key=lambda s: s.path)
        if s.findings
    ]
    if groups and out.add("#### Findings\n\n", reserve):
        for path, kind, findings, is_code in groups:
            shown_findings += _group(out, path, kind, findings, is_code, reserve)
            if out.full:
                break

    if errors and out.add("#### Errors\n\n", reserve):
        for error in errors:
            if not out.add(f"- ❌ {md(error)}\n", reserve):
                break
            shown_errors += 1
        out.add("\n", reserve)

    if out.full:
        out.force(
            f"\n> **Truncated** to fit a GitHub comment ({limit:,} characters): shown "
            f"{shown_artifacts} of {len(artifacts)} artifact(s), {shown_findings} of {n_findings} "
            f"finding(s), {shown_errors} of {len(errors)} error(s). For everything, run "
            "`migrator audit --format html -o report.html` (or `--format json`).\n"
        )
    return safe_text("".join(out.parts).rstrip("\n") + "\n")


def _finding_line(f: Finding, is_code: bool) -> str:
    place = ""
    if f.line is not None:
        place = f" {where(f)}" if is_code else f" line {f.line}"
    fix = f" *Fix:* {prose(extra_fix(f))}" if extra_fix(f) else ""
    return f"- {badge(f.severity)} {code(f.rule)}{place}: {prose(f.message)}{fix}\n"


def _group(
    out: _Budget, path: str, kind: str, findings: tuple[Finding, ...], is_code: bool, reserve: int
) -> int:
    """One artifact's (or source file's) findings; returns how many were written."""
    ordered = sorted_findings(findings, code=is_code)
    worst = worst_severity(ordered) or ""
    count = f"{len(ordered)} finding(s), worst"
    collapse = len(ordered) > DETAILS_AFTER
    close = "\n</details>\n\n" if collapse else "\n"
    if collapse:  # inside raw HTML GitHub renders no Markdown: HTML markup, HTML escaping
        opening = (
            f"<details><summary><code>{html.escape(path)}</code> ({html.escape(kind)}): {count} "
            f"{BADGE.get(worst, '⚪')} <b>{html.escape(worst)}</b></summary>\n\n"
        )
    else:
        opening = f"{code(path)} ({md(kind)}): {count} {badge(worst)}\n\n"
    lines = [_finding_line(f, is_code) for f in ordered]
    # The heading goes only together with its first finding: no empty groups when truncating.
    if not out.add(opening + lines[0], reserve + text_length(close)):
        return 0
    written = 1
    for line in lines[1:]:
        if not out.add(line, reserve + text_length(close)):
            break
        written += 1
    out.force(close)
    return written
