"""Run a batch of conversions: N at once, resumable through the ledger, same output for any N.

Each of the `jobs` threads converts with its own converter from the backend's factory; local
converters share one pool of runtime workers (`runtime_pool`, `converter.converter_factory`):
each runtime's fork server starts once per batch (importing TensorFlow, ~3-10 s, is paid once
per runtime, not once per thread or per model), workers are forked from it and reused across
artifacts, and each conversion still runs in workers under its timeout, so a worker that dies or
hangs is replaced and costs one artifact. `convert_one` is the conversion of one artifact with
the ledger, for callers that schedule artifacts themselves.

The output does not depend on N: sources that publish into the same model folder (and so compete
for its version numbers) form one group, converted in sorted path order by one thread; groups
touch disjoint folders, so which thread takes which group cannot change any version number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.convert import Convertible, Options
from migrator.convert import publish as pub
from migrator.convert.converter import (
    Converter,
    ConverterFactory,
    Outcome,
    converter_factory,
    model_dir,
    source_path,
)
from migrator.convert.ledger import Entry, Ledger
from migrator.errors import TaskLost

if TYPE_CHECKING:
    from migrator.storage.staging import Stager

Progress = Callable[[str, int, int], None]

RETRY_HINT = "pass --retry-failed to try again"


class Batch:
    """The conversions of one `migrator convert` run into one output folder."""

    def __init__(
        self,
        out_root: Path,
        options: Options,
        ledger: Ledger,
        *,
        single: bool,
        converter: Converter | None = None,
        make_converter: Callable[[], Converter] | None = None,
        stager: Stager | None = None,
        wrap_converter: Callable[[Converter], Converter] | None = None,
    ) -> None:
        self.out_root = out_root
        # Sources in a store: keyed by the store's record, fetched right before each conversion
        # and deleted right after (storage/staging.py); None for sources on disk.
        self.stager = stager
        self._wrap = wrap_converter  # around each converter made (publishing to a store)
        self.options = options
        self.ledger = ledger
        self.single = single
        self._given = converter
        # What each thread converts with (the backend's: a local Converter, or a cluster's);
        # local converters share one pool of runtime workers.
        self._make = make_converter or converter_factory(self.out_root, self.options)
        self._converters: dict[int, Converter] = {}
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0
        self._progress: Progress | None = None
        self._stopping = threading.Event()

    def run(
        self,
        sources: Sequence[Convertible],
        *,
        jobs: int = 1,
        retry_failed: bool = False,
        progress: Progress | None = None,
    ) -> list[Outcome]:
        groups: dict[str, list[Convertible]] = {}
        for source in sorted(sources, key=lambda s: s.rel):
            groups.setdefault(model_dir(source, self.single), []).append(source)
        ordered = [groups[k] for k in sorted(groups, key=lambda k: groups[k][0].rel)]
        self._total, self._done, self._progress = len(sources), 0, progress
        if progress:
            progress("", 0, self._total)
        if isinstance(self._make, ConverterFactory) and self._given is None:
            self._make.start_runtimes(sources, jobs=max(1, min(jobs, len(ordered))))
        outcomes: list[Outcome] = []
        try:
            if jobs <= 1 or len(ordered) <= 1:
                for group in ordered:
                    outcomes.extend(self._group(group, retry_failed))
            else:
                with ThreadPoolExecutor(max_workers=min(jobs, len(ordered))) as executor:
                    futures = [executor.submit(self._group, g, retry_failed) for g in ordered]
                    try:
                        for future in futures:
                            outcomes.extend(future.result())
                    except BaseException:
                        # Interrupted: what is in flight stays `running` in the ledger and is
                        # redone by the next run; stop the workers so the threads end now.
                        self._stopping.set()
                        for future in futures:
                            future.cancel()
                        self._close()
                        raise
        finally:
            self._close()
        return outcomes

    def _converter(self) -> Converter:
        with self._lock:
            ident = threading.get_ident()
            if ident not in self._converters:
                if self._given is not None and not self._converters:
                    self._converters[ident] = self._given
                else:
                    made = self._make()
                    self._converters[ident] = self._wrap(made) if self._wrap else made
            return self._converters[ident]

    def _close(self) -> None:
        with self._lock:
            converters, self._converters = list(self._converters.values()), {}
        for converter in converters:
            if converter is not self._given:
                converter.close()
        if isinstance(self._make, ConverterFactory) and self._given is None:
            self._make.close()  # what start_runtimes started, even with no converter made

    def _group(self, group: Sequence[Convertible], retry_failed: bool) -> list[Outcome]:
        out = []
        for source in group:
            if self._stopping.is_set():
                break
            outcome = self.convert_one(source, retry_failed=retry_failed)
            with self._lock:
                self._done += 1
                done = self._done
            if self._progress:
                self._progress(f"{source.rel}: {outcome.status}", done, self._total)
            out.append(outcome)
        return out

    def convert_one(self, source: Convertible, *, retry_failed: bool = False) -> Outcome:
        """Convert one artifact through the ledger with this thread's converter: done work is
        reported, not redone (failures again only with `retry_failed`); never raises for the
        artifact's own problems."""
        kind = source.kind if source.kinds else None
        try:
            sha = (self.stager and self.stager.key(source)) or pub.sha256_tree(source.location)
        except OSError as exc:
            return Outcome(
                source.rel,
                source.format,
                "failed",
                kind,
                reason=f"cannot read the source ({exc.strerror or exc}); check it",
            )
        # A tree's sources are known by their path in the tree; a single artifact (rel ".") by
        # its absolute path, so two files with the same bytes converted one by one into the same
        # OUT are two conversions.
        ident = source.rel if source.rel != "." else source_path(source)
        entry = self.ledger.get(ident, sha)
        if entry is not None and entry.status != "running":
            if entry.status != "failed" or not retry_failed:
                return _previous(entry)
        self.ledger.start(ident, sha)
        try:
            converter = self._converter()
            if getattr(converter, "stages_itself", False):  # a cluster node fetches it itself
                outcome = converter.convert(  # type: ignore[call-arg]
                    source, single=self.single, sha256=sha, stager=self.stager
                )
            else:
                with self.stager.fetch(source) if self.stager else nullcontext(None) as fetched:
                    outcome = converter.convert(source, single=self.single, sha256=fetched or sha)
        except TaskLost as exc:  # its cluster worker died, or its store did not give its
            # bytes: left `running`, redone next run
            return Outcome(source.rel, source.format, "failed", kind, reason=exc.short)
        except Exception as exc:  # a bug must not stop a ten-thousand-model batch
            outcome = Outcome(
                source.rel,
                source.format,
                "failed",
                kind,
                reason=f"internal error ({type(exc).__name__}: {exc}); this is a migrator bug: "
                "please report it with this line and `migrator inspect --json` of the file",
            )
        if self._stopping.is_set():
            return outcome  # stopped half-way by an interrupt: left `running`, redone next run
        self.ledger.finish(ident, sha, outcome.status, outcome.to_record())
        return outcome


def _previous(entry: Entry) -> Outcome:
    """An earlier run's outcome, said to be one (done work is reported, never redone)."""
    outcome = Outcome.from_record(entry.outcome)
    if outcome.status == "converted":
        where = ", ".join(str(o.get("path")) for o in outcome.outputs)
        outcome.status = "skipped"
        outcome.reason = f"already converted in an earlier run: {where}"
    elif outcome.status == "failed":
        outcome.reason = f"failed in an earlier run: {outcome.reason}; {RETRY_HINT}"
    return outcome
