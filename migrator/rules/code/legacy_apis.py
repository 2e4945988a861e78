"""Code rules about Keras 2 and TF1 habits beyond the API table (MIG210, MIG216-MIG219):
`Estimator.export_savedmodel`, YAML architectures, `batch_input_shape`, TF1 optimizers passed to
Keras, and `TF_USE_LEGACY_KERAS` set in code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from migrator.knowledge.keras3 import KERAS3
from migrator.rules import Hit, code_rule
from migrator.rules._python import CodeContext, tf_api
from migrator.rules.code._helpers import (
    _MISSING,
    _arg,
    _const,
    _keras_receiver,
    _kw,
    _method,
    _src,
)


@code_rule(
    "MIG210",
    "estimator-export-savedmodel",
    title="`Estimator.export_savedmodel()` (TF1 estimator export)",
    severity="high",
    deprecated_in="TF 1.13 (renamed `export_saved_model`)",
    breaks_in="TF 2.0: hidden from the TF 2 Estimator API; TF 2.16: `tf.estimator` removed",
    convert="tf1-savedmodel-to-tf2",
)
def estimator_export_savedmodel(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`estimator.export_savedmodel(export_dir_base, serving_input_receiver_fn)`.

    The TF 1.x estimator export writes a timestamped folder of TF1 SavedModels. The method was
    renamed `export_saved_model`, hidden from TF 2's Estimator, and `tf.estimator` itself was
    removed in TF 2.16, so this code runs only on TF <= 2.15 with the v1 API.

    Fix: move the model to Keras and export with `model.export(dir)` or
    `tf.saved_model.save(obj, dir, signatures=...)`; convert existing timestamped exports with
    `migrator convert`.
    """
    receiver = _method(node, "export_savedmodel")
    if receiver is None:
        return None
    q = ctx.qualname(receiver)
    if q is not None and q.split(".")[0] not in ("tensorflow", "keras"):
        return None  # some other library's module function of the same name
    return Hit(
        f"`{ctx.code(node)}` is the TF 1.x Estimator export (timestamped TF1 SavedModels); "
        "`tf.estimator` is gone since TF 2.16",
        "export from Keras with `model.export(dir)` or `tf.saved_model.save(obj, dir, "
        "signatures=...)`",
    )


@code_rule(
    "MIG216",
    "keras-yaml",
    title="`model.to_yaml()` / `model_from_yaml()` (removed)",
    severity="high",
    deprecated_in="TF 2.6 (removed for security: arbitrary code execution through YAML)",
    breaks_in='TF 2.6: RuntimeError "Method `model.to_yaml()` has been removed due to security '
    'risk of arbitrary code execution"; Keras 3: no such method (AttributeError)',
)
def keras_yaml(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`model.to_yaml()` or `keras.models.model_from_yaml(...)`.

    Both were removed in TF/Keras 2.6 because loading YAML configs could execute arbitrary code;
    since then they raise RuntimeError (tf.keras 2.6-2.15) or do not exist (Keras 3).

    Fix: `model.to_json()` / `keras.models.model_from_json(...)` for the architecture, or save
    the whole model with `model.save("model.keras")`.
    """
    q = ctx.qualname(node.func)
    if q == "keras.models.model_from_yaml":
        return Hit(
            f"`{ctx.code(node)}` was removed in TF 2.6 (RuntimeError: security risk of arbitrary "
            "code execution) and does not exist in Keras 3",
            "store the architecture as JSON and use `keras.models.model_from_json`, or load a "
            "`.keras` file",
        )
    receiver = _keras_receiver(node, ctx, "to_yaml", strict=True)
    if receiver is None or node.args:
        return None
    return Hit(
        f"`{ctx.code(node)}` was removed in TF 2.6 (RuntimeError: security risk of arbitrary "
        "code execution) and does not exist in Keras 3",
        f"use `{_src(ctx, receiver)}.to_json()` or save the model with "
        f"`{_src(ctx, receiver)}.save('model.keras')`",
    )


@code_rule(
    "MIG217",
    "keras-batch-input-shape",
    title="`batch_input_shape=` layer argument (removed in Keras 3)",
    severity="high",
    breaks_in=f'{KERAS3}: ValueError "Unrecognized keyword arguments passed to Dense: '
    "{'batch_input_shape': ...}\" (only `InputLayer` still maps it to `batch_shape`)",
)
def batch_input_shape(node: ast.Call, ctx: CodeContext) -> Iterator[Hit]:
    """`Dense(..., batch_input_shape=(...))` and other layers given `batch_input_shape=`.

    Keras 2 let any first layer declare its input with `batch_input_shape=` (stateful RNNs
    relied on it). Keras 3 layers reject the argument (ValueError: Unrecognized keyword
    arguments); `keras.Input` does not accept it either (TypeError). Only `InputLayer` still
    translates it to `batch_shape` (reported as low).

    Fix: start the model with `keras.Input(batch_shape=(...))` (or `keras.Input(shape=...,
    batch_size=...)`) and drop the argument from the layer.

    Fixes (`migrator fix`): safe: `batch_input_shape=(None, ...)` -> `input_shape=(...)` on a layer,
    `batch_shape=` on `InputLayer`.
    """
    kw = _kw(node, "batch_input_shape")
    if kw is None:
        return
    q = ctx.qualname(node.func)
    if q is not None and not q.startswith("keras."):
        return  # resolved to something that is not Keras (another library's argument name)
    if q is None and (not ctx.uses_keras or ctx.builtin(node.func) is not None):
        return  # `dict(batch_input_shape=...)` builds a config, it does not call a layer
    if q in ("keras.layers.InputLayer", "keras.InputLayer"):
        yield Hit(
            "`batch_input_shape=` is the Keras 2 name; Keras 3's `InputLayer` still maps it to "
            "`batch_shape` but nothing else accepts it",
            "rename it to `batch_shape=`",
            node=kw,
            severity="low",
        )
        return
    shape = _src(ctx, kw.value)
    yield Hit(
        f"`batch_input_shape={shape}` on `{_src(ctx, node.func)}` makes Keras 3 raise ValueError "
        "(Unrecognized keyword arguments)",
        f"start the model with `keras.Input(batch_shape={shape})` and remove the argument",
        node=kw,
    )


_TF1_OPTIMIZER_MODULES = ("tensorflow.train.", "tensorflow.contrib.")


def _tf1_optimizer(expr: ast.expr | None, ctx: CodeContext) -> str | None:
    """The TF1 optimizer class an expression builds (`tf.train.AdamOptimizer`), if any."""
    if expr is None:
        return None
    value = ctx.value(expr)
    if not isinstance(value, ast.Call):
        return None
    stripped, _ = tf_api(ctx.qualname(value.func))
    if stripped.startswith(_TF1_OPTIMIZER_MODULES) and stripped.endswith("Optimizer"):
        return stripped
    if stripped == "keras.optimizers.TFOptimizer":
        return stripped
    return None


@code_rule(
    "MIG218",
    "tf1-optimizer-in-keras",
    title="`tf.train.*Optimizer` given to Keras `compile()`",
    severity="high",
    deprecated_in="TF 2.0 (`tf.train.*Optimizer` moved to `tf.compat.v1.train`)",
    breaks_in=f'{KERAS3}: ValueError "Could not interpret optimizer identifier: '
    '<tensorflow.python.training.adam.AdamOptimizer object ...>"',
)
def tf1_optimizer_in_keras(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`model.compile(optimizer=tf.train.AdamOptimizer(...))` and other TF1 optimizers.

    tf.keras 2.x wrapped TF1 optimizers (`tf.train.*Optimizer`, `tf.contrib.opt.*`) in a
    `TFOptimizer`; such models saved without optimizer state (the contrib export docs say why).
    TF 2 moved the classes to `tf.compat.v1.train`, and Keras 3 rejects them outright
    (ValueError: Could not interpret optimizer identifier).

    Fix: use the Keras optimizer of the same name: `keras.optimizers.Adam(learning_rate=...)`,
    `SGD(momentum=...)`, `RMSprop`, `Adagrad`, `Adadelta`, `Ftrl`.
    """
    if _method(node, "compile") is None:
        return None
    optimizer = _arg(node, 0, "optimizer")
    found = _tf1_optimizer(optimizer, ctx)
    if found is None:
        return None
    keras_name = {
        "AdamOptimizer": "Adam",
        "GradientDescentOptimizer": "SGD",
        "MomentumOptimizer": "SGD",
        "RMSPropOptimizer": "RMSprop",
        "AdagradOptimizer": "Adagrad",
        "AdadeltaOptimizer": "Adadelta",
        "FtrlOptimizer": "Ftrl",
    }.get(found.rsplit(".", 1)[-1], "Adam")
    return Hit(
        f"`{_src(ctx, optimizer)}` is a TF1 optimizer (`{found.replace('tensorflow.', 'tf.')}`); "
        "Keras 3 raises ValueError (Could not interpret optimizer identifier) and tf.keras 2 could "
        "not save its state",
        f"pass `keras.optimizers.{keras_name}(...)` instead",
        node=optimizer,
    )


_LEGACY_KERAS_VAR = "TF_USE_LEGACY_KERAS"
_TRUE_VALUES = ("1", "true", "True")  # what TensorFlow's lazy loader accepts


def _env_hit(ctx: CodeContext, value: object, line: int, shown: str) -> Hit | None:
    if value is not _MISSING and str(value) not in _TRUE_VALUES:
        return None  # "0"/"false" keep Keras 3
    late = ctx.imported_before(line, "tensorflow")
    extra = (
        "; set after `import tensorflow` it only half applies (`tf.keras` follows it, "
        "`from tensorflow.keras import ...` does not)"
        if late
        else ""
    )
    return Hit(
        f"`{shown}` pins `tf.keras` to Keras 2 (the `tf_keras` package, in maintenance mode), so "
        f"the code and the models it saves stay on the legacy format{extra}",
        "migrate the code to Keras 3 (`.keras` saves, `model.export`) and remove the variable",
    )


@code_rule(
    "MIG219",
    "tf-use-legacy-keras",
    title="`TF_USE_LEGACY_KERAS` pins code to Keras 2 (tf_keras)",
    severity="medium",
    deprecated_in="TF 2.16 (escape hatch to `tf_keras` when Keras 3 became `tf.keras`)",
    breaks_in="TF 2.16+: needs the separately installed `tf_keras`, which only tracks TF releases "
    "in maintenance mode",
    nodes=(ast.Assign, ast.Call, ast.Module),
)
def tf_use_legacy_keras(node: ast.AST, ctx: CodeContext) -> Iterator[Hit]:
    """`os.environ["TF_USE_LEGACY_KERAS"] = "1"` (also `setdefault`, `update`, `putenv`, `%env`).

    With the variable set to `1`/`true`/`True`, TF 2.16+ routes `tf.keras` to `tf_keras` (Keras 2),
    so the code keeps writing legacy SavedModel/HDF5 artifacts and depends on a package kept only
    for compatibility. Set after `import tensorflow`, it applies to `tf.keras` attribute access
    but not to `from tensorflow.keras import ...` (TensorFlow reads it at import), a source of
    mixed Keras 2/3 objects. Values `0`/`false` are not flagged.

    Fix: migrate to Keras 3 APIs and drop the variable; where Keras 2 is needed for a while, set it
    outside the code (in the environment) before Python starts.
    """
    if isinstance(node, ast.Module):
        for magic in ctx.source.magics:
            if magic.name in ("env", "set_env") and magic.args.split("=")[0].split()[0:1] == [
                _LEGACY_KERAS_VAR
            ]:
                rest = magic.args[len(_LEGACY_KERAS_VAR) :].strip().lstrip("=").strip()
                if not rest:
                    continue  # `%env NAME` only prints the value
                hit = _env_hit(ctx, rest, magic.line, f"%{magic.name} {magic.args}")
                if hit is not None:
                    yield Hit(hit.problem, hit.remedy, line=magic.line, col=magic.col)
        return
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if (
                isinstance(target, ast.Subscript)
                and ctx.qualname(target.value) == "os.environ"
                and _const(target.slice) == _LEGACY_KERAS_VAR
            ):
                hit = _env_hit(ctx, _const(node.value), node.lineno, ctx.code(node))
                if hit is not None:
                    yield hit
        return
    assert isinstance(node, ast.Call)
    q = ctx.qualname(node.func)
    if q in ("os.environ.setdefault", "os.putenv") and node.args:
        if _const(node.args[0]) == _LEGACY_KERAS_VAR:
            value = _const(node.args[1]) if len(node.args) > 1 else _MISSING
            hit = _env_hit(ctx, value, node.lineno, ctx.code(node))
            if hit is not None:
                yield hit
    elif q == "os.environ.update":
        value: object = None
        for kw in node.keywords:
            if kw.arg == _LEGACY_KERAS_VAR:
                value = _const(kw.value)
        for arg in node.args:
            if isinstance(arg, ast.Dict):
                for k, v in zip(arg.keys, arg.values, strict=True):
                    if _const(k) == _LEGACY_KERAS_VAR:
                        value = _const(v)
        if value is not None:
            hit = _env_hit(ctx, value, node.lineno, ctx.code(node))
            if hit is not None:
                yield hit
