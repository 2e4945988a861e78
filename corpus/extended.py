"""Regenerate the whole loadability matrix: every runtime of `migrator.knowledge.runtimes` writes
its artifacts, then every runtime measures every artifact (what `tox -e matrix` runs).

    python -m corpus.extended regenerate --toxworkdir .tox [--runtimes tf217,tf219-keras35]
        [--skip-generate] [--skip-measure] [--missing-only] [--restart] [--jobs 2]
    python -m corpus.extended merge COLUMN.json...   # measured columns -> the two files

The cells split into two files by who re-measures them:

- ``matrix.json``: the four CI lines on the CI lines' artifacts, keyed ``2.16/<loader>``. Each
  tox TF env re-measures its column of it (tests/test_matrix.py), unchanged.
- ``matrix_extended.json``: every other cell, keyed ``<runtime>/<loader>`` (``tf217/...``,
  ``tf219-keras35/keras.load_model``): the new runtimes on every artifact, and the CI lines on the
  artifacts the new runtimes wrote. Only ``tox -e matrix`` re-measures it.

Together they hold every (artifact, runtime, applicable loader) cell once. Imports neither NumPy
nor TensorFlow: each step runs in the runtime's own interpreter (`corpus.envs`).

A run longer than a sitting continues where it stopped: each finished part is recorded in
`<toxworkdir>/matrix-run.sqlite` (`run_state`), the same command run again skips those parts,
and the run ends by stating its time, summed over its sittings.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus import ENVS, GENERATED, MATRIX, MATRIX_EXTENDED, envs
from corpus.records import (
    NEEDS,
    SCHEMA_VERSION,
    TOLERANCE,
    artifacts,
    matrix_row,
    merge,
    runtime_loaders,
    write_json,
)
from corpus.run_state import RunState
from migrator.knowledge.runtimes import RUNTIMES, by_name
from migrator.loadability import LOADERS


def _run(name: str, toxworkdir: Path, args: list[str]) -> None:
    python, extra = envs.interpreter(by_name(name), toxworkdir)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0", **extra}
    subprocess.run([str(python), *args], cwd=envs.REPO, env=env, check=True)


def _column_path(toxworkdir: Path, name: str) -> Path:
    return toxworkdir / "matrix-columns" / f"{name}.json"


def split(
    columns: list[dict[str, Any]], corpus: Path = GENERATED
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Extended columns -> (CI columns in matrix.json's shape, the rest). matrix.json holds the
    CI lines' cells on the artifacts of their committed manifests (not `--extended` ones)."""
    committed = {a["id"] for a in artifacts(corpus)}
    ci_columns, rest = [], []
    for column in columns:
        runtime = by_name(column["env"])
        ci_cells: dict[str, dict[str, Any]] = {}
        other: dict[str, dict[str, Any]] = {}
        for artifact, cells in column["cells"].items():
            if runtime.ci and artifact in committed:
                ci_cells[artifact] = {
                    f"{runtime.line}/{key.split('/', 1)[1]}": record
                    for key, record in cells.items()
                }
            else:
                other[artifact] = cells
        if runtime.ci:
            ci_columns.append({**column, "tf": runtime.line, "cells": ci_cells})
        rest.append({**column, "cells": other})
    return ci_columns, rest


def expected_cells(corpus: Path = GENERATED) -> set[tuple[str, str]]:
    """(artifact, `<runtime>/<loader>`) of every cell the extended matrix holds when complete."""
    committed = {a["id"] for a in artifacts(corpus)}  # matrix.json's artifacts
    out = set()
    for entry in artifacts(corpus, extended=True):
        for runtime in RUNTIMES:
            if runtime.ci and entry["id"] in committed:
                continue
            for loader in runtime_loaders(entry["format"], runtime):
                out.add((entry["id"], f"{runtime.name}/{loader}"))
    return out


def merge_extended(
    columns: list[dict[str, Any]], corpus: Path = GENERATED, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The extended matrix from measured columns; cells not measured now keep their records
    from `previous` (a partial regeneration, `--only` runs), as long as their artifact exists."""
    table: dict[str, dict[str, Any]] = {}
    for entry in artifacts(corpus, extended=True):
        table[entry["id"]] = matrix_row(entry)
    runtimes: dict[str, Any] = {}
    if previous:
        runtimes.update(previous["runtimes"])
        for artifact, entry in previous["artifacts"].items():
            if artifact in table:
                table[artifact]["cells"].update(entry["cells"])
    for column in columns:
        runtime = by_name(column["env"])
        runtimes[runtime.name] = {
            "tensorflow": runtime.tensorflow,
            "keras": runtime.keras,
            "tf_keras": runtime.tf_keras,
            "ci": runtime.ci,
            "base": runtime.base,
            "versions": column["versions"],
        }
        for artifact, cells in column["cells"].items():
            if artifact not in table:
                raise SystemExit(f"measured artifact {artifact} is not in the manifests")
            table[artifact]["cells"].update(cells)
    expected = len(expected_cells(corpus))
    table = {k: v for k, v in table.items() if v["cells"]}
    verdicts: dict[str, int] = {}
    for entry in table.values():
        for record in entry["cells"].values():
            verdicts[record["verdict"]] = verdicts.get(record["verdict"], 0) + 1
    order = [r.name for r in RUNTIMES]
    return {
        "schema_version": SCHEMA_VERSION,
        "tolerance": TOLERANCE,
        "loaders": list(LOADERS),
        "runtimes": {k: runtimes[k] for k in sorted(runtimes, key=order.index)},
        "size": {
            "artifacts": len(table),
            "runtimes": len(runtimes),
            "cells": sum(verdicts.values()),
            # every applicable cell of every runtime on every generated artifact: what a whole
            # `tox -e matrix` measures; fewer cells means a partial run measured the rest
            "expected_cells": expected,
            "verdicts": dict(sorted(verdicts.items())),
        },
        "needs": NEEDS,
        "artifacts": {
            k: {**v, "cells": dict(sorted(v["cells"].items()))} for k, v in sorted(table.items())
        },
    }


def write(paths: list[Path], corpus: Path, matrix_path: Path, extended_path: Path) -> None:
    """Merge measured column files into matrix.json (when all four CI lines measured their
    artifacts) and matrix_extended.json (updating its cells)."""
    columns = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    ci_columns, rest = split(columns, corpus)
    complete = all(column["cells"] for column in ci_columns)
    if complete and {c["env"] for c in ci_columns} == set(ENVS.values()):
        matrix = merge(ci_columns, corpus)
        write_json(matrix_path, matrix)
        print(f"wrote {matrix_path}: {matrix['size']}", flush=True)
    else:
        print(f"{matrix_path} left alone: not every CI line measured its artifacts", flush=True)
    previous = (
        json.loads(extended_path.read_text(encoding="utf-8")) if extended_path.is_file() else None
    )
    extended = merge_extended(rest, corpus, previous)
    write_json(extended_path, extended)
    print(f"wrote {extended_path}: {extended['size']}", flush=True)


def _part(state: RunState, part: str, work: Callable[[], object]) -> None:
    """Do one part of the run unless an earlier sitting of the same run finished it."""
    if state.done(part):
        print(f"{part}: done in an earlier sitting", flush=True)
        return
    started = time.monotonic()
    work()
    seconds = time.monotonic() - started
    state.record(part, seconds)
    print(f"{part}: {seconds:.0f}s", flush=True)


def regenerate(args: argparse.Namespace) -> int:
    names = args.runtimes.split(",") if args.runtimes else [r.name for r in RUNTIMES]
    toxworkdir: Path = args.toxworkdir
    asked = {
        "runtimes": names,
        "corpus": str(args.corpus),
        **{k: getattr(args, k) for k in ("skip_envs", "skip_generate", "skip_measure",
                                          "keep_ci", "missing_only")},
    }  # fmt: skip
    state = RunState(toxworkdir / "matrix-run.sqlite", asked, restart=args.restart)
    if state.resumed:
        print("continuing the unfinished run of the same command (--restart starts over)")
    try:
        _parts(args, names, toxworkdir, state)
        summary = state.finish()
    finally:
        state.close()
    hours, rest = divmod(int(summary.seconds), 3600)
    print(
        f"the run took {hours} h {rest // 60:02d} min of work in {summary.sittings} "
        f"sitting(s) ({len(summary.parts)} parts: envs, generation, measurement)",
        flush=True,
    )
    return 0


def _parts(args: argparse.Namespace, names: list[str], toxworkdir: Path, state: RunState) -> None:
    """Every part of the run, in order: envs, generation, measurement, then the merge."""
    for name in [] if args.skip_envs else names:
        _part(state, f"env {name}", lambda n=name: envs.build(by_name(n), toxworkdir, args.python))
    generate = ["-m", "corpus.generate", "--out", str(args.corpus), "--jobs", str(args.jobs)]
    for name in [] if args.skip_generate else names:

        def generate_artifacts(n: str = name) -> None:
            if by_name(n).ci and not args.keep_ci:
                _run(n, toxworkdir, generate)  # the committed set, which CI checks
            _run(n, toxworkdir, [*generate, "--extended"])

        _part(state, f"generate {name}", generate_artifacts)
    if args.skip_measure:
        return
    for name in names:
        out = _column_path(toxworkdir, name)
        out.parent.mkdir(parents=True, exist_ok=True)
        measure = (
            ["-m", "corpus.probe", "measure", "--extended", "--corpus", str(args.corpus),
             "--out", str(out), "--jobs", str(args.jobs)]
            + (["--skip-ci-cells"] if args.keep_ci else [])
            + (["--skip-measured", str(args.extended)] if args.missing_only else [])
        )  # fmt: skip
        if not out.is_file():
            state.forget(f"measure {name}")  # its column file is gone: measure it again
        _part(state, f"measure {name}", lambda n=name, m=measure: _run(n, toxworkdir, m))
    paths = [_column_path(toxworkdir, name) for name in names]
    write(paths, args.corpus, args.matrix, args.extended)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("regenerate", help="build, generate, measure, merge (tox -e matrix)")
    p.add_argument("--toxworkdir", type=Path, required=True)
    p.add_argument("--runtimes", help="comma-separated runtime names (default: all)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--python", default=sys.executable, help="Python for new full envs")
    p.add_argument("--skip-generate", action="store_true")
    p.add_argument("--skip-measure", action="store_true")
    p.add_argument("--skip-envs", action="store_true", help="use the envs as they are")
    p.add_argument(
        "--keep-ci",
        action="store_true",
        help="leave the CI lines' committed artifacts and matrix.json cells as they are",
    )
    p.add_argument(
        "--missing-only",
        action="store_true",
        help="measure only the cells matrix_extended.json does not hold yet (after --skip-generate)",
    )
    p.add_argument(
        "--restart",
        action="store_true",
        help="start over instead of continuing an unfinished run of the same command",
    )
    m = sub.add_parser("merge", help="merge measured column files (probe measure --extended)")
    m.add_argument("columns", nargs="+", type=Path)
    for q in (p, m):
        q.add_argument("--corpus", type=Path, default=GENERATED)
        q.add_argument("--matrix", type=Path, default=MATRIX)
        q.add_argument("--extended", type=Path, default=MATRIX_EXTENDED)
    args = parser.parse_args(argv)
    if args.command == "merge":
        write(args.columns, args.corpus, args.matrix, args.extended)
        return 0
    return regenerate(args)


if __name__ == "__main__":
    sys.exit(main())
