"""MIG208, unsafe: `tf.contrib.saved_model.save_keras_model(model, path)` -> `model.export(path)`
and `load_keras_model(path)` -> `tf.keras.layers.TFSMLayer(path, call_endpoint="serving_default")`.

tf_upgrade_v2 renames the save to `tf.compat.v1.keras.experimental.export_saved_model`, which
TF 2.21 does not have; these are the current calls. `save_keras_model` returned the timestamped
folder it created under `path`; `export` writes into `path` itself and returns nothing, so a
`saved = save_keras_model(m, path)` becomes `m.export(path)` followed by `saved = path` (only
when `path` is a name or literal, so evaluating it twice is harmless). Unsafe: the folder layout,
the MetaGraphs (serve only) and what loading returns (an inference layer) all change.
"""

from __future__ import annotations

import ast

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.fix.cst_edits import recall
from migrator.fix.fixers._shared import keras_namespace
from migrator.rules.code._helpers import _arg

_SAVE = "tensorflow.contrib.saved_model.save_keras_model"
_LOAD = "tensorflow.contrib.saved_model.load_keras_model"


@fixer("MIG208", "contrib-to-export")
def contrib_to_export(node: ast.AST, ctx: FixContext) -> Fix | None:
    """`save_keras_model` -> `model.export`, `load_keras_model` -> `TFSMLayer` (inference)."""
    if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    name = ctx.code.qualname(node.func)
    if name == _LOAD:
        path = _arg(node, 0, "saved_model_path")
        namespace = keras_namespace(node.func, ctx)
        if path is None or namespace is None or len(node.args) + len(node.keywords) != 1:
            return None
        func = f"{namespace}.layers.TFSMLayer"
        endpoint = (("call_endpoint", ctx.string("serving_default")),)
        edit = ctx.rewrite(node, lambda c: recall(c, func, (0, "saved_model_path"), endpoint))
        return Fix("MIG208", "contrib-to-export", False, (edit,)) if edit else None
    if name != _SAVE:
        return None
    model, path = _arg(node, 0, "model"), _arg(node, 1, "saved_model_path")
    if model is None or path is None or len(node.args) + len(node.keywords) != 2:
        return None
    export = f"{ctx.segment(model)}.export"
    edit = ctx.rewrite(node, lambda c: recall(c, export, (1, "saved_model_path")))
    if edit is None:
        return None
    call = edit.text
    parent = ctx.parent(node)
    if isinstance(parent, ast.Expr):
        return Fix("MIG208", "contrib-to-export", False, (edit,))
    simple = isinstance(path, (ast.Name, ast.Constant))
    if (
        isinstance(parent, ast.Assign)
        and simple
        and len(parent.targets) == 1
        and isinstance(parent.targets[0], ast.Name)
    ):
        indent = ctx.indent_of(parent)
        text = f"{call}\n{indent}{parent.targets[0].id} = {ctx.segment(path)}"
        return Fix("MIG208", "contrib-to-export", False, (ctx.replace(parent, text),))
    return None
