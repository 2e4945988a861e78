"""How a code rule knows where a save call writes: the value of a path argument, by static reading.

`model.save(os.path.join(EXPORT_DIR, f"v{n}"))` saves to a folder, `model.save("m.h5")` to an HDF5
file: the rules that tell `model.save(dir)` from a current save need what the path argument
evaluates to, through constants, f-strings, `os.path.join`, `pathlib` and `%`/`.format`
templates. `PathReading` is the part of `CodeContext` that works it out (`context.py` holds the
names and kinds); kept apart so each reads in one sitting.
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from migrator.rules._python import flow
from migrator.rules._python.names import last_name, tf_api
from migrator.rules._python.paths import (
    _PATH_CLASSES,
    _PERCENT_SPEC,
    _SAME_PATH_FUNCS,
    _UNKNOWN,
    NUMBER,
    PathValue,
    _format_template,
    _join,
    _template,
    after_unknown,
    agree,
    looks_like_path_name,
    under_some_folder,
    without_suffix,
)


class PathReading:
    """The value of path expressions: a base of `CodeContext`, whose `value` (an expression
    through the assignments that reach it) and `qualname` (a call's name through import
    aliases) the methods here use."""

    def path(self, expr: ast.expr | None, depth: int = 0) -> PathValue:
        """What is known of the path `expr` evaluates to (see `PathValue`)."""
        if expr is None or depth > 12:
            return _UNKNOWN
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):
                return PathValue(expr.value, True)
            if isinstance(expr.value, bytes):
                return PathValue(expr.value.decode("latin-1"), True)
            return _UNKNOWN
        if isinstance(expr, ast.JoinedStr):
            return self._fstring(expr, depth)
        if isinstance(expr, ast.BinOp):
            return self._binop(expr, depth)
        if isinstance(expr, ast.Call):
            return self._call_path(expr, depth)
        if isinstance(expr, ast.Name):
            b = self.lookup(expr)
            if b is not None and b.kind == "assign" and b.value is not None:
                return self.path(b.value, depth + 1).with_hint(expr.id)
            if b is not None and b.kind == "param":
                values = flow.param_values(self, expr, b)
                if values:
                    return agree([self.path(v, depth + 1) for v in values]).with_hint(expr.id)
            if b is not None and b.kind == "with" and b.value is not None:
                inner = (
                    self._call_path(b.value, depth + 1)
                    if isinstance(b.value, ast.Call)
                    else _UNKNOWN
                )
                return inner.with_hint(expr.id)
            return PathValue(hint=expr.id)
        if isinstance(expr, ast.Attribute):
            values = flow.attribute_values(self, expr)
            if values:
                return agree([self.path(v, depth + 1) for v in values]).with_hint(expr.attr)
            return PathValue(hint=expr.attr)
        if isinstance(expr, ast.Subscript):
            call, index = expr.value, expr.slice
            if (  # `os.path.splitext(p)[0]`: `p` without its extension
                isinstance(call, ast.Call)
                and call.args
                and self.qualname(call.func) == "os.path.splitext"
                and isinstance(index, ast.Constant)
                and index.value == 0
            ):
                return without_suffix(self.path(call.args[0], depth + 1))
            return PathValue(hint=last_name(expr))
        return _UNKNOWN

    def _fstring(self, expr: ast.JoinedStr, depth: int) -> PathValue:
        tail, complete = "", True
        for part in expr.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                tail = after_unknown(tail, complete, part.value)
                continue
            inner = _UNKNOWN
            if isinstance(part, ast.FormattedValue) and part.format_spec is None:
                inner = self.path(part.value, depth + 1)
            if inner.complete and not inner.kind:
                tail += inner.tail
            else:
                tail, complete = inner.tail if not inner.kind else "", False
        return PathValue(tail, complete)

    def _binop(self, expr: ast.BinOp, depth: int) -> PathValue:
        if isinstance(expr.op, ast.Add):
            left, right = self.path(expr.left, depth + 1), self.path(expr.right, depth + 1)
            if right.kind:
                return _UNKNOWN
            if right.complete:
                if left.kind:
                    return PathValue(right.tail, False)
                tail = after_unknown(left.tail, left.complete, right.tail)
                return PathValue(tail, left.complete, "", left.pathlib)
            if not right.tail and left.known and self._number_text(expr.right):
                return PathValue(NUMBER, False)  # `prefix + "." + str(epoch)`: ends in digits
            return PathValue(right.tail, False)
        if isinstance(expr.op, ast.Div):
            left, right = self.path(expr.left, depth + 1), self.path(expr.right, depth + 1)
            return _join(left, right, pathlib=True)
        if (
            isinstance(expr.op, ast.Mod)
            and isinstance(expr.left, ast.Constant)
            and isinstance(expr.left.value, str)
        ):
            return _template(_PERCENT_SPEC.split(expr.left.value.replace("%%", "\0")), "\0")
        return _UNKNOWN

    def _number_text(self, expr: ast.expr) -> bool:
        """`str(epoch)`, `str(i + 1)`: text of a number, not of a path (`str(out_dir)`)."""
        if not (isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords):
            return False
        if self.builtin(expr.func) != "str":
            return False
        arg = expr.args[0]
        if isinstance(arg, ast.BinOp | ast.UnaryOp):
            return not isinstance(arg.op, ast.Div) if isinstance(arg, ast.BinOp) else True
        name = last_name(arg)
        return bool(name) and not looks_like_path_name(name)

    def _call_path(self, call: ast.Call, depth: int) -> PathValue:
        func = call.func
        args = call.args
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "join"
            and isinstance(func.value, ast.Constant)
            and isinstance(func.value.value, str)
            and len(args) == 1
            and isinstance(args[0], ast.List | ast.Tuple)
            and args[0].elts
        ):  # `"_".join([name, str(size), "weights.{epoch:02d}.hdf5"])`: ends with the last item
            parts = [self.path(e, depth + 1) for e in args[0].elts]
            last = parts[-1]
            if all(p.complete for p in parts):
                return PathValue(func.value.value.join(p.tail for p in parts), True)
            if last.kind or not last.complete:
                return PathValue(last.tail if not last.kind else "", False)
            return PathValue(func.value.value + last.tail, False)  # the separator precedes it
        if isinstance(func, ast.Attribute):
            if func.attr == "format":  # "{}/model.h5".format(d), or a variable holding the template
                template = self.path(func.value, depth + 1)
                return _format_template(template.tail) if template.complete else _UNKNOWN
            q = self.qualname(func)
            if q is None and func.attr in (
                "joinpath",
                "with_suffix",
                "with_name",
                "resolve",
                "absolute",
                "expanduser",
                "as_posix",
                "with_stem",
            ):
                base = self.path(func.value, depth + 1)
                if func.attr == "joinpath":
                    out = base
                    for a in args:
                        out = _join(out, self.path(a, depth + 1), pathlib=True)
                    return out
                if func.attr in ("with_suffix", "with_name", "with_stem") and args:
                    new = self.path(args[0], depth + 1)
                    if not new.complete:
                        return PathValue(pathlib=True)
                    if base.complete and base.tail:
                        p = PurePosixPath(base.tail)
                        try:
                            changed = getattr(p, func.attr)(new.tail)
                        except ValueError:
                            return PathValue(pathlib=True)
                        return PathValue(str(changed), True, "", True)
                    if func.attr == "with_suffix":
                        return PathValue(new.tail, False, "", True)
                    if func.attr == "with_name":
                        return PathValue("/" + new.tail, False, "", True)
                    return PathValue(pathlib=True)
                complete = base.complete and func.attr in ("as_posix",)
                return PathValue(base.tail, complete, base.kind, func.attr != "as_posix")
        q = self.qualname(func) or self.builtin(func)
        if q is None:
            return _UNKNOWN
        stripped, _ = tf_api(q)
        if (
            q in ("os.path.join", "posixpath.join", "ntpath.join", "tensorflow.io.gfile.join")
            and args
        ):
            out = self.path(args[0], depth + 1)
            for a in args[1:]:
                out = _join(out, self.path(a, depth + 1), pathlib=False)
            return out
        if q in _PATH_CLASSES:
            if not args:
                return PathValue(".", True, "", True)
            out = self.path(args[0], depth + 1)
            out = PathValue(out.tail, out.complete, out.kind, True, out.hint)
            for a in args[1:]:
                out = _join(out, self.path(a, depth + 1), pathlib=True)
            return out
        if q in _SAME_PATH_FUNCS and args:
            inner = self.path(args[0], depth + 1)
            complete = inner.complete and q in ("str", "os.fspath", "os.path.normpath")
            tail = (
                inner.tail.rstrip("/")
                if q == "os.path.normpath" and inner.tail != "/"
                else inner.tail
            )
            return PathValue(tail, complete, inner.kind, False, inner.hint)
        if q in ("tempfile.mkdtemp", "tempfile.gettempdir", "tempfile.TemporaryDirectory"):
            return PathValue(kind="dir")
        if q in ("keras.utils.get_file", "keras.utils.data_utils.get_file") and args:
            return under_some_folder(self.path(args[0], depth + 1))  # the cache folder + fname
        if stripped == "tensorflow.train.latest_checkpoint":
            return PathValue(kind="checkpoint")
        return _UNKNOWN
