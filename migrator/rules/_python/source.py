"""Reading a `.py` file or notebook into one parsed module for the code rules: decoding, IPython
syntax neutralised so line numbers stay those of the cell, and `# migrator: ignore[...]` comments.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

# --- loading ------------------------------------------------------------------------------------


class SourceError(Exception):
    """A file the code rules cannot read; `str()` is the one-line report error."""


@dataclass(frozen=True)
class Magic:
    """An IPython line magic that was neutralised, kept for rules that care (`%env`)."""

    line: int  # line in the joined source
    col: int  # 0-based
    name: str  # "env", "pip", "!" for shell escapes, ...
    args: str


@dataclass
class Source:
    """What the code rules walk: the (joined) text, its AST, and how to map lines back."""

    text: str
    tree: ast.Module
    cells: list[tuple[int, int]] | None = None  # joined line - 1 -> (cell number, line in cell)
    magics: list[Magic] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def where(self, line: int) -> tuple[int | None, int]:
        """(cell, line) of a joined-source line; (None, line) for a plain file."""
        if self.cells is None or not 1 <= line <= len(self.cells):
            return None, line
        return self.cells[line - 1]


# Cell magics whose body is Python that IPython runs (or writes to a .py file).
_PY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})
_MAGIC_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<body>(?:%|!|\?).*)$")
_ASSIGNED_MAGIC = re.compile(r"^(?P<indent>[ \t]*)[A-Za-z_][\w.]*\s*=\s*(?P<body>[%!].*)$")
_HELP_LINE = re.compile(r"^(?P<indent>[ \t]*)[A-Za-z_][\w.]*\?{1,2}\s*$")


def load_source(path: Path) -> Source | None:
    """Parse `path` (`.py` or `.ipynb`); None for a notebook whose kernel is not Python."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror or exc}); check permissions") from exc
    if path.suffix.lower() == ".ipynb":
        return _load_notebook(data)
    text = _decode(data)
    tree = _parse(text, where="")
    return Source(text=text, tree=tree)


def _decode(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"cannot decode as Python source ({exc}); save the file as UTF-8 or fix its "
            "`# -*- coding: ... -*-` line"
        ) from exc


def _parse(text: str, where: str) -> ast.Module:
    if "\x00" in text:
        raise SourceError(
            f"{where}cannot parse as Python source (it contains NUL bytes); check that this is a "
            "text Python file"
        )
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        snippet = (exc.text or "").strip()
        shown = f": `{snippet[:60]}`" if snippet else ""
        raise SourceError(
            f"{where}cannot parse as Python 3 ({exc.msg} at line {exc.lineno}{shown}); code rules "
            "skipped here: fix the syntax (Python 2 code: port it, e.g. with `2to3`) and audit again"
        ) from exc
    except (RecursionError, MemoryError) as exc:
        raise SourceError(
            f"{where}cannot parse: nested too deeply for Python's parser ({type(exc).__name__}); "
            "code rules skipped for this file"
        ) from exc
    except ValueError as exc:
        raise SourceError(
            f"{where}cannot parse as Python source ({type(exc).__name__}: {exc}); check that this "
            "is a text Python file"
        ) from exc


def _load_notebook(data: bytes) -> Source | None:
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(
            f"not a readable notebook (invalid JSON: {exc}); open and re-save it in Jupyter"
        ) from exc
    if not isinstance(nb, dict):
        raise SourceError("not a notebook (the JSON is not an object); check the file")
    if not _python_kernel(nb):
        return None
    raw_cells = nb.get("cells")
    if raw_cells is None:  # nbformat 3: cells live in worksheets, code in "input"
        raw_cells = [
            c
            for ws in nb.get("worksheets") or []
            if isinstance(ws, dict)
            for c in ws.get("cells") or []
        ]
    if not isinstance(raw_cells, list):
        raise SourceError("not a notebook (no list of cells); open and re-save it in Jupyter")
    pieces: list[tuple[int, str, list[Magic]]] = []
    for number, cell in enumerate(raw_cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            raise SourceError(f"cell {number}: source is not text; open and re-save the notebook")
        try:
            ast.parse(source)
            code, magics = source, []
        except (SyntaxError, ValueError):
            code, magics = neutralise_ipython(source)
        pieces.append((number, code, magics))

    errors: list[str] = []
    good = []
    for number, code, magics in pieces:
        try:
            _parse(code, where=f"cell {number}: ")
        except SourceError as exc:
            errors.append(str(exc))
            continue
        good.append((number, code, magics))
    text_parts: list[str] = []
    cells: list[tuple[int, int]] = []
    all_magics: list[Magic] = []
    for number, code, magics in good:
        if code and not code.endswith("\n"):
            code += "\n"
        offset = len(cells)
        lines = code.splitlines(keepends=True)
        text_parts.extend(lines)
        cells.extend((number, i) for i in range(1, len(lines) + 1))
        all_magics.extend(Magic(m.line + offset, m.col, m.name, m.args) for m in magics)
    text = "".join(text_parts)
    tree = _parse(text, where="")  # valid cells joined stay valid: each is a whole module
    return Source(text=text, tree=tree, cells=cells, magics=all_magics, errors=errors)


def _python_kernel(nb: dict) -> bool:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    for key, sub in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(key)
        if isinstance(value, dict) and isinstance(value.get(sub), str) and value[sub]:
            return value[sub].lower().startswith("python")  # an empty language says nothing
    if isinstance(meta.get("language"), str):  # nbformat 3
        return meta["language"].lower().startswith("python")
    return True


def neutralise_ipython(source: str) -> tuple[str, list[Magic]]:
    """Make one cell parseable without changing its line numbers; return the neutralised magics."""
    lines = source.splitlines()
    magics: list[Magic] = []
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        words = lines[first].strip()[2:].split()
        name = words[0] if words else ""
        python_body = name in _PY_CELL_MAGICS or (
            name in ("writefile", "file") and words[-1].endswith(".py")
        )
        magics.append(Magic(first + 1, 0, "%%" + name, " ".join(words[1:])))
        lines[first] = ""
        if not python_body:
            return "\n".join("" for _ in lines) + "\n", magics
    continued = False
    for i, line in enumerate(lines):
        if continued:
            continued = line.endswith("\\")
            lines[i] = ""
            continue
        match = _MAGIC_LINE.match(line) or _ASSIGNED_MAGIC.match(line) or _HELP_LINE.match(line)
        if not match:
            continue
        indent = match.group("indent")
        body = match.groupdict().get("body") or line.strip()
        if body.startswith("%"):
            name, _, args = body.lstrip("%").partition(" ")
        elif body.startswith("!"):
            name, args = "!", body[1:]
        else:
            name, args = "?", body
        magics.append(Magic(i + 1, len(indent), name, args.strip()))
        lines[i] = f"{indent}pass"
        continued = line.endswith("\\")
    return "\n".join(lines) + ("\n" if lines else ""), magics


def inline_ignores(text: str) -> dict[int, frozenset[str] | None]:
    """`# migrator: ignore[ID, ...]` comments by line; None means every rule on that line."""
    out: dict[int, frozenset[str] | None] = {}
    if "migrator:" not in text:
        return out
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return out
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        for m in _IGNORE.finditer(tok.string):
            line = tok.start[0]
            if m.group("ids") is None:
                out[line] = None
            elif line not in out or out[line] is not None:
                ids = frozenset(x for x in re.split(r"[,\s]+", m.group("ids")) if x)
                out[line] = (out.get(line) or frozenset()) | ids
    return out


_IGNORE = re.compile(r"migrator:\s*ignore(?:\[(?P<ids>[^\]]*)\])?")
