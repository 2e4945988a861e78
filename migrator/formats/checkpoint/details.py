"""What the checkpoint reader reports: one dataclass per format id, fields in report order.

Fields left at `UNSET` are absent from the report: a lone `.meta` or state file reports only the
few fields it can, and the optional fields at the end appear only when the bytes call for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.formats.details import UNSET, Details

# `root_kind` values: what the root object of an object-based checkpoint is.
ROOT_CHECKPOINT = "tf.train.Checkpoint"  # a tf.train.Checkpoint(...) (it adds `save_counter`)
ROOT_SAVE_WEIGHTS = "save_weights"  # the model itself: `model.save_weights(path)`, TF format


@dataclass(frozen=True, eq=False)
class CheckpointDetails(Details):
    """``tf-checkpoint``: a checkpoint prefix with its files (or a lone .meta / state file)."""

    checkpoint_format: Any = UNSET  # "V2" | "V1" | None (no tensor files found)
    prefix: Any = UNSET  # the checkpoint prefix (file name without .index/.data/.meta)
    # "object-based" (has _CHECKPOINTABLE_OBJECT_GRAPH: tf.train.Checkpoint, Keras save_weights
    # in TF format) | "name-based" (tf.train.Saver) | None
    kind: Any = UNSET
    # True when the keys are Keras object-based ones (layer-N/, layer_with_weights-N/,
    # .ATTRIBUTES/OBJECT_CONFIG_JSON, keras_api/), or the object graph is rooted at the model
    # itself (no `save_counter`). Also true for tf.train.Checkpoint(model=...) of a Keras model:
    # `root_kind` tells the two apart.
    keras_save_weights: Any = UNSET
    tensor_count: Any = UNSET  # full tensors in the checkpoint (partition slices not counted)
    parameter_count: Any = UNSET  # sum of the element counts of numeric tensors (from shapes)
    # [{name, dtype ("DT_FLOAT"), shape ([int], -1 unknown), partitions?}], at most
    # MAX_TENSORS_LISTED (`tensors_capped` says when the list was cut)
    tensors: Any = UNSET
    # optimizer state is saved (.OPTIMIZER_SLOT/, slot variables in the object graph,
    # optimizer/_variables/N, or TF1 slot names like w/Adam)
    optimizer_slots: Any = UNSET
    num_shards: Any = UNSET  # data shards the index (V2) or the file names (V1) announce
    data_shards_present: Any = UNSET  # data shard file names found
    missing: Any = UNSET  # files the checkpoint needs that are absent
    # {nodes, root_children, slot_variables, registered_savers} | {skipped} | {error} | None
    object_graph: Any = UNSET
    # summary of `<prefix>.meta` (see `meta.summarize_meta_graph`) | {skipped} | None
    meta_graph: Any = UNSET
    # the `checkpoint` state file: {model_checkpoint_path, all_model_checkpoint_paths,
    # absolute_paths, dangling, points_here, points_here_by_name} | {error} | None. Absolute
    # entries are resolved only inside this folder: a path from another machine counts as
    # dangling even if it exists here by chance.
    state: Any = UNSET
    endianness: Any = UNSET  # "BIG" when the bundle header says so (absent for little-endian)
    stray_data_shards: Any = UNSET  # .data files of this prefix the index does not announce
    partition_slices: Any = UNSET  # V2 entries holding one slice of a partitioned variable
    tensors_capped: Any = UNSET  # "first N of M tensors listed" when `tensors` was cut
    tensors_skipped: Any = UNSET  # why a V1 table of contents over the read limit was not read
    # What the root of an object-based checkpoint is, from the object graph's root children (or,
    # when it is unreadable, the tensor keys): ROOT_CHECKPOINT when it has `save_counter`,
    # ROOT_SAVE_WEIGHTS when it is the model itself; None for name-based checkpoints.
    root_kind: Any = UNSET


@dataclass(frozen=True, eq=False)
class SessionBundleDetails(CheckpointDetails):
    """``session-bundle``: the `export` checkpoint's fields, then the bundle's own."""

    # {default: {...}, named: {name: {...}}} from `serving_signatures`, each {type, and tensor
    # names}; None when absent
    signatures: Any = UNSET
    assets: Any = UNSET  # file names under assets/
    layout: Any = UNSET  # the folder context discovery found (TF Serving version folder, ...)
