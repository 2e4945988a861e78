"""The `--plan`, `--format` and `--install-runtimes` options of `migrator convert`.

Kept apart from the convert command's own options so the plan and the managed runtimes stay
one module each: `--plan` prints what would happen and stops; `--install-runtimes` installs the
runtimes the plan uses that are missing (`managed.py`), then the conversion goes on as usual.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from migrator.convert import Options

Write = Callable[[str], None]
FORMATS = ("table", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the plan and runtime options to the `convert` parser."""
    parser.add_argument(
        "--plan",
        action="store_true",
        help="print what each artifact would become, by which steps and runtimes, what blocks "
        "the rest and an estimated time; loads nothing, converts nothing",
    )
    parser.add_argument(
        "--format",
        dest="plan_format",
        choices=FORMATS,
        help="--plan output: table or json (default: table; --json means json)",
    )
    parser.add_argument(
        "--install-runtimes",
        action="store_true",
        help="install the missing runtimes the conversion needs (`migrator runtimes install`) "
        "before converting",
    )


def before_convert(
    args: argparse.Namespace,
    options: Options,
    out: Write,
    say: Write,
    write_file: Callable[[Path, str], None],
    *,
    color: bool,
) -> int | None:
    """Run `--plan` (an exit code) or `--install-runtimes` (None: go on converting).

    `out` prints, `say` tells progress, `write_file` writes `--report` atomically: the command
    line module keeps the only ways to print and write.
    """
    from migrator.convert import managed
    from migrator.convert.plan import make_plan, render_table

    if not (args.plan or args.install_runtimes):
        return None
    plan = make_plan(args.src, args.out, options)
    if args.plan:
        as_json = args.plan_format == "json" or (args.plan_format is None and args.json)
        if as_json:
            out(json.dumps(plan.to_json(), indent=2) + "\n")
        else:
            out(render_table(plan, color=color))
        if args.report:
            write_file(args.report, json.dumps(plan.to_json(), indent=2) + "\n")
        # as for the conversion itself: a path that cannot be walked is an error (exit 2)
        return 2 if plan.errors else 0
    for name in plan.missing_runtimes():
        managed.install(name, say=say)
    return None
