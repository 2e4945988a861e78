"""Values that reach a call from elsewhere in the same file: attributes (`self.path = ...` in
`__init__`, class attributes, `agent.net` when `agent = Agent(...)`), parameters (their defaults and
the arguments at every call of their function in the file) and what a function returns.

Training code rarely passes a literal to `model.save`: the path is set in `__init__` and the model
is built by `self._build_model()`. Following those flows inside one file is what lets the rules
judge `self.model.save(self.model_path)`. Nothing is guessed across files: a value that comes from
elsewhere stays unknown, and when the values that can reach a use disagree, callers see all of them.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrator.rules._python.context import CodeContext
    from migrator.rules._python.names import Binding

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _class_of_instance(ctx: CodeContext, base: ast.expr) -> ast.ClassDef | None:
    """The class of this file `base` is an instance of: `self`, or a name bound to `Cls(...)`."""
    if not isinstance(base, ast.Name):
        return None
    if base.id == "self":
        return ctx.enclosing_class(base)
    b = ctx.lookup(base)
    value = b.value if b is not None and b.kind == "assign" else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return ctx.classes.get(value.func.id)
    return None


def _lineage(ctx: CodeContext, cls: ast.ClassDef) -> list[ast.ClassDef]:
    """`cls` and its base classes defined in this file (nearest first)."""
    out = [cls]
    for current in out:
        for base in current.bases:
            parent = ctx.classes.get(base.id) if isinstance(base, ast.Name) else None
            if parent is not None and parent not in out and len(out) < 8:
                out.append(parent)
    return out


def attribute_values(ctx: CodeContext, attr: ast.Attribute) -> list[ast.expr] | None:
    """Every value assigned to `obj.attr` for this object's class in this file, or None."""
    cls = _class_of_instance(ctx, attr.value)
    if cls is None:
        return None
    classes = _lineage(ctx, cls)
    out: list[ast.expr] = []
    for target, value in ctx.attr_assigns.get(attr.attr, []):
        if (
            isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and ctx.enclosing_class(target) in classes
        ):
            out.append(value)
    for c in classes:  # class attributes: `model_name = "dqn.h5"` in the class body
        for stmt in c.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == attr.attr for t in stmt.targets
            ):
                out.append(stmt.value)
            elif (
                isinstance(stmt, ast.AnnAssign)
                and stmt.value is not None
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == attr.attr
            ):
                out.append(stmt.value)
    return out or None


def method(ctx: CodeContext, cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    """The method `name` of `cls` or of its bases in this file."""
    for c in _lineage(ctx, cls):
        for stmt in c.body:
            if isinstance(stmt, _FUNCTIONS) and stmt.name == name:
                return stmt  # type: ignore[return-value]
    return None


def called_function(ctx: CodeContext, call: ast.Call) -> ast.FunctionDef | None:
    """The function of this file a call runs: `build()` (one def of that name) or `self.build()`."""
    func = call.func
    if isinstance(func, ast.Name):
        defs = ctx.functions.get(func.id, [])
        b = ctx.lookup(func)
        if len(defs) == 1 and (b is None or b.kind == "other") and func.id not in ctx.imports:
            return defs[0]  # type: ignore[return-value]
        return None
    if isinstance(func, ast.Attribute):
        cls = _class_of_instance(ctx, func.value)
        if cls is not None:
            return method(ctx, cls, func.attr)
    return None


def returned_values(func: ast.AST) -> list[ast.expr]:
    """The expressions `func` returns (not those of functions nested in it)."""
    out: list[ast.expr] = []
    todo = list(ast.iter_child_nodes(func))
    while todo:
        node = todo.pop()
        if isinstance(node, (*_FUNCTIONS, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            out.append(node.value)
        todo.extend(ast.iter_child_nodes(node))
    return out


def param_values(ctx: CodeContext, name: ast.Name, binding: Binding) -> list[ast.expr] | None:
    """The values parameter `name` takes: the argument at every call of its function in this file,
    its default where a call omits it (or where no call is found). None if any is unknown."""
    func = binding.owner
    if not isinstance(func, _FUNCTIONS):
        return None
    default = binding.value
    positional = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    is_method = isinstance(ctx.scope_of.get(id(func)), ast.ClassDef)
    if is_method and positional and positional[0] == name.id:
        return None  # `self` itself
    index = positional.index(name.id) - (1 if is_method else 0) if name.id in positional else -1
    if len(ctx.functions.get(func.name, [])) != 1:
        return None if default is None or _mode_word(default) else [default]
    out: list[ast.expr] = []
    for call in ctx.calls.get(func.name, []):
        target = call.func
        if is_method:  # `self.save(...)`, `agent.save(...)` with `agent = Agent(...)`
            if not isinstance(target, ast.Attribute):
                continue
            owner = _class_of_instance(ctx, target.value)
            if owner is None or ctx.scope_of.get(id(func)) not in _lineage(ctx, owner):
                continue
        elif not isinstance(target, ast.Name):
            continue
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            kw.arg is None for kw in call.keywords
        ):
            return None
        given = next((kw.value for kw in call.keywords if kw.arg == name.id), None)
        if given is None and 0 <= index < len(call.args):
            given = call.args[index]
        if given is None:
            if default is None:
                return None
            given = default
        out.append(given)
    if not out:
        out = [default] if default is not None else []
    if not out or any(_mode_word(v) for v in out):
        return None
    return out


def _mode_word(value: ast.expr) -> bool:
    """A bare word such as `"imagenet"` or `None`: through a parameter, usually a mode that an
    `if` before the use handles (`weights="imagenet"` ... `elif weights: load_weights(weights)`),
    so it says nothing about the paths that reach the use."""
    if isinstance(value, ast.Constant):
        v = value.value
        return v is None or (isinstance(v, str) and "." not in v and "/" not in v)
    return False


def combine_kinds(kinds: set[str]) -> str:
    """One receiver kind for several possible values: Keras if one is and none is surely not."""
    if "keras" in kinds and "other" not in kinds:
        return "keras"
    if kinds == {"other"}:
        return "other"
    return "unknown"
