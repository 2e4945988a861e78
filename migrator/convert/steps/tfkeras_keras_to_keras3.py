"""Step: `.keras` written by tf.keras 2.13-2.15 -> Keras 3 `.keras`.

The archive has the same name as Keras 3's but a Keras 2 config inside (`batch_input_shape`,
`time_major`, modules like `keras.layers`, no `build_config` everywhere), which Keras 3 rejects
(`Sequential could not be deserialized properly`). tf-keras reads it (safe mode on: Lambda
bytecode is never loaded); the config is rewritten for Keras 3 and the weights copied layer by
layer, as for a Keras SavedModel.
"""

from __future__ import annotations

from typing import Any

from migrator.convert.registry import conversion_step
from migrator.convert.steps import keras_sm_to_keras


@conversion_step(
    "keras2-to-keras3",
    source="tf-keras-v3",
    target="keras-v3",
    validate_with=("era", "tf_keras"),
    summary="`.keras` from tf.keras 2.13-2.15 -> Keras 3 `.keras`",
)
def run(src: str, out_dir: str, **options: Any) -> dict[str, Any]:
    """Once tf-keras has loaded the model, the work is the Keras SavedModel step's."""
    return keras_sm_to_keras.run(src, out_dir, **options)
