"""The `audit` command's own parts of the command line: which path arguments can be walked, the
report format an `-o` name implies, the exit code a report earns, and the progress line.

Kept apart from cli.py so that module stays a dispatcher; like it, this is command-line layer
(the progress line is the only thing it draws, on stderr, and only on a terminal).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrator.model import Artifact, Finding, Report, SourceFile
    from migrator.rules.config import Config

EXIT_OK, EXIT_FINDINGS, EXIT_ERRORS = 0, 1, 2

# Report formats inferred from the name given to `-o`, longest suffix first.
FORMAT_BY_SUFFIX: tuple[tuple[str, str], ...] = (
    (".cdx.json", "cyclonedx"),
    (".sarif.json", "sarif"),
    (".sarif", "sarif"),
    (".json", "json"),
    (".markdown", "markdown"),
    (".md", "markdown"),
    (".html", "html"),
    (".htm", "html"),
)


def format_for(output: Path | None) -> str:
    """The report format `-o NAME` implies by its extension (table when none matches)."""
    name = output.name.lower() if output is not None else ""
    for suffix, fmt in FORMAT_BY_SUFFIX:
        if name.endswith(suffix):
            return fmt
    return "table"


def readable_paths(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Split the path arguments into those the audit can walk and one error line for each other.

    Missing paths go through (discovery reports them); a path that is not a file or folder
    (FIFO, socket, device: opening one could block forever) or that cannot be opened is an
    error here, so the audit never trips over it.
    """
    import stat

    from migrator.storage import is_remote, unreadable

    good: list[Path] = []
    bad: list[str] = []
    for path in paths:
        if is_remote(path):  # s3://...: the store must answer for it (migrator.storage)
            problem = unreadable(path)
            if problem is None:
                good.append(path)
            else:
                bad.append(problem)
            continue
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            good.append(path)
            continue
        except (OSError, ValueError) as exc:
            bad.append(f"{path}: cannot be read ({_reason(exc)}); check the path and permissions")
            continue
        try:
            if stat.S_ISDIR(mode):
                with os.scandir(path):
                    pass
            elif stat.S_ISREG(mode):
                with open(path, "rb"):
                    pass
            else:
                bad.append(
                    f"{path}: not a regular file or folder (a FIFO, socket or device); "
                    "give a model file or a folder"
                )
                continue
        except OSError as exc:
            bad.append(f"{path}: cannot be read ({_reason(exc)}); check its permissions")
            continue
        good.append(path)
    return good, bad


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)


def exit_code(report: Report, config: Config, *, exit_zero: bool) -> int:
    """2 on errors; else 1 when an artifact carries content that runs on load or does not load
    in a `--target` runtime, or a finding reaches `--fail-on`; `--exit-zero` turns those into 0."""
    from migrator.report.common import fails_audit

    if report.has_errors:
        return EXIT_ERRORS
    if exit_zero:
        return EXIT_OK
    if any(fails_audit(f) for a in report.artifacts for f in a.findings):
        return EXIT_FINDINGS
    findings = [f for a in report.artifacts for f in a.findings]
    findings += [f for s in report.sources for f in s.findings]
    return EXIT_FINDINGS if any(config.fails(f.severity) for f in findings) else EXIT_OK


class ExitTally:
    """What the exit code and the stderr error lines need from a streamed audit, kept as it goes:
    three flags and the error lines (one per error, not one per artifact), never the artifacts."""

    def __init__(self, config: Config, errors: Sequence[str] = ()) -> None:
        from migrator.report.common import fails_audit

        self._executes = fails_audit
        self._config = config
        self.error_lines: list[str] = []
        self.source_lines: list[str] = []
        self.report_errors = list(errors)
        self.executes = False
        self.fails = False

    def seen(self, artifact: Artifact) -> None:
        self.error_lines.extend(f"{artifact.path}: {e}" for e in artifact.errors)
        self._findings(artifact.findings)
        self.executes = self.executes or any(self._executes(f) for f in artifact.findings)

    def sources(self, sources: Sequence[SourceFile]) -> None:
        for s in sources:
            self.source_lines.extend(f"{s.path}: {e}" for e in s.errors)
            self._findings(s.findings)

    def _findings(self, findings: Sequence[Finding]) -> None:
        self.fails = self.fails or any(self._config.fails(f.severity) for f in findings)

    def lines(self) -> list[str]:
        """The error lines in the order `migrator audit` prints them: artifacts, sources, report."""
        return [*self.error_lines, *self.source_lines, *self.report_errors]

    def exit_code(self, *, exit_zero: bool) -> int:
        """As `exit_code()` gives for the whole report."""
        if self.error_lines or self.source_lines or self.report_errors:
            return EXIT_ERRORS
        if exit_zero:
            return EXIT_OK
        return EXIT_FINDINGS if self.executes or self.fails else EXIT_OK


def stream_json(
    paths: Sequence[Path],
    options: dict[str, Any],
    *,
    config: Config,
    bad: Sequence[str],
    output: Path | None,
) -> tuple[ExitTally, IO[str] | None]:
    """`migrator audit --format json`: audit and write the report one artifact at a time.

    The main process holds the summary counters and error lines, not the artifacts. The text
    goes to a temporary file, so an interrupted run leaves no report that looks complete: with
    `output`, one beside it renamed over it at the end; without, an anonymous one returned
    (rewound) for the caller to copy to stdout once the progress line is gone.
    """
    import tempfile

    if output is None:
        spool = tempfile.TemporaryFile("w+", encoding="utf-8", errors="backslashreplace")
        try:
            tally = _write_json(spool, paths, options, config, bad)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return tally, spool
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            tally = _write_json(fh, paths, options, config, bad)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, output)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return tally, None


def _write_json(
    fh: IO[str], paths: Sequence[Path], options: dict[str, Any], config: Config, bad: Sequence[str]
) -> ExitTally:
    from migrator.audit import audit_stream
    from migrator.report.json_report import write_stream

    with audit_stream(paths, **options) as stream:
        errors = (*bad, *stream.errors)
        tally = ExitTally(config, errors)
        write_stream(
            fh.write,
            root=stream.root,
            artifacts=stream.artifacts,
            errors=errors,
            sources=stream.sources,
            skipped=stream.skipped,
            seen=tally.seen,
        )
        tally.sources(stream.sources)  # complete now: archives add the code files inside them
    return tally


class _Count:
    """A judge that judges nothing: it adds one to a counter shared with the parent process.

    Judges run in the forked reader workers, so the count lives in shared memory
    (`multiprocessing.Value`), which the workers inherit."""

    def __init__(self, counter: Any) -> None:
        self.counter = counter

    def __call__(self, artifact: Artifact) -> Artifact:
        with self.counter.get_lock():
            self.counter.value += 1
        return artifact


class AuditProgress:
    """`auditing: N artifact(s) judged, M source file(s)` on stderr, only when stderr is a
    terminal. Transient: the line disappears when the audit ends, so nothing of it reaches logs
    or the report. `judges` and `code_rules` are what to hand `audit()` so the count advances."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._artifacts: Any = None
        self._sources = 0

    def __enter__(self) -> AuditProgress:
        if not sys.stderr.isatty():
            return self
        import multiprocessing

        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._artifacts = multiprocessing.Value("q", 0)
        outer = self

        class Counts(TextColumn):
            def render(self, task: Any) -> Any:
                from rich.text import Text

                return Text(
                    f"auditing: {outer._artifacts.value} artifact(s) judged, "
                    f"{outer._sources} source file(s)"
                )

        self._progress = Progress(
            SpinnerColumn(),
            Counts(""),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._progress.add_task("", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def judges(self, judges: list[Callable[[Artifact], Artifact]]) -> list[Any]:
        return judges if self._artifacts is None else [*judges, _Count(self._artifacts)]

    def finished(self, count: int) -> None:
        """`count` more artifacts judged, told by this process (a cluster's backend, whose
        workers share no memory with it) instead of by the `_Count` judge."""
        if self._artifacts is not None:
            with self._artifacts.get_lock():
                self._artifacts.value += count

    def code_rules(self, code_rules: Callable[[str, Path], Any]) -> Callable[[str, Path], Any]:
        if self._progress is None:
            return code_rules

        def counted(rel: str, location: Path) -> Any:
            self._sources += 1
            return code_rules(rel, location)

        counted.__wrapped__ = code_rules  # type: ignore[attr-defined]  # what readers get (audit.Scope)
        return counted
