"""What the artifact and security rules both need from a reading: its Keras configs, in one shape.

Every reader that meets a Keras model config keeps it in ``raw`` under its own key (HDF5, JSON/YAML
and TF.js layers: ``model_config``; ``.keras``: ``model_config`` (config.json); SavedModel:
``keras_config`` from ``keras_metadata.pb``, the object graph or ``assets/saved_model.json``).
Rules ask here instead of knowing those keys, and name the place the config came from in their
messages. Nothing here reads a file: only the reading's ``raw``, ``details`` and ``producer``.

The judgements two judges share live here too, computed from what the readers recorded with the
release facts of `migrator.knowledge`: what Keras 3 rejects in a config
(`keras3_config_issues`) and whether Keras 3 opens the content under its file name
(`extension_matches`). Readers only say what the bytes hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from migrator.formats import keras_config
from migrator.knowledge.keras3 import (
    INPUT_LAYER_BATCH_INPUT_SHAPE_REJECTED_BY,
    KERAS2_ENGINE_MODULES,
    KERAS2_LAMBDA_KEYS,
    KERAS2_ONLY_OPTIMIZER_ARGS,
    KERAS3_FILE_SUFFIXES,
    KERAS_PACKAGES,
    MISSING_LAYERS,
    REJECTED_LAYER_ARGS,
)
from migrator.knowledge.keras_names import FUNCTION_NAMES, LAYER_CLASSES, OBJECT_CLASSES
from migrator.model import Artifact

# Where each format keeps its model config, and how a message should call that place.
_CONFIG_SOURCES = {
    "keras-h5": ("model_config", "the HDF5 `model_config` attribute"),
    "keras-json": ("model_config", "the JSON architecture"),
    "keras-yaml": ("model_config", "the YAML architecture"),
    "keras-v3": ("model_config", "config.json"),
    "tfjs-layers": ("model_config", "model.json's modelTopology"),
    "saved-model": ("keras_config", ""),  # named from details.keras_source
}
_SAVEDMODEL_SOURCES = {
    "keras_metadata.pb": "keras_metadata.pb",
    "object_graph": "the SavedModel object graph metadata",
    "assets/saved_model.json": "assets/saved_model.json",
}
# Config keys holding activation identifiers.
_ACTIVATION_KEYS = ("activation", "recurrent_activation", "inner_activation")


@dataclass(frozen=True)
class ModelConfig:
    """A Keras model config an artifact carries, and the place it came from (for messages)."""

    config: Mapping[str, Any]
    where: str


def model_config(artifact: Artifact) -> ModelConfig | None:
    """The artifact's Keras model config, or None when it carries none (or it is unreadable)."""
    source = _CONFIG_SOURCES.get(artifact.format)
    if source is None:
        return None
    key, where = source
    config = artifact.reading.raw.get(key)
    if not isinstance(config, Mapping) or not keras_config.is_layer_entry(config):
        return None
    if artifact.format == "saved-model":
        where = savedmodel_keras_source(artifact)
    return ModelConfig(config, where)


def savedmodel_keras_source(artifact: Artifact) -> str:
    """Where a SavedModel keeps its Keras metadata, in words."""
    return _SAVEDMODEL_SOURCES.get(
        str(artifact.details.get("keras_source")), "the SavedModel's Keras metadata"
    )


def training_config(artifact: Artifact) -> Mapping[str, Any] | None:
    """The compile settings an artifact records (HDF5/SavedModel training_config, .keras compile)."""
    raw = artifact.reading.raw
    value = raw.get("compile_config") if artifact.format == "keras-v3" else None
    if value is None:
        value = raw.get("training_config")
    return value if isinstance(value, Mapping) else None


def layers_with_root(config: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, entry) for the model itself ("(model)") and every layer below it, at any depth."""
    yield "(model)", config
    yield from keras_config.iter_layers(config)


def is_registered_name(name: str) -> bool:
    """`Package>Name`: how Keras records classes registered with register_keras_serializable."""
    return ">" in name and not name.startswith("Custom>")


def custom_classes(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(path, class or function name) of everything in a Keras 1/2 config Keras does not define.

    Looks at the model and every layer class, activations given by name, and the objects nested
    in layer configs (initializers, regularizers, constraints...). Keras 3 style entries (with a
    ``module`` key) are judged by their module instead: outside Keras' packages they are custom.
    """
    out: list[tuple[str, str]] = []
    for path, entry in layers_with_root(config):
        cls = entry.get("class_name")
        if isinstance(cls, str) and _custom_entry(entry, cls, LAYER_CLASSES):
            out.append((path, cls))
        layer_config = entry.get("config")
        if not isinstance(layer_config, Mapping):
            continue
        for key in _ACTIVATION_KEYS:
            value = layer_config.get(key)
            if isinstance(value, str) and value and value not in FUNCTION_NAMES:
                out.append((f"{path}/{key}", value))
        for key, value in layer_config.items():
            if key in ("layer", "backward_layer", "cell", "layers", "cells"):
                continue  # nested layers are visited on their own
            for inner_path, inner in _objects(value, f"{path}/{key}"):
                name = inner["class_name"]
                if name in ("__lambda__", "function", "__tuple__", "__numpy__", "__tensor__"):
                    continue
                if _custom_entry(inner, name, OBJECT_CLASSES | LAYER_CLASSES):
                    out.append((inner_path, name))
    return out


def custom_training_objects(training: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, name) of losses, metrics and optimizers a training config names that Keras lacks."""
    out: list[tuple[str, str]] = []
    for key in ("loss", "metrics", "weighted_metrics", "optimizer_config", "optimizer"):
        for where, name in _named(training.get(key), key):
            if name in FUNCTION_NAMES or name in OBJECT_CLASSES:
                continue
            if name.startswith("Custom>") and name[7:] in OBJECT_CLASSES:
                continue  # tf.keras 2.11+ optimizers: a Keras class, see the optimizer rule
            out.append((where, name))
    return out


def _custom_entry(entry: Mapping[str, Any], name: str, known: frozenset[str]) -> bool:
    module = entry.get("module")
    if isinstance(module, str) and module:
        return module.split(".", 1)[0] not in KERAS_PACKAGES | {"builtins"}
    registered = entry.get("registered_name")
    if isinstance(registered, str) and registered and registered != name:
        return True
    return is_registered_name(name) or name not in known


def _objects(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Serialized objects (dicts with a string class_name) in a config value, at any depth."""
    if isinstance(value, Mapping):
        if isinstance(value.get("class_name"), str):
            yield path, value
            value = value.get("config")
            if not isinstance(value, Mapping):
                return
        for key, inner in value.items():
            yield from _objects(inner, f"{path}/{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _objects(inner, f"{path}/{index}")


def _named(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Names in a training-config value: strings, {class_name} objects, and lists/dicts of them."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        if isinstance(value.get("class_name"), str):
            name = value["class_name"]
            inner = value.get("config")
            if name == "MeanMetricWrapper" and isinstance(inner, Mapping):
                fn = inner.get("fn")
                if isinstance(fn, str):
                    yield where, fn
                return
            yield where, name
            return
        for key, inner in value.items():
            yield from _named(inner, f"{where}/{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _named(inner, f"{where}/{index}" if len(value) > 1 else where)


def short_list(items: list[str], limit: int = 4) -> str:
    """`a`, `b`, `c` and 3 more: a culprit list that stays one line."""
    shown = ", ".join(i if "`" in i else f"`{i}`" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def extension_matches(artifact: Artifact) -> bool | None:
    """Would Keras 3 open this content under this file name? None when the name does not matter.

    Compares the reader's lowercased ``extension`` with the suffixes Keras 3 dispatches on for the
    artifact's format. An unzipped `.keras` folder matches when its name has no suffix; a sharded
    weights config (``.weights.json``) always matches, as the reader names it by its suffix.
    """
    suffixes = KERAS3_FILE_SUFFIXES.get(artifact.format)
    extension = artifact.details.get("extension")
    if suffixes is None or not isinstance(extension, str):
        return None
    if artifact.format == "keras-v3" and artifact.details.get("container") == "folder":
        return extension == ""
    return extension in suffixes


def keras3_config_issues(model_config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Facts in a config that make Keras 3 refuse to load it (tf.keras 2.13-2.15 `.keras` files).

    Each item: ``path`` (layer path, or a compile_config path), ``class_name``, ``issue`` (short
    id), ``detail`` and ``rejected_by`` ("keras>=3.0", or "keras 3.0.x" for InputLayer
    ``batch_input_shape``, which Keras accepts again from 3.1). Verified by loading tf.keras 2.15.1
    configs in Keras 3.3.3 and 3.15.1:

    - ``engine-module``: ``module`` ``keras.src.engine.*`` / ``keras.engine.*`` (tf.keras 2.12-2.15
      ``Functional``): "parent module ... cannot be imported"
    - ``batch_input_shape`` on any layer but InputLayer ("Unrecognized keyword arguments passed to
      Dense"), and on InputLayer for Keras 3.0.x
    - ``unrecognized-arg``: the layer arguments of `REJECTED_LAYER_ARGS` (``groups`` on
      depthwise/separable/transposed convolutions, ``time_major`` on RNN layers, ...)
    - ``policy-dtype``: a ``Policy`` dtype object (``keras.mixed_precision``): AttributeError
    - ``keras2-lambda``: a Lambda with ``function_type``/``module`` keys (marshalled tf.keras form)
    - ``missing-layer``: classes Keras 3 removed (LocallyConnected2D, ThresholdedReLU, ...)
    - ``optimizer-args``: compile_config optimizer with ``is_legacy_optimizer``/``jit_compile``;
      ``loss-args``: loss objects with ``fn`` or ``reduction: "auto"`` (load with compile=False)
    """
    issues: list[dict[str, Any]] = []

    def add(path: str, cls: Any, issue: str, detail: str, rejected_by: str = "keras>=3.0") -> None:
        issues.append(
            {
                "path": path or "(model)",
                "class_name": cls if isinstance(cls, str) else None,
                "issue": issue,
                "detail": detail,
                "rejected_by": rejected_by,
            }
        )

    layers = [("", model_config), *keras_config.iter_layers(model_config)]
    for path, entry in layers:
        cls = entry.get("class_name")
        module = entry.get("module")
        if isinstance(module, str) and module.startswith(KERAS2_ENGINE_MODULES):
            add(path, cls, "engine-module", f"module {module!r} does not exist in Keras 3")
        if path and cls in MISSING_LAYERS:
            add(path, cls, "missing-layer", f"layer class {cls} was removed in Keras 3")
        config = entry.get("config")
        if not isinstance(config, Mapping):
            continue
        if "batch_input_shape" in config:
            if cls == "InputLayer":
                add(
                    path,
                    cls,
                    "batch_input_shape",
                    "InputLayer `batch_input_shape` (Keras 3.1+ maps it to `batch_shape`)",
                    INPUT_LAYER_BATCH_INPUT_SHAPE_REJECTED_BY,
                )
            else:
                add(path, cls, "batch_input_shape", f"{cls} does not accept `batch_input_shape`")
        for key, classes in REJECTED_LAYER_ARGS.items():
            if cls in classes and key in config:
                add(path, cls, "unrecognized-arg", f"{cls} does not accept `{key}`")
        dtype = config.get("dtype")
        if isinstance(dtype, Mapping) and dtype.get("class_name") == "Policy":
            add(path, cls, "policy-dtype", "dtype is a tf.keras mixed-precision `Policy` object")
        if cls == "Lambda":
            keys = [k for k in KERAS2_LAMBDA_KEYS if k in config]
            if keys:
                add(path, cls, "keras2-lambda", "Lambda config keys " + ", ".join(keys))

    compile_config = model_config.get("compile_config")
    if isinstance(compile_config, Mapping):
        optimizer = compile_config.get("optimizer")
        if isinstance(optimizer, Mapping) and isinstance(optimizer.get("config"), Mapping):
            keys = [k for k in sorted(KERAS2_ONLY_OPTIMIZER_ARGS) if k in optimizer["config"]]
            if keys:
                add(
                    "compile_config/optimizer",
                    optimizer.get("class_name"),
                    "optimizer-args",
                    "optimizer config keys " + ", ".join(keys),
                )
        for path, entry in keras_config.serialized_objects(
            compile_config.get("loss"), "compile_config/loss"
        ):
            config = entry.get("config")
            if not isinstance(config, Mapping):
                continue
            keys = [k for k in ("fn",) if k in config]
            if config.get("reduction") == "auto":
                keys.append("reduction='auto'")
            if keys:
                add(path, entry["class_name"], "loss-args", "loss config " + ", ".join(keys))
    return issues
