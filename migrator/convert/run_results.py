"""What a model run in a runtime worker hands back: outputs, weight digests, held weights.

Runs inside the workers (any TensorFlow line). A run's outputs (small: the batch the model was
fed) are written to `<out>.outputs.npz` for the main process to compare. Its weights never leave
the worker: each tensor is described by name, dtype, shape and the sha256 of its bytes, and the
arrays are *held* in the worker under the run's `out` tag. Validation compares digests; only a
tensor whose digest differs from its counterpart (a cast, a rescaled kernel computed by another
NumPy) is asked for again (`held_weights`) to measure by how much, and the hold is released at
the end of the validation (`release`). A 200 MB model thus costs two in-worker hashes instead of
two 200 MB `.npz` files written, read back and compared in the main process.

The source side applies the weight transforms the conversion declared (`transforms`, by layer)
before hashing, so a rescaled kernel is compared with the rescaled source kernel.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

# Held weights per run tag; a validation holds at most two (source, output) per worker. Older
# holds are dropped beyond this many, so a main process that died mid-validation leaks nothing.
_MAX_HELD = 4
_HELD: OrderedDict[str, dict[str, Any]] = OrderedDict()
# Models loaded ahead of their run (`runner.preload_keras`), by key: (what loaded it, model).
# One at a time: a preload replaces any model an abandoned conversion left behind.
_KEPT: dict[str, tuple[str, Any]] = {}


def keep_model(key: str, loaded_by: str, model: Any) -> None:
    """Hold `model` for the run that names `key` and was asked to load it the same way."""
    _KEPT.clear()
    _KEPT[key] = (loaded_by, model)


def take_model(key: str, loaded_by: str) -> Any | None:
    """The model kept under `key` if it was loaded the way this run would load it, else None
    (the run then loads it itself); either way the hold ends."""
    kept = _KEPT.pop(key, None)
    return kept[1] if kept is not None and kept[0] == loaded_by else None


def versions() -> dict[str, Any]:
    """TensorFlow, Keras and tf-keras versions of this runtime (what every run records)."""
    import tensorflow as tf

    out: dict[str, Any] = {"tensorflow": tf.__version__}
    try:
        import keras

        out["keras"] = keras.__version__
    except ImportError:
        out["keras"] = None
    try:
        import tf_keras

        out["tf_keras"] = tf_keras.__version__
    except ImportError:
        out["tf_keras"] = None
    return out


def plain_array(value: Any) -> Any:
    """An array `np.load(allow_pickle=False)` can read: tf.string values (object arrays of
    bytes) become fixed-width bytes."""
    import numpy as np

    array = np.asarray(value)
    if array.dtype == object:
        array = np.array(array.tolist(), dtype=bytes)
    return array


def load_inputs(path: str) -> list[Any]:
    """The validation inputs the main process saved (`in_0`, `in_1`, ...)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return [data[f"in_{i}"] for i in range(len(data.files))]


def as_list(result: Any) -> list[Any]:
    """A model call's result as a list of arrays (dict outputs in sorted key order)."""
    import numpy as np

    if isinstance(result, Mapping):
        return [np.asarray(result[k]) for k in sorted(result)]
    if isinstance(result, (list, tuple)):
        return [np.asarray(r) for r in result]
    return [np.asarray(result)]


def record_outputs(info: dict[str, Any], out: str, outputs: Sequence[Any]) -> None:
    """Write the outputs to `<out>.outputs.npz` and describe them in `info`."""
    import numpy as np

    arrays = [plain_array(o) for o in outputs]
    np.savez(out + ".outputs.npz", **{f"out_{i}": a for i, a in enumerate(arrays)})
    info["output_shapes"] = [list(a.shape) for a in arrays]
    info["output_dtypes"] = [str(a.dtype) for a in arrays]


def _digest(array: Any) -> str:
    import numpy as np

    data = np.ascontiguousarray(array).reshape(-1)
    return hashlib.sha256(memoryview(data.view(np.uint8)) if data.size else b"").hexdigest()


def _transformed(
    names: Sequence[str], values: list[Any], transforms: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[Any]:
    """The source's weights with the conversion's declared transforms applied, by layer
    (`layer#i:var` names group by `layer`); training bookkeeping is never transformed."""
    if not transforms:
        return values
    from migrator.convert.compare import is_bookkeeping
    from migrator.convert.weight_layouts import apply_transforms

    by_layer: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        if not is_bookkeeping(name):
            by_layer.setdefault(name.split("#")[0], []).append(index)
    values = list(values)
    for layer, specs in transforms.items():
        indices = by_layer.get(layer, [])
        if indices:
            new = apply_transforms(layer, [values[i] for i in indices], specs)
            for i, value in zip(indices, new, strict=False):
                values[i] = value
    return values


def record_weights(
    info: dict[str, Any],
    out: str,
    names: Sequence[str],
    values: Sequence[Any],
    transforms: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> None:
    """Describe the weights in `info` (names, and [dtype, shape, sha256] per tensor) and hold
    the arrays in this worker under `out` until `release(out)`."""
    arrays = [plain_array(v) for v in values]
    arrays = _transformed(names, arrays, transforms or {})
    info["weights"] = list(names)
    info["weight_digests"] = [[str(a.dtype), list(a.shape), _digest(a)] for a in arrays]
    _HELD[out] = dict(zip(names, arrays, strict=False))
    _HELD.move_to_end(out)
    while len(_HELD) > _MAX_HELD:
        _HELD.popitem(last=False)


def held_weights(out: str, names: Sequence[str], dest: str) -> dict[str, Any]:
    """Write the held weights `names` of run `out` to `dest` (`w_0`, `w_1`, ... in that order)."""
    import numpy as np

    held = _HELD.get(out)
    if held is None:
        from migrator.errors import ValidationFailed

        raise ValidationFailed(
            out,
            "the weights of this run are no longer held by the worker",
            "run the conversion again (the worker was restarted during validation)",
        )
    np.savez(dest, **{f"w_{i}": held[n] for i, n in enumerate(names)})
    return {"count": len(names)}


def release(out: str) -> dict[str, Any]:
    """Drop the weights held for run `out`, or the model kept under that key (no error when
    already dropped)."""
    kept = _KEPT.pop(out, None) is not None
    return {"released": _HELD.pop(out, None) is not None or kept}
