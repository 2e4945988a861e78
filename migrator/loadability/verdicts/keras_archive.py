"""Whether a loader opens a `.keras` archive (or unzipped folder) and finds its weights.

Stage "keras-archive", run by load_model and load_weights of `keras-v3` artifacts before
anything is built.
"""

from __future__ import annotations

from collections.abc import Mapping

from migrator.formats.keras_zip.weights import layer_numbering
from migrator.loadability.evidence import Evidence
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check


def weights_layout(ev: Evidence) -> str | None:
    """`layers` (tf.keras 2.15+, tf_keras, Keras 3) or `legacy` (tf.keras 2.12-2.14) for `.keras`
    weights (knowledge.loaders.V3_WEIGHTS_LAYERS_LAYOUT_SINCE)."""
    if ev.fmt == "keras-v3-weights":
        return "legacy" if ev.details.get("legacy_layer_key") else "layers"
    weights = ev.details.get("weights")
    layout = weights.get("layout") if isinstance(weights, Mapping) else None
    groups = layout.get("groups") if isinstance(layout, Mapping) else None
    if isinstance(groups, list):
        if "_layer_checkpoint_dependencies" in groups:
            return "legacy"
        if "layers" in groups:
            return "layers"
    return None


def written_numbering(ev: Evidence) -> str | None:
    """How the walk that wrote tf.keras 2.12-2.14's layout numbered the layers, from the bytes:
    "gapped" (2.12-2.13), "compact" (2.14), None when the group names do not tell
    (`formats.keras_zip.weights.layer_numbering`)."""
    if weights_layout(ev) != "legacy":
        return None
    if ev.fmt == "keras-v3-weights":
        owners = [
            str(layer.get("path", ""))
            for layer in ev.details.get("layers") or []
            if isinstance(layer, Mapping) and layer.get("variables")
        ]
        return layer_numbering(owners)
    numbering = ev.details.get("weights_numbering")
    return numbering if numbering in ("gapped", "compact") else None


@check("keras-archive", evidence="knowledge.loaders.KERAS3_READS_KERAS_FOLDER_SINCE")
def unzipped_folder(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """An unzipped `.keras` folder, which only recent Keras 3 loads."""
    if ev.details.get("container") != "folder" or profile.reads_keras_folder:
        return None
    return (
        f"{profile.name} loads `.keras` zip archives only, not an unzipped folder; "
        "zip it (stored, no compression) as `<name>.keras`"
    )


@check(
    "keras-archive",
    evidence='corpus/matrix.json: tf212/keras/custom/save-keras x 2.16/keras.load_model ("File '
    'not found: filepath=...") and x 2.16/keras.load_weights ("File is not a zip file")',
)
def archive_not_named_keras(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A `.keras` zip under another name: loaders recognise the archive by its extension."""
    if ev.details.get("container") == "folder" or ev.name.endswith(".keras"):
        return None
    return (
        f"{profile.name} recognises a Keras v3 archive only by its `.keras` name; this zip is "
        f"called `{ev.name}`: rename it to `.keras`"
    )


@check(
    "keras-archive",
    evidence="keras/saving/saving_lib.py of tf.keras 2.15 and tf_keras 2.21 (H5IOStore only); "
    "keras/src/saving/saving_lib.py of Keras 3 (NpzIOStore)",
)
def npz_weights_in_keras2(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A `.keras` archive whose weights are `model.weights.npz`, which Keras 2 lines never read."""
    weights = ev.details.get("weights") if isinstance(ev.details.get("weights"), Mapping) else {}
    if weights.get("format") != "npz" or profile.keras3:
        return None
    return (
        f"{profile.name} reads only `model.weights.h5` inside a `.keras` archive, not npz weights"
    )


@check(
    "keras-archive",
    evidence='corpus/matrix.json: tf215/keras/lambda/save-keras x 2.12/keras.load_model ("Layer '
    "'hidden' expected 2 variables, but received 0\"); knowledge.loaders."
    "V3_WEIGHTS_LAYERS_LAYOUT_SINCE",
)
def layers_layout_in_tf212(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """`.keras` weights under `layers/`, which tf.keras 2.12 looks for elsewhere (no weights)."""
    if weights_layout(ev) != "layers" or profile.v3_layout != "legacy":
        return None
    return (
        f"{profile.name} reads `.keras` weights under `_layer_checkpoint_dependencies/`, and "
        f"this archive ({ev.producer}) stores them under `layers/`: every layer would get "
        "no weights; load it with tf.keras 2.15+ or tf_keras"
    )
