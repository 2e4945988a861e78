"""What several fixers ask of a file: the path argument of a save or load, whether a literal
path is read or written anywhere else (a renamed file must be renamed at every use, or not at
all), and how the file spells the `keras` namespace.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from migrator.fix import Edit
from migrator.fix.context import FixContext
from migrator.fix.cst_edits import replace_suffix, swap_suffix
from migrator.rules.code._helpers import _arg, _method

LOAD_MODEL = frozenset({"keras.models.load_model", "keras.saving.load_model"})
SAVE_MODEL = frozenset({"keras.models.save_model", "keras.saving.save_model"})


def path_arg(call: ast.Call, ctx: FixContext) -> ast.expr | None:
    """The path a save/load call reads or writes (`save_model(model, path)`: the second)."""
    if ctx.code.qualname(call.func) in SAVE_MODEL:
        return _arg(call, 1, "filepath")
    return _arg(call, 0, "filepath")


def is_call_to(
    call: ast.Call, ctx: FixContext, methods: Iterable[str], funcs: Iterable[str]
) -> bool:
    """`x.<method>(...)` for one of `methods`, or a call of one of the functions `funcs`."""
    return _method(call, *methods) is not None or ctx.code.qualname(call.func) in set(funcs)


def rename_literal_everywhere(
    ctx: FixContext,
    literal: ast.Constant,
    old: tuple[str, ...],
    new: str,
    methods: Iterable[str],
    funcs: Iterable[str] = (),
) -> list[Edit] | None:
    """Edits giving every use of the string `literal` the suffix `new`, provided each use is the
    path argument of one of `methods`/`funcs` (the saves and loads that must stay in step).
    None when the same string is used anywhere else: another reader may expect the old name."""
    if not isinstance(literal.value, str):
        return None
    renamed = swap_suffix(literal.value, old, new)
    if renamed is None:
        return None
    stem = renamed[: -len(new)]
    rivals = {renamed} | {stem + s for s in old if s and stem + s != literal.value}
    if any(ctx.string_constants(rival) for rival in rivals):
        return None  # another file would end up with the same name
    methods, funcs = tuple(methods), tuple(funcs)
    allowed: set[int] = set()
    for call in ctx.calls():
        if is_call_to(call, ctx, methods, funcs):
            target = path_arg(call, ctx)
            if isinstance(target, ast.Constant):
                allowed.add(id(target))
    edits: list[Edit] = []
    for use in ctx.string_constants(literal.value):
        if id(use) not in allowed:
            return None
        edit = ctx.rewrite(use, lambda e: replace_suffix(e, old, new))
        if edit is None:
            return None
        edits.append(edit)
    return edits


def keras_namespace(func: ast.expr, ctx: FixContext) -> str | None:
    """Source for the `keras` namespace as this call reaches it: `tf.keras` for
    `tf.keras.models.load_model`, `keras` for `keras.saving.load_model`, `tf.keras` for
    `tf.contrib.saved_model.load_keras_model`; None for a bare imported name."""
    parts: list[str] = []
    node = func
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or not parts:
        return None
    parts = [node.id, *reversed(parts)]
    if "keras" in parts[:-1]:
        return ".".join(parts[: parts.index("keras") + 1])
    root = ctx.code.qualname(node)
    if root == "tensorflow":
        return f"{node.id}.keras"
    if root == "keras":
        return node.id
    return None


def rename_variable_literal(
    ctx: FixContext,
    name: ast.Name,
    old: tuple[str, ...],
    new: str,
    methods: Iterable[str],
    funcs: Iterable[str] = (),
) -> list[Edit] | None:
    """Edits renaming the string a variable holds, at its one assignment (`path = "m.h5"`,
    `path = Path(d) / "m.h5"`, `os.path.join(d, "m.h5")`), when every read of the variable is the
    path argument of one of `methods`/`funcs`, `os.path.dirname(...)` or `.parent` (the folder
    does not change). None otherwise: two assignments, no literal end, a read by anything else."""
    assigned: list[ast.Constant] = []
    for node in ast.walk(ctx.source.tree):
        if isinstance(node, ast.arg) and node.arg == name.id:
            return None  # a parameter: its value comes from the callers
        if not (isinstance(node, ast.Name) and node.id == name.id):
            continue
        if isinstance(node.ctx, ast.Load):
            continue
        parent = ctx.parent(node)
        if not (isinstance(parent, ast.Assign) and parent.targets == [node]):
            return None  # bound by a loop, a tuple unpacking, `with ... as`
        literal = _last_literal(parent.value, ctx)
        if literal is None:
            return None  # a computed value: no literal to rename
        assigned.append(literal)
    if len(assigned) != 1:
        return None
    methods, funcs = tuple(methods), tuple(funcs)
    allowed: set[int] = set()
    for call in ctx.calls():
        if is_call_to(call, ctx, methods, funcs):
            target = path_arg(call, ctx)
            if isinstance(target, ast.Name):
                allowed.add(id(target))
        elif ctx.code.qualname(call.func) == "os.path.dirname" and call.args:
            allowed.add(id(call.args[0]))
    for node in ast.walk(ctx.source.tree):
        if isinstance(node, ast.Name) and node.id == name.id and isinstance(node.ctx, ast.Load):
            up = ctx.parent(node)
            folder = isinstance(up, ast.Attribute) and up.attr == "parent"  # `p.parent.mkdir()`
            if id(node) not in allowed and not folder:
                return None
    literal = assigned[0]
    if not isinstance(literal.value, str):
        return None
    renamed = swap_suffix(literal.value, old, new)
    if renamed is None or ctx.string_constants(renamed):
        return None
    edit = ctx.rewrite(literal, lambda e: replace_suffix(e, old, new))
    return [edit] if edit is not None else None


def _last_literal(value: ast.expr, ctx: FixContext) -> ast.Constant | None:
    """The string literal that ends a path value: the value itself, the right side of a
    `pathlib` join (`Path("runs") / "model.h5"`), or the last part of `os.path.join(...)`."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
        right = value.right
        return right if isinstance(right, ast.Constant) and isinstance(right.value, str) else None
    if isinstance(value, ast.Call) and ctx.code.qualname(value.func) == "os.path.join":
        last = value.args[-1] if value.args and not value.keywords else None
        return last if isinstance(last, ast.Constant) and isinstance(last.value, str) else None
    return None
