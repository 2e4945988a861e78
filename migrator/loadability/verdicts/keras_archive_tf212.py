"""Whether a loader finds the weights of a `.keras` archive tf.keras 2.12-2.14 wrote.

Stage "keras-archive" (load_model and load_weights of `keras-v3` artifacts). tf.keras 2.12 (its
experimental `save_format="keras_v3"`), 2.13 and 2.14 stored a `.keras` archive's weights under
`_layer_checkpoint_dependencies/`; tf.keras 2.15 moved them to `layers/`
(`knowledge.loaders.V3_WEIGHTS_LAYERS_LAYOUT_SINCE`), and tf.keras 2.15, tf_keras and Keras
3.0.0-3.0.1 never look in the old place, so every layer gets no weights and loading stops; Keras
3.0.2+ looks there by name, which works unless the old walk numbered a layer differently.
`migrator convert` reads 2.12-2.13's layout itself (`convert/steps/tf212_keras_v3_to_keras.py`).
"""

from __future__ import annotations

from migrator.knowledge.loaders import V3_WEIGHTS_COMPACT_NUMBERING_SINCE
from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import quote
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check
from migrator.loadability.verdicts.keras_archive import weights_layout, written_numbering


def archive_numbering(ev: Evidence) -> str:
    """How the walk that wrote the archive numbered layers: as its group names show
    (`written_numbering`), else by the writer's version (a 2.12-2.13 writer, or one that does
    not say, "gapped"; 2.14 "compact")."""
    numbering = written_numbering(ev)
    if numbering is not None:
        return numbering
    version = ev.producer_keras
    if version is not None and version[:2] >= V3_WEIGHTS_COMPACT_NUMBERING_SINCE:
        return "compact"
    return "gapped"


@check(
    "keras-archive",
    evidence="keras/saving/saving_lib.py of tf.keras 2.12 (`_layer_checkpoint_dependencies` "
    "walk, also 2.13/2.14) and of tf.keras 2.15 / tf_keras 2.21 (`layers/` only); measured on 2.12 "
    "save_format='keras_v3' Sequentials: tf.keras 2.15, tf_keras 2.16 and 2.21 load_model \"Layer "
    "'hidden' expected 2 variables, but received 0\"; knowledge.loaders."
    "V3_WEIGHTS_LAYERS_LAYOUT_SINCE, KERAS3_MAPS_TF212_LAYOUT_SINCE and V3_WEIGHTS_COMPACT_NUMBERING_SINCE",
)
def tf212_layout_after_tf212(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A tf.keras 2.12-2.14 archive, whose weights later loaders look for elsewhere, or under
    other numbers.

    Keras 2 lines from 2.15 and Keras 3.0.0-3.0.1 look only under `layers/`; Keras 3.0.2+ falls
    back to the old place by name. Where the directory is found, a layer's weights are found only
    if the loader's walk numbers it as the writer's did (2.12-2.13 left gaps, 2.14+ do not).
    """
    if ev.fmt != "keras-v3" or weights_layout(ev) != "legacy":
        return None
    renumbered = ev.config.tf212_renumbered if ev.config else ()
    remedy = _remedy(archive_numbering(ev) if renumbered else None)
    if profile.v3_layout == "legacy" or profile.maps_tf212_layout:
        if archive_numbering(ev) == profile.v3_numbering or not renumbered:
            return None
        written = "with gaps (a second layer with weights of a class is `<class>_2`)"
        if archive_numbering(ev) == "compact":
            written = "without gaps (a second layer with weights of a class is `<class>_1`)"
        return (
            f"this archive ({ev.producer}, tf.keras 2.12-2.14 layout) keeps layer(s) "
            f"{quote(list(renumbered))} under `_layer_checkpoint_dependencies/` numbered "
            f"{written}, and {profile.name} looks them up under other numbers: their weights "
            f"are never found; {remedy}"
        )
    return (
        f"{profile.name} reads `.keras` weights under `layers/`, and this archive "
        f"({ev.producer}, tf.keras 2.12-2.14 layout) stores them under "
        f"`_layer_checkpoint_dependencies/`: no layer would get its weights; {remedy}"
    )


def _remedy(numbering: str | None) -> str:
    """Where the archive does load: the lines whose walk finds every layer's weights (`numbering`
    matters only when a class has a second layer with weights)."""
    convert = "or convert it with `migrator convert --to keras` (which reads that layout)"
    if numbering == "compact":  # Keras 3.0.2+ maps the old place with the same numbers
        return "load it with tf.keras 2.14 or Keras 3.0.2+ and save it again as `.keras`"
    if numbering == "gapped":
        return f"load it with tf.keras 2.12-2.13, {convert}"
    return f"load it with tf.keras 2.12-2.14 or Keras 3.0.2+, {convert}"
