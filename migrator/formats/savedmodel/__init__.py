"""SavedModel reader (format id ``saved-model``): a folder with ``saved_model.pb`` or ``.pbtxt``.

A SavedModel is one artifact made of several files: the ``SavedModel`` proto (one or more
MetaGraphs, each a graph plus signatures, collections, a saver and, from TF 2.0, an object graph),
``variables/`` (a V2 checkpoint bundle: ``variables.index`` + ``variables.data-NNNNN-of-MMMMM``),
``assets/`` and ``assets.extra/``, ``fingerprint.pb`` (TF >= 2.11) and, for Keras models saved by
TF 2.5..2.15, ``keras_metadata.pb``. Everything is read from bytes with our own protobuf schemas;
``variables/*.data-*`` files are only stat'ed, never opened, and the graph is walked without
decoding constant tensors (see ``graphdef``), so cost does not grow with weight size.

The package follows those files:

- `layout`: which folders are SavedModels and which entries belong to them;
- `proto`: parsing the SavedModel proto (binary walked, text parsed; decoys told apart);
- `metagraphs`: each MetaGraph's tags, signatures (as ``saved_model_cli`` shows them), ops;
- `keras`: the Keras model, from keras_metadata.pb, the object graph or assets/saved_model.json;
- `files`: ``variables/`` and ``fingerprint.pb``;
- `reading`: the reader, assembling the parts; `details`: what it reports, field by field.

``raw`` keys: ``keras_config`` (the model config dict), ``training_config`` (when Keras
metadata records one), ``ops`` and ``string_attrs`` (as in ``graphdef``, across every MetaGraph).
"""

from __future__ import annotations

from migrator.formats import register
from migrator.formats.savedmodel.details import SavedModelDetails
from migrator.formats.savedmodel.keras import KERAS_MODEL_IDENTIFIERS, KerasModel
from migrator.formats.savedmodel.layout import claim_dir, claim_file, members
from migrator.formats.savedmodel.names import (
    CPB,
    FINGERPRINT,
    FORMAT,
    KERAS_JSON,
    KERAS_METADATA,
    LAYOUT_NAMES,
    PB,
    PBTXT,
    VARIABLES,
)
from migrator.formats.savedmodel.proto import (
    NotASavedModel,
    ParsedSavedModel,
    parse_binary,
    parse_text,
    text_mangling_hint,
)
from migrator.formats.savedmodel.reading import read

register(__name__, formats=(FORMAT,), order=10)

__all__ = [
    "CPB",
    "FINGERPRINT",
    "FORMAT",
    "KERAS_JSON",
    "KERAS_METADATA",
    "KERAS_MODEL_IDENTIFIERS",
    "LAYOUT_NAMES",
    "PB",
    "PBTXT",
    "VARIABLES",
    "KerasModel",
    "NotASavedModel",
    "ParsedSavedModel",
    "SavedModelDetails",
    "claim_dir",
    "claim_file",
    "members",
    "parse_binary",
    "parse_text",
    "read",
    "text_mangling_hint",
]
