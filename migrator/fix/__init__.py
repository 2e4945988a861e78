"""`migrator fix`: rewrite the code the code rules flag, keeping comments, quotes and layout.

Matching reuses the code rules themselves (a fix is offered only where its rule fires, with the
rule's import-alias tracking, path evaluation and `# migrator: ignore[...]` comments), and the
rewriting is done with libcst on the flagged expression only, so everything around it survives
byte for byte. That is pyupgrade's split (match on the AST, rewrite on a concrete syntax tree),
which is also why a fix can never produce what tf_upgrade_v2 produces on Keras saving code: a
fixer edits the arguments it found, it never appends one.

A fixer is one module under `migrator/fix/fixers/`, one decorated function:

    @fixer("MIG202", "remove-redundant-save-format")
    def remove(node: ast.Call, ctx: FixContext) -> Fix | None: ...

registered when this package first lists the fixers (auto-import), like the rules and readers.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrator.fix.context import FixContext


@dataclass(frozen=True, order=True)
class Edit:
    """Replace the characters `start:end` of the unit's text with `text` (offsets in str chars)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Fix:
    """What one fixer proposes for one flagged node: edits applied all together or not at all.

    `safe`: the program does under Keras 2 exactly what it did before and runs under Keras 3
    too; an unsafe fix changes behaviour (file names other programs read, inference-only
    exports) and is applied only with `--unsafe-fixes`, as ruff does.
    """

    rule: str
    name: str
    safe: bool
    edits: tuple[Edit, ...]
    summary: str = ""


FixFunction = Callable[[ast.AST, "FixContext"], "Fix | None"]


@dataclass(frozen=True)
class Fixer:
    """A registered fixer: the rule whose findings it fixes and the function that proposes it."""

    rule: str
    name: str
    func: FixFunction = field(compare=False, repr=False)
    doc: str = ""


_REGISTRY: dict[str, list[Fixer]] = {}
_LOADED = False


def fixer(rule: str, name: str) -> Callable[[FixFunction], FixFunction]:
    """Decorator: `func(node, ctx)` proposes a `Fix` for nodes rule `rule` flags (or None)."""

    def decorate(func: FixFunction) -> FixFunction:
        entry = Fixer(rule, name, func, (func.__doc__ or "").strip().split("\n")[0])
        known = _REGISTRY.setdefault(rule, [])
        if any(f.name == name and f.func is not func for f in known):
            raise ValueError(f"two fixers named {name!r} for {rule}")
        if entry not in known:
            known.append(entry)
        return func

    return decorate


def _load() -> None:
    global _LOADED
    if not _LOADED:
        from migrator.fix import fixers

        for info in pkgutil.iter_modules(fixers.__path__):
            importlib.import_module(f"{fixers.__name__}.{info.name}")
        _LOADED = True


def fixers_for(rule: str) -> tuple[Fixer, ...]:
    """The fixers registered for `rule` (a rule id such as `MIG202`)."""
    _load()
    return tuple(_REGISTRY.get(rule, ()))


def all_fixers() -> dict[str, tuple[Fixer, ...]]:
    """Rule id -> its fixers, sorted by rule id."""
    _load()
    return {rule: tuple(found) for rule, found in sorted(_REGISTRY.items())}


__all__ = ["Edit", "Fix", "Fixer", "all_fixers", "fixer", "fixers_for"]
