"""List the measured cells that today's predictions (`migrator.loadability`) get wrong.

    python -m corpus.disagreements [--out FILE]

Reads the committed corpus once with the readers (no TensorFlow), predicts every cell of
``matrix.json`` and ``matrix_extended.json`` for the runtime it was measured in, and prints one
tab-separated line per disagreement: artifact, runtime, loader, measured (verdict and needs, the
error), predicted (verdict and needs, the reason). The causes are fixed in the verdict code; this
is how the cells that point at them are found.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from corpus import ENVS, GENERATED, MATRIX, MATRIX_EXTENDED
from migrator.knowledge.runtimes import RUNTIMES, MeasuredRuntime
from migrator.knowledge.versions import parse


def _runtime(measured: MeasuredRuntime) -> Any:
    from migrator.loadability.runtimes import Runtime, labelled

    tf_keras = parse(measured.tf_keras) if measured.tf_keras else None
    return labelled(Runtime(parse(measured.tensorflow), parse(measured.keras), tf_keras))


def _cells(matrix: dict[str, Any], extended: dict[str, Any]) -> list[tuple[str, str, str, dict]]:
    """(artifact, runtime name, loader, record) for every measured cell."""
    names = {line: env for line, env in ENVS.items()}
    out = []
    for artifact, entry in matrix["artifacts"].items():
        for key, record in entry["cells"].items():
            line, loader = key.split("/", 1)
            out.append((artifact, names[line], loader, record))
    for artifact, entry in extended["artifacts"].items():
        for key, record in entry["cells"].items():
            name, loader = key.split("/", 1)
            out.append((artifact, name, loader, record))
    return out


def disagreements(matrix_path: Path = MATRIX, extended_path: Path = MATRIX_EXTENDED) -> list[str]:
    from migrator.audit import audit
    from migrator.loadability import predict_cells

    matrix = json.loads(matrix_path.read_text(encoding="utf-8"))
    extended = json.loads(extended_path.read_text(encoding="utf-8"))
    paths = {a: e["path"] for a, e in matrix["artifacts"].items()}
    paths.update({a: e["path"] for a, e in extended["artifacts"].items()})
    report = audit([GENERATED])

    def reading(path: str) -> Any:
        """The one artifact the readers report at or under `path` (as tests/conftest does)."""
        under = [a for a in report.artifacts if a.path == path or a.path.startswith(path + "/")]
        return under[0] if len(under) == 1 else None

    runtimes = {r.name: _runtime(r) for r in RUNTIMES}
    predicted: dict[tuple[str, str], dict[str, Any]] = {}
    rows = []
    for artifact, name, loader, record in sorted(_cells(matrix, extended)):
        found = reading(paths[artifact])
        if found is None:
            rows.append(f"{artifact}\t{name}\t{loader}\tmeasured {record['verdict']}\tnot read")
            continue
        if (artifact, name) not in predicted:
            cells = predict_cells(found, [runtimes[name]])
            predicted[(artifact, name)] = {k.split("/", 1)[1]: v for k, v in cells.items()}
        guess = predicted[(artifact, name)].get(loader)
        if guess is None:
            rows.append(
                f"{artifact}\t{name}\t{loader}\tmeasured {record['verdict']}\tno prediction"
            )
            continue
        if (guess.verdict, sorted(guess.needs)) == (record["verdict"], record["needs"]):
            continue
        error = record.get("last_error") or record.get("error") or ""
        rows.append(
            f"{artifact}\t{name}\t{loader}\tmeasured {record['verdict']} {record['needs']} "
            f"({error[:160]})\tpredicted {guess.verdict} {list(guess.needs)} ({guess.reason[:160]})"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the lines here (default: stdout)")
    parser.add_argument("--matrix", type=Path, default=MATRIX)
    parser.add_argument("--extended", type=Path, default=MATRIX_EXTENDED)
    args = parser.parse_args(argv)
    os.environ.setdefault("MIGRATOR_JOBS", "0")
    rows = disagreements(args.matrix, args.extended)
    header = "artifact\truntime\tloader\tmeasured\tpredicted"
    text = "\n".join([header, *rows]) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(f"{len(rows)} disagreeing cells", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
