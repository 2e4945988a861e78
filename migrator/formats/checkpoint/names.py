"""Names and limits every part of the checkpoint reader shares (file names, keys, formats)."""

from __future__ import annotations

import re

FORMAT = "tf-checkpoint"
BUNDLE_FORMAT = "session-bundle"
STATE_FILE = "checkpoint"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
MAX_TENSORS_LISTED = 2000

# SessionBundle names (tensorflow/contrib/session_bundle/constants.py)
BUNDLE_META = "export.meta"
BUNDLE_PREFIX = "export"
SIGNATURES_KEY = "serving_signatures"
SIGNATURES_TYPE = "tensorflow.serving.Signatures"

V2_DATA = re.compile(r"^(?P<prefix>.+)\.data-(?P<shard>\d{5})-of-(?P<count>\d{5})$")
V1_SHARD = re.compile(r"^(?P<prefix>.+)-(?P<shard>\d{5})-of-(?P<count>\d{5})$")


def is_v1_shard_of(name: str, prefix: str) -> bool:
    """`name` is a `<prefix>-NNNNN-of-NNNNN` V1 shard (and not a V2 data shard)."""
    match = V1_SHARD.match(name)
    return bool(match) and match["prefix"] == prefix and not V2_DATA.match(name)
