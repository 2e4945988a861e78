"""Keras 1 history: the layer classes and arguments only Keras 1 wrote, and how to tell a Keras 1
config. Read in the Keras 1.2.2 sources (``keras/layers/*.py``, ``keras/engine/topology.py``) and
in Keras 2.0's own converters (``keras/legacy/interfaces.py``), which name every rename.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.knowledge import fact
from migrator.knowledge.versions import major

# Layer classes that exist only in Keras 1.x (renamed or removed in Keras 2.0).
KERAS1_CLASSES: frozenset[str] = fact(
    "keras1_classes",
    frozenset(
        {
            "Convolution1D",
            "Convolution2D",
            "Convolution3D",
            "AtrousConvolution1D",
            "AtrousConvolution2D",
            "Deconvolution2D",
            "SeparableConvolution2D",
            "Merge",
            "TimeDistributedDense",
            "MaxoutDense",
            "Highway",
        }
    ),
    until="keras 2.0",
    checked="keras 1.2.2 keras/layers/*.py; keras 2.0.0 keras/legacy/layers.py and interfaces.py",
)

# Layer config keys that only Keras 1.x wrote (Keras 2.0 renamed them: units, filters, kernel_size,
# kernel_initializer, data_format, padding, strides, kernel_regularizer, pool_size...).
KERAS1_ARGS: frozenset[str] = fact(
    "keras1_args",
    frozenset(
        {
            "nb_filter",
            "nb_row",
            "nb_col",
            "init",
            "inner_init",
            "inner_activation",
            "dim_ordering",
            "border_mode",
            "subsample",
            "W_regularizer",
            "b_regularizer",
            "U_regularizer",
            "W_constraint",
            "b_constraint",
            "U_constraint",
            "input_dtype",
            "consume_less",
            "pool_length",
        }
    ),
    until="keras 2.0",
    checked="keras 2.0.0 keras/legacy/interfaces.py (the renames Keras 2 applied when loading)",
)

# `output_dim` is a Keras 1 argument everywhere except Embedding, which kept it in Keras 2.
OUTPUT_DIM_OK: frozenset[str] = fact(
    "keras1_output_dim_kept_by",
    frozenset({"Embedding"}),
    checked="keras 2.0.0 keras/layers/embeddings.py (output_dim kept)",
)


def is_keras1(keras_version: str | None, config: Mapping[str, Any]) -> bool:
    """Keras 1 by the file's own version, or (no version recorded) by Keras-1-only classes/args.

    Keras itself treats an HDF5 file without `keras_version` as Keras 1; the config check keeps a
    Keras 2 architecture JSON (which never records a version in old releases) from being taken
    for Keras 1.
    """
    if keras_version:
        return major(keras_version) == 1
    from migrator.formats.keras_config import config_style

    return config_style(config)[0] == "keras1"
