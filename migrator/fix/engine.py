"""Finding and applying fixes on one unit of code, round after round until nothing changes.

A round runs every code rule that has fixers over the parsed unit, asks the fixers for the nodes
each rule flags (honouring `# migrator: ignore[...]`), keeps the fixes whose edits do not overlap
an earlier one, and applies them. The next round starts from the new text, so fixes that touch
the same call (MIG201 and MIG202 on one `save`) both land, and the loop ends when a round finds
nothing to do: that is what makes a second `migrator fix` a no-op. The result is parsed again
before it is accepted; a fixer bug can never leave a file that no longer parses.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from migrator.fix import Edit, Fix, fixers_for
from migrator.fix.context import FixContext
from migrator.rules import Rule, _hits
from migrator.rules._python import Source, inline_ignores

MAX_ROUNDS = 8


@dataclass
class Outcome:
    """What fixing one unit did: the new text, the fixes applied per rule, what was held back."""

    text: str
    applied: Counter[str] = field(default_factory=Counter)
    unsafe_skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def propose(source: Source, rules: Sequence[Rule], errors: list[str] | None = None) -> list[Fix]:
    """Every fix the fixers offer for what `rules` flag in `source`, in source order. A fixer
    that raises offers nothing; the failure is added to `errors` (a bug to report, not a crash)."""
    ctx = FixContext(source)
    ignores = inline_ignores(source.text)
    by_type: dict[type, list[Rule]] = {}
    for rule in rules:
        if fixers_for(rule.id):
            for node_type in rule.nodes:
                by_type.setdefault(node_type, []).append(rule)
    fixes: list[Fix] = []
    for node in ast.walk(source.tree):
        for rule in by_type.get(type(node), ()):
            try:
                hits = _hits(rule.check(node, ctx.code))
            except Exception:  # the audit reports rule crashes; fix just offers nothing here
                continue
            if not any(not _ignored(rule, h.node or node, ignores) for h in hits):
                continue
            for entry in fixers_for(rule.id):
                try:
                    fix = entry.func(node, ctx)
                except Exception as exc:
                    if errors is not None:
                        cell, line = source.where(getattr(node, "lineno", 0))
                        where = f"cell {cell}, line {line}" if cell else f"line {line}"
                        errors.append(
                            f"internal error in fixer {entry.name} ({rule.id}) at {where} "
                            f"({type(exc).__name__}: {exc}); that call was left unchanged, "
                            "please report it"
                        )
                    continue
                if fix is not None and fix.edits:
                    fixes.append(fix)
    return sorted(fixes, key=lambda f: (min(f.edits).start, f.rule, f.name))


def _ignored(rule: Rule, node: ast.AST, ignores: dict[int, frozenset[str] | None]) -> bool:
    first = getattr(node, "lineno", 0)
    last = getattr(node, "end_lineno", None) or first
    for line in range(first, last + 1):
        if line in ignores:
            wanted = ignores[line]
            if wanted is None or rule.id in wanted or rule.name in wanted:
                return True
    return False


def choose(fixes: Sequence[Fix], unsafe: bool, skipped: Counter[str]) -> list[Fix]:
    """The fixes to apply this round: allowed by `unsafe`, no edit overlapping an earlier one."""
    taken: list[Edit] = []
    chosen: list[Fix] = []
    seen: set[tuple[Edit, ...]] = set()
    for fix in fixes:
        if not fix.safe and not unsafe:
            skipped[fix.rule] += 1
            continue
        edits = tuple(sorted(set(fix.edits)))
        if edits in seen:
            continue
        if any(e.start < t.end and t.start < e.end or e == t for e in edits for t in taken):
            continue
        seen.add(edits)
        taken.extend(edits)
        chosen.append(fix)
    return chosen


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """`text` with non-overlapping `edits` applied (last first, so offsets stay valid)."""
    for edit in sorted(edits, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def fix_unit(
    source: Source,
    rules: Sequence[Rule],
    *,
    unsafe: bool,
    reparse: Callable[[Source, list[Edit]], Source | None],
) -> tuple[Source, Outcome]:
    """Fix `source` to a fixed point. `reparse(source, edits)` applies edits to the unit (a file
    or a notebook's cells) and returns the new parsed unit, or None if the result fails to parse,
    which stops the loop with the last good text."""
    outcome = Outcome(source.text)
    for _ in range(MAX_ROUNDS):
        skipped: Counter[str] = Counter()
        errors: list[str] = []
        chosen = choose(propose(source, rules, errors), unsafe, skipped)
        outcome.errors = sorted(set(outcome.errors) | set(errors))
        outcome.unsafe_skipped = skipped
        if not chosen:
            break
        new = reparse(source, [e for fix in chosen for e in fix.edits])
        if new is None:
            break
        source = new
        outcome.applied.update(fix.rule for fix in chosen)
    outcome.text = source.text
    return source, outcome
