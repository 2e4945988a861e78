"""Prove a conversion: run the source and the output on the same fixed inputs and compare.

The inputs come from `validation_inputs` (derived from the converted model's signature and a
seed, or the user's `--inputs`). The source runs in the first runtime of `source_runs` that can
load it (a tf.keras 2.15 worker for a Keras 2 file, tf-keras in the latest env, a tf.compat.v1
Session for TF1 graphs), the output in the latest runtime, each in a worker leased from the
batch's pool for the whole validation (`runtime_pool`), the two at the same time. Outputs are
compared by max absolute difference (float tolerance `--tolerance`, default 1e-5; integers,
booleans and strings exactly). Weights are compared tensor by tensor by digest: each worker
hashes its side's tensors (the source's after the weight transforms the conversion declared, so
a rescaled kernel is compared with the rescaled source kernel) and holds them; only tensors
whose digests differ are fetched to measure the difference (`run_results`, `compare`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from migrator.convert import Options
from migrator.convert.compare import compare_outputs, compare_weights, stable_output_names, tensors
from migrator.convert.runtime_pool import Pool
from migrator.convert.runtimes import Runtime
from migrator.convert.validation_inputs import load_user_inputs, make_inputs, save_inputs
from migrator.convert.worker_client import Worker
from migrator.errors import ConversionError, RuntimeUnavailable, ValidationFailed

if TYPE_CHECKING:
    from migrator.convert.preload import Preload

Transforms = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class Run:
    """One way to run a model: which runtime, which runner operation, with what arguments."""

    runtime: Runtime
    op: str
    args: Mapping[str, Any]
    label: str
    onednn: bool = False  # run with oneDNN kernels (needed by channels-first convolutions)


@dataclass
class Check:
    """The validation record stored in metadata.json and the report."""

    passed: bool = False
    tolerance: float = 1e-5
    source_run: str = ""
    output_run: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    weights: dict[str, Any] = field(default_factory=dict)
    source_attempts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def max_abs_diff(self) -> float | None:
        diffs = [o["max_abs_diff"] for o in self.outputs if o.get("max_abs_diff") is not None]
        return max(diffs) if diffs else None

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "tolerance": self.tolerance,
            "max_abs_diff": self.max_abs_diff,
            "source_run": self.source_run,
            "output_run": self.output_run,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "weights": self.weights,
            "source_attempts": self.source_attempts,
            "problems": self.problems,
        }


@dataclass
class Side:
    """One side's finished run: the worker holding its weights, its report and its outputs."""

    worker: Worker
    tag: str
    info: dict[str, Any]
    outputs: list[np.ndarray]

    def held(self, names: Sequence[str], timeout: float, subject: str) -> list[np.ndarray]:
        """The held weights `names` (fetched only for tensors whose digests differ)."""
        dest = Path(self.tag + ".differing.npz")
        self.worker.call(
            "held_weights",
            {"out": self.tag, "names": list(names), "dest": str(dest)},
            timeout=timeout,
            subject=subject,
        )
        with np.load(dest, allow_pickle=False) as data:
            arrays = [data[f"w_{i}"] for i in range(len(names))]
        dest.unlink(missing_ok=True)
        return arrays

    def release(self) -> None:
        """Let the worker drop the weights it holds (nothing to do if it was replaced)."""
        if self.worker.alive:
            try:
                self.worker.call("release", {"out": self.tag}, timeout=60, subject=self.tag)
            except ConversionError:
                pass


def run_model(
    worker: Worker,
    run: Run,
    *,
    work: Path,
    tag: str,
    inputs: Path,
    timeout: float,
    subject: str,
    transforms: Transforms | None = None,
) -> Side:
    """Run `run` in `worker` on the saved inputs: its report and outputs; weights stay held."""
    out = str(work / tag)
    args = {**run.args, "inputs": str(inputs), "out": out}
    if transforms and run.op == "run_keras":
        args["transforms"] = {k: list(v) for k, v in transforms.items()}
    info = worker.call(run.op, args, timeout=timeout, subject=subject)
    outputs_file = Path(out + ".outputs.npz")
    with np.load(outputs_file, allow_pickle=False) as data:
        outputs = [data[f"out_{i}"] for i in range(len(data.files))]
    outputs_file.unlink(missing_ok=True)
    return Side(worker, out, info, outputs)


def _attempts(
    options: Options,
    signature: Sequence[Mapping[str, Any]],
    int_high: int | None,
    derived_inputs: str | None,
    subject: str,
    check: Check,
) -> list[tuple[str, list[np.ndarray]]]:
    """The input sets to try, in order, and how they were made (recorded in `check`)."""
    if options.inputs is not None:
        check.inputs = {"source": str(options.inputs)}
        return [("user", load_user_inputs(options.inputs, signature))]
    if derived_inputs is not None:
        # tf.Example protos from the graph's parse ops, a hub text module's vocabulary sentences
        check.inputs = {"derived_from": "the model itself by its conversion step (see its notes)"}
        return [("user", load_user_inputs(Path(derived_inputs), signature))]
    modes = ["batch", "scalar"] if any(s.get("shape") is None for s in signature) else ["batch"]
    check.inputs = {
        "derived_from": "input signature",
        "seed": options.seed,
        "batch": options.batch,
        "int_high": int_high,
    }
    return [
        (
            mode,
            make_inputs(
                signature,
                seed=options.seed,
                batch=options.batch,
                int_high=int_high,
                subject=subject,
                unknown_rank=mode,
            ),
        )
        for mode in modes
    ]


def validate(
    *,
    subject: str,
    pool: Pool,
    work: Path,
    options: Options,
    signature: Sequence[Mapping[str, Any]],
    output_run: Run,
    source_runs: Sequence[Run],
    transforms: Transforms | None = None,
    int_high: int | None = None,
    allow_missing_weights: bool = False,
    derived_inputs: str | None = None,
    preload: Preload | None = None,
    loads_in: Callable[[], str] = str,
) -> Check:
    """Run both sides and compare; raise `ValidationFailed` (with the record) when they differ.

    `preload`: the source model a worker loaded during the conversion step (`preload`), used
    when the first source run is the one it was loaded for. `loads_in`: says where the
    loadability verdicts say the source's model loader loads it ("tf.keras 2.13"); called only
    when no installed runtime can run the source, the one case that message is for."""
    check = Check(tolerance=options.tolerance)
    work.mkdir(parents=True, exist_ok=True)
    attempts = _attempts(options, signature, int_high, derived_inputs, subject, check)
    if not source_runs:
        raise RuntimeUnavailable(
            subject,
            "no installed runtime can load the source to compare against",
            unrunnable_remedy(loads_in()),
        )
    inputs = work / "inputs.npz"
    # Leases last until the comparison is done: each worker holds its side's weights.
    with ExitStack() as stack:
        sides: list[Side] = []
        # The source and the output run in different workers: with the inputs fixed (one
        # attempt), the first source run goes at the same time as the output run, which takes
        # a large model's validation from the sum of the two loads to the longer one.
        early: Future[Side] | None = None
        try:
            if len(attempts) == 1:
                save_inputs(inputs, attempts[0][1])
                first = source_runs[0]
                loaded: Future[Any] | None = None
                if preload is not None and preload.serves(first):
                    worker, loaded = preload.worker, preload.loaded
                    first = replace(first, args={**first.args, "preloaded": preload.key})
                else:
                    worker = stack.enter_context(pool.lease(first.runtime, onednn=first.onednn))
                executor = stack.enter_context(
                    ThreadPoolExecutor(1, thread_name_prefix="migrator-source-run")
                )
                early = executor.submit(
                    _after,
                    loaded,
                    worker,
                    first,
                    work=work,
                    tag="source",
                    inputs=inputs,
                    timeout=options.timeout,
                    subject=subject,
                    transforms=transforms,
                )
            out_worker = stack.enter_context(
                pool.lease(output_run.runtime, onednn=output_run.onednn)
            )
            output = _run_output(
                check, out_worker, attempts, inputs, early, output_run, options, subject, work
            )
            sides.append(output)
            source = _run_source(
                check, pool, stack, inputs, early, source_runs, options, subject, work, transforms
            )  # fmt: skip
            if source is None:
                raise ValidationFailed(
                    subject,
                    "the source could not be run in any installed runtime, so the conversion "
                    "cannot be proven: " + " | ".join(check.source_attempts),
                    unrunnable_remedy(loads_in()),
                )
            sides.append(source)
            _compare(check, source, output, options, subject, allow_missing_weights)
        finally:
            if early is not None and early.exception() is None:
                if not any(side is early.result() for side in sides):
                    sides.append(early.result())  # the output failed: still to release
            for side in sides:  # before the leases end: the workers are still this thread's
                side.release()
    return check


def _after(loaded: Future[Any] | None, worker: Worker, run: Run, **kwargs: Any) -> Side:
    """`run_model`, once the preload it uses is done; a failed preload is this run's failure
    (the same load, in the same runtime)."""
    if loaded is not None:
        loaded.result()
    return run_model(worker, run, **kwargs)


def _run_output(
    check: Check,
    worker: Worker,
    attempts: Sequence[tuple[str, list[np.ndarray]]],
    inputs: Path,
    early: Future[Side] | None,
    output_run: Run,
    options: Options,
    subject: str,
    work: Path,
) -> Side:
    """Run the converted model, trying each input set in turn (unknown-rank inputs as
    batches, then as scalars)."""
    for index, (mode, arrays) in enumerate(attempts):
        if early is None:
            save_inputs(inputs, arrays)
        try:
            side = run_model(
                worker,
                output_run,
                work=work,
                tag="output",
                inputs=inputs,
                timeout=options.timeout,
                subject=subject,
            )
        except ConversionError as exc:
            if index + 1 < len(attempts):
                continue  # unknown-rank inputs as scalars next
            raise ValidationFailed(
                subject,
                f"the converted model does not run on the test inputs ({exc.problem})",
                "pass --inputs file.npz with inputs the model accepts"
                if options.inputs is None
                else "check that the --inputs arrays fit the model",
            ) from exc
        if mode != "user":
            check.inputs["unknown_rank_inputs"] = mode if len(attempts) > 1 else None
        check.inputs["arrays"] = [{"shape": list(a.shape), "dtype": str(a.dtype)} for a in arrays]
        check.output_run = f"{output_run.label} in {output_run.runtime.describe()}"
        check.inputs["onednn"] = output_run.onednn
        return side
    raise AssertionError("no input attempts")  # _attempts always yields at least one


def _run_source(
    check: Check,
    pool: Pool,
    stack: ExitStack,
    inputs: Path,
    early: Future[Side] | None,
    source_runs: Sequence[Run],
    options: Options,
    subject: str,
    work: Path,
    transforms: Transforms | None,
) -> Side | None:
    """Run the source in the first way that loads it (the early run, if one was started);
    None when none does (each attempt is in `check.source_attempts`)."""
    for number, run in enumerate(source_runs):
        try:
            if number == 0 and early is not None:
                side = early.result()
            else:
                worker = stack.enter_context(pool.lease(run.runtime, onednn=run.onednn))
                side = run_model(
                    worker,
                    run,
                    work=work,
                    tag=f"source{number}",
                    inputs=inputs,
                    timeout=options.timeout,
                    subject=subject,
                    transforms=transforms,
                )
            check.source_run = f"{run.label} in {run.runtime.describe()}"
            return side
        except ConversionError as exc:
            check.source_attempts.append(f"{run.label} in {run.runtime.name}: {exc.problem}")
    return None


def unrunnable_remedy(loads_in: str) -> str:
    """What to do when no installed runtime runs the source: where it loads, when known."""
    if not loads_in:
        return (
            "install a runtime of the source's TensorFlow line (`migrator runtimes list`), "
            "or pass the model's custom objects"
        )
    return (
        f"the loadability verdicts say it loads with {loads_in}: install such a runtime "
        "(`migrator runtimes list` shows those migrator runs), or load it there, save it as "
        "HDF5 (`model.save('model.h5')`) and convert that file; a model with custom classes "
        "needs --custom-objects"
    )


def _compare(
    check: Check,
    source: Side,
    output: Side,
    options: Options,
    subject: str,
    allow_missing_weights: bool,
) -> None:
    """Compare outputs and weights; decide, raising `ValidationFailed` with the record."""
    names = stable_output_names(list(output.info.get("outputs") or []))
    check.outputs, problems = compare_outputs(
        source.outputs, output.outputs, options.tolerance, names
    )

    def fetch(
        src_names: Sequence[str], out_names: Sequence[str]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return (
            source.held(src_names, options.timeout, subject),
            output.held(out_names, options.timeout, subject),
        )

    check.weights, weight_problems = compare_weights(
        tensors(source.info),
        tensors(output.info),
        fetch,
        tolerance=options.tolerance,
        allow_missing=allow_missing_weights,
    )
    check.problems = problems + weight_problems
    check.passed = not check.problems
    if not check.passed:
        error = ValidationFailed(
            subject,
            "validation failed: " + "; ".join(check.problems[:4]),
            "nothing was published; report the file if the source loads correctly elsewhere",
        )
        error.check = check  # type: ignore[attr-defined]
        raise error
