"""Whether a loader finds the weights of a tf.keras 2.12 `save_format="keras_v3"` archive.

Stage "keras-archive" (load_model and load_weights of `keras-v3` artifacts). tf.keras 2.12 stored
a `.keras` archive's weights under `_layer_checkpoint_dependencies/`; tf.keras 2.13 moved them to
`layers/`, and no later line (tf.keras 2.13-2.15, tf_keras, Keras 3) looks in the old place, so
every layer gets no weights and loading stops. `migrator convert` reads that layout itself
(`convert/steps/tf212_keras_v3_to_keras.py`).
"""

from __future__ import annotations

from migrator.loadability.evidence import Evidence
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check
from migrator.loadability.verdicts.keras_archive import weights_layout


@check(
    "keras-archive",
    evidence="keras/saving/saving_lib.py of tf.keras 2.12 (`_layer_checkpoint_dependencies` "
    "walk) and of tf.keras 2.15 / tf_keras 2.21 / Keras 3 (`layers/`); measured on a 2.12 "
    "save_format='keras_v3' Sequential: tf.keras 2.15, tf_keras 2.16 and 2.21 load_model \"Layer "
    "'hidden' expected 2 variables, but received 0\", Keras 3.3.3 and 3.15.1 \"A total of 1 "
    'objects could not be loaded"; knowledge.loaders.V3_WEIGHTS_LAYERS_LAYOUT_SINCE',
)
def tf212_layout_after_tf212(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A tf.keras 2.12 keras_v3 archive, whose weights later loaders look for elsewhere."""
    if ev.fmt != "keras-v3" or weights_layout(ev) != "legacy" or profile.v3_layout == "legacy":
        return None
    return (
        f"{profile.name} reads `.keras` weights under `layers/`, and this archive "
        f"({ev.producer}, tf.keras 2.12 save_format='keras_v3') stores them under "
        "`_layer_checkpoint_dependencies/`: no layer would get its weights; load it with "
        "tf.keras 2.12, or convert it with `migrator convert --to keras` (which reads that layout)"
    )
