"""Where each public TensorFlow/Keras saving API lived inside the packages, release by release.

Real training code often imports an API from the module that implements it instead of through
its public alias (`from tensorflow.python.training import saver`, `from
tensorflow.contrib.saved_model.python.saved_model import keras_saved_model`, `import freeze_graph`
next to a copy of TF's tool). The code rules match public names; these tables map every internal
spelling to the public one, so one rule row covers every way of reaching an API.

Each table maps a module path prefix to the public prefix that exposes the same objects; the
longest matching prefix wins. An internal path still importable in TF 2.21 runs the TF1 code (the
rules report it like the `tf.compat.v1` spelling); the public TF1 alias itself is gone.
"""

from __future__ import annotations

from migrator.knowledge import fact

# Every spelling of the Keras API package, mapped to `keras`. Longest first.
KERAS_SPELLINGS: tuple[tuple[str, str], ...] = fact(
    "keras_api_spellings",
    (
        ("tensorflow.contrib.keras.python.keras", "keras"),  # TF 1.1-1.3 implementation
        ("tensorflow.contrib.keras.api.keras", "keras"),  # TF 1.3 public tree
        ("tensorflow.python.keras._impl.keras", "keras"),  # TF 1.4-1.9 implementation
        ("tensorflow.python.keras.api._v1.keras", "keras"),  # TF 1.14-2.5 generated API
        ("tensorflow.python.keras.api._v2.keras", "keras"),
        ("tensorflow._api.v1.compat.v1.keras", "keras"),
        ("tensorflow._api.v2.compat.v1.keras", "keras"),
        ("tensorflow._api.v1.keras", "keras"),
        ("tensorflow._api.v2.keras", "keras"),
        ("tensorflow.compat.v1.keras", "keras"),
        ("tensorflow.compat.v2.keras", "keras"),
        ("tensorflow.contrib.keras", "keras"),  # TF 1.1-1.3 public alias
        ("tensorflow.python.keras", "keras"),  # TF 1.10-2.5 implementation (kept to 2.15)
        ("tensorflow.keras", "keras"),
        ("keras.api._v2.keras", "keras"),
        ("keras.api._v1.keras", "keras"),
        ("keras._tf_keras.keras", "keras"),
        ("tf_keras", "keras"),
    ),
    checked="tensorflow/contrib/keras/python/keras (TF 1.1-1.3), tensorflow/python/keras/_impl/keras "
    "(TF 1.4-1.9), tensorflow/python/keras (TF 1.10-2.5), tensorflow/python/keras/api/_v1 "
    "(generated API, TF 1.14-2.5), keras/api/_v2/keras (Keras 2.6-2.15), keras/_tf_keras (Keras 3)",
)

# Keras-internal saving modules (after the spellings above are applied) -> public Keras names.
# Not `keras.saving.legacy.save` (Keras 2.12-2.15): that is the legacy loader itself, which still
# reads SavedModel folders there and is absent from Keras 3, not an alias of `load_model`. Nor
# `keras.src.saving.saving_api`: only Keras' own code and tests import it, and they call it with
# the legacy arguments on purpose (to test the errors); users reach it as `keras.saving`.
KERAS_INTERNAL_MODULES: tuple[tuple[str, str], ...] = fact(
    "keras_internal_saving_modules",
    (
        ("keras.engine.saving", "keras.models"),  # Keras 2.0-2.3, tf.keras 1.x: save/load_model
        ("keras.saving.save", "keras.models"),  # tf.keras 2.0-2.11, Keras 2.6-2.11
        ("keras.saving.saved_model_experimental", "keras.experimental"),  # TF 1.14-2.1, Keras 2.6
        ("keras.callbacks.callbacks", "keras.callbacks"),  # Keras 2.3 module layout
        ("keras.src.callbacks.model_checkpoint", "keras.callbacks"),  # Keras 3
        ("keras.src.callbacks", "keras.callbacks"),  # Keras 2.13-2.15
    ),
    checked="keras/engine/saving.py (Keras 2.2.0-2.3.1), tensorflow/python/keras/saving/save.py "
    "(TF 2.0-2.5), "
    "tensorflow/python/keras/saving/saved_model_experimental.py (TF 1.14-2.1)",
)

# TensorFlow-internal modules -> the public `tensorflow.*` prefix of the same objects.
TF_INTERNAL_MODULES: tuple[tuple[str, str], ...] = fact(
    "tf_internal_saving_modules",
    (
        (
            "tensorflow.contrib.saved_model.python.saved_model.keras_saved_model",
            "tensorflow.contrib.saved_model",
        ),
        ("tensorflow.python.saved_model.builder_impl", "tensorflow.saved_model.builder"),
        ("tensorflow.python.saved_model.builder", "tensorflow.saved_model.builder"),
        ("tensorflow.python.saved_model.simple_save", "tensorflow.saved_model"),
        ("tensorflow.python.training.saver", "tensorflow.train"),
        ("tensorflow.python.framework.graph_util_impl", "tensorflow.graph_util"),
        ("tensorflow.python.framework.graph_util", "tensorflow.graph_util"),
        # TF1 optimizers: tensorflow/python/training/<module>.py defines <Name>Optimizer.
        ("tensorflow.python.training.adam", "tensorflow.train"),
        ("tensorflow.python.training.adagrad", "tensorflow.train"),
        ("tensorflow.python.training.adagrad_da", "tensorflow.train"),
        ("tensorflow.python.training.adadelta", "tensorflow.train"),
        ("tensorflow.python.training.ftrl", "tensorflow.train"),
        ("tensorflow.python.training.gradient_descent", "tensorflow.train"),
        ("tensorflow.python.training.momentum", "tensorflow.train"),
        ("tensorflow.python.training.rmsprop", "tensorflow.train"),
        ("tensorflow.python.training.proximal_adagrad", "tensorflow.train"),
        ("tensorflow.python.training.proximal_gradient_descent", "tensorflow.train"),
        ("tensorflow.python.training.optimizer", "tensorflow.train"),
    ),
    checked="tensorflow/contrib/saved_model/python/saved_model/keras_saved_model.py (TF 1.12-1.13), "
    "tensorflow/python/saved_model/builder_impl.py and simple_save.py (TF 1.4-2.x), "
    "tensorflow/python/training/saver.py and adam.py, rmsprop.py, ... (TF 1.0-2.x), "
    "tensorflow/python/framework/graph_util_impl.py (TF 1.x-2.x)",
)

# TensorFlow's own command-line tools that scripts import as top-level modules, copying the tool
# next to them or running from a TensorFlow checkout (`import freeze_graph`).
TF_TOOL_MODULES: dict[str, str] = fact(
    "tf_tool_modules",
    {"freeze_graph": "tensorflow.python.tools.freeze_graph"},
    checked="tensorflow/python/tools/freeze_graph.py (TF 1.0-2.21; its usage text runs it as a "
    "script, and amir-abdi/keras_to_tensorflow ships a copy imported as `freeze_graph`)",
)


def _remap(qualname: str, table: tuple[tuple[str, str], ...]) -> str | None:
    best: tuple[str, str] | None = None
    for prefix, to in table:
        if (qualname == prefix or qualname.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, to)
    if best is None:
        return None
    return best[1] + qualname[len(best[0]) :]


def keras_public(qualname: str) -> str:
    """`tensorflow.python.keras.engine.saving.load_model` -> `keras.models.load_model`."""
    keras = _remap(qualname, KERAS_SPELLINGS) or qualname
    return _remap(keras, KERAS_INTERNAL_MODULES) or keras


def tool_module(qualname: str) -> str:
    """`freeze_graph.freeze_graph` -> `tensorflow.python.tools.freeze_graph.freeze_graph`."""
    root, _, rest = qualname.partition(".")
    module = TF_TOOL_MODULES.get(root)
    if module is None:
        return qualname
    return f"{module}.{rest}" if rest else module


def tf_public(qualname: str) -> str | None:
    """The public `tensorflow.*` name of an internal TF path, or None if it is not one."""
    return _remap(qualname, TF_INTERNAL_MODULES)
