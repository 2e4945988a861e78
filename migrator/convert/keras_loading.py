"""Load a Keras model in whatever runtime can load it, with one of several loaders.

Runs in a worker (see `worker.py`) of any TensorFlow line from 2.12 to the latest, so it keeps
to APIs all of them share and imports TensorFlow/Keras inside each function. Used by the model
runs of validation (`runner.run_keras`) and by steps that need the user's classes.

Loaders (the `loader` argument of `load_keras`):

- ``keras``: this runtime's `keras.models.load_model` (tf.keras up to TF 2.15, Keras 3 after);
- ``keras+weights``: the same, then `model.load_weights(weights)`;
- ``tf_keras``: `tf_keras.models.load_model` (TF 2.16 and later);
- ``config+weights``: a model built from a (rewritten) config, then `model.load_weights(h5)`
  through this runtime's own legacy HDF5 loader, which converts Keras 1 layouts (and, like
  Keras 2.x did, flips convolution kernels trained with Theano when `theano_flip` is set);
- ``config+tf212-layout``: a model built from a config, then `model.load_weights` of a copy of
  a tf.keras 2.12-2.14 archive's weights renamed to the `layers/` layout later releases walk
  (`tf212_weights_layout`);
- ``factory+weights``: `module:function` from the user's code, then `load_weights`;
- ``tfjs``: a TF.js layers model: the (Keras 2) topology built by this runtime's Keras 2, each
  top-level layer given its manifest weights with `set_weights`, as tfjs-layers loads them.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Base classes whose subclasses in a --custom-objects module are handed to the deserializer.
_SERIALIZABLE_BASES = (
    "Layer", "Model", "Loss", "Metric", "Initializer", "Regularizer", "Constraint", "Optimizer",
)  # fmt: skip


def keras_module(flavour: str) -> Any:
    """`keras` (this runtime's own), `tf_keras`, or `tf.keras`."""
    if flavour == "tf_keras":
        import tf_keras

        return tf_keras
    if flavour == "tf.keras":
        import tensorflow as tf

        return tf.keras
    import keras

    return keras


def import_custom_objects(modules: Sequence[str], keras: Any = None) -> dict[str, Any]:
    """Import the user's modules (which registers their classes) and collect their Keras classes.

    Only the user's own code runs here; nothing stored in an artifact is ever imported.
    """
    found: dict[str, Any] = {}
    bases = (
        tuple(
            getattr(keras, name, None) or getattr(getattr(keras, "layers", None), name, None)
            for name in _SERIALIZABLE_BASES
        )
        if keras is not None
        else ()
    )
    bases = tuple(b for b in bases if isinstance(b, type))
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            from migrator.convert import ConversionError

            raise ConversionError(
                name,
                f"--custom-objects module {name!r} cannot be imported in this runtime "
                f"({type(exc).__name__}: {exc})",
                "make it importable (PYTHONPATH or the current folder) and compatible with "
                "the runtime that loads the model",
            ) from exc
        for attr, value in vars(module).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, type) and bases and issubclass(value, bases):
                found[attr] = value
            elif callable(value) and getattr(value, "__module__", None) == module.__name__:
                found.setdefault(attr, value)
    return found


def _factory(spec: str) -> Any:
    module, _, func = spec.partition(":")
    if not module or not func:
        from migrator.errors import ConversionError

        raise ConversionError(
            spec, "--model-factory must look like module:function", "e.g. mypkg.models:build"
        )
    return getattr(importlib.import_module(module), func)


def load_keras(
    path: str | None,
    loader: str,
    *,
    flavour: str = "keras",
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
    config_json: str | None = None,
    weights: str | None = None,
    factory: str | None = None,
    theano_flip: bool = False,
) -> Any:
    """Load a Keras model with one of the loaders described in the module docstring."""
    keras = keras_module(flavour)
    objects = import_custom_objects(custom_objects, keras)
    if loader in ("keras", "keras+weights"):
        kwargs: dict[str, Any] = {"compile": False, "custom_objects": objects}
        if _accepts(keras.models.load_model, "safe_mode"):
            kwargs["safe_mode"] = not unsafe
        model = keras.models.load_model(path, **kwargs)
        if loader == "keras+weights":
            assert weights is not None
            model.load_weights(weights)
    elif loader == "config+weights":
        assert config_json is not None and weights is not None
        model = _from_config(keras, json.loads(config_json), objects, unsafe)
        model.load_weights(weights)
    elif loader == "config+tf212-layout":
        from migrator.convert.tf212_weights_layout import renamed_weights

        assert config_json is not None and weights is not None
        model = _from_config(keras, json.loads(config_json), objects, unsafe)
        with renamed_weights(weights) as renamed:
            model.load_weights(renamed)
    elif loader == "factory+weights":
        assert factory is not None and weights is not None
        model = _factory(factory)()
        model.load_weights(weights)
    elif loader == "tfjs":
        assert config_json is not None and path is not None
        model = _from_tfjs(keras, path, json.loads(config_json), objects, unsafe)
    else:
        raise ValueError(f"unknown loader {loader!r}")
    if theano_flip:
        _flip_theano_kernels(model)
    return model


def _from_tfjs(
    keras: Any, path: str, config: Mapping[str, Any], objects: dict[str, Any], unsafe: bool
) -> Any:
    """Build the TF.js topology and set each top-level layer's weights from the shards."""
    from migrator.convert.steps.tfjs_layers_to_keras import read_tfjs

    model = _from_config(keras, config, objects, unsafe)
    _, _, groups, _ = read_tfjs(Path(path))
    for layer in model.layers:
        if layer.name in groups:
            layer.set_weights(groups[layer.name])
    return model


def _accepts(func: Any, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _from_config(
    keras: Any, config: Mapping[str, Any], objects: dict[str, Any], unsafe: bool
) -> Any:
    text = json.dumps(config)
    if (
        unsafe
        and hasattr(keras, "config")
        and hasattr(keras.config, "enable_unsafe_deserialization")
    ):
        keras.config.enable_unsafe_deserialization()
    return keras.models.model_from_json(text, custom_objects=objects)


def _flip_theano_kernels(model: Any) -> None:
    """Keras 2.x's load-time fix for Theano weights: convolution kernels are flipped spatially.

    Theano computes a true convolution and TensorFlow a correlation; Keras 2.x
    (`_need_convert_kernel` + `conv_utils.convert_kernel`) flipped every spatial axis of the
    kernels of Conv1D/2D/3D, Conv2DTranspose and ConvLSTM2D when loading Theano weights into
    TensorFlow. tf.keras dropped that, so it is reproduced here.
    """
    import numpy as np

    flip = {"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D"}
    for layer in weighted_layers(model):
        if type(layer[1]).__name__ not in flip:
            continue
        values = layer[1].get_weights()
        count = 2 if type(layer[1]).__name__ == "ConvLSTM2D" else 1
        for i in range(count):
            kernel = values[i]
            spatial = tuple(slice(None, None, -1) for _ in range(kernel.ndim - 2))
            values[i] = np.ascontiguousarray(kernel[spatial + (slice(None), slice(None))])
        layer[1].set_weights(values)


def weighted_layers(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, layer) for every layer holding weights, descending into nested models."""
    out: list[tuple[str, Any]] = []
    for layer in getattr(model, "layers", []):
        path = f"{prefix}{layer.name}"
        if hasattr(layer, "layers") and type(layer).__name__ in (
            "Sequential",
            "Functional",
            "Model",
        ):
            out.extend(weighted_layers(layer, path + "/"))
        elif layer.weights:
            out.append((path, layer))
    return out


def keras_signature(model: Any) -> list[dict[str, Any]]:
    """The model's inputs as [{name, shape, dtype}] (None for unknown dimensions)."""
    sig = []
    for tensor in model.inputs:
        shape = getattr(tensor, "shape", None)
        dims = list(shape.as_list()) if hasattr(shape, "as_list") else list(shape or [])
        dtype = getattr(tensor, "dtype", "float32")
        dtype = getattr(dtype, "name", dtype)
        name = str(getattr(tensor, "name", "")).split(":")[0]
        sig.append({"name": name, "shape": dims, "dtype": str(dtype)})
    return sig


def describe_model(model: Any) -> dict[str, Any]:
    """Input signature and output names of a loaded Keras model (no inference)."""
    names = list(getattr(model, "output_names", None) or [])
    if not names:
        names = [
            str(getattr(t, "name", f"output_{i}")).split(":")[0]
            for i, t in enumerate(getattr(model, "outputs", []) or [])
        ]
    return {"signature": keras_signature(model), "outputs": [str(n) for n in names]}
