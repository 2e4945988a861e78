"""MIG204, unsafe: `save_weights("ckpt")` -> `save_weights("ckpt.weights.h5")`, and the
`load_weights` of the same name with it.

Keras 3 writes weights only to `*.weights.h5`. The files on disk change (a TF checkpoint's
`.index` + `.data-*` pair, or legacy HDF5 weights, become one Keras 3 weights file), so anything
else reading them must change too: unsafe. A literal name is renamed only when each of its uses
in the file is a `save_weights`/`load_weights` (a variable's one literal assignment likewise,
when each read of it is); a `pathlib` variable gets
`.with_suffix(".weights.h5")` at every `save_weights`/`load_weights` that passes it.
"""

from __future__ import annotations

import ast

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.fix.fixers._shared import (
    path_arg,
    rename_literal_everywhere,
    rename_variable_literal,
)
from migrator.rules.code._helpers import _method

_OLD = (".weights.hdf5", ".hdf5", ".h5", ".ckpt", "")
_NEW = ".weights.h5"
_METHODS = ("save_weights", "load_weights")


@fixer("MIG204", "weights-to-weights-h5")
def weights_h5(node: ast.AST, ctx: FixContext) -> Fix | None:
    """Give a `save_weights` path (and its loads) the `.weights.h5` name Keras 3 requires."""
    if not isinstance(node, ast.Call):
        return None
    path = path_arg(node, ctx)
    if isinstance(path, ast.Constant) and isinstance(path.value, str):
        edits = rename_literal_everywhere(ctx, path, _OLD, _NEW, _METHODS)
    elif isinstance(path, ast.Name) and not ctx.code.path(path).pathlib:
        edits = rename_variable_literal(ctx, path, _OLD, _NEW, _METHODS)
    elif isinstance(path, ast.Name):
        edits = [
            ctx.replace(arg, f"{path.id}.with_suffix({ctx.string(_NEW)})")
            for call in ctx.calls()
            if _method(call, *_METHODS) is not None
            for arg in [path_arg(call, ctx)]
            if isinstance(arg, ast.Name) and arg.id == path.id
        ]
    else:
        return None
    if not edits:
        return None
    return Fix("MIG204", "weights-to-weights-h5", False, tuple(edits), "-> `.weights.h5`")
