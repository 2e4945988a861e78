"""Why a loader cannot build the model from its config: stages "model-config" and "config".

`container` says how the config reaches the loader: "h5" (legacy HDF5), "keras" (`.keras`),
"sm" (a Keras SavedModel, whose layers are revived from traced functions where the config fails).
The Keras 2 checks apply to tf.keras/tf_keras profiles, the Keras 3 ones to Keras 3 profiles.
"""

from __future__ import annotations

from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import quote
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check


@check("model-config", evidence="corpus/matrix.json: every load_model cell needs a config")
def no_model_config(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A model file whose config cannot be read: nothing to build."""
    if ev.config is not None:
        return None
    return f"no readable model config in `{ev.name}`; {profile.name} has nothing to build"


@check(
    "config",
    evidence="corpus/realworld_matrix.json: dl4j_k122_theano_lstm_trio/"
    'simple_lstm_th_keras_1_model.h5 x every load_model ("LSTM.__init__() missing 1 required '
    'positional argument: \'units\'", "pop expected at most 1 argument")',
)
def keras1_config(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A Keras 1 config: no loader of the matrix knows Keras 1 layer classes and arguments."""
    if ev.config is None or ev.config.style != "keras1":
        return None
    return (
        f"the config is Keras 1 ({ev.producer}); no runtime in the matrix reads Keras 1 "
        "layer classes and arguments: convert it (migrator convert) or rebuild the model"
    )


# --- Keras 2 lines (tf.keras, tf_keras)


@check(
    "config",
    evidence="corpus/matrix.json: tf216/keras/custom/save-h5 x 2.12/keras.load_model and "
    "2.16/tf_keras.load_model (\"Error when deserializing class 'InputLayer' using "
    "config={'batch_shape'...\")",
)
def keras3_config_in_keras2(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A config Keras 3 wrote (`batch_shape`, module entries, dtype policies) in a Keras 2 line."""
    if profile.keras3 or ev.config is None or not ev.written_by_keras3:
        return None
    return (
        f"written by {ev.producer}, whose config (`batch_shape`, module entries, "
        f"dtype policies) {profile.name} cannot deserialize; load it with Keras 3"
    )


@check(
    "config",
    evidence="corpus/matrix.json: tf221/tf_keras/custom/save-dir x 2.12/keras.load_model "
    "(\"Error when deserializing class 'InputLayer' using config={'batch_input_shape'...\"); "
    "knowledge.keras2.INPUT_LAYER_ARGS_ADDED",
)
def input_layer_args_too_new(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """InputLayer arguments a newer Keras 2 release wrote (tf_keras 2.21's `optional`).

    A SavedModel of a Functional model revives its InputLayer from the object graph, so only a
    Sequential one (rebuilt from the config) is refused there.
    """
    if profile.keras3 or ev.config is None:
        return None
    config = ev.config
    rejected = sorted(config.input_layer_args - profile.input_layer_args)
    if not rejected or (container == "sm" and config.model_class != "Sequential"):
        return None
    return (
        f"its InputLayer config has {quote(rejected)}, which {profile.name}'s InputLayer "
        f"rejects (written by {ev.producer}, a newer Keras 2 line)"
    )


@check(
    "config",
    evidence="corpus/matrix.json: tf216/tf_keras/functional/save-keras x 2.12/keras.load_model "
    "(\"Could not deserialize class 'Functional' because its parent module tf_keras.src...\")",
)
def tf_keras_modules_in_tf_keras(
    ev: Evidence, profile: LoaderProfile, container: str
) -> str | None:
    """A `.keras` config naming `tf_keras` modules, which tf.keras (TF <= 2.15) cannot import."""
    config = ev.config
    if profile.keras3 or config is None or container != "keras":
        return None
    if not config.tf_keras_modules or profile.package != "tf.keras":
        return None
    return (
        f"config entries {quote(config.tf_keras_modules)} name `tf_keras` modules, which "
        f"{profile.name} cannot import; load it with tf_keras"
    )


@check(
    "config",
    evidence="corpus/matrix_extended.json: tf213/keras/functional/save-keras x "
    "tf212/keras.load_model (\"Could not deserialize class 'Functional' because its parent module "
    'keras.src.engine.functional cannot be imported"); knowledge.loaders.KERAS2_SRC_PACKAGE_SINCE',
)
def keras_src_modules_in_tf212(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A `.keras` config naming `keras.src.*` modules (tf.keras 2.13+), which 2.12 lacks."""
    config = ev.config
    if profile.imports_keras_src or config is None or container != "keras":
        return None
    if not config.keras_src_modules:
        return None
    return (
        f"config entries {quote(config.keras_src_modules)} name `keras.src.*` modules (written "
        f"by {ev.producer}), which {profile.name} does not have: load it with tf.keras 2.13+"
    )


@check(
    "config",
    evidence="corpus/matrix_extended.json: tf212/keras/functional/save-format-keras-v3 x "
    "tf213/keras.load_model (\"Could not deserialize class 'Functional' because its parent module "
    'keras.engine.functional cannot be imported"); site-packages/keras of tf.keras 2.12.0 '
    "(keras/engine/) and 2.13.1-2.15.0 (keras/src/engine/, no keras/engine/); tf216/tf_keras: "
    '"...parent module tf_keras.engine.functional cannot be imported"',
)
def keras_engine_modules_after_tf212(
    ev: Evidence, profile: LoaderProfile, container: str
) -> str | None:
    """A `.keras` config naming tf.keras 2.12's `keras.engine.*` modules (its Functional
    models), which tf.keras 2.13+ moved under `keras.src` and tf_keras never had."""
    config = ev.config
    if not profile.lacks_keras_engine or config is None or container != "keras":
        return None
    if not config.keras_engine_modules:
        return None
    return (
        f"config entries {quote(config.keras_engine_modules)} name tf.keras 2.12's "
        f"`keras.engine.*` modules (written by {ev.producer}), which {profile.name} does not "
        "have: load it with tf.keras 2.12, or convert it (migrator convert)"
    )


@check(
    "config",
    evidence="corpus/matrix_extended.json: tf213/keras/custom/save-keras x "
    "tf212/keras.load_model (\"Unknown layer: 'ScaleShift'\" with the class registered); "
    "knowledge.loaders.KERAS2_CONFIG_REGISTERED_NAME_SINCE",
)
def registered_name_in_tf212(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A `.keras` config keeping registered classes under `registered_name`, which 2.12's layer
    deserializer never reads: registering the class does not help."""
    config = ev.config
    if profile.reads_registered_name or config is None or container != "keras":
        return None
    if not config.registered_apart:
        return None
    bare = sorted({name.rpartition(">")[2] for name in config.registered_apart})
    objects = ", ".join(f"'{name}': {name}" for name in bare)
    return (
        f"its config names registered class(es) {quote(list(config.registered_apart))} by "
        f"`registered_name` (written by {ev.producer}), and {profile.name} looks layers up by "
        f"`class_name` alone, so registering them does not help: pass "
        f"custom_objects={{{objects}}} or load it with tf.keras 2.13+"
    )


# --- Keras 3
# --- Keras 3


@check(
    "config",
    evidence="corpus/realworld_matrix.json: Keras <= 2.2 Sequential `.h5` files in Keras 3 "
    "(keras/src/legacy/saving/legacy_h5_format.py expects a dict config)",
)
def bare_list_sequential(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A Sequential config written as a bare list of layers (Keras 1 to 2.2.0)."""
    config = ev.config
    if not profile.keras3 or config is None or not config.list_config or container == "sm":
        return None
    return (
        f"the Sequential config is a bare list of layers (Keras <= 2.2, {ev.producer}); "
        f"{profile.name}'s legacy loader expects a dict and fails; convert it (migrator "
        "convert) or load it with tf_keras"
    )


@check(
    "config",
    evidence="corpus/realworld_matrix.json: debangshu_k224_full_h5/model.h5 x 2.16/"
    'keras.load_model ("Kernel shape must have the same length as input")',
)
def convolution_first_without_input(
    ev: Evidence, profile: LoaderProfile, container: str
) -> str | None:
    """A Sequential `.h5` starting with a convolution given `batch_input_shape`, no InputLayer."""
    config = ev.config
    if not profile.keras3 or config is None or not config.conv_first or container != "h5":
        return None
    return (
        f"the Sequential starts with convolution `{config.conv_first}` carrying "
        f"`batch_input_shape` and no InputLayer; {profile.name} turns that into an input "
        "with an extra axis and the kernel no longer fits; load it with tf_keras or convert it"
    )


@check(
    "config",
    evidence="corpus/matrix.json: tf212/keras/recurrent/save-h5 x 2.21/keras.load_model "
    "(\"Unrecognized keyword arguments passed to LSTM: {'time_major': False}\")",
)
def recurrent_time_major(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Recurrent layers recording Keras 2's `time_major`, which Keras 3 rejects."""
    config = ev.config
    if not profile.keras3 or config is None or not config.time_major or container == "sm":
        return None
    return (
        f"recurrent layer(s) {quote(config.time_major)} record Keras 2's `time_major`, which "
        f"{profile.name} rejects (Unrecognized keyword arguments); load it with tf_keras or "
        "convert it"
    )


@check("config", evidence="knowledge.loaders.KERAS3_BIDIRECTIONAL_LAYER_SINCE")
def bidirectional_weight_count(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A whole Keras 3 model with Bidirectional layers in a Keras 3 before 3.3.3, whose
    `Wrapper` expects the wrapped RNN's own weights too: not in a 3.3.3+ file, and not loaded
    back from its own `.keras` either. (3.3.3+ loads a 3.0-3.2 `.keras`: read by layer path.)"""
    config = ev.config
    if config is None or not config.bidirectional or container == "sm":
        return None
    if profile.bidirectional_as_layer is not False:
        return None
    if ev.producer_keras is None or ev.producer_keras[0] != 3:
        return None
    return (
        f"{profile.name} cannot load a whole Keras 3 model with Bidirectional layers "
        f"{quote(config.bidirectional)} (saved by {ev.producer}): up to 3.3.2 the layer also "
        "counts the wrapped RNN's own weights; load it with Keras 3.3.3 or newer, or "
        "load_weights into a model built there"
    )


@check("config", evidence="knowledge.loaders.KERAS3_READS_BARE_TENSOR_REFERENCE_SINCE")
def bare_tensor_reference(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A Functional model's lone input or output written as a bare tensor reference (Keras
    3.11+), which Keras 3.0-3.3 read as a list of references and fail on."""
    config = ev.config
    if config is None or not config.bare_tensor_refs or container == "sm":
        return None
    if profile.reads_bare_tensor_references:
        return None
    return (
        f"{quote(config.bare_tensor_refs)} hold one bare tensor reference (written by "
        f"{ev.producer}), which {profile.name} cannot read (it expects a list of them); load it "
        "with Keras 3.4 or newer"
    )


@check("config", evidence="knowledge.loaders.KERAS3_READS_ORTHOGONAL_SINCE")
def orthogonal_initializer(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Keras 2's `Orthogonal` initializer name, which early Keras 3 cannot resolve."""
    config = ev.config
    if not profile.keras3 or config is None or not config.orthogonal:
        return None
    if profile.reads_orthogonal or container == "sm":
        return None
    return (
        f"{profile.name} cannot resolve the `Orthogonal` initializer named in this config "
        "(every LSTM/GRU has one); load it with a newer Keras 3 or tf_keras"
    )


@check("config", evidence="knowledge.loaders.KERAS3_CONFIG_ARGUMENTS_SINCE")
def newer_keras3_arguments(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Layer arguments a later Keras 3 release wrote, which an earlier Keras 3 does not know."""
    config = ev.config
    if config is None:
        return None
    rejected = profile.rejects_arguments(config.newer_keras3)
    if not rejected:
        return None
    return (
        f"written by {ev.producer}, whose layer configs carry "
        f"{quote(list(rejected))} arguments, which "
        f"{profile.name} does not know; load it with a newer Keras 3"
    )


@check(
    "config",
    evidence="corpus/matrix.json: tf215/keras/functional/save-keras x 2.16/keras.load_model; "
    "knowledge.keras3.KERAS2_INTERNAL_MODULES",
)
def keras2_internal_modules(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A `.keras` config naming Keras 2 internal modules, which Keras 3 cannot import."""
    config = ev.config
    if not profile.keras3 or config is None or container != "keras":
        return None
    if not config.keras2_modules:
        return None
    return (
        f"config entries {quote(config.keras2_modules)} name Keras 2 internal modules "
        f"(`keras.src.engine...`/`tf_keras...`) that {profile.name} cannot import; load "
        "it with tf_keras, or convert it (migrator convert)"
    )


@check(
    "config",
    evidence="corpus/matrix.json: tf215/keras/lambda/save-keras x 2.16/keras.load_model "
    "(\"Unrecognized keyword arguments passed to Lambda: {'function_type': 'lambda'...\")",
)
def keras2_lambda_config(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A `.keras` Lambda in the Keras 2 config shape, which Keras 3's Lambda rejects."""
    config = ev.config
    if not profile.keras3 or config is None or container != "keras":
        return None
    if not config.keras2_lambdas:
        return None
    return (
        f"Lambda layer(s) {quote(config.keras2_lambdas)} use the Keras 2 config "
        f"(`function_type`, `module`...), which {profile.name}'s Lambda rejects even with "
        "safe_mode=False; load it with tf_keras"
    )
