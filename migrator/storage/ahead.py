"""Listing a store's folders ahead of discovery, a few at a time, in the order it will ask.

Discovery walks a tree depth-first and lists one folder at a time: on disk that costs
microseconds, in a store one round trip each (20-50 ms on S3), so a bucket of 100,000 artifacts
in 20,000 folders waited minutes for its listings alone, one after the other. While a walk of a
store runs under `listing_ahead(root)`, a few threads list the folders the walk will reach next
and the walk takes each listing as it gets there: the walk itself, its order and what it
reports are unchanged (the same listings, only fetched earlier), and the requests are the same
ones, one per folder, sent `THREADS` at a time.

Why per-folder listings and not one flat listing (S3 `ListObjectsV2` without a delimiter, 1,000
keys a page, what s3fs `find()` does): a flat listing would need far fewer requests (a page per
1,000 keys instead of one per folder) and on a store of millions of keys it would likely finish
sooner, but its pages come one after another (each needs the previous page's continuation
token); a folder's listing is complete only once its whole subtree has been paged through, so
the walk could not start on the root before the last key arrived, and every key of the prefix
would have to be held or spooled to disk until then; it cannot leave out what the walk leaves
out (`--exclude`, tool folders); and gcsfs and adlfs page differently, while `ls` is the one
call every fsspec store has. Per-folder listings sent ahead keep the walk, its memory and its
requests exactly as they were and take the latency off; a flat listing spooled to disk is the
step after this one, for stores where request counts matter more than that.

Order: the walk visits folders in the order of their paths with a "/" appended (a folder sorts
as `name/` among its siblings), so that string is each folder's key, the threads always take the
smallest key waiting, and a listing whose key the walk has passed is dropped (a folder the walk
left out). Memory: at most `AHEAD` listings fetched and not yet taken, plus the keys of folders
known and not yet listed (a string each).
"""

from __future__ import annotations

import heapq
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from migrator.storage.store import StorePath

THREADS = 16  # listings in flight at once
AHEAD = 64  # listings fetched (or being fetched) and not yet taken by the walk

_active: Lookahead | None = None


class Lookahead:
    """The folders under one root listed ahead by `THREADS` threads; the walk `take`s them."""

    def __init__(self, root: StorePath, threads: int | None = None, ahead: int | None = None):
        self.root = root
        self.pid = os.getpid()
        self._limit = AHEAD if ahead is None else ahead
        threads = THREADS if threads is None else threads
        self._cond = threading.Condition()
        self._waiting: list[str] = []  # heap of keys of folders known, not yet listed
        self._busy: set[str] = set()  # keys being listed
        self._ready: dict[str, list[dict[str, Any]] | None] = {}  # None: failed, list it again
        self._cursor = ""  # the key of the folder the walk took last
        self._expanded = ""  # the last folder whose subfolders were queued by the walk
        self._stopped = False
        self.requests = 0  # listings sent by the threads (benchmarks/s3_bench.py prints it)
        self._threads = [
            threading.Thread(target=self._run, name=f"migrator-list-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def serves(self, path: StorePath) -> bool:
        return (
            os.getpid() == self.pid
            and path.protocol == self.root.protocol
            and path.options == self.root.options
            and (path == self.root or path.path.startswith(self.root.path + "/"))
        )

    def _path(self, key: str) -> StorePath:
        return StorePath(self.root.protocol, key[:-1], self.root.options)

    def take(self, folder: StorePath) -> list[dict[str, Any]] | None:
        """The listing of `folder` if it was fetched ahead (waiting for one in flight), else
        None: the walk lists it itself, then `queue`s its subfolders."""
        key = _key(folder)
        with self._cond:
            if key < self._cursor:
                return None  # asked out of order (a folder seen before): not ours to serve
            while key in self._busy:
                self._cond.wait()
            self._cursor = key
            found = self._ready.pop(key, None)
            if found is not None:
                self._expanded = key  # its subfolders were queued when it arrived
            for passed in [k for k in self._ready if k <= key]:
                del self._ready[passed]  # folders the walk went past: left out, never asked
            self._cond.notify_all()
            return found

    def queue(self, folder: StorePath, names: list[str]) -> None:
        """`folder` was listed by the walk itself: list its subfolders `names` ahead."""
        base = _key(folder)
        with self._cond:
            if base == self._expanded:
                return  # the same folder listed again (a SavedModel's members): queued once
            self._expanded = base
            for name in names:
                heapq.heappush(self._waiting, f"{base}{name}/")
            self._cond.notify_all()

    def _next(self) -> str | None:
        """The smallest key the walk has not passed, when there is room (under the lock)."""
        while self._waiting and self._waiting[0] <= self._cursor:
            heapq.heappop(self._waiting)
        if not self._waiting or len(self._ready) + len(self._busy) >= self._limit:
            return None
        return heapq.heappop(self._waiting)

    def _run(self) -> None:
        while True:
            with self._cond:
                key = self._next()
                while key is None and not self._stopped:
                    self._cond.wait()
                    key = self._next()
                if self._stopped:
                    return
                self._busy.add(key)
                self.requests += 1
            path = self._path(key)
            try:
                entries: list[dict[str, Any]] | None = path.listing()
            except Exception:  # the walk lists it again and reports what the store says
                entries = None
            with self._cond:
                self._busy.discard(key)
                if key > self._cursor and not self._stopped:
                    self._ready[key] = entries
                    for name in _subfolders(path, entries or []):
                        heapq.heappush(self._waiting, f"{key}{name}/")
                self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._ready.clear()
            self._waiting.clear()
            self._cond.notify_all()
        deadline = time.monotonic() + 5  # one listing in flight may still be answered;
        for thread in self._threads:  # a store that hangs does not hold the walk's end up
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def _key(folder: StorePath) -> str:
    """Where the walk reaches `folder`: its path with "/" appended (a folder sorts as `name/`)."""
    return folder.path + "/" if folder.path else ""


def _subfolders(folder: StorePath, entries: list[dict[str, Any]]) -> Iterator[str]:
    strip = folder.fs._strip_protocol
    for entry in entries:
        if entry.get("type") == "directory":
            name = strip(entry["name"]).strip("/")
            if name != folder.path and name:
                yield name.rpartition("/")[2]


def current_lookahead(path: StorePath) -> Lookahead | None:
    """The lookahead of the walk `path` belongs to, if one is running in this process."""
    ahead = _active
    return ahead if ahead is not None and ahead.serves(path) else None


@contextmanager
def listing_ahead(root: Any) -> Iterator[Lookahead | None]:
    """List the folders under `root` ahead of a walk of it (a store folder; else nothing)."""
    global _active
    if not isinstance(root, StorePath) or _active is not None:
        yield None
        return
    ahead = _active = Lookahead(root)
    try:
        yield ahead
    finally:
        _active = None
        ahead.stop()
