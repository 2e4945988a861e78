"""What several artifact rule modules share: reading details, naming the producer in messages, and
the SavedModel signature keys. Each rule module keeps its own helpers; only what two of them use
lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.model import Artifact

CONFIG_FORMATS = ("keras-h5", "keras-json", "keras-yaml", "tfjs-layers", "saved-model")
CONVERT_KERAS = "convert it with `migrator convert --to keras`"


def detail(artifact: Artifact, key: str, default: Any = None) -> Any:
    return artifact.details.get(key, default)


def made_by(artifact: Artifact) -> str:
    """`Keras 2.15.0, TF 2.15.0`: the versions the artifact records, for messages."""
    parts = []
    keras = artifact.producer.get("keras_version")
    if keras:
        parts.append(f"Keras {keras}")
    tf = artifact.producer.get("tensorflow_version")
    if tf:
        parts.append(f"TF {tf}")
    backend = artifact.producer.get("backend")
    if backend and backend != "tensorflow":
        parts.append(f"{backend} backend")
    return ", ".join(parts) if parts else "no version recorded"


def meta_graphs(artifact: Artifact) -> list[Mapping[str, Any]]:
    graphs = detail(artifact, "meta_graphs") or []
    return [g for g in graphs if isinstance(g, Mapping)]


def signature_keys(artifact: Artifact) -> list[str]:
    keys: list[str] = []
    for graph in meta_graphs(artifact):
        for key in graph.get("signatures") or {}:
            if key not in keys:
                keys.append(key)
    return keys


def user_signatures(artifact: Artifact) -> list[str]:
    return [k for k in signature_keys(artifact) if not k.startswith("__saved_model_")]


def weights_remedy() -> str:
    """How to replace legacy weights: the conversion, which needs the architecture."""
    return (
        "convert it to `.weights.h5` with `migrator convert --to weights` and the architecture "
        "(`--arch` or `--model-factory`)"
    )
