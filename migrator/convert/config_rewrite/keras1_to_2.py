"""Keras 1 -> Keras 2: layer classes and argument names, as Keras 2.0 itself converted them.

Keras 2.0 loaded Keras 1 configs through `keras/legacy/interfaces.py`:
`Convolution2D(nb_filter, nb_row, nb_col, subsample, border_mode, dim_ordering)` became
`Conv2D(filters, kernel_size, strides, padding, data_format)`, `Dense(output_dim)` became
`Dense(units)`, `merge(mode="concat")` became `Concatenate`, and so on. The renames are release
facts (`knowledge.keras1`); this module applies them, plus what Keras 1 spelled with separate
arguments (kernel shapes, input dims) and what has no faithful mapping (`NoFaithfulMapping`).
The Keras 2 form is also what the tf.keras runtimes build when they validate a Keras 1 source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.convert.config_rewrite.result import WRAPPERS, Config, Rewrite
from migrator.errors import NoFaithfulMapping
from migrator.formats.keras_config import MODEL_CLASSES
from migrator.knowledge.keras1 import (
    KERAS1_CLASS_RENAMES,
    KERAS1_CONSUME_LESS,
    KERAS1_DIM_ORDERING,
    KERAS1_INITIALIZERS,
    KERAS1_MERGE_MODES,
    KERAS1_REGULARIZERS,
    KERAS1_REMOVED_LAYERS,
    KERAS1_WRAPPED_EQUIVALENTS,
)


def keras1_to_keras2(config: Config, rw: Rewrite) -> Config:
    """Rewrite a Keras 1 model config (Sequential list or functional dict) into Keras 2 form."""
    cls = config.get("class_name")
    inner = config.get("config")
    if cls == "Sequential":
        layers = inner if isinstance(inner, list) else (inner or {}).get("layers", [])
        if any(layer.get("class_name") == "Merge" for layer in layers):
            raise NoFaithfulMapping(
                config.get("config", {}).get("name", "model")
                if isinstance(inner, dict)
                else "model",
                "a Keras 1 Sequential model that starts with a Merge of branch models has no "
                "faithful Keras 2/3 layout that migrator builds automatically",
                "rebuild it with the functional API in your code and pass --model-factory "
                "module:function together with the weights file",
            )
        name = inner.get("name") if isinstance(inner, dict) else None
        new_layers = [_keras1_layer(layer, rw) for layer in layers]
        out: Config = {
            "class_name": "Sequential",
            "config": {"name": name or "sequential", "layers": new_layers},
        }
        rw.note("Keras 1 Sequential layer list converted to the Keras 2 layout")
        return out
    if cls in ("Model", "Functional") and isinstance(inner, dict):
        new_inner = dict(inner)
        new_inner["layers"] = [
            _keras1_layer(layer, rw, functional=True) for layer in inner.get("layers", [])
        ]
        for key in ("input_layers", "output_layers"):
            new_inner[key] = [list(item[:3]) for item in inner.get(key, [])]
        return {"class_name": "Model", "config": new_inner}
    raise NoFaithfulMapping(
        "model", f"unexpected Keras 1 model class {cls!r}", "pass --model-factory module:function"
    )


def _keras1_layer(layer: Config, rw: Rewrite, functional: bool = False) -> Config:
    cls = str(layer.get("class_name"))
    cfg = dict(layer.get("config") or {})
    name = cfg.get("name") or layer.get("name") or cls
    if cls in KERAS1_REMOVED_LAYERS:
        raise NoFaithfulMapping(
            name,
            f"layer {name!r} is a Keras 1 {cls}; {KERAS1_REMOVED_LAYERS[cls]} and no layer "
            f"computes the same function with the same weights (no faithful mapping for {cls})",
            "rebuild that part of the model in your code and pass --model-factory module:function",
        )
    if cls in MODEL_CLASSES:  # a nested Keras 1 model
        nested = keras1_to_keras2(layer, rw)
        out = dict(nested)
    elif cls == "Merge":
        out = _keras1_merge(name, cfg, rw)
    elif cls in KERAS1_WRAPPED_EQUIVALENTS:
        out = _keras1_wrapped(name, cls, cfg, rw)
    else:
        new_cls, renames = KERAS1_CLASS_RENAMES.get(cls, (cls, {}))
        new_cfg = _keras1_args(name, cls, cfg, renames, rw)
        if cls in WRAPPERS and isinstance(cfg.get("layer"), Mapping):
            new_cfg["layer"] = _keras1_layer(dict(cfg["layer"]), rw)
        if new_cls != cls:
            rw.note(f"{name}: Keras 1 {cls} -> {new_cls}")
        out = {"class_name": new_cls, "config": new_cfg}
    if functional:
        out["name"] = layer.get("name", name)
        out["inbound_nodes"] = [
            [[*item[:3], item[3] if len(item) > 3 else {}] for item in node]
            for node in layer.get("inbound_nodes", [])
        ]
    return out


def _keras1_wrapped(name: str, cls: str, cfg: Mapping[str, Any], rw: Rewrite) -> Config:
    """A Keras 1 layer that is a wrapper around another (`TimeDistributedDense`): the wrapper
    keeps the name and the input shape, the wrapped layer gets the layer's own arguments."""
    wrapper, inner_cls = KERAS1_WRAPPED_EQUIVALENTS[cls]
    shape_keys = ("input_dim", "input_length", "batch_input_shape", "input_shape", "name")
    own = {k: v for k, v in cfg.items() if k not in shape_keys and k != "trainable"}
    inner = _keras1_args(name, inner_cls, own, KERAS1_CLASS_RENAMES[inner_cls][1], rw)
    inner["name"] = f"{name}_{inner_cls.lower()}"
    out_cfg: Config = {
        "name": name,
        "trainable": cfg.get("trainable", True),
        "layer": {"class_name": inner_cls, "config": inner},
    }
    shape = cfg.get("batch_input_shape")
    if shape is None and cfg.get("input_dim") is not None:
        shape = [None, cfg.get("input_length"), cfg["input_dim"]]
    if shape is not None:
        out_cfg["batch_input_shape"] = list(shape)
    rw.note(f"{name}: Keras 1 {cls} -> {wrapper}({inner_cls}) (same weights)")
    return {"class_name": wrapper, "config": out_cfg}


def _keras1_merge(name: str, cfg: Mapping[str, Any], rw: Rewrite) -> Config:
    mode = cfg.get("mode")
    if (
        cfg.get("mode_type", "raw") != "raw"
        or not isinstance(mode, str)
        or mode not in KERAS1_MERGE_MODES
    ):
        raise NoFaithfulMapping(
            name,
            f"Keras 1 Merge layer {name!r} uses mode {mode!r}; only sum, mul, ave, max, concat "
            "and dot have Keras 2/3 equivalents (no faithful mapping for this mode)",
            "rebuild the merge in your code and pass --model-factory module:function",
        )
    new_cls = KERAS1_MERGE_MODES[mode]
    new_cfg: Config = {"name": name, "trainable": cfg.get("trainable", True)}
    if new_cls == "Concatenate":
        new_cfg["axis"] = cfg.get("concat_axis", -1)
    if new_cls == "Dot":
        axes = cfg.get("dot_axes", -1)
        new_cfg["axes"] = axes
        new_cfg["normalize"] = False
    rw.note(f"{name}: Keras 1 Merge(mode={mode!r}) -> {new_cls}")
    return {"class_name": new_cls, "config": new_cfg}


def _keras1_args(
    name: str, cls: str, cfg: Mapping[str, Any], renames: Mapping[str, str], rw: Rewrite
) -> Config:
    out: Config = {}
    for key, value in cfg.items():
        new_key = renames.get(key, "dtype" if key == "input_dtype" else key)
        if key == "dim_ordering":
            value = KERAS1_DIM_ORDERING.get(value, value)
        elif key == "consume_less":
            value = KERAS1_CONSUME_LESS.get(value, 2)
        elif key == "init" or key.endswith("_init"):
            value = KERAS1_INITIALIZERS.get(value, value) if isinstance(value, str) else value
        elif key.endswith("_regularizer") or key == "W_regularizer":
            value = _keras1_regularizer(value)
        elif key.endswith("_constraint"):
            value = _keras1_constraint(value)
        out[new_key] = value
    # Keras 1 spelled some shapes with separate arguments.
    if (
        cls
        in (
            "Convolution2D",
            "AtrousConvolution2D",
            "Deconvolution2D",
            "SeparableConvolution2D",
            "ConvLSTM2D",
        )
        and "nb_row" in out
    ):
        out["kernel_size"] = [out.pop("nb_row"), out.pop("nb_col")]
    if cls == "Convolution3D" and "kernel_dim1" in out:
        out["kernel_size"] = [
            out.pop("kernel_dim1"),
            out.pop("kernel_dim2"),
            out.pop("kernel_dim3"),
        ]
    if cls == "Deconvolution2D":
        out.pop("output_shape", None)
    if cls == "SeparableConvolution2D" and "kernel_initializer" in out:
        init = out.pop("kernel_initializer")
        out["depthwise_initializer"] = out["pointwise_initializer"] = init
    if cls in ("LSTM", "ConvLSTM2D") and "forget_bias_init" in out:
        out["unit_forget_bias"] = out.pop("forget_bias_init") in ("one", "ones")
    if cls == "GRU":
        out["reset_after"] = False  # Keras 1 GRU applies the reset gate before the matmul
    if cls == "BatchNormalization":
        mode = out.pop("mode", 0)
        if mode != 0:
            raise NoFaithfulMapping(
                name,
                f"BatchNormalization {name!r} uses Keras 1 mode={mode} (per-sample or batch "
                "statistics at inference); Keras 2 and 3 only have mode 0 (no faithful mapping)",
                "retrain that layer or rebuild it with --model-factory",
            )
    if cls == "Embedding":
        dropout = out.pop("dropout", 0)
        if dropout:
            rw.note(
                f"{name}: Keras 1 Embedding dropout={dropout} dropped (training-time only; "
                "add SpatialDropout1D after the Embedding to train the same way)"
            )
    if cls in ("Dense", "Convolution1D", "AtrousConvolution1D", "LSTM", "GRU", "SimpleRNN"):
        input_dim = out.pop("input_dim", None)
        input_length = out.pop("input_length", None)
        if "batch_input_shape" not in out and input_dim is not None:
            if cls == "Dense":
                out["batch_input_shape"] = [None, input_dim]
            else:
                out["batch_input_shape"] = [None, input_length, input_dim]
    if "function" in out and cls == "Lambda":
        rw.lambdas.append(name)
    return out


def _keras1_regularizer(value: Any) -> Any:
    if isinstance(value, Mapping) and "name" in value and "class_name" not in value:
        cfg = {k: v for k, v in value.items() if k != "name"}
        cls = KERAS1_REGULARIZERS.get(value["name"], value["name"])
        if cls == "L1L2":
            cfg = {"l1": float(cfg.get("l1", 0.0)), "l2": float(cfg.get("l2", 0.0))}
        return {"class_name": cls, "config": cfg}
    return value


def _keras1_constraint(value: Any) -> Any:
    if isinstance(value, Mapping) and "name" in value and "class_name" not in value:
        cfg = {k: v for k, v in value.items() if k != "name"}
        return {"class_name": value["name"], "config": cfg}
    return value
