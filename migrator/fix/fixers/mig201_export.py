"""MIG201, unsafe: `model.save(folder)` -> `model.export(folder)`.

Same folder, still a SavedModel that `tf.saved_model.load`, TF Serving and TFLite read, but an
inference-only one: no optimizer state and no Keras config, so code that reloaded it with Keras
to resume training changes behaviour (the reason this fix is unsafe). Calls with arguments
`export` does not share (`signatures=`, `options=`, `include_optimizer=`) are left for a person.
"""

from __future__ import annotations

import ast

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.fix.cst_edits import drop_keywords, recall, rename_method
from migrator.fix.fixers._shared import SAVE_MODEL
from migrator.rules.code._helpers import _arg, _const, _kw

_DROPPABLE = {"save_format"}


@fixer("MIG201", "save-folder-to-export")
def save_to_export(node: ast.AST, ctx: FixContext) -> Fix | None:
    """`model.save(dir)` / `save_model(model, dir)` -> `model.export(dir)` (inference-only)."""
    if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    kw = _kw(node, "save_format")
    if kw is not None and _const(kw.value) not in ("tf", "TF"):
        return None
    if any(k.arg not in _DROPPABLE | {"filepath", "model"} for k in node.keywords):
        return None
    if ctx.code.qualname(node.func) in SAVE_MODEL:
        model, path = _arg(node, 0, "model"), _arg(node, 1, "filepath")
        if not isinstance(model, (ast.Name, ast.Attribute)) or path is None:
            return None
        if len(node.args) > 2:
            return None
        export = f"{ctx.segment(model)}.export"
        edit = ctx.rewrite(node, lambda call: recall(call, export, (1, "filepath")))
        return Fix("MIG201", "save-folder-to-export", False, (edit,)) if edit else None
    if not isinstance(node.func, ast.Attribute) or len(node.args) > 1:
        return None

    def change(call):  # type: ignore[no-untyped-def]
        renamed = rename_method(call, "export")
        if renamed is None:
            return None
        return drop_keywords(renamed, _DROPPABLE) or renamed

    edit = ctx.rewrite(node, change)
    if edit is None:
        return None
    return Fix("MIG201", "save-folder-to-export", False, (edit,), "`save(dir)` -> `export(dir)`")
