"""Step: TF.js layers model (`model.json` + weight shards) -> Keras 3 `.keras`, without tensorflowjs.

A TF.js layers model is a Keras model config (`modelTopology`, written from a Keras 2 / tf.keras
model by `tensorflowjs_converter` or by tfjs-layers' own `model.save()`) plus a weights manifest:
groups of shard files that, concatenated, hold every weight as raw little-endian values of the
manifest's `dtype` in manifest order (tfjs-core `io/io_utils.ts` `decodeWeights`). A weight with
`quantization: {dtype, scale, min}` is stored as uint8/uint16 and means `q * scale + min`; with
`quantization: {dtype: "float16"}` it is stored as IEEE half floats. So the conversion is exact up
to that dequantization, which TF.js itself performs the same way.

Weights are grouped by the layer their name starts with (`dense_1/kernel`,
`bidirectional/forward_lstm/lstm_cell_1/kernel`); a name that starts with a layer nested inside a
model is given to that top-level model, in manifest order, which is the order of the HDF5 group the
converter read (trainable, then non-trainable). The config is rewritten for Keras 3 and built, and
the groups are assigned like a legacy HDF5's (`keras3_build.assign_weights`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError

# numpy dtype of each manifest `dtype` (tfjs-core io/types.ts DataType and quantization dtypes).
_NP_DTYPES = {
    "float32": "<f4", "int32": "<i4", "bool": "u1", "uint8": "u1", "uint16": "<u2",
    "float16": "<f2", "int8": "i1", "int16": "<i2",
}  # fmt: skip


def model_json(src: Path) -> tuple[Path, dict[str, Any]]:
    """(the model.json file, its parsed document) for a model.json or the folder holding it."""
    path = src
    if src.is_dir():
        found = sorted(p for p in src.iterdir() if p.suffix == ".json")
        path = next((p for p in found if p.name == "model.json"), found[0] if found else src)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConversionError(
            src, f"cannot read the TF.js model.json ({exc})", "re-export it"
        ) from exc
    if not isinstance(document, dict):
        raise ConversionError(src, "model.json is not a JSON object", "re-export it")
    return path, document


def topology_config(document: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """(Keras model config, Keras version) from `modelTopology`."""
    topology = document.get("modelTopology")
    if not isinstance(topology, dict):
        raise ConversionError(
            "model.json", "no modelTopology (a graph model?)", "convert its SavedModel instead"
        )
    config = topology.get("model_config")
    if not isinstance(config, dict) and "class_name" in topology:
        config = topology  # tfjs-layers' own model.save(): the topology is the model config
    if not isinstance(config, dict):
        raise ConversionError("model.json", "modelTopology holds no model config", "re-export it")
    version = str(topology.get("keras_version") or config.get("keras_version") or "")
    # tfjs-layers writes "tfjs-layers x.y.z": its configs follow Keras 2's serialization.
    if not version or not version[:1].isdigit():
        version = "2"
    return config, version


def decode_weights(folder: Path, manifest: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """(name, float/int array) for every manifest entry, dequantized, in manifest order."""
    out: list[tuple[str, Any]] = []
    for group in manifest:
        data = b"".join((folder / str(p)).read_bytes() for p in group.get("paths") or [])
        offset = 0
        for entry in group.get("weights") or []:
            name, shape = str(entry["name"]), [int(d) for d in entry.get("shape") or []]
            dtype = str(entry.get("dtype") or "float32")
            quant = entry.get("quantization") if isinstance(entry.get("quantization"), dict) else {}
            stored = str(quant.get("dtype") or dtype)
            if stored not in _NP_DTYPES:
                raise ConversionError(
                    folder,
                    f"weight {name!r} is stored as {stored!r}, a dtype TF.js layers models "
                    "cannot hold numerically",
                    "re-export the model from Keras",
                )
            count = int(np.prod(shape)) if shape else 1
            raw = np.frombuffer(data, _NP_DTYPES[stored], count, offset)
            offset += raw.nbytes
            if "scale" in quant:
                value = raw.astype("float32") * np.float32(quant["scale"]) + np.float32(
                    quant.get("min", 0.0)
                )
            else:
                value = raw.astype(np.dtype(_NP_DTYPES[dtype]).newbyteorder("="))
            if dtype == "float32":
                value = value.astype("float32")
            out.append((name, value.reshape(shape)))
    return out


def group_by_layer(
    config: Mapping[str, Any], weights: Sequence[tuple[str, Any]]
) -> tuple[dict[str, list[Any]], list[str], list[str]]:
    """({top-level layer: arrays}, layer order, names no layer claims), from the weight names.

    A weight belongs to the first component of its name that names a layer of the config; a
    layer nested in a model belongs to that model's top-level entry.
    """
    from migrator.formats.keras_config import children, iter_layers, layer_name

    owner: dict[str, str] = {}
    for child in children(config):
        top = layer_name(child)
        owner[top] = top
        for _, nested in iter_layers(child):
            owner.setdefault(layer_name(nested), top)
    groups: dict[str, list[Any]] = {}
    order: list[str] = []
    unclaimed: list[str] = []
    for name, value in weights:
        parts = name.split("/")
        top = next((owner[p] for p in parts[:-1] if p in owner), None)
        if top is None:
            unclaimed.append(name)
            continue
        if top not in groups:
            groups[top] = []
            order.append(top)
        groups[top].append(value)
    # Layer order of the config, as a legacy HDF5 lists them (the manifest may sort by name).
    rank = {layer_name(c): i for i, c in enumerate(children(config))}
    order.sort(key=lambda n: rank.get(n, len(rank)))
    return groups, order, unclaimed


def read_tfjs(src: Path) -> tuple[dict[str, Any], str, dict[str, list[Any]], list[str]]:
    """(model config, keras version, weights per top-level layer, layer order) of a model.json."""
    path, document = model_json(src)
    config, version = topology_config(document)
    manifest = document.get("weightsManifest") or []
    try:
        weights = decode_weights(path.parent, manifest)
    except (OSError, ValueError, KeyError) as exc:
        raise ConversionError(
            src,
            f"the weight shards do not hold what the manifest lists ({type(exc).__name__}: {exc})",
            "copy every shard file named in weightsManifest beside model.json",
        ) from exc
    groups, order, unclaimed = group_by_layer(config, weights)
    if unclaimed:
        raise ConversionError(
            src,
            f"{len(unclaimed)} weight(s) name no layer of the topology (e.g. {unclaimed[0]!r})",
            "check that model.json and its shards belong together",
        )
    return config, version, groups, order


@conversion_step(
    "tfjs-layers-to-keras",
    source="tfjs-layers",
    target="keras-v3",
    validate_with=("era", "tf_keras"),
    summary="TF.js layers model (model.json + shards) -> Keras 3 `.keras`, without tensorflowjs",
)
def run(
    src: str,
    out_dir: str,
    *,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    **_: Any,
) -> dict[str, Any]:
    from migrator.convert.config_rewrite import rewrite
    from migrator.convert.keras3_build import (
        StoredWeights,
        assign_weights,
        build_model,
        built_result,
        save_keras,
    )

    config, version, groups, order = read_tfjs(Path(src))
    rw = rewrite(config, keras_version=version, unsafe=unsafe)
    model = build_model(
        rw.config, subject=src, modules=custom_objects, unsafe=unsafe, deferred=True
    )
    stored = StoredWeights(layers=groups, order=order, keras_version=version, backend="tensorflow")
    assigned = assign_weights(model, stored, rw, subject=src)
    _, document = model_json(Path(src))
    quantized = sorted(
        {
            str(w["quantization"].get("dtype"))
            for g in document.get("weightsManifest") or []
            for w in g.get("weights") or []
            if isinstance(w.get("quantization"), dict)
        }
    )
    notes = ["architecture from modelTopology, weights from the manifest's shards"]
    if quantized:
        notes.append(
            f"weights were stored quantized ({', '.join(quantized)}) and are dequantized exactly "
            "as TF.js does (q * scale + min); the original float32 values are not recoverable"
        )
    return {
        **built_result(save_keras(model, Path(out_dir)), model, rw, assigned, notes),
        "source_keras_major": rw.source_keras_major,
        "source_config_keras2": json.dumps(
            rewrite(config, keras_version=version, unsafe=True, target="keras2").config
        ),
    }
