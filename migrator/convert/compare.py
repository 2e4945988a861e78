"""Comparing a converted model with its source: outputs and weights, tensor by tensor.

Kept apart from `validate` (which runs both sides in their runtimes) because it is pure NumPy:
what counts as equal (NaN where both are NaN, a tolerance for floats only), which variables are
training state rather than weights, and how output names are made stable across runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from migrator.convert.weight_layouts import apply_transforms

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


def compare_weights(
    src_names: Sequence[str],
    src_values: list[np.ndarray],
    out_names: Sequence[str],
    out_values: list[np.ndarray],
    *,
    tolerance: float,
    transforms: Mapping[str, Sequence[Mapping[str, Any]]] = {},
    allow_missing: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """Tensor-by-tensor comparison after the declared transforms; (record, problems).

    Training bookkeeping (`is_bookkeeping`) is left out on both sides and listed in the record.
    """
    left_out = sorted({n for n in [*src_names, *out_names] if is_bookkeeping(n)})
    if left_out:
        src_pairs = [
            (n, v) for n, v in zip(src_names, src_values, strict=False) if not is_bookkeeping(n)
        ]
        out_pairs = [
            (n, v) for n, v in zip(out_names, out_values, strict=False) if not is_bookkeeping(n)
        ]
        src_names, src_values = [n for n, _ in src_pairs], [v for _, v in src_pairs]
        out_names, out_values = [n for n, _ in out_pairs], [v for _, v in out_pairs]
    src = dict(zip(src_names, src_values, strict=False))
    if transforms:
        by_layer: dict[str, list[str]] = {}
        for name in src_names:
            by_layer.setdefault(name.split("#")[0], []).append(name)
        for layer, specs in transforms.items():
            names = by_layer.get(layer, [])
            if names:
                new = apply_transforms(layer, [src[n] for n in names], specs)
                src.update(zip(names, new, strict=False))
    out_exact = dict(zip(out_names, out_values, strict=False))
    out_index = {}
    for name, value in zip(out_names, out_values, strict=False):
        head, path = _keras_key(name)
        out_index.setdefault(head, value)
        out_index.setdefault(path, value)
        out_index.setdefault(name.split(":")[0], value)
    compared, worst, problems, missing = 0, 0.0, [], []
    for name in src_names:
        value = src[name]
        head, path = _keras_key(name)
        match = next(
            (
                out_exact.get(k, out_index.get(k))
                for k in (name, head, path)
                if k in out_exact or k in out_index
            ),
            None,
        )
        if match is None:
            missing.append(name)
            continue
        compared += 1
        if match.shape != value.shape:
            problems.append(
                f"weight {name!r} has shape {list(match.shape)}, the source {list(value.shape)}"
            )
            continue
        diff = _max_diff(value, match)
        worst = max(worst, diff)
        if not diff <= _tolerance_for(match.dtype, tolerance):
            problems.append(f"weight {name!r} differs from the source by up to {diff:.3g}")
    if missing and not allow_missing:
        problems.append(
            f"{len(missing)} source weight(s) not in the converted model: " + ", ".join(missing[:5])
        )
    if src_names and compared == 0:
        problems.append("no weight of the source could be matched in the converted model")
    record = {
        "source": len(src_names),
        "output": len(out_names),
        "compared": compared,
        "max_abs_diff": worst if compared else None,
        "not_carried": missing[:50],
        "left_out_training_state": left_out[:50],
    }
    return record, problems
