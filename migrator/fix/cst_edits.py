"""libcst transformations the fixers share: drop a keyword argument, swap a method or function
name, change the suffix of a string literal while keeping its prefix and quotes.

Each takes and returns a libcst expression (None when the shape is not the expected one), so a
fixer reads as the sentence it implements and the formatting decisions live in one place.
"""

from __future__ import annotations

import libcst as cst


def drop_keywords(call: cst.BaseExpression, names: set[str]) -> cst.Call | None:
    """`call` without the keyword arguments in `names`; the last remaining argument takes over
    the removed last argument's comma, so `f(a, k=1)` becomes `f(a)` and a trailing-comma,
    one-argument-per-line call keeps its trailing comma."""
    if not isinstance(call, cst.Call):
        return None
    kept = [a for a in call.args if not (a.keyword is not None and a.keyword.value in names)]
    if len(kept) == len(call.args):
        return None
    if kept and kept[-1] is not call.args[-1]:
        kept[-1] = kept[-1].with_changes(comma=call.args[-1].comma)
    return call.with_changes(args=kept)


def nth_arg(call: cst.Call, index: int, keyword: str) -> cst.Arg | None:
    """Argument number `index` if given by position, else the one passed as `keyword=`."""
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args):
        return None
    if index < len(positional):
        return positional[index]
    return next((a for a in call.args if a.keyword and a.keyword.value == keyword), None)


def recall(
    call: cst.BaseExpression,
    func: str,
    keep: tuple[int, str],
    extra: tuple[tuple[str, str], ...] = (),
) -> cst.Call | None:
    """`call` turned into `func(<argument keep=(index, keyword)>, name=value, ...)`: the other
    arguments go, the layout stays (the comment after `(`, one argument per line, a trailing
    comma)."""
    if not isinstance(call, cst.Call):
        return None
    kept = nth_arg(call, *keep)
    if kept is None:
        return None
    last = call.args[-1]
    if extra and kept is last:
        kept = kept.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    args = [kept.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT)]
    for name, value in extra:
        if args[-1].comma is cst.MaybeSentinel.DEFAULT or len(args) > 1:
            space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            args[-1] = args[-1].with_changes(comma=space)
        equal = cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        )
        args.append(cst.Arg(keyword=cst.Name(name), value=cst.parse_expression(value), equal=equal))
    trailing = last.comma if (extra or last is kept) else cst.MaybeSentinel.DEFAULT
    args[-1] = args[-1].with_changes(comma=trailing, whitespace_after_arg=last.whitespace_after_arg)
    return call.with_changes(func=cst.parse_expression(func), args=args)


def rename_method(call: cst.BaseExpression, new: str) -> cst.Call | None:
    """`obj.save(...)` -> `obj.<new>(...)`."""
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None
    return call.with_changes(func=call.func.with_changes(attr=cst.Name(new)))


def replace_suffix(
    expr: cst.BaseExpression, old: tuple[str, ...], new: str
) -> cst.BaseExpression | None:
    """A string literal (or an f-string whose last piece is literal text) with its suffix `old`
    (or no suffix, when `old` holds "") replaced by `new`; prefix and quotes kept."""
    if isinstance(expr, cst.SimpleString):
        body_start = len(expr.prefix) + len(expr.quote)
        body = expr.value[body_start : len(expr.value) - len(expr.quote)]
        changed = swap_suffix(body, old, new)
        if changed is None:
            return None
        return expr.with_changes(value=expr.value[:body_start] + changed + expr.quote)
    if isinstance(expr, cst.FormattedString) and expr.parts:
        last = expr.parts[-1]
        if not isinstance(last, cst.FormattedStringText):
            return None
        changed = swap_suffix(last.value, old, new)
        if changed is None:
            return None
        return expr.with_changes(parts=[*expr.parts[:-1], last.with_changes(value=changed)])
    return None


def swap_suffix(body: str, old: tuple[str, ...], new: str) -> str | None:
    for suffix in old:
        if suffix and body.endswith(suffix):
            return body[: -len(suffix)] + new
    if "" in old and not body.endswith("/") and "\\" not in body[-2:]:
        return body + new
    return None
