"""Facts about the Keras 2 line (tf.keras up to TF 2.15, tf_keras from TF 2.16)."""

from __future__ import annotations

from migrator.knowledge import fact

# InputLayer arguments the Keras 2 lines accept: their own parameters plus the generic ones
# `Layer.__init__` validates (`allowed_kwargs` in engine/base_layer.py); anything else is a
# TypeError. Keras 3 writes `batch_shape`; tf_keras 2.21 added `optional` (INPUT_LAYER_ARGS_ADDED).
INPUT_LAYER_ARGS: frozenset[str] = fact(
    "keras2_input_layer_args",
    frozenset(
        {
            "input_shape",
            "batch_size",
            "dtype",
            "input_tensor",
            "sparse",
            "name",
            "ragged",
            "type_spec",
            "input_dim",
            "batch_input_shape",
            "weights",
            "activity_regularizer",
            "autocast",
            "implementation",
        }
    ),
    checked="engine/input_layer.py and engine/base_layer.py of tf.keras 2.12/2.15, tf_keras 2.16",
)

# InputLayer arguments a Keras 2 release added, by release (tf_keras 2.21 writes `optional`,
# which older Keras 2 releases reject).
INPUT_LAYER_ARGS_ADDED: dict[tuple[int, int], frozenset[str]] = fact(
    "keras2_input_layer_args_added",
    {(2, 21): frozenset({"optional"})},
    since="tf_keras 2.21",
    checked="corpus/matrix.json: tf221 tf_keras `.keras`/`.h5` fail in tf.keras 2.12/2.15, "
    "tf_keras 2.16 (\"Unrecognized keyword arguments: ['optional']\"); "
    "tf_keras/src/engine/input_layer.py of tf-keras 2.17.0, 2.18.0, 2.19.0, 2.20.1 (no "
    "`optional`) and 2.21.0 (`optional=False`)",
)


def input_layer_args(version: tuple[int, ...]) -> frozenset[str]:
    """The InputLayer arguments a Keras 2 release (2, minor, ...) accepts."""
    out = INPUT_LAYER_ARGS
    for since, added in INPUT_LAYER_ARGS_ADDED.items():
        if tuple(version[:2]) >= since:
            out = out | added
    return out
