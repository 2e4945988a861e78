"""What every renderer says the same way: producer and era labels, worst severity, verdicts, counts.

Renderers differ in markup only; the wording and the summaries come from here, so the terminal
table, the Markdown comment and the HTML page never disagree about an artifact.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from migrator.formats import format_ids
from migrator.knowledge.versions import major
from migrator.loadability.targets import TARGET_FINDING
from migrator.loadability.usable import WEIGHTS_ONLY, user_verdict
from migrator.model import SEVERITIES, Artifact, Finding, Report, severity_rank

# Most severe first: the order summaries and lists use.
SEVERITY_ORDER: tuple[str, ...] = tuple(reversed(SEVERITIES))

# Best first. Issue 5 defines these three verdicts for a `<tf>/<loader>` cell.
VERDICTS: tuple[str, ...] = ("loads", "loads-with-changes", "fails")


def producer_text(artifact: Artifact) -> str:
    """`keras 2.3.1, tf 1.15.0, theano`: what the artifact says wrote it ('-' if nothing)."""
    p = artifact.producer
    parts = []
    if p.get("keras_version"):
        parts.append(f"keras {p['keras_version']}")
    if p.get("tensorflow_version"):
        parts.append(f"tf {p['tensorflow_version']}")
    if p.get("backend") and p.get("backend") != "tensorflow":
        parts.append(str(p["backend"]))
    return ", ".join(parts) or "-"


def notes_text(artifact: Artifact) -> str:
    """Short facts worth a column besides the era: Keras or not, model class, serving layout."""
    d = artifact.details
    parts = []
    if d.get("keras") is True:
        parts.append("keras")
    if d.get("model_class"):
        parts.append(str(d["model_class"]))
    layout = d.get("layout") or {}
    if isinstance(layout, Mapping) and layout.get("kind"):
        parts.append(f"{layout['kind']} {layout.get('version_folder', '')}".strip())
    return ", ".join(parts)


def _major(version: object) -> str | None:
    number = major(str(version))
    return None if number is None else str(number)


def era(artifact: Artifact) -> str:
    """The generation of tooling that wrote the artifact: `Keras 1`, `Keras 3`, `TF 1.x`, `unknown`.

    Keras' own version wins over TensorFlow's (a tf.keras 2.15 `.keras` file is a Keras 2 artifact);
    a SavedModel's `details.era` (tf1/tf2, decided by its reader from the object graph) wins over
    the version string, which old exporters did not always write.
    """
    recorded = str(artifact.details.get("era") or "").lower()
    if recorded in ("tf1", "tf2"):
        return f"TF {recorded[2]}.x"
    keras = _major(artifact.producer.get("keras_version", ""))
    if keras:
        return f"Keras {keras}"
    tf = _major(artifact.producer.get("tensorflow_version", ""))
    if tf:
        return f"TF {tf}.x"
    return "unknown"


def worst_severity(findings: Iterable[Finding]) -> str | None:
    """The most severe severity among `findings`, or None when there are none."""
    worst = None
    for f in findings:
        if f.severity in SEVERITIES and (
            worst is None or severity_rank(f.severity) > severity_rank(worst)
        ):
            worst = f.severity
    return worst


def sorted_findings(findings: Iterable[Finding], *, code: bool = False) -> list[Finding]:
    """A stable reading order: most severe first for artifacts; top to bottom for code (cell,
    line, column), as a reviewer reads a file."""

    def severity(f: Finding) -> int:
        return -severity_rank(f.severity) if f.severity in SEVERITIES else 1

    def position(f: Finding) -> tuple[int, int, int]:
        cell = getattr(f, "cell", None)
        return (
            cell if cell is not None else -1,
            f.line if f.line is not None else -1,
            f.col if f.col is not None else -1,
        )

    if code:
        return sorted(findings, key=lambda f: (position(f), severity(f), f.rule, f.message))
    return sorted(findings, key=lambda f: (severity(f), position(f), f.rule, f.message))


def extra_fix(finding: Finding) -> str:
    """The fix, unless the message already ends with it (rules write `problem; remedy.`)."""
    fix = finding.fix.strip()
    if not fix or fix.rstrip(".") in finding.message:
        return ""
    return fix


def where(finding: Finding) -> str:
    """Where in a file a finding is: `12:4`, `cell 3, 12:4` in a notebook, '' for artifacts.

    Same numbers as `Finding.location` (line and column 1-based, as editors and SARIF count),
    so every report, SARIF included, points at the same place.
    """
    if finding.line is None:
        return ""
    text = str(finding.line) if finding.col is None else f"{finding.line}:{finding.col}"
    cell = getattr(finding, "cell", None)
    return f"cell {cell}, {text}" if cell is not None else text


@dataclass(frozen=True)
class Located:
    """A finding with the report path it belongs to; `kind` is 'artifact' or 'code'."""

    path: str
    kind: str
    finding: Finding


def all_findings(report: Report) -> Iterator[Located]:
    """Every finding of the report, artifacts first then code, each group sorted by path."""
    for a in sorted(report.artifacts, key=lambda a: a.path):
        for f in sorted_findings(a.findings):
            yield Located(a.path, "artifact", f)
    for s in sorted(report.sources, key=lambda s: s.path):
        for f in sorted_findings(s.findings, code=True):
            yield Located(s.path, "code", f)


def severity_counts(report: Report) -> dict[str, int]:
    """Number of findings per severity, most severe first, zero counts left out."""
    counts = Counter(item.finding.severity for item in all_findings(report))
    ordered = {s: counts[s] for s in SEVERITY_ORDER if counts[s]}
    ordered.update({s: n for s, n in sorted(counts.items()) if s not in SEVERITIES})
    return ordered


def format_counts(report: Report) -> dict[str, int]:
    """Number of artifacts per format, in the readers' claiming order (`formats.format_ids()`)."""
    counts = Counter(a.format for a in report.artifacts)
    known = format_ids()
    ordered = {f: counts[f] for f in known if counts[f]}
    ordered.update({f: n for f, n in sorted(counts.items()) if f not in known})
    return ordered


def era_counts(report: Report) -> dict[str, int]:
    """Number of artifacts per era, oldest first, `unknown` last."""
    counts = Counter(era(a) for a in report.artifacts)

    def key(name: str) -> tuple[int, int, str]:
        order = {"Keras": 0, "TF": 1}
        kind, _, rest = name.partition(" ")
        major = _major(rest)
        if kind not in order or major is None:
            return (9, 0, name)
        return (int(major), order[kind], name)

    return {name: counts[name] for name in sorted(counts, key=key)}


def all_errors(report: Report) -> list[str]:
    """Every error line, prefixed with the path it concerns (report-level errors carry their own)."""
    lines = [
        f"{a.path}: {e}" for a in sorted(report.artifacts, key=lambda a: a.path) for e in a.errors
    ]
    lines += [
        f"{s.path}: {e}" for s in sorted(report.sources, key=lambda s: s.path) for e in s.errors
    ]
    lines += list(report.errors)
    return lines


def executes_on_load(finding: Finding) -> bool:
    """True for content that runs when the artifact is loaded or called: a critical finding of a
    security rule (MIG301 Lambda or marshalled bytecode, MIG304 pickles, MIG305/MIG306 ops that
    run Python or touch files and the network). `migrator audit` exits 1 on these by default."""
    meta = rule_meta(finding.rule)
    return finding.severity == "critical" and meta is not None and meta.is_security


def fails_audit(finding: Finding) -> bool:
    """Findings `migrator audit` exits 1 on whatever `--fail-on` says: content that runs on load
    (`executes_on_load`), and a `--target` runtime the artifact does not load in."""
    return finding.rule == TARGET_FINDING or executes_on_load(finding)


def safe_text(text: str) -> str:
    """`text` with lone surrogates (a JSON `\\ud800` escape, a file name that is not UTF-8) as
    backslash escapes, so any encoder, file or terminal accepts every rendered report."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --- loadability (issue 5: {"<tf>/<loader>": {"verdict", "reason"}}) --------------------------


def _version_key(text: str) -> tuple[tuple[int, ...], str]:
    nums = tuple(int(n) for n in re.findall(r"\d+", text))
    return (nums, text)


@dataclass(frozen=True)
class Grid:
    """An artifact's loadability as a table: one row per loader, one column per TF line."""

    envs: tuple[str, ...]
    loaders: tuple[str, ...]
    cells: Mapping[tuple[str, str], Mapping[str, str]]  # (env, loader) -> {"verdict", "reason"}

    def cell(self, env: str, loader: str) -> Mapping[str, str] | None:
        return self.cells.get((env, loader))


def loadability_grid(artifact: Artifact) -> Grid:
    """Split `<tf>/<loader>` keys into a grid; a key without '/' is a loader with env '-'."""
    cells: dict[tuple[str, str], Mapping[str, str]] = {}
    for key, cell in artifact.loadability.items():
        env, sep, loader = str(key).partition("/")
        if not sep:
            env, loader = "-", str(key)
        cells[(env, loader)] = cell
    envs = tuple(sorted({e for e, _ in cells}, key=_version_key))
    loaders = tuple(sorted({loader for _, loader in cells}))
    return Grid(envs, loaders, cells)


@dataclass(frozen=True)
class Verdict:
    """One line about loadability, as a user means "it loads": in the newest runtime assessed,
    the best verdict of the loaders that give a model (`load_model`, `tf.saved_model.load`,
    `TFSMLayer`); for weights formats, of the weights loaders. When no model loader succeeds
    but `load_weights` does, the verdict is `weights-only`: a Keras 1 model no `load_model`
    opens, or a `.keras` whose config is refused, is not a loadable model."""

    verdict: str  # one of VERDICTS, WEIGHTS_ONLY, or "unknown" for a verdict string unknown here
    env: str
    loaders: tuple[str, ...]  # the loaders that reach `verdict` in `env`

    @property
    def text(self) -> str:
        where = (
            f"{self.env}: {', '.join(self.loaders)}" if self.env != "-" else ", ".join(self.loaders)
        )
        if self.verdict == WEIGHTS_ONLY:
            return f"only weights load ({where}); no model loader opens it"
        return f"{self.verdict} ({where})"

    @property
    def label(self) -> str:
        """Short form for a table cell: `loads (2.21)`, `weights only (2.21)`."""
        word = "weights only" if self.verdict == WEIGHTS_ONLY else self.verdict
        return f"{word} ({self.env})" if self.env != "-" else word


def verdict_summary(artifact: Artifact) -> Verdict | None:
    """What "loads in the newest runtime" means to a user (`migrator.loadability.usable`), or,
    with `--target`, in the first target it does not load in (else the last target); None when
    the artifact has no loadability."""
    targets = artifact.load_ranges.get("targets")
    if isinstance(targets, list) and targets:  # --target: the first target it fails, else the last
        entry = next((t for t in targets if not t.get("loads")), targets[-1])
        return Verdict(str(entry["verdict"]), str(entry["column"]), tuple(entry["loaders"]))
    grid = loadability_grid(artifact)
    if not grid.envs:
        return None
    env = grid.envs[-1]
    cells = {loader: cell for (e, loader), cell in grid.cells.items() if e == env}
    found = user_verdict(cells)
    return Verdict(found[0], env, found[1]) if found else None


def verdict_heading(report: Report) -> str:
    """The verdict column's title: the newest TF, or the targets when `--target` was given."""
    targeted = any(a.load_ranges.get("targets") for a in report.artifacts)
    return "loads in target" if targeted else "loads in newest TF"


def range_lines(artifact: Artifact) -> list[tuple[str, str]]:
    """(loader, "tf.keras 2.12-2.15; tf_keras 2.16-2.21") for each loader that loads the
    artifact somewhere, from `load_ranges` (`migrator.loadability.ranges`)."""
    loaders = artifact.load_ranges.get("loaders")
    if not isinstance(loaders, Mapping):
        return []
    return [
        (str(loader), str(entry.get("text", "")))
        for loader, entry in loaders.items()
        if isinstance(entry, Mapping) and entry.get("loads")
    ]


def stop_text(artifact: Artifact, *, reason: bool = False) -> str:
    """`stops loading at Keras 3.0 (keras.load_model)` (and why), or "" when it never stops."""
    stop = artifact.load_ranges.get("stops_loading")
    if not isinstance(stop, Mapping):
        return ""
    text = f"stops loading at {stop.get('at')} ({stop.get('loader')})"
    return f"{text}: {stop.get('reason')}" if reason and stop.get("reason") else text


# --- rule metadata ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleMeta:
    """What a report says about a rule (SARIF `rules[]`, help text): taken from the rule registry."""

    id: str
    title: str
    severity: str
    family: str = ""
    doc: str = ""
    fix: str = ""
    name: str = ""  # kebab-case name, when the registry gives one
    versions: Mapping[str, str] = field(default_factory=dict)  # "deprecated"/"breaks" -> where
    convert: str = ""  # the `migrator convert` step that fixes the artifact, if any

    @property
    def is_security(self) -> bool:
        return self.family == "security"


# The finding `--target` adds (not a rule of the registry: it exists only when targets are given).
TARGET_META = RuleMeta(
    id=TARGET_FINDING,
    title="Does not load in a target runtime",
    severity="high",
    family="artifact",
    doc="The artifact does not load in a runtime named with `--target` (or `target` in "
    "[tool.migrator]): no model loader of that runtime opens it (for weights files, no weights "
    "loader). The message names the runtime, whether the answer is measured or derived from "
    "the release facts, and the reason.\n\nFix: keep a runtime it loads in (the fix names "
    "them), or convert it with `migrator convert`.",
    fix="keep a runtime it loads in, or convert it with `migrator convert`",
    name="fails-in-target-runtime",
)


def rule_meta(rule_id: str) -> RuleMeta | None:
    """Metadata of `rule_id` from `migrator.rules` (or of the `--target` finding), or None if
    the registry does not know it."""
    if rule_id == TARGET_FINDING:
        return TARGET_META
    try:
        rules = importlib.import_module("migrator.rules")
    except ModuleNotFoundError as exc:
        if exc.name != "migrator.rules":
            raise
        return None
    try:
        rule: Any = rules.get_rule(rule_id)
    except KeyError:
        return None
    return RuleMeta(
        id=str(rule.id),
        title=str(rule.title or rule.id),
        severity=str(rule.severity),
        family=str(rule.family),
        doc=str(rule.doc or ""),
        fix=str(rule.fix or ""),
        name=str(getattr(rule, "name", "") or ""),
        versions=dict(getattr(rule, "versions", {}) or {}),
        convert=str(getattr(rule, "convert", "") or ""),
    )
