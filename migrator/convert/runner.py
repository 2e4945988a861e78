"""Run a Keras model on fixed inputs in a runtime worker: validation's Keras side.

`run_keras` loads the model with one of `keras_loading`'s loaders, records its weights (digests,
held in the worker: see `run_results`) and, given inputs, calls it and writes the outputs. The
non-Keras runs are in `graph_runs`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from migrator.convert.keras_loading import describe_model, load_keras, weighted_layers
from migrator.convert.run_results import (
    as_list,
    keep_model,
    load_inputs,
    record_outputs,
    record_weights,
    take_model,
    versions,
)
from migrator.errors import ConversionError, first_line


def _loaded_by(load: Mapping[str, Any]) -> str:
    """What identifies a load: a kept model serves only a run that would load it the same way."""
    return json.dumps(load, sort_keys=True, default=list)


# `load_keras`'s options and their defaults: a load is these plus the path and the loader.
_LOAD_DEFAULTS: dict[str, Any] = {
    "flavour": "keras",
    "custom_objects": [],
    "unsafe": False,
    "config_json": None,
    "weights": None,
    "factory": None,
    "theano_flip": False,
}


def _load_args(path: str | None, loader: str, **options: Any) -> dict[str, Any]:
    """`load_keras`'s arguments as one record (an unknown option is an error)."""
    unknown = set(options) - set(_LOAD_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown load options {sorted(unknown)}")
    load = {"path": path, "loader": loader, **_LOAD_DEFAULTS, **options}
    load["custom_objects"] = list(load["custom_objects"])
    return load


def _load(load: Mapping[str, Any]) -> Any:
    """`load_keras`, with the runtime's refusal said as what it is: a source that this runtime
    cannot load is an attempt that failed (validation goes on to the next runtime), not a
    migrator bug. Only the exception's first line is kept: Keras puts the whole model config
    in some of its messages."""
    try:
        return load_keras(**load)
    except ConversionError:
        raise
    except Exception as exc:
        # Keras appends the whole config to some messages
        first = first_line(str(exc).split(" Full object config:")[0], 200)
        subject = load.get("path") or load.get("weights") or "the source"
        raise ConversionError(
            subject,
            f"could not load it ({type(exc).__name__}: {first})",
            "another runtime may: see the other attempts",
        ) from exc


def preload_keras(key: str, path: str | None, loader: str, **options: Any) -> dict[str, Any]:
    """Load the model now and keep it for the `run_keras` call that names `key`: the source's
    load in its era's runtime then overlaps the conversion step in the newest one."""
    load = _load_args(path, loader, **options)
    keep_model(key, _loaded_by(load), _load(load))
    return {"kept": key}


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
    transforms: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    preloaded: str | None = None,
) -> dict[str, Any]:
    """Load (or take the model `preload_keras` kept under `preloaded`, when it was loaded the
    same way), then (when `inputs` is given) predict; outputs to `<out>.outputs.npz`, weights
    described by digest and held under `out` (`transforms`: the source side's declared weight
    transforms, applied before hashing)."""
    load = _load_args(
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
    model = take_model(preloaded, _loaded_by(load)) if preloaded is not None else None
    was_preloaded = model is not None
    if model is None:
        model = _load(load)
    info = describe_model(model)
    layers = weighted_layers(model)
    names: list[str] = []
    values: list[Any] = []
    for path_, layer in layers:
        for i, (var, value) in enumerate(zip(layer.weights, layer.get_weights(), strict=False)):
            var_name = str(getattr(var, "path", None) or var.name).split(":")[0].rsplit("/", 1)[-1]
            names.append(f"{path_}#{i}:{var_name}")
            values.append(value)
    record_weights(info, out, names, values, transforms)
    del values
    if inputs is not None:
        x = load_inputs(inputs)
        record_outputs(info, out, as_list(model(x[0] if len(x) == 1 else x, training=False)))
    info["runtime"] = versions()
    info["preloaded"] = was_preloaded
    return info
