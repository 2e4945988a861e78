"""Artifact rules about TF Hub's TF1 format (MIG140-MIG141): `hub.Module` modules, which TF2
runs only partly, and modules no tensorflow_hub release can read.
"""

from __future__ import annotations

from collections.abc import Mapping

from migrator.knowledge.tfhub import (
    DEFAULT_SIGNATURE,
    KERAS_LAYER_NEEDS_TF_KERAS_SINCE_TF,
    MODULE_FORMATS,
)
from migrator.knowledge.versions import render
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.artifacts._common import made_by


def _hub(artifact: Artifact) -> Mapping[str, object]:
    hub = artifact.details.get("hub")
    return hub if isinstance(hub, Mapping) else {}


@artifact_rule(
    "MIG140",
    "tfhub-tf1-module",
    title="TF1 Hub module (`hub.Module` format)",
    severity="medium",
    deprecated_in="tensorflow_hub 0.7 / TF 2.0 (the TF1 Hub format and `hub.Module` are for TF1; "
    "TF2 publishes Reusable SavedModels loaded with `hub.load`)",
    breaks_in="TF 2.x eager mode: `hub.Module` builds into a tf.compat.v1 graph and needs TF1 "
    "behaviour; `hub.load` drops its regularization losses and update ops, and "
    "`hub.KerasLayer(trainable=True)` raises ValueError",
    formats=("tfhub-module",),
    convert="tfhub-module-to-tf2",
)
def tf1_hub_module(artifact: Artifact) -> Hit | None:
    """A TF1 Hub module: a TF1 SavedModel with `tfhub_module.pb`, made for `hub.Module`.

    `hub.Module` instantiates the module into the current TF1 graph (variables, table
    initializers, collections), so in TF2 it runs only in the TF1 compatibility mode
    (`tf.compat.v1.disable_eager_execution()`). TF2's `hub.load` reads it as far as
    `tf.saved_model.load(path, tags=[])` does: its signatures run, but what `hub.Module` put in
    graph collections (regularization losses, batch-norm update ops) is lost and fine-tuning is
    not supported; `hub.KerasLayer` wraps that result, refuses `trainable=True`, and from TF 2.16
    is a tf_keras layer that Keras 3 models refuse.

    Fix: for inference in TF2, call `hub.load(path).signatures["default"]` (or
    `tf.saved_model.load(path, tags=[])`), or convert it (`tfhub-module-to-tf2`) to a TF2
    SavedModel whose `serving_default` is the module's `default` signature, which
    `tf.saved_model.load` and Keras 3's `TFSMLayer` load without tags; to keep fine-tuning, use
    the publisher's TF2 Reusable SavedModel of the same model.
    """
    hub = _hub(artifact)
    if not hub:
        return None
    variants = hub.get("graph_variants") or []
    names = ", ".join(
        "{" + ", ".join(repr(t) for t in v) + "}" if v else "set()"
        for v in variants  # type: ignore[union-attr]
    )
    signature = (
        f"signatures['{DEFAULT_SIGNATURE}']"
        if hub.get("default_signature")
        else "its signatures (there is no 'default' one)"
    )
    return Hit(
        f"TF1 Hub module ({made_by(artifact)}; graph variants {names or 'none'}): `hub.Module` "
        f"needs TF1 graph mode, and TF2's hub.load runs only {signature} without fine-tuning "
        f"(hub.KerasLayer needs tf_keras from TF {render(KERAS_LAYER_NEEDS_TF_KERAS_SINCE_TF)})",
        "in TF2 call hub.load(path).signatures['default'] (tf.saved_model.load(path, tags=[])) "
        "or `migrator convert` it to a TF2 SavedModel serving 'default' as serving_default; "
        "to fine-tune, switch to a TF2 Reusable SavedModel of the model",
    )


@artifact_rule(
    "MIG141",
    "tfhub-unreadable-module-def",
    title="TF1 Hub module that no `hub.Module` can read",
    severity="high",
    breaks_in="every tensorflow_hub release: `hub.Module` raises ValueError 'Unsupported module "
    "def format' or 'Unsupported features'",
    formats=("tfhub-module",),
)
def unreadable_module_def(artifact: Artifact) -> Hit | None:
    """`tfhub_module.pb` names a storage format other than FORMAT_V3, or required features.

    tensorflow_hub's loader accepts only `ModuleDef.format == FORMAT_V3` (3) and a module whose
    `required_features` it supports (none are defined); anything else is refused before the
    graph is read. `hub.load` ignores `tfhub_module.pb` and may still read the SavedModel, but
    the module was not written by a hub.Module export as published.

    Fix: download the module again from its publisher; if it was produced by a custom tool,
    rewrite `tfhub_module.pb` as `ModuleDef(format=FORMAT_V3)` only if the folder really holds
    a hub.Module export, or load it with `tf.saved_model.load(path, tags=[])`.
    """
    hub = _hub(artifact)
    if not hub:
        return None
    fmt = hub.get("module_format")
    unsupported = list(hub.get("unsupported_features") or [])  # type: ignore[call-overload]
    if fmt in MODULE_FORMATS and not unsupported:
        return None
    problem = (
        f"`tfhub_module.pb` declares format {fmt}, which no tensorflow_hub release reads "
        f"(only {', '.join(f'{v} = {k}' for k, v in MODULE_FORMATS.items())})"
        if fmt not in MODULE_FORMATS
        else "`tfhub_module.pb` requires features no tensorflow_hub release supports: "
        + ", ".join(f"`{name}`" for name in unsupported)
    )
    return Hit(
        f"{problem}: `hub.Module` refuses this module",
        "download the module again from its publisher, or load the SavedModel with "
        "tf.saved_model.load(path, tags=[])",
    )
