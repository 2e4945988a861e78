"""Where a finding is, the way command-line tools print it: the path as the user would type it
from the working directory (relative when inside it), and the 1-based position.

Shared by the line-oriented renderers (`concise`, `github`): editors, problem matchers and
GitHub's annotations resolve paths against the working directory, not against the audit root.
Registers no renderer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from migrator.model import Finding, Report
from migrator.report.common import all_findings, extra_fix
from migrator.storage import is_remote


@dataclass(frozen=True)
class Placed:
    """A finding with the path to print and its 1-based line/column (None when not known)."""

    path: str
    finding: Finding
    line: int | None
    col: int | None
    cell: int | None

    @property
    def text(self) -> str:
        """The message, followed by the remedy unless the message already ends with it."""
        fix = extra_fix(self.finding)
        message = " ".join(self.finding.message.split())
        return f"{message.rstrip('.')}; {' '.join(fix.split())}" if fix else message


def shown_path(location: Path, base: Path) -> str:
    """`location` relative to `base` when inside it, else absolute; always with `/`. An object
    in a store is shown by its URL."""
    if is_remote(location):
        return str(location)
    where = Path(os.path.abspath(location))
    try:
        return where.relative_to(base).as_posix()
    except ValueError:
        return where.as_posix()


def placed_findings(report: Report, base: Path | None = None) -> Iterator[Placed]:
    """Every finding with its printable path, sorted by path, then cell, line and column."""
    root = Path(os.path.abspath(base if base is not None else Path.cwd()))
    locations = {
        a.path: a.location if is_remote(a.location) else Path(a.location) for a in report.artifacts
    }
    locations.update({s.path: Path(s.location) for s in report.sources})
    placed = []
    for item in all_findings(report):
        location = locations.get(item.path, Path(report.root) / item.path)
        f = item.finding
        placed.append(
            Placed(shown_path(location, root), f, f.line, f.col, getattr(f, "cell", None))
        )
    yield from sorted(
        placed,
        key=lambda p: (p.path, p.cell or 0, p.line or 0, p.col or 0, p.finding.rule),
    )
