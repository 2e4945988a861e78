"""Legacy weights-only HDF5 (`keras-h5-weights`): ``save_weights("w.h5")``, recognised by the
root attribute ``layer_names`` without ``model_config``.

Keras 1 wrote only ``layer_names``; Keras 2 adds ``keras_version`` and ``backend``. Without a
version, Keras 1 is inferred (Keras 2+ always wrote it, and Keras's own loader treats its absence
as Keras 1) unless the weight names use the Keras 2 ``<layer>/<weight>`` style.
"""

from __future__ import annotations

from pathlib import Path

from migrator.formats import LazyModule
from migrator.formats.hdf5.attrs import list_attr
from migrator.formats.hdf5.details import KerasH5WeightsDetails
from migrator.formats.hdf5.files import extension_of
from migrator.formats.hdf5.legacy import (
    layer_weights,
    legacy_extension_evidence,
    producer_of,
    tf_keras,
    weight_naming,
    weight_totals,
)
from migrator.formats.hdf5.tree import resolve, walk
from migrator.knowledge import versions
from migrator.model import Reading

h5py = LazyModule("h5py")


def read_weights(h5: h5py.File, path: Path, evidence: list[str]) -> Reading:
    errors: list[str] = []
    chunked: dict[str, int] = {}
    layer_names, chunks = list_attr(h5, "layer_names")
    evidence.append(
        f"root attribute layer_names ({len(layer_names)} layers) and no model_config"
        + (f", split into {chunks} chunks (layer_names0..{chunks - 1})" if chunks else "")
    )
    if chunks:
        chunked["layer_names"] = chunks
    producer = producer_of(h5, evidence)
    version = producer.get("keras_version")
    weights = layer_weights(h5, layer_names, "", errors, chunked)
    all_names = [w["name"] for layer in weights for w in layer["weights"]]
    naming = weight_naming(all_names)
    major = versions.major(version)
    if version is None:
        if naming == "keras2":
            major = None
            evidence.append(
                "no keras_version attribute, but weight names use the Keras 2 <layer>/<weight> "
                "style: the Keras version cannot be told"
            )
        else:
            major = 1
            evidence.append(
                "no keras_version attribute (Keras 2+ always writes one; Keras's own loader "
                "treats such files as Keras 1)"
                + (
                    "; weight names use the Keras 1 <layer>_W/<layer>_b style"
                    if naming == "keras1"
                    else ""
                )
            )
    top = resolve(h5, "top_level_model_weights")
    top_count = 0
    if isinstance(top, h5py.Group):
        top_names, _ = list_attr(top, "weight_names")
        top_count = len(top_names)
    weight_count, weight_bytes = weight_totals(weights)
    tree = walk(h5)
    extension = extension_of(path.name)
    ext_note = legacy_extension_evidence(path.name, extension, weights_only=True)
    if ext_note:
        evidence.append(ext_note)
    if tree.external_links:
        evidence.append(
            f"{len(tree.external_links)} HDF5 external link(s) to other files (not followed)"
        )
    details = KerasH5WeightsDetails(
        layer_names=layer_names,
        layer_count=len(layer_names),
        weighted_layer_count=sum(1 for layer in weights if layer["weights"]),
        weight_count=weight_count,
        weight_bytes=weight_bytes,
        weights=weights,
        top_level_model_weights=isinstance(top, h5py.Group),
        top_level_weight_count=top_count,
        keras_major=major,
        tf_keras=tf_keras(version),
        weight_naming=naming,
        layer_names_chunked="layer_names" in chunked,
        chunked_attributes=dict(sorted(chunked.items())),
        external_links=tree.external_links,
        extension=extension,
    )
    return Reading(
        "keras-h5-weights",
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={"weights": weights, "layer_names": layer_names},
    )
