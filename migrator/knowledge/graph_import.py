"""How current TensorFlow loads graph-mode exports, signature by signature: facts behind the
TF1 steps (`tf1_sm_to_tf2_sm`, `session_bundle_to_sm`, `saver_ckpt_to_sm`, `graphdef_to_sm`).

A graph export (TF1 SavedModel, SessionBundle, Saver checkpoint with `.meta`, frozen GraphDef)
has no object graph; TF2 offers two ways to turn one of its signatures into a function, and
which one works depends on what the graph holds. The facts were checked by reading TensorFlow's
sources and by running the calls in the tox env of TF 2.21 (the newest line migrator runs).
"""

from __future__ import annotations

from migrator.knowledge import fact
from migrator.knowledge.versions import Version

# Op types of TF1 reference variables (`tf.Variable` before resource variables became the
# default in TF 2.0; everything TF 1.x wrote unless `use_resource=True`).
REF_VARIABLE_OPS: frozenset[str] = fact(
    "graph_ref_variable_ops",
    frozenset({"VariableV2", "Variable", "TemporaryVariable"}),
    checked="tensorflow/core/ops/state_ops.cc (TF 1.0-2.21)",
    until="tf 2.0 (default); still loadable in 2.21",
)

# Op types of resource variables (a handle; values read through ReadVariableOp).
RESOURCE_VARIABLE_OPS: frozenset[str] = fact(
    "graph_resource_variable_ops",
    frozenset({"VarHandleOp"}),
    checked="tensorflow/core/ops/resource_variable_ops.cc (TF 1.4-2.21)",
)

# The ways to turn a graph export's signature into a TF2 function, by name:
# - "saved_model_load": `tf.saved_model.load(dir, tags)` (load_v1_in_v2): it prunes one
#   function per SignatureDef and runs the export's init ops (tables, assets). It restores
#   reference variables only as graph constants ("Unable to create a python object for variable
#   ... because it is a reference variable"), so their names are lost for weight validation.
# - "graph_import": a `tf.compat.v1.Session` restores the graph; each signature's subgraph is
#   imported in `wrap_function` with every variable re-created as a `tf.Variable` of its
#   restored value (names kept, so validation compares weights one by one).
# Which to try first, by the kind of variables the graph holds.
SAVED_MODEL_LOAD_V1_SINCE: Version = fact(
    "saved_model_load_reads_tf1_exports_since",
    (2, 0),
    since="tf 2.0",
    checked="tensorflow/python/saved_model/load_v1_in_v2.py (TF 2.0, 2.21); measured: TF 2.21 "
    "tox env, tests/test_convert_tf.py (estimator and contrib exports)",
)
GRAPH_EXPORT_LOADERS: dict[str, tuple[str, ...]] = fact(
    "graph_export_loaders_by_variables",
    {
        "resource": ("saved_model_load", "graph_import"),
        "reference": ("graph_import", "saved_model_load"),
    },
    checked="measured in TF 2.21 (tox env tf221): tf.saved_model.load of a TF1 export with "
    "VariableV2 logs 'Unable to create a python object for variable'; "
    "tensorflow/python/saved_model/load_v1_in_v2.py",
    since="tf 2.0",
)

# Exports without SignatureDefs (SessionBundles, Saver checkpoints) are restored with
# `tf.compat.v1.train.import_meta_graph(meta, clear_devices=True)` + `Saver.restore(prefix)`,
# the only loader that reads a Saver's checkpoint beside its MetaGraph.
META_GRAPH_RESTORE: str = fact(
    "meta_graph_restore_call",
    "tf.compat.v1.train.import_meta_graph + Saver.restore",
    checked="tensorflow/python/training/saver.py (TF 1.0-2.21), measured in TF 2.21 on Saver "
    "checkpoints written by TF 1.0.1, 1.5 and 1.10 (../shared/realworld2)",
)
# `import_meta_graph` imports the whole graph, training part included, and fails on any op the
# running TensorFlow lacks ("Op type not registered 'MapAndBatchDatasetV2'": a tf.contrib input
# pipeline in a BERT pre-training checkpoint, measured in TF 2.21). The subgraph the outputs
# need can be imported alone, with each variable's value read from the checkpoint under its op
# name: the key a Saver gives a variable by default (`BaseSaverBuilder.OpListToDict`).
SAVER_KEYS_ARE_VARIABLE_OP_NAMES: bool = fact(
    "saver_default_keys_are_variable_op_names",
    True,
    checked="tensorflow/python/training/saving/saveable_object_util.py op_list_to_dict "
    "(TF 1.x saver.py BaseSaverBuilder.OpListToDict): key = variable op name",
)

# How `tf.saved_model.load` names the flat inputs of a TF1 signature taking a sparse
# (TensorInfo.coo_sparse) or other composite (TensorInfo.composite_tensor) tensor: the
# signature key plus these suffixes, in this order (a composite's components are numbered in
# `nest.flatten(..., expand_composites=True)` order). Converted signatures use the same names,
# so code written against TF2's own view of the source keeps working.
SPARSE_COMPONENT_SUFFIXES: tuple[str, str, str] = fact(
    "signature_sparse_component_suffixes",
    ("_indices", "_values", "_dense_shape"),
    checked="tensorflow/python/saved_model/load_v1_in_v2.py _extract_signatures (TF 2.21)",
)
COMPOSITE_COMPONENT_FORMAT: str = fact(
    "signature_composite_component_format",
    "{key}_component_{index}",
    checked="tensorflow/python/saved_model/load_v1_in_v2.py _extract_signatures (TF 2.21)",
)

# What a TF2 SavedModel *signature* (SignatureDef) can carry: `tf.saved_model.save` accepts
# tf.SparseTensorSpec / tf.RaggedTensorSpec inputs but flattens them into their component
# tensors (SignatureDef inputs are plain TensorInfos named after the function's arguments),
# while composite *outputs* stay composite (TensorInfo.composite_tensor with its TypeSpec) and
# come back as tf.SparseTensor / tf.RaggedTensor. A function kept on the saved object (not as a
# signature) keeps its composite input specs.
SIGNATURE_INPUTS_FLATTEN_COMPOSITES: bool = fact(
    "signature_inputs_flatten_composites",
    True,
    checked="tensorflow/python/saved_model/signature_serialization.py canonicalize_signatures "
    "(nest.flatten(..., expand_composites=True)); measured in TF 2.21: a signature with "
    "SparseTensorSpec([None, 3]) input 's' is saved as inputs s, s_1, s_2",
)
SIGNATURE_OUTPUTS_KEEP_COMPOSITES: bool = fact(
    "signature_outputs_keep_composites",
    True,
    checked="measured in TF 2.21: a signature returning a SparseTensor / RaggedTensor is saved "
    "with TensorInfo.composite_tensor and returns the composite when called",
)

# `tf.saved_model.load` of a TF1 export with a sparse input gives signature functions that
# `tf.saved_model.save` cannot write again as signatures: their keyword order (indices, values,
# dense_shape) differs from the sorted flattening of their input dict ("Can not cast
# TensorSpec(shape=(2,), ...) to TensorSpec(shape=(None, 2), ...)"). Each is re-wrapped in a
# function of explicit positional arguments first.
LOADED_SPARSE_SIGNATURES_RESAVE_DIRECTLY: bool = fact(
    "loaded_sparse_signatures_resave_directly",
    False,
    checked="measured in TF 2.21: tf.saved_model.save(loaded, dir, signatures=loaded.signatures) "
    "of a tf.compat.v1.sparse_placeholder export raises TypeError",
)

# Where a TF1 export records its vocabulary files: MetaGraphDef.asset_file_def from TF 1.9,
# before that packed AssetFileDefs in this collection. Table initializers are in the other.
ASSET_FILE_DEF_SINCE: Version = fact(
    "savedmodel_asset_file_def_since",
    (1, 9),
    since="tf 1.9",
    checked="tensorflow/core/protobuf/meta_graph.proto and tensorflow/python/saved_model/"
    "builder_impl.py (TF 1.8 vs 1.9)",
)
LEGACY_ASSETS_COLLECTION: str = fact(
    "savedmodel_legacy_assets_collection",
    "saved_model_assets",
    until="tf 1.9",
    checked="tensorflow/python/saved_model/constants.py ASSETS_KEY (TF 1.0-1.8)",
)
TABLE_INITIALIZERS_COLLECTION: str = fact(
    "graph_table_initializers_collection",
    "table_initializer",
    checked="tensorflow/python/framework/ops.py GraphKeys.TABLE_INITIALIZERS (TF 1.0-2.21)",
)

# GraphDefs older than this producer version wrote an unknown Placeholder shape as an empty
# (rank-0) `shape` attr; TensorFlow's Placeholder shape function reads it as unknown for them.
PLACEHOLDER_SCALAR_MEANS_UNKNOWN_UNTIL: int = fact(
    "placeholder_scalar_shape_means_unknown_until_producer",
    21,
    checked='tensorflow/core/ops/array_ops.cc Placeholder shape fn ("graph_def_version() <= 21")',
)

# What a TF1 training graph adds beside the model, so the model's interface can be told from
# it: the gradient subgraph (`tf.gradients` names its scope `gradients`, `gradients_1`, ...),
# the optimizer's update ops, and Saver/initialisation bookkeeping.
TRAINING_SCOPES: tuple[str, ...] = fact(
    "graph_training_scopes",
    ("gradients", "save"),
    checked="tensorflow/python/ops/gradients_util.py (name scope 'gradients'), "
    "tensorflow/python/training/saver.py (name scope 'save') (TF 1.0-2.21)",
)
TRAINING_OP_PREFIXES: tuple[str, ...] = fact(
    "graph_training_op_prefixes",
    ("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "Assign", "Save", "Restore"),
    checked="tensorflow/core/ops/training_ops.cc, state_ops.cc, io_ops.cc (TF 1.0-2.21)",
)
# Ops through which a TF1 training graph reads its data instead of placeholders (tf.data
# iterators, input queues, readers): such a graph has no input a server could feed.
INPUT_PIPELINE_OPS: frozenset[str] = fact(
    "graph_input_pipeline_ops",
    frozenset({
        "IteratorGetNext", "IteratorGetNextSync", "QueueDequeueV2", "QueueDequeueManyV2",
        "QueueDequeueUpToV2", "QueueDequeue", "QueueDequeueMany", "QueueDequeueUpTo",
        "ReaderReadV2",
    }),
    checked="tensorflow/core/ops/dataset_ops.cc, data_flow_ops.cc, io_ops.cc (TF 1.0-2.21); "
    "seen in estimator model_dir and BERT pre-training checkpoints",
)  # fmt: skip
# Collections a training script may use to name a graph's interface (tf.add_to_collection).
INTERFACE_COLLECTIONS: dict[str, tuple[str, ...]] = fact(
    "graph_interface_collections",
    {
        "inputs": ("inputs", "input", "x", "features"),
        "outputs": ("outputs", "output", "predictions", "prediction", "logits", "y_pred"),
    },
    checked="collection names used with tf.add_to_collection in TF 1.x training code "
    "(tensorflow/python/framework/ops.py GraphKeys has none for a model's interface)",
)
