"""Rewrite Keras model configs of every era into configs Keras 3 builds, pure Python.

Two hops, each a plain function of a JSON value:

- `keras1_to_keras2`: Keras 1 layer classes and argument names to their Keras 2 equivalents,
  following the conversions Keras 2.0 itself applied (`keras/legacy/interfaces.py`):
  `Convolution2D(nb_filter, nb_row, nb_col, subsample, border_mode, dim_ordering)` becomes
  `Conv2D(filters, kernel_size, strides, padding, data_format)`, `Dense(output_dim)` becomes
  `Dense(units)`, `merge(mode="concat")` becomes `Concatenate`, and so on.
- `keras2_to_keras3`: what Keras 3 no longer accepts: `batch_input_shape` (now `batch_shape` on an
  explicit `InputLayer`), `time_major`, `input_length`, `implementation`, `LeakyReLU(alpha)`,
  defaults that changed (`GRU.reset_after`), the `Model` class name, legacy Lambda functions.

An argument is only dropped when dropping it keeps what the model computes at inference (its value
is the default, or it only steered training or kernels); anything else raises `NoFaithfulMapping`
naming the layer and the argument. Every change is recorded in `Rewrite.changes` so the metadata
of the converted model says what was done. The Keras 2 form is also what the tf.keras runtimes
build when they validate a Keras 1 source.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import NoFaithfulMapping, UnsafeContent
from migrator.formats.keras_config import MODEL_CLASSES
from migrator.knowledge.keras1 import is_keras1
from migrator.knowledge.versions import major

Config = dict[str, Any]

_DIM_ORDERING = {"tf": "channels_last", "th": "channels_first", "default": None}
_KERAS1_INITIALIZERS = {
    "zero": "zeros",
    "one": "ones",
    "uniform": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05}},
    "normal": {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05}},
}
_WRAPPERS = ("TimeDistributed", "Bidirectional")
_RNN = ("LSTM", "GRU", "SimpleRNN", "ConvLSTM2D", "CuDNNLSTM", "CuDNNGRU", "RNN")


@dataclass
class Rewrite:
    """A rewritten config and what was changed to get it."""

    config: Config
    changes: list[str] = field(default_factory=list)
    # layer name -> Keras class name of the source layer, for weight layout conversion
    source_classes: dict[str, str] = field(default_factory=dict)
    lambdas: list[str] = field(default_factory=list)
    # Major Keras version that wrote the config (1, 2 or 3): activations changed meaning in 3.
    source_keras_major: int = 2
    # layer name -> weight transforms (see weight_layouts.apply_transforms) that keep the layer
    # computing the same function after an activation changed meaning.
    weight_transforms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def note(self, message: str) -> None:
        if message not in self.changes:
            self.changes.append(message)


def rewrite(
    config: Mapping[str, Any],
    *,
    keras_version: str | None = None,
    unsafe: bool = False,
    target: str = "keras3",
) -> Rewrite:
    """Rewrite a whole model config for `target` ("keras3", or "keras2" for tf.keras runtimes)."""
    result = Rewrite(copy.deepcopy(dict(config)))
    _record_classes(result.config, result.source_classes)
    keras1 = is_keras1(keras_version, config)
    result.source_keras_major = 1 if keras1 else (major(keras_version) or 2)
    if keras1:
        result.config = keras1_to_keras2(result.config, result)
    if target == "keras3":
        result.config = keras2_to_keras3(result.config, result, unsafe=unsafe)
    elif result.lambdas and not unsafe:
        _refuse_lambdas(result.lambdas)
    return result


def _record_classes(entry: Mapping[str, Any], out: dict[str, str]) -> None:
    from migrator.formats.keras_config import iter_layers, layer_name

    for _, layer in iter_layers(entry):
        out.setdefault(layer_name(layer), str(layer.get("class_name")))


# --------------------------------------------------------------------------- Keras 1 -> Keras 2

_COMMON_RENAMES = {
    "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "dim_ordering": "data_format",
    "border_mode": "padding",
    "input_dtype": "dtype",
}
_RECURRENT_RENAMES = {
    **_COMMON_RENAMES,
    "output_dim": "units",
    "inner_init": "recurrent_initializer",
    "inner_activation": "recurrent_activation",
    "U_regularizer": "recurrent_regularizer",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "consume_less": "implementation",
}

# Keras 1 class -> (Keras 2 class, argument renames)
_KERAS1_CLASSES: dict[str, tuple[str, Mapping[str, str]]] = {
    "Dense": ("Dense", {**_COMMON_RENAMES, "output_dim": "units"}),
    "Convolution1D": (
        "Conv1D",
        {
            **_COMMON_RENAMES,
            "nb_filter": "filters",
            "filter_length": "kernel_size",
            "subsample_length": "strides",
        },
    ),
    "AtrousConvolution1D": (
        "Conv1D",
        {
            **_COMMON_RENAMES,
            "nb_filter": "filters",
            "filter_length": "kernel_size",
            "subsample_length": "strides",
            "atrous_rate": "dilation_rate",
        },
    ),
    "Convolution2D": (
        "Conv2D",
        {**_COMMON_RENAMES, "nb_filter": "filters", "subsample": "strides"},
    ),
    "AtrousConvolution2D": (
        "Conv2D",
        {
            **_COMMON_RENAMES,
            "nb_filter": "filters",
            "subsample": "strides",
            "atrous_rate": "dilation_rate",
        },
    ),
    "Deconvolution2D": (
        "Conv2DTranspose",
        {**_COMMON_RENAMES, "nb_filter": "filters", "subsample": "strides"},
    ),
    "Convolution3D": (
        "Conv3D",
        {**_COMMON_RENAMES, "nb_filter": "filters", "subsample": "strides"},
    ),
    "SeparableConvolution2D": (
        "SeparableConv2D",
        {**_COMMON_RENAMES, "nb_filter": "filters", "subsample": "strides"},
    ),
    "MaxPooling1D": (
        "MaxPooling1D",
        {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"},
    ),
    "AveragePooling1D": (
        "AveragePooling1D",
        {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"},
    ),
    "MaxPooling2D": ("MaxPooling2D", {"border_mode": "padding", "dim_ordering": "data_format"}),
    "AveragePooling2D": (
        "AveragePooling2D",
        {"border_mode": "padding", "dim_ordering": "data_format"},
    ),
    "MaxPooling3D": ("MaxPooling3D", {"border_mode": "padding", "dim_ordering": "data_format"}),
    "AveragePooling3D": (
        "AveragePooling3D",
        {"border_mode": "padding", "dim_ordering": "data_format"},
    ),
    "GlobalMaxPooling2D": ("GlobalMaxPooling2D", {"dim_ordering": "data_format"}),
    "GlobalAveragePooling2D": ("GlobalAveragePooling2D", {"dim_ordering": "data_format"}),
    "GlobalMaxPooling1D": ("GlobalMaxPooling1D", {}),
    "GlobalAveragePooling1D": ("GlobalAveragePooling1D", {}),
    "UpSampling1D": ("UpSampling1D", {"length": "size"}),
    "UpSampling2D": ("UpSampling2D", {"dim_ordering": "data_format"}),
    "UpSampling3D": ("UpSampling3D", {"dim_ordering": "data_format"}),
    "ZeroPadding1D": ("ZeroPadding1D", {}),
    "ZeroPadding2D": ("ZeroPadding2D", {"dim_ordering": "data_format"}),
    "ZeroPadding3D": ("ZeroPadding3D", {"dim_ordering": "data_format"}),
    "Cropping1D": ("Cropping1D", {}),
    "Cropping2D": ("Cropping2D", {"dim_ordering": "data_format"}),
    "Cropping3D": ("Cropping3D", {"dim_ordering": "data_format"}),
    "Dropout": ("Dropout", {"p": "rate"}),
    "SpatialDropout1D": ("SpatialDropout1D", {"p": "rate"}),
    "SpatialDropout2D": ("SpatialDropout2D", {"p": "rate", "dim_ordering": "data_format"}),
    "SpatialDropout3D": ("SpatialDropout3D", {"p": "rate", "dim_ordering": "data_format"}),
    "GaussianDropout": ("GaussianDropout", {"p": "rate"}),
    "GaussianNoise": ("GaussianNoise", {"sigma": "stddev"}),
    "Embedding": (
        "Embedding",
        {
            "init": "embeddings_initializer",
            "W_regularizer": "embeddings_regularizer",
            "W_constraint": "embeddings_constraint",
        },
    ),
    "LSTM": ("LSTM", _RECURRENT_RENAMES),
    "GRU": ("GRU", _RECURRENT_RENAMES),
    "SimpleRNN": ("SimpleRNN", _RECURRENT_RENAMES),
    "ConvLSTM2D": (
        "ConvLSTM2D",
        {**_RECURRENT_RENAMES, "nb_filter": "filters", "subsample": "strides"},
    ),
    "BatchNormalization": (
        "BatchNormalization",
        {"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"},
    ),
    "PReLU": ("PReLU", {"init": "alpha_initializer"}),
    "LeakyReLU": ("LeakyReLU", {}),
    "ELU": ("ELU", {}),
    "ThresholdedReLU": ("ThresholdedReLU", {}),
    "Activation": ("Activation", {}),
    "Flatten": ("Flatten", {}),
    "Reshape": ("Reshape", {}),
    "Permute": ("Permute", {}),
    "RepeatVector": ("RepeatVector", {}),
    "Masking": ("Masking", {}),
    "InputLayer": ("InputLayer", {"input_dtype": "dtype"}),
    "TimeDistributed": ("TimeDistributed", {}),
    "Bidirectional": ("Bidirectional", {}),
    "Lambda": ("Lambda", {}),
    "Merge": ("Merge", {}),
}

# Keras 1 layers Keras 2 dropped without a replacement that computes the same thing.
_KERAS1_GONE: dict[str, str] = {
    "Highway": "Keras 2 removed Highway layers",
    "MaxoutDense": "Keras 2 removed MaxoutDense",
    "TimeDistributedDense": "Keras 2 removed TimeDistributedDense",
    "SReLU": "Keras 2 removed SReLU",
    "ParametricSoftplus": "Keras 2 removed ParametricSoftplus",
    "ThresholdedLinear": "Keras 2 removed ThresholdedLinear",
    "AutoEncoder": "Keras 2 removed AutoEncoder",
    "LocallyConnected1D": "Keras 3 removed LocallyConnected1D",
    "LocallyConnected2D": "Keras 3 removed LocallyConnected2D",
    "ActivityRegularization": "",  # exists in Keras 2/3 with the same arguments
}

_MERGE_MODES = {
    "sum": "Add",
    "mul": "Multiply",
    "ave": "Average",
    "max": "Maximum",
    "concat": "Concatenate",
    "dot": "Dot",
}


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
    if cls in _KERAS1_GONE and _KERAS1_GONE[cls]:
        raise NoFaithfulMapping(
            name,
            f"layer {name!r} is a Keras 1 {cls}; {_KERAS1_GONE[cls]} and no layer computes the "
            f"same function with the same weights (no faithful mapping for {cls})",
            "rebuild that part of the model in your code and pass --model-factory module:function",
        )
    if cls in MODEL_CLASSES:  # a nested Keras 1 model
        nested = keras1_to_keras2(layer, rw)
        out = dict(nested)
    elif cls == "Merge":
        out = _keras1_merge(name, cfg, rw)
    else:
        new_cls, renames = _KERAS1_CLASSES.get(cls, (cls, {}))
        new_cfg = _keras1_args(name, cls, cfg, renames, rw)
        if cls in _WRAPPERS and isinstance(cfg.get("layer"), Mapping):
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


def _keras1_merge(name: str, cfg: Mapping[str, Any], rw: Rewrite) -> Config:
    mode = cfg.get("mode")
    if (
        cfg.get("mode_type", "raw") != "raw"
        or not isinstance(mode, str)
        or mode not in _MERGE_MODES
    ):
        raise NoFaithfulMapping(
            name,
            f"Keras 1 Merge layer {name!r} uses mode {mode!r}; only sum, mul, ave, max, concat "
            "and dot have Keras 2/3 equivalents (no faithful mapping for this mode)",
            "rebuild the merge in your code and pass --model-factory module:function",
        )
    new_cls = _MERGE_MODES[mode]
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
            value = _DIM_ORDERING.get(value, value)
        elif key == "consume_less":
            value = {"cpu": 0, "mem": 1, "gpu": 2}.get(value, 2)
        elif key == "init" or key.endswith("_init"):
            value = _KERAS1_INITIALIZERS.get(value, value) if isinstance(value, str) else value
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
        cls = {"L1L2Regularizer": "L1L2", "WeightRegularizer": "L1L2"}.get(
            value["name"], value["name"]
        )
        if cls == "L1L2":
            cfg = {"l1": float(cfg.get("l1", 0.0)), "l2": float(cfg.get("l2", 0.0))}
        return {"class_name": cls, "config": cfg}
    return value


def _keras1_constraint(value: Any) -> Any:
    if isinstance(value, Mapping) and "name" in value and "class_name" not in value:
        cfg = {k: v for k, v in value.items() if k != "name"}
        return {"class_name": value["name"], "config": cfg}
    return value


# --------------------------------------------------------------------------- Keras 2 -> Keras 3

# (class or "*", argument) -> predicate(value) saying dropping it keeps inference the same,
# and why it can go.
_DROPPABLE: dict[tuple[str, str], tuple[Callable[[Any], bool], str]] = {
    ("*", "time_major"): (lambda v: not v, "Keras 3 recurrent layers are always batch-major"),
    ("*", "implementation"): (lambda v: True, "only chose a kernel; Keras 3 picks its own"),
    ("*", "input_length"): (lambda v: True, "a shape hint now carried by the input layer"),
    ("*", "dynamic"): (lambda v: not v, "Keras 3 has no dynamic layers"),
    ("*", "batch_size"): (lambda v: v is None, "unused"),
    ("*", "ragged"): (lambda v: not v, "not ragged"),
    ("*", "noise_shape"): (lambda v: v is None, "default noise shape"),
    ("*", "fused"): (lambda v: True, "only chose a kernel"),
    ("*", "virtual_batch_size"): (lambda v: v is None, "not used"),
    ("*", "adjustment"): (lambda v: v is None, "not used"),
    ("*", "query_shape"): (lambda v: True, "build shapes are recomputed"),
    ("*", "key_shape"): (lambda v: True, "build shapes are recomputed"),
    ("*", "value_shape"): (lambda v: True, "build shapes are recomputed"),
    ("*", "weights"): (lambda v: v is None, "no initial weights"),
    ("Conv1DTranspose", "groups"): (lambda v: v == 1, "one group"),
    ("Conv2DTranspose", "groups"): (lambda v: v == 1, "one group"),
    ("Conv3DTranspose", "groups"): (lambda v: v == 1, "one group"),
    ("DepthwiseConv1D", "groups"): (lambda v: v == 1, "one group"),
    ("DepthwiseConv2D", "groups"): (lambda v: v == 1, "one group"),
    ("SeparableConv1D", "groups"): (lambda v: v == 1, "one group"),
    ("SeparableConv2D", "groups"): (lambda v: v == 1, "one group"),
    ("SeparableConv1D", "kernel_initializer"): (lambda v: True, "unused by separable convs"),
    ("SeparableConv2D", "kernel_initializer"): (lambda v: True, "unused by separable convs"),
    ("SeparableConv1D", "kernel_regularizer"): (lambda v: v is None, "unused"),
    ("SeparableConv2D", "kernel_regularizer"): (lambda v: v is None, "unused"),
    ("SeparableConv1D", "kernel_constraint"): (lambda v: v is None, "unused"),
    ("SeparableConv2D", "kernel_constraint"): (lambda v: v is None, "unused"),
    ("Embedding", "sparse"): (lambda v: not v, "dense lookups"),
    ("Lambda", "function_type"): (lambda v: True, "legacy Lambda bookkeeping"),
    ("Lambda", "module"): (lambda v: True, "legacy Lambda bookkeeping"),
    ("Lambda", "output_shape_type"): (lambda v: True, "legacy Lambda bookkeeping"),
    ("Lambda", "output_shape_module"): (lambda v: True, "legacy Lambda bookkeeping"),
}
_RENAMED: dict[tuple[str, str], str] = {
    ("LeakyReLU", "alpha"): "negative_slope",
}
# tf.keras classes Keras 3 has under another name and the same maths.
_RENAMED_CLASSES: dict[str, str] = {
    "CuDNNLSTM": "LSTM",
    "CuDNNGRU": "GRU",
}
# TensorFlow-op layers that tf.keras created when raw TF ops were called in the functional API.
_TF_OP_LAYERS = (
    "TFOpLambda",
    "SlicingOpLambda",
    "TensorFlowOpLayer",
    "ClassMethod",
    "InstanceMethod",
    "InstanceProperty",
)


def keras2_to_keras3(config: Config, rw: Rewrite, *, unsafe: bool = False) -> Config:
    """Rewrite a Keras 2 / tf.keras model config into one Keras 3's deserializer builds."""
    out = _keras3_model(config, rw, top=True)
    if rw.lambdas and not unsafe:
        _refuse_lambdas(rw.lambdas)
    return out


def _refuse_lambdas(names: list[str]) -> None:
    shown = ", ".join(repr(n) for n in names[:5])
    raise UnsafeContent(
        shown,
        f"Lambda layer(s) {shown} hold Python code stored in the artifact; converting them "
        "means running that code",
        "rewrite them as registered custom layers and pass --custom-objects, or pass --unsafe "
        "if you trust the file's origin",
    )


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
            new_layers.append(new_layer)
        new_inner["layers"] = new_layers
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
    if cls in _TF_OP_LAYERS:
        raise NoFaithfulMapping(
            name,
            f"layer {name!r} is a tf.keras {cls} (a raw TensorFlow op such as "
            f"{cfg.get('function', '?')!r} called in the functional API); Keras 3 has no such "
            "layer (no faithful mapping)",
            "rebuild the model with keras.ops or a custom layer and pass --model-factory",
        )
    if cls in _RENAMED_CLASSES:
        new = _RENAMED_CLASSES[cls]
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
        _hard_sigmoid(cls, cfg, name, rw)
    if cls in _WRAPPERS:
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
        if (cls, key) in _RENAMED:
            cfg[_RENAMED[(cls, key)]] = cfg.pop(key)
            rw.note(f"{name}: {cls}.{key} -> {_RENAMED[(cls, key)]}")
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


# --------------------------------------------------------------------------- hard_sigmoid

# Keras 1/2 hard_sigmoid(x) = clip(0.2 x + 0.5, 0, 1); Keras 3's is clip(x / 6 + 0.5, 0, 1), so
# the old function equals the new one applied to 1.2 x. Where the activation is applied to an
# affine function of the layer's weights, scaling those weights by 1.2 keeps the layer computing
# exactly what it computed before; elsewhere there is no faithful mapping.
HARD_SIGMOID_FACTOR = 1.2

# class -> indices of the weights the activation's argument is linear in (use_bias=True layout).
_AFFINE_WEIGHTS: dict[str, tuple[int, ...]] = {
    "Dense": (0, 1),
    "Conv1D": (0, 1),
    "Conv2D": (0, 1),
    "Conv3D": (0, 1),
    "Conv1DTranspose": (0, 1),
    "Conv2DTranspose": (0, 1),
    "Conv3DTranspose": (0, 1),
    "DepthwiseConv1D": (0, 1),
    "DepthwiseConv2D": (0, 1),
    "SeparableConv1D": (1, 2),
    "SeparableConv2D": (1, 2),
    "SimpleRNN": (0, 1, 2),
}
# recurrent class -> (number of gates, gates using `recurrent_activation`, gates using `activation`
# where that is affine in the weights).
_GATES: dict[str, tuple[int, tuple[int, ...], tuple[int, ...] | None]] = {
    "LSTM": (4, (0, 1, 3), None),  # i, f, c, o: tanh(c) is not affine in the weights
    "ConvLSTM2D": (4, (0, 1, 3), None),
    "GRU": (3, (0, 1), (2,)),  # z, r, h
}


def _is_hard_sigmoid(value: Any) -> bool:
    if isinstance(value, Mapping):
        value = value.get("config") if value.get("class_name") == "function" else None
    return value == "hard_sigmoid"


def _hard_sigmoid(cls: str, cfg: Config, name: str, rw: Rewrite) -> None:
    uses = [key for key in ("activation", "recurrent_activation") if _is_hard_sigmoid(cfg.get(key))]
    if not uses:
        return

    def no_mapping(where: str) -> NoFaithfulMapping:
        return NoFaithfulMapping(
            name,
            f"layer {name!r} ({cls}) uses hard_sigmoid {where}; Keras 3 redefined hard_sigmoid "
            "(x/6 + 0.5 instead of 0.2x + 0.5) and the old function cannot be expressed there "
            "(no faithful mapping for hard_sigmoid in this position)",
            "rebuild that layer with a custom activation in your code and pass --model-factory",
        )

    if cls in _GATES:
        n, rec_gates, act_gates = _GATES[cls]
        gates: list[int] = []
        if "recurrent_activation" in uses:
            gates.extend(rec_gates)
        if "activation" in uses:
            if act_gates is None:
                raise no_mapping("as its cell activation")
            gates.extend(act_gates)
        rw.weight_transforms.setdefault(name, []).append(
            {
                "op": "scale_gates",
                "factor": HARD_SIGMOID_FACTOR,
                "gates": n,
                "which": sorted(gates),
                "indices": [0, 1, 2] if cfg.get("use_bias", True) else [0, 1],
            }
        )
    elif cls in _AFFINE_WEIGHTS and uses == ["activation"]:
        indices = list(_AFFINE_WEIGHTS[cls])
        if not cfg.get("use_bias", True):
            indices = indices[:-1]
        rw.weight_transforms.setdefault(name, []).append(
            {"op": "scale", "factor": HARD_SIGMOID_FACTOR, "indices": indices}
        )
    else:
        raise no_mapping("on a layer without weights to absorb the change")
    rw.note(
        f"{name}: hard_sigmoid ({', '.join(uses)}) kept with weights scaled by 1.2, since "
        "Keras 3's hard_sigmoid(1.2 x) equals Keras 2's hard_sigmoid(x)"
    )
