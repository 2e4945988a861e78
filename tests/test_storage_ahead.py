"""Discovery of a store lists its folders ahead, concurrently (migrator/storage/ahead.py), and
finds exactly what the one-folder-at-a-time walk finds, in the same order.

The store is fsspec's in-memory driver with a listing latency, so the concurrency is visible in
the core suite without a server; the same over S3's HTTP API: benchmarks/s3_bench.py --tree.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

fsspec = pytest.importorskip("fsspec", reason="fsspec is installed by the test extra")
from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

from migrator.discover import discover  # noqa: E402
from migrator.storage import ahead, location  # noqa: E402
from migrator.storage import store as store_module  # noqa: E402

SEED = (
    Path(__file__).resolve().parent.parent
    / "corpus"
    / "generated"
    / "tf215"
    / "keras"
    / "sequential"
)
LATENCY = 0.01  # seconds one listing takes


class SlowListings(MemoryFileSystem):
    """The in-memory store, each listing taking `LATENCY`; counts listings and their overlap."""

    protocol = "slowmem"
    store: dict[str, Any] = {}  # its own objects, apart from memory://'s
    pseudo_dirs = [""]
    lock = threading.Lock()
    listed: list[str] = []
    inside = 0
    most = 0

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> Any:
        cls = SlowListings
        with cls.lock:
            cls.inside += 1
            cls.most = max(cls.most, cls.inside)
            cls.listed.append(self._strip_protocol(path))
        try:
            time.sleep(LATENCY)
            return super().ls(path, detail=detail, **kwargs)
        finally:
            with cls.lock:
                cls.inside -= 1

    @classmethod
    def reset(cls) -> None:
        cls.listed, cls.most = [], 0
        store_module._listings.clear()


fsspec.register_implementation("slowmem", SlowListings, clobber=True)

# Names whose order trips a walk that sorts folders without their "/": "a-b/" < "a.h5" < "a/".
TRICKY = ("a", "a-b", "a.b", "A b")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The same tree on disk and in the store: the Keras seed folders under tricky names, each
    holding SavedModels, .h5 and .keras files, some nested two levels, plus a tool folder."""
    local = tmp_path_factory.mktemp("ahead") / "tree"
    seeds = sorted(p for p in SEED.rglob("*") if p.is_file())
    assert seeds, SEED
    for name in TRICKY:
        for sub in ("", "deep/er"):
            for path in seeds:
                target = local / name / sub / path.relative_to(SEED)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    (local / "a.h5").write_bytes((seeds[0]).read_bytes() if seeds[0].suffix == ".h5" else b"")
    for n in range(40):  # a tool folder the walk leaves out, with folders of its own
        junk = local / "node_modules" / f"pkg{n:02d}" / "lib"
        junk.mkdir(parents=True)
        (junk / "index.js").write_text("x")
    fs = SlowListings()
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.pipe_file(f"/bucket/tree/{path.relative_to(local).as_posix()}", path.read_bytes())
    return local, "slowmem://bucket/tree"


def _found(root: Any) -> tuple[list[tuple[str, str, tuple[str, ...]]], list[str], list[str]]:
    found = discover(root)
    candidates = [(c.rel, c.reader, tuple(c.files)) for c in found.candidates]
    return candidates, list(found.errors), list(found.skipped)


def test_the_store_walk_finds_what_the_disk_walk_finds_in_the_same_order(tree) -> None:
    local, url = tree
    SlowListings.reset()
    remote = _found(location(url))
    assert remote == _found(local)
    assert len(remote[0]) > 30, remote[0]
    assert [rel for rel, _r, _f in remote[0]] == sorted(rel for rel, _r, _f in remote[0])
    assert SlowListings.most > 1, "listings were sent one at a time"


def test_listing_ahead_sends_each_walked_folder_once_and_overlaps(tree, monkeypatch) -> None:
    _local, url = tree
    monkeypatch.setattr(ahead, "THREADS", 0)  # the walk alone: one listing at a time
    SlowListings.reset()
    serial = _found(location(url))
    walked = list(SlowListings.listed)
    assert SlowListings.most == 1

    monkeypatch.setattr(ahead, "THREADS", 8)
    SlowListings.reset()
    concurrent = _found(location(url))
    assert concurrent == serial
    # every folder the walk lists is listed once; beyond those, only folders of the left-out
    # tool folder that were listed before the walk passed it, at most AHEAD of them
    listed = SlowListings.listed
    assert set(walked) <= set(listed)
    assert len([p for p in listed if "node_modules" not in p]) == len(
        [p for p in walked if "node_modules" not in p]
    )
    assert len(listed) <= len(walked) + ahead.AHEAD
    # the listings were in flight together (what makes it faster: benchmarks/s3_bench.py)
    assert SlowListings.most > 1


def test_a_folder_that_cannot_be_listed_ahead_is_reported_as_the_walk_reports_it(
    tree, monkeypatch
) -> None:
    """A listing that fails in a lookahead thread is not an answer: the walk asks again and
    reports what the store says, as it did before listings went ahead."""
    _local, url = tree
    SlowListings.reset()
    expected = _found(location(url))
    failing = "bucket/tree/a-b/deep"
    calls: list[str] = []
    original = SlowListings.ls

    def flaky(self: Any, path: str, detail: bool = True, **kwargs: Any) -> Any:
        stripped = self._strip_protocol(path)
        if stripped.strip("/") == failing:
            calls.append(threading.current_thread().name)
            if threading.current_thread() is not threading.main_thread():
                raise ConnectionError("the store hung up")
        return original(self, path, detail=detail, **kwargs)

    monkeypatch.setattr(SlowListings, "ls", flaky)
    SlowListings.reset()
    assert _found(location(url)) == expected
    assert calls[-1] == threading.main_thread().name
