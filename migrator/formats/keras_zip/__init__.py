"""Reader for the Keras v3 format (`keras-v3`): `.keras` zip archives and their unzipped folders.

What the writers produce (checked in keras-team/keras `keras/src/saving/saving_lib.py`, tf.keras
2.12/2.15 `keras/(src/)saving/saving_lib.py`, and by saving models with tf.keras 2.15.1 and
Keras 3.15.1):

- a zip (``zipfile.ZipFile(f, "w")``: every member stored, no compression) holding
  ``metadata.json`` (``{"keras_version": ..., "date_saved": "%Y-%m-%d@%H:%M:%S"}``, written by
  every writer since tf.keras 2.12), ``config.json`` (the serialized model, with
  ``compile_config`` inside it), ``model.weights.h5`` or ``model.weights.npz``, and ``assets/...``
  when a layer saved assets;
- Keras 3.x ``model.save(path, zipped=False)`` and Hugging Face uploads: the same files in a folder;
- ``save_weights("x.weights.json", max_shard_size=...)`` (recent Keras 3; 3.15.1 checked) writes a
  ``*.weights.json`` index (``{"metadata": {"total_size"}, "weight_map": {path: [shard]}}``) plus
  ``<base>_00000.weights.h5`` shards. Keras never puts shards in a ``.keras`` archive itself, but a
  folder or archive that carries them is read the same way (index + shards = the weights).

The package is split along those layers: `container` (zip or folder, central directory, member
names), `config` (config.json facts), `weights` (HDF5 layout, npz headers), `reading` (assembles
the reading) and `details` (`KerasV3Details`, the schema of ``details``, field by field).

``producer``: ``keras_version`` and every other ``*_version`` string metadata.json records
(e.g. ``keras_hub_version``), verbatim.
``raw``: ``model_config`` (config.json), ``metadata`` (metadata.json), ``compile_config``.
"""

from __future__ import annotations

from pathlib import Path

from migrator.errors import ArtifactError
from migrator.formats import register
from migrator.formats.keras_zip.config import custom_objects, lambda_entries
from migrator.formats.keras_zip.container import (
    CONFIG,
    FORMAT,
    METADATA,
    SHARD_INDEX_SUFFIX,
    WEIGHTS_H5,
    WEIGHTS_NPZ,
    ZIP_EMPTY,
    ZIP_LOCAL,
    keras_names,
    open_zip,
)
from migrator.formats.keras_zip.details import KerasV3Details
from migrator.formats.keras_zip.reading import read

register(__name__, formats=(FORMAT,), order=30)

__all__ = [
    "FORMAT",
    "KerasV3Details",
    "claim_dir",
    "claim_file",
    "custom_objects",
    "lambda_entries",
    "read",
]


def claim_file(path: Path, head: bytes) -> bool:
    """A zip whose central directory holds Keras members, whatever its name; any zip named .keras.

    Ours when the archive's root holds ``metadata.json``, or ``config.json`` next to a Keras weights
    member. A zip named ``.keras`` is ours even when it is broken or holds nothing Keras wrote, so
    the user gets a keras-v3 error instead of "unknown format".
    """
    if not head.startswith((ZIP_LOCAL, ZIP_EMPTY)):
        return False
    named_keras = path.suffix.lower() == ".keras"
    try:
        with path.open("rb") as fh:
            names = {info.filename for info in open_zip(path, fh).infolist()}
    except ArtifactError:
        return named_keras
    return keras_names(names) or named_keras


def claim_dir(path: Path, names: frozenset[str]) -> bool:
    """The unzipped form Keras 3 writes (``zipped=False``, Hugging Face uploads, KerasHub presets).

    ``config.json`` + ``metadata.json`` + weights (``model.weights.h5``/``.npz`` or a
    ``*.weights.json`` shard index): a folder with all three is one artifact.
    """
    if CONFIG not in names or METADATA not in names:
        return False
    return bool({WEIGHTS_H5, WEIGHTS_NPZ} & names) or any(
        n.endswith(SHARD_INDEX_SUFFIX) for n in names
    )
