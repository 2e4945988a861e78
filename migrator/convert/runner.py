"""Run a Keras model on fixed inputs in a runtime worker: validation's Keras side.

`run_keras` loads the model with one of `keras_loading`'s loaders, records its weights (digests,
held in the worker: see `run_results`) and, given inputs, calls it and writes the outputs. The
non-Keras runs are in `graph_runs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migrator.convert.keras_loading import describe_model, load_keras, weighted_layers
from migrator.convert.run_results import (
    as_list,
    load_inputs,
    record_outputs,
    record_weights,
    versions,
)


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
) -> dict[str, Any]:
    """Load, then (when `inputs` is given) predict; outputs to `<out>.outputs.npz`, weights
    described by digest and held under `out` (`transforms`: the source side's declared weight
    transforms, applied before hashing)."""
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
    return info
