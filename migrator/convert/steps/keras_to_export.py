"""Step: Keras 3 `.keras` -> an inference SavedModel, exactly what `model.export(dir)` writes.

The export has a `serving_default` signature taking the model's inputs by name; TF Serving,
`tf.saved_model.load` and `keras.layers.TFSMLayer` can use it without Keras code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_chain, conversion_step


@conversion_step(
    "keras-to-savedmodel",
    source="keras-v3",
    target="saved-model",
    validate_with=("newest",),
    summary="Keras 3 `.keras` -> inference SavedModel with `serving_default` (`model.export()`)",
)
def run(
    src: str,
    out_dir: str,
    *,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    **_: Any,
) -> dict[str, Any]:
    import tensorflow as tf

    from migrator.convert.keras3_build import load_keras3, signature

    model = load_keras3(src, custom_objects, unsafe)
    target = Path(out_dir) / "saved_model"
    model.export(str(target), format="tf_saved_model", verbose=False)
    loaded = tf.saved_model.load(str(target))
    fn = loaded.signatures["serving_default"]
    spec = fn.structured_input_signature[1]
    keras_sig = signature(model)
    # The export names its inputs after the Keras inputs; keep the Keras order for validation.
    names = [s["name"] for s in keras_sig]
    if sorted(names) != sorted(spec):
        names = sorted(spec)
    return {
        "path": str(target),
        "changes": [],
        "notes": ["exported with model.export(): inference only (no training config)"],
        "signature": keras_sig,
        "input_names": names,
    }


# Rules recommend this pair by one name: a Keras SavedModel re-exported for serving.
SAVEDMODEL_TO_SERVING = conversion_chain(
    "savedmodel-to-serving",
    ("savedmodel-to-keras", "keras-to-savedmodel"),
    "Keras SavedModel -> serving SavedModel like `model.export()` writes",
)
