"""What reading one checkpoint prefix gathers, and the facts drawn from its tensor list.

V1 and V2 checkpoints store their tensor lists differently but are described the same way: the
listed tensors, parameter count, optimizer slots, whether the keys are Keras ones, and what the
root object of an object-based checkpoint is (`root_kind`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from migrator.formats import protos
from migrator.formats.checkpoint.details import (
    ROOT_CHECKPOINT,
    ROOT_SAVE_WEIGHTS,
    CheckpointDetails,
)
from migrator.formats.checkpoint.names import FORMAT, MAX_TENSORS_LISTED
from migrator.model import Reading

_NON_PARAMETER_DTYPES = frozenset({"DT_STRING", "DT_RESOURCE", "DT_VARIANT", "DT_INVALID"})
_KERAS_KEY = re.compile(
    r"(^|/)(layer|layer_with_weights)-\d+/|\.ATTRIBUTES/OBJECT_CONFIG_JSON$|(^|/)keras_api/"
)
# TF1 optimizers name slots `<var>/<OptimizerName>[_N]`; Keras optimizers in graph mode
# `training/<Optimizer>/<var>/<slot>`; new Keras optimizers keep them in optimizer/_variables/N.
_TF1_SLOT = re.compile(
    r".+/(Adam|Momentum|RMSProp|Adagrad|AdagradDA|ProximalAdagrad|Ftrl|Adadelta|Nadam|Adamax|"
    r"LazyAdam|AdamW|ExponentialMovingAverage)(_\d+)?$"
)
_KERAS_GRAPH_SLOT = re.compile(
    r"^training/\w+/.+/(accumulator|linear|m|v|vhat|momentum|rms|mg|accum_grad|accum_var)$"
)
_OBJECT_SLOT = re.compile(r"\.OPTIMIZER_SLOT/|(^|/)optimizer/_variables/\d+/")
# tf.train.Checkpoint tracks a `save_counter` variable on its root; a model's own checkpoint
# (`model.save_weights`, TF format) is rooted at the model and never has one.
_SAVE_COUNTER = "save_counter"


class Found:
    """What reading one checkpoint prefix gathered (shared by checkpoints and SessionBundles).

    `details` collects the keys of `CheckpointDetails` as the parts are read; the reader builds
    the dataclass from it at the end.
    """

    def __init__(self) -> None:
        self.details: dict[str, Any] = {}
        self.producer: dict[str, str] = {}
        self.evidence: list[str] = []
        self.errors: list[str] = []
        self.raw: dict[str, Any] = {"meta_graph": None, "object_graph": None, "keys": []}

    def reading(
        self, fmt: str = FORMAT, details: type[CheckpointDetails] = CheckpointDetails
    ) -> Reading:
        """The Reading of what was gathered, its details as the format's dataclass."""
        return Reading(
            fmt,
            producer=self.producer,
            details=details(**self.details),
            evidence=tuple(self.evidence),
            errors=tuple(self.errors),
            raw=self.raw,
        )


def describe_tensors(found: Found, tensors: list[tuple[str, int, Any, int]]) -> None:
    """Record the tensor list ((name, dtype number, TensorShapeProto, partitions) each)."""
    d = found.details
    listed: list[dict[str, Any]] = []
    parameters = 0
    for name, dtype, shape, partitions in sorted(tensors, key=lambda t: t[0]):
        dims = [-1 if dim.size < 0 else int(dim.size) for dim in shape.dim]
        dtype_name = protos.dtype_name(dtype)
        if dtype_name not in _NON_PARAMETER_DTYPES and all(x >= 0 for x in dims):
            count = 1
            for x in dims:
                count *= x
            parameters += count
        if len(listed) < MAX_TENSORS_LISTED:
            item: dict[str, Any] = {"name": name, "dtype": dtype_name, "shape": dims}
            if partitions:
                item["partitions"] = partitions
            listed.append(item)
    d["tensor_count"] = len(tensors)
    d["parameter_count"] = parameters
    d["tensors"] = listed
    if len(tensors) > MAX_TENSORS_LISTED:
        d["tensors_capped"] = f"first {MAX_TENSORS_LISTED} of {len(tensors)} tensors listed"
    found.raw["keys"] = [t[0] for t in tensors]


def classify_keys(found: Found) -> None:
    """Optimizer slots, Keras keys and the root kind, from the keys and the object graph."""
    d = found.details
    keys: list[str] = found.raw["keys"]
    graph = d.get("object_graph") or {}
    d["optimizer_slots"] = bool(graph.get("slot_variables")) or any(
        _OBJECT_SLOT.search(k) or _TF1_SLOT.match(k) or _KERAS_GRAPH_SLOT.match(k) for k in keys
    )
    d["root_kind"] = root_kind(d, keys)
    if d["kind"] != "object-based":
        return
    if any(_KERAS_KEY.search(k) for k in keys):
        d["keras_save_weights"] = True
        found.evidence.append("Keras object-based keys (layer-N/, layer_with_weights-N/, ...)")
    elif "root_children" in graph and _SAVE_COUNTER not in graph["root_children"]:
        d["keras_save_weights"] = True
        found.evidence.append(
            "object graph rooted at the model itself (no save_counter): Keras save_weights"
        )


def root_kind(details: Mapping[str, Any], keys: list[str]) -> str | None:
    """ROOT_CHECKPOINT or ROOT_SAVE_WEIGHTS for an object-based checkpoint, else None.

    The object graph's root children decide; when the graph could not be read, the tensor keys
    do (a tf.train.Checkpoint saves `save_counter/.ATTRIBUTES/VARIABLE_VALUE`).
    """
    if details.get("kind") != "object-based":
        return None
    graph = details.get("object_graph")
    children = graph.get("root_children") if isinstance(graph, Mapping) else None
    if isinstance(children, list):
        has_counter = _SAVE_COUNTER in children
    else:
        has_counter = any(key.startswith(_SAVE_COUNTER) for key in keys)
    return ROOT_CHECKPOINT if has_counter else ROOT_SAVE_WEIGHTS


def corrupt(name: str, problem: str) -> str:
    """The error line for an unreadable table file."""
    return (
        f"{name}: corrupt or truncated checkpoint table ({problem}); re-copy the checkpoint "
        "from its source, TensorFlow cannot restore it either"
    )
