"""What the SavedModel reader reports (format id ``saved-model``), field by field, in report order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.formats.details import UNSET, Details


@dataclass(frozen=True, eq=False)
class SavedModelDetails(Details):
    """A SavedModel folder (or a loose SavedModel proto)."""

    # "tf2" when a MetaGraph has an object_graph_def (tf.saved_model.save), else "tf1"
    # (graph-mode SavedModelBuilder / estimator / tf.compat.v1 exports)
    era: Any = UNSET
    keras: Any = UNSET  # the artifact holds a Keras model
    # how we know: "keras_metadata.pb", "object_graph" (_tf_keras_* user objects, TF 2.0..2.4
    # keep the model config in their metadata), "assets/saved_model.json" (tf.contrib /
    # tf.keras.experimental.export_saved_model), or None
    keras_source: Any = UNSET
    encoding: Any = UNSET  # "binary" or "text"
    proto_file: Any = UNSET  # the file read (saved_model.pb normally)
    schema_version: Any = UNSET  # saved_model_schema_version
    # the distinct MetaInfoDef tensorflow_version values, in MetaGraph order
    # (producer.tensorflow_version is the first)
    tensorflow_versions: Any = UNSET
    # one entry per MetaGraph: tags, tensorflow_version, tensorflow_git_version, signatures
    # ({key: {method_name, inputs, outputs}}, where inputs/outputs map a key to {name, dtype
    # ("DT_FLOAT"), shape (ints, -1 unknown, None for unknown rank)}; sparse tensors add `sparse`
    # (their three component names), composite tensors add `composite_components`), op_types
    # (sorted, graph nodes and every library function), node_count (graph nodes),
    # function_count, function_node_count, variable_nodes, object_graph (bool), saver
    # ({version, sharded} or None), collections (sorted names), asset_files (from
    # asset_file_def and the TF1 saved_model_assets collection)
    meta_graphs: Any = UNSET
    # {index (bool), data_shards_expected, data_shards_present, missing (file names), bytes (sum
    # of file sizes in variables/, by stat), other_files, needed (the graph has variables to
    # restore)}; None for a loose proto
    variables: Any = UNSET
    fingerprint: Any = UNSET  # fingerprint.pb fields or None
    # {source, identifier, keras_version, backend, layer_count, summary (keras_config.summarize)}
    # of the Keras model config, or None
    keras_metadata: Any = UNSET
    assets: Any = UNSET  # file names under assets/ (POSIX)
    assets_extra: Any = UNSET  # file names under assets.extra/ (POSIX)
    # asset files the MetaGraphs list that are not in assets/ (TensorFlow still loads the model;
    # the ops that read them fail when run)
    missing_assets: Any = UNSET
    other_files: Any = UNSET  # top-level entries that are not part of the SavedModel layout
    layout: Any = UNSET  # the discovery context (TF Serving version folder, timestamped export)
    object_graph_identifiers: Any = UNSET  # sorted SavedUserObject identifiers of all graphs
    # the root object offers TF Hub's Reusable SavedModel interface (__call__, variables,
    # trainable_variables, regularization_losses): a TF2 Hub model for hub.load / hub.KerasLayer
    reusable: Any = UNSET
