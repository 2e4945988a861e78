"""Run a model in whatever runtime can load it, on fixed inputs; dump its outputs and weights.

Called in a worker (see `worker.py`) of any TensorFlow line from 2.12 to the latest, so it keeps
to APIs all of them share and imports TensorFlow/Keras inside each function. Results are written
as `.npz` files (outputs `out_<i>`, weights `w_<i>`) and described by a JSON-ready dict, which
`validate.py` compares.

Loaders (the `loader` argument of `run_keras`):

- ``keras``: this runtime's `keras.models.load_model` (tf.keras up to TF 2.15, Keras 3 after);
- ``tf_keras``: `tf_keras.models.load_model` (TF 2.16 and later);
- ``config+weights``: a model built from a (rewritten) config, then `model.load_weights(h5)`
  through this runtime's own legacy HDF5 loader, which converts Keras 1 layouts (and, like
  Keras 2.x did, flips convolution kernels trained with Theano when `theano_flip` is set);
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


def versions() -> dict[str, Any]:
    import tensorflow as tf

    out: dict[str, Any] = {"tensorflow": tf.__version__}
    try:
        import keras

        out["keras"] = keras.__version__
    except ImportError:
        out["keras"] = None
    try:
        import tf_keras

        out["tf_keras"] = tf_keras.__version__
    except ImportError:
        out["tf_keras"] = None
    return out


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
    for layer in _weighted_layers(model):
        if type(layer[1]).__name__ not in flip:
            continue
        values = layer[1].get_weights()
        count = 2 if type(layer[1]).__name__ == "ConvLSTM2D" else 1
        for i in range(count):
            kernel = values[i]
            spatial = tuple(slice(None, None, -1) for _ in range(kernel.ndim - 2))
            values[i] = np.ascontiguousarray(kernel[spatial + (slice(None), slice(None))])
        layer[1].set_weights(values)


def _weighted_layers(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, layer) for every layer holding weights, descending into nested models."""
    out: list[tuple[str, Any]] = []
    for layer in getattr(model, "layers", []):
        path = f"{prefix}{layer.name}"
        if hasattr(layer, "layers") and type(layer).__name__ in (
            "Sequential",
            "Functional",
            "Model",
        ):
            out.extend(_weighted_layers(layer, path + "/"))
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


def _plain_array(value: Any) -> Any:
    """An array `np.load(allow_pickle=False)` can read: tf.string values (object arrays of
    bytes) become fixed-width bytes."""
    import numpy as np

    array = np.asarray(value)
    if array.dtype == object:
        array = np.array(array.tolist(), dtype=bytes)
    return array


def _save_npz(path: str, arrays: Sequence[Any], prefix: str) -> None:
    import numpy as np

    np.savez(path, **{f"{prefix}{i}": _plain_array(a) for i, a in enumerate(arrays)})


def _load_inputs(path: str) -> list[Any]:
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return [data[f"in_{i}"] for i in range(len(data.files))]


def _as_list(result: Any) -> list[Any]:
    import numpy as np

    if isinstance(result, Mapping):
        return [np.asarray(result[k]) for k in sorted(result)]
    if isinstance(result, (list, tuple)):
        return [np.asarray(r) for r in result]
    return [np.asarray(result)]


def describe_model(model: Any) -> dict[str, Any]:
    """Input signature and output names of a loaded Keras model (no inference)."""
    names = list(getattr(model, "output_names", None) or [])
    if not names:
        names = [
            str(getattr(t, "name", f"output_{i}")).split(":")[0]
            for i, t in enumerate(getattr(model, "outputs", []) or [])
        ]
    return {"signature": keras_signature(model), "outputs": [str(n) for n in names]}


def run_keras(
    path: str | None,
    loader: str,
    inputs: str | None,
    out: str,
    *,
    flavour: str = "keras",
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
    config_json: str | None = None,
    weights: str | None = None,
    factory: str | None = None,
    theano_flip: bool = False,
) -> dict[str, Any]:
    """Load, then (when `inputs` is given) predict; write `<out>.outputs.npz`/`.weights.npz`."""
    model = load_keras(
        path,
        loader,
        flavour=flavour,
        custom_objects=custom_objects,
        unsafe=unsafe,
        config_json=config_json,
        weights=weights,
        factory=factory,
        theano_flip=theano_flip,
    )
    info = describe_model(model)
    layers = _weighted_layers(model)
    names: list[str] = []
    values: list[Any] = []
    for path_, layer in layers:
        for i, (var, value) in enumerate(zip(layer.weights, layer.get_weights(), strict=False)):
            var_name = str(getattr(var, "path", None) or var.name).split(":")[0].rsplit("/", 1)[-1]
            names.append(f"{path_}#{i}:{var_name}")
            values.append(value)
    _save_npz(out + ".weights.npz", values, "w_")
    info["weights"] = names
    if inputs is not None:
        x = _load_inputs(inputs)
        result = model(x[0] if len(x) == 1 else x, training=False)
        outputs = _as_list(result)
        _save_npz(out + ".outputs.npz", outputs, "out_")
        info["output_shapes"] = [list(o.shape) for o in outputs]
        info["output_dtypes"] = [str(o.dtype) for o in outputs]
    info["runtime"] = versions()
    return info


def _signature_tensors(signature: Any) -> tuple[list[dict[str, Any]], list[str]]:
    inputs = []
    spec = signature.structured_input_signature[1]
    for name in sorted(spec):
        s = spec[name]
        inputs.append(
            {
                "name": name,
                "shape": s.shape.as_list() if s.shape.rank is not None else None,
                "dtype": s.dtype.name,
            }
        )
    outputs = sorted(signature.structured_outputs)
    return inputs, outputs


def run_saved_model(
    path: str,
    inputs: str | None,
    out: str,
    *,
    signature: str = "serving_default",
    input_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """tf.saved_model.load and call one signature with inputs by name (sorted)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    if signature not in loaded.signatures:
        from migrator.errors import ValidationFailed

        raise ValidationFailed(
            path,
            f"the SavedModel has no {signature!r} signature "
            f"(has: {', '.join(sorted(loaded.signatures)) or 'none'})",
        )
    fn = loaded.signatures[signature]
    sig_inputs, sig_outputs = _signature_tensors(fn)
    info: dict[str, Any] = {"signature": sig_inputs, "outputs": sig_outputs}
    seen: dict[str, Any] = {}
    for var in list(getattr(loaded, "variables", None) or []) + list(fn.variables):
        seen.setdefault(var.name.split(":")[0], var)
    variables = sorted(((name, var.numpy()) for name, var in seen.items()), key=lambda p: p[0])
    _save_npz(out + ".weights.npz", [v for _, v in variables], "w_")
    info["weights"] = [n for n, _ in variables]
    if inputs is not None:
        x = _load_inputs(inputs)
        names = list(input_names or [s["name"] for s in sig_inputs])
        feed = {n: tf.constant(a) for n, a in zip(names, x, strict=False)}
        result = fn(**feed)
        outputs = [_plain_array(result[k].numpy()) for k in sig_outputs]
        _save_npz(out + ".outputs.npz", outputs, "out_")
        info["output_shapes"] = [list(o.shape) for o in outputs]
        info["output_dtypes"] = [str(o.dtype) for o in outputs]
    info["runtime"] = versions()
    return info


def run_tf1_saved_model(
    path: str,
    inputs: str | None,
    out: str,
    *,
    tags: Sequence[str],
    signature: str,
) -> dict[str, Any]:
    """Load a graph-mode SavedModel in a tf.compat.v1 Session and run one signature."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with v1.Session(graph=graph) as sess:
        meta = v1.saved_model.loader.load(sess, list(tags), path)
        sig = meta.signature_def[signature]
        in_keys = sorted(sig.inputs)
        out_keys = sorted(sig.outputs)
        info: dict[str, Any] = {
            "signature": [
                {
                    "name": k,
                    "dtype": tf.dtypes.as_dtype(sig.inputs[k].dtype).name,
                    "shape": None
                    if sig.inputs[k].tensor_shape.unknown_rank
                    else [d.size if d.size >= 0 else None for d in sig.inputs[k].tensor_shape.dim],
                }
                for k in in_keys
            ],
            "outputs": out_keys,
        }
        variables = sorted(v1.global_variables(), key=lambda v: v.name)
        values = sess.run(variables) if variables else []
        _save_npz(out + ".weights.npz", values, "w_")
        info["weights"] = [v.name.split(":")[0] for v in variables]
        if inputs is not None:
            x = _load_inputs(inputs)
            feed = {sig.inputs[k].name: a for k, a in zip(in_keys, x, strict=False)}
            fetch = [sig.outputs[k].name for k in out_keys]
            outputs = sess.run(fetch, feed_dict=feed)
            _save_npz(out + ".outputs.npz", outputs, "out_")
            info["output_shapes"] = [list(o.shape) for o in outputs]
            info["output_dtypes"] = [str(o.dtype) for o in outputs]
    info["runtime"] = versions()
    return info


def run_graph_def(
    path: str,
    inputs: str | None,
    out: str,
    *,
    input_tensors: Sequence[str],
    output_tensors: Sequence[str],
) -> dict[str, Any]:
    """Import a frozen GraphDef (binary or text) and run it in a tf.compat.v1 Session."""
    import tensorflow as tf

    from migrator.convert.steps.graphdef_to_sm import prune_to_outputs, read_graph_def

    v1 = tf.compat.v1
    graph_def = prune_to_outputs(read_graph_def(Path(path)), output_tensors, input_tensors)
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    info: dict[str, Any] = {"outputs": list(output_tensors), "weights": []}
    _save_npz(out + ".weights.npz", [], "w_")
    with v1.Session(graph=graph) as sess:
        if inputs is not None:
            x = _load_inputs(inputs)
            feed = {graph.get_tensor_by_name(n): a for n, a in zip(input_tensors, x, strict=False)}
            outputs = sess.run([graph.get_tensor_by_name(n) for n in output_tensors], feed)
            _save_npz(out + ".outputs.npz", outputs, "out_")
            info["output_shapes"] = [list(o.shape) for o in outputs]
            info["output_dtypes"] = [str(o.dtype) for o in outputs]
    info["runtime"] = versions()
    return info


def run_session_bundle(
    path: str,
    inputs: str | None,
    out: str,
    *,
    input_tensors: Sequence[str],
    output_tensors: Sequence[str],
) -> dict[str, Any]:
    """Import a SessionBundle's export.meta, restore its checkpoint and run tensors in a Session."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    info: dict[str, Any] = {"outputs": list(output_tensors)}
    with v1.Session(graph=graph) as sess:
        saver = v1.train.import_meta_graph(str(Path(path) / "export.meta"), clear_devices=True)
        if saver is not None:
            saver.restore(sess, str(Path(path) / "export"))
        variables = sorted(v1.global_variables(), key=lambda v: v.name)
        _save_npz(out + ".weights.npz", sess.run(variables) if variables else [], "w_")
        info["weights"] = [v.name.split(":")[0] for v in variables]
        if inputs is not None:
            x = _load_inputs(inputs)
            feed = {graph.get_tensor_by_name(n): a for n, a in zip(input_tensors, x, strict=False)}
            outputs = sess.run([graph.get_tensor_by_name(n) for n in output_tensors], feed)
            _save_npz(out + ".outputs.npz", outputs, "out_")
            info["output_shapes"] = [list(o.shape) for o in outputs]
            info["output_dtypes"] = [str(o.dtype) for o in outputs]
    info["runtime"] = versions()
    return info
