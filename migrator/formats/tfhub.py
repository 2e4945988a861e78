"""Reader for TF1 Hub modules (format id ``tfhub-module``): the `hub.Module` format.

A TF1 Hub module is a folder holding a TF1 SavedModel (``saved_model.pb``, ``variables/``,
``assets/``) plus ``tfhub_module.pb``, a tensorflow_hub `ModuleDef` naming the storage format
(``FORMAT_V3`` is the only one ever defined) and the features a reader must support. What sets it
apart from a serving SavedModel is how it is meant to be loaded: its MetaGraphs are graph variants
tagged by purpose (``set()`` for inference, ``{"train"}`` for fine-tuning) with signatures named
``default``, meant for `hub.Module` in a TF1 graph; `hub.load` in TF2 reads it only as far as
`tf.saved_model.load` does (see `migrator.knowledge.tfhub`). The tensorflow_hub docs say the
presence of ``tfhub_module.pb`` is how to tell the two apart on disk, and so does this reader.

Everything the SavedModel reader reports is reported here too (same fields, same `raw`), so the
graph-op security rules and the SavedModel facts apply unchanged; the ``hub`` detail adds the
`ModuleDef` and the graph variants. TF2 Hub models are plain TF2 SavedModels (format
``saved-model``); the SavedModel reader recognises the Reusable SavedModel interface they
implement (``details.reusable``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import protos, register
from migrator.formats.details import UNSET
from migrator.formats.savedmodel import PB, PBTXT
from migrator.formats.savedmodel import read as read_savedmodel
from migrator.formats.savedmodel.details import SavedModelDetails
from migrator.formats.savedmodel.layout import members as savedmodel_members
from migrator.knowledge.tfhub import (
    ATTACHMENT_COLLECTION,
    DEFAULT_SIGNATURE,
    MODULE_FORMATS,
    MODULE_PROTO,
    SUPPORTED_FEATURES,
)
from migrator.model import Candidate, Reading

FORMAT = "tfhub-module"
MAX_MODULE_DEF_BYTES = 1 << 20  # a ModuleDef is an enum and a few feature names

register(__name__, formats=(FORMAT,), order=5)


@dataclass(frozen=True, eq=False)
class TfHubDetails(SavedModelDetails):
    """A TF1 Hub module: every SavedModel field, then ``hub``.

    ``hub``: {module_format (int), module_format_name ("FORMAT_V3", or "unknown" for a value no
    tensorflow_hub release reads), required_features, unsupported_features (those no release
    supports), graph_variants (each MetaGraph's sorted tags), inference_variant (a MetaGraph
    tagged with the empty set exists), default_signature (the inference variant has the
    ``default`` signature), attachments (a variant carries ``hub.attach_message`` data)}.
    """

    hub: Any = UNSET


def claim_dir(path: Path, names: frozenset[str]) -> bool:
    """A folder with ``tfhub_module.pb`` beside its SavedModel proto (or missing it: an error)."""
    return MODULE_PROTO in names


def members(path: Path, names: frozenset[str]) -> frozenset[str]:
    """The SavedModel's entries plus ``tfhub_module.pb``."""
    return savedmodel_members(path, names) | {MODULE_PROTO}


def read(candidate: Candidate) -> Reading:
    folder = candidate.location
    module_def, evidence = _module_def(folder)
    if not any((folder / name).is_file() for name in (PB, PBTXT)):
        raise ArtifactError(
            folder,
            f"{MODULE_PROTO} without saved_model.pb: the module's graph is missing",
            "copy the whole module folder again (tfhub_module.pb, saved_model.pb, variables/)",
            format=FORMAT,
        )
    try:
        base = read_savedmodel(candidate)
    except ArtifactError as exc:
        raise ArtifactError(folder, exc.problem, exc.remedy, format=FORMAT) from None
    saved = base.details
    metas = list(saved.get("meta_graphs") or [])
    variants = [sorted(m.get("tags") or []) for m in metas]
    inference = next((m for m in metas if not m.get("tags")), None)
    fmt = int(module_def.format)
    required = sorted(module_def.required_features)
    hub = {
        "module_format": fmt,
        "module_format_name": MODULE_FORMATS.get(fmt, "unknown"),
        "required_features": required,
        "unsupported_features": sorted(set(required) - SUPPORTED_FEATURES),
        "graph_variants": variants,
        "inference_variant": inference is not None,
        "default_signature": bool(inference and DEFAULT_SIGNATURE in inference["signatures"]),
        "attachments": any(ATTACHMENT_COLLECTION in (m.get("collections") or []) for m in metas),
    }
    evidence.append(
        "graph variants (MetaGraph tag sets): "
        + ", ".join("{" + ", ".join(repr(t) for t in v) + "}" if v else "set()" for v in variants)
    )
    values = {f.name: getattr(saved, f.name, UNSET) for f in fields(SavedModelDetails)}
    return Reading(
        format=FORMAT,
        producer=base.producer,
        details=TfHubDetails(**values, hub=hub),
        evidence=(*evidence, *base.evidence),
        errors=base.errors,
        raw=base.raw,
    )


def _module_def(folder: Path) -> tuple[Any, list[str]]:
    path = folder / MODULE_PROTO
    try:
        size = path.stat().st_size
        if size > MAX_MODULE_DEF_BYTES:
            raise ArtifactError(
                path,
                f"{size} bytes is not a plausible ModuleDef (a format number and feature names)",
                "check where the module came from; a TF Hub module's tfhub_module.pb is a few bytes",
                format=FORMAT,
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(
            path, f"cannot read ({exc.strerror or exc})", "check permissions", format=FORMAT
        ) from None
    try:
        parsed = protos.parse("ModuleDef", data)
    except Exception as exc:  # google.protobuf DecodeError and kin
        raise ArtifactError(
            path,
            f"does not parse as a tensorflow_hub ModuleDef ({type(exc).__name__})",
            "re-download the module; a hub.Module export writes it with the SavedModel",
            format=FORMAT,
        ) from None
    fmt = int(parsed.format)
    name = MODULE_FORMATS.get(fmt, "unknown")
    return parsed, [
        f"{MODULE_PROTO} parses as a tensorflow_hub ModuleDef (format {fmt} = {name}): "
        "a TF1 Hub module, the hub.Module format"
    ]
