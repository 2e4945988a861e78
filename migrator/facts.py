"""What the artifact and security rules both need from a reading: its Keras configs, in one shape.

Every reader that meets a Keras model config keeps it in ``raw`` under its own key (HDF5, JSON/YAML
and TF.js layers: ``model_config``; ``.keras``: ``model_config`` (config.json); SavedModel:
``keras_config`` from ``keras_metadata.pb``, the object graph or ``assets/saved_model.json``).
Rules ask here instead of knowing those keys, and name the place the config came from in their
messages. Nothing here reads a file: only the reading's ``raw``, ``details`` and ``producer``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from migrator.formats import keras_config
from migrator.knowledge.keras3 import KERAS_PACKAGES
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
