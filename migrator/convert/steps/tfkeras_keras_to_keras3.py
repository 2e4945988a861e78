"""Step: `.keras` written by tf.keras 2.13-2.15 -> Keras 3 `.keras`.

The archive has the same name as Keras 3's but a Keras 2 config inside (`batch_input_shape`,
`time_major`, modules like `keras.layers`, no `build_config` everywhere), which Keras 3 rejects
(`Sequential could not be deserialized properly`). tf-keras reads it (safe mode on: Lambda
bytecode is never loaded); the config is rewritten for Keras 3 and the weights copied layer by
layer, as for a Keras SavedModel.
"""

from __future__ import annotations

from typing import Any

from migrator.convert import keras_sm_to_keras


def run(src: str, out_dir: str, **options: Any) -> dict[str, Any]:
    """Once tf-keras has loaded the model, the work is the Keras SavedModel step's."""
    return keras_sm_to_keras.run(src, out_dir, **options)
