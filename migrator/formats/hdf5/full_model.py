"""Legacy full-model HDF5 (`keras-h5`): ``model.save("m.h5")`` by Keras 1.x, 2.x, tf.keras and
Keras 3's legacy writer, recognised by the root attribute ``model_config``.

The model config, training config and layer weight metadata are read from attributes; the
Keras major version comes from ``keras_version`` or, without it, from the config's style.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrator.formats import LazyModule, keras_config
from migrator.formats.hdf5.attrs import list_attr, text_attr
from migrator.formats.hdf5.details import KerasH5Details
from migrator.formats.hdf5.files import error, extension_of
from migrator.formats.hdf5.legacy import (
    layer_weights,
    legacy_extension_evidence,
    loss_summary,
    producer_of,
    tf_keras,
    weight_totals,
)
from migrator.formats.hdf5.tree import resolve, walk
from migrator.model import Reading

h5py = LazyModule("h5py")


def read_full_model(h5: h5py.File, path: Path, evidence: list[str]) -> Reading:
    errors: list[str] = []
    chunked: dict[str, int] = {}
    config_text, chunks = text_attr(h5, "model_config")
    if chunks:
        chunked["model_config"] = chunks
    if config_text is None:
        raise error(
            path,
            "keras-h5",
            "root attribute model_config is not a string",
            "the file was written by a broken exporter; re-save the model",
        )
    try:
        model_config = json.loads(config_text)
    except ValueError as exc:
        raise error(
            path,
            "keras-h5",
            f"root attribute model_config is not valid JSON ({exc})",
            "the file is damaged or was written by a broken exporter; re-save the model",
        ) from None
    if not keras_config.is_layer_entry(model_config):
        raise error(
            path,
            "keras-h5",
            "root attribute model_config is JSON but not a Keras model config (no class_name)",
            "re-save the model with model.save()",
        )
    evidence.append(
        f"root attribute model_config (JSON, model class {model_config['class_name']!r})"
        + (f", split into {chunks} chunks" if chunks else "")
    )
    producer = producer_of(h5, evidence)
    version = producer.get("keras_version")
    style, markers = keras_config.config_style(model_config)
    major, said = keras_config.keras_major_from(version, style, markers, "keras_version attribute")
    if said:
        evidence.append(said)

    training_config: dict[str, Any] | None = None
    training_text, tc_chunks = text_attr(h5, "training_config")
    if tc_chunks:
        chunked["training_config"] = tc_chunks
    if training_text is not None:
        try:
            parsed = json.loads(training_text)
        except ValueError as exc:
            errors.append(
                f"root attribute training_config is not valid JSON ({exc}); load the model "
                "with compile=False and compile it again"
            )
        else:
            if isinstance(parsed, dict):
                training_config = parsed
    optimizer_config = (training_config or {}).get("optimizer_config")
    optimizer = (
        optimizer_config.get("class_name") if isinstance(optimizer_config, Mapping) else None
    )

    weights: list[dict[str, Any]] = []
    layer_names: list[str] = []
    top_level = False
    weights_group = resolve(h5, "model_weights")
    if isinstance(weights_group, h5py.Group):
        layer_names, ln_chunks = list_attr(weights_group, "layer_names")
        if ln_chunks:
            chunked["model_weights/layer_names"] = ln_chunks
            evidence.append(
                f"model_weights/layer_names split into {ln_chunks} chunks "
                f"(layer_names0..layer_names{ln_chunks - 1})"
            )
        weights = layer_weights(weights_group, layer_names, "model_weights", errors, chunked)
        top_level = isinstance(resolve(weights_group, "top_level_model_weights"), h5py.Group)
    else:
        errors.append(
            "full-model HDF5 without a model_weights group: the architecture is there but the "
            "weights are not; re-save the model with model.save()"
        )
    weight_count, weight_bytes = weight_totals(weights)

    optimizer_group = resolve(h5, "optimizer_weights")
    optimizer_weight_count = 0
    if isinstance(optimizer_group, h5py.Group):
        names, ow_chunks = list_attr(optimizer_group, "weight_names")
        optimizer_weight_count = len(names)
        if ow_chunks:
            chunked["optimizer_weights/weight_names"] = ow_chunks

    tree = walk(h5)
    lambdas = keras_config.lambda_layers(model_config)
    extension = extension_of(path.name)
    ext_note = legacy_extension_evidence(path.name, extension, weights_only=False)
    if ext_note:
        evidence.append(ext_note)
    if tree.external_links:
        evidence.append(
            f"{len(tree.external_links)} HDF5 external link(s) to other files (not followed)"
        )

    details = KerasH5Details(
        **{**keras_config.summarize(model_config), "lambda_layers": lambdas},
        keras_major=major,
        tf_keras=tf_keras(version),
        config_style=style,
        training_config=training_text is not None,
        optimizer=optimizer if isinstance(optimizer, str) else None,
        loss=loss_summary((training_config or {}).get("loss")),
        optimizer_weights=isinstance(optimizer_group, h5py.Group),
        optimizer_weight_count=optimizer_weight_count,
        weights_layer_count=len(layer_names),
        weight_count=weight_count,
        weight_bytes=weight_bytes,
        top_level_model_weights=top_level,
        layer_names_chunked="model_weights/layer_names" in chunked,
        chunked_attributes=dict(sorted(chunked.items())),
        uses_lambda=bool(lambdas),
        external_links=tree.external_links,
        extension=extension,
    )
    return Reading(
        "keras-h5",
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={
            "model_config": model_config,
            "training_config": training_config,
            "weights": weights,
            "layer_names": layer_names,
        },
    )
