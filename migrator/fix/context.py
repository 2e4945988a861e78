"""What a fixer receives next to the flagged node: offsets into the text, libcst for rewriting
the node's own source, the rules' `CodeContext` for facts (paths, receivers, aliases), and the
file's other calls for fixes that must keep a save and its loads in step.

Positions come from `ast` (UTF-8 byte columns) and are turned into character offsets here, so
non-ASCII text before a call does not shift an edit.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

import libcst as cst

from migrator.fix import Edit
from migrator.rules._python import CodeContext, Source

CstRewrite = Callable[[cst.BaseExpression], cst.BaseExpression | None]


class FixContext:
    """The unit being fixed (a file, or a notebook's joined cells) and helpers to edit it."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.code = CodeContext(source)
        self._starts = [0]
        self._lines = self.text.splitlines(keepends=True)
        for line in self._lines:
            self._starts.append(self._starts[-1] + len(line))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(source.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    # --- positions ------------------------------------------------------------------------------

    def offset(self, line: int, byte_col: int) -> int:
        """Character offset of an `ast` position (1-based line, UTF-8 byte column)."""
        if line - 1 >= len(self._lines):
            return len(self.text)
        text = self._lines[line - 1]
        return self._starts[line - 1] + len(text.encode("utf-8")[:byte_col].decode("utf-8"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def indent_of(self, node: ast.AST) -> str:
        line = self._lines[node.lineno - 1]  # type: ignore[attr-defined]
        return line[: len(line) - len(line.lstrip(" \t"))]

    # --- rewriting ------------------------------------------------------------------------------

    def replace(self, node: ast.AST, text: str) -> Edit:
        start, end = self.span(node)
        return Edit(start, end, text)

    def rewrite(self, node: ast.expr, change: CstRewrite) -> Edit | None:
        """Parse the node's own source with libcst, let `change` transform it, render it back.

        Comments, quotes and line breaks inside the expression survive because libcst keeps them
        in the tree; None when the source does not parse as one expression or `change` declines.
        """
        try:
            expr = cst.parse_expression(self.segment(node))
        except cst.ParserSyntaxError:
            return None
        new = change(expr)
        if new is None:
            return None
        return self.replace(node, cst.Module(body=[]).code_for_node(new))

    # --- the rest of the file -------------------------------------------------------------------

    def calls(self) -> Iterator[ast.Call]:
        """Every call in the unit, in source order."""
        found = [n for n in ast.walk(self.source.tree) if isinstance(n, ast.Call)]
        yield from sorted(found, key=lambda n: (n.lineno, n.col_offset))

    def string_constants(self, value: str) -> list[ast.Constant]:
        """Every string literal equal to `value` (f-string pieces excluded)."""
        inside_fstring = {
            id(part)
            for node in ast.walk(self.source.tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        return [
            n
            for n in ast.walk(self.source.tree)
            if isinstance(n, ast.Constant) and n.value == value and id(n) not in inside_fstring
        ]

    def string(self, value: str) -> str:
        """`value` as a string literal in the quote style most of the file's literals use."""
        double = single = 0
        for node in ast.walk(self.source.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                first = self.segment(node)[:1]
                double += first == '"'
                single += first == "'"
        quote = "'" if single > double else '"'
        return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)
