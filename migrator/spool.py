"""A disk-backed queue of small records, so a walk of a hundred thousand artifacts is not held.

Discovery finds every candidate before the first one is read (the report needs the walk's
errors and skipped lines, and the number of artifacts, up front), but the main process should
not grow with the store: each candidate is a path, a reader name and a file list, about a
kilobyte as Python objects and a tenth of that pickled. The spool appends them to an anonymous
temporary file and hands them back in the same order, one at a time. Nothing in it comes from
the artifacts' content: only what discovery itself built is pickled, so unpickling it is safe.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Spool(Generic[T]):
    """Append records, then iterate them once or more, in order; `close()` deletes the file."""

    def __init__(self, prefix: Any = None) -> None:
        self._file = tempfile.TemporaryFile(prefix="migrator-spool-")
        self._prefix = prefix
        self.count = 0

    def append(self, record: T, /) -> None:
        """Append one record (with the spool's prefix, when it has one: (prefix, record))."""
        item = record if self._prefix is None else (self._prefix, record)
        # One whole pickle per record (a shared Pickler's memo would keep every record alive, and
        # a cleared one would hand an Unpickler memo indices it already used).
        pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Any]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._file)
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()
