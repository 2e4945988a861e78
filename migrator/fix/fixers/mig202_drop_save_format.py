"""MIG202, safe: drop `save_format=` where the file name already selects that very format.

Keras 2 inferred the format from the extension when `save_format` was absent (`.h5`/`.hdf5`:
HDF5 for `save` and `save_weights`, in tf.keras and in multi-backend Keras alike; `.keras`: the
zip format, the only meaning `save_format="keras"` ever had), so removing a matching argument
changes nothing under Keras 2, and under Keras 3 it removes a warning (`save`) or a TypeError
(`save_weights`). `save_format="tf"` is never removed here: without it a folder path meant a
SavedModel only in tf.keras 2.x, HDF5 in TF 1.x and multi-backend Keras (MIG201's fix handles it).
"""

from __future__ import annotations

import ast

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.fix.cst_edits import drop_keywords
from migrator.fix.fixers._shared import path_arg
from migrator.rules.code._helpers import _const, _kw, _method

_MATCHING = {
    "h5": (".h5", ".hdf5"),
    "keras": (".keras",),
    "keras_v3": (".keras",),
}


@fixer("MIG202", "drop-redundant-save-format")
def drop_redundant_save_format(node: ast.AST, ctx: FixContext) -> Fix | None:
    """Remove `save_format="h5"` on a `.h5` path (or `"keras"` on a `.keras` path): safe."""
    if not isinstance(node, ast.Call):
        return None
    kw = _kw(node, "save_format")
    value = _const(kw.value) if kw is not None else None
    if not isinstance(value, str) or value.lower() not in _MATCHING:
        return None
    suffixes = _MATCHING[value.lower()]
    if _method(node, "save_weights") is not None and value.lower() != "h5":
        return None
    pv = ctx.code.path(path_arg(node, ctx))
    if not pv.ends_with(*suffixes):
        return None
    edit = ctx.rewrite(node, lambda call: drop_keywords(call, {"save_format"}))
    if edit is None:
        return None
    return Fix("MIG202", "drop-redundant-save-format", True, (edit,), "removed `save_format=`")
