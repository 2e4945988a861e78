"""Whether a loader finds the weights of a `.keras` archive tf.keras 2.12-2.14 wrote.

Stage "keras-archive" (load_model and load_weights of `keras-v3` artifacts). tf.keras 2.12 (its
experimental `save_format="keras_v3"`), 2.13 and 2.14 stored a `.keras` archive's weights under
`_layer_checkpoint_dependencies/`; tf.keras 2.15 moved them to `layers/`
(`knowledge.loaders.V3_WEIGHTS_LAYERS_LAYOUT_SINCE`), and tf.keras 2.15, tf_keras and Keras 3.0
never look in the old place, so every layer gets no weights and loading stops; Keras 3.1+ looks
there by name, which works unless the old walk numbered a layer differently. `migrator convert` reads that layout itself
(`convert/steps/tf212_keras_v3_to_keras.py`).
"""

from __future__ import annotations

from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import quote
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check
from migrator.loadability.verdicts.keras_archive import weights_layout


@check(
    "keras-archive",
    evidence="keras/saving/saving_lib.py of tf.keras 2.12 (`_layer_checkpoint_dependencies` "
    "walk, also 2.13/2.14) and of tf.keras 2.15 / tf_keras 2.21 (`layers/` only); measured on 2.12 "
    "save_format='keras_v3' Sequentials: tf.keras 2.15, tf_keras 2.16 and 2.21 load_model \"Layer "
    "'hidden' expected 2 variables, but received 0\"; knowledge.loaders."
    "V3_WEIGHTS_LAYERS_LAYOUT_SINCE and KERAS3_MAPS_TF212_LAYOUT_SINCE",
)
def tf212_layout_after_tf212(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A tf.keras 2.12-2.14 archive, whose weights later loaders look for elsewhere.

    Keras 2 lines from 2.15 and Keras 3.0 look only under `layers/`; Keras 3.1+ falls back to
    the old place by name, which finds every layer unless the old walk numbered one otherwise.
    """
    if ev.fmt != "keras-v3" or weights_layout(ev) != "legacy" or profile.v3_layout == "legacy":
        return None
    renumbered = ev.config.tf212_renumbered if ev.config else ()
    if profile.maps_tf212_layout and not renumbered:
        return None
    remedy = (
        "load it with tf.keras 2.12-2.14, or convert it with `migrator convert --to keras` (which "
        "reads that layout)"
    )
    if profile.maps_tf212_layout:
        return (
            f"this archive ({ev.producer}, tf.keras 2.12-2.14 layout) keeps layer(s) "
            f"{quote(list(renumbered))} under `_layer_checkpoint_dependencies/` numbered as "
            "tf.keras 2.12-2.14 did (a second layer of a class with "
            f"weights is `<class>_2`), and {profile.name} looks them up as `<class>_1`, ...: "
            f"their weights are never found; {remedy}"
        )
    return (
        f"{profile.name} reads `.keras` weights under `layers/`, and this archive "
        f"({ev.producer}, tf.keras 2.12-2.14 layout) stores them under "
        f"`_layer_checkpoint_dependencies/`: no layer would get its weights; {remedy}"
    )
