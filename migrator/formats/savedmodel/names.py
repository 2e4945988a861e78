"""The file names of the SavedModel layout and the limits the reader keeps to."""

from __future__ import annotations

FORMAT = "saved-model"
PB = "saved_model.pb"
PBTXT = "saved_model.pbtxt"
CPB = "saved_model.cpb"
KERAS_METADATA = "keras_metadata.pb"
FINGERPRINT = "fingerprint.pb"
VARIABLES = "variables"
KERAS_JSON = "assets/saved_model.json"
LAYOUT_NAMES = frozenset(
    {PB, PBTXT, CPB, KERAS_METADATA, FINGERPRINT, "variables/", "assets/", "assets.extra/"}
)
# Metadata files bigger than this are not read (a Keras config of that size is not plausible).
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_LISTED_FILES = 1000
