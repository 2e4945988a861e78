"""MIG209, unsafe: `tf.keras.experimental.export_saved_model(model, path)` -> `model.export(path)`
and `load_from_saved_model(path)` -> `tf.keras.layers.TFSMLayer(path, call_endpoint=...)`.

The experimental pair wrote and read TF1-style SavedModels with train/eval/serve graphs; the
current calls write a serving-only SavedModel and load it as an inference layer, so code that
trained the reloaded model changes behaviour: unsafe. Calls with `custom_objects=`,
`input_signature=`, `serving_only=` or `as_text=` are left for a person.
"""

from __future__ import annotations

import ast

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.fix.cst_edits import recall
from migrator.fix.fixers._shared import keras_namespace
from migrator.rules.code._helpers import _arg

_SAVE = "keras.experimental.export_saved_model"
_LOAD = "keras.experimental.load_from_saved_model"


@fixer("MIG209", "experimental-to-export")
def experimental_to_export(node: ast.AST, ctx: FixContext) -> Fix | None:
    """`export_saved_model` -> `model.export`, `load_from_saved_model` -> `TFSMLayer`."""
    if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    name = ctx.code.qualname(node.func)
    count = len(node.args) + len(node.keywords)
    if name == _LOAD:
        namespace = keras_namespace(node.func, ctx)
        if _arg(node, 0, "saved_model_path") is None or namespace is None or count != 1:
            return None
        func = f"{namespace}.layers.TFSMLayer"
        endpoint = (("call_endpoint", ctx.string("serving_default")),)
        edit = ctx.rewrite(node, lambda c: recall(c, func, (0, "saved_model_path"), endpoint))
    elif name == _SAVE:
        model = _arg(node, 0, "model")
        if model is None or _arg(node, 1, "saved_model_path") is None or count != 2:
            return None
        if not isinstance(ctx.parent(node), ast.Expr):
            return None  # the value (None) is used: a person decides what it should become
        export = f"{ctx.segment(model)}.export"
        edit = ctx.rewrite(node, lambda c: recall(c, export, (1, "saved_model_path")))
    else:
        return None
    return Fix("MIG209", "experimental-to-export", False, (edit,)) if edit else None
