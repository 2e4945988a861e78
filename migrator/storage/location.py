"""Turning the text a user typed into a location, and a location's protocol into a filesystem.

`s3://bucket/models` and `gs://...` become `StorePath`s; `file://...` and anything without a
`scheme://` stay plain `pathlib.Path`s, so a local audit never imports fsspec. The packages a
protocol needs are optional extras (`migrator[s3]`, `[gcs]`, `[azure]`); a missing one is a
`StoreError` naming the extra to install, which the command line prints as one line (exit 2).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.errors import MigratorError

if TYPE_CHECKING:
    from migrator.storage.store import StorePath

# protocol -> (the package that implements it, the migrator extra that installs it)
EXTRAS: Mapping[str, tuple[str, str]] = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", "gcs"),
    "gcs": ("gcsfs", "gcs"),
    "az": ("adlfs", "azure"),
    "abfs": ("adlfs", "azure"),
    "abfss": ("adlfs", "azure"),
}
_DRIVER_LISTINGS = 1024  # listings an s3fs/gcsfs/adlfs client keeps (fsspec DirCache max_paths)
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.S)
_filesystems: dict[tuple[int, str, tuple[tuple[str, str], ...]], Any] = {}


class StoreError(MigratorError):
    """An object store cannot be used: its package is missing, or the protocol is unknown."""


def is_remote(path: object) -> bool:
    """True for a location in an object store (a `StorePath`), False for a local path."""
    from migrator.storage.store import StorePath

    return isinstance(path, StorePath)


def location(text: str | os.PathLike[str], options: Mapping[str, Any] | None = None) -> Any:
    """`Path` for local text (and `file://` URLs), `StorePath` for any other `scheme://` URL.

    Only the syntax is looked at here; whether the protocol's package is installed is checked
    when the store is first used (`filesystem()`), so parsing a command line never imports it.
    """
    if isinstance(text, Path) or not isinstance(text, str):
        return Path(text) if not is_remote(text) else text
    match = _URL.match(text)
    if match is None:
        return Path(text)
    protocol, rest = match.group(1).lower(), match.group(2)
    if protocol in ("file", "local"):
        return Path(rest or "/")
    from migrator.storage.store import StorePath

    return StorePath(protocol, rest.strip("/"), options)


def location_arg(text: str) -> Any:
    """argparse `type=` for path arguments: like `Path`, but `s3://b/k` keeps its two slashes."""
    return location(text)


def filesystem(protocol: str, options: Mapping[str, Any] | None = None) -> Any:
    """The fsspec filesystem for `protocol`, one per process (a forked worker opens its own).

    Raises `StoreError` when fsspec or the protocol's package is missing, naming the extra to
    install, or when fsspec knows no such protocol.
    """
    frozen = tuple(sorted((str(k), repr(v)) for k, v in (options or {}).items()))
    key = (os.getpid(), protocol, frozen)
    fs = _filesystems.get(key)
    if fs is None:
        fs = _filesystems[key] = _open_filesystem(protocol, dict(options or {}))
    return fs


def _open_filesystem(protocol: str, options: dict[str, Any]) -> Any:
    package, extra = EXTRAS.get(protocol, (None, None))
    hint = (
        f"install it with: pip install 'migrator[{extra}]'"
        if extra
        else "install the fsspec package that implements it"
    )
    try:
        import fsspec
        from fsspec.registry import known_implementations, registry
    except ImportError:
        raise StoreError(
            f"reading {protocol}:// needs fsspec"
            + (f" and {package}" if package else "")
            + f"; {hint}"
        ) from None
    if protocol not in known_implementations and protocol not in registry:
        raise StoreError(
            f"unknown storage protocol {protocol}://; give a local path or an fsspec URL "
            "(s3://, gs://, az://, file://)"
        )
    if protocol in EXTRAS:
        # The driver's own listing cache grows with every prefix listed; bounded, so a walk of
        # a hundred thousand folders keeps the main process flat (store.py remembers recent ones).
        options = {"max_paths": _DRIVER_LISTINGS, **options}
    try:
        return fsspec.filesystem(protocol, **options)
    except ImportError:
        what = package or protocol
        raise StoreError(f"reading {protocol}:// needs {what}; {hint}") from None


def store_of(path: StorePath) -> Any:
    """The filesystem a `StorePath` lives in (for the helpers that need more than pathlib)."""
    return filesystem(path.protocol, path.options)


def common_base(paths: list[Any]) -> tuple[Any, list[str]]:
    """(root, each path's prefix under it) for several audited paths, some in a store.

    Paths in one store share their longest common folder, as local paths do; paths in different
    stores (or a store and the disk) have no common folder: each keeps its full URL or absolute
    path as its prefix, under the root `/`.
    """
    from migrator.storage.store import StorePath

    stores = {(p.protocol, tuple(sorted(p.options.items()))) for p in paths if is_remote(p)}
    if len(stores) == 1 and all(is_remote(p) for p in paths):
        parts = [p.path.split("/") for p in paths]
        common: list[str] = []
        for level in zip(*parts, strict=False):  # stops at the shortest path
            if len(set(level)) != 1:
                break
            common.append(level[0])
        first = paths[0]
        base = StorePath(first.protocol, "/".join(common), first.options)
        return base, [p.relative_to(base) for p in paths]
    return Path("/"), [str(p) if is_remote(p) else Path(p).absolute().as_posix() for p in paths]


def unreadable(path: StorePath) -> str | None:
    """One error line when a store path cannot be audited (missing package, no such bucket or
    key, access denied, store unreachable), else None. Never names a credential: the store's
    own message says what failed, and the remedy says where credentials come from."""
    try:
        if path.exists():
            return None
    except StoreError as exc:
        return f"{path}: {exc}"
    except PermissionError as exc:
        return (
            f"{path}: access denied by the store ({reason(exc)}); check the credentials in the "
            "store's usual configuration (environment variables, profile)"
        )
    except Exception as exc:  # the store's client failed: endpoint, credentials, network
        return (
            f"{path}: cannot reach the store ({type(exc).__name__}: {reason(exc)}); check the "
            "endpoint (AWS_ENDPOINT_URL...) and the credentials of its usual configuration"
        )
    return f"{path}: no such bucket, object or prefix in the store; check the URL"


def reason(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters (for error lines)."""
    text = " ".join(str(getattr(exc, "strerror", None) or exc).split())
    return text[:200] or type(exc).__name__
