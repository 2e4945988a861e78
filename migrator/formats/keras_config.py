"""Walk Keras model configs of every era (Keras 1 lists, Keras 2 dicts, Keras 3 module entries).

The HDF5, `.keras`, architecture-file, `keras_metadata.pb` and TF.js readers all meet the same
JSON config; this is the one place that knows its shapes:

- Keras 1 and early Keras 2 Sequential: ``{"class_name": "Sequential", "config": [layer, ...]}``
- later Sequential and functional models: ``{"class_name": ..., "config": {"layers": [...]}}``
- Keras 3 entries add ``module`` and ``registered_name`` beside ``class_name``
- wrappers nest one layer (``layer``, ``backward_layer``), RNNs nest ``cell``/``cells``, and the
  Keras 1 ``Merge`` layer nests whole branch models in ``layers``.

Nothing here imports Keras or deserializes anything: it only reads JSON values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from migrator.formats.details import Details
from migrator.knowledge import versions
from migrator.knowledge.keras1 import KERAS1_ARGS, KERAS1_CLASSES, OUTPUT_DIM_OK

MODEL_CLASSES = frozenset({"Sequential", "Model", "Functional"})
# Keys under a layer's config that hold nested layer configs.
_NESTED_ONE = ("layer", "backward_layer", "cell")
_NESTED_MANY = ("layers", "cells")


def is_layer_entry(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("class_name"), str)


def layer_name(entry: Mapping[str, Any]) -> str:
    config = entry.get("config")
    if isinstance(config, Mapping) and isinstance(config.get("name"), str):
        return config["name"]
    if isinstance(entry.get("name"), str):
        return entry["name"]
    return entry.get("class_name", "?")


def children(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The layer entries directly nested in `entry` (model layers, wrapped layers, RNN cells)."""
    config = entry.get("config")
    if isinstance(config, list):  # Keras 1 / early Keras 2 Sequential
        return [c for c in config if is_layer_entry(c)]
    if not isinstance(config, Mapping):
        return []
    out: list[Mapping[str, Any]] = []
    for key in _NESTED_MANY:
        value = config.get(key)
        if isinstance(value, list):
            out.extend(c for c in value if is_layer_entry(c))
    for key in _NESTED_ONE:
        value = config.get(key)
        if is_layer_entry(value):
            out.append(value)
    return out


def iter_layers(
    entry: Mapping[str, Any], prefix: str = ""
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield (path, layer entry) for every layer below `entry`, depth first, at any nesting."""
    for child in children(entry):
        path = f"{prefix}/{layer_name(child)}" if prefix else layer_name(child)
        yield path, child
        yield from iter_layers(child, path)


def keras_major_from(
    version: str | None, style: str | None, markers: list[str], missing: str
) -> tuple[int | None, str | None]:
    """The Keras major version a config was written by, and the evidence line that says why.

    The recorded ``keras_version`` wins; without it the config style (`config_style`) tells
    Keras 1, 2 or 3. `missing` names what was absent ("keras_version attribute").
    """
    if version is None:
        major = {"keras1": 1, "keras2": 2, "keras3": 3}.get(style or "")
        said = (
            f"keras_major {major} inferred from the {style} config style"
            + (f" ({', '.join(markers[:4])})" if markers else "")
            if major
            else "the config style does not tell the Keras version"
        )
        return major, f"no {missing}; {said}"
    line = f"{style} config style: {', '.join(markers[:4])}" if markers else None
    return versions.major(version), line


def serialized_objects(value: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every serialized object (a dict with a string ``class_name``) anywhere in a JSON tree, in
    document order, including objects nested in another object's config.

    Paths join dict keys and list indexes with "/" (``config/layers/3/config/function``), so a
    finding can point at the exact spot, including compile_config and custom layer arguments.
    """
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, Mapping):
            if isinstance(node.get("class_name"), str):
                yield here, node
            for key in reversed(list(node)):
                stack.append((f"{here}/{key}" if here else str(key), node[key]))
        elif isinstance(node, list):
            for index in range(len(node) - 1, -1, -1):
                stack.append((f"{here}/{index}" if here else str(index), node[index]))


def summarize(model_config: Mapping[str, Any]) -> dict[str, Any]:
    """Facts every reader reports about a model config, in one shape.

    Keys: model_class, name, layer_count, layers (top level: name, class_name, and nested
    `layers` for sub-models), layer_classes (sorted, all depths), nested_models (paths),
    modules (Keras 3 `module` values, sorted), registered_names (sorted), lambda_layers (paths).
    """
    all_layers = list(iter_layers(model_config))
    classes = sorted({entry["class_name"] for _, entry in all_layers})
    modules = sorted(
        {str(e["module"]) for _, e in all_layers if isinstance(e.get("module"), str)}
        | ({str(model_config["module"])} if isinstance(model_config.get("module"), str) else set())
    )
    registered = sorted(
        {
            str(e["registered_name"])
            for _, e in [("", model_config), *all_layers]
            if isinstance(e.get("registered_name"), str)
        }
    )
    return {
        "model_class": _string_or_none(model_config.get("class_name")),
        "name": layer_name(model_config) if is_layer_entry(model_config) else None,
        "layer_count": len(all_layers),
        "layers": _outline(model_config),
        "layer_classes": classes,
        "nested_models": [p for p, e in all_layers if e["class_name"] in MODEL_CLASSES],
        "modules": modules,
        "registered_names": registered,
        "lambda_layers": [p for p, e in all_layers if e["class_name"] == "Lambda"],
    }


@dataclass(frozen=True, eq=False, kw_only=True)
class ConfigSummary(Details):
    """The `summarize` keys, first in the details of readers whose artifact is one model config.

    A subclass declares its own fields after these; build it with ``**summarize(config)``.
    """

    model_class: str | None  # the model config's class_name
    name: str | None  # the model's name
    layer_count: int  # layers at all depths
    layers: list[dict[str, Any]]  # top level: name, class_name, nested `layers` for sub-models
    layer_classes: list[str]  # sorted, all depths
    nested_models: list[str]  # paths of layers that are models themselves
    modules: list[str]  # Keras 3 `module` values, sorted
    registered_names: list[str]  # sorted
    # Lambda layer paths; readers that describe them replace this with `lambda_layers(config)`
    lambda_layers: list[Any]


def _outline(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for child in children(entry):
        item: dict[str, Any] = {"name": layer_name(child), "class_name": child["class_name"]}
        nested = _outline(child)
        if nested:
            item["layers"] = nested
        out.append(item)
    return out


# --- Era of a config: which Keras wrote it, from the layer arguments alone -----------------------


def config_style(model_config: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """Which serialization style a model config uses, and the markers that say so.

    ``"keras1"``: Keras-1-only layer classes or arguments (``Convolution2D``, ``Merge``,
    ``nb_filter``, ``output_dim`` outside Embedding, ``dim_ordering``, ``border_mode``...).
    ``"keras3"``: the serialization Keras 3 introduced, which tf.keras 2.13-2.15 also write in
    ``.keras`` files and ``to_json()`` (so pair it with ``keras_version`` before calling a file
    Keras 3): entries carry ``module``/``registered_name`` keys, a ``DTypePolicy`` dtype, or an
    InputLayer with ``batch_shape``.
    ``"keras2"``: layers in neither style. ``None``: no layers to judge (e.g. a subclassed model).
    Keras 1 markers win over Keras 3 ones; markers are short strings for the evidence line.
    """
    keras1: set[str] = set()
    keras3: set[str] = set()
    entries = [("", model_config), *iter_layers(model_config)]
    for _, entry in entries:
        cls = entry.get("class_name")
        cls = cls if isinstance(cls, str) else None  # a dict or list here is a damaged file
        if "module" in entry or "registered_name" in entry:
            keras3.add("`module`/`registered_name` keys")
        if cls in KERAS1_CLASSES:
            keras1.add(f"{cls} layer")
        config = entry.get("config")
        if not isinstance(config, Mapping):
            continue
        for key in KERAS1_ARGS.intersection(config):
            keras1.add(f"`{key}` argument")
        if "output_dim" in config and cls not in OUTPUT_DIM_OK:
            keras1.add("`output_dim` argument")
        if cls in ("Dropout", "SpatialDropout1D", "SpatialDropout2D") and "p" in config:
            keras1.add("Dropout `p` argument")
        if "batch_shape" in config:
            keras3.add("`batch_shape` argument")
        dtype = config.get("dtype")
        if isinstance(dtype, Mapping) and (
            "module" in dtype or dtype.get("class_name") == "DTypePolicy"
        ):
            keras3.add("DTypePolicy `dtype` object")
    if keras1:
        return "keras1", sorted(keras1)
    if keras3:
        return "keras3", sorted(keras3)
    if len(entries) > 1:
        return "keras2", []
    return None, []


# --- Python code hidden in configs: Lambda layers and Keras 1 Merge modes -----------------------

# Config fields that may hold a function, with the sibling key Keras 1/2 used to say how it was
# serialized ("lambda" = marshalled bytecode, "function" = a name to import, "raw" = a value).
_FUNCTION_FIELDS = {
    "function": "function_type",
    "output_shape": "output_shape_type",
    "mask": "mask_type",
    "mode": "mode_type",
    "output_mask": "output_mask_type",
}
_BASE64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n\r")


def _code_string(value: Any) -> str | None:
    """The code string of a Keras 1/2 `func_dump` value: a string or [code, defaults, closure]."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and value and isinstance(value[0], str):
        return value[0]
    return None


def code_encoding(code: str) -> str:
    """Say how marshalled code was stored: "base64" (Keras 2+) or "raw" (Keras 1, latin-1 text)."""
    try:
        raw = code.encode("ascii")
    except UnicodeEncodeError:
        return "raw"
    return "base64" if raw and set(raw) <= _BASE64 else "raw"


def lambda_layers(model_config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every Lambda layer, and every layer holding marshalled Python code, at any depth.

    Each item: ``path``, ``class_name``, ``function_type`` ("lambda" for marshalled bytecode,
    "function" for a name looked up in ``module``, or None), ``module`` (as recorded, or None),
    ``marshalled`` (bool: some field holds marshalled Python bytecode, which loading would
    execute), ``marshalled_fields`` (which config keys) and ``code_encoding`` ("base64" or "raw",
    None when nothing is marshalled). Keras 1/2 mark marshalled code with ``<field>_type:
    "lambda"``; Keras 3 wraps it as ``{"class_name": "__lambda__", "config": {"code": ...}}``.
    Nothing is decoded, unmarshalled or executed: only the JSON shape is looked at.
    """
    out: list[dict[str, Any]] = []
    for path, entry in iter_layers(model_config):
        config = entry.get("config")
        if not isinstance(config, Mapping):
            continue
        marshalled: list[str] = []
        encodings: set[str] = set()
        for field, type_key in _FUNCTION_FIELDS.items():
            value = config.get(field)
            if isinstance(value, Mapping) and value.get("class_name") == "__lambda__":
                inner = value.get("config")
                code = inner.get("code") if isinstance(inner, Mapping) else None
                marshalled.append(field)
                encodings.add(code_encoding(code) if isinstance(code, str) else "base64")
            elif config.get(type_key) == "lambda" and _code_string(value) is not None:
                marshalled.append(field)
                encodings.add(code_encoding(_code_string(value) or ""))
        if entry.get("class_name") != "Lambda" and not marshalled:
            continue
        function = config.get("function")
        function_type = config.get("function_type") or config.get("mode_type")
        module = config.get("module")
        if isinstance(function, Mapping):
            if function.get("class_name") == "__lambda__":
                function_type = function_type or "lambda"
            elif function.get("class_name") == "function":
                function_type = function_type or "function"
            if module is None and isinstance(function.get("module"), str):
                module = function["module"]
        out.append(
            {
                "path": path,
                "class_name": entry.get("class_name"),
                "function_type": function_type if isinstance(function_type, str) else None,
                "module": module if isinstance(module, str) else None,
                "marshalled": bool(marshalled),
                "marshalled_fields": marshalled,
                "code_encoding": "/".join(sorted(encodings)) if encodings else None,
            }
        )
    return out


def _string_or_none(value: Any) -> str | None:
    """A class name as recorded, or None when a damaged file put a non-string there."""
    return value if isinstance(value, str) else None
