"""An audit of an object store against the same audit on local disk: wall time and bytes moved.

Builds a tree of at least N artifacts by copying the generated corpus (tf215 and tf221: Keras
1/2 `.h5`, `.keras` zips, SavedModels, checkpoints, TF.js, TFLite, frozen graphs; ~60 artifacts
each) as many times as needed, uploads it to an S3-compatible server started here on loopback
(moto in server mode behind the counting proxy of tests/s3_server.py), then runs
`migrator audit --format json` as a user would, in a fresh process, on the local tree and on
`s3://bench/tree`, and prints for each: wall time, artifacts per second, and for the store the
bytes the server sent (counted at the server, per response body) and the number of requests,
against the bytes of the tree. The two JSON reports are compared (paths aside): they must be
equal. The server runs in this process, so on a small machine it competes with the audit for
CPU; a real store's latency (~10-30 ms a request in region) is of the same order as this one's.

    python benchmarks/s3_bench.py --artifacts 2000 --jobs 2 8

`--flat N` measures discovery alone on one folder of N small `.h5` objects, sniffing one object
at a time against the default (each sniff fetches the next siblings' heads in one concurrent
round, migrator/storage/tree.py), with requests and bytes counted at the server:

    python benchmarks/s3_bench.py --flat 300

`--tree N` measures discovery alone on N model folders (a SavedModel and an `.h5` in each) with
`--latency MS` added to every request at the proxy (20 by default: a real store's round trip),
one listing at a time against listings sent ahead (migrator/storage/ahead.py):

    python benchmarks/s3_bench.py --tree 500 --latency 20
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SEEDS = [REPO / "corpus" / "generated" / "tf215", REPO / "corpus" / "generated" / "tf221"]


def _count_artifacts(tree: Path) -> int:
    result = _audit(str(tree), jobs=2)[1]
    return int(result["summary"]["artifacts"])


def build_tree(root: Path, artifacts: int) -> tuple[int, int, int]:
    """Copies of the seeds under root/copyNNN until >= `artifacts`: (artifacts, files, bytes)."""
    per_seed = [_count_artifacts(seed) for seed in SEEDS]
    copies = 0
    total = 0
    while total < artifacts:
        seed = SEEDS[copies % len(SEEDS)]
        shutil.copytree(seed, root / f"copy{copies:04d}")
        total += per_seed[copies % len(SEEDS)]
        copies += 1
    files = [p for p in root.rglob("*") if p.is_file()]
    return total, len(files), sum(p.stat().st_size for p in files)


def upload(server: object, root: Path, bucket: str) -> float:
    client = server.client()  # type: ignore[attr-defined]
    client.create_bucket(Bucket=bucket)
    files = [p for p in root.rglob("*") if p.is_file()]
    start = time.perf_counter()

    def put(path: Path) -> None:
        client.upload_file(str(path), bucket, f"tree/{path.relative_to(root).as_posix()}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, files))
    return time.perf_counter() - start


def _audit(target: str, jobs: int) -> tuple[float, dict]:
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "migrator",
            "audit",
            target,
            "--format",
            "json",
            "--jobs",
            str(jobs),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "MIGRATOR_JOBS": str(jobs)},
    )
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"audit of {target} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, json.loads(result.stdout)


def flat(count: int, rounds: int = 2) -> None:
    """Discovery of one folder of `count` objects: one sniff at a time vs sniffs read ahead."""
    import migrator.storage.store as store
    import migrator.storage.tree as tree
    from migrator.discover import discover
    from migrator.storage import location, ranges
    from tests.s3_server import running_s3

    seed = SEEDS[0] / "keras" / "sequential" / "save-h5" / "model.h5"
    body = seed.read_bytes()
    ahead = tree.SNIFF_AHEAD
    with running_s3() as server:
        client = server.client()
        client.create_bucket(Bucket="flat")
        with ThreadPoolExecutor(8) as pool:
            keys = [f"models/m{i:05d}.h5" for i in range(count)]
            list(pool.map(lambda k: client.put_object(Bucket="flat", Key=k, Body=body), keys))
        print(f"{'discovery of':<34} {'wall s':>7} {'requests':>9} {'KiB sent':>9}")
        for _ in range(rounds):
            for label, depth in (("one sniff at a time", 0), (f"sniffs {ahead} ahead", ahead)):
                store._listings.clear()
                ranges._blocks.clear()
                server.counts.reset()
                tree.SNIFF_AHEAD = depth
                start = time.perf_counter()
                found = discover(location("s3://flat/models"))
                took = time.perf_counter() - start
                assert len(found.candidates) == count
                requests = sum(server.counts.requests.values())
                print(
                    f"{count} objects, {label:<20} {took:>7.2f} {requests:>9} "
                    f"{server.counts.total() / 1024:>9.0f}"
                )
    tree.SNIFF_AHEAD = ahead


def tree(folders: int, latency_ms: float, rounds: int = 2) -> None:
    """Discovery alone of `folders` model folders (a SavedModel with its variables/ folder and
    an .h5 beside it in each, two levels deep): the walk listing one folder at a time against
    listings sent ahead, concurrently (migrator/storage/ahead.py), with `latency_ms` added to
    every request by the proxy (a real store's round trip); listings counted at the server."""
    import migrator.storage.ahead as ahead
    import migrator.storage.store as store
    from migrator.discover import discover
    from migrator.storage import location, ranges
    from tests.s3_server import running_s3

    seed = SEEDS[0] / "keras" / "sequential"
    saved = seed / "save-dir"
    h5 = (seed / "save-h5" / "model.h5").read_bytes()
    files = {
        p.relative_to(saved).as_posix(): p.read_bytes() for p in saved.rglob("*") if p.is_file()
    }
    threads = ahead.THREADS
    with running_s3() as server:
        client = server.client()
        client.create_bucket(Bucket="tree")
        keys = []
        for i in range(folders):
            base = f"models/team{i % 20:02d}/m{i:05d}"
            keys.append((f"{base}/model.h5", h5))
            keys.extend((f"{base}/saved/{rel}", body) for rel, body in files.items())
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda kv: client.put_object(Bucket="tree", Key=kv[0], Body=kv[1]), keys))
        server.latency[0] = latency_ms / 1000
        print(f"{folders} model folders, {len(keys)} objects, {latency_ms:g} ms per request")
        print(f"{'discovery':<30} {'wall s':>7} {'listings':>9} {'requests':>9} {'artifacts':>9}")
        for _ in range(rounds):
            for label, count in (
                ("one listing at a time", 0),
                (f"{threads} listings ahead", threads),
            ):
                store._listings.clear()
                ranges._blocks.clear()
                location("s3://tree").fs.invalidate_cache()  # s3fs's own listing cache
                server.counts.reset()
                ahead.THREADS = count
                start = time.perf_counter()
                found = discover(location("s3://tree/models"))
                took = time.perf_counter() - start
                calls = list(server.counts.calls)
                listings = sum(1 for c in calls if c.startswith("GET") and "list-type=2" in c)
                print(
                    f"{label:<30} {took:>7.2f} {listings:>9} {len(calls):>9} "
                    f"{len(found.candidates):>9}"
                )
    ahead.THREADS = threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=int, default=2000, help="at least this many")
    parser.add_argument("--jobs", type=int, nargs="+", default=[2, 8], help="reader processes")
    parser.add_argument("--flat", type=int, metavar="N", help="only: discovery of N objects")
    parser.add_argument("--tree", type=int, metavar="N", help="only: discovery of N folders")
    parser.add_argument("--latency", type=float, default=20.0, help="ms per request (--tree)")
    args = parser.parse_args()
    if args.tree:
        tree(args.tree, args.latency)
        return
    if args.flat:
        flat(args.flat)
        return

    from tests.s3_server import running_s3

    with tempfile.TemporaryDirectory(prefix="s3-bench-") as tmp, running_s3() as server:
        root = Path(tmp) / "tree"
        root.mkdir()
        count, files, size = build_tree(root, args.artifacts)
        took = upload(server, root, "bench")
        print(f"tree: {count} artifacts, {files} files, {size / 2**20:.1f} MiB")
        print(f"upload to the local S3 server: {took:.1f} s")
        print(
            f"{'where':<28} {'jobs':>4} {'wall s':>8} {'art/s':>7} {'MiB sent':>9} {'requests':>9}"
        )
        for jobs in args.jobs:
            local_s, local = _audit(str(root), jobs)
            print(
                f"{'local disk':<28} {jobs:>4} {local_s:>8.1f} {count / local_s:>7.1f} "
                f"{'-':>9} {'-':>9}"
            )
            server.counts.reset()
            remote_s, remote = _audit("s3://bench/tree", jobs)
            sent = server.counts.total()
            requests = sum(server.counts.requests.values())
            print(
                f"{'s3://bench/tree (moto)':<28} {jobs:>4} {remote_s:>8.1f} "
                f"{count / remote_s:>7.1f} {sent / 2**20:>9.2f} {requests:>9}"
            )
            print(
                f"  bytes sent / tree bytes: {100 * sent / size:.1f}%; per artifact: "
                f"{sent / count / 1024:.1f} KiB, {requests / count:.1f} requests; "
                f"store/local wall: {remote_s / local_s:.1f}x"
            )
            local.pop("root"), remote.pop("root")
            print(f"  reports equal (paths aside): {local == remote}")


if __name__ == "__main__":
    main()
