"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

`::error file=src/train.py,line=12,col=5,title=MIG201 keras-save-savedmodel-dir::message`
puts the finding on the pull request's diff. Severity maps to the command: critical and high ->
`error`, medium and low -> `warning`, info -> `notice`. A notebook finding is annotated on the
file (GitHub's line would be a line of the `.ipynb` JSON) with "Cell N, line L:" in front of the
message. Values are escaped as the runner requires (`%`, CR, LF; also `:` and `,` in properties).
"""

from __future__ import annotations

from pathlib import Path

from migrator.model import Report
from migrator.report import register
from migrator.report._cli_paths import placed_findings
from migrator.report.common import rule_meta, safe_text

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "warning"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@register("github")
def render(report: Report, *, base: Path | None = None) -> str:
    """One `::level ...::message` line per finding; `base`: folder the paths are relative to
    (default: the working directory, which is the checkout in a workflow)."""
    lines = []
    for item in placed_findings(report, base):
        f = item.finding
        meta = rule_meta(f.rule)
        title = f"{f.rule} {meta.name}" if meta is not None and meta.name else f.rule
        props = [f"file={escape_property(item.path)}"]
        message = item.text
        if item.cell is not None:
            message = f"Cell {item.cell}, line {item.line}: {message}"
        elif item.line:
            props.append(f"line={item.line}")
            if item.col:
                props.append(f"col={item.col}")
        props.append(f"title={escape_property(title)}")
        level = LEVEL.get(f.severity, "notice")
        lines.append(f"::{level} {','.join(props)}::{escape_data(message)}")
    if not lines:
        return "No findings.\n"  # a plain log line: no annotation to add
    return safe_text("\n".join(lines) + "\n")
