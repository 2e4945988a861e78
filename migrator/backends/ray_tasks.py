"""What a Ray task runs on a cluster node: a chunk of audit reads, or one conversion.

These are plain functions (no Ray import here): `ray_cluster.py` wraps them with `ray.remote` when
it connects, and Ray ships them by reference, so every node must have this migrator version
installed (each task returns the version it ran, and the driver refuses a mixed cluster: the
reports must not depend on which node read what).

A chunk of reads goes through `local.read_isolated`, the same forked reader pool as on one
machine, so a file that hangs, exhausts memory or crashes libhdf5 costs one error line on a node
exactly as it does locally. A conversion first makes sure the runtimes it needs exist on the
node: `MIGRATOR_RUNTIME_*` overrides are honoured where they name an interpreter the node has;
anything else is installed into the node's runtime cache by `migrator runtimes install`'s own
code, once per node: an exclusive lock file in the cache makes concurrent tasks of one node wait
for one install instead of racing. The conversion itself, fetching its source and publishing
its versions on the node, is `node_convert.py`.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator import __version__
from migrator.backends import ReadLimits
from migrator.backends.local import read_isolated

if TYPE_CHECKING:
    from migrator.convert import Convertible, Options

LOCK_NAME = ".migrator-install.lock"

_ready: set[str] = set()  # runtimes this process has seen present, and "warm" (_warm)


def read_chunk(
    work: Callable[[Any], Any], items: Sequence[Any], limits: ReadLimits
) -> tuple[str, list[Any]]:
    """(migrator version, the result of each item in order) for one chunk of audit reads."""
    _warm()
    return __version__, [result for _item, result in read_isolated(work, items, limits)]


def _warm() -> None:
    """Import the readers, rules and verdicts once in this Ray worker process.

    Each chunk forks its reader processes from this one; without this, every fork would import
    h5py, protobuf and every reader again (~0.4 s, measured by benchmarks/ray_bench.py), since
    this process itself never reads. Nothing is read here: the judges run on an empty reading.
    """
    if "warm" in _ready:
        return
    from migrator import loadability
    from migrator.formats import readers
    from migrator.model import Artifact, Reading
    from migrator.rules import all_rules, check_artifact

    readers()
    all_rules()
    empty = Artifact("warm", Path("warm"), Reading("unknown"), ())
    for judge in (loadability.judge, check_artifact):
        try:
            judge(empty)
        except Exception:  # an empty reading may not suit a judge; the imports are done
            pass
    _ready.add("warm")


def needed_runtimes(source: Convertible, options: Options) -> list[str]:
    """The runtime names converting `source` uses, as the plan names them."""
    from migrator.convert import default_targets
    from migrator.convert import plan_chain as plan  # `plan` may name the submodule below
    from migrator.convert.plan import target_runtimes
    from migrator.errors import ConversionError

    names: list[str] = []
    for target in options.targets or default_targets(source):
        try:
            steps = plan(source, target)
        except ConversionError:
            continue  # nothing to run: the converter reports why
        names.extend(target_runtimes(source, steps))
    return list(dict.fromkeys(names))


def ensure_runtimes(names: Sequence[str], say: Callable[[str], None] = lambda _line: None) -> None:
    """Install the runtimes in `names` this node lacks, once per node (lock in the cache)."""
    from migrator.convert import managed, runtimes

    missing = [n for n in names if n not in _ready and runtimes.find(n) is None]
    _ready.update(n for n in names if n not in missing)
    if not missing:
        return
    folder = managed.cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        for name in missing:
            if managed.verified_python(name) is None:  # another task may have installed it
                managed.install(name, say=say)
            _ready.add(name)
