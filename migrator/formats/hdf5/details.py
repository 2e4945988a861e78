"""What the HDF5 reader reports for each of its three layouts, as typed records.

One dataclass per format id, because the layouts share little: a full model carries a config,
legacy weights a layer list, Keras 3 weights ``vars`` groups. Fields are declared in the order
the JSON report lists them; `UNSET` marks the few reported only for some files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.formats.details import UNSET, Details
from migrator.formats.keras_config import ConfigSummary


@dataclass(frozen=True, eq=False, kw_only=True)
class KerasH5Details(ConfigSummary):
    """`details` of a keras-h5 reading (``model.save("m.h5")``): summarize's keys, then these.

    `lambda_layers` holds `keras_config.lambda_layers` dicts: path, class_name, function_type,
    module, marshalled, marshalled_fields, code_encoding (the code is never decoded).
    """

    # 1/2/3 from keras_version; without it, inferred from config_style (the evidence says so);
    # None when neither tells
    keras_major: int | None
    tf_keras: bool  # keras_version has the -tf suffix of the Keras bundled in TF 1.x/2.0
    config_style: str | None  # "keras1" | "keras2" | "keras3" | None (keras_config.config_style)
    training_config: bool  # a training_config attribute is present (the model was compiled)
    optimizer: str | None  # class name as recorded (tf.keras 2.11+ writes e.g. "Custom>Adam")
    loss: Any  # a name, {output: name}, or a list of names; None if not compiled
    optimizer_weights: bool  # an optimizer_weights group is present
    optimizer_weight_count: int  # entries in its weight_names (0 when absent)
    weights_layer_count: int  # entries in model_weights' layer_names
    weight_count: int  # weight datasets the layers list
    weight_bytes: int  # their size from shape x dtype (metadata only)
    # a top_level_model_weights group is present (tf.keras 2.x subclassed models keep weights
    # owned by the model itself there)
    top_level_model_weights: bool
    layer_names_chunked: bool  # layer_names was split into layer_names0..N
    chunked_attributes: dict[str, int]  # {"<group path>/<attribute>": chunks} per split attribute
    uses_lambda: bool  # the config has Lambda layers or other marshalled Python code
    external_links: list[dict[str, str]]  # [{path, file, target}] (never followed)
    extension: str  # the lower-cased suffix, .weights.h5 whole (facts.extension_matches judges it)


@dataclass(frozen=True, eq=False, kw_only=True)
class KerasH5WeightsDetails(Details):
    """`details` of a keras-h5-weights reading (legacy ``save_weights("w.h5")``)."""

    layer_names: list[str]
    layer_count: int
    weighted_layer_count: int  # layers with at least one weight
    weight_count: int
    weight_bytes: int  # from shape x dtype (metadata only)
    weights: list[dict[str, Any]]  # [{layer, weights: [{name, shape, dtype}]}], layer_names order
    top_level_model_weights: bool
    top_level_weight_count: int
    # as for keras-h5; without keras_version, Keras 1 is inferred (Keras 2+ always wrote it, and
    # Keras's own loader treats its absence as Keras 1) unless the weight names contradict it
    keras_major: int | None
    tf_keras: bool
    # "keras1" (<layer>_W, <layer>_b, param_0) | "keras2" (<layer>/kernel:0) | None
    weight_naming: str | None
    layer_names_chunked: bool
    chunked_attributes: dict[str, int]
    external_links: list[dict[str, str]]
    extension: str  # as for keras-h5


@dataclass(frozen=True, eq=False, kw_only=True)
class KerasV3WeightsDetails(Details):
    """`details` of a keras-v3-weights reading (a ``.weights.h5`` file or a sharded set)."""

    # [{path, variables, name (when the vars group records one)}] for each vars group under
    # layers/ (or tf.keras 2.13's _layer_checkpoint_dependencies/)
    layers: list[dict[str, Any]]
    layer_count: int
    # [{path, variables}] for the rest (root ".", metrics, ...) except the optimizer
    other_variable_groups: list[dict[str, Any]]
    variable_count: int
    weight_bytes: int
    dtypes: list[str]  # sorted; Keras 3 marks bfloat16 with a dtype attribute
    optimizer: bool  # an optimizer group holds variables
    optimizer_variable_count: int
    legacy_layer_key: bool  # tf.keras 2.13's _layer_checkpoint_dependencies is used
    named_weights_h5: bool  # the name ends with .weights.h5 (Keras 3 load_weights requires it)
    sharded: bool  # read through a .weights.json sharding config
    sharded_part: bool  # the name looks like one shard (<name>_00000.weights.h5)
    shards: list[str] = UNSET  # sharded only: shard file names present
    missing_shards: list[str] = UNSET  # sharded only: named in weight_map but absent
    total_size: Any = UNSET  # sharded only: metadata.total_size as recorded
    external_links: list[dict[str, str]]
    extension: str  # .weights.h5, .weights.json for a sharding config, or the plain suffix
