"""TF Hub: the TF1 Hub module format and the TF2 Reusable SavedModel, and what each loader does.

TF Hub shipped two formats. The TF1 Hub format (`hub.Module`, `hub.create_module_spec`) is a TF1
SavedModel plus ``tfhub_module.pb``, a `ModuleDef` naming the storage format; its MetaGraphs are
graph *variants* tagged by purpose (``set()`` for inference, ``{"train"}`` for fine-tuning), not
the ``serve`` tag TF Serving uses. TF2 replaced it with plain TF2 SavedModels that implement the
Reusable SavedModel interface (`obj.__call__`, `obj.variables`, `obj.trainable_variables`,
`obj.regularization_losses`), loaded with `hub.load` or wrapped by `hub.KerasLayer`.

Every fact below names the tensorflow_hub source or document it was read from.
"""

from __future__ import annotations

from migrator.knowledge import fact
from migrator.knowledge.versions import Version

MODULE_PROTO: str = fact(
    "tfhub_module_proto",
    "tfhub_module.pb",
    checked="tensorflow/hub tensorflow_hub/native_module.py (_MODULE_PROTO_FILENAME_PB); "
    "docs/hosting.md (TF1 tarballs also contain ./tfhub_module.pb; hub.load ignores it)",
)

# ModuleDef.Format: the only storage format ever defined. Unknown or unspecified values "should be
# treated as unsupported" (module_def.proto); native_module.Loader refuses anything else with
# ValueError "Unsupported module def format".
MODULE_FORMATS: dict[int, str] = fact(
    "tfhub_module_formats",
    {3: "FORMAT_V3"},
    checked="tensorflow/hub tensorflow_hub/module_def.proto (enum Format: FORMAT_UNSPECIFIED = 0, "
    "FORMAT_V3 = 3; field 1 format, field 2 repeated string required_features)",
)

# required_features a reader must support; FORMAT_V3 defines none, and hub.Module refuses a module
# listing any ("Unsupported features").
SUPPORTED_FEATURES: frozenset[str] = fact(
    "tfhub_supported_features",
    frozenset(),
    checked="tensorflow/hub tensorflow_hub/native_module.py (_MODULE_V3_SUPPORTED_FEATURES)",
)

# Where hub.attach_message() stores ModuleAttachments in each MetaGraph.
ATTACHMENT_COLLECTION: str = fact(
    "tfhub_attachment_collection",
    "hub_module_attachments",
    checked="tensorflow/hub tensorflow_hub/saved_model_lib.py (ATTACHMENT_COLLECTION_SAVED)",
)

# hub.add_signature() without a name, and Module.__call__ without signature=, use "default"; its
# single output is also keyed "default".
DEFAULT_SIGNATURE: str = fact(
    "tfhub_default_signature",
    "default",
    checked="tensorflow/hub tensorflow_hub/native_module.py (add_signature), module.py "
    "(_prepare_outputs: the output named 'default')",
)

# The tag set of the inference variant; "train" marks the fine-tuning variant.
INFERENCE_TAGS: frozenset[str] = fact(
    "tfhub_inference_tags",
    frozenset(),
    checked="tensorflow/hub tensorflow_hub/native_module.py (create_module_spec: tags_and_args "
    "[({'train'}, ...), (set(), ...)]; the empty set is Module.__init__'s default)",
)

# hub.Module builds the module into the current tf.compat.v1 default graph (variables, table
# initializers, collections): TF1, or TF2 only in its TF1 compatibility (graph) mode.
HUB_MODULE_NEEDS_GRAPH_MODE: bool = fact(
    "tfhub_module_needs_graph_mode",
    True,
    checked="tensorflow/hub docs/migration_tf2.md (hub.Module 'remains available ... for use in "
    "TF1 and in the TF1 compatibility mode of TF2'); tensorflow_hub/module.py (Module.__init__ "
    "uses tf_v1.get_default_graph)",
)

# hub.load() on a TF1 Hub module passes tags=[] (the inference variant) to
# tf.saved_model.load; what hub.Module put in graph collections (regularization losses, update
# ops) is lost, and retraining through it is unsupported. force_keras_loading raises ValueError.
HUB_LOAD_V1_TAGS: tuple[str, ...] = fact(
    "tfhub_load_v1_tags",
    (),
    checked="tensorflow/hub tensorflow_hub/module_v2.py (load: `if tags is None and "
    "is_hub_module_v1: tags = []`; '`force_keras_loading` is not supported for v1 modules'); "
    "docs/migration_tf2.md ('Retraining hub.Modules loaded via hub.load() is not supported')",
)

# hub.KerasLayer(trainable=True) on the TF1 Hub format raises ValueError "Setting
# hub.KerasLayer.trainable = True is unsupported when loading from the TF1 Hub format."
KERAS_LAYER_V1_TRAINABLE: bool = fact(
    "tfhub_keras_layer_v1_trainable",
    False,
    checked="tensorflow/hub tensorflow_hub/keras_layer.py (_check_trainability)",
)

# hub.KerasLayer subclasses the Keras 2 Layer (tf_keras): from TF 2.16, whose tf.keras is Keras
# 3, a Keras 3 model refuses it ("Only instances of `keras.Layer` can be added to a Sequential
# model"); it works with tf_keras (TF_USE_LEGACY_KERAS=1).
KERAS_LAYER_NEEDS_TF_KERAS_SINCE_TF: Version = fact(
    "tfhub_keras_layer_needs_tf_keras_since_tf",
    (2, 16),
    since="TF 2.16",
    checked="tensorflow/hub issue #903 'TF Hub is not compatible with Keras 3 and TensorFlow "
    "2.16+'; tensorflow/tensorflow issue #63849 (KerasLayer refused by a Sequential model)",
)

# The Reusable SavedModel interface: attributes of the loaded root object. In the object graph
# they are children of the root node (the lists as ListWrapper nodes, __call__ a function).
REUSABLE_ATTRIBUTES: tuple[str, ...] = fact(
    "tfhub_reusable_attributes",
    ("__call__", "variables", "trainable_variables", "regularization_losses"),
    checked="tensorflow/hub docs/reusable_saved_models.md (obj.__call__, obj.variables, "
    "obj.trainable_variables, obj.regularization_losses)",
)
