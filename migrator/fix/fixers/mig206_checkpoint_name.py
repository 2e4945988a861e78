"""MIG206, unsafe: a `ModelCheckpoint` file name Keras 3 rejects gets the suffix it requires:
`.weights.h5` with `save_weights_only=True`, `.keras` for whole models.

`"cp-{epoch:04d}.ckpt"` becomes `"cp-{epoch:04d}.weights.h5"`, `"best.hdf5"` becomes
`"best.keras"`. The files written change name and format, so whatever reads them (a
`load_weights`, `tf.train.latest_checkpoint`, another program) must follow: unsafe. The literal
(or the variable's one literal assignment) is renamed only when each of its uses in the file is
this callback or a `load_weights`/`load_model` of it.
"""

from __future__ import annotations

import ast

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.fix.fixers._shared import (
    LOAD_MODEL,
    rename_literal_everywhere,
    rename_variable_literal,
)
from migrator.rules.code._helpers import _arg, _const

_CALLBACK = frozenset({"keras.callbacks.ModelCheckpoint"})
_OLD = (".weights.hdf5", ".hdf5", ".h5", ".ckpt", "")


@fixer("MIG206", "checkpoint-suffix")
def checkpoint_suffix(node: ast.AST, ctx: FixContext) -> Fix | None:
    """Give a `ModelCheckpoint` path `.weights.h5` (weights only) or `.keras` (whole model)."""
    if not isinstance(node, ast.Call) or ctx.code.qualname(node.func) not in _CALLBACK:
        return None
    given = _arg(node, 4, "save_weights_only")
    weights_only = False if given is None else _const(given)
    if weights_only is True:
        new = ".weights.h5"
    elif weights_only is False:
        new = ".keras"
    else:
        return None  # decided at run time
    path = _arg(node, 0, "filepath")
    funcs = _CALLBACK | LOAD_MODEL
    if isinstance(path, ast.Constant) and isinstance(path.value, str):
        edits = rename_literal_everywhere(ctx, path, _OLD, new, ("load_weights",), funcs)
    elif isinstance(path, ast.Name):
        edits = rename_variable_literal(ctx, path, _OLD, new, ("load_weights",), funcs)
    else:
        return None
    if not edits:
        return None
    return Fix("MIG206", "checkpoint-suffix", False, tuple(edits), f"-> `{new}`")
