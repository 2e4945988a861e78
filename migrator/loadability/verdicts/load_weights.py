"""`keras.load_weights` / `tf_keras.load_weights` of each weights format, into the architecture
built in code.

Stages: "checkpoint-weights" (TF checkpoints), "h5-weights" (legacy HDF5 weights or models),
"keras-archive" then "keras-archive-weights" (a `.keras` archive), "v3-weights" (`.weights.h5`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from migrator.knowledge.loaders import KERAS3_READS_SHARD_LISTS_SINCE
from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Prediction, fails, loads, quote
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check, first_blocker, verdict
from migrator.loadability.verdicts.keras_archive import weights_layout, written_numbering

_ARCH = "into the same architecture built in code"


# --- TF checkpoints


def rooted_at_model(details: Mapping[str, Any]) -> bool:
    """An object-based checkpoint whose root is the Keras model itself (`save_weights` TF format).

    `tf.train.Checkpoint(model=model).save()` roots the graph at the Checkpoint, whose children
    are `model` and the `save_counter` it adds; `load_weights` then matches nothing. The root of
    a model's own checkpoint holds its layers (`layer-N`, `layer_with_weights-N`, or a subclassed
    model's attribute names) and never a `save_counter`.
    """
    if details.get("kind") != "object-based" or not details.get("keras_save_weights"):
        return False
    graph = details.get("object_graph")
    children = graph.get("root_children") if isinstance(graph, Mapping) else None
    if isinstance(children, list):
        return "save_counter" not in children
    names = [t.get("name", "") for t in details.get("tensors") or [] if isinstance(t, Mapping)]
    return not any(str(n).startswith("save_counter") for n in names)


@check(
    "checkpoint-weights",
    evidence="corpus/matrix.json: tf212/keras/custom/checkpoint x 2.12/keras.load_weights "
    '("Nothing except the root object matched a checkpointed value")',
)
def checkpoint_not_rooted_at_model(
    ev: Evidence, profile: LoaderProfile, container: str
) -> str | None:
    """A tf.train.Checkpoint or name-based checkpoint: load_weights matches none of its variables."""
    if rooted_at_model(ev.details):
        return None
    what = (
        "a tf.train.Checkpoint"
        if ev.details.get("kind") == "object-based"
        else "a name-based (tf.train.Saver)"
    )
    return (
        f"{what} checkpoint is not rooted at the model, so load_weights matches none of "
        "its variables; restore it with tf.train.Checkpoint(model=model).restore(prefix)"
    )


@check(
    "checkpoint-weights",
    evidence="corpus/matrix.json: tf212/keras/custom/checkpoint x 2.16/keras.load_weights "
    '("File format not supported... Keras 3 only supports V3 `.keras`")',
)
def keras3_reads_no_checkpoint(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Keras 3 load_weights does not read TF checkpoints."""
    if not profile.keras3:
        return None
    return (
        f"{profile.name} load_weights reads only `.weights.h5`, `.keras` and legacy "
        "`.h5` files, not TF checkpoints; load it with tf_keras, then save `.weights.h5`"
    )


@verdict(
    "load_weights",
    "tf-checkpoint",
    evidence="corpus/matrix.json: the load_weights cells of every checkpoint artifact",
)
def load_weights_checkpoint(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """load_weights of a TF-format checkpoint prefix."""
    blocked = first_blocker(("checkpoint-weights",), ev, profile)
    if blocked:
        return fails(blocked)
    return loads(f"{profile.name} restores the TF-format weights {_ARCH}")


# --- legacy HDF5


@check(
    "h5-weights",
    evidence="keras/src/saving/saving_api.py of Keras 3 and tf_keras (a `.weights.h5` name "
    "selects the Keras 3 weights layout)",
)
def legacy_h5_named_weights_h5(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A legacy HDF5 weights file named `.weights.h5`, read as the Keras 3 layout."""
    if not ev.name.endswith(".weights.h5"):
        return None
    return (
        f"{profile.name} reads a `.weights.h5` name as the Keras 3 weights layout, but "
        "this is a legacy HDF5 weights file; rename it to `.h5`"
    )


@check(
    "h5-weights",
    evidence="keras/src/saving/saving_api.py of Keras 3 (load_weights: legacy HDF5 only by "
    "`.h5`/`.hdf5` name)",
)
def hdf5_weights_not_named_h5(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Legacy HDF5 weights under a name Keras 3 does not take for HDF5."""
    if not profile.keras3 or ev.name.endswith((".h5", ".hdf5")):
        return None
    return (
        f"{profile.name} load_weights reads legacy HDF5 only under `.h5`/`.hdf5` names; "
        f"`{ev.name}` is not one (rename it)"
    )


@verdict(
    "load_weights",
    "keras-h5",
    "keras-h5-weights",
    evidence="corpus/matrix.json: the load_weights cells of every save-h5/weights-h5 artifact",
)
def load_weights_hdf5(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """load_weights of a legacy HDF5 model or weights file."""
    blocked = first_blocker(("h5-weights",), ev, profile)
    if blocked:
        return fails(blocked)
    return loads(f"{profile.name} loads the legacy HDF5 weights {_ARCH}")


# --- `.keras` archives


@check(
    "keras-archive-weights",
    evidence="keras/src/saving/saving_api.py of Keras 3.15.1 (load_weights of `.keras` opens a "
    "zip)",
)
def weights_of_unzipped_folder(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """load_weights of an unzipped `.keras` folder: only the zip is read."""
    if ev.details.get("container") != "folder":
        return None
    return f"{profile.name} load_weights reads a `.keras` zip, not a folder"


@verdict(
    "load_weights",
    "keras-v3",
    evidence="corpus/matrix.json: the load_weights cells of every save-keras artifact",
)
def load_weights_keras(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """load_weights of a `.keras` archive."""
    blocked = first_blocker(("keras-archive", "keras-archive-weights"), ev, profile)
    if blocked:
        return fails(blocked)
    return loads(f"{profile.name} loads the weights of the `.keras` archive {_ARCH}")


# --- `.weights.h5` (Keras v3 weights)


@check(
    "v3-weights",
    evidence="keras/src/saving/saving_api.py of Keras 3 and tf_keras (the layout is chosen by "
    "the `.weights.h5` suffix)",
)
def v3_weights_not_named(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """`.weights.h5` content under another name (sharded weights excepted in Keras 3)."""
    sharded = ev.details.get("sharded") and profile.keras3
    if ev.name.endswith(".weights.h5") or sharded:
        return None
    return (
        f"{profile.name} reads the `.weights.h5` layout only under a `.weights.h5` name; "
        f"rename `{ev.name}`"
    )


@check("v3-weights", evidence="knowledge.loaders.KERAS3_READS_SHARDED_WEIGHTS_SINCE")
def sharded_weights(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Sharded `.weights.json` weights, which only recent Keras 3 reads."""
    if not ev.details.get("sharded") or profile.reads_sharded_weights:
        return None
    return f"{profile.name} cannot read sharded `.weights.json` weights"


@check("v3-weights", evidence="knowledge.loaders.KERAS3_READS_SHARD_LISTS_SINCE")
def sharded_weights_shard_lists(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A `.weights.json` map naming lists of shards (Keras 3.11+), which Keras 3.10 misreads."""
    if not ev.details.get("sharded") or not profile.reads_sharded_weights:
        return None
    if profile.version >= KERAS3_READS_SHARD_LISTS_SINCE:
        return None
    if not ev.artifact.reading.raw.get("shard_lists"):  # one file per group, as 3.10 writes
        return None
    return (
        f"its `.weights.json` maps variables to lists of shards (written by Keras 3.11+), and "
        f"{profile.name} expects one file per variable path: the weights it restores are wrong; "
        "load it with Keras 3.11+"
    )


@check(
    "v3-weights",
    evidence="corpus/matrix.json: tf215 weights-weights-h5 artifacts x 2.12/keras.load_weights; "
    "knowledge.loaders.V3_WEIGHTS_LAYERS_LAYOUT_SINCE",
)
def layers_layout_for_tf212(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """`.weights.h5` under `layers/`, which tf.keras 2.12-2.14 do not look in."""
    if weights_layout(ev) != "layers" or profile.v3_layout != "legacy":
        return None
    return (
        f"{profile.name} expects `.weights.h5` layers under `_layer_checkpoint_dependencies/`; "
        "this file keeps them under `layers/` (tf.keras 2.15+, tf_keras and Keras 3 layout): "
        "load it with one of those"
    )


@check(
    "v3-weights",
    evidence="corpus/matrix.json: tf212/keras/custom/weights-weights-h5 x 2.15/keras.load_weights"
    " and 2.16/tf_keras.load_weights (\"Layer 'hidden' expected 2 variables, but received 0\")",
)
def tf212_layout_in_keras2(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """tf.keras 2.12-2.14's `_layer_checkpoint_dependencies/` layout in a later Keras 2 line."""
    if weights_layout(ev) != "legacy" or profile.v3_layout == "legacy" or profile.keras3:
        return None
    readers = {  # the lines whose walk numbers the layers as this file does
        "gapped": "tf.keras 2.12-2.13",
        "compact": "tf.keras 2.14 or Keras 3.0.2+",
    }.get(written_numbering(ev) or "", "tf.keras 2.12-2.14 or Keras 3.0.2+")
    return (
        f"this `.weights.h5` uses tf.keras 2.12-2.14's `_layer_checkpoint_dependencies/` "
        f"layout, which {profile.name} does not read; load it with {readers}"
    )


@check(
    "v3-weights",
    evidence="corpus/matrix.json: tf212/keras/custom/weights-weights-h5 x 2.16/keras.load_weights"
    ' ("A total of 1 objects could not be loaded"); corpus/matrix_extended.json: tf214/keras/'
    "sequential/weights-weights-h5 x tf213/keras.load_weights (\"Layer 'out' expected 2 "
    'variables, but received 0")',
)
def tf212_numbering_gaps(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """tf.keras 2.12-2.14's layout where the loader numbers layers otherwise than the writer:
    tf.keras 2.14 and Keras 3.0.2+ number compactly and miss the numbers 2.12-2.13 left gaps
    in, 2.12-2.13 look a 2.14 file's second layer of a class up as `<class>_2`, and Keras
    3.0.0-3.0.1 never looks there (knowledge.loaders.KERAS3_MAPS_TF212_LAYOUT_SINCE,
    V3_WEIGHTS_COMPACT_NUMBERING_SINCE)."""
    if weights_layout(ev) != "legacy":
        return None
    if profile.v3_layout == "legacy":  # tf.keras 2.12-2.14 read the old place, each its own way
        written = written_numbering(ev)
        if written is None or written == profile.v3_numbering:
            return None
        if written == "gapped":  # a 2.12-2.13 file in tf.keras 2.14
            return (
                f"tf.keras 2.12-2.13 numbered these layers {quote(skipped_layer_names(ev.details))}"
                f" with gaps, and {profile.name} looks them up as `<class>`, `<class>_1`, ...: "
                "their weights are never found; load it with tf.keras 2.12-2.13"
            )
        return (  # a 2.14 file in tf.keras 2.12-2.13
            f"tf.keras 2.14 numbered these layers {quote(numbered_layer_names(ev.details))} "
            f"without gaps, and {profile.name} looks a second layer of a class up as "
            "`<class>_2`: their weights are never found; load it with tf.keras 2.14 or Keras 3.0.2+"
        )
    if not profile.keras3:
        return None
    if not profile.maps_tf212_layout:  # Keras 3.0.0-3.0.1: no fallback to the old layout
        return (
            f"this `.weights.h5` uses tf.keras 2.12's `_layer_checkpoint_dependencies/` layout, "
            f"which {profile.name} does not read (Keras 3.0.2+ does); load it with a newer Keras 3"
        )
    skipped = skipped_layer_names(ev.details)
    if not skipped:
        return None
    return (
        f"tf.keras 2.12 numbered these layers {quote(skipped)} with gaps, and "
        f"{profile.name} looks them up as `<class>`, `<class>_1`, ...: their weights "
        "are never found"
    )


def numbered_layer_names(details: Mapping[str, Any]) -> list[str]:
    """Layer groups holding variables under a `<class>_<n>` name (n >= 1): those a walk that
    numbers otherwise looks up elsewhere."""
    out = []
    for layer in details.get("layers") or []:
        leaf = str(layer.get("path", "")).rpartition("/")[2]
        if re.fullmatch(r".*_\d+", leaf) and layer.get("variables"):
            out.append(leaf)
    return out


def skipped_layer_names(details: Mapping[str, Any]) -> list[str]:
    """Layer groups holding variables whose `<class>_<n>` number skips one (2.12 layout)."""
    seen: dict[tuple[str, str], int] = {}
    bad: list[str] = []
    for layer in details.get("layers") or []:
        parent, _, leaf = str(layer.get("path", "")).rpartition("/")
        match = re.fullmatch(r"(.*?)(?:_(\d+))?", leaf)
        base, number = (match.group(1), int(match.group(2) or 0)) if match else (leaf, 0)
        expected = seen.get((parent, base), 0)  # Keras numbers siblings, per class name
        seen[(parent, base)] = expected + 1
        if number != expected and layer.get("variables"):
            bad.append(leaf)
    return bad


@verdict(
    "load_weights",
    "keras-v3-weights",
    evidence="corpus/matrix.json: the load_weights cells of every weights-weights-h5 artifact",
)
def load_weights_v3(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """load_weights of a `.weights.h5` file (or sharded `.weights.json`)."""
    blocked = first_blocker(("v3-weights",), ev, profile)
    if blocked:
        return fails(blocked)
    if weights_layout(ev) == "legacy" and profile.v3_layout != "legacy":
        return loads(
            f"{profile.name} maps tf.keras 2.12's `_layer_checkpoint_dependencies/` layout "
            f"onto its own layer names {_ARCH}"
        )
    return loads(f"{profile.name} loads the `.weights.h5` weights {_ARCH}")
