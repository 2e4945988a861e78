"""Recall and false positives of the code rules (MIG2xx) on real repositories, against hand labels.

The repositories are public training code checked out by the measurer into one folder, one
sub-folder per repository (named `owner+name`, as `fetch` names them); none of their code lives in
this project. The labels file (`code_recall_labels.json`) holds, per repository, only paths, line
numbers and the label given by hand after reading the code around each line: the rule id an
outdated saving/loading call should get, or "current" for a call that is fine under Keras 3 and TF
2.21 (and so must get no finding). Lines inside notebooks are `cell:line`.

    python benchmarks/code_recall.py REPOS_DIR [--labels FILE] [--candidates]

prints, per repository: outdated calls, found, missed, false positives (a finding on a line
labelled "current", or on a line nobody labelled: every finding must be accounted for), then the
totals and every miss and false positive. `--candidates` instead lists, for labelling, every line
that mentions a saving/loading API or carries a finding, with the findings already given.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migrator.rules import check_source

LABELS = Path(__file__).with_name("code_recall_labels.json")

# The saving/loading APIs the code rules exist for, as text: what a labeller must look at.
CANDIDATE = re.compile(
    r"\.save\(|save_weights|load_weights|load_model|ModelCheckpoint|save_format|SavedModelBuilder|"
    r"saved_model\.(builder|Builder|simple_save|loader)|simple_save|\bSaver\(|import_meta_graph|"
    r"freeze_graph|convert_variables_to_constants|export_savedmodel|to_yaml|model_from_yaml|"
    r"save_keras_model|load_keras_model|export_saved_model|load_from_saved_model|"
    r"train\.\w+Optimizer|keras_saved_model|builder_impl|batch_input_shape|TF_USE_LEGACY_KERAS|"
    r"contrib\.learn|save_model\("
)


@dataclass
class Score:
    """One repository's counts, and the lines behind its misses and false positives."""

    outdated: int = 0
    found: int = 0
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)


def _files(repo: Path) -> Iterator[Path]:
    for path in sorted(repo.rglob("*")):
        if path.suffix in (".py", ".ipynb") and path.is_file():
            yield path


def _key(cell: int | None, line: int) -> str:
    return f"{cell}:{line}" if cell is not None else str(line)


def findings(repo: Path) -> dict[tuple[str, str], set[str]]:
    """{(path, line key): rule ids} of every code finding in one repository."""
    out: dict[tuple[str, str], set[str]] = {}
    for path in _files(repo):
        rel = path.relative_to(repo).as_posix()
        result = check_source(rel, path)
        for f in result.findings:
            out.setdefault((rel, _key(f.cell, f.line)), set()).add(f.rule)
    return out


def candidates(repo: Path) -> Iterator[tuple[str, str, str]]:
    """(path, line key, text) of every line that mentions a saving/loading API."""
    for path in _files(repo):
        rel = path.relative_to(repo).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            try:
                cells = json.loads(text).get("cells", [])
            except ValueError:
                continue
            for index, cell in enumerate(cells, start=1):
                if cell.get("cell_type") != "code":
                    continue
                src = cell.get("source", "")
                src = "".join(src) if isinstance(src, list) else src
                for number, line in enumerate(src.splitlines(), start=1):
                    if CANDIDATE.search(line):
                        yield rel, _key(index, number), line.strip()
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if CANDIDATE.search(line):
                yield rel, str(number), line.strip()


def score(repo: Path, labels: dict[str, str]) -> Score:
    """Compare one repository's findings with its labels ("path:line" -> rule id or "current")."""
    got = findings(repo)
    s = Score()
    for where, label in sorted(labels.items()):
        path, _, line = where.partition(":")
        rules = got.get((path, line), set())
        if label == "current":
            if rules:
                s.false_positives.append(f"{where} {sorted(rules)}")
            continue
        for expected in label.split(","):  # one line may hold two outdated uses
            s.outdated += 1
            if expected in rules:
                s.found += 1
            else:
                s.missed.append(f"{where} expected {expected}, got {sorted(rules)}")
    for (path, line), rules in sorted(got.items()):
        if f"{path}:{line}" not in labels:
            s.false_positives.append(f"{path}:{line} {sorted(rules)} (unlabelled)")
    return s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", type=Path)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--candidates", action="store_true")
    args = parser.parse_args(argv)
    all_labels: dict[str, dict[str, str]] = json.loads(args.labels.read_text(encoding="utf-8"))
    if args.candidates:
        for name in sorted(p.name for p in args.repos.iterdir() if p.is_dir()):
            repo = args.repos / name
            got = findings(repo)
            lines = {(p, k): t for p, k, t in candidates(repo)}
            for p, k in got:
                lines.setdefault((p, k), "")
            mine = all_labels.get(name, {})
            for (p, k), text in sorted(lines.items()):
                shown = ",".join(sorted(got.get((p, k), set()))) or "-"
                label = mine.get(f"{p}:{k}", "?")
                print(f"{name}\t{p}:{k}\t{shown}\t{label}\t{text[:110]}")
        return 0
    totals = Score()
    print(f"{'repository':48} outdated found missed false+")
    for name in sorted(all_labels):
        repo = args.repos / name
        if not repo.is_dir():
            print(f"{name}: not checked out under {args.repos}", file=sys.stderr)
            continue
        s = score(repo, all_labels[name])
        print(f"{name:48} {s.outdated:8} {s.found:5} {len(s.missed):6} {len(s.false_positives):6}")
        totals.outdated += s.outdated
        totals.found += s.found
        totals.missed += [f"{name} {m}" for m in s.missed]
        totals.false_positives += [f"{name} {f}" for f in s.false_positives]
    recall = totals.found / totals.outdated if totals.outdated else 1.0
    print(
        f"{'total':48} {totals.outdated:8} {totals.found:5} {len(totals.missed):6} "
        f"{len(totals.false_positives):6}   recall {recall:.1%}"
    )
    for line in totals.missed:
        print("missed:", line)
    for line in totals.false_positives:
        print("false positive:", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
