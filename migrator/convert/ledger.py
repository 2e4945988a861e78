"""The conversion ledger: what a batch into OUT has done, so a rerun does only what is left.

A batch of thousands of models is killed, loses power or is stopped by the user; the next run
must not convert anything twice nor skip anything silently. The ledger is an SQLite database in
the output folder (`OUT/.migrator-ledger.sqlite`, WAL journal) with one row per (source content
hash, source path, conversion options, migrator version). A row is written `running` in its own
transaction before a conversion starts and replaced by its outcome in another one after it ends,
so a kill at any moment leaves either no row, a `running` row (redone by the next run) or a
finished one; there are no lock files, and SQLite releases its locks when the process dies.

The key holds the migrator version because a newer migrator may convert what an older one could
not, and the options because `--custom-objects` or `--to` change what a conversion produces.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from migrator import __version__
from migrator.convert import Options

FILENAME = ".migrator-ledger.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    rel TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    options TEXT NOT NULL,
    migrator_version TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
)
"""
# Options that do not change what a conversion produces (how long to wait, how many at once).
_NOT_IN_KEY = frozenset({"timeout", "read_timeout", "read_jobs"})


def path_of(out_root: Path) -> Path:
    return Path(out_root) / FILENAME


def options_key(options: Options) -> str:
    """A stable text of the options that change a conversion's result (used in the key)."""
    values = {k: v for k, v in asdict(options).items() if k not in _NOT_IN_KEY}
    if options.inputs is not None and Path(options.inputs).is_file():
        from migrator.convert.publish import sha256_file

        values["inputs"] = sha256_file(Path(options.inputs))  # the bytes, not where they live
    return json.dumps(values, sort_keys=True, default=str)


@dataclass(frozen=True)
class Entry:
    """One ledger row as the converter reads it back."""

    rel: str
    sha256: str
    status: str  # running | converted | skipped | failed
    outcome: Mapping[str, Any]
    attempts: int
    migrator_version: str
    updated_at: float


class Ledger:
    """The ledger of one output folder; every method is one short transaction."""

    def __init__(self, out_root: Path, options: Options, *, create: bool = True) -> None:
        self.path = path_of(out_root)
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_file():
            raise FileNotFoundError(self.path)
        self.options = options_key(options)
        self._db = sqlite3.connect(
            self.path, timeout=60.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()  # one connection shared by the batch's threads

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def key(self, rel: str, sha256: str) -> str:
        text = "\0".join((sha256, rel, self.options, __version__))
        return hashlib.sha256(text.encode()).hexdigest()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, rel: str, sha256: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT rel, sha256, status, outcome, attempts, migrator_version, updated_at "
                "FROM entries WHERE key = ?",
                (self.key(rel, sha256),),
            ).fetchone()
        return None if row is None else _entry(row)

    def start(self, rel: str, sha256: str) -> None:
        """Mark a conversion as running (a row left `running` means it never finished)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO entries (key, rel, sha256, options, migrator_version, status, "
                "outcome, attempts, updated_at) VALUES (?, ?, ?, ?, ?, 'running', NULL, 1, ?) "
                "ON CONFLICT(key) DO UPDATE SET status = 'running', attempts = attempts + 1, "
                "updated_at = excluded.updated_at",
                (self.key(rel, sha256), rel, sha256, self.options, __version__, time.time()),
            )

    def finish(self, rel: str, sha256: str, status: str, outcome: Mapping[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE entries SET status = ?, outcome = ?, updated_at = ? WHERE key = ?",
                (status, json.dumps(outcome, default=str), time.time(), self.key(rel, sha256)),
            )


def _entry(row: tuple[Any, ...]) -> Entry:
    rel, sha, status, outcome, attempts, version, updated = row
    return Entry(
        rel, sha, status, json.loads(outcome) if outcome else {}, attempts, version, updated
    )


def summary(out_root: Path) -> dict[str, Any]:
    """What a ledger holds, for `migrator convert --status OUT` (read only, never created)."""
    path = path_of(out_root)
    if not path.is_file():
        raise FileNotFoundError(path)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60.0)
    try:
        rows = db.execute(
            "SELECT rel, sha256, status, outcome, attempts, migrator_version, updated_at "
            "FROM entries ORDER BY rel, updated_at"
        ).fetchall()
    finally:
        db.close()
    entries = [_entry(r) for r in rows]
    latest: dict[str, Entry] = {}
    for entry in entries:  # one line per source path: its most recent attempt
        if entry.rel not in latest or entry.updated_at >= latest[entry.rel].updated_at:
            latest[entry.rel] = entry
    counts = {s: 0 for s in ("converted", "skipped", "failed", "running")}
    for entry in latest.values():
        counts[entry.status] = counts.get(entry.status, 0) + 1
    return {
        "ledger": str(path),
        "sources": len(latest),
        "counts": counts,
        "migrator_versions": sorted({e.migrator_version for e in entries}),
        "last_update": max((e.updated_at for e in entries), default=None),
        "entries": [
            {
                "path": e.rel,
                "status": e.status,
                "attempts": e.attempts,
                "reason": e.outcome.get("reason", ""),
                "outputs": [o.get("path") for o in e.outcome.get("outputs", [])],
            }
            for e in sorted(latest.values(), key=lambda e: e.rel)
        ],
    }
