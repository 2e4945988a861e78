"""The `migrator fix` command line: which files, which fixes, and what it tells the user.

Exit codes follow ruff's: 0 when every file is as it should be afterwards (fixed or nothing to
do), 1 with `--diff` when a fix would change something, 2 when a file could not be read or
parsed (reported, left unchanged; the others are still fixed). Text goes to the streams the CLI
passes in: the CLI stays the only module that decides where output ends up.
"""

from __future__ import annotations

import argparse
import difflib
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from migrator.discover import SKIP_DIRS, SOURCE_SUFFIXES
from migrator.fix.files import FileResult, fix_file, write_atomic
from migrator.rules import Rule, _enabled, all_rules

EXIT_OK, EXIT_WOULD_CHANGE, EXIT_ERRORS = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    f = sub.add_parser(
        "fix",
        help="rewrite outdated Keras/TF saving code in .py files and notebooks (libcst)",
    )
    f.add_argument("paths", nargs="+", type=Path, help="files or folders (.py, .ipynb)")
    f.add_argument(
        "--diff", action="store_true", help="print a unified diff of the fixes; change nothing"
    )
    f.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="also apply fixes that change behaviour (inference-only exports, renamed files)",
    )
    f.add_argument(
        "--select", metavar="IDS", help="only these rules: ids, id prefixes, names, families (a,b)"
    )
    f.add_argument("--ignore", metavar="IDS", help="skip these rules (same forms as --select)")


def source_files(paths: Sequence[Path]) -> Iterator[Path]:
    """`.py`/`.ipynb` files named or found under `paths` (sorted; VCS, venv and tox dirs skipped).
    A file named explicitly is taken whatever its suffix, as pre-commit passes what it matched."""
    for path in paths:
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(
                    d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                )
                for name in sorted(filenames):
                    if name.lower().endswith(SOURCE_SUFFIXES):
                        yield Path(dirpath) / name
        else:
            yield path


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _rules(args: argparse.Namespace) -> list[Rule]:
    from migrator.rules.config import load_config

    def split(text: str | None) -> list[str] | None:
        return None if text is None else [t for t in text.replace(" ", ",").split(",") if t]

    config = load_config(args.paths).overridden(
        select=split(args.select), ignore=split(args.ignore)
    )
    return _enabled(all_rules("code"), config)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Fix (or with `--diff`, show the fixes for) every source file under `args.paths`."""
    rules = _rules(args)
    results: list[FileResult] = []
    for path in source_files(args.paths):
        if not path.exists():
            results.append(FileResult(_display(path), path, errors=["no such file or folder"]))
            continue
        results.append(fix_file(path, _display(path), rules, unsafe=args.unsafe_fixes))
    applied: Counter[str] = Counter()
    held: Counter[str] = Counter()
    changed = 0
    for result in results:
        for message in result.errors:
            err.write(f"migrator: {result.rel}: {message}\n")
        for message in result.notes:
            err.write(f"migrator: {result.rel}: {message}\n")
        applied.update(result.applied)
        held.update(result.unsafe_skipped)
        if not result.changed:
            continue
        changed += 1
        if args.diff:
            for label, old, new in result.pieces:
                out.writelines(
                    difflib.unified_diff(
                        old.splitlines(keepends=True),
                        new.splitlines(keepends=True),
                        fromfile=f"a/{label}",
                        tofile=f"b/{label}",
                    )
                )
        else:
            write_atomic(result.path, result.new_bytes or b"")
            counts = ", ".join(f"{rule} x{n}" for rule, n in sorted(result.applied.items()))
            err.write(f"fixed {result.rel} ({counts})\n")
    err.write(_summary(applied, held, changed, args.diff) + "\n")
    if any(r.errors for r in results):
        return EXIT_ERRORS
    return EXIT_WOULD_CHANGE if args.diff and changed else EXIT_OK


def _summary(applied: Counter[str], held: Counter[str], files: int, diff: bool) -> str:
    total = sum(applied.values())
    verb = "Would fix" if diff else "Fixed"
    text = (
        f"{verb} {total} finding{'s' * (total != 1)} in {files} file{'s' * (files != 1)}."
        if total
        else "No fixes to apply."
    )
    unsafe = sum(held.values())
    if unsafe:
        text += (
            f" {unsafe} more fix{'es' * (unsafe != 1)} available with `--unsafe-fixes` "
            f"({', '.join(sorted(held))}): they change behaviour, read `migrator rules ID` first."
        )
    return text
