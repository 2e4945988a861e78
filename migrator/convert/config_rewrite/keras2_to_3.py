"""Keras 2 / tf.keras -> Keras 3: what Keras 3 no longer accepts in a model config.

`batch_input_shape` (now `batch_shape` on an explicit `InputLayer`), `time_major`,
`input_length`, `implementation`, `LeakyReLU(alpha)`, defaults that changed (`GRU.reset_after`),
the `Model` class name, legacy Lambda functions, tf.keras-only classes (cuDNN RNNs, TF-op layers).

An argument is only dropped when dropping it keeps what the model computes at inference (its value
is the default, or it only steered training or kernels); anything else raises `NoFaithfulMapping`
naming the layer and the argument. Which arguments and classes those are is release knowledge
(`knowledge.keras2_to_3`); this module applies it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from migrator.convert.config_rewrite.activations import hard_sigmoid_transforms
from migrator.convert.config_rewrite.result import WRAPPERS, Config, Rewrite, refuse_lambdas
from migrator.errors import NoFaithfulMapping
from migrator.formats.keras_config import MODEL_CLASSES
from migrator.knowledge.keras2_to_3 import (
    DROPPABLE_ARGS,
    INFERENCE_IDENTITY_CLASSES,
    INITIAL_STATE_LAYERS,
    RENAMED_ARGS,
    RENAMED_CLASSES,
    TF_OP_LAYER_CLASSES,
    UNNEST_SINGLE_ENDPOINTS,
)
from migrator.knowledge.keras3 import REMOVED_LAYER_CLASSES

# The values `DROPPABLE_ARGS` names, as predicates on the argument's value.
_CONDITIONS: dict[str, Callable[[Any], bool]] = {
    "any": lambda v: True,
    "falsy": lambda v: not v,
    "none": lambda v: v is None,
    "one": lambda v: v == 1,
}
# (class or "*", argument) -> predicate(value) saying dropping it keeps inference the same, and why.
_DROPPABLE: dict[tuple[str, str], tuple[Callable[[Any], bool], str]] = {
    key: (_CONDITIONS[condition], why) for key, (condition, why) in DROPPABLE_ARGS.items()
}


def keras2_to_keras3(config: Config, rw: Rewrite, *, unsafe: bool = False) -> Config:
    """Rewrite a Keras 2 / tf.keras model config into one Keras 3's deserializer builds."""
    out = _keras3_model(config, rw, top=True)
    if rw.lambdas and not unsafe:
        refuse_lambdas(rw.lambdas)
    return out


def _keras3_model(entry: Config, rw: Rewrite, top: bool = False) -> Config:
    cls = entry.get("class_name")
    inner = entry.get("config")
    if cls == "Sequential":
        layers = inner if isinstance(inner, list) else (inner or {}).get("layers", [])
        name = inner.get("name", "sequential") if isinstance(inner, dict) else "sequential"
        new_layers = [_keras3_layer(dict(layer), rw) for layer in layers]
        first = new_layers[0] if new_layers else None
        if first is not None and first["class_name"] != "InputLayer":
            shape = (layers[0].get("config") or {}).get("batch_input_shape")
            if shape is None and isinstance(inner, dict):
                shape = inner.get("build_input_shape")
            if shape is not None:
                dtype = (layers[0].get("config") or {}).get("dtype") or "float32"
                if isinstance(dtype, Mapping):  # a dtype policy
                    dtype = "float32"
                new_layers.insert(
                    0,
                    {
                        "module": "keras.layers",
                        "class_name": "InputLayer",
                        "registered_name": None,
                        "config": {
                            "batch_shape": list(shape),
                            "dtype": dtype,
                            "name": f"{_layer_name(first)}_input",
                        },
                    },
                )
                rw.note("Sequential: batch_input_shape of the first layer -> explicit InputLayer")
        new_inner: Config = {"name": name, "layers": new_layers}
        if isinstance(inner, dict) and "trainable" in inner:
            new_inner["trainable"] = inner["trainable"]
        out: Config = {
            "module": "keras",
            "class_name": "Sequential",
            "config": new_inner,
            "registered_name": None,
        }
    elif cls in ("Model", "Functional"):
        new_inner = dict(inner or {})
        new_layers = []
        for layer in new_inner.get("layers", []):
            new_layer = _keras3_layer(dict(layer), rw)
            new_layer["name"] = layer.get("name", _layer_name(new_layer))
            new_layer["inbound_nodes"] = layer.get("inbound_nodes", [])
            if str(layer.get("class_name")) in INITIAL_STATE_LAYERS:
                new_layer["inbound_nodes"] = [
                    _initial_state_node(node, new_layer["name"], rw)
                    for node in new_layer["inbound_nodes"]
                ]
            new_layers.append(new_layer)
        new_inner["layers"] = new_layers
        for key in UNNEST_SINGLE_ENDPOINTS:
            value = new_inner.get(key)
            if isinstance(value, list) and len(value) == 1 and _is_endpoint(value[0]):
                new_inner[key] = value[0]
        if cls == "Model":
            rw.note("functional model class 'Model' -> 'Functional'")
        out = {
            "module": "keras.src.models.functional",
            "class_name": "Functional",
            "config": new_inner,
            "registered_name": "Functional",
        }
    else:
        raise NoFaithfulMapping(
            _layer_name(entry),
            f"the model is a {cls!r} (a subclassed model); its architecture is Python code, "
            "not a config",
            "pass --model-factory module:function that builds it, or --custom-objects with the "
            "registered class",
        )
    if top:
        return out
    out["name"] = entry.get("name", out["config"].get("name"))
    return out


def _is_endpoint(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(v, int) for v in value[1:])
    )


def _initial_state_node(node: Any, name: str, rw: Rewrite) -> Any:
    """A Keras 2 inbound node `[[seq...], [state...], ...]` of a recurrent layer as the Keras 3
    node `{"args": [seq], "kwargs": {"initial_state": [states]}}`."""
    if not isinstance(node, list) or len(node) < 2 or not all(isinstance(i, list) for i in node):
        return node
    kwargs = dict(node[0][3]) if len(node[0]) > 3 and isinstance(node[0][3], Mapping) else {}

    def tensor(item: list[Any]) -> Config:
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": [None], "dtype": "float32", "keras_history": list(item[:3])},
        }

    kwargs["initial_state"] = [tensor(item) for item in node[1:]]
    rw.note(f"{name}: Keras 2 list input [sequence, *states] -> initial_state keyword")
    return {"args": [tensor(node[0])], "kwargs": kwargs}


def _layer_name(entry: Mapping[str, Any]) -> str:
    cfg = entry.get("config")
    if isinstance(cfg, Mapping) and cfg.get("name"):
        return str(cfg["name"])
    return str(entry.get("name") or entry.get("class_name"))


def _keras3_layer(layer: Config, rw: Rewrite) -> Config:
    cls = str(layer.get("class_name"))
    if cls in MODEL_CLASSES:
        return _keras3_model(layer, rw)
    cfg = dict(layer.get("config") or {})
    name = cfg.get("name", cls)
    if cls in TF_OP_LAYER_CLASSES:
        raise NoFaithfulMapping(
            name,
            f"layer {name!r} is a tf.keras {cls} (a raw TensorFlow op such as "
            f"{cfg.get('function', '?')!r} called in the functional API); Keras 3 has no such "
            "layer (no faithful mapping)",
            "rebuild the model with keras.ops or a custom layer and pass --model-factory",
        )
    if cls in INFERENCE_IDENTITY_CLASSES:
        rw.note(f"{name}: {cls} (training-only augmentation) -> Identity at inference")
        kept = {
            k: cfg[k] for k in ("name", "trainable", "dtype") if isinstance(cfg.get(k), (str, bool))
        }
        return {
            **{k: v for k, v in layer.items() if k != "config"},
            "class_name": "Identity",
            "config": kept,
        }
    if cls in REMOVED_LAYER_CLASSES and cls not in RENAMED_CLASSES and cls != "ThresholdedReLU":
        raise NoFaithfulMapping(
            name,
            f"layer {name!r} is a tf.keras {cls}, which Keras 3 does not have and no Keras 3 "
            f"layer computes the same function with the same weights (no faithful mapping for "
            f"{cls})",
            "rebuild that part of the model with Keras 3 layers (feature columns: "
            "keras.utils.FeatureSpace or preprocessing layers) and pass --model-factory",
        )
    if cls in RENAMED_CLASSES:
        new = RENAMED_CLASSES[cls]
        rw.note(f"{name}: {cls} -> {new} (same weights after the cuDNN layout conversion)")
        if new == "GRU":
            cfg.setdefault("reset_after", True)
            cfg.setdefault("recurrent_activation", "sigmoid")
        if new == "LSTM":
            cfg.setdefault("recurrent_activation", "sigmoid")
        cls = new
    if cls == "ThresholdedReLU":
        theta = cfg.pop("theta", 1.0)
        cfg["threshold"] = theta
        cfg["negative_slope"] = 0.0
        rw.note(f"{name}: ThresholdedReLU(theta={theta}) -> ReLU(threshold={theta})")
        cls = "ReLU"
    if cls == "Lambda":
        rw.lambdas.append(name)
        cfg = _keras3_lambda(cfg)
    if cls == "GRU" and "reset_after" not in cfg:
        cfg["reset_after"] = False
        rw.note(f"{name}: GRU without reset_after (Keras 2.0/2.1) -> reset_after=False")
    if rw.source_keras_major < 3:
        hard_sigmoid_transforms(cls, cfg, name, rw)
    if cls in WRAPPERS:
        for key in ("layer", "backward_layer"):
            if not isinstance(cfg.get(key), Mapping):
                continue
            cfg[key] = _with_module(_keras3_layer(dict(cfg[key]), rw))
            inner = rw.weight_transforms.pop(_layer_name(cfg[key]), None)
            if inner and key == "layer":  # a backward layer mirrors the forward one's config
                halves = cls == "Bidirectional" and key == "layer"
                rw.weight_transforms.setdefault(name, []).extend(
                    {**t, "bidirectional": halves} for t in inner
                )
    if cls in ("RNN", "StackedRNNCells") or isinstance(cfg.get("cell"), Mapping):
        if isinstance(cfg.get("cell"), Mapping):
            cfg["cell"] = _with_module(_keras3_layer(dict(cfg["cell"]), rw))
        if isinstance(cfg.get("cells"), list):
            cfg["cells"] = [_with_module(_keras3_layer(dict(c), rw)) for c in cfg["cells"]]
    shape = cfg.pop("batch_input_shape", None)
    if cls == "InputLayer":
        if shape is not None:
            cfg["batch_shape"] = shape
            rw.note("InputLayer: batch_input_shape -> batch_shape")
        if "input_dtype" in cfg:
            cfg["dtype"] = cfg.pop("input_dtype")
    for key in list(cfg):
        if (cls, key) in RENAMED_ARGS:
            cfg[RENAMED_ARGS[(cls, key)]] = cfg.pop(key)
            rw.note(f"{name}: {cls}.{key} -> {RENAMED_ARGS[(cls, key)]}")
            continue
        rule = _DROPPABLE.get((cls, key)) or _DROPPABLE.get(("*", key))
        if rule is None or (cls == "InputLayer" and key in ("ragged", "batch_size")):
            continue
        predicate, why = rule
        value = cfg[key]
        if predicate(value):
            del cfg[key]
            if key not in ("implementation", "fused") and not key.endswith("_shape"):
                rw.note(f"{name}: dropped {key}={value!r} ({why})")
        else:
            raise NoFaithfulMapping(
                name,
                f"layer {name!r} ({cls}) sets {key}={value!r}, which Keras 3 no longer supports "
                f"(no faithful mapping for {cls}.{key})",
                "rebuild that layer in your code and pass --model-factory module:function",
            )
    if cls in ("BatchNormalization",) and isinstance(cfg.get("axis"), list):
        if len(cfg["axis"]) != 1:
            raise NoFaithfulMapping(
                name,
                f"BatchNormalization {name!r} normalizes over axes {cfg['axis']}; Keras 3 "
                "takes one axis (no faithful mapping)",
                "rebuild it with --model-factory",
            )
        cfg["axis"] = int(cfg["axis"][0])
    if isinstance(cfg.get("dtype"), Mapping):
        cfg["dtype"] = _dtype_policy(cfg["dtype"])
    for key, value in list(cfg.items()):
        if key.endswith("_initializer") and isinstance(value, Mapping):
            cfg[key] = _initializer(value)
    out = {k: v for k, v in layer.items() if k not in ("config", "class_name")}
    out["class_name"] = cls
    out["config"] = cfg
    return out


def _with_module(entry: Config) -> Config:
    """Layers nested in wrappers and RNNs are deserialized by Keras 3's new-style loader, which
    needs `module`; built-in classes live in `keras.layers` (custom ones are still found by name
    in the custom objects first)."""
    if "module" not in entry:
        entry = {"module": "keras.layers", **entry, "registered_name": entry.get("registered_name")}
    return entry


def _dtype_policy(value: Mapping[str, Any]) -> Any:
    """tf.keras `Policy` / Keras 3 `DTypePolicy` dicts -> the policy name Keras 3 accepts."""
    cfg = value.get("config")
    if isinstance(cfg, Mapping) and isinstance(cfg.get("name"), str):
        return cfg["name"]
    return "float32"


def _initializer(value: Mapping[str, Any]) -> Mapping[str, Any]:
    cfg = value.get("config")
    if not isinstance(cfg, Mapping):
        return value
    cfg = dict(cfg)
    cfg.pop("dtype", None)  # tf.keras 1.x initializers recorded a dtype Keras 3 rejects
    if value.get("class_name") == "VarianceScaling" and cfg.get("distribution") == "normal":
        cfg["distribution"] = "truncated_normal"  # what Keras 2.1+ meant by "normal"
    return {**value, "config": cfg}


def _keras3_lambda(cfg: Config) -> Config:
    function = cfg.get("function")
    if isinstance(function, list) and cfg.get("function_type", "lambda") == "lambda":
        cfg["function"] = {
            "class_name": "__lambda__",
            "config": {"code": function[0], "defaults": function[1], "closure": function[2]},
        }
    shape = cfg.get("output_shape")
    if (
        isinstance(shape, list)
        and len(shape) == 3
        and isinstance(shape[0], str)
        and (cfg.get("output_shape_type") == "lambda")
    ):
        cfg["output_shape"] = {
            "class_name": "__lambda__",
            "config": {"code": shape[0], "defaults": shape[1], "closure": shape[2]},
        }
    return cfg
