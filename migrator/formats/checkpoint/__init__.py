"""TensorFlow checkpoints (`tf-checkpoint`) and legacy SessionBundle exports (`session-bundle`).

A checkpoint is a group of files around a *prefix*, and is reported as one artifact named by it
(`claim` says which files). The reader is split along the files it reads:

- `v2`: V2 bundles (TF >= 0.12 default): `<prefix>.index`, an SSTable mapping tensor names to
  BundleEntryProto (the empty key holds BundleHeaderProto), and the `.data-NNNNN-of-NNNNN`
  shards, which are only stat'ed, except for the small object graph of object-based checkpoints;
- `v1`: V1 checkpoints (tf.train.Saver before V2): SSTables with a SavedTensorSlices table of
  contents;
- `meta`: `<prefix>.meta`, the MetaGraphDef tf.train.Saver writes beside it;
- `state`: the `checkpoint` state file (text CheckpointState);
- `bundle`: SessionBundle export folders (`export.meta` + the `export` checkpoint);
- `found`: what the parts gather, and the facts drawn from the tensor keys (Keras keys,
  optimizer slots, what the root object is);
- `details`: the reported `details`, one dataclass per format id, documented field by field.

Tensor data is never read (see `v2` for the one bounded exception, the object graph).

`raw` keys: "meta_graph" (the parsed MetaGraphDef or None), "object_graph" (the parsed
TrackableObjectGraph or None), "keys" (every tensor name in the checkpoint), and with a `.meta`
graph "ops" and "string_attrs" (as in `graphdef`: op type -> locations, and the strings feeding
file/print ops), so rules see the graph the way they see a SavedModel's.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from migrator.formats import register
from migrator.formats.checkpoint.bundle import read_session_bundle
from migrator.formats.checkpoint.claim import claim_dir, claim_group
from migrator.formats.checkpoint.details import (
    ROOT_CHECKPOINT,
    ROOT_SAVE_WEIGHTS,
    CheckpointDetails,
    SessionBundleDetails,
)
from migrator.formats.checkpoint.meta import read_lone_meta, summarize_meta_graph
from migrator.formats.checkpoint.names import (
    BUNDLE_FORMAT,
    BUNDLE_META,
    FORMAT,
    MAX_TENSORS_LISTED,
    OBJECT_GRAPH_KEY,
    STATE_FILE,
)
from migrator.formats.checkpoint.prefix import read_prefix
from migrator.formats.checkpoint.state import read_lone_state
from migrator.model import Candidate, Reading

register(__name__, formats=(FORMAT, BUNDLE_FORMAT), order=20)

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_META",
    "FORMAT",
    "MAX_TENSORS_LISTED",
    "OBJECT_GRAPH_KEY",
    "ROOT_CHECKPOINT",
    "ROOT_SAVE_WEIGHTS",
    "STATE_FILE",
    "CheckpointDetails",
    "SessionBundleDetails",
    "claim_dir",
    "claim_group",
    "read",
    "summarize_meta_graph",
]


def read(candidate: Candidate) -> Reading:
    """Read a checkpoint group, a lone `.meta` or state file, or a SessionBundle folder."""
    if candidate.location.is_dir() and (candidate.location / BUNDLE_META).is_file():
        return read_session_bundle(candidate)
    folder = candidate.location.parent
    main = candidate.location.name
    members = sorted({PurePosixPath(f).name for f in candidate.files})
    files = set(members) - {STATE_FILE}
    if main == STATE_FILE and not files:
        return read_lone_state(folder)
    if main.endswith(".meta") and files == {main}:
        return read_lone_meta(folder, main, STATE_FILE in members)
    return read_prefix(folder, main, members).reading()
