"""Command line: `migrator audit|inspect|rules ...`. The only module that prints.

Exit codes (README "Exit codes"): 0 clean; 1 an artifact carries content that runs when it is
loaded or called (a critical security finding), or a finding at or above `--fail-on`; 2 errors
(unreadable artifacts or paths, bad options, an output that cannot be written, an internal error);
130 and 143 interrupted by SIGINT / SIGTERM. Whatever happens, a user sees one line per problem,
never a traceback (`MIGRATOR_DEBUG=1` shows it), and output of any string is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from migrator import __version__
from migrator.errors import Interrupted, MigratorError
from migrator.storage import is_remote, location_arg

if TYPE_CHECKING:
    from migrator.rules.config import Config

EXIT_OK, EXIT_FINDINGS, EXIT_ERRORS = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 130, 143  # 128 + the signal number, as shells report them


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="migrator",
        description="Audit TensorFlow/Keras model artifacts and migrate them to current formats.",
    )
    p.add_argument("--version", action="version", version=f"migrator {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("audit", help="walk folders, identify every artifact, print a report")
    a.add_argument(
        "paths",
        nargs="+",
        type=location_arg,
        help="folders or files to audit, fsspec URLs (s3://bucket/models/, gs://..., az://...), "
        "or MLflow URIs (models:/NAME[/VERSION], runs:/RUN_ID/path; needs migrator[mlflow])",
    )
    a.add_argument(
        "--format",
        help="report format: table, json, sarif, markdown, html, cyclonedx, concise, github "
        "(default: from the "
        "extension of -o (.json, .sarif, .md, .html, .cdx.json), else table)",
    )
    a.add_argument(
        "-o", "--output", type=location_arg, help="write the report to this file (or fsspec URL)"
    )
    a.add_argument(
        "--statistics",
        action="store_true",
        help="print how many findings each rule has instead of the report ([*]: migrator fix "
        "has fixes for it)",
    )
    a.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings would fail the run (errors still exit 2)",
    )
    a.add_argument(
        "--hashes",
        action="store_true",
        help="cyclonedx: sha256 of every file of every artifact (reads all bytes, weights "
        "included; default: only files up to 16 MiB)",
    )
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
        "--jobs",
        type=_count,
        metavar="N",
        help="reader processes (default: one per core, up to 4; 0 reads in this process, "
        "without the deadline)",
    )
    a.add_argument(
        "--timeout",
        type=_seconds,
        default=120.0,
        metavar="S",
        help="seconds one artifact may take before it is reported as damaged (default: 120)",
    )
    a.add_argument(
        "--memory-limit", type=int, metavar="MB", help="memory per reader process (0: no limit)"
    )
    a.add_argument("--exclude", action="append", metavar="GLOB", help="leave out matching paths")
    a.add_argument(
        "--include", action="append", metavar="GLOB", help="audit these even if left out"
    )
    a.add_argument(
        "--target",
        action="append",
        metavar="RUNTIME",
        help='judge loadability in this runtime only, e.g. "tf==2.18 keras==3.8" (repeatable; '
        "default: target in [tool.migrator]); exit 1 when an artifact does not load in one",
    )
    from migrator.backends.settings import add_arguments as add_backend_arguments

    add_backend_arguments(a)

    r = sub.add_parser("rules", help="list the rules, or print one rule's documentation")
    r.add_argument("rule", nargs="?", help="a rule id (MIG201) or name (keras-save-savedmodel-dir)")
    r.add_argument("--json", action="store_true", help="print JSON")

    i = sub.add_parser("inspect", help="everything known about one artifact")
    i.add_argument("path", type=location_arg, help="an artifact: a path or an fsspec URL")
    i.add_argument("--json", action="store_true", help="print the artifact's JSON record(s)")

    from migrator.convert.command import add_parser
    from migrator.fix.command import add_parser as add_fix_parser

    add_parser(sub)
    add_backend_arguments(sub.choices["convert"])
    add_fix_parser(sub)
    from migrator.convert.plan_command import add_arguments as add_plan_arguments
    from migrator.convert.runtimes_command import add_parser as add_runtimes_parser

    add_plan_arguments(sub.choices["convert"])
    add_runtimes_parser(sub)
    return p


def _count(text: str) -> int:
    """argparse type of `--jobs`: a whole number >= 0 (argparse turns the error into exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give 0 (in process) or more")
    return value


def _seconds(text: str) -> float:
    """argparse type of `--timeout`: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except Interrupted as exc:  # SIGTERM/SIGINT during an audit: 143/130, no report written
        _say(f"{exc}")
        return exc.exit_code
    except MigratorError as exc:
        _say(f"{exc}")
        return EXIT_ERRORS
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_SIGINT
    except BrokenPipeError:
        # The reader of stdout went away (`migrator inspect ... | head`): what was printed is
        # all it wanted. Point stdout at /dev/null so the interpreter's final flush is silent.
        _silence_stdout()
        _say("output closed before the end (broken pipe); the printed report is incomplete")
        return EXIT_ERRORS
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _say(f"{where}{exc.strerror or exc}; check the path and its permissions")
        return EXIT_ERRORS
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("MIGRATOR_DEBUG"):
            raise
        _say(
            f"internal error: {type(exc).__name__}: {exc}; please report it with the command "
            "line (MIGRATOR_DEBUG=1 shows the traceback)"
        )
        return EXIT_ERRORS


def _run(args: argparse.Namespace) -> int:
    if args.command == "audit":
        return _audit(args)
    if args.command == "inspect":
        return _inspect(args)
    if args.command == "rules":
        return _rules(args)
    if args.command == "convert":
        return _convert(args)
    if args.command == "runtimes":
        from migrator.convert.runtimes_command import run as run_runtimes

        return run_runtimes(args, _out, _say)
    if args.command == "fix":
        from migrator.fix.command import run as run_fix

        return run_fix(args, sys.stdout, sys.stderr)
    return EXIT_ERRORS


def _say(line: str) -> None:
    """One `migrator: ...` line on stderr, whatever characters it holds."""
    try:
        sys.stderr.write(_encodable(f"migrator: {line}\n", sys.stderr))
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed too: nothing left to tell
        pass


def _encodable(text: str, stream: object) -> str:
    """`text` with what `stream`'s encoding cannot hold (lone surrogates from a `\\ud800` escape
    or a file name that is not UTF-8) as backslash escapes, so writing it never raises."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        try:
            return text.encode(encoding, "backslashreplace").decode(encoding)
        except LookupError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _out(text: str) -> None:
    """Write to stdout; the only way report text reaches it."""
    sys.stdout.write(_encodable(text, sys.stdout))
    sys.stdout.flush()


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _convert(args: argparse.Namespace) -> int:
    from migrator.convert.command import options_from_args, render_status
    from migrator.convert.summary import render_table
    from migrator.convert.tree import convert_path

    if args.status is not None:
        from migrator.storage.convert import ledger_folder

        _out(render_status(ledger_folder(args.status), as_json=args.json))
        return EXIT_OK
    options = options_from_args(args)
    from migrator.convert.plan_command import before_convert

    planned = before_convert(args, options, _out, _say, _write_atomic, color=sys.stdout.isatty())
    if planned is not None:
        return planned
    if args.unsafe:
        _say(
            "warning: --unsafe lets Lambda layers run Python code stored in the "
            "artifacts; use it only on files you trust"
        )
    from migrator.backends.settings import from_args

    with from_args(args) as backend, _ProgressBar() as progress:
        convert = convert_path
        if is_remote(args.src) or is_remote(args.out):  # staged in, published out (storage/)
            from migrator.storage.convert import convert_with_stores as convert
        report = convert(
            args.src,
            args.out,
            options,
            progress=progress,
            jobs=args.jobs,
            retry_failed=args.retry_failed,
            backend=backend,
        )
    if args.report:
        _write_atomic(args.report, json.dumps(report.to_json(), indent=2) + "\n")
    if args.json:
        _out(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        _out(render_table(report, color=sys.stdout.isatty()))
    return EXIT_ERRORS if report.failed else EXIT_OK


class _ProgressBar:
    """A rich progress bar with counts and ETA on a terminal; plain lines in logs (CI)."""

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not sys.stderr.isatty():
            self._progress = None
            from migrator.convert.summary import plain_progress

            return plain_progress(_say)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("converting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
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
    if args.output is not None and is_remote(args.output):
        return _audit_to_store(args)
    from dataclasses import replace

    from migrator import loadability
    from migrator.audit import audit
    from migrator.cli_audit import AuditProgress, exit_code, format_for, readable_paths
    from migrator.report import RENDERERS, renderer
    from migrator.rules import check_artifact, check_source

    fmt = "statistics" if args.statistics else args.format or format_for(args.output)
    if fmt not in RENDERERS:
        _say(f"unknown --format {fmt!r}; choose one of {', '.join(RENDERERS)}")
        return EXIT_ERRORS
    if args.output is not None and args.output.is_dir():
        _say(
            f"{args.output}: -o names a folder; give a file name such as {args.output}/report.json"
        )
        return EXIT_ERRORS
    from migrator.mlflow_registry import resolve_uris

    # models:/NAME[/VERSION] and runs:/RUN_ID/path: downloaded to a temporary folder named as
    # the URIs (removed at exit), one error line per URI that cannot be resolved.
    args.paths, registry_bad = resolve_uris(args.paths)
    paths, bad = readable_paths(args.paths)
    bad = [*registry_bad, *bad]
    if not paths:
        for line in bad:
            _say(line)
        return EXIT_ERRORS
    config = _config(args)
    from migrator.backends.settings import from_args

    backend = from_args(args)
    with backend, AuditProgress() as progress:
        targets = loadability.parse_targets(config.target)
        judges = [
            partial(loadability.judge, targets=targets),
            partial(check_artifact, config=config),
        ]
        if not backend.forks:
            backend.observer = progress.finished
        options = dict(
            # The progress count lives in memory the forked readers share; a cluster's backend
            # tells this process instead (Backend.observer).
            judges=progress.judges(judges) if backend.forks else judges,
            backend=backend,
            code_rules=progress.code_rules(partial(check_source, config=config)),
            jobs=args.jobs,
            timeout=args.timeout,
            memory_limit=args.memory_limit,
            exclude=(*config.exclude, *(args.exclude or ())),
            include=(*config.include, *(args.include or ())),
        )
        if fmt == "json":  # streamed: memory flat in the number of artifacts (issue 12)
            from migrator.cli_audit import stream_json

            tally, spool = stream_json(paths, options, config=config, bad=bad, output=args.output)
        else:
            report = audit(paths, **options)
    if fmt == "json":
        if spool is not None:
            with spool:
                while chunk := spool.read(1 << 20):
                    _out(chunk)
        for line in tally.lines():
            _say(line)
        return tally.exit_code(exit_zero=args.exit_zero)
    if bad:
        report = replace(report, errors=(*bad, *report.errors))
    render = renderer(fmt)
    options: dict[str, object] = {}
    if fmt == "table" and args.output:
        options["color"] = False  # a report written to a file never carries terminal colours
    if fmt == "cyclonedx" and args.hashes:
        options["all_hashes"] = True
    text = render(report, **options)
    if args.output:
        _write_atomic(args.output, text)
    else:
        _out(text)
    # The table on a terminal already lists every error: print them once, not twice.
    shown = fmt == "table" and not args.output and sys.stdout.isatty() and sys.stderr.isatty()
    if not shown:
        for line in _error_lines(report):
            _say(line)
    return exit_code(report, config, exit_zero=args.exit_zero)


def _audit_to_store(args: argparse.Namespace) -> int:
    """`-o s3://...`: the report is written to a local file as usual, then put into the store in
    one write (an object appears whole or not at all)."""
    import shutil
    import tempfile

    target = args.output
    folder = Path(tempfile.mkdtemp(prefix="migrator-report-"))
    try:
        args.output = folder / target.name
        code = _audit(args)
        if args.output.is_file():
            target.fs.put_file(str(args.output), target.path)
        return code
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _config(args: argparse.Namespace) -> Config:
    """[tool.migrator] of the nearest pyproject.toml, overridden by the command line."""
    from migrator.rules.config import load_config

    def split(text: str | None) -> list[str] | None:
        return None if text is None else [t for t in text.replace(" ", ",").split(",") if t]

    return load_config(args.paths).overridden(
        select=split(args.select),
        ignore=split(args.ignore),
        fail_on=args.fail_on,
        target=getattr(args, "target", None),
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
            _say(str(exc.args[0]))
            return EXIT_ERRORS
        if args.json:
            _out(json.dumps(rule.to_json(), indent=2, ensure_ascii=False) + "\n")
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
        _out("\n".join(lines))
        return EXIT_OK
    rules = all_rules()
    if args.json:
        payload = [r.to_json() for r in rules]
        _out(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
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
    _out("\n".join(out) + "\n")
    return EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    from migrator import loadability
    from migrator.audit import audit
    from migrator.cli_audit import readable_paths
    from migrator.report.inspect import render
    from migrator.rules import check_artifact
    from migrator.rules.config import load_config

    paths, bad = readable_paths([args.path])
    if bad:
        _say(bad[0])
        return EXIT_ERRORS
    config = load_config(paths)
    report = audit(paths, judges=[loadability.judge, partial(check_artifact, config=config)])
    if args.json:
        payload = report.to_json()
        _out(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        if not report.artifacts and not report.errors:
            _say(f"{args.path}: no TensorFlow/Keras artifact found here")
            return EXIT_ERRORS
        for artifact in report.artifacts:
            _out(render(artifact))
        for line in report.errors:
            _say(line)
    return EXIT_ERRORS if report.has_errors else EXIT_OK


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a report.

    The file gets the mode a plain `open()` would give it (0666 less the umask), not the 0600
    of the temporary file; text the UTF-8 codec cannot hold is written as backslash escapes.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


if __name__ == "__main__":
    raise SystemExit(main())
