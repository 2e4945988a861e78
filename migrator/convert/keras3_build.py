"""Build a Keras 3 model from a rewritten config and give it weights from any era's files.

Shared by the Keras steps (`h5_to_keras`, `weights_to_keras`, `keras_sm_to_keras`, ...): each
produces (config, per-layer weight arrays, conversion facts) its own way and ends here. Keras is
imported inside the functions; h5py reads weight data (that is what a converter must do).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from migrator.convert import deferred_init
from migrator.convert.config_rewrite import Rewrite
from migrator.convert.weight_layouts import convert_layer
from migrator.errors import (
    ConversionError,
    NeedsUserClasses,
    NoFaithfulMapping,
    UnsafeContent,
    first_line,
)
from migrator.formats.hdf5 import attrs


@dataclass
class StoredWeights:
    """Weights as a legacy HDF5 stores them: per layer name, arrays in saved order."""

    layers: dict[str, list[np.ndarray]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # layer names in file order (with weights)
    keras_version: str | None = None
    backend: str | None = None


def _text(value: Any) -> str:
    """A string attribute as the HDF5 reader reads it (str or bytes; never None here)."""
    found = attrs.text(value)
    return found if found is not None else str(value)


def h5_attr_list(group: Any, name: str) -> list[str]:
    """A list attribute, also when Keras split it into `name0`, `name1`, ... chunks."""
    return attrs.list_attr(group, name)[0]


def read_h5_weights(path: Path) -> StoredWeights:
    """Per-layer weights of a legacy full-model or weights-only HDF5 file (h5py, read-only)."""
    import h5py

    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        stored = StoredWeights()
        for src, attr in ((root, "keras_version"), (f, "keras_version")):
            if stored.keras_version is None and attr in src.attrs:
                stored.keras_version = _text(src.attrs[attr])
        for src in (root, f):
            if stored.backend is None and "backend" in src.attrs:
                stored.backend = _text(src.attrs["backend"])
        names = h5_attr_list(root, "layer_names")
        if not names:
            raise ConversionError(
                path,
                "the HDF5 file lists no layers (no layer_names attribute)",
                "it is not a Keras weights file; run `migrator inspect` on it",
            )
        for name in names:
            if name not in root:
                raise ConversionError(
                    path,
                    f"layer {name!r} is listed but has no group",
                    "the file is damaged; re-export it",
                )
            group = root[name]
            weight_names = h5_attr_list(group, "weight_names")
            if not weight_names:
                continue
            stored.layers[name] = [np.asarray(group[w]) for w in weight_names]
            stored.order.append(name)
    return stored


def custom_objects(modules: Sequence[str]) -> dict[str, Any]:
    import keras

    from migrator.convert.keras_loading import import_custom_objects

    return import_custom_objects(modules, keras)


def load_keras3(src: str, modules: Sequence[str], unsafe: bool) -> Any:
    """`keras.models.load_model` of a `.keras` file the way every step loads one: uncompiled,
    with the user's classes, and Lambda bytecode only when the user passed `--unsafe`."""
    import keras

    if unsafe:
        keras.config.enable_unsafe_deserialization()
    return keras.models.load_model(
        src, compile=False, custom_objects=custom_objects(modules), safe_mode=not unsafe
    )


def build_model(
    config: Mapping[str, Any],
    *,
    subject: str,
    modules: Sequence[str] = (),
    unsafe: bool = False,
    deferred: bool = False,
) -> Any:
    """Deserialize a Keras 3 config, turning Keras' errors into ones that say what to do.

    `deferred`: leave the variables uninitialised (`deferred_init`) for a caller that gives
    every weight its value with `assign_weights`, which initialises the rest. A layer that
    cannot be built that way (one that creates a variable from an array, say) is built again
    the ordinary way, so deferring never changes what builds."""
    import keras

    objects = custom_objects(modules)
    if unsafe:
        keras.config.enable_unsafe_deserialization()
    text = json.dumps(config)
    if deferred:
        try:
            with deferred_init.deferred():
                return keras.models.model_from_json(text, custom_objects=objects)
        except Exception:
            pass  # built again below, where a real error is explained
    try:
        return keras.models.model_from_json(text, custom_objects=objects)
    except Exception as exc:
        if "__lambda__" in text and isinstance(exc, (EOFError, ValueError, TypeError, SystemError)):
            import sys

            raise NoFaithfulMapping(
                subject,
                "a Lambda layer's marshalled Python bytecode cannot be loaded by Python "
                f"{sys.version_info.major}.{sys.version_info.minor} ({type(exc).__name__}: "
                f"{str(exc)[:120]}); bytecode only loads in the Python version that wrote it",
                "rewrite the Lambda as a registered custom layer and pass --custom-objects",
            ) from exc
        raise explain_build_error(exc, subject, bool(modules)) from exc


def explain_build_error(exc: Exception, subject: str, has_modules: bool) -> ConversionError:
    text = str(exc)
    missing = re.search(r"Could not locate (?:class|function) '([^']+)'", text) or re.search(
        r"Unknown (?:layer|class|object)[^'\"]*['\"]([^'\"]+)['\"]", text
    )
    if missing or "Unknown layer" in text:
        name = missing.group(1) if missing else "(not named in the error)"
        hint = (
            "the --custom-objects module(s) given do not define it"
            if has_modules
            else "it is not a built-in Keras class"
        )
        return NeedsUserClasses(
            subject,
            f"the model uses class {name!r} and {hint}",
            "pass --custom-objects <module> with your implementation of it (registered with "
            "@keras.saving.register_keras_serializable); code stored in an artifact is never used",
        )
    unknown = re.search(r"Unrecognized keyword arguments passed to (\w+): (\{.*\})", text)
    if unknown:
        return NoFaithfulMapping(
            subject,
            f"Keras 3 {unknown.group(1)} does not accept {unknown.group(2)[:200]} "
            "(no faithful mapping known to migrator for these arguments)",
            "rebuild that layer in your code and pass --model-factory module:function",
        )
    if "lambda" in text.lower() and "safe_mode" in text:
        return UnsafeContent(subject, "the model has a Lambda layer", "pass --unsafe to allow it")
    first = first_line(text) or type(exc).__name__
    return ConversionError(
        subject,
        f"Keras 3 cannot build the model from its config ({type(exc).__name__}: {first})",
        "report this file to the migrator maintainers",
    )


def weighted_layers(model: Any) -> list[Any]:
    """Top-level layers that own weights (nested models count as one, like legacy HDF5)."""
    return [layer for layer in model.layers if layer.weights]


def _layer_configs(config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    from migrator.formats.keras_config import children, layer_name

    return {layer_name(c): c for c in children(config)}


def assign_weights(
    model: Any,
    stored: StoredWeights,
    rewrite: Rewrite,
    *,
    subject: str,
) -> dict[str, Any]:
    """Give every weighted layer its stored arrays, converted to the Keras 3 layout."""
    keras1 = rewrite.source_keras_major == 1
    theano = (stored.backend or "").lower() == "theano"
    configs = _layer_configs(rewrite.config)
    targets = weighted_layers(model)
    names = [layer.name for layer in targets]
    by_name = all(name in stored.layers for name in names) and len(names) == len(stored.order)
    if not by_name and len(targets) != len(stored.order):
        missing = [n for n in names if n not in stored.layers]
        raise ConversionError(
            subject,
            f"the weights file has {len(stored.order)} layers with weights and the architecture "
            f"{len(targets)}"
            + (f" (not in the file: {', '.join(missing[:5])})" if missing else ""),
            "check that the architecture file belongs to these weights",
        )
    pairs = (
        [(layer, layer.name) for layer in targets]
        if by_name
        else list(zip(targets, stored.order, strict=False))
    )
    converted_layers = []
    for layer, stored_name in pairs:
        arrays = stored.layers[stored_name]
        if _is_model(layer):
            _assign_nested(layer, arrays, rewrite, keras1=keras1, theano=theano, subject=subject)
            converted_layers.append(layer.name)
            continue
        entry = configs.get(layer.name, {})
        source_class = rewrite.source_classes.get(layer.name, type(layer).__name__)
        values = convert_layer(
            layer.name,
            source_class,
            type(layer).__name__,
            dict(entry.get("config") or {}),
            arrays,
            keras1=keras1,
            theano=theano,
            transforms=rewrite.weight_transforms.get(layer.name, ()),
        )
        set_layer_weights(layer, values, subject=subject, stored_name=stored_name)
        converted_layers.append(layer.name)
    deferred_init.finish()  # what the source held no value for, as Keras would initialise it
    return {
        "layers": len(converted_layers),
        "matched_by": "name" if by_name else "order",
        "keras1_layouts": keras1,
        "theano_kernels_flipped": theano,
    }


def _is_model(layer: Any) -> bool:
    return type(layer).__name__ in ("Sequential", "Functional", "Model") and hasattr(
        layer, "layers"
    )


def _assign_nested(
    model: Any,
    arrays: list[np.ndarray],
    rewrite: Rewrite,
    *,
    keras1: bool,
    theano: bool,
    subject: str,
) -> None:
    """A nested model's group holds all its trainable weights, then all non-trainable ones."""
    subs = [s for s in model.layers if s.weights]
    n_trainable = sum(len(s.trainable_weights) for s in subs)
    trainable, frozen = list(arrays[:n_trainable]), list(arrays[n_trainable:])
    for sub in subs:
        nt, nn = len(sub.trainable_weights), len(sub.non_trainable_weights)
        mine = trainable[:nt] + frozen[:nn]
        trainable, frozen = trainable[nt:], frozen[nn:]
        if _is_model(sub):
            _assign_nested(sub, mine, rewrite, keras1=keras1, theano=theano, subject=subject)
            continue
        values = convert_layer(
            sub.name,
            rewrite.source_classes.get(sub.name, type(sub).__name__),
            type(sub).__name__,
            sub.get_config(),
            mine,
            keras1=keras1,
            theano=theano,
            transforms=rewrite.weight_transforms.get(sub.name, ()),
        )
        set_layer_weights(sub, values, subject=subject, stored_name=f"{model.name}/{sub.name}")


def set_layer_weights(
    layer: Any, values: list[np.ndarray], *, subject: str, stored_name: str
) -> None:
    expected = [tuple(w.shape) for w in layer.weights]
    got = [tuple(v.shape) for v in values]
    if expected != got:
        raise ConversionError(
            subject,
            f"layer {layer.name!r} expects weights of shapes {expected} but the file holds "
            f"{got} (stored as {stored_name!r})",
            "check that the architecture belongs to these weights",
        )
    for variable, value in zip(layer.weights, values, strict=True):
        deferred_init.assign(variable, value)


def save_keras(model: Any, out_dir: Path, name: str = "model.keras") -> Path:
    path = Path(out_dir) / name
    deferred_init.finish()  # a no-op unless a deferred build skipped `assign_weights`
    model.save(path)
    return path


def signature(model: Any) -> list[dict[str, Any]]:
    from migrator.convert.keras_loading import keras_signature

    return keras_signature(model)


def uses_channels_first(config: Any) -> bool:
    """Whether any layer in a (rewritten) config computes in channels-first layout."""
    return '"channels_first"' in json.dumps(config)


def embedding_vocab(model: Any) -> int | None:
    """The smallest Embedding vocabulary in the model (bounds integer test inputs), or None."""
    sizes: list[int] = []

    def walk(layer: Any) -> None:
        if type(layer).__name__ == "Embedding":
            sizes.append(int(layer.input_dim))
        for attr in ("layers",):
            for sub in getattr(layer, attr, None) or []:
                walk(sub)
        for attr in ("layer", "forward_layer", "backward_layer"):
            sub = getattr(layer, attr, None)
            if sub is not None and hasattr(sub, "weights"):
                walk(sub)

    walk(model)
    return min(sizes) if sizes else None


def stored_from_model(model: Any, keras_version: str) -> StoredWeights:
    """Per-layer weights of a loaded (tf_keras / Keras 2) model, shaped like a legacy HDF5."""
    stored = StoredWeights(keras_version=keras_version, backend="tensorflow")
    for layer in model.layers:
        values = layer.get_weights()
        if values:
            stored.layers[layer.name] = [np.asarray(v) for v in values]
            stored.order.append(layer.name)
    return stored


def model_config(model: Any) -> dict[str, Any]:
    """{"class_name", "config"} of a loaded Keras 2 / tf_keras model, as its HDF5 would hold it."""
    return {"class_name": type(model).__name__, "config": model.get_config()}


def from_tf_keras_model(
    tf_model: Any,
    out_dir: Path,
    *,
    subject: str,
    modules: Sequence[str] = (),
    unsafe: bool = False,
) -> dict[str, Any]:
    """Rebuild a loaded tf_keras model in Keras 3 (config rewrite + weight copy) and save it."""
    import tf_keras

    from migrator.convert.config_rewrite import rewrite

    kind = type(tf_model).__name__
    if kind not in ("Sequential", "Functional", "Model"):
        raise NoFaithfulMapping(
            subject,
            f"the model was revived as {kind!r}: it was a subclassed model, whose architecture "
            "is Python code, not a config Keras 3 can rebuild",
            "pass --model-factory module:function that builds it in Keras 3",
        )
    try:
        config = model_config(tf_model)
    except NotImplementedError as exc:
        revived = []
        for layer in tf_model.layers:
            try:
                layer.get_config()
            except NotImplementedError:
                revived.append(f"{layer.name!r} ({type(layer).__name__})")
        raise UnsafeContent(
            subject,
            "layer(s) " + ", ".join(revived[:5] or ["?"]) + " were revived without their Python "
            "class (custom layers), so the model has no config to rebuild",
            "pass --custom-objects <module> that defines and registers those classes",
        ) from exc
    rw = rewrite(config, keras_version=tf_keras.__version__, unsafe=unsafe)
    model = build_model(rw.config, subject=subject, modules=modules, unsafe=unsafe, deferred=True)
    stored = stored_from_model(tf_model, tf_keras.__version__)
    assigned = assign_weights(model, stored, rw, subject=subject)
    return built_result(save_keras(model, out_dir), model, rw, assigned, [])


def built_result(
    path: Path, model: Any, rw: Rewrite, assigned: dict[str, Any], notes: list[str]
) -> dict[str, Any]:
    """What every step that builds a Keras 3 model from a rewritten config reports: the saved
    file, the config changes and weight transforms, and what validation needs to feed the model
    (its input signature, embedding vocabulary bounds, channels-first layout, Lambda layers)."""
    return {
        "path": str(path),
        "changes": rw.changes,
        "notes": notes,
        "weights": assigned,
        "weight_transforms": rw.weight_transforms,
        "signature": signature(model),
        "int_high": embedding_vocab(model),
        "channels_first": uses_channels_first(rw.config),
        "lambdas": rw.lambdas,
    }


def _snake(name: str) -> str:
    """Keras' `to_snake_case` of a class name: how `.weights.h5` files name layer groups."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _datasets(group: Any) -> list[np.ndarray]:
    """Every dataset below a layer's group, `vars/0, vars/1, ...` in numeric order, depth first."""
    out: list[np.ndarray] = []

    def key(name: str) -> tuple[int, str]:
        return (int(name), "") if name.isdigit() else (1 << 30, name)

    for name in sorted(group, key=key):
        item = group[name]
        if hasattr(item, "shape"):
            out.append(np.asarray(item))
        else:
            out.extend(_datasets(item))
    return out


def read_v3_weights_by_class(path: Path, model: Any) -> StoredWeights:
    """Weights of a tf.keras 2.12-2.15 / Keras `.weights.h5` matched to `model`'s layers.

    The file names layer groups after the class (`dense`, `dense_1`, ...), numbered by whatever
    Keras wrote it (tf.keras 2.12 skipped numbers); groups of one class are matched, in number
    order, to the model's layers of that class, in layer order.
    """
    import h5py

    stored = StoredWeights()
    with h5py.File(path, "r") as f:
        root = f.get("layers") or f.get("_layer_checkpoint_dependencies")
        if root is None:
            raise ConversionError(
                path, "no layers/ group in the weights file", "it is not a Keras .weights.h5 file"
            )
        groups: dict[str, list[tuple[int, list[np.ndarray]]]] = {}
        for name in root:
            values = _datasets(root[name])
            if not values:
                continue
            match = re.fullmatch(r"(.+?)(?:_(\d+))?", name)
            assert match is not None
            base, number = match.group(1), int(match.group(2) or 0)
            groups.setdefault(base, []).append((number, values))
    layers: dict[str, list[Any]] = {}
    for layer in weighted_layers(model):
        layers.setdefault(_snake(type(layer).__name__), []).append(layer)
    for base, items in groups.items():
        targets = layers.get(base, [])
        if len(targets) != len(items):
            raise ConversionError(
                path,
                f"the weights file has {len(items)} {base!r} layer(s) with weights and the "
                f"architecture {len(targets)}",
                "check that the architecture belongs to these weights",
            )
        for layer, (_, values) in zip(targets, sorted(items, key=lambda t: t[0]), strict=True):
            stored.layers[layer.name] = values
            stored.order.append(layer.name)
    return stored
