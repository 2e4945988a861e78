"""Main-process memory of an audit as the tree grows: does it stay flat with the store?

Builds a synthetic tree of N small real artifacts, hard-linked from the corpus (a quarter each:
Keras `.h5`, `.keras` zip, SavedModel folder, `to_json()` architecture), then audits it in a fresh
child process the way `migrator audit --format json` does (discover, read and judge in the worker
pool, each artifact written to the report's temporary file as it is judged: `audit_stream` +
`json_report.write_stream`) and prints wall time, artifacts per second and the child's peak RSS
(`VmHWM`) once the report is written. `--in-memory` measures the library path instead (`audit()`
returning a whole `Report`, then the JSON text of it), with the peak before and after rendering.
Run it at two sizes to compare; flat means the same peak at both:

    python benchmarks/tree_bench.py --artifacts 10000 100000
    python benchmarks/tree_bench.py --artifacts 10000 100000 --in-memory
    python benchmarks/tree_bench.py --artifacts --big-yaml 60   # discovery of one 60 MB to_yaml()
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GEN = REPO / "corpus" / "generated" / "tf215" / "keras" / "functional"
SEEDS = {
    "h5": GEN / "save-h5" / "model.h5",
    "keras": GEN / "save-keras" / "model.keras",
    "savedmodel": REPO / "corpus" / "legacy" / "tf115_savedmodel",
}


def _link(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)


def build(root: Path, count: int) -> None:
    """`count` artifacts in folders of 100, cycling through the four kinds."""
    arch = json.dumps(
        {
            "class_name": "Sequential",
            "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"units": 2}}]},
            "keras_version": "2.4.0",
            "backend": "tensorflow",
        }
    )
    sm_files = [p for p in SEEDS["savedmodel"].rglob("*") if p.is_file()]
    for i in range(count):
        folder = root / f"d{i // 100:05d}"
        if i % 100 == 0:
            folder.mkdir(parents=True)
        kind = i % 4
        if kind == 0:
            _link(SEEDS["h5"], folder / f"m{i}.h5")
        elif kind == 1:
            _link(SEEDS["keras"], folder / f"m{i}.keras")
        elif kind == 2:
            for source in sm_files:
                dest = folder / f"sm{i}" / source.relative_to(SEEDS["savedmodel"])
                dest.parent.mkdir(parents=True, exist_ok=True)
                _link(source, dest)
        else:
            (folder / f"m{i}_model.json").write_text(arch)


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(root: Path, jobs: int, in_memory: bool = False) -> None:
    """In the child: audit like the command line, print one JSON line of figures."""
    from functools import partial

    from migrator import loadability
    from migrator.audit import audit, audit_stream
    from migrator.report import renderer
    from migrator.report.json_report import write_stream
    from migrator.rules import check_artifact, check_source

    options = {
        "judges": [loadability.judge, check_artifact],
        "code_rules": partial(check_source),
        "jobs": jobs,
    }
    started = time.monotonic()
    if in_memory:
        report = audit([root], **options)
        audited = time.monotonic() - started
        after_audit = _vm_hwm_mb()
        text = renderer("json")(report)
        count = len(report.artifacts)
        errors = sum(1 for a in report.artifacts if a.errors) + len(report.errors)
        size = len(text)
    else:
        with tempfile.TemporaryFile("w+", encoding="utf-8") as fh:
            with audit_stream([root], **options) as stream:
                summary = write_stream(
                    fh.write,
                    root=stream.root,
                    artifacts=stream.artifacts,
                    errors=stream.errors,
                    sources=stream.sources,
                    skipped=stream.skipped,
                )
            size = fh.tell()
        audited = time.monotonic() - started
        after_audit = None  # audit and report are one pass
        count = summary.artifacts
        errors = summary.artifacts_with_errors + len(stream.errors)
    figures = {
        "mode": "in-memory" if in_memory else "streamed",
        "artifacts": count,
        "errors": errors,
        "audit_s": round(audited, 1),
        "per_s": round(count / audited, 1),
        "peak_rss_mb_after_audit": None if after_audit is None else round(after_audit, 1),
        "peak_rss_mb_after_json_report": round(_vm_hwm_mb(), 1),
        "report_mb": round(size / 2**20, 1),
    }
    print(json.dumps(figures))


def big_yaml(root: Path, megabytes: int) -> None:
    """In the child: time discovery (main process) of one Keras-shaped YAML of `megabytes` MB."""
    from migrator.discover import discover

    layer = "  - class_name: Dense\n    config: {name: d%d, units: 2, activation: relu}\n"
    path = root / "model.yaml"
    with open(path, "w") as fh:
        fh.write("class_name: Sequential\nconfig:\n  layers:\n")
        i = 0
        while fh.tell() < megabytes * 2**20:
            fh.write(layer % i)
            i += 1
    started = time.monotonic()
    found = discover(root)
    figures = {
        "yaml_mb": round(path.stat().st_size / 2**20, 1),
        "claimed_by": [c.reader for c in found.candidates],
        "discover_s": round(time.monotonic() - started, 2),
        "peak_rss_mb": round(_vm_hwm_mb(), 1),
    }
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--artifacts", type=int, nargs="*", default=[10_000, 100_000])
    p.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    p.add_argument("--big-yaml", type=int, metavar="MB", help="time discovery of one big YAML")
    p.add_argument("--in-memory", action="store_true", help="measure audit() + render() instead")
    p.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run and args.big_yaml:
        big_yaml(args.run, args.big_yaml)
        return 0
    if args.run:
        run(args.run, args.jobs, args.in_memory)
        return 0
    if args.big_yaml:
        with tempfile.TemporaryDirectory(prefix="migrator-yaml-") as tmp:
            child = [sys.executable, __file__, "--run", tmp, "--big-yaml", str(args.big_yaml)]
            print(subprocess.run(child, capture_output=True, text=True, check=True).stdout.strip())
    for count in args.artifacts:
        with tempfile.TemporaryDirectory(prefix="migrator-tree-") as tmp:
            started = time.monotonic()
            build(Path(tmp), count)
            built = time.monotonic() - started
            child = subprocess.run(
                [sys.executable, __file__, "--run", tmp, "--jobs", str(args.jobs)]
                + (["--in-memory"] if args.in_memory else []),
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                print(child.stderr[-2000:], file=sys.stderr)
                return 1
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            figures["build_s"] = round(built, 1)
            figures["requested"] = count
            print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
