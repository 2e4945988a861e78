"""`CodeContext`, what a code rule receives next to its node: qualified names through import
aliases, what kind of object a receiver is (Keras model, something else, unknown), and the value of
a path argument, all by static reading.
"""

from __future__ import annotations

import ast

from migrator.rules._python import flow
from migrator.rules._python.names import (
    _KERAS_MODEL_PREFIXES,
    _KERAS_ROOTS,
    _OTHER_ROOTS,
    _OTHER_SAVERS,
    KERAS_MODEL_CLASSES,
    KERAS_MODEL_FACTORIES,
    Binding,
    _Indexer,
    canonical,
    is_modelish,
    last_name,
)
from migrator.rules._python.path_values import PathReading
from migrator.rules._python.source import Source

# --- the context --------------------------------------------------------------------------------


class CodeContext(PathReading):
    """Static facts about one source file, for the code rules (see the module docstring)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.tree = source.tree
        self.imports: dict[str, str] = {}
        self.import_roots: set[str] = set()
        self.import_lines: list[tuple[int, str]] = []
        self.star_modules: list[str] = []
        self.scope_of: dict[int, ast.AST] = {}
        self.parent_scope: dict[int, ast.AST] = {}
        self.bindings: dict[int, dict[str, list[Binding]]] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.attr_assigns: dict[str, list[tuple[ast.Attribute, ast.expr]]] = {}
        self.calls: dict[str, list[ast.Call]] = {}  # by the called name (`f(...)`, `x.f(...)`)
        self._qualnames: dict[int, str | None] = {}
        _Indexer(self).run(self.tree)
        self.uses_keras = bool(self.import_roots & _KERAS_ROOTS)
        # Keras 3.12+ also saves/loads Orbax checkpoint folders (no extension, like a TF prefix).
        self.uses_orbax = "orbax" in source.text.lower()
        self.keras_classes = self._keras_classes()

    # names

    def lookup(self, node: ast.Name) -> Binding | None:
        """The binding `node` refers to: last one before it in its scope, then outer scopes."""
        scope = self.scope_of.get(id(node))
        pos = (node.lineno, node.col_offset)
        first = True
        while scope is not None:
            if first or not isinstance(scope, ast.ClassDef):
                found = self._in_scope(scope, node.id, pos, before_only=first)
                if found is not None:
                    return found
            first = False
            scope = self.parent_scope.get(id(scope))
        return None

    def _in_scope(
        self, scope: ast.AST, name: str, pos: tuple[int, int], before_only: bool
    ) -> Binding | None:
        found = self.bindings.get(id(scope), {}).get(name)
        if not found:
            return None
        before = [b for b in found if b.end <= pos]
        if before:
            return before[-1]
        if before_only:
            # Only a parameter or a loop variable can be used "before" its binding position.
            return None
        return found[-1] if len(found) == 1 else None

    def value(self, expr: ast.expr, depth: int = 0) -> ast.expr:
        """Follow a variable (or `self.x` with one value in its class) to the expression assigned
        to it (or return `expr`)."""
        while depth < 8:
            if isinstance(expr, ast.Attribute):
                values = flow.attribute_values(self, expr)
                if not values or len(values) != 1:
                    return expr
                expr, depth = values[0], depth + 1
                continue
            if not isinstance(expr, ast.Name):
                return expr
            b = self.lookup(expr)
            if b is None or b.kind != "assign" or b.value is None:
                return expr
            expr, depth = b.value, depth + 1
        return expr

    def qualname(self, expr: ast.AST) -> str | None:
        """The canonical dotted name `expr` refers to through imports, or None."""
        key = id(expr)
        if key not in self._qualnames:  # every rule asks about the same call: answer once
            self._qualnames[key] = canonical(self._raw_qualname(expr))
        return self._qualnames[key]

    def _raw_qualname(self, expr: ast.AST, depth: int = 0) -> str | None:
        if depth > 8:
            return None
        if isinstance(expr, ast.Name):
            b = self.lookup(expr)
            if b is not None:
                if b.kind == "assign" and isinstance(b.value, ast.Name | ast.Attribute):
                    return self._raw_qualname(b.value, depth + 1)
                return None
            if expr.id in self.imports:
                return self.imports[expr.id]
            for module in self.star_modules:
                if module.split(".")[0] in _KERAS_ROOTS:
                    return f"{module}.{expr.id}"
            return None
        if isinstance(expr, ast.Attribute):
            base = self._raw_qualname(expr.value, depth + 1)
            return f"{base}.{expr.attr}" if base else None
        return None

    def builtin(self, expr: ast.AST) -> str | None:
        """The name of a builtin (`str`, `open`) that `expr` calls, when not shadowed."""
        if isinstance(expr, ast.Name) and expr.id not in self.imports and self.lookup(expr) is None:
            return expr.id
        return None

    def is_module_ref(self, expr: ast.AST) -> bool:
        """Does `expr` name an imported module or function (`np`, `tf.saved_model`)?"""
        return self._raw_qualname(expr) is not None

    # objects

    def _keras_classes(self) -> set[str]:
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, cls in self.classes.items():
                if name in found:
                    continue
                for base in cls.bases:
                    q = self.qualname(base)
                    if q in KERAS_MODEL_CLASSES or (
                        isinstance(base, ast.Name) and base.id in found
                    ):
                        found.add(name)
                        changed = True
                        break
        return found

    def _class_kind(self, cls: ast.ClassDef, seen: frozenset[str] = frozenset()) -> str:
        """A class of this file that is not a Keras model: "other" if all its bases are known."""
        for base in cls.bases:
            if self.builtin(base) in ("object", "dict", "list", "Exception"):
                continue
            q = self.qualname(base)
            if q is None:
                name = base.id if isinstance(base, ast.Name) else ""
                if name in self.classes and name not in seen and name != cls.name:
                    if self._class_kind(self.classes[name], seen | {cls.name}) == "other":
                        continue
                return "unknown"
            if q.split(".")[0] not in _OTHER_ROOTS:
                return "unknown"
        return "other"

    def enclosing_class(self, node: ast.AST) -> ast.ClassDef | None:
        scope = self.scope_of.get(id(node))
        while scope is not None and not isinstance(scope, ast.ClassDef):
            scope = self.parent_scope.get(id(scope))
        return scope

    def receiver_kind(self, expr: ast.expr, depth: int = 0) -> str:
        """Classify an object: "keras" (a Keras model), "other" (surely not one) or "unknown"."""
        if depth > 8:
            return "unknown"
        if isinstance(expr, ast.Name):
            if expr.id == "self":
                cls = self.enclosing_class(expr)
                if cls is None:
                    return "unknown"
                if cls.name in self.keras_classes:
                    return "keras"
                return self._class_kind(cls)
            b = self.lookup(expr)
            if b is None:
                return "other" if expr.id in self.imports else "unknown"
            if b.kind in ("assign", "with") and b.value is not None:
                return self._value_kind(b.value, depth + 1)
            if b.kind == "param":
                values = flow.param_values(self, expr, b)
                if values:
                    return flow.combine_kinds({self._value_kind(v, depth + 1) for v in values})
            return "unknown"
        if isinstance(expr, ast.Attribute):
            if self.is_module_ref(expr):
                return "other"
            values = flow.attribute_values(self, expr)
            if values:
                return flow.combine_kinds({self._value_kind(v, depth + 1) for v in values})
            return "unknown"
        return self._value_kind(expr, depth + 1)

    def _value_kind(self, value: ast.expr, depth: int) -> str:
        if depth > 8:
            return "unknown"
        if isinstance(value, ast.Name | ast.Attribute):
            return self.receiver_kind(value, depth)
        if isinstance(value, ast.Constant):
            return "unknown" if value.value is None else "other"
        if isinstance(
            value,
            ast.List
            | ast.Tuple
            | ast.Dict
            | ast.Set
            | ast.JoinedStr
            | ast.BinOp
            | ast.ListComp
            | ast.DictComp
            | ast.SetComp
            | ast.Compare,
        ):
            return "other"
        if not isinstance(value, ast.Call):
            return "unknown"
        func = flow.called_function(self, value)
        if func is not None:  # `build_model()`, `self._build_model()`: what it returns
            returned = flow.returned_values(func)
            if not returned:
                return "unknown"
            return flow.combine_kinds({self._value_kind(v, depth + 1) for v in returned})
        q = self.qualname(value.func)
        if q:
            if (
                q in KERAS_MODEL_FACTORIES
                or q.startswith(_KERAS_MODEL_PREFIXES)
                or (q.endswith(".from_config") and q[: -len(".from_config")] in KERAS_MODEL_CLASSES)
            ):
                return "keras"
            root = q.split(".")[0]
            if root in _OTHER_ROOTS or root in _KERAS_ROOTS:
                return "other"
            return "unknown"  # the user's own package: it may build Keras models
        if isinstance(value.func, ast.Name):
            if value.func.id in self.keras_classes:
                return "keras"
            if value.func.id in self.classes:
                return self._class_kind(self.classes[value.func.id])
            if self.builtin(value.func) in ("open", "str", "dict", "list", "set", "tuple"):
                return "other"
        return "unknown"

    def is_keras_model(self, expr: ast.expr) -> bool:
        """A Keras model for sure, or (in a file that imports TF/Keras) a name that reads as one."""
        kind = self.receiver_kind(expr)
        if kind == "keras":
            return True
        if kind == "other" or not self.uses_keras or self.import_roots & _OTHER_SAVERS:
            return False
        return is_modelish(last_name(expr))

    # text

    def code(self, node: ast.AST, limit: int = 60) -> str:
        """The source text of `node` on one line, shortened to about `limit` characters."""
        text = " ".join((ast.get_source_segment(self.source.text, node) or "").split())
        if len(text) <= limit:
            return text
        if isinstance(node, ast.Call):
            head = self.code(node.func, limit)
            parts: list[str] = []
            used = len(head) + 2
            for index, arg in enumerate([*node.args, *node.keywords]):
                piece = " ".join((ast.get_source_segment(self.source.text, arg) or "").split())
                if index == 0 and len(piece) > 50:
                    piece = self.code(arg, 40)  # the first argument matters: keep its start
                elif index > 0 and used + len(piece) > limit:
                    parts.append("…")
                    break
                parts.append(piece)
                used += len(piece) + 2
            return f"{head}({', '.join(parts)})"
        return text[: limit - 1] + "…"

    def imported_before(self, line: int, root: str) -> bool:
        return any(n < line and module.split(".")[0] == root for n, module in self.import_lines)
