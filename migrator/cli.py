"""Command line: `migrator audit|inspect|rules ...`. The only module that prints.

Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 errors (unreadable artifacts, bad usage).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from migrator import __version__
from migrator.errors import MigratorError

if TYPE_CHECKING:
    from migrator.rules.config import Config

EXIT_OK, EXIT_FINDINGS, EXIT_ERRORS = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="migrator",
        description="Audit TensorFlow/Keras model artifacts and migrate them to current formats.",
    )
    p.add_argument("--version", action="version", version=f"migrator {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("audit", help="walk folders, identify every artifact, print a report")
    a.add_argument("paths", nargs="+", type=Path, help="folders or files to audit")
    a.add_argument("--format", default="table", help="report format (default: table)")
    a.add_argument("-o", "--output", type=Path, help="write the report to this file")
    a.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        help="exit 1 when a finding is at least this severe: info, low, medium, high, critical "
        "or none (default: fail-on in [tool.migrator] of the nearest pyproject.toml, else none)",
    )
    a.add_argument(
        "--select", metavar="IDS", help="only these rules: ids, id prefixes, names, families (a,b)"
    )
    a.add_argument("--ignore", metavar="IDS", help="skip these rules (same forms as --select)")
    a.add_argument(
        "--jobs", type=int, metavar="N", help="reader processes (default: one per core, up to 4)"
    )
    a.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds one artifact may take before it is reported as damaged (default: 120)",
    )

    r = sub.add_parser("rules", help="list the rules, or print one rule's documentation")
    r.add_argument("rule", nargs="?", help="a rule id (MIG201) or name (keras-save-savedmodel-dir)")
    r.add_argument("--json", action="store_true", help="print JSON")

    i = sub.add_parser("inspect", help="everything known about one artifact")
    i.add_argument("path", type=Path)
    i.add_argument("--json", action="store_true", help="print the artifact's JSON record(s)")

    from migrator.convert.command import add_parser

    add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "audit":
            return _audit(args)
        if args.command == "inspect":
            return _inspect(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "convert":
            return _convert(args)
    except MigratorError as exc:
        print(f"migrator: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("migrator: interrupted", file=sys.stderr)
        return 130
    return EXIT_ERRORS


def _convert(args: argparse.Namespace) -> int:
    from migrator.convert.command import options_from_args
    from migrator.convert.summary import render_table
    from migrator.convert.tree import convert_path

    options = options_from_args(args)
    if args.unsafe:
        print(
            "migrator: warning: --unsafe lets Lambda layers run Python code stored in the "
            "artifacts; use it only on files you trust",
            file=sys.stderr,
        )
    with _ProgressBar() as progress:
        report = convert_path(args.src, args.out, options, progress=progress)
    if args.report:
        _write_atomic(args.report, json.dumps(report.to_json(), indent=2) + "\n")
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_table(report, color=sys.stdout.isatty()))
    return EXIT_ERRORS if report.failed else EXIT_OK


class _ProgressBar:
    """A rich progress bar on stderr, or nothing when stderr is not a terminal."""

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not sys.stderr.isatty():
            self._progress = None
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("converting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        task = self._progress.add_task("", total=None)

        def update(path: str, done: int, total: int) -> None:
            self._progress.update(task, completed=done, total=total, description=path)

        return update

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _audit(args: argparse.Namespace) -> int:
    from migrator import loadability
    from migrator.audit import audit
    from migrator.report import RENDERERS, renderer
    from migrator.rules import check_artifact, check_source

    if args.format not in RENDERERS:
        print(
            f"migrator: unknown --format {args.format!r}; choose one of {', '.join(RENDERERS)}",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    config = _config(args)
    report = audit(
        args.paths,
        judges=[loadability.judge, partial(check_artifact, config=config)],
        code_rules=partial(check_source, config=config),
        jobs=args.jobs,
        timeout=args.timeout,
    )
    render = renderer(args.format)
    # A report written to a file never carries terminal colour codes.
    text = render(report, color=False) if args.output and args.format == "table" else render(report)
    if args.output:
        _write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    for line in _error_lines(report):
        print(f"migrator: {line}", file=sys.stderr)
    if report.has_errors:
        return EXIT_ERRORS
    findings = [f for a in report.artifacts for f in a.findings]
    findings += [f for s in report.sources for f in s.findings]
    return EXIT_FINDINGS if any(config.fails(f.severity) for f in findings) else EXIT_OK


def _config(args: argparse.Namespace) -> Config:
    """[tool.migrator] of the nearest pyproject.toml, overridden by the command line."""
    from migrator.rules.config import load_config

    def split(text: str | None) -> list[str] | None:
        return None if text is None else [t for t in text.replace(" ", ",").split(",") if t]

    return load_config(args.paths).overridden(
        select=split(args.select), ignore=split(args.ignore), fail_on=args.fail_on
    )


def _error_lines(report) -> list[str]:
    lines = [f"{a.path}: {e}" for a in report.artifacts for e in a.errors]
    lines += [f"{s.path}: {e}" for s in report.sources for e in s.errors]
    return lines + list(report.errors)


def _rules(args: argparse.Namespace) -> int:
    from migrator.rules import all_rules, get_rule

    if args.rule:
        try:
            rule = get_rule(args.rule)
        except KeyError as exc:
            print(f"migrator: {exc.args[0]}", file=sys.stderr)
            return EXIT_ERRORS
        if args.json:
            sys.stdout.write(json.dumps(rule.to_json(), indent=2, ensure_ascii=False) + "\n")
            return EXIT_OK
        lines = [f"{rule.id} {rule.name}: {rule.title}", ""]
        lines.append(f"  family:     {rule.family}")
        lines.append(f"  severity:   {rule.severity}")
        for label, text in (("deprecated", rule.deprecated_in), ("breaks", rule.breaks_in)):
            if text:
                lines.append(f"  {label + ':':<11} {text}")
        if rule.convert:
            lines.append(f"  convert:    migrator convert ({rule.convert})")
        lines += ["", rule.doc, ""]
        sys.stdout.write("\n".join(lines))
        return EXIT_OK
    rules = all_rules()
    if args.json:
        payload = [r.to_json() for r in rules]
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max((len(r.name) for r in rules), default=4)
    out = [f"{'ID':<7} {'NAME':<{width}}  {'FAMILY':<8}  {'SEVERITY':<8}  TITLE"]
    out += [
        f"{r.id:<7} {r.name:<{width}}  {r.family:<8}  {r.severity:<8}  {r.title}" for r in rules
    ]
    counts = {}
    for r in rules:
        counts[r.family] = counts.get(r.family, 0) + 1
    out += ["", f"{len(rules)} rules: " + ", ".join(f"{n} {fam}" for fam, n in counts.items())]
    out.append("`migrator rules ID` prints one rule's documentation.")
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    from migrator import loadability
    from migrator.audit import audit
    from migrator.report.inspect import render
    from migrator.rules import check_artifact
    from migrator.rules.config import load_config

    config = load_config([args.path])
    report = audit([args.path], judges=[loadability.judge, partial(check_artifact, config=config)])
    if args.json:
        payload = report.to_json()
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        if not report.artifacts and not report.errors:
            print(
                f"migrator: {args.path}: no TensorFlow/Keras artifact found here", file=sys.stderr
            )
            return EXIT_ERRORS
        for artifact in report.artifacts:
            sys.stdout.write(render(artifact))
        for line in report.errors:
            print(f"migrator: {line}", file=sys.stderr)
    return EXIT_ERRORS if report.has_errors else EXIT_OK


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


if __name__ == "__main__":
    raise SystemExit(main())
