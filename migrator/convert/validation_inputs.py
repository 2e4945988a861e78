"""The fixed inputs validation feeds both sides: derived from the signature, or the user's.

Derived inputs depend only on the converted model's input signature and a seed, so the same
model always gets the same numbers: float inputs uniform in [-1, 1); integer inputs (and float
inputs of models that start with an Embedding) integers in [0, the smallest Embedding
vocabulary), so lookups stay in range; unknown dimensions are the batch size for the first axis
and 8 (32 for image-like rank-4/5 tensors) elsewhere. String inputs cannot be derived: the user
passes `--inputs x.npz`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from migrator.errors import ConversionError, ValidationFailed

DEFAULT_DIM = 8
IMAGE_DIM = 32


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
    """The arrays of an `--inputs` .npz, one per input: by input name, `in_<i>`, or in order.

    Read without pickle (an object array would run code to load): an unreadable file or an
    object array is a one-line error saying how to save the inputs instead.
    """
    names = [str(s.get("name")) for s in signature]
    try:
        with np.load(path, allow_pickle=False) as data:
            if all(n in data.files for n in names):
                return [data[n] for n in names]
            if all(f"in_{i}" in data.files for i in range(len(names))):
                return [data[f"in_{i}"] for i in range(len(names))]
            if len(data.files) == len(names):
                return [data[k] for k in data.files]
    except (OSError, ValueError, EOFError) as exc:  # not an .npz, or an object array
        pickled = "Object arrays" in str(exc)  # numpy's words for a dtype=object array
        raise ConversionError(
            path,
            "--inputs holds an object array, which loading would unpickle"
            if pickled
            else f"--inputs cannot be read as an .npz of arrays ({type(exc).__name__})",
            "save it with numpy.savez, strings as bytes or str arrays "
            "(np.array([b'some text']), not dtype=object)",
        ) from None
    raise ConversionError(
        path,
        f"--inputs must hold one array per model input ({', '.join(names)})",
        "name the arrays like the inputs, or in_0, in_1, ...",
    )


def save_inputs(path: Path, arrays: Sequence[np.ndarray]) -> None:
    np.savez(path, **{f"in_{i}": a for i, a in enumerate(arrays)})
