"""The terminal report: a table of artifacts, findings grouped by artifact, errors, a summary.

Rendered with rich into a string (cli.py is the only module that prints). Colour only when stdout
is a terminal and NO_COLOR is unset; otherwise plain text at a width that depends on the report
alone, so CI logs are stable, greppable and free of escape codes. Plain rows are never wrapped or
cut, however long (one artifact, one line); on a terminal long cells wrap inside their column,
and the path, worst severity and error columns are never dropped or shortened.
"""

from __future__ import annotations

import io
import os
import shutil
import sys

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from migrator.model import Artifact, Finding, Report
from migrator.report import register
from migrator.report.common import (
    WEIGHTS_ONLY,
    all_errors,
    era,
    extra_fix,
    format_counts,
    notes_text,
    producer_text,
    range_lines,
    safe_text,
    severity_counts,
    sorted_findings,
    stop_text,
    verdict_heading,
    verdict_summary,
    where,
    worst_severity,
)

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
VERDICT_STYLE = {
    "loads": "green",
    "loads-with-changes": "yellow",
    "fails": "red",
    WEIGHTS_ONLY: "red",  # the model does not load; the text says the weights do
}

# SIMPLE's layout with an ASCII rule under the header: readable in any CI log viewer.
PLAIN_BOX = box.Box("    \n    \n -- \n    \n    \n -- \n    \n    \n", ascii=True)
MIN_PLAIN_WIDTH = 100
SEVERITY_WIDTH = len("CRITICAL")
COMPACT_MIN_WIDTH = 36  # narrower terminals get one text block per artifact


def use_color() -> bool:
    """Colour for an interactive terminal only; NO_COLOR (any value) and TERM=dumb turn it off."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


@register("table")
def render(report: Report, *, color: bool | None = None, width: int | None = None) -> str:
    """The report as terminal text; `color=None` decides from stdout and NO_COLOR."""
    color = use_color() if color is None else color
    if width is None and color:
        width = shutil.get_terminal_size((MIN_PLAIN_WIDTH, 24)).columns
    artifacts = _artifact_table(report, color, width)
    listing: Table | Text = artifacts if report.artifacts else Text("No artifacts found.")
    parts = [listing, Text(""), *_findings(report), *_ranges(report), *_errors(report)]
    parts.append(_summary(report))
    if width is None and isinstance(artifacts, Table):
        width = max(MIN_PLAIN_WIDTH, _natural_width(artifacts))
    width = width or MIN_PLAIN_WIDTH
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        markup=False,
        emoji=False,
        highlight=False,
        legacy_windows=False,
        force_jupyter=False,
        force_interactive=False,
        _environ={},  # COLUMNS, FORCE_COLOR etc. must not change the bytes
    )
    for part in parts:
        # Lines of text (errors, summary) are never wrapped: one error stays one greppable line.
        # The listing is, whatever its layout: it must fit the terminal it was sized for.
        console.print(part, soft_wrap=isinstance(part, Text) and part is not listing)
    text = safe_text(out.getvalue())
    if not color:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text


def _sev(severity: str | None, width: int = 0) -> Text:
    if not severity:
        return Text("-".ljust(width))
    return Text(severity.upper().ljust(width), style=SEVERITY_STYLE.get(severity, ""))


def _artifact_table(report: Report, color: bool, width: int | None) -> Table | Text:
    """One row per artifact, every column on one line when the width allows it (always in plain
    output, whose width follows the widest row). On a terminal too narrow for that, the facts
    move under the path (`_compact_table`); below COMPACT_MIN_WIDTH each artifact is a block of
    text the terminal wraps. Path, worst severity and errors are kept in every layout."""
    table = _full_table(report, color)
    if width is None:
        for column in table.columns:
            column.no_wrap = True  # plain: the console is as wide as the widest row
        return table
    if _natural_width(table) <= width:
        return table
    if width >= COMPACT_MIN_WIDTH:
        return _compact_table(report, color)
    return _blocks(report)


def _row_facts(artifact: Artifact, with_verdicts: bool) -> tuple[str, str, str]:
    """(era and notes, verdict text, verdict style) of an artifact's row."""
    notes = ", ".join(p for p in (era(artifact), notes_text(artifact)) if p and p != "unknown")
    if not with_verdicts:
        return notes or "-", "", ""
    v = verdict_summary(artifact)
    text = v.label if v else "-"
    return notes or "-", text, VERDICT_STYLE.get(v.verdict, "") if v else ""


def _error_cell(artifact: Artifact) -> Text:
    return Text("ERROR", style="bold red") if artifact.errors else Text("")


def _full_table(report: Report, color: bool) -> Table:
    with_verdicts = any(a.loadability for a in report.artifacts)
    table = _table(color)
    table.add_column("PATH", overflow="fold")
    table.add_column("FORMAT", no_wrap=True)
    table.add_column("PRODUCER", overflow="fold")
    table.add_column("ERA / NOTES", overflow="fold")
    if with_verdicts:
        table.add_column(verdict_heading(report).upper(), overflow="fold")
    table.add_column("WORST", no_wrap=True)
    table.add_column("ERROR", no_wrap=True)
    for a in sorted(report.artifacts, key=lambda a: a.path):
        notes, verdict, style = _row_facts(a, with_verdicts)
        row: list[Text] = [Text(a.path), Text(a.format), Text(producer_text(a)), Text(notes)]
        if with_verdicts:
            row.append(Text(verdict, style=style))
        row += [_sev(worst_severity(a.findings)), _error_cell(a)]
        table.add_row(*row)
    return table


def _facts_line(artifact: Artifact, with_verdicts: bool) -> Text:
    notes, verdict, style = _row_facts(artifact, with_verdicts)
    line = Text(f"{artifact.format} · {producer_text(artifact)} · {notes}", style="dim")
    if with_verdicts:
        line.append(" · ", style="dim")
        line.append(verdict, style=style)
    return line


def _compact_table(report: Report, color: bool) -> Table:
    """PATH (with format, producer, era and verdict on the lines under it), WORST, ERROR."""
    with_verdicts = any(a.loadability for a in report.artifacts)
    table = _table(color)
    header = "PATH / FORMAT · PRODUCER · ERA" + (
        f" · {verdict_heading(report).upper()}" if with_verdicts else ""
    )
    table.add_column(header, overflow="fold", ratio=1)
    table.add_column("WORST", no_wrap=True, width=SEVERITY_WIDTH)
    table.add_column("ERROR", no_wrap=True, width=len("ERROR"))
    for a in sorted(report.artifacts, key=lambda a: a.path):
        cell = Text(a.path)
        cell.append("\n")
        cell.append_text(_facts_line(a, with_verdicts))
        table.add_row(cell, _sev(worst_severity(a.findings)), _error_cell(a))
    return table


def _blocks(report: Report) -> Text:
    """The narrowest layout: per artifact its path, then severity, error and facts indented."""
    with_verdicts = any(a.loadability for a in report.artifacts)
    out = Text(overflow="fold")
    for a in sorted(report.artifacts, key=lambda a: a.path):
        out.append(a.path, style="bold")
        out.append("\n  ")
        out.append_text(_sev(worst_severity(a.findings)))
        if a.errors:
            out.append(" ")
            out.append_text(_error_cell(a))
        out.append("\n  ")
        out.append_text(_facts_line(a, with_verdicts))
        out.append("\n")
    return out


def _table(color: bool) -> Table:
    return Table(
        box=box.SIMPLE_HEAD if color else PLAIN_BOX,
        show_edge=False,
        pad_edge=False,
        header_style="bold" if color else "",
        title=None,
    )


def _natural_width(table: Table) -> int:
    """Width the table needs to print every cell on one line (plain output; no wrapping)."""
    widths = [len(c.header) for c in table.columns]
    for i, column in enumerate(table.columns):
        for cell in column.cells:
            widths[i] = max(widths[i], len(cell.plain if isinstance(cell, Text) else str(cell)))
    return sum(widths) + 3 * (len(widths) - 1)  # one space of box and one of padding each side


def _where(f: Finding, code: bool) -> str:
    if f.line is None:
        return ""
    return where(f) if code else f"line {f.line}"


def _finding_rows(
    grid: Table, findings: list[Finding], code: bool, widths: tuple[int, int]
) -> None:
    for f in sorted_findings(findings, code=code):
        message = Text(f.message)
        if extra_fix(f):
            message.append("\nfix: ", style="bold")
            message.append(extra_fix(f))
        grid.add_row(
            _sev(f.severity, len("CRITICAL")),
            Text(f.rule.ljust(widths[0]), style="bold"),
            Text(_where(f, code).ljust(widths[1])),
            message,
        )


def _findings(report: Report) -> list[object]:
    groups = [
        (a.path, a.format, list(a.findings), False)
        for a in sorted(report.artifacts, key=lambda a: a.path)
        if a.findings
    ] + [
        (s.path, "code", list(s.findings), True)
        for s in sorted(report.sources, key=lambda s: s.path)
        if s.findings
    ]
    if not groups:
        return [Text("No findings.", style="green"), Text("")]
    # One grid per artifact, but the same column widths everywhere so the lists line up.
    rule_width = max(len(f.rule) for _, _, fs, _ in groups for f in fs)
    where_width = max(len(_where(f, code)) for _, _, fs, code in groups for f in fs)
    out: list[object] = [Text("Findings", style="bold underline")]
    for path, kind, findings, code in groups:
        out.append(Text.assemble((path, "bold"), f" ({kind})"))
        grid = Table.grid(padding=(0, 2), pad_edge=True)
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        _finding_rows(grid, findings, code, (rule_width, where_width))
        out.append(grid)
    out.append(Text(""))
    return out


def _ranges(report: Report) -> list[object]:
    """Per artifact, where each loader loads it and where it first stops (one line each)."""
    rows = []
    for a in sorted(report.artifacts, key=lambda a: a.path):
        lines = range_lines(a)
        if not lines:
            continue
        text = "; ".join(f"{loader}: {where}" for loader, where in lines)
        stop = stop_text(a)
        rows.append((a.path, text + (f" | {stop}" if stop else "")))
    if not rows:
        return []
    out: list[object] = [Text("Loads in", style="bold underline")]
    grid = Table.grid(padding=(0, 2), pad_edge=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for path, text in rows:
        grid.add_row(Text(path, style="bold"), Text(text))
    out += [grid, Text("")]
    return out


def _errors(report: Report) -> list[object]:
    errors = all_errors(report)
    if not errors:
        return []
    out: list[object] = [Text("Errors", style="bold underline red")]
    out.extend(Text.assemble(("  error: ", "red"), line) for line in errors)
    out.append(Text(""))
    return out


def _summary(report: Report) -> Text:
    n_findings = sum(severity_counts(report).values())
    n_errors = len(all_errors(report))
    text = Text(f"{len(report.artifacts)} artifact(s)")
    if report.sources:
        text.append(f", {len(report.sources)} source file(s)")
    text.append(f" under {report.root}\n")
    text.append(f"{n_findings} finding(s)")
    counts = severity_counts(report)
    if counts:
        text.append(": ")
        for i, (severity, n) in enumerate(counts.items()):
            if i:
                text.append(", ")
            text.append(f"{n} {severity}", style=SEVERITY_STYLE.get(severity, ""))
    text.append("\n")
    text.append(f"{n_errors} error(s)", style="bold red" if n_errors else "")
    formats = format_counts(report)
    if formats:
        text.append("\nformats: " + ", ".join(f"{name} {n}" for name, n in formats.items()))
    return text
