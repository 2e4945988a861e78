"""`keras.load_model` / `tf_keras.load_model` of model files: legacy HDF5 and `.keras`.

The file must open (stage "hdf5-file", or "keras-archive"), carry a config ("model-config") the
loader can build ("config"); what remains are the needs: custom classes, safe_mode=False for
Lambda bytecode, compile=False or a lost optimizer ("compile").
"""

from __future__ import annotations

from migrator.knowledge.loaders import KERAS_ARCHIVE_SAFE_MODE
from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Need, Prediction, fails, quote, with_needs
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check, first_blocker, verdict
from migrator.loadability.verdicts.compile_checks import compile_needs

_CONTAINER_NAMES = {"h5": "HDF5 model", "keras": "`.keras` archive", "sm": "Keras SavedModel"}


@check(
    "hdf5-file",
    evidence="corpus/realworld_matrix.json: sentiment_h5_named_dotkeras_tfk211/model.keras x "
    '2.16/keras.load_model ("File not found"); keras/src/saving/saving_api.py of Keras 3',
)
def hdf5_not_named_h5(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """An HDF5 model under a name other than `.h5`/`.hdf5`, which Keras 3 does not open."""
    if not profile.keras3 or ev.name.endswith((".h5", ".hdf5")):
        return None
    hint = (
        "a `.keras` name makes it look for a zip archive"
        if ev.name.endswith(".keras")
        else "other names are not supported"
    )
    return (
        f"{profile.name} opens HDF5 models only under a `.h5`/`.hdf5` name and this HDF5 "
        f"file is called `{ev.name}` ({hint}); rename it to `.h5`"
    )


def checks_safe_mode(profile: LoaderProfile, container: str) -> bool:
    """Whether loading marshalled Lambda code needs safe_mode=False with this profile."""
    if container == "sm":
        return False  # revived from the SavedModel's traced functions; no bytecode runs
    if container == "keras":
        return KERAS_ARCHIVE_SAFE_MODE  # every `.keras` loader checks it
    return profile.h5_safe_mode  # legacy HDF5: Keras 3 from 3.11.3 on; Keras 2 never


@verdict(
    "load_model",
    "keras-h5",
    evidence="corpus/matrix.json: the load_model cells of every save-h5 artifact",
)
def load_model_h5(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """load_model of a legacy HDF5 model file."""
    return _build(ev, profile, "h5", ("hdf5-file", "model-config", "config"))


@verdict(
    "load_model",
    "keras-v3",
    evidence="corpus/matrix.json: the load_model cells of every save-keras artifact",
)
def load_model_keras(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """load_model of a `.keras` archive (or unzipped folder)."""
    return _build(ev, profile, "keras", ("keras-archive", "model-config", "config"))


def _build(
    ev: Evidence, profile: LoaderProfile, container: str, stages: tuple[str, ...]
) -> Prediction:
    blocked = first_blocker(stages, ev, profile, container)
    if blocked:
        return fails(blocked)
    config = ev.config
    assert config is not None  # stage "model-config"
    needs: list[Need] = []
    custom = config.custom + tuple(x for x in ev.custom_training if x not in config.custom)
    if custom:
        needs.append(
            (
                "custom_objects",
                f"needs the custom class(es) or function(s) {quote(custom)} importable and "
                "registered (custom_objects= or @register_keras_serializable)",
            )
        )
    safe_mode = checks_safe_mode(profile, container)
    if config.lambdas and safe_mode:
        needs.append(
            (
                "safe_mode=False",
                f"needs safe_mode=False: Lambda layer(s) {quote(config.lambdas)} hold marshalled "
                "Python bytecode, which runs on load (only for a trusted file)",
            )
        )
    compiling = compile_needs(ev, profile, container)
    if container == "h5" and not profile.h5_takes_compile_false:
        failed = [why for name, why in compiling if name == "compile=False"]
        if failed:  # knowledge.loaders.KERAS3_H5_TAKES_LOAD_ARGUMENTS_SINCE
            return fails(
                f"{failed[0].removeprefix('needs compile=False: ')}, and {profile.name} "
                "compiles a legacy HDF5 file whatever compile= says (its load_model passes no "
                "arguments to the HDF5 loader); load it with Keras 3.3+ and compile=False, or "
                "with tf_keras"
            )
    needs.extend(compiling)
    reason = f"{profile.name} reads this {_CONTAINER_NAMES[container]} written by {ev.producer}"
    if config.lambdas and not safe_mode:
        reason += (
            f"; beware: it runs the marshalled bytecode of Lambda layer(s) {quote(config.lambdas)}"
            " on load without any safe_mode check (load only a trusted file)"
        )
    return with_needs(reason, needs)
