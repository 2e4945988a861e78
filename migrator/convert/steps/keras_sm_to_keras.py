"""Step: Keras SavedModel from `model.save(dir)` (TF 2.x) -> Keras 3 `.keras`.

Keras 3 cannot read this format (`load_model` refuses folders), so the model is loaded with
tf-keras, the Keras 2 line that wrote it, in the latest runtime; its config is rewritten for
Keras 3 and its weights copied layer by layer (`keras3_build.from_tf_keras_model`). The pipeline
refuses Lambda layers before this step runs unless `--unsafe` was given, because loading the
SavedModel would already deserialize their code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import RuntimeUnavailable


def load_tf_keras(src: str, custom_objects: list[str] | tuple[str, ...]) -> Any:
    try:
        import tf_keras
    except ImportError as exc:
        raise RuntimeUnavailable(
            src,
            "reading this model needs tf-keras, which this runtime lacks",
            "pip install tf-keras matching your TensorFlow (e.g. tf-keras==2.21.0)",
        ) from exc
    from migrator.convert.keras_loading import import_custom_objects

    objects = import_custom_objects(custom_objects, tf_keras)
    return tf_keras.models.load_model(src, compile=False, custom_objects=objects)


@conversion_step(
    "savedmodel-to-keras",
    source="keras-savedmodel",
    target="keras-v3",
    validate_with=("era", "tf_keras"),
    summary="Keras SavedModel written by `model.save(dir)` -> Keras 3 `.keras`",
)
def run(
    src: str,
    out_dir: str,
    *,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    **_: Any,
) -> dict[str, Any]:
    from migrator.convert.keras3_build import from_tf_keras_model

    model = load_tf_keras(src, custom_objects)
    result = from_tf_keras_model(
        model, Path(out_dir), subject=src, modules=custom_objects, unsafe=unsafe
    )
    result["notes"].append("loaded with tf-keras; optimizer state is not carried over")
    return result
