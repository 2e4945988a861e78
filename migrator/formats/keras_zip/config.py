"""What a `.keras` config.json records: who saved it, custom objects, code, compile settings.

These are facts read from the JSON tree, path by path, so a finding can point at the exact spot
(``config/layers/3/config/function``), including compile_config and custom layer arguments.
Deciding what a fact means for a given Keras release is left to `migrator.facts` and the rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from migrator.formats import keras_config
from migrator.formats.keras_zip.container import CONFIG, METADATA
from migrator.knowledge import versions
from migrator.knowledge.keras3 import (
    INPUT_LAYER_BATCH_INPUT_SHAPE_REJECTED_BY,
    KERAS2_ENGINE_MODULES,
    KERAS2_LAMBDA_KEYS,
    KERAS2_ONLY_OPTIMIZER_ARGS,
    KERAS_PACKAGES,
    MISSING_LAYERS,
    REJECTED_LAYER_ARGS,
)


def config_details(model_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every config fact, with empty values when config.json is missing or unreadable."""
    if model_config is None:
        return {
            **keras_config.summarize({}),
            "model_class": None,
            "lambda_layers": [],
            "lambda_entries": [],
            "custom_objects": [],
            "config_issues_for_keras3": [],
            **_compile_facts(None),
        }
    return {
        **keras_config.summarize(model_config),
        "lambda_layers": keras_config.lambda_layers(model_config),
        "lambda_entries": lambda_entries(model_config),
        "custom_objects": custom_objects(model_config),
        "config_issues_for_keras3": keras3_config_issues(model_config),
        **_compile_facts(model_config.get("compile_config")),
    }


def saved_by(
    keras_version: str | None, model_config: Mapping[str, Any] | None
) -> tuple[str | None, str | None]:
    """Keras 2 line (tf.keras / tf_keras) or Keras 3, from metadata first, else from the config."""
    major = versions.major(keras_version)
    if major == 2:
        return "tf.keras", f"{METADATA} keras_version={keras_version!r} (Keras 2 line)"
    if major is not None and major >= 3:
        return "keras3", f"{METADATA} keras_version={keras_version!r}"
    if model_config is None:
        return None, None
    for path, entry in entries(model_config):
        module = entry.get("module")
        if isinstance(module, str) and module.startswith(KERAS2_ENGINE_MODULES):
            return "tf.keras", f"{CONFIG} module {module!r} at {path or '(model)'} (tf.keras only)"
    for path, entry in entries(model_config):
        config = entry.get("config")
        if (
            entry.get("class_name") == "InputLayer"
            and isinstance(config, Mapping)
            and ("batch_shape" in config)
        ):
            return "keras3", f"{CONFIG} InputLayer `batch_shape` at {path} (Keras 3 only)"
        if entry.get("class_name") in ("DTypePolicy", "__lambda__"):
            return "keras3", f"{CONFIG} {entry['class_name']} entry at {path} (Keras 3 only)"
        module = entry.get("module")
        if isinstance(module, str) and module.startswith("keras.src.models"):
            return "keras3", f"{CONFIG} module {module!r} at {path or '(model)'} (Keras 3 only)"
    return None, None


def _compile_facts(compile_config: Any) -> dict[str, Any]:
    if not isinstance(compile_config, Mapping) or not compile_config:
        return {"compiled": False, "optimizer": None, "loss": None}
    return {
        "compiled": True,
        "optimizer": _object_name(compile_config.get("optimizer")),
        "loss": _object_name(compile_config.get("loss")),
    }


def _object_name(value: Any) -> Any:
    """How a serialized object is named: a string as is, an entry by class_name, lists/dicts mapped."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if isinstance(value.get("class_name"), str):
            inner = value.get("config")
            if value["class_name"] == "function" and isinstance(inner, str):
                return inner
            return value["class_name"]
        return {str(k): _object_name(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_object_name(v) for v in value]
    return repr(value)


# --- config facts ---------------------------------------------------------------------------------


def entries(value: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every serialized object (a dict with a string ``class_name``) anywhere in a JSON tree.

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


def lambda_entries(model_config: Mapping[str, Any]) -> list[str]:
    """Paths of every Keras 3 ``__lambda__`` entry (marshalled Python bytecode) in the config."""
    return [p for p, e in entries(model_config) if e.get("class_name") == "__lambda__"]


def custom_objects(model_config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Serialized objects Keras cannot build from its own modules: custom code needed to load.

    An entry counts when its ``module`` is outside keras/keras_hub/keras_cv/keras_nlp (Keras 3
    only imports modules of those packages; anything else must be registered), or when it has no
    module but a ``registered_name`` (how tf.keras 2.13+ records registered custom classes).
    """
    out = []
    for path, entry in entries(model_config):
        cls = entry["class_name"]
        if cls.startswith("__") or not ("module" in entry or "registered_name" in entry):
            continue
        module = entry.get("module")
        registered = entry.get("registered_name")
        if isinstance(module, str):
            custom = module.split(".", 1)[0] not in KERAS_PACKAGES | {"builtins"}
        else:
            custom = isinstance(registered, str) and bool(registered)
        if custom:
            out.append(
                {
                    "path": path or "(model)",
                    "class_name": cls,
                    "module": module if isinstance(module, str) else None,
                    "registered_name": registered if isinstance(registered, str) else None,
                }
            )
    return out


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
    - ``groups`` on depthwise/separable/transposed convolutions; ``kernel_*`` on SeparableConv;
      ``time_major`` on RNN layers; ``trainable`` on SpatialDropout/Discretization;
      ``query_shape``/``key_shape``/``value_shape`` on MultiHeadAttention (``unrecognized-arg``)
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
        for path, entry in entries(compile_config.get("loss"), "compile_config/loss"):
            config = entry.get("config")
            if not isinstance(config, Mapping):
                continue
            keys = [k for k in ("fn",) if k in config]
            if config.get("reduction") == "auto":
                keys.append("reduction='auto'")
            if keys:
                add(path, entry["class_name"], "loss-args", "loss config " + ", ".join(keys))
    return issues
