"""Reading, fixing and writing one `.py` file or notebook.

A `.py` file keeps its encoding (BOM included) and line endings: only the edited spans change.
A notebook is fixed on the joined text of its code cells (so an import in cell 1 is known in cell
7, exactly as the audit reads it) and each edit is mapped back to its cell: only cell sources
change; outputs, execution counts and metadata stay as they were, and the JSON is written back
in the layout it was read in (indent, key order, escaping). Writing is atomic and keeps the
file's mode.
"""

from __future__ import annotations

import ast
import bisect
import io
import json
import os
import stat
import tempfile
import tokenize
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.fix import Edit
from migrator.fix.engine import apply_edits, fix_unit
from migrator.rules import Rule
from migrator.rules._python import Source, SourceError, load_source, neutralise_ipython
from migrator.rules._python.source import _load_notebook


@dataclass
class FileResult:
    """The outcome for one file: what changed (`pieces`: label, old, new) and what was held back."""

    rel: str
    path: Path
    applied: Counter[str] = field(default_factory=Counter)
    unsafe_skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pieces: list[tuple[str, str, str]] = field(default_factory=list)
    new_bytes: bytes | None = None  # None: nothing to write

    @property
    def changed(self) -> bool:
        return self.new_bytes is not None


def fix_file(path: Path, rel: str, rules: Sequence[Rule], *, unsafe: bool) -> FileResult:
    """Compute the fixes for one file (nothing is written here)."""
    result = FileResult(rel, path)
    try:
        source = load_source(path)
    except SourceError as exc:
        result.errors.append(f"{exc} (left unchanged)")
        return result
    if source is None:
        return result  # a notebook whose kernel is not Python
    result.errors.extend(f"{e} (cell left unchanged)" for e in source.errors)
    if path.suffix.lower() == ".ipynb":
        _fix_notebook(path, source, rules, unsafe, result)
    else:
        _fix_python(path, source, rules, unsafe, result)
    return result


# --- .py files ----------------------------------------------------------------------------------


def _encoding(data: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def _reparse_text(source: Source, edits: list[Edit]) -> Source | None:
    text = apply_edits(source.text, edits)
    try:
        return Source(text=text, tree=ast.parse(text))
    except (SyntaxError, ValueError):
        return None


def _fix_python(
    path: Path, source: Source, rules: Sequence[Rule], unsafe: bool, result: FileResult
) -> None:
    data = path.read_bytes()
    _, outcome = fix_unit(source, rules, unsafe=unsafe, reparse=_reparse_text)
    result.applied, result.unsafe_skipped = outcome.applied, outcome.unsafe_skipped
    result.errors.extend(outcome.errors)
    if outcome.text != source.text:
        result.pieces.append((result.rel, source.text, outcome.text))
        result.new_bytes = outcome.text.encode(_encoding(data))


# --- notebooks ----------------------------------------------------------------------------------


def _cell_source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _starts(text: str) -> list[int]:
    out = [0]
    for line in text.splitlines(keepends=True):
        out.append(out[-1] + len(line))
    return out


class _Notebook:
    """The notebook's JSON and the mapping from joined-text offsets to cell-source offsets."""

    def __init__(self, data: bytes) -> None:
        self.raw = data.decode("utf-8-sig")
        self.nb = json.loads(self.raw)
        self.cells: list[dict[str, Any]] = self.nb.get("cells") or []
        self.original = [_cell_source(c) if isinstance(c, dict) else "" for c in self.cells]
        self.values = [c.get("source") if isinstance(c, dict) else None for c in self.cells]
        self.current = list(self.original)

    def reparse(self, source: Source, edits: list[Edit]) -> Source | None:
        if source.cells is None:
            return None
        joined_starts = _starts(source.text)
        per_cell: dict[int, list[Edit]] = {}
        for edit in edits:
            a = self._locate(source, joined_starts, edit.start)
            b = self._locate(source, joined_starts, edit.end)
            if a is None or b is None or a[0] != b[0]:
                return None
            number, start, end = a[0], a[1], b[1]
            if self.current[number - 1][start:end] != source.text[edit.start : edit.end]:
                return None  # a neutralised IPython line: never edit those
            per_cell.setdefault(number, []).append(Edit(start, end, edit.text))
        updated = list(self.current)
        for number, cell_edits in per_cell.items():
            updated[number - 1] = apply_edits(self.current[number - 1], cell_edits)
            if not _parses(updated[number - 1]):
                return None
        previous, self.current = self.current, updated
        try:
            return _load_notebook(self.dumps().encode("utf-8"))
        except SourceError:
            self.current = previous
            return None

    def _locate(self, source: Source, starts: list[int], offset: int) -> tuple[int, int] | None:
        line = bisect.bisect_right(starts, offset) - 1
        if offset == len(source.text) and line > 0 and offset == starts[line]:
            line -= 1  # the end of the last line, not the start of a line that does not exist
        if not 0 <= line < len(source.cells or []):
            return None
        number, cell_line = source.cells[line]  # type: ignore[index]
        col = offset - starts[line]
        cell_starts = _starts(self.current[number - 1])
        if cell_line - 1 >= len(cell_starts):
            return None
        return number, cell_starts[cell_line - 1] + col

    def dumps(self) -> str:
        swaps: list[tuple[object, object]] = []
        for cell, text, before, value in zip(
            self.cells, self.current, self.original, self.values, strict=True
        ):
            if not isinstance(cell, dict):
                continue
            cell["source"] = value
            if text != before:
                swaps.append((value, text))
                cell["source"] = text.splitlines(keepends=True) if isinstance(value, list) else text
        return _serialise(self.nb, self.raw, swaps)


def _parses(cell: str) -> bool:
    """Does the cell parse as the audit reads it (IPython lines neutralised)?"""
    for text in (cell, neutralise_ipython(cell)[0]):
        try:
            ast.parse(text)
            return True
        except (SyntaxError, ValueError):
            continue
    return False


def _serialise(nb: dict[str, Any], like: str, swaps: list[tuple[object, object]]) -> str:
    """`nb` as JSON in the layout of `like` (nbformat writes indent=1, sorted keys, UTF-8).

    A hand-laid-out notebook that no `json.dumps` layout reproduces keeps its bytes: each changed
    cell's `source` value is replaced where it is written on one line (`swaps`: old value, new
    text), and only when that fails is the whole notebook written in nbformat's layout."""
    patched = _patch_sources(like, swaps)
    if patched is not None and json.loads(patched) == nb:
        return patched
    original = json.loads(like)
    for indent in (1, 2, 4, None):
        for sort_keys in (True, False):
            for ascii_ in (False, True):
                text = json.dumps(original, indent=indent, sort_keys=sort_keys, ensure_ascii=ascii_)
                for end in ("\n", ""):
                    if text + end == like:
                        return (
                            json.dumps(nb, indent=indent, sort_keys=sort_keys, ensure_ascii=ascii_)
                            + end
                        )
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _patch_sources(like: str, swaps: list[tuple[object, object]]) -> str | None:
    text = like
    for old, new_text in swaps:
        for ascii_ in (False, True):
            for separators in ((", ", ": "), (",", ":")):
                written = json.dumps(old, ensure_ascii=ascii_, separators=separators)
                if text.count(written) == 1:
                    new = new_text.splitlines(keepends=True) if isinstance(old, list) else new_text
                    text = text.replace(
                        written, json.dumps(new, ensure_ascii=ascii_, separators=separators)
                    )
                    break
            else:
                continue
            break
        else:
            return None
    return text if swaps else None


def _fix_notebook(
    path: Path, source: Source, rules: Sequence[Rule], unsafe: bool, result: FileResult
) -> None:
    notebook = _Notebook(path.read_bytes())
    if not notebook.cells:
        if notebook.nb.get("worksheets"):
            result.notes.append("nbformat 3 notebook: not rewritten (open and save it in Jupyter)")
        return
    _, outcome = fix_unit(source, rules, unsafe=unsafe, reparse=notebook.reparse)
    result.applied, result.unsafe_skipped = outcome.applied, outcome.unsafe_skipped
    result.errors.extend(outcome.errors)
    for number, (before, after) in enumerate(
        zip(notebook.original, notebook.current, strict=True), start=1
    ):
        if before != after:
            result.pieces.append((f"{result.rel}:cell {number}", before, after))
    if result.pieces:
        result.new_bytes = notebook.dumps().encode("utf-8")


# --- writing ------------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` via a temporary file in the same folder; keep the mode."""
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
