"""Throughput of `migrator convert` on a tree of small legacy models, at --jobs 1 and --jobs 2.

Builds (once, in --workdir) a tree of `--models` small Keras 2 HDF5 models written by the TF
lines available (tf.keras 2.12, tf.keras 2.15, tf_keras 2.16, tf_keras 2.21: each runtime writes
its share, Sequential and functional shapes with seeded weights), then converts the whole tree
with the real command line, once per --jobs value, into a fresh output folder, and prints:

- wall time and models per minute, and the speed-up of --jobs 2 over --jobs 1;
- runtime start-ups: how many interpreters of each runtime imported TensorFlow (fork servers, or
  workers started on their own), and how many workers were forked from a fork server (sampled
  from /proc; one start-up per runtime per batch is the target);
- peak memory of the whole batch: the largest sum, over one sample, of the resident memory (RSS)
  and of the proportional set size (PSS: pages shared by forked workers counted once) of the
  command and all its descendants (fork servers, workers and readers), sampled every 0.2 s;
- CPU time of the whole batch and how many cores it kept busy on average, and from the
  --jobs 1 figure the ceiling of any speed-up on this machine: --jobs 1 already runs the
  source's era runtime and the newest runtime at once, so it does not leave cores idle.

    python benchmarks/convert_tree_bench.py [--workdir DIR] [--models 210] [--jobs 1 2]
        [--repeat N] [--trace PREFIX]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from migrator.convert import runtimes  # noqa: E402

MAKE = r"""
import os, sys, numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
flavour, folder, count, offset = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if flavour == "tf_keras":
    import tf_keras as k
else:
    from tensorflow import keras as k
L = k.layers
os.makedirs(folder, exist_ok=True)
for i in range(count):
    rng = np.random.default_rng(offset + i)
    width = 4 + i % 5
    if i % 2:
        inp = k.Input((6,), name="x")
        h = L.Dense(width, activation="relu", name="h")(inp)
        model = k.Model(inp, L.Dense(3, name="out")(L.Concatenate(name="c")([h, inp])))
    else:
        model = k.Sequential([k.Input((6,), name="x"), L.Dense(width, activation="tanh",
                              name="h"), L.Dense(3, name="out")])
    model.set_weights([rng.standard_normal(w.shape).astype("float32") for w in model.weights])
    model.save(os.path.join(folder, f"m{i:03d}.h5"))
"""


def build_tree(tree: Path, count: int) -> list[str]:
    """Write `count` models split across the available Keras 2 writers; returns their names."""
    writers = []
    for rt in runtimes.available():
        if rt.keras_major == 2:
            writers.append((rt, "tf.keras"))
        elif rt.has_tf_keras:
            writers.append((rt, "tf_keras"))
    if len(writers) < 3:
        raise SystemExit("needs at least three TF lines with a Keras 2 writer")
    per = -(-count // len(writers))
    names = []
    for index, (rt, flavour) in enumerate(writers):
        folder = tree / f"{rt.name}_{flavour.replace('.', '_')}"
        names.append(f"{rt.name} ({flavour}): {per}")
        if folder.is_dir() and len(list(folder.glob("*.h5"))) == per:
            continue
        subprocess.run(
            [str(rt.python), "-c", MAKE, flavour, str(folder), str(per), str(index * 1000)],
            check=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""},
        )
    return names


def _tree_of(root: int) -> list[int]:
    """The process `root` and all its descendants (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in KiB. RSS counts the pages forked workers share with their
    fork server in every one of them; PSS divides shared pages among their sharers."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _runtime_process(pid: int, pythons: dict[str, str]) -> tuple[str, str, int] | None:
    """(runtime, "server" | "worker", parent pid) of a runtime process of the batch."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            parent = int(fh.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None
    if b"migrator.convert.forkserver" in argv:
        role = "server"
    elif b"migrator.convert.worker" in argv:
        role = "worker"
    else:
        return None
    return pythons.get(argv[0].decode(), argv[0].decode()), role, parent


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds (user + system) of every reaped descendant: the command, its fork servers
    and their workers are each reaped by their parent, so this counts the whole batch."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat: on an otherwise idle
    machine, what the batch kept busy, counting processes whose CPU time no parent collects (a
    fork server's workers, killed with it at the end, are reaped by init)."""
    with open("/proc/stat", encoding="utf-8") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user/nice
    total = sum(fields) - guest
    return total - idle, total


def run_batch(tree: Path, out: Path, jobs: int, trace: Path | None = None) -> dict[str, object]:
    cpu_before = _children_cpu()
    machine_before = _machine_jiffies()
    pythons = {str(rt.python): rt.name for rt in runtimes.available()}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    report_file = out.parent / f"{out.name}.json"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator", "convert", str(tree), "-o", str(out), "--jobs",
         str(jobs), "--report", str(report_file)],
        stdout=subprocess.DEVNULL,  # the report goes to a file: a pipe would fill and block
        stderr=subprocess.DEVNULL,
        env=env,
    )  # fmt: skip
    peak_rss = peak_pss = 0
    roles: dict[int, tuple[str, str, int]] = {}
    last_cpu: dict[int, float] = {}  # each process's CPU when last sampled
    samples: list[tuple[float, dict[int, float]]] = []
    while proc.poll() is None:
        pids = _tree_of(proc.pid)
        for pid in pids:
            last_cpu[pid] = max(last_cpu.get(pid, 0.0), _cpu_seconds(pid))
        if trace is not None:
            samples.append((time.perf_counter() - start, {p: last_cpu[p] for p in pids}))
        memory = [_memory_kb(p) for p in pids]
        peak_rss = max(peak_rss, sum(m[0] for m in memory))
        peak_pss = max(peak_pss, sum(m[1] for m in memory))
        for pid in pids:
            if pid not in roles:
                found = _runtime_process(pid, pythons)
                if found:
                    roles[pid] = found
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    busy_after, total_after = _machine_jiffies()
    machine_busy = (
        (busy_after - machine_before[0])
        / max(1, total_after - machine_before[1])
        * len(os.sched_getaffinity(0))
    )
    report = json.loads(report_file.read_text()) if report_file.is_file() else {}
    servers = {pid for pid, (_, role, _) in roles.items() if role == "server"}
    starts: dict[str, int] = {}  # interpreters started: fork servers and spawned workers
    forked: dict[str, int] = {}  # workers forked from a fork server (no TensorFlow import)
    for _pid, (name, role, parent) in roles.items():
        if role == "server" and parent in servers:
            forked[name] = forked.get(name, 0) + 1
        else:
            starts[name] = starts.get(name, 0) + 1
    # where the CPU went, by role (as last sampled, so a little under the total): the command
    # itself (audit, planning, publishing), each runtime's fork server (its TensorFlow import:
    # the start-up) and each runtime's workers (conversion steps and validation runs)
    by_role: dict[str, float] = {"migrator convert": last_cpu.get(proc.pid, 0.0)}
    for pid, (name, role, parent) in roles.items():
        server = role == "server" and parent not in servers
        key = f"{name} {'start-up' if server else 'workers'}"
        by_role[key] = by_role.get(key, 0.0) + last_cpu.get(pid, 0.0)
    if trace is not None:
        _write_trace(trace, samples, roles, servers, proc.pid)
    return {
        "cpu_by_role": dict(sorted(by_role.items())),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "machine_busy": machine_busy,
        "summary": report.get("summary"),
        "peak_rss_mb": peak_rss / 1024,
        "peak_pss_mb": peak_pss / 1024,
        "runtime_starts": dict(sorted(starts.items())),
        "workers_forked": dict(sorted(forked.items())),
    }


def _write_trace(
    trace: Path,
    samples: list[tuple[float, dict[int, float]]],
    roles: dict[int, tuple[str, str, int]],
    servers: set[int],
    command: int,
) -> None:
    """Cores busy per second, by role, as text: where a batch leaves a core idle."""

    def role(pid: int) -> str:
        if pid == command:
            return "convert"
        if pid not in roles:
            return "other"
        name, kind, parent = roles[pid]
        return f"{name}:{'start' if kind == 'server' and parent not in servers else 'work'}"

    names = sorted({role(p) for _, cpu in samples for p in cpu})
    lines = ["second  " + "  ".join(f"{n:>11}" for n in names) + "  total"]
    previous: dict[int, float] = {}
    for second in range(int(samples[-1][0]) + 1 if samples else 0):
        window = [s for s in samples if second <= s[0] < second + 1]
        if not window:
            continue
        latest = window[-1][1]
        busy = dict.fromkeys(names, 0.0)
        for pid, cpu in latest.items():
            busy[role(pid)] += cpu - previous.get(pid, 0.0)
        previous.update(latest)
        cells = "  ".join(f"{busy[n]:>11.2f}" for n in names)
        lines.append(f"{second:>6}  {cells}  {sum(busy.values()):.2f}")
    trace.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--models", type=int, default=210)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of the --jobs values, alternated; prints medians (this VM's speed drifts)",
    )
    parser.add_argument(
        "--trace", type=Path, help="write cores busy per second by role to TRACE-j<N>.txt"
    )
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="convert-tree-bench-"))
    tree = work / "tree"
    writers = build_tree(tree, args.models)
    total = len(list(tree.rglob("*.h5")))
    cpus = len(os.sched_getaffinity(0))
    print(f"tree: {total} models; writers: {', '.join(writers)}; {cpus} CPUs")
    results: dict[int, dict[str, object]] = {}
    runs: dict[int, list[float]] = {jobs: [] for jobs in args.jobs}
    for round_ in range(args.repeat):
        for jobs in args.jobs:  # alternated, so a slow spell of the machine hits both
            out = Path(tempfile.mkdtemp(prefix=f"out-j{jobs}-", dir=work))
            trace = (
                args.trace.with_name(f"{args.trace.name}-j{jobs}-r{round_ + 1}.txt")
                if args.trace
                else None
            )
            result = run_batch(tree, out, jobs, trace)
            runs[jobs].append(result["seconds"])
            shutil.rmtree(out, ignore_errors=True)
            per_min = total / result["seconds"] * 60
            print(
                f"--jobs {jobs}: {result['seconds']:.1f} s, {per_min:.1f} models/min, "
                f"{result['summary']}, peak memory of the batch (process tree): RSS "
                f"{result['peak_rss_mb']:.0f} MB, PSS {result['peak_pss_mb']:.0f} MB; runtime "
                f"start-ups (TensorFlow imported) {result['runtime_starts']}, workers forked "
                f"{result['workers_forked']}; CPU {result['cpu_seconds']:.1f} s, "
                f"{result['cpu_seconds'] / result['seconds']:.2f} of {cpus} cores busy on average "
                f"(the whole machine, /proc/stat: {result['machine_busy']:.2f})"
            )
            roles = ", ".join(f"{k} {v:.1f} s" for k, v in result["cpu_by_role"].items())
            print(f"  CPU by process (as last sampled): {roles}", flush=True)
            # the run of median wall time stands for this --jobs
            if len(runs[jobs]) == 1 or result["seconds"] == statistics.median_low(runs[jobs]):
                results[jobs] = result
    if args.repeat > 1:
        for jobs, seconds in runs.items():
            median = statistics.median(seconds)
            print(
                f"--jobs {jobs} over {args.repeat} runs: median {median:.1f} s "
                f"({total / median * 60:.1f} models/min), runs "
                + ", ".join(f"{s:.1f}" for s in seconds)
            )
        if 1 in runs and 2 in runs:
            ratios = [a / b for a, b in zip(runs[1], runs[2], strict=True)]
            print(
                "speed-up --jobs 2 / --jobs 1 by median: "
                f"{statistics.median(runs[1]) / statistics.median(runs[2]):.2f}x; "
                "per round: " + ", ".join(f"{r:.2f}x" for r in ratios)
            )
    if 1 in results and 2 in results:
        if args.repeat == 1:
            ratio = results[1]["seconds"] / results[2]["seconds"]
            print(f"speed-up --jobs 2 / --jobs 1: {ratio:.2f}x")
        # --jobs 1 already overlaps the source's run in its era's runtime with the conversion
        # and the output's run in the newest: it keeps `busy` cores going, so on this machine
        # no --jobs can be faster than cpus / busy times --jobs 1. The machine-wide figure
        # counts what the batch's own accounting loses (see _machine_jiffies).
        busy = max(results[1]["cpu_seconds"] / results[1]["seconds"], results[1]["machine_busy"])
        print(
            f"ceiling on this machine ({cpus} cores / {busy:.2f} busy at --jobs 1): "
            f"{cpus / busy:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
