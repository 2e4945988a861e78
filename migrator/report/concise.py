"""`--format concise`: one line per finding, `path:line:col: MIG201 message`, as ruff prints.

Line and column are 1-based, so editors and problem matchers (`%f:%l:%c: %m`) jump to the call;
a notebook finding reads `nb.ipynb:cell 3:2:5: ...` (ruff's notebook form), and an artifact,
which has no line, is reported at `1:1` of its path. The last line counts the findings and names
the rules `migrator fix` can rewrite.
"""

from __future__ import annotations

from pathlib import Path

from migrator.model import Report
from migrator.report import register
from migrator.report._cli_paths import placed_findings
from migrator.report.common import safe_text


def _fixable(rules: set[str]) -> list[str]:
    from migrator.fix import all_fixers

    return sorted(rules & set(all_fixers()))


@register("concise")
def render(report: Report, *, base: Path | None = None) -> str:
    """The findings of `report`, one per line; `base` is the folder paths are relative to."""
    lines = []
    rules: set[str] = set()
    for item in placed_findings(report, base):
        where = item.path if item.cell is None else f"{item.path}:cell {item.cell}"
        line = item.line if item.line and item.line > 0 else 1
        col = item.col if item.col and item.col > 0 else 1
        lines.append(f"{where}:{line}:{col}: {item.finding.rule} {item.text}")
        rules.add(item.finding.rule)
    if not lines:
        return "All checks passed!\n"
    count = len(lines)
    summary = f"Found {count} finding{'s' * (count != 1)}."
    fixable = _fixable(rules)
    if fixable:
        summary += f" `migrator fix --diff` shows the fixes for {', '.join(fixable)}."
    return safe_text("\n".join([*lines, summary]) + "\n")
