"""MIG207, unsafe: `load_model(folder)` -> `keras.layers.TFSMLayer(folder, call_endpoint=...)`.

Keras 3 loads a SavedModel folder only as an inference layer: calling it runs the saved graph,
but there is no `fit`, no `summary`, no optimizer, and `custom_objects`/`compile`/`safe_mode` no
longer apply (they are dropped). Hence unsafe. The endpoint is `serve` when the same file
writes that folder with `model.export` (or a `save` that MIG201's fix turns into one), whose
`serve` function returns the model's output as `model(x)` did; otherwise `serving_default`, the
signature every TF2 SavedModel has (it returns a dict of outputs).
"""

from __future__ import annotations

import ast

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.fix.cst_edits import recall
from migrator.fix.fixers._shared import LOAD_MODEL, keras_namespace, path_arg
from migrator.rules.code._helpers import _method


def endpoint_for(path: ast.expr, ctx: FixContext) -> str:
    """`serve` if this file exports (or saves, to be exported) to the same path expression."""
    wanted = ctx.segment(path)
    for call in ctx.calls():
        if _method(call, "export", "save") is not None and call.args:
            if ctx.segment(call.args[0]) == wanted:
                return "serve"
    return "serving_default"


@fixer("MIG207", "load-model-to-tfsmlayer")
def load_to_tfsmlayer(node: ast.AST, ctx: FixContext) -> Fix | None:
    """`keras.models.load_model(dir)` -> `keras.layers.TFSMLayer(dir, call_endpoint=...)`."""
    if not isinstance(node, ast.Call) or ctx.code.qualname(node.func) not in LOAD_MODEL:
        return None
    path = path_arg(node, ctx)
    namespace = keras_namespace(node.func, ctx)
    if path is None or namespace is None:
        return None
    endpoint = ctx.string(endpoint_for(path, ctx))
    func = f"{namespace}.layers.TFSMLayer"
    edit = ctx.rewrite(
        node, lambda call: recall(call, func, (0, "filepath"), (("call_endpoint", endpoint),))
    )
    if edit is None:
        return None
    return Fix("MIG207", "load-model-to-tfsmlayer", False, (edit,))
