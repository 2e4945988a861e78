"""The few exception types migrator raises; every message names the file, the problem and what to do."""

from __future__ import annotations

from pathlib import Path


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
