"""What `migrator convert s3://...` downloads, and how much local disk it holds at once.

Builds a tree of at least N artifacts from the generated corpus (as benchmarks/s3_bench.py
does), uploads it to the S3 server of tests/s3_server.py (moto on loopback behind the counting
proxy), and runs `migrator convert s3://bench/tree -o OUT` as a user would, in a fresh process,
with no TensorFlow runtime configured: every artifact is read and classified, and each one a
runtime would load is fetched right before its conversion (which then fails at once for want of
a runtime) and deleted after. Prints, counted at the server: the whole-object downloads (how
many, and their bytes) against the objects and bytes of the tree (which is about what staging
every artifact up front, before this change, downloaded), and all bytes sent; and, from a thread
watching the staging folder every 10 ms, the most local disk staging held at one time, for each
`--jobs`.

    python benchmarks/store_convert_bench.py --artifacts 300 --jobs 1 4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.s3_bench import build_tree, upload  # noqa: E402
from migrator.convert.managed import disk_size  # noqa: E402
from tests.s3_server import running_s3  # noqa: E402


def _convert(server: object, work: Path, tree: Path, jobs: int) -> dict[str, float]:
    cache = work / f"cache-{jobs}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATOR_RUNTIME")}
    env.update(XDG_CACHE_HOME=str(work / "xdg"), MIGRATOR_STORE_CACHE=str(cache))
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], disk_size(cache / "src"))
            time.sleep(0.01)

    server.counts.reset()  # type: ignore[attr-defined]
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "migrator", "convert", "s3://bench/tree", "-o"]
        + [str(work / f"out-{jobs}"), "--json", "--jobs", str(jobs)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    if result.returncode not in (0, 2):
        sys.exit(f"convert failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    counts = server.counts  # type: ignore[attr-defined]
    fetched = {k for k, n in counts.whole.items() if n}
    return {
        "wall": wall,
        "artifacts": sum(report["summary"].values()),
        "downloads": sum(counts.whole.values()),
        "objects": len(fetched),
        "fetched": sum((tree / k.removeprefix("bench/tree/")).stat().st_size for k in fetched),
        "sent": counts.total(),
        "peak": peak[0],
        "left": disk_size(cache / "src"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=int, default=300)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_s3() as server:
        work = Path(tmp)
        tree = work / "tree"
        tree.mkdir()
        artifacts, files, size = build_tree(tree, args.artifacts)
        server.client().create_bucket(Bucket="bench")
        upload(server, tree, "bench")
        print(f"tree: {artifacts} artifacts, {files} files, {size / 2**20:.1f} MiB")
        for jobs in args.jobs:
            r = _convert(server, work, tree, jobs)
            print(
                f"convert --jobs {jobs}: {r['wall']:.1f} s, {r['artifacts']:.0f} outcomes; "
                f"{r['downloads']:.0f} whole downloads of "
                f"{r['objects']:.0f} of {files} objects, {r['fetched'] / 2**20:.2f} MiB of "
                f"{size / 2**20:.1f} MiB; server sent {r['sent'] / 2**20:.2f} MiB in all "
                f"(ranged reads and listings included); staging peak "
                f"{r['peak'] / 2**10:.0f} KiB, left after the run {r['left']:.0f} bytes"
            )


if __name__ == "__main__":
    main()
