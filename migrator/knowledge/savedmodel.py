"""Facts about what TensorFlow releases write into a SavedModel folder.

The SavedModel reader records which files and objects a folder holds; these facts say which
releases write them, so the reader's messages, the rules and the loadability verdicts agree on
the release boundaries (one place to correct if a boundary proves wrong).
"""

from __future__ import annotations

from migrator.knowledge import fact
from migrator.knowledge.versions import Version

# The SavedUserObject identifiers tf.keras gives a whole model (MODEL_IDENTIFIER,
# SEQUENTIAL_IDENTIFIER, NETWORK_IDENTIFIER); layers get `_tf_keras_layer` and friends.
KERAS_MODEL_IDENTIFIERS: tuple[str, ...] = fact(
    "savedmodel_keras_model_identifiers",
    ("_tf_keras_model", "_tf_keras_sequential", "_tf_keras_network"),
    checked="tensorflow/python/keras/saving/saved_model/constants.py (TF 2.0-2.5), "
    "keras/saving/legacy/saved_model/constants.py (Keras 2.13)",
    since="tf 2.0",
)

# `model.save(dir)` writes the Keras metadata to keras_metadata.pb from TF 2.5; before, it lived
# only in the object graph's user objects (tf.keras then warns "SavedModel saved prior to TF 2.5
# detected when loading Keras model").
# A SavedModel of a later TF whose Keras objects are only in the object graph was written by
# tf.saved_model.save, and load_model cannot rebuild a Keras model from it.
KERAS_METADATA_PB_SINCE_TF: Version = fact(
    "keras_metadata_pb_since_tf",
    (2, 5),
    checked="tensorflow/python/keras/saving/saved_model/save.py and load.py (TF 2.5); "
    "corpus/matrix.json: tf215/keras/custom/export x 2.12/keras.load_model "
    "(\"'_UserObject' object is not callable\")",
    since="tf 2.5",
    until="tf 2.15",
)

# saved_model.cpb: the proto-splitter ("chunked") SavedModel for graphs over 2 GB.
CHUNKED_SAVEDMODEL_SINCE: Version = fact(
    "savedmodel_chunked_since",
    (2, 15),
    checked="tensorflow/tools/proto_splitter and tensorflow/python/saved_model/save.py (TF 2.15)",
    since="tf 2.15",
)
