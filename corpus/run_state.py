"""Where a `tox -e matrix` run stands, kept in SQLite so that a run stopped at any point (a
session ended, a laptop closed, a kill) continues where it stopped instead of starting over.

The whole regeneration takes hours on two cores (corpus/README.md), longer than one sitting may
last. A run is identified by what it was asked to do (its runtimes and options); each of its
parts (one env built, one runtime's artifacts generated, one runtime's column measured) is
recorded with its seconds when it finishes. Running the same command again skips the finished
parts (a part cut off midway is redone whole) and, at the end, states the run's time: the sum
of its parts over every sitting, which is what the same run takes in one go. `--restart`
forgets an unfinished run.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    started REAL NOT NULL,
    sittings INTEGER NOT NULL DEFAULT 1,
    finished REAL
);
CREATE TABLE IF NOT EXISTS parts (
    run INTEGER NOT NULL REFERENCES runs(id),
    part TEXT NOT NULL,
    seconds REAL NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (run, part)
);
"""


@dataclass(frozen=True)
class Summary:
    """A finished run: its parts' seconds, their sum, and how many sittings it took."""

    parts: dict[str, float]
    seconds: float
    sittings: int


class RunState:
    """The parts of one regeneration run that are done (see the module docstring)."""

    def __init__(self, path: Path, asked: Mapping[str, Any], *, restart: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process (WAL)
        self._db.executescript(_SCHEMA)
        key = json.dumps(dict(asked), sort_keys=True, default=str)
        found = self._db.execute(
            "SELECT id FROM runs WHERE key = ? AND finished IS NULL ORDER BY id DESC LIMIT 1",
            (key,),
        ).fetchone()
        if found and restart:
            self._db.execute("UPDATE runs SET finished = -1 WHERE id = ?", (found[0],))
            found = None
        if found:
            self.run = int(found[0])
            self._db.execute("UPDATE runs SET sittings = sittings + 1 WHERE id = ?", (self.run,))
            self.resumed = True
        else:
            cursor = self._db.execute(
                "INSERT INTO runs (key, started) VALUES (?, ?)", (key, time.time())
            )
            self.run = int(cursor.lastrowid or 0)
            self.resumed = False

    def done(self, part: str) -> bool:
        """True when this run finished `part` in an earlier sitting."""
        row = self._db.execute(
            "SELECT 1 FROM parts WHERE run = ? AND part = ?", (self.run, part)
        ).fetchone()
        return row is not None

    def record(self, part: str, seconds: float) -> None:
        """`part` is finished; it took `seconds`."""
        self._db.execute(
            "INSERT OR REPLACE INTO parts (run, part, seconds, at) VALUES (?, ?, ?, ?)",
            (self.run, part, seconds, time.time()),
        )

    def forget(self, part: str) -> None:
        """`part` has to be done again (what it produced is gone)."""
        self._db.execute("DELETE FROM parts WHERE run = ? AND part = ?", (self.run, part))

    def finish(self) -> Summary:
        """Close the run; its parts and their total."""
        rows = self._db.execute(
            "SELECT part, seconds FROM parts WHERE run = ? ORDER BY at", (self.run,)
        ).fetchall()
        (sittings,) = self._db.execute(
            "SELECT sittings FROM runs WHERE id = ?", (self.run,)
        ).fetchone()
        self._db.execute("UPDATE runs SET finished = ? WHERE id = ?", (time.time(), self.run))
        parts = {str(part): float(seconds) for part, seconds in rows}
        return Summary(parts, sum(parts.values()), int(sittings))

    def close(self) -> None:
        self._db.close()
