"""Reading a `.keras` archive or folder: metadata, config and weights facts in one record.

The container layer lists members; this module reads metadata.json and config.json (each capped
at 64 MB), hands the config to `config` and the weights members to `weights`, and assembles the
`KerasV3Details`. Missing or unreadable members become error lines that say what to do, not
exceptions: a damaged archive still tells what it holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from migrator.formats.keras_zip.config import config_details, saved_by
from migrator.formats.keras_zip.container import (
    ASSETS_PREFIX,
    CONFIG,
    FORMAT,
    METADATA,
    REMEDY_RESAVE,
    WEIGHTS_H5,
    WEIGHTS_NPZ,
    FolderSource,
    Member,
    Source,
    ZipSource,
    artifact_error,
    keras_names,
    read_object,
    unsafe_reason,
)
from migrator.formats.keras_zip.details import KerasV3Details
from migrator.formats.keras_zip.weights import LEGACY_LAYER_ROOT, npz_facts, weights_facts
from migrator.model import Candidate, Reading

MEMBERS_LISTED = 200
_METHODS = {0: "stored", 8: "deflated", 12: "bzip2", 14: "lzma"}


def read(candidate: Candidate) -> Reading:
    """Read a `.keras` zip or unzipped folder; ArtifactError when it holds nothing Keras wrote."""
    path = candidate.location
    if path.is_dir():
        return _read_source(FolderSource(path), path)
    with path.open("rb") as fh:
        return _read_source(ZipSource(path, fh), path)


def _read_source(source: Source, path: Path) -> Reading:
    errors: list[str] = []
    latest = {m.name: m for m in source.members}  # the last entry wins, as in zipfile and Keras
    details, evidence = _container_facts(source, path, latest)

    metadata = read_object(source, latest.get(METADATA), METADATA, errors)
    if METADATA not in latest:
        errors.append(
            f"{METADATA} missing: every Keras writer since tf.keras 2.12 stores it, so the "
            f"producing Keras version is unknown; {REMEDY_RESAVE}"
        )
    metadata = metadata or {}
    producer = {k: v for k, v in metadata.items() if k.endswith("_version") and isinstance(v, str)}
    keras_version = producer.get("keras_version")
    if keras_version:
        evidence.append(f"{METADATA} keras_version={keras_version!r}")
    date_saved = metadata.get("date_saved")
    details["keras_version"] = keras_version
    details["date_saved"] = date_saved if isinstance(date_saved, str) else None
    details["metadata"] = {
        k: (v[:200] if isinstance(v, str) else v)
        for k, v in metadata.items()
        if isinstance(v, (str, int, float, bool)) or v is None
    }

    model_config = read_object(source, latest.get(CONFIG), CONFIG, errors)
    if CONFIG not in latest:
        errors.append(
            f"{CONFIG} missing: Keras cannot rebuild the model without it; {REMEDY_RESAVE}"
        )
    if model_config is not None and isinstance(model_config.get("class_name"), str):
        evidence.append(f"{CONFIG} class_name={model_config['class_name']!r}")
    details["saved_by"], details["saved_by_evidence"] = saved_by(keras_version, model_config)
    details.update(config_details(model_config))

    details["weights"] = weights_facts(source, latest, errors)
    details["weights_layout"] = weights_layout(details["weights"])
    details["weights_numbering"] = weights_numbering(details["weights"])
    if details["weights_layout"] == LAYOUT_TF212:
        evidence.append(
            f"{WEIGHTS_H5} keeps layers under {TF212_GROUP}/ (tf.keras 2.12-2.14 layout)"
            + _NUMBERING_EVIDENCE.get(details["weights_numbering"], "")
        )
    details.update(_member_details(source))

    compile_config = model_config.get("compile_config") if model_config else None
    return Reading(
        FORMAT,
        producer=producer,
        details=KerasV3Details(**details),
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={"model_config": model_config, "metadata": metadata, "compile_config": compile_config},
    )


# tf.keras 2.12 (its experimental `save_format="keras_v3"`), 2.13 and 2.14 (their default `.keras`
# and `.weights.h5`) walk the model's attributes in `dir()` order (keras/saving/saving_lib.py) and
# meet `_layer_checkpoint_dependencies` before `layers`, so a Sequential/Functional model's layers
# are stored under `_layer_checkpoint_dependencies/<snake_case class>[_N]`. 2.12 and 2.13 number
# a layer with weights twice (the property lists it as `layer_with_weights-i` and `layer-j`); 2.14
# skips a layer already visited (`weights_numbering`). tf.keras 2.15 put the property on the walk's
# skip list: from 2.15 (and in tf_keras and Keras 3) the weights sit under `layers/`.
# (knowledge.loaders.V3_WEIGHTS_LAYERS_LAYOUT_SINCE, V3_WEIGHTS_COMPACT_NUMBERING_SINCE)
TF212_GROUP = LEGACY_LAYER_ROOT
LAYOUT_TF212 = "tf.keras-2.12"  # named after the first release that wrote it
LAYOUT_CURRENT = "layers"
_NUMBERING_EVIDENCE = {
    "gapped": ", layers of one class numbered with gaps (`dense`, `dense_2`: tf.keras 2.12-2.13)",
    "compact": ", layers of one class numbered without gaps (`dense`, `dense_1`: tf.keras 2.14)",
}


def weights_layout(weights: Mapping[str, Any]) -> str | None:
    """Which saving_lib walk wrote the weights file: `tf.keras-2.12`, `layers`, or None."""
    layout = weights.get("layout") if isinstance(weights, Mapping) else None
    groups = layout.get("groups") if isinstance(layout, Mapping) else None
    if not isinstance(groups, list):
        return None
    if TF212_GROUP in groups:
        return LAYOUT_TF212
    if "layers" in groups:
        return LAYOUT_CURRENT
    return None


def weights_numbering(weights: Mapping[str, Any]) -> str | None:
    """`gapped`, `compact` or None: how the tf.keras 2.12-2.14 walk numbered the layers
    (`weights.layer_numbering`), for a weights file in that layout only."""
    if weights_layout(weights) != LAYOUT_TF212:
        return None
    layout = weights.get("layout")
    numbering = layout.get("numbering") if isinstance(layout, Mapping) else None
    return numbering if isinstance(numbering, str) else None


def _container_facts(
    source: Source, path: Path, latest: Mapping[str, Member]
) -> tuple[dict[str, Any], list[str]]:
    """Zip or folder, extension, and the evidence lines; refuses archives with no Keras members."""
    names = list(latest)
    found = [n for n in (METADATA, CONFIG, WEIGHTS_H5, WEIGHTS_NPZ) if n in latest]
    details: dict[str, Any] = {"container": source.container}
    if isinstance(source, FolderSource):
        details["extension"] = path.suffix.lower()
        return details, ["folder holds " + ", ".join(found)]
    if not names:
        raise artifact_error(
            path, "empty zip archive (no members): nothing Keras wrote", REMEDY_RESAVE
        )
    if not keras_names(set(names)) and CONFIG not in latest:
        raise artifact_error(path, _not_keras_problem(names), _not_keras_remedy(names))
    source.fh.seek(0)
    evidence = [
        f"zip signature {source.fh.read(4)!r} at offset 0",
        "central directory lists " + ", ".join(found),
    ]
    suffix = path.suffix.lower()
    details["extension"] = suffix
    if suffix != ".keras":
        evidence.append(
            f"named {suffix or '(no extension)'} but the bytes are a Keras zip archive (.keras)"
        )
    return details, evidence


def _member_details(source: Source) -> dict[str, Any]:
    """Member list, assets, duplicates, names unsafe to extract, and pickles in npz weights."""
    members = source.members
    counts = Counter(m.name for m in members)
    unsafe = [u for m in members if (u := unsafe_reason(m)) is not None]
    if isinstance(source, FolderSource):
        unsafe.extend(source.escaping)
    npz_arrays, npz_issues = npz_facts(source, members)
    return {
        "assets": sorted(n for n in counts if n.startswith(ASSETS_PREFIX) and not n.endswith("/")),
        "members": [
            {
                "name": m.name,
                "bytes": m.size,
                "compressed_bytes": m.compressed_size,
                "method": _METHODS.get(m.method, f"method {m.method}"),
            }
            for m in members[:MEMBERS_LISTED]
        ],
        "member_count": len(members),
        "duplicate_members": sorted(n for n, c in counts.items() if c > 1),
        "unsafe_members": unsafe,
        "npz_object_arrays": npz_arrays,
        "npz_issues": npz_issues,
    }


def _not_keras_problem(names: Sequence[str]) -> str:
    shown = ", ".join(names[:5]) + (f", ... ({len(names)} members)" if len(names) > 5 else "")
    return f"zip archive without Keras members (no {CONFIG} or {METADATA}); it holds {shown}"


def _not_keras_remedy(names: Sequence[str]) -> str:
    if any(PurePosixPath(n).name in ("saved_model.pb", "saved_model.pbtxt") for n in names):
        return "it looks like a zipped SavedModel: unzip it and audit the folder"
    nested = sorted(
        {str(PurePosixPath(n).parent) for n in names if PurePosixPath(n).name == CONFIG}
    )
    if nested:
        return (
            f"the Keras files sit in the folder {nested[0]}/ but Keras reads them only at the "
            "archive root: zip the folder's contents, not the folder"
        )
    return "this is not a Keras model; save one with model.save('model.keras')"
