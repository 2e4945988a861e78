"""What the keras-v3 reader reports about a `.keras` archive or folder, as one typed record.

Fields are declared in the order the JSON report lists them. Every field is always reported
(empty values when config.json or metadata.json is missing), so none defaults to `UNSET`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.formats.details import Details


@dataclass(frozen=True, eq=False, kw_only=True)
class KerasV3Details(Details):
    """`details` of a keras-v3 reading (a `.keras` zip or its unzipped folder)."""

    container: str  # "zip" or "folder"
    extension: str  # the name's lower-cased suffix, "" if none (facts.extension_matches judges it)
    keras_version: str | None  # verbatim from metadata.json (None if absent)
    date_saved: str | None  # verbatim from metadata.json ("%Y-%m-%d@%H:%M:%S")
    metadata: dict[str, Any]  # metadata.json's scalar values, verbatim (strings cut at 200 chars)
    # "tf.keras" (the Keras 2 line: tf.keras 2.12-2.15, tf_keras), "keras3", or None
    saved_by: str | None
    saved_by_evidence: str | None  # which bytes decided `saved_by`
    # --- from keras_config.summarize (empty when config.json is missing or unreadable)
    model_class: str | None
    name: str | None
    layer_count: int
    layers: list[dict[str, Any]]  # top level: name, class_name, nested `layers` for sub-models
    layer_classes: list[str]  # sorted, all depths
    nested_models: list[str]  # layer paths
    modules: list[str]  # Keras 3 `module` values, sorted
    registered_names: list[str]  # sorted
    # keras_config.lambda_layers: path, class_name, function_type, module, marshalled, ...
    lambda_layers: list[dict[str, Any]]
    # config paths of every `__lambda__` (Keras 3 bytecode) entry anywhere in config.json,
    # including compile_config and custom layer arguments
    lambda_entries: list[str]
    # entries Keras cannot build from its own modules (module outside the Keras packages, or no
    # module but a registered name): path, class_name, module, registered_name
    custom_objects: list[dict[str, Any]]
    compiled: bool  # config.json has a non-empty compile_config
    optimizer: Any  # class name or string as recorded
    loss: Any  # names as recorded: a name, {output: name} or a list
    # member (name, or None when missing), format ("h5"/"npz"/None), bytes, compressed (member
    # not stored), compressed_bytes, sharded, shards ([{member, bytes}]), index (the shard index
    # member), layout (HDF5 structure when read: variables, parameters, top-level groups, links:
    # soft and external links, never followed; truncated past 100,000 datasets) or
    # layout_skipped (why not)
    weights: dict[str, Any]
    # which saving_lib walk laid out the weights: "tf.keras-2.12" (tf.keras 2.12's keras_v3, 2.13
    # and 2.14: `_layer_checkpoint_dependencies/...`, which tf.keras 2.15+ and tf_keras never
    # read), "layers" (tf.keras 2.15+, Keras 3), None when unknown (npz weights, no HDF5 layout)
    weights_layout: str | None
    # how that walk numbered a container's layers of one class, from the group names: "gapped"
    # (tf.keras 2.12-2.13: `dense`, `dense_2`), "compact" (2.14+: `dense`, `dense_1`), None when
    # the names do not tell (one layer with weights per class) or no HDF5 layout was read
    weights_numbering: str | None
    assets: list[str]  # member names under assets/
    members: list[dict[str, Any]]  # [{name, bytes, compressed_bytes, method}] (first 200)
    member_count: int
    # names the central directory lists more than once (zipfile and Keras use the LAST one;
    # scanners that read the first are fooled)
    duplicate_members: list[str]
    # [{name, reason}]: absolute paths, drive letters, `..` components, backslashes, NUL bytes,
    # symlink entries (Keras extracts the whole archive to load assets)
    unsafe_members: list[dict[str, str]]
    # [{entry, array, dtype, shape}]: object-dtype (pickled) arrays of `.npz` weights. Every Keras
    # npz store pickles one dict per layer; tf.keras 2.15 and Keras 3.3.3 load it with
    # allow_pickle=True (so a planted pickle runs), Keras 3.15.1 with allow_pickle=False (so it
    # cannot load npz weights at all). `entry` numbers duplicate weights members in order.
    npz_object_arrays: list[dict[str, Any]]
    # [{entry, member, problem}]: nested members that are not `.npy` arrays, npz members that are
    # not zip archives (e.g. a bare pickle), unreadable headers
    npz_issues: list[dict[str, Any]]
