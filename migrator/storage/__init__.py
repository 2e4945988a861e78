"""Where artifacts live: a local path (`pathlib.Path`, the fast path, untouched) or an object in
an fsspec store (`StorePath`: `s3://`, `gs://`, `az://`, `memory://`, ... any fsspec protocol).

Every place that accepts a path on the command line turns its text into a location with
`location()`; discovery and the readers then work on either kind through the `pathlib.Path`
subset `StorePath` offers (`/`, `name`, `stat`, `is_dir`, `iterdir`, `open`, `read_bytes`) and
the three helpers below for what pathlib lacks (`list_dir`, `walk`, `byte_view`). A local path
never goes through fsspec, so an audit of a disk costs what it cost before stores existed.

A `StorePath` pickles as its URL and protocol options only (never an open handle or a client):
each worker process opens its own filesystem from the store's usual configuration
(environment, profiles, `FSSPEC_<PROTOCOL>_*` variables), so credentials never travel through
migrator's objects and never reach a report.
"""

from __future__ import annotations

from migrator.storage.ahead import listing_ahead
from migrator.storage.location import (
    EXTRAS,
    StoreError,
    common_base,
    is_remote,
    location,
    location_arg,
    unreadable,
)
from migrator.storage.ranges import RangeView
from migrator.storage.store import StorePath
from migrator.storage.tree import (
    byte_view,
    entries,
    list_dir,
    read_head,
    relative_posix,
    walk,
)

__all__ = [
    "RangeView",
    "EXTRAS",
    "StoreError",
    "StorePath",
    "byte_view",
    "common_base",
    "entries",
    "is_remote",
    "list_dir",
    "listing_ahead",
    "location",
    "location_arg",
    "read_head",
    "relative_posix",
    "unreadable",
    "walk",
]
