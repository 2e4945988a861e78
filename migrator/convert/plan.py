"""`migrator convert DIR --plan`: what a conversion would do, decided before any work is done.

A platform team wants to know, before starting a batch that may take hours, what each artifact
would become, by which steps, in which runtimes, what blocks the rest (custom classes only their
code can provide, Lambda layers, weights without an architecture), which runtimes are missing,
and roughly how long it will take. All of it follows from the audit's readings (discovery, the
reader pool, `classify`, the planner over the step registry): nothing is loaded, no TensorFlow
runs, no runtime is started.

The estimate multiplies the number of planned conversions by a per-model cost measured with
`benchmarks/plan_cost_bench.py` and adds one start-up per runtime used (see the constants).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.convert import (
    AlreadyCurrent,
    Convertible,
    NoConversionPath,
    Options,
    default_targets,
    plan,
)
from migrator.convert.registry import Step
from migrator.errors import ConversionError, UnsafeContent
from migrator.knowledge import tf_lines, versions
from migrator.model import Artifact

SCHEMA_VERSION = 1

# Measured with `python benchmarks/plan_cost_bench.py --count 12` (the tox runtimes named by
# MIGRATOR_RUNTIME_TF2xx; tf.keras 2.15 `save-h5` models of the corpus; --jobs 1; one run on
# the development machine, shared with other test runs, December 2026): T(1) = 23.5 s,
# T(12) = 54.0 s, so 2.78 s per further model (plan, step, source and output runs, weight
# comparison, publish) and 10.35 s per runtime started (the fixed cost of a run: reading, and
# importing TensorFlow in each worker). Large models cost more; the plan says so.
SECONDS_PER_MODEL = 2.8
SECONDS_PER_RUNTIME_START = 10.4

# Kinds whose source is a Keras model loaded in the runtime of its own era for validation.
_KERAS_KINDS = ("keras-h5", "keras-savedmodel", "tf-keras-v3", "keras-weights+arch")


@dataclass
class PlannedArtifact:
    """One artifact of the plan: what it becomes, or what stops it."""

    path: str
    format: str
    status: str  # convert | blocked | current | no-path | unreadable
    kind: str | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)  # target, steps, runtimes
    blockers: list[dict[str, Any]] = field(default_factory=list)  # kind, names, remedy
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "format": self.format, "status": self.status}
        if self.kind:
            out["kind"] = self.kind
        if self.targets:
            out["targets"] = self.targets
        if self.blockers:
            out["blockers"] = self.blockers
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class Plan:
    root: str
    out: str
    artifacts: list[PlannedArtifact] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    available: frozenset[str] = frozenset()  # runtime names found (env, pyproject, managed)

    def runtimes(self) -> dict[str, dict[str, Any]]:
        """Each runtime the planned conversions use: how many artifacts, found or to install."""
        counts: dict[str, int] = {}
        for item in self.artifacts:
            used = {r for t in item.targets for r in t["runtimes"]}
            for name in used:
                counts[name] = counts.get(name, 0) + 1
        return {
            name: {
                "artifacts": counts[name],
                "available": name in self.available,
                **({} if name in self.available else {"install": install_command([name])}),
            }
            for name in tf_lines.ENV_NAMES
            if name in counts
        }

    def missing_runtimes(self) -> list[str]:
        return [n for n, r in self.runtimes().items() if not r["available"]]

    def custom_classes(self) -> dict[str, list[str]]:
        """Class name -> the artifacts that need it, over every blocked artifact."""
        out: dict[str, list[str]] = {}
        for item in self.artifacts:
            for blocker in item.blockers:
                if blocker["kind"] == "custom-classes":
                    for name in blocker["names"]:
                        out.setdefault(name, []).append(item.path)
        return dict(sorted(out.items()))

    def estimate_seconds(self) -> float:
        conversions = sum(len(a.targets) for a in self.artifacts if a.status == "convert")
        starts = len(self.runtimes()) if conversions else 0
        return conversions * SECONDS_PER_MODEL + starts * SECONDS_PER_RUNTIME_START

    def counts(self) -> dict[str, int]:
        statuses = ("convert", "blocked", "current", "no-path", "unreadable")
        return {s: sum(1 for a in self.artifacts if a.status == s) for s in statuses}

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "root": self.root,
            "out": self.out,
            "summary": self.counts(),
            "runtimes": self.runtimes(),
            "install": install_command(self.missing_runtimes()) if self.missing_runtimes() else "",
            "custom_classes": self.custom_classes(),
            "estimate": {
                "seconds": round(self.estimate_seconds(), 1),
                "seconds_per_model": SECONDS_PER_MODEL,
                "seconds_per_runtime_start": SECONDS_PER_RUNTIME_START,
                "measured_by": "benchmarks/plan_cost_bench.py",
            },
            "artifacts": [a.to_json() for a in sorted(self.artifacts, key=lambda a: a.path)],
            "errors": list(self.errors),
        }


def install_command(names: Iterable[str]) -> str:
    return "migrator runtimes install " + " ".join(names)


def source_runtime(source: Convertible, first: Step) -> str:
    """The runtime that loads the source for validation, as the validation will choose it.

    Keras 1/2 and tf.keras sources load in the newest Keras 2 line (tf.keras of their era, with
    the Keras 1 weight conversion); everything else (Keras 3 files, TF1 graphs) in the newest.
    """
    newest = tf_lines.newest().env
    if first.source not in _KERAS_KINDS or "era" not in first.validate_with:
        return newest
    keras = versions.major(str(source.producer.get("keras_version") or "")) or 0
    if keras >= 3 or "keras-v3-weights" in source.kinds:
        return newest
    keras2 = [t.env for t in tf_lines.TF_LINES if not t.keras3]
    return keras2[-1] if keras2 else newest


def target_runtimes(source: Convertible, steps: Sequence[Step]) -> list[str]:
    """The runtimes one conversion chain uses: the source's loader, then the newest (the steps
    and the output's validation); a Ray node installs exactly these before converting."""
    return list(dict.fromkeys([source_runtime(source, steps[0]), tf_lines.newest().env]))


def plan_artifact(
    artifact: Artifact, options: Options, siblings: Sequence[Artifact]
) -> PlannedArtifact:
    """Plan one artifact from its reading: classify, chain steps per target, name blockers."""
    from migrator.convert.classify import classify

    item = PlannedArtifact(artifact.path, artifact.format, "convert")
    if artifact.errors:
        item.status, item.reason = "unreadable", artifact.errors[0]
        return item
    item.blockers = blockers(artifact, options)
    try:
        source = classify(artifact, options, siblings)
    except UnsafeContent as exc:
        item.status, item.reason = "blocked", exc.short
        return item
    except ConversionError as exc:
        item.status, item.reason = "unreadable", exc.short
        return item
    item.kind = source.kind if source.kinds else None
    needs = [b for b in item.blockers if b["kind"] in ("custom-classes", "lambda")]
    if needs:  # classify lets some through (registered names) that no runtime can load
        item.status = "blocked"
        item.reason = "; ".join(
            f"needs {b['kind']} {', '.join(b['names'][:6])}: {b['remedy']}" for b in needs
        )
        return item
    no_path = source.facts.get("no_path")
    if no_path and str(no_path[0]).startswith("weights only"):
        item.blockers.append(
            {"kind": "architecture", "names": [], "remedy": str(no_path[1]), "why": str(no_path[0])}
        )
    reasons: list[str] = []
    targets = options.targets or default_targets(source)
    for target in targets:
        try:
            steps = plan(source, target)
        except AlreadyCurrent as exc:
            reasons.append(f"{target}: {exc.problem}")
            continue
        except NoConversionPath as exc:
            reasons.append(f"{target}: {exc.short}" if len(targets) > 1 else exc.short)
            continue
        item.targets.append(
            {
                "target": target,
                "steps": [s.name for s in steps],
                "runtimes": target_runtimes(source, steps),
            }
        )
    item.reason = "; ".join(reasons)  # with targets that convert: why the others do not
    if not item.targets:
        current = any(r.split(": ", 1)[-1].startswith("already") for r in reasons)
        item.status = "current" if current else "no-path"
        if any(b["kind"] == "architecture" for b in item.blockers):
            item.status = "blocked"
    return item


def blockers(artifact: Artifact, options: Options) -> list[dict[str, Any]]:
    """What the user must provide before this artifact converts, by name, from the reading."""
    from migrator import facts
    from migrator.convert.classify import _lambda_layers

    out: list[dict[str, Any]] = []
    names: set[str] = set()
    found = facts.model_config(artifact)
    if found is not None:
        names |= {name for _path, name in facts.custom_classes(found.config)}
    for entry in artifact.details.get("custom_objects") or []:
        if isinstance(entry, Mapping) and entry.get("class_name"):
            names.add(str(entry["class_name"]))
    model_class = artifact.details.get("model_class")
    if isinstance(model_class, str) and model_class not in ("Sequential", "Functional", "Model"):
        names.add(model_class)
    if names and not options.custom_objects:
        out.append(
            {
                "kind": "custom-classes",
                "names": sorted(names),
                "remedy": "pass --custom-objects <module> that defines and registers them",
            }
        )
    lambdas = _lambda_layers(artifact)
    if lambdas and not options.unsafe:
        out.append(
            {
                "kind": "lambda",
                "names": sorted(dict.fromkeys(lambdas)),
                "remedy": "rewrite them as registered custom layers, or pass --unsafe for "
                "files you trust",
            }
        )
    return out


def make_plan(root: Path, out_root: Path, options: Options) -> Plan:
    """Plan the conversion of one artifact or a tree, from readings only."""
    from migrator.convert import runtimes
    from migrator.convert.archives import inside_archives
    from migrator.convert.classify import ARCH_FORMATS, WEIGHTS_FORMATS
    from migrator.convert.tree import _architectures_beside, read_artifacts
    from migrator.discover import discover
    from migrator.storage import location

    found = discover(location(root))  # a store URL is planned in place, from byte ranges
    result = Plan(root=str(root), out=str(out_root), errors=list(found.errors))
    single = len(found.candidates) == 1 and found.candidates[0].rel == "."
    artifacts = inside_archives(read_artifacts(found.candidates, options), found.candidates)
    single = single and len(artifacts) == 1  # an archive given alone: one model inside it
    architectures = [a for a in artifacts if a.format in ARCH_FORMATS]
    if single and artifacts and artifacts[0].format in WEIGHTS_FORMATS:
        architectures = _architectures_beside(artifacts[0], options)
    for artifact in artifacts:
        if artifact.format in ARCH_FORMATS:
            continue
        siblings = [a for a in architectures if a.location.parent == artifact.location.parent]
        result.artifacts.append(plan_artifact(artifact, options, siblings))
    result.available = frozenset(n for n in tf_lines.ENV_NAMES if runtimes.find(n) is not None)
    return result


def render_table(result: Plan, *, color: bool = False, width: int = 140) -> str:
    """The plan as a terminal table, then what to do before converting."""
    from rich.markup import escape

    rows = []
    for item in sorted(result.artifacts, key=lambda a: a.path):
        if item.targets:
            what = "; ".join(
                f"{t['target']} by {' + '.join(t['steps'])} in {', '.join(t['runtimes'])}"
                for t in item.targets
            )
            what += f"; not {item.reason}" if item.reason else ""
        else:
            what = item.reason
        for blocker in item.blockers:
            shown = ", ".join(blocker["names"][:6])
            if shown and shown not in what:  # a reason may already name them
                what += f"; needs {blocker['kind']}: {shown}"
        rows.append((item.path, item.format, item.status, what))
    text = render_rows(
        f"migrator convert {result.root} -o {result.out} --plan",
        ("artifact", "format", "plan", "becomes / blocked by"),
        rows,
        color=color,
        width=width,
    )
    counts = result.counts()
    lines = [", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no artifacts found"]
    for name, info in result.runtimes().items():
        state = "found" if info["available"] else f"missing: `{info['install']}`"
        lines.append(f"runtime {name}: {info['artifacts']} artifact(s), {state}")
    missing = result.missing_runtimes()
    if missing:
        lines.append(
            f"install first: `{install_command(missing)}` (or convert with --install-runtimes)"
        )
    classes = result.custom_classes()
    if classes:
        lines.append(
            "custom classes to provide (--custom-objects MODULE): "
            + ", ".join(f"{n} ({len(p)})" for n, p in classes.items())
        )
    seconds = result.estimate_seconds()
    lines.append(
        f"estimated time: {_duration(seconds)} at --jobs 1 for small models "
        f"({SECONDS_PER_MODEL:g} s per conversion, {SECONDS_PER_RUNTIME_START:g} s per runtime "
        "start, measured by benchmarks/plan_cost_bench.py; large models take longer)"
    )
    lines += [f"error: {e}" for e in result.errors]
    return text + "".join(escape(line) + "\n" for line in lines)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def render_rows(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    color: bool = False,
    width: int = 140,
) -> str:
    """A rich table of plain strings: every cell escaped, so `migrator[tf]` or
    `[tool.migrator]` in a message is printed as written, never taken for markup."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title))
    for name in header:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=color, no_color=not color, width=width).print(table)
    return buffer.getvalue()
