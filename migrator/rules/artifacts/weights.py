"""Artifact rules about weights, checkpoints and compile state (MIG115-MIG120, MIG127): TF-format
weight checkpoints, TF1 Saver checkpoints, missing variables, custom objects, optimizer state and
loss aliases Keras 3 cannot restore.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from migrator.facts import (
    custom_classes,
    custom_training_objects,
    model_config,
    short_list,
    training_config,
)
from migrator.knowledge.keras3 import KERAS3, UNRESOLVED_LOSS_ALIASES
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.artifacts._common import (
    CONFIG_FORMATS,
    CONVERT_KERAS,
    detail,
    made_by,
    weights_remedy,
)

# --- weights and checkpoints ------------------------------------------------------------------


@artifact_rule(
    "MIG115",
    "tf-format-weights-checkpoint",
    title='Keras weights saved in the TF checkpoint format (`save_weights("ckpt")`)',
    severity="high",
    deprecated_in='TF 2.13 (`save_format="tf"` for weights deprecated)',
    breaks_in=f'{KERAS3}: `load_weights` raises "File format not supported: ... Keras 3 only '
    'supports V3 `.keras` files, `.weights.h5` files"',
    convert="weights-to-keras",
    formats=("tf-checkpoint",),
)
def tf_format_weights_checkpoint(artifact: Artifact) -> Hit | None:
    """An object-based checkpoint written by Keras `model.save_weights(path)` without `.h5`.

    tf.keras 1.x-2.15 wrote TF checkpoints (`.index` + `.data-*` + `checkpoint`) for weight paths
    without an HDF5 suffix. Keras 3 reads only `.weights.h5` (and legacy `.h5`), so these
    weights can no longer be loaded into a Keras model without TensorFlow's checkpoint reader.

    Fix: rebuild the model, load the checkpoint with tf_keras (or `tf.train.Checkpoint`) and save
    `.weights.h5`: `migrator convert --to weights --arch model.json` does this and checks every
    variable was matched.
    """
    if not detail(artifact, "keras_save_weights"):
        return None
    prefix = detail(artifact, "prefix") or artifact.path
    return Hit(
        f"Keras weights in TF checkpoint format (prefix `{prefix}`, "
        f"{detail(artifact, 'tensor_count', '?')} tensors): Keras 3 `load_weights` cannot read "
        "checkpoints",
        weights_remedy(),
    )


@artifact_rule(
    "MIG116",
    "tf1-saver-checkpoint",
    title="Name-based TF1 checkpoint (`tf.train.Saver`)",
    severity="medium",
    deprecated_in="TF 2.0 (`tf.train.Saver` moved to `tf.compat.v1`; TF2 checkpoints are "
    "object-based)",
    breaks_in="TF 2.x: `tf.train.Checkpoint.restore` cannot map variable names; only "
    "`tf.compat.v1.train.Saver` or name-by-name reading with `tf.train.load_checkpoint` work",
    formats=("tf-checkpoint",),
)
def tf1_saver_checkpoint(artifact: Artifact) -> Hit | None:
    """A checkpoint keyed by graph variable names, written by `tf.train.Saver` (TF1, estimators).

    TF2 restores object-based checkpoints by walking the object graph; a name-based checkpoint
    has none, so `tf.train.Checkpoint.restore` and Keras `load_weights` cannot use it. It is
    readable tensor by tensor with `tf.train.load_checkpoint(prefix)`, or restorable into a TF1
    graph with `tf.compat.v1.train.Saver`.

    Fix: rebuild the model in Keras, copy the tensors by name (`tf.train.load_checkpoint(prefix)
    .get_tensor(name)` -> `layer.set_weights`) and save `.keras`; keep the `.meta` graph if the
    model is only defined there.
    """
    if detail(artifact, "kind") != "name-based":
        return None
    meta = detail(artifact, "meta_graph") or {}
    graph = " (graph in its `.meta`)" if isinstance(meta, Mapping) and meta.get("ops") else ""
    return Hit(
        f"name-based tf.train.Saver checkpoint `{detail(artifact, 'prefix')}` "
        f"({made_by(artifact)}, {detail(artifact, 'tensor_count', '?')} tensors){graph}: TF2 "
        "object-based restore and Keras cannot map its variable names",
        "copy the tensors by name into a Keras rebuild (`tf.train.load_checkpoint(prefix)`) "
        "and save `.keras`",
    )


def _missing_files(artifact: Artifact) -> list[str]:
    fmt = artifact.format
    if fmt == "saved-model":
        variables = detail(artifact, "variables") or {}
        if variables.get("needed") or variables.get("index"):
            return list(variables.get("missing") or [])
        return []
    if fmt in ("tf-checkpoint", "session-bundle"):
        return list(detail(artifact, "missing") or [])
    if fmt in ("tfjs-layers", "tfjs-graph"):
        return list((detail(artifact, "shards") or {}).get("missing") or [])
    if fmt == "keras-v3-weights":
        return list(detail(artifact, "missing_shards") or [])
    if fmt == "keras-v3":
        weights = detail(artifact, "weights") or {}
        if not weights:
            return []
        missing = [s.get("member") for s in weights.get("shards") or [] if s.get("bytes") is None]
        if weights.get("member") is None:
            missing.insert(0, "model.weights.h5")
        return [str(m) for m in missing]
    return []


@artifact_rule(
    "MIG117",
    "missing-variables",
    title="Variables, weight shards or data files missing",
    severity="high",
    breaks_in="every TF/Keras version: the weights cannot be restored",
    formats=(
        "saved-model",
        "tf-checkpoint",
        "session-bundle",
        "tfjs-layers",
        "tfjs-graph",
        "keras-v3",
        "keras-v3-weights",
    ),
)
def missing_variables(artifact: Artifact) -> Hit | None:
    """Files the artifact needs for its weights are not there.

    A SavedModel without `variables/` (or with fewer `variables.data-*` shards than the index
    announces), a checkpoint whose `.data-*` shard is gone, TF.js weight shards or Keras 3 weight
    shards that the manifest lists but the folder lacks: the graph or architecture is intact, the
    trained values are not. Copies that skip large files (git without LFS, partial uploads) do
    this.

    Fix: copy the missing files from the original export; there is no way to recover weights
    from the graph alone.
    """
    missing = _missing_files(artifact)
    if not missing:
        return None
    return Hit(
        f"missing {short_list(missing)}: the weights cannot be restored, so the model cannot be "
        "loaded",
        "copy the missing files from the original export",
    )


@artifact_rule(
    "MIG118",
    "dangling-checkpoint-state",
    title="`checkpoint` state file pointing at checkpoints that are not there",
    severity="medium",
    breaks_in="every TF version: `tf.train.latest_checkpoint(dir)` returns the recorded path even "
    "when it does not exist, and restoring from it fails",
    formats=("tf-checkpoint", "session-bundle"),
)
def dangling_checkpoint_state(artifact: Artifact) -> Hit | None:
    """The `checkpoint` file names checkpoints that are missing, or absolute paths.

    `tf.train.latest_checkpoint`, `tf.train.CheckpointManager` and Estimator `model_dir`
    restore use `model_checkpoint_path` from this file; after copying a training folder it often
    points at the source machine (`/home/user/...`) or at checkpoints that were pruned. When the
    current entry is missing, restoring fails; when only older entries dangle, managers try to
    delete files that are not there.

    Fix: rewrite the `checkpoint` file with relative paths of the checkpoints present
    (`tf.train.update_checkpoint_state(dir, prefix)`), or delete it and pass the prefix
    explicitly.
    """
    state = detail(artifact, "state")
    if not isinstance(state, Mapping) or "error" in state:
        return None
    dangling = list(state.get("dangling") or [])
    if not dangling:
        return None
    current = state.get("model_checkpoint_path")
    if not state.get("points_here"):
        return Hit(
            f"`checkpoint` state file names `{current}`, which is not here"
            + (" (absolute path from another machine)" if state.get("absolute_paths") else "")
            + ": tf.train.latest_checkpoint returns a path that does not exist",
            "rewrite it with `tf.train.update_checkpoint_state(dir, prefix)` using the relative "
            "prefix present, or delete it and pass the prefix explicitly",
        )
    return Hit(
        f"`checkpoint` state file lists {len(dangling)} checkpoint(s) that are not here "
        f"({short_list(dangling, 3)}); the current one, `{current}`, is present",
        "rewrite it with `tf.train.update_checkpoint_state(dir, prefix)` so it lists only the "
        "checkpoints that exist",
        severity="low",
    )


@artifact_rule(
    "MIG119",
    "custom-objects-required",
    title="Custom classes or functions required to load",
    severity="medium",
    breaks_in='every Keras version: `load_model` raises "Unknown layer" / "Could not locate '
    'class" unless the code is imported or passed as `custom_objects`',
    formats=(*CONFIG_FORMATS, "keras-v3"),
)
def custom_objects_required(artifact: Artifact) -> Hit | None:
    """The config names layers, models, losses or functions that Keras does not define.

    Registered classes (`Package>Name`, `registered_name`), modules outside Keras, subclassed
    models whose config is only their class name, custom losses in the training config: Keras
    can only rebuild them with the user's code imported (or passed as `custom_objects`), so the
    artifact is not self-contained and converting it needs that code too. (tf_keras can revive a
    SavedModel without the classes, as an object that only calls its traced functions.)

    Fix: keep the code that defines them with the artifact, load with
    `custom_objects={...}` (or import the module that registers them), and convert with
    `migrator convert --custom-objects your_module`.
    """
    if artifact.format == "keras-v3":
        entries = [e for e in detail(artifact, "custom_objects") or [] if isinstance(e, Mapping)]
        found = [
            f"{e.get('class_name')} ({e.get('module') or e.get('registered_name')})"
            for e in entries
        ]
        where = "config.json"
    else:
        config = model_config(artifact)
        found = (
            [f"{name} at {path}" for path, name in custom_classes(config.config)] if config else []
        )
        where = config.where if config else "the training config"
    training = training_config(artifact)
    if training:
        found += [f"{name} ({key})" for key, name in custom_training_objects(training)]
    if not found:
        return None
    found = list(dict.fromkeys(found))
    severity = "low" if artifact.format == "saved-model" else None
    return Hit(
        f"{len(found)} custom class(es)/function(s) Keras does not define, in {where}: "
        f"{short_list(found)}: loading needs that code",
        "load with `custom_objects={...}` (or import the module that registers them) and "
        "convert with `migrator convert --custom-objects MODULE`",
        severity=severity,
    )


# Slot and bookkeeping variables tf.train optimizers add (`w/Adam`, `beta1_power`, `.../Momentum`).
_TF1_SLOT = re.compile(
    r"(/(Adam|Adam_1|Momentum|RMSProp|RMSProp_1|Adagrad|Adadelta|Adadelta_1|Ftrl|Ftrl_1|"
    r"accumulator|ProximalAdagrad)$)|(^|/)beta[12]_power$"
)


def _optimizer_problems(artifact: Artifact) -> Iterator[str]:
    fmt = artifact.format
    if fmt == "keras-h5" and detail(artifact, "optimizer_weights"):
        major = detail(artifact, "keras_major")
        if major is None or major < 3:
            yield (
                f"{detail(artifact, 'optimizer_weight_count', 0)} optimizer weights saved by Keras "
                f"{artifact.producer.get('keras_version') or '1/2'}, which Keras 3's HDF5 loader "
                'discards ("Error in loading the saved optimizer state ... freshly initialized '
                'optimizer")'
            )
    if fmt == "keras-v3" and detail(artifact, "saved_by") == "tf.keras":
        layout = (detail(artifact, "weights") or {}).get("layout") or {}
        if "optimizer" in (layout.get("groups") or []):
            yield (
                f"tf.keras {artifact.producer.get('keras_version') or '2.x'} optimizer variables, "
                'which Keras 3 skips ("Skipping variable loading for optimizer ... it has N '
                'variables whereas the saved optimizer has M")'
            )
    if fmt == "tf-checkpoint" and detail(artifact, "optimizer_slots"):
        if detail(artifact, "kind") == "name-based":
            slots = [
                str(t.get("name"))
                for t in detail(artifact, "tensors") or []
                if isinstance(t, Mapping) and _TF1_SLOT.search(str(t.get("name")))
            ]
            named = f" ({short_list(slots, 3)})" if slots else ""
            yield f"TF1 `tf.train` optimizer slots{named} that no Keras optimizer can restore"


@artifact_rule(
    "MIG120",
    "optimizer-state-dropped",
    title="Optimizer state that will not carry over",
    severity="low",
    deprecated_in="TF 2.11 (new `tf.keras.optimizers`, saved as `Custom>Adam`; the old ones "
    "became `.legacy`)",
    breaks_in=f"{KERAS3}: optimizer state of tf.keras HDF5 and `.keras` files and of TF1 "
    "checkpoints is dropped; training resumes with a fresh optimizer",
    formats=("keras-h5", "keras-v3", "tf-checkpoint"),
)
def optimizer_state_dropped(artifact: Artifact) -> Hit | None:
    """Saved optimizer state (moments, iteration counts) that current Keras will not restore.

    Measured with Keras 3.15.1: an HDF5 file from tf.keras 2.10 or 2.15 loads with "Error in
    loading the saved optimizer state ... freshly initialized optimizer" (a Keras 3 HDF5 file
    round-trips), and a tf.keras 2.15 `.keras` file with "Skipping variable loading for optimizer
    'adam', because it has 6 variables whereas the saved optimizer has 5". TF1 `tf.train`
    optimizer slots (`w/Adam`, `beta1_power`) have no Keras counterpart at all. Inference is
    unaffected; resumed training starts with a fresh optimizer, which can jolt a fine-tuned model.

    Fix: accept a fresh optimizer (re-compile and warm up the learning rate), or finish training
    in the old runtime; after converting, save `.keras` so the Keras 3 optimizer state is kept
    from then on.
    """
    problems = list(_optimizer_problems(artifact))
    if not problems:
        return None
    return Hit(
        f"optimizer state will not carry over: {'; '.join(problems)}",
        "re-compile after loading and expect resumed training to start with a fresh optimizer; "
        "save `.keras` from then on",
    )


def _loss_names(loss: Any) -> Iterator[str]:
    if isinstance(loss, str):
        yield loss
    elif isinstance(loss, Mapping) and "class_name" not in loss:
        for value in loss.values():
            yield from _loss_names(value)
    elif isinstance(loss, list):
        for value in loss:
            yield from _loss_names(value)


@artifact_rule(
    "MIG127",
    "h5-loss-alias",
    title="HDF5 model compiled with a loss alias Keras 3 cannot resolve (`mse`, `mae`...)",
    severity="high",
    breaks_in=f"{KERAS3}: `load_model` raises \"Could not locate function 'mse'\" (3.3) / "
    "\"Could not deserialize 'keras.metrics.mse'\" (3.15) unless `compile=False`",
    convert="h5-to-keras",
    formats=("keras-h5",),
)
def h5_loss_alias(artifact: Artifact) -> Hit | None:
    """The HDF5 training config names its loss by an alias Keras 3 no longer resolves.

    Keras 1/2 and tf.keras accepted `loss="mse"`, `"mae"`, `"mape"`, `"msle"`, `"kld"`,
    `"logcosh"`, `"huber_loss"`, `"cosine_proximity"` and stored that string. Keras 3's HDF5
    loader compiles the model by default and fails on each of them (measured with Keras 3.3.3
    and 3.15.1), so `keras.models.load_model("model.h5")` raises although the weights are fine.

    Fix: load with `keras.models.load_model(path, compile=False)` and compile again with the
    full loss name (`"mean_squared_error"`), or convert to `.keras` with `migrator convert`.
    """
    training = training_config(artifact)
    if not training:
        return None
    bad = sorted({n for n in _loss_names(training.get("loss")) if n in UNRESOLVED_LOSS_ALIASES})
    if not bad:
        return None
    return Hit(
        f"compiled with loss {short_list(bad)} ({made_by(artifact)}): Keras 3 `load_model` "
        "cannot resolve that alias and raises while compiling the loaded model",
        f"load with `compile=False` and re-compile with the full loss name, or {CONVERT_KERAS}",
    )
