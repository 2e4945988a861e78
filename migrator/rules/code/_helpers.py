"""Small AST helpers the code rules share: call arguments and constants, Keras receivers of `save`,
and how to show a path value in a message.
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from migrator.rules._python import CodeContext, PathValue, looks_like_dir_name

_MODEL_EXTS = (".keras", ".h5", ".hdf5")
_MISSING = object()


# --- small AST helpers ------------------------------------------------------------------------


def _arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    """Argument `name` of a call, given by keyword or at position `index` (None if absent)."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if index < len(call.args) and not any(
        isinstance(a, ast.Starred) for a in call.args[: index + 1]
    ):
        return call.args[index]
    return None


def _kw(call: ast.Call, name: str) -> ast.keyword | None:
    return next((kw for kw in call.keywords if kw.arg == name), None)


def _const(expr: ast.AST | None) -> object:
    return expr.value if isinstance(expr, ast.Constant) else _MISSING


def _kwconst(call: ast.Call, name: str) -> object:
    """The literal value of keyword `name`, `_MISSING` if absent or not a literal."""
    kw = _kw(call, name)
    return _const(kw.value) if kw is not None else _MISSING


def _method(call: ast.Call, *names: str) -> ast.expr | None:
    """The receiver of `receiver.<name>(...)` for one of `names` (None for other calls)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in names:
        return func.value
    return None


def _keras_receiver(call: ast.Call, ctx: CodeContext, *names: str, strict: bool) -> ast.expr | None:
    """Receiver of a Keras-model method call. `strict`: for generic names like `save`."""
    receiver = _method(call, *names)
    if receiver is None or ctx.is_module_ref(receiver):
        return None
    if strict:
        return receiver if ctx.is_keras_model(receiver) else None
    kind = ctx.receiver_kind(receiver)
    if kind == "keras" or (kind == "unknown" and ctx.uses_keras):
        return receiver
    return None


def _model_save(call: ast.Call, ctx: CodeContext) -> tuple[ast.expr, ast.expr | None] | None:
    """(model, path) of `model.save(path)` or `keras.models.save_model(model, path)`."""
    q = ctx.qualname(call.func)
    if q in ("keras.models.save_model", "keras.saving.save_model"):
        model = _arg(call, 0, "model")
        return (model, _arg(call, 1, "filepath")) if model is not None else None
    receiver = _keras_receiver(call, ctx, "save", strict=True)
    if receiver is None:
        return None
    return receiver, _arg(call, 0, "filepath")


def _src(ctx: CodeContext, node: ast.AST | None, limit: int = 40) -> str:
    return ctx.code(node, limit) if node is not None else ""


def _literal(expr: ast.AST | None) -> str | None:
    value = _const(expr)
    return value if isinstance(value, str) else None


def _in_folder(ctx: CodeContext, path: ast.expr, pv: PathValue, filename: str) -> str:
    """Code for a file called `filename` inside the folder `path` names (or next to it)."""
    literal = _literal(path)
    if literal is not None:
        if "/" in literal.rstrip("/") or literal.endswith("/"):
            return repr(literal.rstrip("/") + "/" + filename)
        return repr(literal + PurePosixPath(filename).suffix) if literal else repr(filename)
    src = _src(ctx, path)
    if pv.pathlib:
        return f"{src} / {filename!r}"
    return f"os.path.join({src}, {filename!r})"


def _with_suffix(
    ctx: CodeContext, path: ast.expr, pv: PathValue, old: tuple[str, ...], new: str
) -> str:
    """Code for `path` with its suffix `old` (if any) replaced by `new`."""
    literal = _literal(path)
    if literal is not None:
        for suffix in old:
            if literal.endswith(suffix):
                return repr(literal[: -len(suffix)] + new)
        return repr(literal + new)
    src = _src(ctx, path)
    if pv.pathlib:
        return f"{src}.with_suffix({new!r})"
    return f"a path ending in `{new}` instead of `{src}`"


def _code(text: str) -> str:
    """Wrap code in backticks unless it is already prose."""
    return text if text.startswith("a path ") else f"`{text}`"


def _is_folder_target(pv: PathValue, exts: tuple[str, ...] = _MODEL_EXTS) -> str:
    """Is `pv` a folder rather than a model file: "known", "guessed" (from a name such as
    `export_dir`), or "" (no, or cannot tell)."""
    if pv.complete and pv.tail.startswith("hf://"):
        return ""
    if pv.is_folder or (pv.known and not pv.may_end_with(*exts)):
        return "known"
    if not pv.known and looks_like_dir_name(pv.hint):
        return "guessed"
    return ""
