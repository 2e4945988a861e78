"""The `migrator convert` summary table: one row per artifact, then the counts (a string)."""

from __future__ import annotations

import io

from migrator.convert.tree import ConvertReport

_STYLE = {"converted": "green", "skipped": "yellow", "failed": "red"}


def _detail(outcome) -> str:  # type: ignore[no-untyped-def]
    if outcome.outputs:
        parts = []
        for out in outcome.outputs:
            text = f"{out['target']} {out.get('version', '')}".strip()
            if out.get("max_abs_diff") is not None:
                text += f" (max diff {out['max_abs_diff']:.2g})"
            parts.append(text)
        text = ", ".join(parts)
        if outcome.warnings:
            text += "; " + "; ".join(outcome.warnings)
        return text
    return outcome.reason


def render_table(report: ConvertReport, *, color: bool = False, width: int = 140) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"migrator convert {report.root} -> {report.out}", show_lines=False)
    table.add_column("artifact", overflow="fold")
    table.add_column("format")
    table.add_column("status")
    table.add_column("outputs / reason", overflow="fold")
    for outcome in report.outcomes:
        status = f"[{_STYLE[outcome.status]}]{outcome.status}[/]"
        table.add_row(outcome.path, outcome.format, status, _detail(outcome))
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width)
    console.print(table)
    counts = {s: len(report.by_status(s)) for s in ("converted", "skipped", "failed")}
    console.print(
        f"{counts['converted']} converted, {counts['skipped']} skipped, {counts['failed']} failed"
    )
    for error in report.errors:
        console.print(f"error: {error}")
    return buffer.getvalue()
