"""Comparing a converted model with its source: outputs and weights, tensor by tensor.

Kept apart from `validate` (which runs both sides in their runtimes) because it is pure NumPy:
what counts as equal (NaN where both are NaN, a tolerance for floats only), which variables are
training state rather than weights, and how output names are made stable across runs. Weights
arrive as digests (`Tensor`): their values stay in the workers unless two digests differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

_DIFF_CHUNK = 1 << 22  # elements per float64 block: bounds the temporaries of a 1 GB tensor


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b):
        return 0.0  # the common case (weights copied bit for bit), without float64 copies
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        if a.shape != b.shape:
            a, b = np.broadcast_arrays(a, b)
        flat_a, flat_b = a.reshape(-1), b.reshape(-1)
        worst = 0.0
        for start in range(0, flat_a.size, _DIFF_CHUNK):
            a64 = flat_a[start : start + _DIFF_CHUNK].astype(np.float64)
            b64 = flat_b[start : start + _DIFF_CHUNK].astype(np.float64)
            both_nan = np.isnan(a64) & np.isnan(b64)
            diff = np.abs(np.where(both_nan, 0.0, a64 - b64))
            worst = max(worst, float(np.nanmax(np.where(np.isnan(diff), np.inf, diff))))
        return worst
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        return float(np.max(np.abs(a.astype(np.int64) - b.astype(np.int64)))) if a.size else 0.0
    return 0.0 if np.array_equal(a, b) else float("inf")


def _tolerance_for(dtype: np.dtype, tolerance: float) -> float:
    if dtype.kind not in "fc":
        return 0.0
    if dtype.itemsize <= 2:  # float16 / bfloat16 outputs
        return max(tolerance, 1e-2)
    return tolerance


def compare_outputs(
    src: list[np.ndarray], out: list[np.ndarray], tolerance: float, names: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], list[str]]:
    records, problems = [], []
    if len(src) != len(out):
        problems.append(f"the source has {len(src)} outputs and the converted model {len(out)}")
    for i, (a, b) in enumerate(zip(src, out, strict=False)):
        name = names[i] if i < len(names) else f"output_{i}"
        record: dict[str, Any] = {"name": name, "shape": list(b.shape), "dtype": str(b.dtype)}
        if a.shape != b.shape:
            record["max_abs_diff"] = None
            problems.append(
                f"output {name!r} has shape {list(b.shape)}, the source {list(a.shape)}"
            )
        else:
            diff = _max_diff(a, b)
            limit = _tolerance_for(b.dtype, tolerance)
            record["max_abs_diff"] = diff
            record["tolerance"] = limit
            if not diff <= limit:
                problems.append(
                    f"output {name!r} differs from the source by up to {diff:.3g} "
                    f"(tolerance {limit:g})"
                )
        records.append(record)
    return records, problems


def _keras_key(name: str) -> tuple[str, str]:
    """'dense/sub#1:bias' -> ('dense/sub#1', 'dense/sub/bias')."""
    head, _, var = name.partition(":")
    layer = head.split("#")[0]
    return head, f"{layer}/{var}" if var else head


# Variables that are training state, not the model: a step counter, optimizer iterations and
# slots (TF1 `dense/kernel/Adam_1`, tf.keras `Adam/dense/kernel/m`, Keras 3
# `adam/dense_kernel_momentum`), TF1 Adam's beta powers, tf.train.Checkpoint's save counter.
# A converted model carries no optimizer (it is saved uncompiled), so these are left out of the
# comparison, and the record says which.
_BOOKKEEPING_LAST = frozenset(
    {
        "global_step",
        "iterations",
        "iteration",
        "iter",
        "save_counter",
        "beta1_power",
        "beta2_power",
        "Adam",
        "Adam_1",
        "Momentum",
        "RMSProp",
        "RMSProp_1",
        "Adagrad",
        "Adadelta",
        "Adadelta_1",
        "Ftrl",
        "Ftrl_1",
        "ExponentialMovingAverage",
    }
)
_BOOKKEEPING_SCOPES = frozenset(
    {
        "optimizer",
        "training",
        "adam",
        "adamw",
        "sgd",
        "rmsprop",
        "adagrad",
        "adadelta",
        "adamax",
        "nadam",
        "ftrl",
        "momentum",
        "metrics",
        "optimizeloss",
    }
)


def is_bookkeeping(name: str) -> bool:
    """A variable that counts or trains rather than computes (never a layer's weight)."""
    parts = [p for p in re.split(r"[/:#]", name) if p]
    if not parts:
        return False
    first = re.sub(r"_\d+$", "", parts[0]).lower()
    return parts[-1] in _BOOKKEEPING_LAST or (len(parts) > 1 and first in _BOOKKEEPING_SCOPES)


# Keras 3 names an unnamed output tensor from a process-wide counter (`keras_tensor_21`): the
# number depends on how many models the worker built before, so it is not a fact of the model.
_AUTO_TENSOR = re.compile(r"^keras_tensor(_\d+)?$")


def stable_output_names(names: Sequence[str]) -> list[str]:
    """Output names with counter-generated ones replaced by `output_<i>`, so the same model
    gets the same validation record whatever the worker converted before it (and any --jobs)."""
    return [f"output_{i}" if _AUTO_TENSOR.match(str(n)) else str(n) for i, n in enumerate(names)]


@dataclass(frozen=True)
class Tensor:
    """A weight as a model run describes it: its bytes stay in the worker (`run_results`)."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    sha256: str


def tensors(info: Mapping[str, Any]) -> list[Tensor]:
    """The weights a run reported (`weights` names, `weight_digests` [dtype, shape, sha256])."""
    names = list(info.get("weights") or [])
    digests = list(info.get("weight_digests") or [])
    return [
        Tensor(str(name), str(d[0]), tuple(int(x) for x in d[1]), str(d[2]))
        for name, d in zip(names, digests, strict=False)
    ]


# Given the source and output names of the tensors whose digests differ, their values (in the
# same order): fetched from the workers that hold them.
Fetch = Callable[[Sequence[str], Sequence[str]], tuple[list[np.ndarray], list[np.ndarray]]]


def compare_weights(
    src: Sequence[Tensor],
    out: Sequence[Tensor],
    fetch: Fetch,
    *,
    tolerance: float,
    allow_missing: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """Tensor-by-tensor comparison; (record, problems).

    Tensors with the same dtype, shape and sha256 are equal (the common case: weights copied
    bit for bit); only the others are fetched and measured. The source's declared weight
    transforms were applied by its run before hashing. Training bookkeeping (`is_bookkeeping`)
    is left out on both sides and listed in the record.
    """
    left_out = sorted({t.name for t in [*src, *out] if is_bookkeeping(t.name)})
    src = [t for t in src if not is_bookkeeping(t.name)]
    out = [t for t in out if not is_bookkeeping(t.name)]
    out_exact = {t.name: t for t in out}
    out_index: dict[str, Tensor] = {}
    for tensor in out:
        head, path = _keras_key(tensor.name)
        out_index.setdefault(head, tensor)
        out_index.setdefault(path, tensor)
        out_index.setdefault(tensor.name.split(":")[0], tensor)
    compared, worst, problems, missing = 0, 0.0, [], []
    differing: list[tuple[Tensor, Tensor]] = []
    for tensor in src:
        head, path = _keras_key(tensor.name)
        match = next(
            (
                out_exact.get(k, out_index.get(k))
                for k in (tensor.name, head, path)
                if k in out_exact or k in out_index
            ),
            None,
        )
        if match is None:
            missing.append(tensor.name)
            continue
        compared += 1
        if match.shape != tensor.shape:
            problems.append(
                f"weight {tensor.name!r} has shape {list(match.shape)}, "
                f"the source {list(tensor.shape)}"
            )
        elif match.dtype != tensor.dtype or match.sha256 != tensor.sha256:
            differing.append((tensor, match))
    if differing:
        src_values, out_values = fetch(
            [a.name for a, _ in differing], [b.name for _, b in differing]
        )
        for (tensor, _), a, b in zip(differing, src_values, out_values, strict=True):
            diff = _max_diff(a, b)
            worst = max(worst, diff)
            if not diff <= _tolerance_for(b.dtype, tolerance):
                problems.append(
                    f"weight {tensor.name!r} differs from the source by up to {diff:.3g}"
                )
    if missing and not allow_missing:
        problems.append(
            f"{len(missing)} source weight(s) not in the converted model: " + ", ".join(missing[:5])
        )
    if src and compared == 0:
        problems.append("no weight of the source could be matched in the converted model")
    record = {
        "source": len(src),
        "output": len(out),
        "compared": compared,
        "max_abs_diff": worst if compared else None,
        "not_carried": missing[:50],
        "left_out_training_state": left_out[:50],
    }
    return record, problems
