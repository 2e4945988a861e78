"""MIG217, safe: `batch_input_shape=(None, ...)` -> `input_shape=(...)` on a layer, and
`InputLayer(batch_input_shape=...)` -> `InputLayer(batch_shape=...)`.

With an open batch dimension the two declare the same input in Keras 2 and Keras 3 accepts
`input_shape=` on a first layer (with a warning that `keras.Input` is preferred), so the model
is built exactly as before; `batch_shape` is the name Keras 3's `InputLayer` gives the same
argument. A fixed batch size (`(32, 10, 8)` for a stateful RNN) has no layer-argument
equivalent: that needs `keras.Input(batch_shape=...)` in front of the layer, left for a person.
"""

from __future__ import annotations

import ast

import libcst as cst

from migrator.fix import Fix, fixer
from migrator.fix.context import FixContext
from migrator.rules.code._helpers import _kw


def _rename(call: cst.BaseExpression, new: str, value: str | None) -> cst.Call | None:
    if not isinstance(call, cst.Call):
        return None
    args = []
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "batch_input_shape":
            changes: dict[str, object] = {"keyword": cst.Name(new)}
            if value is not None:
                changes["value"] = cst.parse_expression(value)
            arg = arg.with_changes(**changes)
        args.append(arg)
    return call.with_changes(args=args)


@fixer("MIG217", "batch-input-shape")
def batch_input_shape(node: ast.AST, ctx: FixContext) -> Fix | None:
    """`batch_input_shape=(None, *dims)` -> `input_shape=(*dims,)`; InputLayer: `batch_shape=`."""
    if not isinstance(node, ast.Call):
        return None
    kw = _kw(node, "batch_input_shape")
    if kw is None:
        return None
    if ctx.code.qualname(node.func) in ("keras.layers.InputLayer", "keras.InputLayer"):
        if _kw(node, "batch_shape") is not None:
            return None
        edit = ctx.rewrite(node, lambda c: _rename(c, "batch_shape", None))
        return Fix("MIG217", "batch-input-shape", True, (edit,)) if edit else None
    shape = kw.value
    if _kw(node, "input_shape") is not None or _kw(node, "input_dim") is not None:
        return None
    if not isinstance(shape, (ast.Tuple, ast.List)) or not shape.elts:
        return None
    first = shape.elts[0]
    if not (isinstance(first, ast.Constant) and first.value is None):
        return None  # a fixed batch size: no layer argument says that in Keras 3
    if any(isinstance(e, ast.Starred) for e in shape.elts):
        return None
    dims = [ctx.segment(e) for e in shape.elts[1:]]
    value = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
    edit = ctx.rewrite(node, lambda c: _rename(c, "input_shape", value))
    return Fix("MIG217", "batch-input-shape", True, (edit,)) if edit else None
