"""Load a conversion's source in its era's runtime while the conversion step runs.

Validation runs the source and the output at the same time (`validate.validate`), but only once
the steps are done, so a large model's conversion cost its step, then the longer of the two
loads. The source's first run is known before the step, from the plan and the loadability
verdicts, except for what the step reports (a Theano kernel flip, a Keras 1 config, oneDNN for
channels-first convolutions): it is computed with a provisional step result, its model loaded
in a worker of its runtime and kept there, and validation uses that model only if the run it
makes is exactly this one (same runtime, same load). Otherwise the kept model is dropped and
validation loads the source itself, as without a preload.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.convert import Convertible, Options
from migrator.convert.registry import Step
from migrator.convert.run_order import by_prediction
from migrator.convert.runtime_pool import Pool
from migrator.convert.runtimes import Runtime
from migrator.convert.step_result import StepResult
from migrator.convert.validate import Run
from migrator.convert.validation_runs import source_runs
from migrator.convert.worker_client import Worker
from migrator.errors import ConversionError
from migrator.knowledge.versions import major


@dataclass
class Preload:
    """A source model being loaded (or loaded) ahead, kept in `worker` under `key`."""

    run: Run
    key: str
    worker: Worker
    loaded: Future[Any]

    def serves(self, run: Run) -> bool:
        """True when `run` is the run this preload loaded for."""
        mine = self.run
        return (run.runtime, run.op, dict(run.args), run.onednn) == (
            mine.runtime,
            mine.op,
            dict(mine.args),
            mine.onednn,
        )


def first_run(
    available: Sequence[Runtime],
    latest: Runtime,
    source: Convertible,
    first: Step,
    options: Options,
) -> Run | None:
    """The source run validation will most likely try first, when it loads a Keras model from
    the source's own path (the runs that read a step's product or config are not known yet)."""
    keras_major = major(str(source.producer.get("keras_version") or ""))
    provisional = StepResult(path=str(source.location), source_keras_major=keras_major)
    if first.source == "keras-weights+arch":
        return None  # its runs read the architecture and the step's weights kind
    try:
        planned = source_runs(available, latest, source, first, provisional, options)
    except (ConversionError, KeyError, ValueError, TypeError):
        # a kind whose runs need the step's real result: validation plans them after the step
        return None
    runs = by_prediction(planned, source.artifact)
    if not runs or runs[0].op != "run_keras" or runs[0].args.get("loader") != "keras":
        return None
    return runs[0]


def start(
    stack: ExitStack, pool: Pool, run: Run, work: Path, options: Options, subject: str
) -> Preload:
    """Lease a worker of `run`'s runtime for the rest of `stack` and load the model in it now.
    When `stack` closes, whatever is still kept is dropped."""
    worker = stack.enter_context(pool.lease(run.runtime, onednn=run.onednn))
    executor = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="migrator-preload"))
    key = str(work / "preload")
    loaded = executor.submit(
        worker.call,
        "preload_keras",
        {**run.args, "key": key},
        timeout=options.timeout,
        subject=subject,
    )
    stack.callback(_drop, worker, key, loaded, subject)
    return Preload(run, key, worker, loaded)


def _drop(worker: Worker, key: str, loaded: Future[Any], subject: str) -> None:
    """After the conversion: end the hold of a model no run took (a no-op when one did)."""
    if loaded.exception() is not None or not worker.alive:
        return
    try:
        worker.call("release", {"out": key}, timeout=60, subject=subject)
    except ConversionError:
        pass
