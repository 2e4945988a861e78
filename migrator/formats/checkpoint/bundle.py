"""SessionBundle exports (`session-bundle`): TensorFlow Serving's format before SavedModel.

A SessionBundle (`tensorflow/contrib/session_bundle`) is a folder holding `export.meta` (a
MetaGraphDef whose `serving_signatures` collection holds a `tensorflow.serving.Signatures` Any)
and its variables checkpoint with prefix `export` (`export`, `export-?????-of-?????`, or V2
`export.index` + `export.data-?????-of-?????`), read as any checkpoint prefix is.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError

from migrator.errors import ArtifactError
from migrator.formats import protos
from migrator.formats.checkpoint.details import SessionBundleDetails
from migrator.formats.checkpoint.found import Found
from migrator.formats.checkpoint.names import (
    BUNDLE_FORMAT,
    BUNDLE_META,
    BUNDLE_PREFIX,
    SIGNATURES_KEY,
    SIGNATURES_TYPE,
)
from migrator.formats.checkpoint.prefix import read_prefix
from migrator.model import Candidate, Reading
from migrator.storage import list_dir


def read_session_bundle(candidate: Candidate) -> Reading:
    """A SessionBundle export folder: its `export` checkpoint, signatures and assets."""
    folder = candidate.location
    try:
        names = list_dir(folder)[0]
    except OSError as exc:
        raise ArtifactError(folder, f"cannot list folder ({exc.strerror or exc})") from None
    found = read_prefix(folder, BUNDLE_PREFIX, names, meta=BUNDLE_META)
    d = found.details
    found.evidence.insert(0, f"{BUNDLE_META} (SessionBundle META_GRAPH_DEF_FILENAME)")
    if d["checkpoint_format"] is None:
        d["missing"] = [*d["missing"], "export / export-?????-of-????? / export.index"]
        found.errors.append(
            "SessionBundle without its variables checkpoint (no export, export-?????-of-????? "
            "or export.index beside export.meta); copy the files saved with the export"
        )
    meta = found.raw["meta_graph"]
    d["signatures"] = None
    if meta is not None:
        if SIGNATURES_KEY not in meta.collection_def:
            found.errors.append(
                f"{BUNDLE_META} has no '{SIGNATURES_KEY}' collection, so TensorFlow Serving has no "
                "signature to serve; re-export with signatures, preferably as a SavedModel"
            )
        else:
            d["signatures"] = _bundle_signatures(found, meta.collection_def[SIGNATURES_KEY])
    assets = folder / "assets"
    d["assets"] = sorted(p.name for p in assets.iterdir()) if assets.is_dir() else []
    if candidate.context:
        d["layout"] = dict(candidate.context)
    return found.reading(BUNDLE_FORMAT, SessionBundleDetails)


def _bundle_signatures(found: Found, collection: Any) -> dict[str, Any] | None:
    values = list(collection.any_list.value)
    if not values:
        found.errors.append(
            f"'{SIGNATURES_KEY}' collection holds no Any value; re-export with signatures"
        )
        return None
    any_value = values[0]
    if not any_value.type_url.endswith("/" + SIGNATURES_TYPE):
        found.errors.append(
            f"'{SIGNATURES_KEY}' holds {any_value.type_url!r}, not {SIGNATURES_TYPE}; "
            "re-export with the session_bundle Exporter or as a SavedModel"
        )
        return None
    try:
        sigs = protos.parse("ServingSignatures", any_value.value)
    except DecodeError:
        found.errors.append(f"'{SIGNATURES_KEY}' bytes are not a {SIGNATURES_TYPE} message")
        return None
    found.evidence.append(f"'{SIGNATURES_KEY}' collection holds {SIGNATURES_TYPE}")
    out: dict[str, Any] = {"default": None, "named": {}}
    if sigs.HasField("default_signature"):
        out["default"] = _bundle_signature(sigs.default_signature)
    for key in sorted(sigs.named_signatures):
        out["named"][key] = _bundle_signature(sigs.named_signatures[key])
    return out


def _bundle_signature(sig: Any) -> dict[str, Any]:
    if sig.HasField("regression_signature"):
        r = sig.regression_signature
        return {"type": "regression", "input": r.input.tensor_name, "output": r.output.tensor_name}
    if sig.HasField("classification_signature"):
        c = sig.classification_signature
        return {
            "type": "classification",
            "input": c.input.tensor_name,
            "classes": c.classes.tensor_name,
            "scores": c.scores.tensor_name,
        }
    if sig.HasField("generic_signature"):
        g = sig.generic_signature
        return {"type": "generic", "map": {k: g.map[k].tensor_name for k in sorted(g.map)}}
    return {"type": None}
