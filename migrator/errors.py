"""The few exception types migrator raises; every message names the file, the problem and what to do."""

from __future__ import annotations

from pathlib import Path


def first_line(exc: BaseException | str, limit: int = 300) -> str:
    """An exception's first line, cut at `limit` characters ("..." marks the cut). Runtimes put
    whole model configs, graphs and tracebacks in their messages; what a user reads is one line,
    and the whole text stays in the worker's log."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[:limit] + "..."


class MigratorError(Exception):
    """Base class: an expected failure with a message fit for a user."""


class ArtifactError(MigratorError):
    """A file or folder could not be read as the format it claims or appears to be.

    The message is one line: ``<path>: <problem>[; <remedy>]``.
    """

    def __init__(
        self, path: Path | str, problem: str, remedy: str = "", *, format: str = "unknown"
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.remedy = remedy
        # The format id the reader recognised before it failed ("keras-v3" for a broken .keras),
        # so the report can say what the artifact is even when it cannot be read.
        self.format = format
        text = f"{self.path}: {problem}"
        if remedy:
            text += f"; {remedy}"
        super().__init__(text)

    @property
    def short(self) -> str:
        """The message without the path, for reports that already show the path."""
        return self.problem + (f"; {self.remedy}" if self.remedy else "")


class UsageError(MigratorError):
    """The command line asked for something impossible (missing path, bad option value)."""


class ConversionError(MigratorError):
    """A conversion that cannot be done; one line: ``<path>: <problem>[; <remedy>]``.

    `status` says how the artifact ends in the conversion report: "failed" here, "skipped" for the
    subclasses that mean nothing needed doing or nothing can be done.
    """

    status = "failed"

    def __init__(self, path: Path | str, problem: str, remedy: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.remedy = remedy
        super().__init__(f"{self.path}: {self.short}")

    @property
    def short(self) -> str:
        """The message without the path, for reports that already show the path."""
        return self.problem + (f"; {self.remedy}" if self.remedy else "")

    def to_json(self) -> dict[str, str]:
        """The error as a worker reply carries it across the process boundary."""
        return {"type": type(self).__name__, "problem": self.problem, "remedy": self.remedy}


class NoConversionPath(ConversionError):
    """No chain of steps leads from what the artifact is to what was asked."""

    status = "skipped"


class AlreadyCurrent(ConversionError):
    """The artifact already is in the requested format; nothing to do."""

    status = "skipped"


class AlreadyPublished(ConversionError):
    """OUT already holds a version converted from the same source bytes at the same path."""

    status = "skipped"


class UnsafeContent(ConversionError):
    """Converting would run code stored in the artifact (Lambda) or needs the user's classes."""


class NeedsUserClasses(UnsafeContent):
    """The model uses classes only the user's code defines: skipped until `--custom-objects`."""

    status = "skipped"


class NoFaithfulMapping(ConversionError):
    """A layer, argument or weight layout has no equivalent that computes the same function."""


class ValidationFailed(ConversionError):
    """The converted artifact does not reproduce the source's outputs or weights."""


class RuntimeUnavailable(ConversionError):
    """No installed TensorFlow/Keras runtime can do what the step or the validation needs."""


class WorkerCrashed(ConversionError):
    """A conversion worker process died or hung while handling a request."""


class TaskLost(ConversionError):
    """The machine running a conversion went away (a cluster worker or node died): not the
    model's fault, so the ledger keeps the conversion unfinished and the next run redoes it."""


class StoreTransferFailed(TaskLost):
    """A source could not be copied out of its object store for conversion: the store's fault
    (access, network), not the model's, so the next run redoes it as a lost task."""


class InstallFailed(MigratorError):
    """A managed runtime (`migrator runtimes install`) could not be installed; nothing was left
    in its place. The message names the runtime, what failed and what to check."""


class Interrupted(BaseException):
    """The run was stopped by a signal (SIGTERM from a CI cancel, SIGINT from Ctrl-C).

    `exit_code` is the shell's convention, 128 + the signal number (143, 130); no report is
    written for an interrupted run. Like KeyboardInterrupt it is not an `Exception`: the signal
    handler raises it wherever the main process happens to be, and the `except Exception` that
    keeps a reader bug from stopping the batch must not swallow the user's request to stop.
    """

    def __init__(self, signal_number: int) -> None:
        import signal

        self.signal_number = int(signal_number)
        self.exit_code = 128 + self.signal_number
        try:
            name = signal.Signals(self.signal_number).name
        except ValueError:
            name = f"signal {self.signal_number}"
        super().__init__(f"interrupted by {name}; no report was written")
