"""Regenerate the whole loadability matrix: every runtime of `migrator.knowledge.runtimes` writes
its artifacts, then every runtime measures every artifact (what `tox -e matrix` runs).

    python -m corpus.extended regenerate --toxworkdir .tox [--runtimes tf217,tf219-keras35]
        [--skip-generate] [--skip-measure] [--jobs 2]
    python -m corpus.extended merge --toxworkdir .tox   # the measured columns -> the two files

The cells split into two files by who re-measures them:

- ``matrix.json``: the four CI lines on the CI lines' artifacts, keyed ``2.16/<loader>``. Each
  tox TF env re-measures its column of it (tests/test_matrix.py), unchanged.
- ``matrix_extended.json``: every other cell, keyed ``<runtime>/<loader>`` (``tf217/...``,
  ``tf219-keras35/keras.load_model``): the new runtimes on every artifact, and the CI lines on the
  artifacts the new runtimes wrote. Only ``tox -e matrix`` re-measures it.

Together they hold every (artifact, runtime, applicable loader) cell once. Imports neither NumPy
nor TensorFlow: each step runs in the runtime's own interpreter (`corpus.envs`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from corpus import ENVS, GENERATED, MATRIX, MATRIX_EXTENDED, envs
from corpus.probe import NEEDS, SCHEMA_VERSION, TOLERANCE, artifacts, merge, write_json
from migrator.knowledge.runtimes import RUNTIMES, by_name
from migrator.loadability import LOADERS


def _run(name: str, toxworkdir: Path, args: list[str]) -> None:
    python, extra = envs.interpreter(by_name(name), toxworkdir)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0", **extra}
    subprocess.run([str(python), *args], cwd=envs.REPO, env=env, check=True)


def _column_path(toxworkdir: Path, name: str) -> Path:
    return toxworkdir / "matrix-columns" / f"{name}.json"


def split(columns: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Extended columns -> (CI columns in matrix.json's shape, the rest)."""
    ci_envs = set(ENVS.values())
    ci_columns, rest = [], []
    for column in columns:
        runtime = by_name(column["env"])
        ci_cells: dict[str, dict[str, Any]] = {}
        other: dict[str, dict[str, Any]] = {}
        for artifact, cells in column["cells"].items():
            if runtime.ci and artifact.split("/")[0] in ci_envs:
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


def merge_extended(
    columns: list[dict[str, Any]], corpus: Path = GENERATED, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The extended matrix from measured columns; runtimes not measured now keep their cells
    from `previous` (a partial regeneration)."""
    measured = {c["env"] for c in columns}
    table: dict[str, dict[str, Any]] = {}
    for entry in artifacts(corpus, extended=True):
        table[entry["id"]] = {
            "format": entry["format"],
            "framework": entry["framework"],
            "model": entry["model"],
            "api": entry["api"],
            "path": entry["path"],
            "cells": {},
        }
    runtimes: dict[str, Any] = {}
    if previous:
        for name, info in previous["runtimes"].items():
            if name not in measured:
                runtimes[name] = info
        for artifact, entry in previous["artifacts"].items():
            if artifact in table:
                table[artifact]["cells"].update(
                    (k, v) for k, v in entry["cells"].items() if k.split("/")[0] not in measured
                )
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
            "verdicts": dict(sorted(verdicts.items())),
        },
        "needs": NEEDS,
        "artifacts": {
            k: {**v, "cells": dict(sorted(v["cells"].items()))} for k, v in sorted(table.items())
        },
    }


def write(
    toxworkdir: Path, names: list[str], corpus: Path, matrix_path: Path, extended_path: Path
) -> None:
    columns = [json.loads(_column_path(toxworkdir, n).read_text(encoding="utf-8")) for n in names]
    ci_columns, rest = split(columns)
    if {c["env"] for c in ci_columns} == set(ENVS.values()):
        matrix = merge(ci_columns, corpus)
        write_json(matrix_path, matrix)
        print(f"wrote {matrix_path}: {matrix['size']}", flush=True)
    elif ci_columns:
        print(f"{matrix_path} left alone: only some CI lines were measured", flush=True)
    previous = (
        json.loads(extended_path.read_text(encoding="utf-8")) if extended_path.is_file() else None
    )
    extended = merge_extended(rest, corpus, previous)
    write_json(extended_path, extended)
    print(f"wrote {extended_path}: {extended['size']}", flush=True)


def regenerate(args: argparse.Namespace) -> int:
    names = args.runtimes.split(",") if args.runtimes else [r.name for r in RUNTIMES]
    toxworkdir: Path = args.toxworkdir
    for name in [] if args.skip_envs else names:
        started = time.monotonic()
        done = envs.build(by_name(name), toxworkdir, args.python)
        print(f"env {name}: {done} ({time.monotonic() - started:.0f}s)", flush=True)
    if not args.skip_generate:
        for name in names:
            started = time.monotonic()
            generate = [
                "-m",
                "corpus.generate",
                "--out",
                str(args.corpus),
                "--jobs",
                str(args.jobs),
            ]
            if by_name(name).ci and not args.keep_ci:
                _run(name, toxworkdir, generate)  # the committed set, which CI checks
            _run(name, toxworkdir, [*generate, "--extended"])
            print(f"generate {name}: {time.monotonic() - started:.0f}s", flush=True)
    if not args.skip_measure:
        for name in names:
            started = time.monotonic()
            out = _column_path(toxworkdir, name)
            out.parent.mkdir(parents=True, exist_ok=True)
            _run(
                name,
                toxworkdir,
                ["-m", "corpus.probe", "measure", "--extended", "--corpus", str(args.corpus),
                 "--out", str(out), "--jobs", str(args.jobs)]
                + (["--skip-ci-cells"] if args.keep_ci else []),
            )  # fmt: skip
            print(f"measure {name}: {time.monotonic() - started:.0f}s", flush=True)
    if not args.skip_measure:
        write(toxworkdir, names, args.corpus, args.matrix, args.extended)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("regenerate", "merge"):
        p = sub.add_parser(command)
        p.add_argument("--toxworkdir", type=Path, required=True)
        p.add_argument("--runtimes", help="comma-separated runtime names (default: all)")
        p.add_argument("--corpus", type=Path, default=GENERATED)
        p.add_argument("--matrix", type=Path, default=MATRIX)
        p.add_argument("--extended", type=Path, default=MATRIX_EXTENDED)
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
    args = parser.parse_args(argv)
    if args.command == "merge":
        names = args.runtimes.split(",") if args.runtimes else [r.name for r in RUNTIMES]
        write(args.toxworkdir, names, args.corpus, args.matrix, args.extended)
        return 0
    return regenerate(args)


if __name__ == "__main__":
    sys.exit(main())
