"""Build a Keras 3 model without drawing the random initial weights the source's weights replace.

Keras 3 gives every variable its initial value when a layer is built: for a 200 MB model that is
some 50 million random draws (0.2 s on our 2-core machine), overwritten a moment later by the
source's weights. Inside `keras.StatelessScope(initialize_variables=False)` (public API) Keras
creates the variables uninitialised and lists them; `assign` below then gives each its first
value directly, and `finish` initialises whatever the source did not hold (seed generator
states, for instance) the way Keras would.

Giving a variable its first value needs three Keras-private names (`_value`, `_initialize`,
`_convert_to_tensor`) and the global list of uninitialised variables. Each is checked before
use; a Keras release without them builds the ordinary way (`supported()` says which), so a
change there makes the step slower, never wrong, and validation compares every weight anyway.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator
from typing import Any

_LIST = "uninitialized_variables"  # keras.src.backend.common.variables' global attribute


class AssignedWhileBuilding(Exception):
    """A deferred build in which a layer assigned a variable: the caller builds again."""


@functools.cache
def supported() -> bool:
    """Whether this Keras can build with deferred variables (TensorFlow backend, 3.x layout);
    asked once per process, as every build and `finish` asks it."""
    try:
        import keras
        from keras.src.backend.common import global_state, variables
    except ImportError:
        return False
    scope = getattr(keras, "StatelessScope", None)
    if scope is None or keras.backend.backend() != "tensorflow":
        return False
    if "initialize_variables" not in inspect.signature(scope).parameters:
        return False
    needed = ("_initialize", "_convert_to_tensor", "_deferred_initialize")
    return all(hasattr(variables.Variable, name) for name in needed) and hasattr(
        global_state, "get_global_attribute"
    )


@contextlib.contextmanager
def deferred() -> Iterator[bool]:
    """Variables created inside are left uninitialised when `supported()`; yields which.
    Raises `AssignedWhileBuilding` when code inside assigned a variable (see there)."""
    if not supported():
        yield False
        return
    import keras
    from keras.src.backend.common import global_state

    # A step that failed half-way in this worker may have left its variables listed.
    global_state.set_global_attribute(_LIST, [])
    try:
        with keras.StatelessScope(initialize_variables=False) as scope:
            yield True
            if scope.state_mapping:
                # A layer assigned a variable while being built: in this scope the value is
                # only recorded, never kept, so this model is built the ordinary way.
                raise AssignedWhileBuilding(len(scope.state_mapping))
    except BaseException:
        global_state.set_global_attribute(_LIST, [])  # the half-built model is dropped
        raise


def _is_pending(variable: Any) -> bool:
    return getattr(variable, "_value", False) is None


def assign(variable: Any, value: Any) -> None:
    """Give `variable` the value `value`: its first value when it was left uninitialised."""
    if not _is_pending(variable):
        variable.assign(value)
        return
    import tensorflow as tf

    with tf.init_scope():
        variable._initialize(variable._convert_to_tensor(value, dtype=variable._dtype))
    variable._initializer = None


def finish() -> int:
    """Initialise, the way Keras would, every listed variable `assign` did not reach; the
    number initialised. Call it before the model is used or saved."""
    if not supported():
        return 0
    from keras.src.backend.common import global_state

    listed = global_state.get_global_attribute(_LIST) or []
    pending = [v for v in listed if _is_pending(v)]
    global_state.set_global_attribute(_LIST, [])
    for variable in pending:
        variable._deferred_initialize()
    return len(pending)
