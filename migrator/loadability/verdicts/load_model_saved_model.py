"""`keras.load_model` / `tf_keras.load_model` of a SavedModel folder (stage "keras-savedmodel").

Only the Keras 2 lines revive a Keras model from a SavedModel, and only from one `model.save`
wrote (keras_metadata.pb, or before TF 2.5 the object graph's Keras metadata).
"""

from __future__ import annotations

from migrator.knowledge.savedmodel import KERAS_METADATA_PB_SINCE_TF
from migrator.knowledge.versions import render
from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Need, Prediction, fails, with_needs
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check, first_blocker, verdict


@check(
    "keras-savedmodel",
    evidence='corpus/matrix.json: tf212/keras/custom/export x 2.16/keras.load_model ("File '
    'format not supported... Keras 3 only supports V3 `.keras`")',
)
def keras3_reads_no_savedmodel(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Keras 3 load_model does not read SavedModel folders at all."""
    if not profile.keras3:
        return None
    return (
        f"{profile.name} load_model does not read SavedModel folders; use "
        "keras.layers.TFSMLayer or tf.saved_model.load, or convert it to `.keras`"
    )


@check(
    "keras-savedmodel",
    evidence='corpus/matrix.json: tf212/keras/custom/export x 2.12/keras.load_model ("Unable '
    'to create a Keras model from SavedModel"), tf212/tf/linear/builder-tags x 2.12',
)
def no_keras_model(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A SavedModel with no Keras model in it (tf.saved_model.save, model.export, TF1)."""
    source = ev.details.get("keras_source")
    if ev.details.get("keras") and source in ("keras_metadata.pb", "object_graph"):
        return None
    return (
        "no Keras model in this SavedModel (exported with tf.saved_model.save, "
        "model.export or a TF1 builder); use tf.saved_model.load"
    )


@check("keras-savedmodel", evidence="knowledge.savedmodel.KERAS_METADATA_PB_SINCE_TF")
def keras_objects_without_metadata(
    ev: Evidence, profile: LoaderProfile, container: str
) -> str | None:
    """Keras objects in the object graph of a TF >= 2.5 SavedModel with no keras_metadata.pb."""
    tf_version = ev.producer_tf
    if ev.details.get("keras_source") != "object_graph" or not tf_version:
        return None
    if tf_version < KERAS_METADATA_PB_SINCE_TF:
        return None
    return (
        f"the Keras objects have no keras_metadata.pb (TF {render(tf_version)} "
        "wrote it with tf.saved_model.save, not model.save); use tf.saved_model.load"
    )


@verdict(
    "load_model",
    "saved-model",
    evidence="corpus/matrix.json: the load_model cells of every save-dir/export artifact",
)
def load_model_saved_model(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """load_model of a SavedModel folder: revives the Keras model `model.save(dir)` wrote."""
    blocked = first_blocker(("keras-savedmodel",), ev, profile, "sm")
    if not blocked and ev.config is not None:
        blocked = first_blocker(("config",), ev, profile, "sm")
    if blocked:
        return fails(blocked)
    needs: list[Need] = []
    if ev.training:
        needs.append(
            (
                "optimizer_reset",
                f"the optimizer state is not restored ({profile.name} recompiles a fresh "
                "optimizer from the training config)",
            )
        )
    reason = f"{profile.name} revives the Keras model from the SavedModel"
    if ev.config and (ev.config.custom or ev.config.lambdas):
        reason += (
            "; custom and Lambda layers come back as revived layers running their saved "
            "functions (no Python class or bytecode needed)"
        )
    return with_needs(reason, needs)
