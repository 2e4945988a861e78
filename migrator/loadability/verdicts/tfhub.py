"""The loaders of a TF1 Hub module (format ``tfhub-module``) in TF2: what `hub.load`,
`hub.KerasLayer` and Keras can do with the `hub.Module` format.

`hub.load(path)` is `tf.saved_model.load(path, tags=[])` for a TF1 Hub module (tensorflow_hub
`module_v2.load`), so the `tf.saved_model.load` cell is also hub.load's and hub.KerasLayer's
(which calls hub.load): the inference variant loads and its signatures run, what `hub.Module`
put in graph collections (regularization losses, update ops) is dropped, and fine-tuning is
unsupported. `hub.Module` itself needs TF1 graph mode and is not one of the measured loaders;
the rules say so. `load_model` sees a TF1 SavedModel with no Keras model in it: the SavedModel
verdicts decide, and the reason names the hub loaders to use instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.knowledge.tfhub import DEFAULT_SIGNATURE, HUB_LOAD_V1_TAGS
from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Need, Prediction, fails, with_needs
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import first_blocker, verdict, verdict_for
from migrator.loadability.verdicts.saved_model import meta_graphs

FORMAT = "tfhub-module"
_INSTEAD = (
    "a TF1 Hub module is used through hub.load(path) (signatures['default']) or "
    "hub.KerasLayer(path), not load_model; `migrator convert` (tfhub-module-to-tf2) makes it a "
    "TF2 SavedModel that keras.layers.TFSMLayer loads"
)


def _inference(ev: Evidence) -> Mapping[str, Any] | None:
    """The MetaGraph tagged with the empty set: what hub.load and hub.Module pick by default."""
    return next((m for m in meta_graphs(ev) if not m.get("tags")), None)


def _signature_names(meta: Mapping[str, Any] | None) -> list[str]:
    signatures = meta.get("signatures") if meta else None
    return sorted(signatures) if isinstance(signatures, Mapping) else []


@verdict(
    "tf.saved_model.load",
    FORMAT,
    evidence="knowledge.tfhub.HUB_LOAD_V1_TAGS (tensorflow_hub module_v2.py: tags=[] for v1 "
    "modules, then tf.saved_model.load); tests/test_tfhub_tf.py (a TF1 Hub module built with TF 2.21's "
    "SavedModelBuilder: refused without tags=, runs signatures['default'] with tags=[])",
)
def hub_module_load(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """tf.saved_model.load (and hub.load, hub.KerasLayer) of a TF1 Hub module."""
    blocked = first_blocker(("restore",), ev, profile)
    if blocked:
        return fails(blocked)
    metas = meta_graphs(ev)
    inference = _inference(ev)
    chosen = inference if inference is not None else (metas[0] if metas else None)
    names = _signature_names(chosen)
    if not names:
        return fails("the module's graph variant has no signatures to run")
    needs: list[Need] = []
    if len(metas) > 1:
        tags = list(HUB_LOAD_V1_TAGS) if inference is not None else sorted(chosen.get("tags") or [])  # type: ignore[union-attr]
        variants = [sorted(m.get("tags") or []) for m in metas]
        needs.append(
            (
                "tags",
                f"needs tags={tags!r}: {len(metas)} graph variants ({variants}) and "
                "tf.saved_model.load refuses to pick one (hub.load passes tags=[] itself)",
            )
        )
    call = DEFAULT_SIGNATURE if DEFAULT_SIGNATURE in names else names[0]
    reason = (
        f"TF {profile.tf} runs signatures[{call!r}] of the inference variant; what hub.Module "
        "adds to graph collections (regularization losses, update ops) is dropped and "
        "fine-tuning is unsupported (hub.KerasLayer refuses trainable=True)"
    )
    if inference is None:
        reason += (
            "; caveat: hub.load(path) passes tags=[] for a folder with tfhub_module.pb and this "
            "module has no variant tagged with the empty set: pass hub.load(path, tags=...) too"
        )
    return with_needs(reason, needs)


@verdict(
    "load_model",
    FORMAT,
    evidence="corpus/matrix.json: tf212/tf/linear/builder-tags x */keras.load_model and "
    "*/tf_keras.load_model (a TF1 SavedModel holds no Keras model: the SavedModel verdict this "
    "delegates to); knowledge.tfhub.HUB_LOAD_V1_TAGS",
)
def hub_module_load_model(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """load_model of a TF1 Hub module: a TF1 SavedModel without a Keras model."""
    cell = verdict_for("load_model", "saved-model").run(ev, profile)
    if cell.verdict != "fails":
        return cell
    return fails(f"{cell.reason}; {_INSTEAD}")


@verdict(
    "keras.layers.TFSMLayer",
    FORMAT,
    evidence="keras/src/export/tfsm_layer.py of Keras 3.3.3 and 3.15.1 (tf.saved_model.load "
    "without tags=, then call_endpoint as an attribute or a signature name); corpus/matrix.json: "
    'tf212/tf/linear/builder-tags x 2.16/keras.layers.TFSMLayer ("requires a `tags=` argument")',
)
def hub_module_tfsm_layer(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """Keras 3's TFSMLayer: one graph variant only, called through its `default` signature."""
    blocked = first_blocker(("restore",), ev, profile)
    if blocked:
        return fails(blocked)
    metas = meta_graphs(ev)
    if len(metas) > 1:
        return fails(
            f"{len(metas)} graph variants and TFSMLayer has no `tags=` argument (it calls "
            "tf.saved_model.load without one); use hub.load(path) or "
            "tf.saved_model.load(path, tags=[]), or `migrator convert` the module "
            "(tfhub-module-to-tf2) to one TFSMLayer loads"
        )
    names = _signature_names(metas[0] if metas else None)
    if DEFAULT_SIGNATURE not in names:
        return fails(f"no `{DEFAULT_SIGNATURE}` signature to call (signatures: {names or 'none'})")
    return with_needs(
        f"{profile.name} TFSMLayer calls the module's `{DEFAULT_SIGNATURE}` signature",
        [
            (
                "call_endpoint",
                f"needs call_endpoint={DEFAULT_SIGNATURE!r}: hub.add_signature names the "
                "module's signature 'default', not 'serve' or 'serving_default'",
            )
        ],
    )
