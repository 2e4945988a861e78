"""The `migrator convert` summary table: one row per artifact, then the counts (a string)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable

from migrator.convert.tree import ConvertReport

_STYLE = {"converted": "green", "skipped": "yellow", "failed": "red"}


def _detail(outcome) -> str:  # type: ignore[no-untyped-def]
    if outcome.outputs and outcome.status == "converted":
        parts = []
        for out in outcome.outputs:
            text = f"{out['target']} -> {out.get('path') or out.get('version', '')}".strip()
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
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"migrator convert {report.root} -> {report.out}", show_lines=False)
    table.add_column("artifact", overflow="fold")
    table.add_column("format")
    table.add_column("status")
    table.add_column("outputs / reason", overflow="fold")
    for outcome in report.outcomes:
        status = f"[{_STYLE[outcome.status]}]{outcome.status}[/]"
        # Paths and reasons are text, not markup: `migrator[tf]` must not lose its `[tf]`.
        table.add_row(escape(outcome.path), outcome.format, status, escape(_detail(outcome)))
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width)
    console.print(table)
    counts = {s: len(report.by_status(s)) for s in ("converted", "skipped", "failed")}
    console.print(
        f"{counts['converted']} converted, {counts['skipped']} skipped, {counts['failed']} failed"
    )
    for error in report.errors:
        console.print(f"error: {escape(error)}")
    return buffer.getvalue()


def plain_progress(say: Callable[[str], None]) -> Callable[[str, int, int], None]:
    """Progress as plain lines (`[12/200] a/b.h5: converted, ETA 3m10s`), for logs that are not
    a terminal: a CI log shows how far a batch got and how long it still needs."""
    start = time.monotonic()
    lock = threading.Lock()

    def update(path: str, done: int, total: int) -> None:
        if not done:
            return
        elapsed = time.monotonic() - start
        left = elapsed / done * (total - done)
        eta = f"{int(left // 60)}m{int(left % 60):02d}s" if done < total else "done"
        with lock:
            say(f"[{done}/{total}] {path}, ETA {eta}")

    return update
