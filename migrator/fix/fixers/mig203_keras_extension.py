"""MIG203, unsafe: `model.save("m.h5")` -> `model.save("m.keras")`, and every `load_model("m.h5")`
of the same file name with it.

Keras 3 writes the native zip format for `.keras`. The file's name changes, so a program
elsewhere that opens `m.h5` no longer finds it: unsafe. The rename is made only when each use of
that literal in the file is this save or a `load_model` of it, and a variable's one literal
assignment only when each read of the variable is; any other use (an `os.path.exists`, a print,
an upload) leaves the call for a person.
"""

from __future__ import annotations

import ast

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.fix.fixers._shared import (
    LOAD_MODEL,
    SAVE_MODEL,
    path_arg,
    rename_literal_everywhere,
    rename_variable_literal,
)
from migrator.rules.code._helpers import _const, _kw


@fixer("MIG203", "h5-to-keras")
def h5_to_keras(node: ast.AST, ctx: FixContext) -> Fix | None:
    """Rename a literal `.h5`/`.hdf5` save path to `.keras`, at the save and its loads."""
    if not isinstance(node, ast.Call):
        return None
    save_format = _kw(node, "save_format")
    if save_format is not None and _const(save_format.value) != "h5":
        return None  # `.h5` with save_format="tf" was a SavedModel folder, not an HDF5 file
    path = path_arg(node, ctx)
    old, funcs = (".h5", ".hdf5"), LOAD_MODEL | SAVE_MODEL
    if isinstance(path, ast.Constant) and isinstance(path.value, str):
        edits = rename_literal_everywhere(ctx, path, old, ".keras", ("save",), funcs)
    elif isinstance(path, ast.Name):
        edits = rename_variable_literal(ctx, path, old, ".keras", ("save",), funcs)
    else:
        return None
    if not edits:
        return None
    return Fix("MIG203", "h5-to-keras", False, tuple(edits), "`.h5` -> `.keras`")
