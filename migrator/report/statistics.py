"""`--statistics` (also `--format statistics`): how many findings each rule has, most first, as
`ruff --statistics` prints: count, rule id, `[*]` when `migrator fix` has a fix for the rule,
and the rule's name. It answers "what do we migrate first" for a whole repository.
"""

from __future__ import annotations

from collections import Counter

from migrator.model import Report
from migrator.report import register
from migrator.report.common import all_findings, rule_meta, safe_text


@register("statistics")
def render(report: Report) -> str:
    """Findings per rule, most frequent first, ties by rule id."""
    from migrator.fix import all_fixers

    counts = Counter(item.finding.rule for item in all_findings(report))
    if not counts:
        return "No findings.\n"
    fixable = set(all_fixers())
    width = len(str(max(counts.values())))
    lines = []
    for rule, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        meta = rule_meta(rule)
        name = meta.name if meta is not None else ""
        mark = "[*]" if rule in fixable else "   "
        lines.append(f"{count:>{width}}\t{rule}\t{mark} {name}".rstrip())
    return safe_text("\n".join(lines) + "\n")
