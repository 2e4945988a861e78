"""What a `.keras` config.json records: who saved it, custom objects, code, compile settings.

These are facts read from the JSON tree, path by path, so a finding can point at the exact spot
(``config/layers/3/config/function``), including compile_config and custom layer arguments.
Deciding what a fact means for a given Keras release is left to `migrator.facts` and the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.formats import keras_config
from migrator.formats.keras_zip.container import CONFIG, METADATA
from migrator.knowledge import versions
from migrator.knowledge.keras3 import KERAS2_ENGINE_MODULES, KERAS_PACKAGES


def config_details(model_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every config fact, with empty values when config.json is missing or unreadable."""
    if model_config is None:
        return {
            **keras_config.summarize({}),
            "model_class": None,
            "lambda_layers": [],
            "lambda_entries": [],
            "custom_objects": [],
            **_compile_facts(None),
        }
    return {
        **keras_config.summarize(model_config),
        "lambda_layers": keras_config.lambda_layers(model_config),
        "lambda_entries": lambda_entries(model_config),
        "custom_objects": custom_objects(model_config),
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
    for path, entry in keras_config.serialized_objects(model_config):
        module = entry.get("module")
        if isinstance(module, str) and module.startswith(KERAS2_ENGINE_MODULES):
            return "tf.keras", f"{CONFIG} module {module!r} at {path or '(model)'} (tf.keras only)"
    for path, entry in keras_config.serialized_objects(model_config):
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


def lambda_entries(model_config: Mapping[str, Any]) -> list[str]:
    """Paths of every Keras 3 ``__lambda__`` entry (marshalled Python bytecode) in the config."""
    return [
        p
        for p, e in keras_config.serialized_objects(model_config)
        if e.get("class_name") == "__lambda__"
    ]


def custom_objects(model_config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Serialized objects Keras cannot build from its own modules: custom code needed to load.

    An entry counts when its ``module`` is outside keras/keras_hub/keras_cv/keras_nlp (Keras 3
    only imports modules of those packages; anything else must be registered), or when it has no
    module but a ``registered_name`` (how tf.keras 2.13+ records registered custom classes).
    """
    out = []
    for path, entry in keras_config.serialized_objects(model_config):
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
