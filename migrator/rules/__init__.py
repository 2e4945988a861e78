"""The rules engine: one registry of rules, two judges (artifacts and source files).

A rule is one decorated function in a module of its family's package (or one row of a table that
the module turns into rules). Nothing else needs touching to add one: every module in
``migrator/rules/`` and its family packages whose name does not start with ``_`` is imported the
first time the registry is used.

Rule ids are stable and grouped by family; each rule also has a short kebab-case name, and both
work wherever a rule is named (``migrator rules ID``, ``# migrator: ignore[ID]``, ``select`` and
``ignore`` in ``[tool.migrator]``):

=========  ==========  ==========================================================================
ids        family      what the rules look at
=========  ==========  ==========================================================================
MIG1xx     artifact    model artifacts on disk (``migrator/rules/artifacts/``)
MIG2xx     code        Python files and notebooks, by AST (``migrator/rules/code/``)
MIG3xx     security    artifacts (or code) whose loading could run something (``security/``)
=========  ==========  ==========================================================================

Severities (``migrator.model.SEVERITIES``) mean the same in every family:

- ``critical``: loading the artifact can execute code or touch files (security family).
- ``high``: breaks on current releases (Keras 3 / TF >= 2.16 raise, or the API is gone).
- ``medium``: still works through a compatibility path (``tf.compat.v1``, ``tf_keras``, a legacy
  loader) but produces or needs something current Keras cannot load, or is deprecated.
- ``low``: works today, with a deprecation warning or as a legacy format.
- ``info``: worth knowing, nothing to do.

A rule states its default severity; one finding may say less (or more) when the rule's doc
explains why (e.g. a TF1 API reached through ``tf.compat.v1`` still runs: ``medium``; through
``tf.`` it no longer exists: ``high``).

The doc of a rule is its function's docstring (a table row carries it as text): first what the
pattern is and why it breaks, then a paragraph starting with ``Fix:`` (``Rule.fix``), which
``migrator rules ID`` and the SARIF/HTML reports show. Each rule also names the versions where
the pattern is deprecated and/or breaks (``deprecated_in``, ``breaks_in``) and, where
``migrator convert`` repairs the artifact, the conversion step (``convert``, a key of
``CONVERSIONS``).

Adding an artifact or security rule::

    @artifact_rule("MIG1xx", "kebab-name", title="...", severity="high",
                   breaks_in="Keras 3.0 / TF 2.16: ...", convert="h5-to-keras",
                   formats=("keras-h5",))
    def check(artifact: Artifact) -> Hit | Iterable[Hit] | None:
        '''What it is and why it breaks.

        Fix: what to do.
        '''

Test cases are files: ``tests/cases/<family>/<rule id>/positive/*`` must each trigger the rule and
``.../negative/*`` must not (code cases are ``.py``/``.ipynb`` files with ``# expect: ID`` markers
on the finding's line; artifact and security cases are files or folders that ``migrator audit``
reads, or ``*.gen.py`` scripts whose ``build(folder: Path) -> Path`` writes one at test time, for
artifacts better generated than committed as bytes). A meta-test in
``tests/test_rules_engine.py`` requires both folders, a doc with ``Fix:``, a severity and versions
for every registered rule of every family.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.model import SEVERITIES, Artifact, Finding, SourceFile

if TYPE_CHECKING:
    from migrator.rules.config import Config

FAMILIES: dict[str, str] = {"1": "artifact", "2": "code", "3": "security"}
ID_PATTERN = re.compile(r"^MIG([1-3])\d\d$")
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class _Conversions(Mapping[str, str]):
    """The conversions a rule may point to (its `convert` field): public name -> summary.

    Derived from the step modules' own declarations (`migrator.convert.registry`), read on first
    use, so a new step is one module and rules can name it at once.
    """

    def _table(self) -> dict[str, str]:
        from migrator.convert.registry import conversions

        return conversions()

    def __getitem__(self, name: str) -> str:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


CONVERSIONS: Mapping[str, str] = _Conversions()


@dataclass(frozen=True)
class Hit:
    """What a rule's check returns: the problem, the remedy, and where (code rules).

    The finding's message is ``problem; remedy.``; ``fix`` is the remedy alone. A code rule
    points at ``node`` (default: the node it was given) or at an explicit ``line``/``col``
    (1-based; used for notebook magics that are not in the AST).
    """

    problem: str
    remedy: str
    node: ast.AST | None = None
    line: int | None = None
    col: int | None = None
    severity: str | None = None  # only when this finding differs from the rule's default

    @property
    def message(self) -> str:
        text = f"{self.problem}; {self.remedy}" if self.remedy else self.problem
        return text if text.endswith((".", "!", "?")) else text + "."


@dataclass(frozen=True)
class Rule:
    """One rule: identity, documentation, and the check that finds it."""

    id: str
    name: str
    title: str
    severity: str
    family: str
    target: str  # "artifact" or "code": what the check receives
    doc: str
    deprecated_in: str = ""  # where the pattern was first deprecated (e.g. "TF 2.13")
    breaks_in: str = ""  # where it stops working (e.g. "Keras 3.0 / TF 2.16: ValueError ...")
    convert: str = ""  # a key of CONVERSIONS, when `migrator convert` fixes the artifact
    nodes: tuple[type[ast.AST], ...] = ()  # code rules: the AST node types the check receives
    formats: tuple[str, ...] = ()  # artifact rules: run only on these formats (empty: all)
    check: Callable[..., Any] = field(default=lambda *a: None, compare=False, repr=False)

    @property
    def fix(self) -> str:
        """The doc's paragraph that starts with ``Fix:`` (without the label)."""
        for paragraph in re.split(r"\n\s*\n", self.doc):
            if paragraph.lstrip().startswith("Fix:"):
                return " ".join(paragraph.lstrip()[4:].split())
        return ""

    @property
    def versions(self) -> dict[str, str]:
        out = {}
        if self.deprecated_in:
            out["deprecated"] = self.deprecated_in
        if self.breaks_in:
            out["breaks"] = self.breaks_in
        return out

    def matches(self, selector: str) -> bool:
        """True if `selector` names this rule: its id, its name, its family, or an id prefix."""
        return selector in (self.id, self.name, self.family) or (
            selector.startswith("MIG") and self.id.startswith(selector)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "family": self.family,
            "title": self.title,
            "severity": self.severity,
            "versions": self.versions,
            "convert": self.convert or None,
            "fix": self.fix,
            "doc": self.doc,
        }


_REGISTRY: dict[str, Rule] = {}
_loaded = False


def register(rule: Rule) -> Rule:
    """Add a rule to the registry, refusing anything a user could not rely on."""
    problems = []
    match = ID_PATTERN.match(rule.id)
    if not match:
        problems.append(f"id {rule.id!r} is not MIG1xx/MIG2xx/MIG3xx")
    elif FAMILIES[match.group(1)] != rule.family:
        problems.append(f"id {rule.id} belongs to family {FAMILIES[match.group(1)]!r}")
    if not NAME_PATTERN.match(rule.name):
        problems.append(f"name {rule.name!r} is not kebab-case")
    if rule.severity not in SEVERITIES:
        problems.append(f"severity {rule.severity!r} is not one of {', '.join(SEVERITIES)}")
    if rule.target not in ("artifact", "code"):
        problems.append(f"target {rule.target!r} is not 'artifact' or 'code'")
    if rule.convert and rule.convert not in CONVERSIONS:
        problems.append(f"convert {rule.convert!r} is not one of {', '.join(CONVERSIONS)}")
    if not rule.doc.strip():
        problems.append("it has no doc (write the why and the fix in the docstring)")
    if not (rule.deprecated_in or rule.breaks_in):
        problems.append("it names no version (deprecated_in and/or breaks_in)")
    for other in _REGISTRY.values():
        if other.id == rule.id or other.name == rule.name:
            problems.append(f"id or name already used by {other.id} ({other.name})")
    if problems:
        raise ValueError(f"cannot register rule {rule.id}: " + "; ".join(problems))
    _REGISTRY[rule.id] = rule
    return rule


def _decorator(
    rule_id: str,
    name: str,
    *,
    title: str,
    severity: str,
    target: str,
    deprecated_in: str,
    breaks_in: str,
    convert: str,
    nodes: tuple[type[ast.AST], ...] = (),
    formats: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        match = ID_PATTERN.match(rule_id)
        family = FAMILIES[match.group(1)] if match else "?"
        register(
            Rule(
                id=rule_id,
                name=name,
                title=title,
                severity=severity,
                family=family,
                target=target,
                doc=inspect.cleandoc(func.__doc__ or ""),
                deprecated_in=deprecated_in,
                breaks_in=breaks_in,
                convert=convert,
                nodes=nodes,
                formats=formats,
                check=func,
            )
        )
        return func

    return wrap


def artifact_rule(
    rule_id: str,
    name: str,
    *,
    title: str,
    severity: str,
    deprecated_in: str = "",
    breaks_in: str = "",
    convert: str = "",
    formats: Sequence[str] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``check(artifact: Artifact) -> Hit | Iterable[Hit] | None``; its docstring is the doc.

    Use MIG1xx ids for outdated artifacts and MIG3xx for security. ``formats`` limits the rule to
    artifacts of those format ids (``migrator.formats.format_ids()``).
    """
    return _decorator(
        rule_id,
        name,
        title=title,
        severity=severity,
        target="artifact",
        deprecated_in=deprecated_in,
        breaks_in=breaks_in,
        convert=convert,
        formats=tuple(formats),
    )


def code_rule(
    rule_id: str,
    name: str,
    *,
    title: str,
    severity: str,
    nodes: Sequence[type[ast.AST]] = (ast.Call,),
    deprecated_in: str = "",
    breaks_in: str = "",
    convert: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``check(node, ctx: CodeContext) -> Hit | Iterable[Hit] | None``; docstring = doc.

    The check is called once for every AST node of the given types (``ast.Module`` once per file)
    with a ``migrator.rules._python.CodeContext`` that resolves import aliases, assigned values
    and paths.
    """
    return _decorator(
        rule_id,
        name,
        title=title,
        severity=severity,
        target="code",
        deprecated_in=deprecated_in,
        breaks_in=breaks_in,
        convert=convert,
        nodes=tuple(nodes),
    )


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    _import_rule_modules(__name__, __path__)


def _import_rule_modules(package: str, path: Sequence[str]) -> None:
    """Import every public module of a package, and of its public subpackages (the families)."""
    for module in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        imported = importlib.import_module(f"{package}.{module.name}")
        if module.ispkg:
            _import_rule_modules(imported.__name__, imported.__path__)


def all_rules(target: str | None = None) -> tuple[Rule, ...]:
    """Every registered rule, sorted by id; only those checking `target` when given."""
    _load()
    return tuple(r for _, r in sorted(_REGISTRY.items()) if target is None or r.target == target)


def get_rule(key: str) -> Rule:
    """The rule with this id or name (case-insensitive for ids); KeyError says what exists."""
    for rule in all_rules():
        if key.upper() == rule.id or key.lower() == rule.name:
            return rule
    raise KeyError(f"no rule {key!r}; `migrator rules` lists them")


def _hits(result: Hit | Iterable[Hit] | None) -> list[Hit]:
    if result is None:
        return []
    if isinstance(result, Hit):
        return [result]
    hits = list(result)
    for hit in hits:
        if not isinstance(hit, Hit):
            raise TypeError(f"a rule check must return Hit objects, not {type(hit).__name__}")
    return hits


def _enabled(rules: Iterable[Rule], config: Config | None) -> list[Rule]:
    return [r for r in rules if config is None or config.enabled(r)]


def check_artifact(
    artifact: Artifact, config: Config | None = None, *, rules: Sequence[Rule] | None = None
) -> Artifact:
    """The artifact judge: run every enabled artifact rule; a crashing rule becomes an error line."""
    chosen = _enabled(all_rules("artifact") if rules is None else rules, config)
    findings = list(artifact.findings)
    errors: list[str] = []
    for rule in chosen:
        if rule.formats and artifact.format not in rule.formats:
            continue
        try:
            hits = _hits(rule.check(artifact))
        except Exception as exc:  # one buggy rule must not stop a ten-thousand-model batch
            errors.append(
                f"internal error in rule {rule.id} ({type(exc).__name__}: {exc}); "
                "please report this artifact to the migrator maintainers"
            )
            continue
        for hit in hits:
            findings.append(
                Finding(rule.id, hit.severity or rule.severity, hit.message, fix=hit.remedy)
            )
    if not errors and len(findings) == len(artifact.findings):
        return artifact
    findings.sort(key=lambda f: (f.rule, f.message))
    reading = artifact.reading
    if errors:
        reading = replace(reading, errors=tuple(reading.errors) + tuple(errors))
    return replace(artifact, findings=tuple(findings), reading=reading)


def check_source(
    rel: str, path: Path, config: Config | None = None, *, rules: Sequence[Rule] | None = None
) -> SourceFile:
    """The code judge: parse a `.py` file or notebook once and run every enabled code rule."""
    from migrator.rules import _python

    chosen = _enabled(all_rules("code") if rules is None else rules, config)
    return _python.check_file(rel, path, chosen)
