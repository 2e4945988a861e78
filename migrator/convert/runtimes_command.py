"""`migrator runtimes list | install NAME... | remove NAME | path NAME`: the TF envs conversion uses.

Conversion loads a legacy model in the runtime of its era and validates every output in the
newest one; this command installs those runtimes from the pins of `knowledge/tf_lines.py`
(`managed.py` does the work) and says which one is used for what and where it comes from
(an environment variable, `[tool.migrator] runtimes`, or the managed cache).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from migrator.convert import managed
from migrator.errors import UsageError
from migrator.knowledge import tf_lines

Write = Callable[[str], None]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser(
        "runtimes",
        help="list, install or remove the TensorFlow runtimes conversion runs models in",
    )
    ops = r.add_subparsers(dest="runtimes_command", required=True)
    ops.add_parser("list", help="each runtime: where it comes from, versions, size, what for")
    i = ops.add_parser("install", help="install runtimes into the per-user cache")
    i.add_argument("names", nargs="+", metavar="NAME", help=", ".join(tf_lines.ENV_NAMES))
    i.add_argument(
        "--python",
        type=Path,
        metavar="PYTHON",
        help="the interpreter to base the env on (default: the one running migrator); older "
        "TF lines need an older Python",
    )
    i.add_argument("--force", action="store_true", help="reinstall even when already installed")
    rm = ops.add_parser("remove", help="delete a managed runtime from the cache")
    rm.add_argument("name", metavar="NAME")
    p = ops.add_parser("path", help="print the python of a runtime (exit 2 when there is none)")
    p.add_argument("name", metavar="NAME")


def needed_for(line: tf_lines.TFLine) -> str:
    """What conversion uses a TF line for, derived from the table (no fact stated twice)."""
    if line == tf_lines.newest():
        return "the newest: runs every step and validates every output"
    if not line.keras3:
        newest_k2 = [t for t in tf_lines.TF_LINES if not t.keras3][-1]
        if line == newest_k2:
            return "runs Keras 1/2 and tf.keras sources (.h5, SavedModels, tf.keras .keras)"
        return f"fallback for Keras 2 sources {newest_k2.env} cannot load (tf.keras {line.keras})"
    return f"fallback for Keras 3 sources the newest cannot load (Keras {line.keras})"


def _check_name(name: str) -> tf_lines.TFLine:
    try:
        return tf_lines.by_env(name)
    except KeyError:
        raise UsageError(
            f"unknown runtime {name!r}; known runtimes: {', '.join(tf_lines.ENV_NAMES)}"
        ) from None


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def run(args: argparse.Namespace, out: Write, say: Write) -> int:
    """Carry out one `migrator runtimes` command; the exit code."""
    op = args.runtimes_command
    if op == "list":
        return _list(out)
    if op == "install":
        lines = [_check_name(n) for n in dict.fromkeys(args.names)]
        for line in lines:
            managed.install(line.env, python=args.python, force=args.force, say=say)
        return 0
    if op == "remove":
        _check_name(args.name)
        if managed.remove(args.name):
            say(f"{args.name}: removed from {managed.cache_dir()}")
            return 0
        say(f"{args.name}: not installed in {managed.cache_dir()}; nothing to remove")
        return 0
    if op == "path":
        from migrator.convert.runtimes import find, how_to_provide

        _check_name(args.name)
        found = find(args.name)
        if found is None:
            say(f"runtime {args.name} is not available; {how_to_provide(args.name)}")
            return 2
        out(f"{found.python}\n")
        return 0
    return 2


def _list(out: Write) -> int:
    from migrator.convert.runtimes import candidates, probe

    root = managed.cache_dir()
    rows: list[tuple[str, str, str, str, str]] = []
    notes: list[str] = []
    for line in tf_lines.TF_LINES:
        name = line.env
        source, versions, size = "not installed", "", ""
        for origin, path in candidates(name):
            info = probe(str(path)) if path.exists() else None
            if not info or not info.get("tensorflow"):
                notes.append(f"{name}: {origin} names {path}, which has no TensorFlow; ignored")
                continue
            source = f"{origin}: {path}" if origin != "managed" else "managed"
            versions = f"tensorflow {info['tensorflow']}, keras {info.get('keras')}"
            if info.get("tf_keras"):
                versions += f", tf-keras {info['tf_keras']}"
            versions += f", python {info.get('python')}"
            if origin == "managed":
                size = _size(managed.disk_size(path.parent.parent))
            break
        state = managed.inspect(name, root)
        if state is not None and not state.usable:
            notes.append(
                f"{name}: {state.root} is not used: {state.problem}; run "
                f"`migrator runtimes install {name} --force`"
            )
        if source == "not installed":
            source = f"not installed (`migrator runtimes install {name}`)"
        rows.append((name, source, versions, size, needed_for(line)))
    for partial in managed.partial_builds(root):
        notes.append(f"{partial}: an install that was stopped; never used, safe to delete")
    out(_table(rows, root))
    for note in notes:
        out(f"note: {note}\n")
    return 0


def _table(rows: list[tuple[str, str, str, str, str]], root: Path) -> str:
    from migrator.convert.plan import render_rows

    header = ("runtime", "from", "versions", "size", "needed for")
    return render_rows(f"runtimes (managed cache: {root})", header, rows)
