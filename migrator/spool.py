"""A disk-backed queue of discovery candidates, so a walk of a hundred thousand artifacts is not held.

Discovery finds every candidate before the first one is read (the report needs the walk's
errors and skipped lines up front), but the main process should not grow with the store: each
candidate is a path, a reader name, a file list and a few layout facts, about a kilobyte as
Python objects and a tenth of that as a line of JSON. The spool appends them to an anonymous
temporary file and hands them back in the same order, one at a time. It is plain JSON, not a
pickle: nothing in an audit deserialises objects, not even its own.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from migrator.model import Candidate

_SCALARS = (str, int, float, bool, type(None))


def _location_to_json(location: Any) -> Any:
    if isinstance(location, Path):
        return str(location)
    from migrator.storage.store import StorePath

    if isinstance(location, StorePath):
        # what a StorePath pickles as: its URL, options and the store's record of it (size,
        # type: what readers ask, so no second request), scalars only
        protocol, path, options, info = location.__reduce__()[1]
        kept = {k: v for k, v in (info or {}).items() if isinstance(v, _SCALARS)}
        return {"protocol": protocol, "path": path, "options": options, "info": kept}
    raise TypeError(f"cannot spool a location of type {type(location).__name__}")


def _location_from_json(value: Any) -> Any:
    if isinstance(value, str):
        return Path(value)
    from migrator.storage.store import StorePath

    return StorePath(value["protocol"], value["path"], value["options"], value["info"] or None)


def candidate_to_json(candidate: Candidate) -> dict[str, Any]:
    return {
        "location": _location_to_json(candidate.location),
        "rel": candidate.rel,
        "reader": candidate.reader,
        "files": list(candidate.files),
        "context": dict(candidate.context),
    }


def candidate_from_json(data: dict[str, Any]) -> Candidate:
    return Candidate(
        _location_from_json(data["location"]),
        data["rel"],
        data["reader"],
        tuple(data["files"]),
        data["context"],
    )


class Spool:
    """Append candidates, then iterate them (as `(prefix, candidate)`) once or more, in order."""

    def __init__(self, prefix: str) -> None:
        # ensure_ascii keeps lone surrogates (undecodable file names) as \udcxx escapes
        self._file = tempfile.TemporaryFile("w+", encoding="ascii", prefix="migrator-spool-")
        self._prefix = prefix
        self.count = 0

    def append(self, candidate: Candidate, /) -> None:
        self._file.write(json.dumps(candidate_to_json(candidate), ensure_ascii=True) + "\n")
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[str, Candidate]]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self.count):
            yield self._prefix, candidate_from_json(json.loads(self._file.readline()))
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()
