"""The Ray backend against the local one on the same tree, on this machine: what the engine costs.

Builds a tree of N small real artifacts (`tree_bench.build`: `.h5`, `.keras`, SavedModel,
architecture JSON, hard-linked from the corpus), then prints one JSON line per figure:

- `local`: `migrator audit TREE --format json` wall time with the local backend (`--jobs`);
- `ray_cold`: the same command with `--backend ray`, which starts a local Ray cluster and stops
  it (what one command line costs);
- `ray_warm`: `audit()` on a cluster already running (this process connected as driver), for
  each read-chunk size in `--chunks` (1: one task per artifact);
- `ray_task`: the round trip of an empty Ray task (submit + get), the per-task overhead a
  conversion task pays on top of its minutes of work;
- `bytes`: what crosses the engine per artifact (a pickled candidate out, a judged artifact back);
- `driver`: what the driver spends per artifact whatever the cluster's size (unpickling a judged
  artifact and writing it into the JSON report), and per conversion (the ledger's two SQLite
  transactions): the ceilings docs/scaling.md extrapolates from;
- `identical`: whether the two JSON reports are byte for byte the same.

    python benchmarks/ray_bench.py --artifacts 2000 --jobs 2 --chunks 8 32 128

Needs the `ray` extra. The cluster it starts uses every core and a 256 MB object store.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from tree_bench import build  # noqa: E402


def _say(figure: str, **values: object) -> None:
    print(json.dumps({"figure": figure, **values}), flush=True)


def _command(tree: Path, out: Path, *extra: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO), RAY_USAGE_STATS_ENABLED="0")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "audit", str(tree), "--format", "json"]
        + ["-o", str(out), "--exit-zero", *extra],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 2):
        raise SystemExit(f"audit failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def _judges() -> list[object]:
    from functools import partial

    from migrator import loadability
    from migrator.rules import check_artifact
    from migrator.rules.config import Config

    return [loadability.judge, partial(check_artifact, config=Config())]


def _bytes_and_driver(tree: Path, jobs: int) -> None:
    import io

    from migrator.audit import audit
    from migrator.convert import Options
    from migrator.convert.ledger import Ledger
    from migrator.discover import discover
    from migrator.report.json_report import write_stream

    candidates = discover(tree).candidates
    report = audit([tree], judges=_judges(), jobs=jobs)
    count = max(1, len(report.artifacts))
    pickled = [pickle.dumps(a) for a in report.artifacts]
    out = sum(len(pickle.dumps(("", c))) for c in candidates) / max(1, len(candidates))
    _say("bytes", candidate_out=round(out), artifact_back=round(sum(map(len, pickled)) / count))
    start = time.perf_counter()
    sink = io.StringIO()
    write_stream(
        sink.write,
        root=report.root,
        artifacts=(pickle.loads(p) for p in pickled),
        errors=(),
        sources=(),
        skipped=(),
    )
    audit_ms = (time.perf_counter() - start) * 1000 / count
    with tempfile.TemporaryDirectory() as out_root, Ledger(Path(out_root), Options()) as ledger:
        start = time.perf_counter()
        for i in range(count):
            ledger.start(f"m{i}", f"{i:064x}")
            ledger.finish(f"m{i}", f"{i:064x}", "converted", {"path": f"m{i}"})
        ledger_ms = (time.perf_counter() - start) * 1000 / count
    _say(
        "driver",
        ms_per_artifact_audit=round(audit_ms, 3),
        ms_per_conversion_ledger=round(ledger_ms, 3),
    )


def _warm(tree: Path, jobs: int, chunks: list[int]) -> None:
    import ray

    from migrator.audit import audit
    from migrator.backends import ray_cluster

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    start = time.perf_counter()
    ray.init(
        num_cpus=os.cpu_count() or 1,
        include_dashboard=False,
        object_store_memory=ray_cluster.LOCAL_OBJECT_STORE,
        log_to_driver=False,
        logging_level="ERROR",
    )
    _say("ray_start", seconds=round(time.perf_counter() - start, 2))
    try:
        noop = ray.remote(_noop).options(num_cpus=1, max_retries=0)
        ray.get([noop.remote() for _ in range(20)])  # workers started and warm
        count = 500
        start = time.perf_counter()
        for _ in range(count):
            ray.get(noop.remote())
        serial = (time.perf_counter() - start) / count
        start = time.perf_counter()
        ray.get([noop.remote() for _ in range(count)])
        batched = (time.perf_counter() - start) / count
        _say(
            "ray_task", ms_round_trip=round(serial * 1000, 2), ms_pipelined=round(batched * 1000, 2)
        )
        default = ray_cluster.CHUNK_MAX
        for size in chunks:
            ray_cluster.CHUNK_MAX = size
            with ray_cluster.RayBackend() as backend:
                start = time.perf_counter()
                report = audit([tree], judges=_judges(), jobs=jobs, backend=backend)
                seconds = time.perf_counter() - start
            _say(
                "ray_warm",
                chunk_max=size,
                artifacts=len(report.artifacts),
                seconds=round(seconds, 2),
                per_s=round(len(report.artifacts) / seconds, 1),
            )
        ray_cluster.CHUNK_MAX = default
    finally:
        ray.shutdown()


def _noop() -> int:
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2, help="local reader processes")
    parser.add_argument("--chunks", type=int, nargs="+", default=[8, 32, 128])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ray-bench-") as tmp:
        tree = Path(tmp) / "tree"
        start = time.perf_counter()
        build(tree, args.artifacts)
        _say("build", artifacts=args.artifacts, seconds=round(time.perf_counter() - start, 1))
        local_json, ray_json = Path(tmp) / "local.json", Path(tmp) / "ray.json"
        seconds = _command(tree, local_json, "--jobs", str(args.jobs))
        _say(
            "local",
            jobs=args.jobs,
            seconds=round(seconds, 2),
            per_s=round(args.artifacts / seconds, 1),
        )
        seconds = _command(tree, ray_json, "--jobs", "1", "--backend", "ray")
        _say("ray_cold", seconds=round(seconds, 2), per_s=round(args.artifacts / seconds, 1))
        _say("identical", json_report=local_json.read_bytes() == ray_json.read_bytes())
        _bytes_and_driver(tree, args.jobs)
        _warm(tree, 1, args.chunks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
