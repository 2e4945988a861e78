"""Prove a conversion: run the source and the output on the same fixed inputs and compare.

The inputs are derived from the converted model's input signature and a seed, so the same model
always gets the same numbers: float inputs uniform in [-1, 1); integer inputs (and float inputs
of models that start with an Embedding) integers in [0, the smallest Embedding vocabulary), so
lookups stay in range; unknown dimensions are the batch size for the first axis and 8 (32 for
image-like rank-4/5 tensors) elsewhere. String inputs cannot be derived: pass `--inputs x.npz`.

The source runs in the first runtime of `source_runs` that can load it (a tf.keras 2.15 worker
for a Keras 2 file, tf-keras in the latest env, a tf.compat.v1 Session for TF1 graphs), the output
in the latest runtime, each in its own worker process (`runner.py`). Outputs are compared by max
absolute difference (float tolerance `--tolerance`, default 1e-5; integers, booleans and strings
exactly) and weights tensor by tensor, after applying the weight transforms the conversion
declared (so a rescaled kernel is compared with the rescaled source kernel, not skipped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from migrator.convert import Options
from migrator.convert.compare import compare_outputs, compare_weights, stable_output_names
from migrator.convert.runtimes import Pool, Runtime
from migrator.errors import ConversionError, RuntimeUnavailable, ValidationFailed

DEFAULT_DIM = 8
IMAGE_DIM = 32


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


def _dim(value: Any, axis: int, rank: int, batch: int) -> int:
    if isinstance(value, int) and value >= 0:
        return value
    if axis == 0:
        return batch
    return IMAGE_DIM if rank in (4, 5) and axis < rank - 1 else DEFAULT_DIM


def make_inputs(
    signature: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    batch: int,
    int_high: int | None = None,
    subject: str = "",
    unknown_rank: str = "batch",
) -> list[np.ndarray]:
    """Deterministic arrays for an input signature [{name, shape, dtype}].

    An input of unknown rank gets a batch vector (`unknown_rank="batch"`), or, for graphs whose
    unknown-rank inputs are scalar switches such as `keep_prob`/`is_training`, the neutral
    inference scalar: False or 1 (`unknown_rank="scalar"`).
    """
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in signature:
        shape = spec.get("shape")
        dtype = str(spec.get("dtype") or "float32").lower().replace("dt_", "")
        if shape is None and unknown_rank == "scalar":
            value = False if dtype == "bool" else 1
            arrays.append(
                np.asarray(
                    value,
                    dtype="bool"
                    if dtype == "bool"
                    else (dtype if dtype.startswith(("int", "uint")) else _np_float(dtype)),
                )
            )
            continue
        if shape is None:
            shape = [None]
        dims = tuple(_dim(d, i, len(shape), batch) for i, d in enumerate(shape))
        if dtype in ("string", "str", "object"):
            raise ValidationFailed(
                subject,
                f"input {spec.get('name')!r} takes strings (e.g. serialized tf.Example); "
                "no meaningful test input can be derived",
                "pass --inputs file.npz with real examples for it",
            )
        if dtype == "bool":
            arrays.append(rng.integers(0, 2, size=dims).astype(bool))
        elif dtype.startswith(("int", "uint")):
            arrays.append(rng.integers(0, max(int_high or 2, 1), size=dims).astype(dtype))
        elif int_high:
            arrays.append(rng.integers(0, int_high, size=dims).astype(_np_float(dtype)))
        else:
            arrays.append(rng.uniform(-1.0, 1.0, size=dims).astype(_np_float(dtype)))
    return arrays


def _np_float(dtype: str) -> str:
    return {"half": "float16", "float": "float32", "double": "float64", "bfloat16": "float32"}.get(
        dtype, dtype if dtype.startswith("float") else "float32"
    )


def load_user_inputs(path: Path, signature: Sequence[Mapping[str, Any]]) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        names = [str(s.get("name")) for s in signature]
        if all(n in data.files for n in names):
            return [data[n] for n in names]
        if all(f"in_{i}" in data.files for i in range(len(names))):
            return [data[f"in_{i}"] for i in range(len(names))]
        if len(data.files) == len(names):
            return [data[k] for k in data.files]
    raise ConversionError(
        path,
        f"--inputs must hold one array per model input ({', '.join(names)})",
        "name the arrays like the inputs, or in_0, in_1, ...",
    )


def save_inputs(path: Path, arrays: Sequence[np.ndarray]) -> None:
    np.savez(path, **{f"in_{i}": a for i, a in enumerate(arrays)})


def _load(path: Path, prefix: str) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return [data[f"{prefix}{i}"] for i in range(len(data.files))]


def run_model(
    pool: Pool, run: Run, *, work: Path, tag: str, inputs: Path, timeout: float, subject: str
) -> tuple[dict[str, Any], list[np.ndarray], list[np.ndarray]]:
    """Run `run` on the saved inputs; (info, outputs, weights)."""
    out = str(work / tag)
    args = {**run.args, "inputs": str(inputs), "out": out}
    info = pool.worker(run.runtime, onednn=run.onednn).call(
        run.op, args, timeout=timeout, subject=subject
    )
    return info, _load(Path(out + ".outputs.npz"), "out_"), _load(Path(out + ".weights.npz"), "w_")


def validate(
    *,
    subject: str,
    pool: Pool,
    work: Path,
    options: Options,
    signature: Sequence[Mapping[str, Any]],
    output_run: Run,
    source_runs: Sequence[Run],
    transforms: Mapping[str, Sequence[Mapping[str, Any]]] = {},
    int_high: int | None = None,
    allow_missing_weights: bool = False,
    derived_inputs: str | None = None,
) -> Check:
    """Run both sides and compare; raise `ValidationFailed` (with the record) when they differ."""
    check = Check(tolerance=options.tolerance)
    work.mkdir(parents=True, exist_ok=True)
    if options.inputs is not None:
        attempts = [("user", load_user_inputs(options.inputs, signature))]
        check.inputs = {"source": str(options.inputs)}
    elif derived_inputs is not None:
        attempts = [("user", load_user_inputs(Path(derived_inputs), signature))]
        check.inputs = {"derived_from": "the model's own input parsers (tf.Example)"}
    else:
        modes = ["batch", "scalar"] if any(s.get("shape") is None for s in signature) else ["batch"]
        attempts = [
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
        check.inputs = {
            "derived_from": "input signature",
            "seed": options.seed,
            "batch": options.batch,
            "int_high": int_high,
        }
    inputs = work / "inputs.npz"
    # The source and the output run in different runtimes (processes): with the inputs fixed
    # (one attempt), the first source run goes at the same time as the output run, which takes
    # a large model's validation from the sum of the two loads to the longer one.
    early: Future[tuple[dict[str, Any], list[np.ndarray], list[np.ndarray]]] | None = None
    executor: ThreadPoolExecutor | None = None
    if len(attempts) == 1 and source_runs and _separate_workers(pool, source_runs[0], output_run):
        save_inputs(inputs, attempts[0][1])
        executor = ThreadPoolExecutor(1, thread_name_prefix="migrator-source-run")
        early = executor.submit(
            run_model,
            pool,
            source_runs[0],
            work=work,
            tag="source",
            inputs=inputs,
            timeout=options.timeout,
            subject=subject,
        )
    try:
        return _finish_validation(
            check,
            pool,
            attempts,
            inputs,
            early,
            output_run,
            source_runs,
            options,
            subject,
            work,
            transforms,
            allow_missing_weights,
        )
    finally:
        if executor is not None:
            executor.shutdown(wait=True)


def _separate_workers(pool: Pool, a: Run, b: Run) -> bool:
    return pool.worker(a.runtime, onednn=a.onednn) is not pool.worker(b.runtime, onednn=b.onednn)


def _finish_validation(
    check: Check,
    pool: Pool,
    attempts: Sequence[tuple[str, list[np.ndarray]]],
    inputs: Path,
    early: Future[tuple[dict[str, Any], list[np.ndarray], list[np.ndarray]]] | None,
    output_run: Run,
    source_runs: Sequence[Run],
    options: Options,
    subject: str,
    work: Path,
    transforms: Mapping[str, Sequence[Mapping[str, Any]]],
    allow_missing_weights: bool,
) -> Check:
    """Run the output (then the source, unless already under way), compare, decide."""
    for index, attempt in enumerate(attempts):
        mode, arrays = attempt
        if early is None:
            save_inputs(inputs, arrays)
        try:
            out_info, out_outputs, out_weights = run_model(
                pool,
                output_run,
                work=work,
                tag="output",
                inputs=inputs,
                timeout=options.timeout,
                subject=subject,
            )
            break
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

    if not source_runs:
        raise RuntimeUnavailable(
            subject,
            "no installed runtime can load the source to compare against",
            "install an env of the source's TensorFlow line (e.g. MIGRATOR_RUNTIME_TF215)",
        )
    src_info: dict[str, Any] | None = None
    for number, run in enumerate(source_runs):
        try:
            if number == 0 and early is not None:
                src_info, src_outputs, src_weights = early.result()
            else:
                src_info, src_outputs, src_weights = run_model(
                    pool,
                    run,
                    work=work,
                    tag="source",
                    inputs=inputs,
                    timeout=options.timeout,
                    subject=subject,
                )
            check.source_run = f"{run.label} in {run.runtime.describe()}"
            break
        except ConversionError as exc:
            check.source_attempts.append(f"{run.label} in {run.runtime.name}: {exc.problem}")
    if src_info is None:
        raise ValidationFailed(
            subject,
            "the source could not be run in any installed runtime, so the conversion cannot be "
            "proven: " + " | ".join(check.source_attempts),
            "install the runtime the source needs, or pass the model's custom objects",
        )

    names = stable_output_names(list(out_info.get("outputs") or []))
    check.outputs, problems = compare_outputs(src_outputs, out_outputs, options.tolerance, names)
    check.weights, weight_problems = compare_weights(
        src_info.get("weights", []),
        src_weights,
        out_info.get("weights", []),
        out_weights,
        tolerance=options.tolerance,
        transforms=transforms,
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
    return check
