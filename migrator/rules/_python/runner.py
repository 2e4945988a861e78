"""Running the code rules over one file: each rule on the nodes it asks for, inline ignores
honoured, a crashing rule reported as an error line.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.model import Finding, SourceFile
from migrator.rules._python.context import CodeContext
from migrator.rules._python.source import Source, SourceError, inline_ignores, load_source

if TYPE_CHECKING:
    from migrator.rules import Hit, Rule


# --- running the rules --------------------------------------------------------------------------


def check_file(rel: str, path: Path, rules: Sequence[Rule]) -> SourceFile:
    """Run `rules` (all code rules) over one file; unreadable files become an error line."""
    try:
        source = load_source(path)
    except SourceError as exc:
        return SourceFile(rel, path, errors=(str(exc),))
    if source is None:
        return SourceFile(rel, path)
    return SourceFile(rel, path, *run_rules(source, rules))


def run_rules(source: Source, rules: Sequence[Rule]) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    from migrator.rules import _hits

    by_type: dict[type, list[Rule]] = {}
    for rule in rules:
        for node_type in rule.nodes:
            by_type.setdefault(node_type, []).append(rule)
    ctx = CodeContext(source)
    ignores = inline_ignores(source.text)
    errors = list(source.errors)
    found: dict[tuple, Finding] = {}
    for node in ast.walk(source.tree):
        for rule in by_type.get(type(node), ()):
            try:
                hits = _hits(rule.check(node, ctx))
            except Exception as exc:  # a rule bug must not stop the audit
                cell, line = source.where(getattr(node, "lineno", 0))
                where = f"cell {cell}, line {line}" if cell else f"line {line}"
                errors.append(
                    f"internal error in rule {rule.id} at {where} ({type(exc).__name__}: {exc}); "
                    "please report this file to the migrator maintainers"
                )
                continue
            for hit in hits:
                finding = _finding(rule, hit, node, source, ignores)
                if finding is not None:
                    key = (finding.cell or 0, finding.line, finding.col, finding.rule)
                    found.setdefault(key, finding)
    ordered = tuple(
        found[k] for k in sorted(found, key=lambda k: (k[0], k[1] or 0, k[2] or 0, k[3]))
    )
    return ordered, tuple(errors)


def _finding(
    rule: Rule,
    hit: Hit,
    node: ast.AST,
    source: Source,
    ignores: dict[int, frozenset[str] | None],
) -> Finding | None:
    target = hit.node if hit.node is not None else node
    line = hit.line if hit.line is not None else getattr(target, "lineno", 1)
    col = hit.col if hit.col is not None else getattr(target, "col_offset", 0)
    last = getattr(target, "end_lineno", None) or line
    for n in range(line, max(line, last) + 1):
        if n in ignores:
            wanted = ignores[n]
            if wanted is None or rule.id in wanted or rule.name in wanted:
                return None
    cell, cell_line = source.where(line)
    return Finding(
        rule=rule.id,
        severity=hit.severity or rule.severity,
        message=hit.message,
        fix=hit.remedy,
        line=cell_line,
        col=col + 1,  # Finding columns are 1-based (editors, SARIF); the AST's are 0-based
        cell=cell,
    )
