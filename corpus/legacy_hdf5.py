"""Write, with h5py alone, the Keras HDF5 and architecture files that no installable Keras can make.

    python -m corpus.legacy_hdf5 [--out corpus]

Keras 1.x (Theano backend), Keras 2.0 on Theano and the ``2.2.4-tf`` Keras bundled with
TensorFlow 2.0 cannot be installed next to any TensorFlow in the tox matrix, yet their files are
still in model stores. This script writes them byte for byte the way those Keras versions did,
following the real files in ``../shared/realworld`` (dl4j_k122_theano_lstm_trio,
dv_k120_fullmodel_lambda, ncf_k107_theano_gmf_weights, dl4j_k208_theano_weights_plus_json,
dl4j_tfk224tf_act_noncompiled, oarriaga_k205_mini_xception_hdf5) and the Keras sources of the time
(``keras/models.py`` ``save_model`` and ``keras/engine/topology.py``
``save_weights_to_hdf5_group`` in Keras 1.2 / 2.0; ``hdf5_format.py`` in TensorFlow 2.0):

- scalar string attributes (``keras_version``, ``backend``, ``model_config``,
  ``training_config``) are variable-length strings: ASCII where Keras passed ``.encode('utf8')``
  bytes, UTF-8 where tf.keras 2.0 passed ``str`` (its root ``keras_version``/``backend``);
- ``layer_names`` and ``weight_names`` are fixed-length, NULL-padded byte-string arrays (what
  ``np.asarray`` of a list of bytes gives), and an empty ``weight_names`` is an empty float64
  array (what h5py 2 stored for ``[]``);
- Keras 1 wrote no ``backend`` anywhere and no ``keras_version`` in ``save_weights`` files; its
  weights are named ``<layer>_W``/``<layer>_b`` (Theano: no ``:0`` suffix); Keras 2 names them
  ``<layer>/kernel`` and stores them in nested groups;
- tf.keras splits a string-list attribute whose array is over ``HDF5_OBJECT_HEADER_LIMIT``
  (64512 bytes) into ``<name>0..N`` with ``np.array_split``. A fixed-length array is padded to
  its longest element, so one long layer name times a few hundred layers crosses the limit: that
  is how ``tfk224tf_deep_mlp.h5`` gets ``model_weights/layer_names0`` and ``layer_names1``.

``tfk224tf_deep_mlp.h5`` stores its ~500 groups in HDF5 1.8's compact form (``libver="v108"``)
to stay small; everything else uses the default (earliest) format those Keras versions wrote.
Weights are small and pseudo-random (``np.random.RandomState`` with fixed seeds); datasets are
written without timestamps, so the output is identical on every run. Each artifact gets a golden
``expected/<name>.json``: the subset of its audit record (``path`` relative to ``corpus/``,
``format``, ``producer``, key ``details``) that follows from the facts chosen here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml

from corpus.golden import run_cli, write_golden

CORPUS = Path(__file__).resolve().parent
# keras/engine/saving.py (Keras 2.2), tensorflow/python/keras/saving/hdf5_format.py (TF 2.x)
HDF5_OBJECT_HEADER_LIMIT = 64512
# Keras 1 and 2.0 optimizers stored their hyper-parameters as float32 variables, so the JSON
# holds the float32 values widened to double.
F32 = {0.001: 0.0010000000474974513, 0.9: 0.8999999761581421, 0.999: 0.9990000128746033}


@dataclass
class Weight:
    name: str
    shape: tuple[int, ...]


@dataclass
class Layer:
    name: str
    class_name: str
    config: dict[str, Any]
    weights: list[Weight] = field(default_factory=list)
    inbound: list[list[Any]] | None = None  # functional models only


@dataclass
class Artifact:
    """One file to write and the facts its golden record states."""

    name: str
    expected: dict[str, Any]


# --- attribute writers: the on-disk types of h5py 2.x ---------------------------------------------


def _vlen_ascii(obj: h5py.HLObject, name: str, text: str) -> None:
    obj.attrs.create(name, data=text.encode("ascii"), dtype=h5py.string_dtype("ascii"))


def _vlen_utf8(obj: h5py.HLObject, name: str, text: str) -> None:
    obj.attrs.create(name, data=text, dtype=h5py.string_dtype("utf-8"))


def _names_attr(obj: h5py.HLObject, name: str, items: list[str]) -> None:
    """A list of names as Keras stored it: fixed-length bytes, or float64 [] when empty."""
    if items:
        obj.attrs[name] = np.asarray([item.encode("utf8") for item in items])
    else:
        obj.attrs[name] = np.zeros((0,), dtype=np.float64)


def _chunked_names_attr(obj: h5py.HLObject, name: str, items: list[str]) -> int:
    """tf.keras `save_attributes_to_hdf5_group`: split into name0..N above the header limit."""
    data = np.asarray([item.encode("utf8") for item in items])
    chunks = 1
    parts = np.array_split(data, chunks)
    while any(part.nbytes > HDF5_OBJECT_HEADER_LIMIT for part in parts):
        chunks += 1
        parts = np.array_split(data, chunks)
    if chunks == 1:
        obj.attrs[name] = data
        return 0
    for index, part in enumerate(parts):
        obj.attrs[f"{name}{index}"] = part
    return chunks


def _values(rng: np.random.RandomState, shape: tuple[int, ...]) -> np.ndarray:
    return (rng.uniform(-0.5, 0.5, size=shape)).astype(np.float32)


def _write_layers(group: h5py.Group, layers: list[Layer], rng: np.random.RandomState) -> None:
    for layer in layers:
        g = group.create_group(layer.name)
        _names_attr(g, "weight_names", [w.name for w in layer.weights])
        for weight in layer.weights:
            g.create_dataset(weight.name, data=_values(rng, weight.shape), track_times=False)


def _write_optimizer(f: h5py.File, names: list[str], shapes: list[tuple[int, ...]]) -> None:
    group = f.create_group("optimizer_weights")
    _names_attr(group, "weight_names", names)
    for name, shape in zip(names, shapes, strict=True):
        group.create_dataset(name, data=np.zeros(shape, dtype=np.float32), track_times=False)


def _json(value: Any) -> str:
    return json.dumps(value)


# --- Keras 1.2.2 layer configs --------------------------------------------------------------------


def _k1_conv(name: str, nb_filter: int, stack: int, first: dict[str, Any] | None = None) -> Layer:
    config = {
        "name": name,
        "trainable": True,
        **(first or {}),
        "nb_filter": nb_filter,
        "nb_row": 3,
        "nb_col": 3,
        "init": "glorot_uniform",
        "activation": "linear",
        "border_mode": "same",
        "subsample": [1, 1],
        "dim_ordering": "th",
        "W_regularizer": None,
        "b_regularizer": None,
        "activity_regularizer": None,
        "W_constraint": None,
        "b_constraint": None,
        "bias": True,
    }
    weights = [Weight(f"{name}_W", (nb_filter, stack, 3, 3)), Weight(f"{name}_b", (nb_filter,))]
    return Layer(name, "Convolution2D", config, weights)


def _k1_dense(name: str, input_dim: int, output_dim: int) -> Layer:
    config = {
        "name": name,
        "trainable": True,
        "output_dim": output_dim,
        "init": "glorot_uniform",
        "activation": "linear",
        "W_regularizer": None,
        "b_regularizer": None,
        "activity_regularizer": None,
        "W_constraint": None,
        "b_constraint": None,
        "bias": True,
        "input_dim": input_dim,
    }
    weights = [Weight(f"{name}_W", (input_dim, output_dim)), Weight(f"{name}_b", (output_dim,))]
    return Layer(name, "Dense", config, weights)


def _k1_simple(name: str, class_name: str, **config: Any) -> Layer:
    return Layer(name, class_name, {"name": name, "trainable": True, **config})


def _k1_pool(name: str) -> Layer:
    return _k1_simple(
        name,
        "MaxPooling2D",
        pool_size=[2, 2],
        strides=[2, 2],
        border_mode="valid",
        dim_ordering="th",
    )


def _sequential_list(layers: list[Layer]) -> dict[str, Any]:
    return {
        "class_name": "Sequential",
        "config": [{"class_name": layer.class_name, "config": layer.config} for layer in layers],
    }


def _functional(name: str, layers: list[Layer], inputs: list[str], outputs: list[str]) -> dict:
    return {
        "class_name": "Model",
        "config": {
            "name": name,
            "layers": [
                {
                    "name": layer.name,
                    "class_name": layer.class_name,
                    "config": layer.config,
                    "inbound_nodes": layer.inbound or [],
                }
                for layer in layers
            ],
            "input_layers": [[n, 0, 0] for n in inputs],
            "output_layers": [[n, 0, 0] for n in outputs],
        },
    }


# --- the artifacts --------------------------------------------------------------------------------


def k122_theano_cnn(out: Path) -> Artifact:
    """Keras 1.2.2 + Theano `model.save`: list-style Sequential CNN, 'th' ordering, Adam."""
    layers = [
        _k1_conv(
            "convolution2d_1",
            8,
            1,
            {"batch_input_shape": [None, 1, 16, 16], "input_dtype": "float32"},
        ),
        _k1_simple("activation_1", "Activation", activation="relu"),
        _k1_pool("maxpooling2d_1"),
        _k1_conv("convolution2d_2", 16, 8),
        _k1_simple("activation_2", "Activation", activation="relu"),
        _k1_pool("maxpooling2d_2"),
        _k1_simple("dropout_1", "Dropout", p=0.25),
        _k1_simple("flatten_1", "Flatten"),
        _k1_dense("dense_1", 256, 16),
        _k1_simple("activation_3", "Activation", activation="relu"),
        _k1_simple("dropout_2", "Dropout", p=0.5),
        _k1_dense("dense_2", 16, 10),
        _k1_simple("activation_4", "Activation", activation="softmax"),
    ]
    training_config = {
        "optimizer_config": {
            "class_name": "Adam",
            "config": {
                "lr": F32[0.001],
                "beta_1": F32[0.9],
                "beta_2": F32[0.999],
                "epsilon": 1e-08,
                "decay": 0.0,
            },
        },
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
        "sample_weight_mode": None,
        "loss_weights": None,
    }
    params = [w.shape for layer in layers for w in layer.weights]
    # Keras 1.2 Adam: weights = [iterations] + ms + vs; Theano variables have no names, so
    # save_model called them param_<i>.
    opt_shapes: list[tuple[int, ...]] = [(), *params, *params]
    opt_names = [f"param_{i}" for i in range(len(opt_shapes))]
    name = "k122_theano_cnn.h5"
    with h5py.File(out / "legacy" / name, "w") as f:
        _vlen_ascii(f, "keras_version", "1.2.2")
        _vlen_ascii(f, "model_config", _json(_sequential_list(layers)))
        weights_group = f.create_group("model_weights")
        _names_attr(weights_group, "layer_names", [layer.name for layer in layers])
        _write_layers(weights_group, layers, np.random.RandomState(122))
        _vlen_ascii(f, "training_config", _json(training_config))
        _write_optimizer(f, opt_names, opt_shapes)
    return Artifact(
        name,
        {
            "format": "keras-h5",
            "producer": {"keras_version": "1.2.2"},
            "details": {
                "model_class": "Sequential",
                "layer_count": len(layers),
                "layer_classes": sorted({layer.class_name for layer in layers}),
                "keras_major": 1,
                "tf_keras": False,
                "config_style": "keras1",
                "training_config": True,
                "optimizer": "Adam",
                "loss": "categorical_crossentropy",
                "optimizer_weights": True,
                "optimizer_weight_count": len(opt_names),
                "weights_layer_count": len(layers),
                "weight_count": len(params),
                "layer_names_chunked": False,
                "uses_lambda": False,
                "external_links": [],
            },
            "errors": [],
        },
    )


def _k122_merge_layers() -> list[Layer]:
    """A Keras 1.2.2 functional two-tower recommender joined by a `merge(mode='concat')`."""

    def inp(name: str) -> Layer:
        return Layer(
            name,
            "InputLayer",
            {"batch_input_shape": [None, 1], "input_dtype": "int32", "sparse": False, "name": name},
            inbound=[],
        )

    def embedding(name: str, source: str, input_dim: int) -> Layer:
        config = {
            "name": name,
            "trainable": True,
            "input_dim": input_dim,
            "output_dim": 4,
            "init": "uniform",
            "input_length": 1,
            "mask_zero": False,
            "activity_regularizer": None,
            "W_regularizer": None,
            "W_constraint": None,
            "dropout": 0.0,
        }
        return Layer(
            name, "Embedding", config, [Weight(f"{name}_W", (input_dim, 4))], [[[source, 0, 0]]]
        )

    def flatten(name: str, source: str) -> Layer:
        return Layer(name, "Flatten", {"name": name, "trainable": True}, [], [[[source, 0, 0]]])

    merge = Layer(
        "merge_1",
        "Merge",
        {
            "name": "merge_1",
            "mode": "concat",
            "mode_type": "raw",
            "concat_axis": -1,
            "dot_axes": -1,
            "output_shape": None,
            "output_shape_type": "raw",
            "output_mask": None,
            "output_mask_type": "raw",
            "arguments": {},
        },
        inbound=[[["flatten_1", 0, 0], ["flatten_2", 0, 0]]],
    )
    dense = _k1_dense("dense_1", 8, 8)
    dense.config.pop("input_dim")
    dense.config["activation"] = "relu"
    dense.inbound = [[["merge_1", 0, 0]]]
    prediction = _k1_dense("prediction", 8, 1)
    prediction.config.pop("input_dim")
    prediction.config["activation"] = "sigmoid"
    prediction.config["init"] = "lecun_uniform"
    prediction.inbound = [[["dense_1", 0, 0]]]
    return [
        inp("user_input"),
        inp("item_input"),
        embedding("user_embedding", "user_input", 50),
        embedding("item_embedding", "item_input", 40),
        flatten("flatten_1", "user_embedding"),
        flatten("flatten_2", "item_embedding"),
        merge,
        dense,
        prediction,
    ]


def k122_theano_merge_weights(out: Path) -> Artifact:
    """Keras 1.2.2 + Theano `model.save_weights`: only a root layer_names attribute."""
    layers = _k122_merge_layers()
    name = "k122_theano_merge_weights.h5"
    with h5py.File(out / "legacy" / name, "w") as f:
        _names_attr(f, "layer_names", [layer.name for layer in layers])
        _write_layers(f, layers, np.random.RandomState(1221))
    weights = [w for layer in layers for w in layer.weights]
    return Artifact(
        name,
        {
            "format": "keras-h5-weights",
            "producer": {},
            "details": {
                "layer_names": [layer.name for layer in layers],
                "layer_count": len(layers),
                "weighted_layer_count": sum(1 for layer in layers if layer.weights),
                "weight_count": len(weights),
                "weight_bytes": sum(4 * int(np.prod(w.shape)) for w in weights),
                "weights": [
                    {
                        "layer": layer.name,
                        "weights": [
                            {"name": w.name, "shape": list(w.shape), "dtype": "float32"}
                            for w in layer.weights
                        ],
                    }
                    for layer in layers
                ],
                "top_level_model_weights": False,
                "keras_major": 1,
                "tf_keras": False,
                "weight_naming": "keras1",
                "layer_names_chunked": False,
                "external_links": [],
            },
            "errors": [],
        },
    )


def k122_theano_merge_json(out: Path) -> Artifact:
    """Keras 1.2.2 `model.to_json()` of the same model: keras_version but no backend key."""
    layers = _k122_merge_layers()
    config = _functional("model_1", layers, ["user_input", "item_input"], ["prediction"])
    document = {
        "class_name": config["class_name"],
        "keras_version": "1.2.2",
        "config": config["config"],
    }
    name = "k122_theano_merge.json"
    (out / "legacy" / name).write_text(json.dumps(document, indent=1), encoding="utf-8")
    return Artifact(
        name,
        {
            "format": "keras-json",
            "producer": {"keras_version": "1.2.2"},
            "details": {
                "model_class": "Model",
                "name": "model_1",
                "layer_count": len(layers),
                "layer_classes": sorted({layer.class_name for layer in layers}),
                "keras_major": 1,
                "config_style": "keras1",
                "uses_lambda": False,
            },
            "errors": [],
        },
    )


# --- Keras 2.0.8 on Theano ------------------------------------------------------------------------


def _k208_layers() -> list[Layer]:
    def initializer(name: str, **config: Any) -> dict[str, Any]:
        return {"class_name": name, "config": config}

    kernel_size = (3, 3)
    pool = (2, 2)
    conv = Layer(
        "conv2d_1",
        "Conv2D",
        {
            "name": "conv2d_1",
            "trainable": True,
            "batch_input_shape": (None, 1, 12, 12),
            "dtype": "float32",
            "filters": 4,
            "kernel_size": kernel_size,
            "strides": tuple([1, 1]),  # distinct objects: yaml.dump anchors shared ones
            "padding": "valid",
            "data_format": "channels_first",
            "dilation_rate": tuple([1, 1]),
            "activation": "relu",
            "use_bias": True,
            "kernel_initializer": initializer(
                "VarianceScaling", scale=1.0, mode="fan_avg", distribution="uniform", seed=None
            ),
            "bias_initializer": initializer("Zeros"),
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
        [Weight("conv2d_1/kernel", (3, 3, 1, 4)), Weight("conv2d_1/bias", (4,))],
    )
    pooling = Layer(
        "max_pooling2d_1",
        "MaxPooling2D",
        {
            "name": "max_pooling2d_1",
            "trainable": True,
            "pool_size": pool,
            "padding": "valid",
            "strides": pool,
            "data_format": "channels_first",
        },
    )
    flatten = Layer("flatten_1", "Flatten", {"name": "flatten_1", "trainable": True})
    dense = Layer(
        "dense_1",
        "Dense",
        {
            "name": "dense_1",
            "trainable": True,
            "units": 10,
            "activation": "softmax",
            "use_bias": True,
            "kernel_initializer": initializer(
                "VarianceScaling", scale=1.0, mode="fan_avg", distribution="uniform", seed=None
            ),
            "bias_initializer": initializer("Zeros"),
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
        [Weight("dense_1/kernel", (100, 10)), Weight("dense_1/bias", (10,))],
    )
    return [conv, pooling, flatten, dense]


def _plain(value: Any) -> Any:
    """Tuples as JSON lists (what json.dumps does); YAML keeps them as !!python/tuple."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def k208_theano_cnn(out: Path) -> Artifact:
    """Keras 2.0.8 + Theano `model.save`: backend 'theano', list-style Sequential, RMSprop."""
    layers = _k208_layers()
    model_config = {
        "class_name": "Sequential",
        "config": [{"class_name": layer.class_name, "config": layer.config} for layer in layers],
    }
    training_config = {
        "optimizer_config": {
            "class_name": "RMSprop",
            "config": {"lr": F32[0.001], "rho": F32[0.9], "decay": 0.0, "epsilon": 1e-08},
        },
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
        "sample_weight_mode": None,
        "loss_weights": None,
    }
    params = [w.shape for layer in layers for w in layer.weights]
    # Keras 2.0 RMSprop keeps one accumulator per parameter; Theano names them "/variable",
    # which save_model replaced with param_<i>.
    opt_names = [f"param_{i}" for i in range(len(params))]
    name = "k208_theano_cnn.h5"
    with h5py.File(out / "legacy" / name, "w") as f:
        _vlen_ascii(f, "keras_version", "2.0.8")
        _vlen_ascii(f, "backend", "theano")
        _vlen_ascii(f, "model_config", _json(_plain(model_config)))
        weights_group = f.create_group("model_weights")
        _names_attr(weights_group, "layer_names", [layer.name for layer in layers])
        _vlen_ascii(weights_group, "backend", "theano")
        _vlen_ascii(weights_group, "keras_version", "2.0.8")
        _write_layers(weights_group, layers, np.random.RandomState(208))
        _vlen_ascii(f, "training_config", _json(training_config))
        _write_optimizer(f, opt_names, params)
    return Artifact(
        name,
        {
            "format": "keras-h5",
            "producer": {"keras_version": "2.0.8", "backend": "theano"},
            "details": {
                "model_class": "Sequential",
                "layer_count": len(layers),
                "layer_classes": sorted({layer.class_name for layer in layers}),
                "keras_major": 2,
                "tf_keras": False,
                "config_style": "keras2",
                "training_config": True,
                "optimizer": "RMSprop",
                "loss": "categorical_crossentropy",
                "optimizer_weights": True,
                "optimizer_weight_count": len(opt_names),
                "weights_layer_count": len(layers),
                "weight_count": len(params),
                "weight_bytes": sum(4 * int(np.prod(s)) for s in params),
                "layer_names_chunked": False,
                "uses_lambda": False,
            },
            "errors": [],
        },
    )


def k208_theano_cnn_yaml(out: Path) -> Artifact:
    """Keras 2.0.8 `model.to_yaml()`: yaml.dump of the config, tuples as !!python/tuple."""
    layers = _k208_layers()
    document = {
        "class_name": "Sequential",
        "config": [{"class_name": layer.class_name, "config": layer.config} for layer in layers],
        "keras_version": "2.0.8",
        "backend": "theano",
    }
    name = "k208_theano_cnn_arch.yaml"
    text = yaml.dump(document, default_flow_style=None)  # PyYAML 3.x's default style
    (out / "legacy" / name).write_text(text, encoding="utf-8")
    return Artifact(
        name,
        {
            "format": "keras-yaml",
            "producer": {"keras_version": "2.0.8", "backend": "theano"},
            "details": {
                "model_class": "Sequential",
                "layer_count": len(layers),
                "layer_classes": sorted({layer.class_name for layer in layers}),
                "keras_major": 2,
                "config_style": "keras2",
                "yaml_tags": ["!!python/tuple"],
            },
            "errors": [],
        },
    )


# --- tf.keras 2.2.4-tf (TensorFlow 2.0) -----------------------------------------------------------

# A user-chosen descriptive name: fixed-length strings pad every entry of layer_names to it.
LONG_NAME = (
    "calibrated_fault_probability_head_for_the_compressor_vibration_sensor_array_predicting"
    "_bearing_wear_imbalance_misalignment_and_looseness_classes_for_the_plant_monitoring"
    "_dashboard_release_2019_q4_v2"
)


def _tf20_dense(name: str, units: int, first: bool = False, activation: str = "linear") -> dict:
    return {
        "name": name,
        "trainable": True,
        **({"batch_input_shape": [None, 8]} if first else {}),
        "dtype": "float32",
        "units": units,
        "activation": activation,
        "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }


def _deep_mlp_layers(blocks: int) -> Iterator[Layer]:
    def dense(name: str, fan_in: int, units: int, **kw: Any) -> Layer:
        weights = [Weight(f"{name}/kernel:0", (fan_in, units)), Weight(f"{name}/bias:0", (units,))]
        return Layer(name, "Dense", _tf20_dense(name, units, **kw), weights)

    yield dense("dense", 8, 4, first=True)
    for i in range(1, blocks + 1):
        yield dense(f"dense_{i}", 4, 4)
        yield Layer(
            f"activation_{i - 1}" if i > 1 else "activation",
            "Activation",
            {
                "name": f"activation_{i - 1}" if i > 1 else "activation",
                "trainable": True,
                "dtype": "float32",
                "activation": "relu",
            },
        )
    yield dense(LONG_NAME, 4, 3, activation="softmax")


def tfk224tf_deep_mlp(out: Path) -> Artifact:
    """tf.keras 2.2.4-tf (TF 2.0) `model.save('x.h5')`, not compiled: 330 layers whose
    layer_names array (330 x 208 bytes) is split into layer_names0 and layer_names1."""
    layers = list(_deep_mlp_layers(164))
    model_config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [{"class_name": lay.class_name, "config": lay.config} for lay in layers],
        },
    }
    name = "tfk224tf_deep_mlp.h5"
    # HDF5 1.8 compact groups keep 500 groups at ~200 KB instead of ~800 KB; what Keras and
    # migrator read (attributes, links, dataset metadata) is the same in both storage forms.
    with h5py.File(out / "legacy" / name, "w", libver=("v108", "v108")) as f:
        _vlen_utf8(f, "keras_version", "2.2.4-tf")
        _vlen_utf8(f, "backend", "tensorflow")
        _vlen_ascii(f, "model_config", _json(model_config))
        weights_group = f.create_group("model_weights")
        chunks = _chunked_names_attr(weights_group, "layer_names", [lay.name for lay in layers])
        _vlen_ascii(weights_group, "backend", "tensorflow")
        _vlen_ascii(weights_group, "keras_version", "2.2.4-tf")
        _write_layers(weights_group, layers, np.random.RandomState(224))
    assert chunks == 2, chunks
    weights = [w for layer in layers for w in layer.weights]
    return Artifact(
        name,
        {
            "format": "keras-h5",
            "producer": {"keras_version": "2.2.4-tf", "backend": "tensorflow"},
            "details": {
                "model_class": "Sequential",
                "name": "sequential",
                "layer_count": len(layers),
                "layer_classes": ["Activation", "Dense"],
                "keras_major": 2,
                "tf_keras": True,
                "config_style": "keras2",
                "training_config": False,
                "optimizer": None,
                "loss": None,
                "optimizer_weights": False,
                "weights_layer_count": len(layers),
                "weight_count": len(weights),
                "weight_bytes": sum(4 * int(np.prod(w.shape)) for w in weights),
                "layer_names_chunked": True,
                "chunked_attributes": {"model_weights/layer_names": chunks},
                "uses_lambda": False,
            },
            "errors": [],
        },
    )


BUILDERS = (
    k122_theano_cnn,
    k122_theano_merge_weights,
    k122_theano_merge_json,
    k208_theano_cnn,
    k208_theano_cnn_yaml,
    tfk224tf_deep_mlp,
)


def build_all(out: Path = CORPUS) -> list[Path]:
    """Write every artifact to `out/legacy/` and its golden record to `out/expected/`."""
    (out / "legacy").mkdir(parents=True, exist_ok=True)
    (out / "expected").mkdir(parents=True, exist_ok=True)
    written = []
    for build in BUILDERS:
        artifact = build(out)
        golden = write_golden(out, artifact.name, Path(artifact.name).stem, artifact.expected)
        written += [out / "legacy" / artifact.name, golden]
    return written


def main(argv: list[str] | None = None) -> int:
    return run_cli(__doc__, build_all, CORPUS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
