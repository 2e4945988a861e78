"""What a killed publish leaves in a store, recognised and removed by the next publish.

A publish (publish.py) uploads under `OUT/.migrator-staging/<id>/`, claims `v<N>` with the
object `v<N>/.migrator-claim`, records the claimed version in `<id>/.migrator-target`, copies
the payload into `v<N>/` and writes `metadata.json` last. A process killed in between leaves a
`v<N>/` without `metadata.json` (not a version, but it holds the number) and staging keys.

Whose leftovers may be removed is decided by who wrote them, never by age alone near a live
writer: the claim's body and the staging id name the writing process (a host id, its pid, when
it started). A writer on this host is dead when its pid is gone, or when that pid now belongs to
a process started after the claim (the pid was reused). A writer on another host cannot be asked,
so its leftovers are removed only once older than `STALE` (a day; no publish of one version
takes that long). The ledger cannot answer this: it is per machine, and another machine may be
publishing into the same OUT right now.

Nothing under a `v<N>/` that has `metadata.json` is removed (a dead writer's claim object
beside it is the only exception: it is the writer's lock, not part of the version). What was
removed is appended to `recovered.jsonl` in the output's local work folder, which
`migrator convert --status OUT` shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from migrator.storage.store import StorePath

CLAIM = ".migrator-claim"
METADATA = "metadata.json"
STAGING = ".migrator-staging"
TARGET = ".migrator-target"
STALE = 24 * 3600  # seconds after which a writer on another host is taken for dead
LOG = "recovered.jsonl"
# Where drivers put an object's write time (s3fs, adlfs: LastModified/last_modified; gcsfs:
# updated; memory: created; local: mtime)
_STAMPS = ("LastModified", "last_modified", "updated", "mtime", "created")
_VERSION = re.compile(r"^v(\d+)$")
# <start time>-<host id>-<pid>-<random>; <start time>-<random> from releases that named no owner
_STAGING_ID = re.compile(r"^(\d+)-(?:([0-9a-f]{12})-(\d+)-)?[0-9a-f]{32}$")


def host_id() -> str:
    """This machine's boot, as 12 hex digits: the hostname and the kernel's boot id, hashed (two
    containers that share a hostname but not a kernel, or a rebooted host, differ). Two
    containers on one kernel with the same hostname but separate pid namespaces would look like
    one host: give such publishers distinct hostnames (container runtimes do by default)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return hashlib.sha256(f"{socket.gethostname()}\0{boot}".encode()).hexdigest()[:12]


def owner() -> dict[str, Any]:
    """Who is writing: recorded in a claim, and in the staging id."""
    return {"host": host_id(), "pid": os.getpid(), "created": time.time()}


def staging_id() -> str:
    import uuid

    me = owner()
    return f"{int(me['created'])}-{me['host']}-{me['pid']}-{uuid.uuid4().hex}"


def _started(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), where /proc says; else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def dead(writer: Mapping[str, Any]) -> bool:
    """True when the writer described by `writer` (`owner()`'s fields) can no longer write."""
    from migrator.convert.publish import _alive

    created = float(writer.get("created") or 0)
    if writer.get("host") != host_id() or not writer.get("pid"):
        return time.time() - created > STALE
    pid = int(writer["pid"])
    if pid == os.getpid():
        return False  # this very process (another of its threads publishing)
    if not _alive(pid):
        return True
    started = _started(pid)  # a pid started after the claim was made names another process
    return started is not None and started > created + 2  # (2 s: /proc's and the id's rounding)


def staging_owner(name: str) -> dict[str, Any] | None:
    """The writer a staging id names (None when it is not one of ours)."""
    match = _STAGING_ID.match(name)
    if match is None:
        return None
    created, host, pid = match.groups()
    return {"created": int(created), "host": host, "pid": int(pid) if pid else None}


def _claim_of(fs: Any, version: StorePath) -> dict[str, Any] | None:
    """The claim's writer; a claim that names none (older releases wrote it empty) is dated by
    the store's own timestamp of the claim object, and then judged by age alone."""
    path = (version / CLAIM).path
    try:
        body = fs.cat_file(path)
    except FileNotFoundError:
        return None
    try:
        claim = json.loads(body or b"{}")
    except ValueError:
        claim = {}
    claim = claim if isinstance(claim, dict) else {}
    if not claim.get("created"):
        try:
            info = fs.info(path)
        except FileNotFoundError:
            return None
        stamp = next((info[k] for k in _STAMPS if info.get(k)), None)
        when = stamp.timestamp() if hasattr(stamp, "timestamp") else stamp
        claim = {"created": float(when) if isinstance(when, (int, float)) else time.time()}
    return claim


def recover_version(version: StorePath, keys: Iterable[str]) -> dict[str, Any] | None:
    """Remove `version` (its `keys`) when it has no metadata.json and its claim is a dead
    writer's; only the dead claim when it has metadata.json. Returns what was removed."""
    fs = version.fs
    keys = sorted(keys)
    if CLAIM not in {k.rsplit("/", 1)[-1] for k in keys}:
        return None  # not claimed by migrator, or finished: not ours to judge
    claim = _claim_of(fs, version)
    if claim is None or not dead(claim):
        return None
    complete = any(k.endswith("/" + METADATA) for k in keys)
    doomed = [(version / CLAIM).path] if complete else keys
    for key in doomed:
        try:
            fs.rm_file(key)
        except FileNotFoundError:
            pass
    return {
        "version": str(version),
        "keys": len(doomed),
        "what": "claim" if complete else "unfinished version",
        "writer_pid": claim.get("pid"),
        "same_host": claim.get("host") == host_id(),
        "at": time.time(),
    }


def recover_base(base: StorePath) -> list[dict[str, Any]]:
    """Recover every unfinished version under `OUT/<model>/<format>/` (one listing)."""
    base.fs.invalidate_cache(base.path)  # the driver's listings may predate our own writes
    try:
        found = base.fs.find(base.path)
    except FileNotFoundError:
        return []
    by_version: dict[str, list[str]] = {}
    prefix = base.path.strip("/") + "/"
    for key in found:
        name = base.fs._strip_protocol(key).strip("/")  # memory:// keys start with "/"
        head = name[len(prefix) :].split("/", 1)[0] if name.startswith(prefix) else ""
        if _VERSION.match(head):
            by_version.setdefault(head, []).append(key)
    done = [recover_version(base / name, keys) for name, keys in sorted(by_version.items())]
    return [d for d in done if d]


def recover_out(out: StorePath) -> list[dict[str, Any]]:
    """Remove the uploads of dead writers under `OUT/.migrator-staging/`, and the unfinished
    version each one had claimed (its `.migrator-target`). Returns what was removed."""
    root = out / STAGING
    fs = out.fs
    fs.invalidate_cache(root.path)
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        writer = staging_owner(entry.name)
        if writer is None or not dead(writer):
            continue
        try:
            target = fs.cat_file((entry / TARGET).path).decode("utf-8").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            target = ""
        if _VERSION.match(target.rsplit("/", 1)[-1]):
            removed += recover_base(out / target.rpartition("/")[0])
        try:
            fs.rm(entry.path, recursive=True)
        except (FileNotFoundError, OSError):
            continue
        removed.append(
            {
                "version": str(entry),
                "what": "upload",
                "writer_pid": writer["pid"],
                "same_host": writer["host"] == host_id(),
                "at": time.time(),
            }
        )
    return removed


def log(out: StorePath, records: list[dict[str, Any]]) -> None:
    """Append what was removed to the output's local record (`--status` shows it)."""
    if not records:
        return
    from migrator.storage.staging import work_dir

    folder = work_dir("out", out)
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
    with open(folder / LOG, "a", encoding="utf-8") as fh:  # one append per batch of records
        fh.write(text)


def logged(folder: Path) -> list[dict[str, Any]]:
    """What publishes into the output of `folder` removed, oldest first."""
    try:
        lines = (Path(folder) / LOG).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def describe(record: Mapping[str, Any]) -> str:
    """One line for `--status`: what was removed, whose it was, when."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(record.get("at") or 0)))
    writer = record.get("writer_pid")
    whose = "a killed publish" + (
        f" (process {writer}{' on this machine' if record.get('same_host') else ''})"
        if writer
        else ""
    )
    what = {
        "unfinished version": f"an unfinished version ({record.get('keys')} key(s), no "
        "metadata.json) left by " + whose,
        "claim": f"the claim {whose} left in a finished version",
        "upload": f"the temporary upload of {whose}",
    }.get(str(record.get("what")), str(record.get("what")))
    return f"{record.get('version')}: removed {what}, {when}"
