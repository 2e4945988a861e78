"""Keras HDF5 files, read from attributes and group structure only: never a weight value.

A file is claimed when it starts with the HDF5 signature ``\\x89HDF\\r\\n\\x1a\\n``, whatever its
name. The HDF5 format also allows a user block before the superblock, which then starts at byte
512, 1024, 2048, ... (a power of two); those offsets are probed only for names ending in .h5,
.hdf5, .hdf, .he5 or .keras, so discovery does not seek through every file of a big tree.

What is inside decides the format:

- ``keras-h5``: a full model (``model.save``): root attribute ``model_config``. Keras 1.x, 2.x,
  tf.keras (``2.2.4-tf`` style versions too) and Keras 3's legacy ``.h5`` all write this layout.
- ``keras-h5-weights``: legacy weights only (``save_weights``): root attribute ``layer_names`` and
  no ``model_config``. Keras 1 wrote only ``layer_names``; Keras 2 adds ``keras_version`` and
  ``backend``.
- ``keras-v3-weights``: Keras 3 ``.weights.h5`` (``H5IOStore``): groups ``<path>/vars`` holding
  datasets ``0``, ``1``, ... (``layers/<name>/vars``, ``optimizer/vars``, root ``vars``); no
  ``layer_names`` attribute. tf.keras 2.13 used ``_layer_checkpoint_dependencies`` for ``layers``.
  Sharded weights (``save_weights("m.weights.json", max_shard_size=...)``) are one artifact:
  ``claim_group`` takes the ``<name>.weights.json`` sharding config (``metadata``,
  ``weight_map``) with its ``<name>_00000.weights.h5``, ... shards.
- anything else in an HDF5 file is an error: it holds no Keras model or weights layout.

Keras splits a string-list attribute larger than HDF5's 64 KB object header limit
(``HDF5_OBJECT_HEADER_LIMIT = 64512``) into ``<name>0``, ``<name>1``, ...; every attribute read
here (``layer_names``, ``weight_names``, even ``model_config``) is joined back from its chunks.

Safety: files are opened read-only; dataset contents are never read (shapes and dtypes come from
dataset metadata); links are inspected with ``getlink=True`` and only hard links are followed,
so an external link to another file is reported, never opened; Lambda code is never decoded.

``producer``: the ``keras_version`` and ``backend`` attributes, verbatim (root first, then the
``model_weights`` group); absent keys are left out (Keras 1 wrote no ``backend``).

The package is split by layout: `full_model`, `weights_only` and `v3_weights` (with sharded
sets) read one layout each; `attrs` (public: string attributes, chunked lists), `tree` (the
hard-link walk), `files` (opening, user blocks, errors) and `legacy` are shared; `details`
declares what each format id reports, field by field.

``raw``: ``model_config`` and ``training_config`` (parsed JSON dicts, keras-h5), ``weights``
and ``layer_names`` (per-layer weight metadata, keras-h5 and keras-h5-weights), ``variables``
({owner path, "." for the root: [{name, shape, dtype}]}, keras-v3-weights) and ``weight_map``
(sharded weights).

Known limit: damaged metadata becomes one "truncated or corrupt" error, except that libhdf5
(2.0, as bundled with h5py 3.16) can loop forever inside ``H5Aread`` on some damaged global heap
collections (where variable-length string attributes live); C code cannot be interrupted from
Python, so only running readers in a watched worker process would bound that case.
"""

from __future__ import annotations

import sys
from pathlib import Path

from migrator.errors import ArtifactError
from migrator.formats import LazyModule, register
from migrator.formats.hdf5.attrs import has_attr
from migrator.formats.hdf5.details import (
    KerasH5Details,
    KerasH5WeightsDetails,
    KerasV3WeightsDetails,
)
from migrator.formats.hdf5.files import (
    RECOPY,
    SIGNATURE,
    corrupt,
    error,
    open_file,
    signature_offset,
)
from migrator.formats.hdf5.full_model import read_full_model
from migrator.formats.hdf5.tree import resolve, walk
from migrator.formats.hdf5.v3_weights import (
    SHARDS_SUFFIX,
    claim_group,
    read_sharded,
    read_v3_weights,
)
from migrator.formats.hdf5.weights_only import read_weights
from migrator.model import Candidate, Reading

register(__name__, formats=("keras-h5", "keras-h5-weights", "keras-v3-weights"), order=50)

h5py = LazyModule("h5py")

__all__ = [
    "SIGNATURE",
    "KerasH5Details",
    "KerasH5WeightsDetails",
    "KerasV3WeightsDetails",
    "claim_file",
    "claim_group",
    "read",
    "signature_offset",
]


def claim_file(path: Path, head: bytes) -> bool:
    """Any file with the HDF5 signature at offset 0 or after a user block, whatever its name."""
    return signature_offset(path, head) is not None


def read(candidate: Candidate) -> Reading:
    """Read a Keras HDF5 file (or a sharded weights set); its layout decides the format id."""
    path = candidate.location
    if path.name.endswith(SHARDS_SUFFIX):
        return read_sharded(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SIGNATURE))
    except OSError as exc:
        raise ArtifactError(
            path, f"cannot read file ({exc.strerror or exc})", "check permissions"
        ) from None
    offset = signature_offset(path, head)
    if offset is None:
        raise ArtifactError(
            path,
            "not an HDF5 file (no HDF5 signature at offset 0 or at a user-block offset)",
            RECOPY,
        )
    h5 = open_file(path)
    try:
        with h5:
            return _read_open(h5, path, offset)
    except RecursionError:
        # A RuntimeError too, but not damage to the HDF5 structure: a JSON attribute
        # (model_config, training_config) nested past what any saved model holds.
        raise ArtifactError(
            path,
            f"a JSON attribute (model_config?) is nested deeper than {sys.getrecursionlimit()} "
            "levels, which no saved model is",
            "this is not a model anyone saved; do not load it",
            format="keras-h5",
        ) from None
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
        # h5py raises these when HDF5 cannot decode an object header, a link name, an attribute
        # or a datatype (ValueError includes undecodable names, TypeError unknown encodings)
        raise corrupt(path, exc) from None


def _read_open(h5: h5py.File, path: Path, offset: int) -> Reading:
    """Dispatch on what the root holds: model_config, layer_names, or Keras 3 vars groups."""
    evidence = [f"HDF5 signature at offset {offset}" + (" (after a user block)" if offset else "")]
    if has_attr(h5, "model_config"):
        return read_full_model(h5, path, evidence)
    if has_attr(h5, "layer_names"):
        return read_weights(h5, path, evidence)
    tree = walk(h5)
    vars_groups = [g for g in tree.groups if g == "vars" or g.endswith("/vars")]
    top_level_datasets = [p for p in tree.datasets if "/" not in p]
    if vars_groups and not top_level_datasets:
        return read_v3_weights(path, tree, vars_groups, evidence)
    weights_group = resolve(h5, "model_weights")
    if isinstance(weights_group, h5py.Group) and has_attr(weights_group, "layer_names"):
        raise error(
            path,
            "keras-h5",
            "HDF5 file has a model_weights group but no model_config attribute, so the "
            "architecture is missing",
            "rebuild the model in code and load the weights with model.load_weights()",
        )
    keys = sorted(h5.keys())
    attrs = sorted(h5.attrs.keys())
    listing = ", ".join(keys[:8]) + (f", ... ({len(keys)} in all)" if len(keys) > 8 else "")
    raise ArtifactError(
        path,
        "file is HDF5 but holds no Keras model or weights layout (top-level keys: "
        f"{listing or 'none'}; root attributes: {', '.join(attrs[:8]) or 'none'})",
        "it is HDF5 data of another kind, not a Keras artifact; nothing to migrate",
    )
