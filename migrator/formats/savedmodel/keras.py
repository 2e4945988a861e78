"""The Keras model inside a SavedModel, from whichever of its three homes records it.

`keras_metadata.pb` (TF 2.5..2.15 `model.save`), the object graph's `_tf_keras_*` user objects
(TF 2.0..2.4 keep the model config in their metadata), or `assets/saved_model.json`
(`tf.contrib` / `tf.keras.experimental.export_saved_model`). A `keras_metadata.pb` whose
protobuf framing was damaged still yields its root metadata JSON when that is intact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from migrator.formats import keras_config, protos
from migrator.formats.savedmodel.names import KERAS_JSON, KERAS_METADATA, MAX_JSON_BYTES
from migrator.formats.savedmodel.proto import ParsedSavedModel, text_mangling_hint
from migrator.knowledge.savedmodel import KERAS_MODEL_IDENTIFIERS


@dataclass
class KerasModel:
    source: str
    identifier: str | None
    config: Mapping[str, Any] | None
    keras_version: Any = None
    backend: Any = None
    training_config: Any = None
    salvaged: bool = False  # read from a damaged file (see _salvage_root_metadata)

    def summary(self) -> dict[str, Any]:
        summary = keras_config.summarize(self.config) if self.config else None
        return {
            "source": self.source,
            "identifier": self.identifier,
            "keras_version": self.keras_version if isinstance(self.keras_version, str) else None,
            "backend": self.backend if isinstance(self.backend, str) else None,
            "layer_count": summary["layer_count"] if summary else None,
            "summary": summary,
        }


def find_keras_model(
    folder: Path,
    top: frozenset[str],
    parsed: ParsedSavedModel,
    errors: list[str],
    evidence: list[str],
) -> KerasModel | None:
    """The Keras model in the SavedModel, from the first source that records one."""
    if KERAS_METADATA in top:
        found = _from_keras_metadata(folder / KERAS_METADATA, errors)
        if found is not None:
            state = "corrupt, but its root metadata JSON is intact" if found.salvaged else "present"
            evidence.append(
                f"{KERAS_METADATA} {state} (root {found.identifier}, keras_version "
                f"{found.keras_version!r})"
            )
            return found
    found = _from_object_graph(parsed)
    if found is not None:
        evidence.append(f"object graph holds Keras objects (root {found.identifier})")
        return found
    if "assets/" in top and (folder / KERAS_JSON).is_file():
        found = _from_saved_model_json(folder / KERAS_JSON, errors)
        if found is not None:
            evidence.append(
                f"{KERAS_JSON} is a Keras model config ({(found.config or {}).get('class_name')})"
            )
            return found
    return None


def _model_config(metadata: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The model config in Keras SavedModel metadata: `model_config` when it carries a config
    (TF 2.3 writes only its class_name there), else the object's own class_name/config.
    Subclassed models saved without get_config() record no config at all: None."""
    model_config = metadata.get("model_config")
    if isinstance(model_config, Mapping) and isinstance(model_config.get("config"), Mapping):
        if keras_config.is_layer_entry(model_config):
            return model_config
    config = metadata.get("config")
    if keras_config.is_layer_entry(metadata) and isinstance(config, Mapping):
        if config.get("layer was saved without config"):
            return None
        return {"class_name": metadata["class_name"], "config": config}
    return None


def _from_keras_metadata(path: Path, errors: list[str]) -> KerasModel | None:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            errors.append(f"{KERAS_METADATA} is larger than {MAX_JSON_BYTES} bytes; not read")
            return None
        data = path.read_bytes()
    except OSError as exc:
        errors.append(f"cannot read {KERAS_METADATA} ({exc.strerror or exc}); check permissions")
        return None
    try:
        saved = protos.parse("SavedMetadata", data)
    except DecodeError:
        errors.append(
            f"{KERAS_METADATA} is corrupt (not a valid protobuf{text_mangling_hint(data)}): "
            "Keras cannot rebuild the model from it; copy it again from the original export, "
            "or load the SavedModel with tf.saved_model.load instead"
        )
        return _salvage_root_metadata(data)
    root = next((n for n in saved.nodes if n.node_path == "root"), None) or next(
        (n for n in saved.nodes if n.node_id == 0), None
    )
    if root is None:
        errors.append(f"{KERAS_METADATA} has no root node; re-save the model")
        return None
    metadata: Any = {}
    if root.metadata:
        try:
            metadata = json.loads(root.metadata)
        except ValueError as exc:
            errors.append(f"{KERAS_METADATA} root metadata is not valid JSON ({exc})")
            metadata = {}
    if not isinstance(metadata, Mapping):
        metadata = {}
    return KerasModel(
        source=KERAS_METADATA,
        identifier=root.identifier or None,
        config=_model_config(metadata),
        keras_version=metadata.get("keras_version"),
        backend=metadata.get("backend"),
        training_config=metadata.get("training_config"),
    )


_ROOT_NODE = re.compile(rb'\x1a\x04root"([\x01-\x7f])')


def _salvage_root_metadata(data: bytes) -> KerasModel | None:
    """The root node's metadata JSON from a keras_metadata.pb whose protobuf framing is broken.

    The root SavedObject is serialized as node_path "root" (field 3), identifier (field 4) and
    the metadata JSON (field 5), which Keras writes as ASCII. When only length varints were
    damaged (a text re-encoding, say), that JSON is still intact and says which Keras wrote
    the model; it is used only if it decodes completely as one JSON object.
    """
    match = _ROOT_NODE.search(data)
    if match is None:
        return None
    start = match.end()
    identifier = data[start : start + match.group(1)[0]].decode("ascii", "replace")
    brace = data.find(b"{", start)
    if brace < 0:
        return None
    try:
        metadata, _ = json.JSONDecoder().raw_decode(data[brace:].decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(metadata, Mapping) or not keras_config.is_layer_entry(metadata):
        return None
    return KerasModel(
        source=KERAS_METADATA,
        identifier=identifier or None,
        config=_model_config(metadata),
        keras_version=metadata.get("keras_version"),
        backend=metadata.get("backend"),
        training_config=metadata.get("training_config"),
        salvaged=True,
    )


def _from_object_graph(parsed: ParsedSavedModel) -> KerasModel | None:
    """TF 2.0..2.4 Keras SavedModels keep the model metadata in the object graph itself."""
    best: tuple[int, Any] | None = None
    any_keras: str | None = None
    for meta, _ in parsed.meta_graphs:
        for index, node in enumerate(meta.object_graph_def.nodes):
            if not node.HasField("user_object"):
                continue
            identifier = node.user_object.identifier
            if identifier.startswith("_tf_keras_") and any_keras is None:
                any_keras = identifier
            if identifier in KERAS_MODEL_IDENTIFIERS and (best is None or index == 0):
                best = (index, node.user_object)
                if index == 0:
                    break
        if best is not None:
            break
    if best is None:
        if any_keras is None:
            return None
        return KerasModel("object_graph", any_keras, None)
    user_object = best[1]
    metadata: Any = {}
    if user_object.metadata:
        try:
            metadata = json.loads(user_object.metadata)
        except ValueError:
            metadata = {}
    if not isinstance(metadata, Mapping):
        metadata = {}
    return KerasModel(
        source="object_graph",
        identifier=user_object.identifier,
        config=_model_config(metadata),
        keras_version=metadata.get("keras_version"),
        backend=metadata.get("backend"),
        training_config=metadata.get("training_config"),
    )


def _from_saved_model_json(path: Path, errors: list[str]) -> KerasModel | None:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        errors.append(f"{KERAS_JSON} is not valid JSON ({exc}); Keras cannot rebuild the model")
        return None
    if not (isinstance(data, Mapping) and keras_config.is_layer_entry(data)):
        return None
    return KerasModel(
        source=KERAS_JSON,
        identifier=None,
        config={"class_name": data["class_name"], "config": data.get("config")},
        keras_version=data.get("keras_version"),
        backend=data.get("backend"),
    )
