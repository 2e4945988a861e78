"""Walk trees and group files into artifacts: a SavedModel folder is one artifact, not a pile of files.

Discovery reads at most the first 64 bytes of a file (and small directory listings); the readers
decide the rest. Layout facts that only the surrounding folders tell (TF Serving version folders,
timestamped estimator/contrib exports) are attached here as the candidate's context.

Nothing is left out without a line, because a CI job reading "0 findings" must be able to trust
that every file was looked at: FIFOs, sockets and devices named like models, dangling or looping
symlinks and damaged model-named files are errors; tool folders (`.git`, `node_modules`...),
`exclude` globs and symlinks to folders audited elsewhere are `skipped` lines. Dot-folders are
audited like any other. Symlinked folders are followed once: a link whose target lies inside the
audited tree is audited at its real place, and every folder is entered at most once by real path,
so a link loop ends.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from migrator.formats import reader, readers
from migrator.model import Candidate
from migrator.storage import is_remote, list_dir, listing_ahead, relative_posix
from migrator.storage import read_head as sniff_head
from migrator.storage import walk as walk_tree

HEAD_BYTES = 64

# Extensions that promise a model: a file with one of these that no reader claims is an error,
# not something to skip silently.
MODEL_SUFFIXES = (
    ".h5",
    ".hdf5",
    ".keras",
    ".pb",
    ".pbtxt",
    ".tflite",
    ".ckpt",
    ".meta",
    ".index",
    ".npz",
)
SOURCE_SUFFIXES = (".py", ".ipynb")
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".tox", ".venv", "venv", "__pycache__", "node_modules"}
)

# Unix timestamps between 2015-01-01 and 2040-01-01: estimator / tf.contrib export folder names.
_TS_MIN, _TS_MAX = 1420070400, 2208988800


class CandidateSink(Protocol):
    """Where discovery puts candidates as it finds them: a list, or a caller's spool."""

    def append(self, candidate: Candidate, /) -> None: ...


@dataclass
class Discovery:
    """What a walk found: artifact candidates, code files for code rules, and walk errors.

    `candidates` come in the order of their reported paths (the walk visits each folder's
    entries by name, a folder sorting as `name/`), whatever sink holds them.
    """

    candidates: list[Candidate] = field(default_factory=list)
    sources: list[tuple[str, Path]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Walk:
    """What a walk carries from folder to folder: the filters and the folders already entered."""

    root: str  # real path of the audited folder
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    entered: set[str] = field(default_factory=set)  # the root and folders outside it
    # the numbered folders of the last parent asked about: siblings are walked one after another
    numbered_in: dict[str, list[int]] = field(default_factory=dict)
    # the walked folder's own path as reported, when it is not the audited folder (an archive
    # laid out: `models/source.tar.gz!/`); slash patterns match it joined to `rel` as well
    outer: str = ""

    def numbered(self, parent: Path) -> list[int]:
        key = str(parent)
        if key not in self.numbered_in:
            self.numbered_in.clear()
            self.numbered_in[key] = _numbered_folders(parent)
        return list(self.numbered_in[key])

    def left_out(self, rel: str, name: str, folder: bool) -> str | None:
        """Why `rel` is not walked into (a skipped line), or None to walk it."""
        paths = (rel, f"{self.outer}{rel}") if self.outer else (rel,)
        if any(_matches(self.include, path, name) for path in paths):
            return None
        for pattern in self.exclude:
            if any(_matches((pattern,), path, name) for path in paths):
                return f"{rel}: excluded by the pattern {pattern!r}"
        if folder and name in SKIP_DIRS:
            return f"{rel}/: tool folder not audited; pass --include {name!r} to audit it"
        return None


def _matches(patterns: tuple[str, ...], rel: str, name: str) -> bool:
    """A pattern with a slash matches the whole relative path, one without it matches the name."""
    return any(fnmatch.fnmatchcase(rel if "/" in p else name, p.rstrip("/")) for p in patterns)


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of a file (in a store, with its next siblings' in one round: storage)."""
    return sniff_head(path, size)


def layout_context(
    path: Path, rel: str, numbered: Callable[[Path], list[int]] | None = None
) -> dict[str, object]:
    """Facts from the folder name: `00000123` is a TF Serving version, `1554322901` a timestamp.

    `numbered(parent)` gives the numbered folders beside it (the walk passes one that lists each
    parent once: a base of ten thousand exports must not be listed ten thousand times).
    """
    name = path.name
    if not name.isdigit():
        return {}
    number = int(name)
    ctx: dict[str, object] = {"version_folder": name, "version": number}
    parent_rel = rel.rpartition("/")[0] if "/" in rel else ("." if rel != "." else "..")
    ctx["model_base"] = parent_rel
    if _TS_MIN <= number < _TS_MAX and len(name) == 10:
        ctx["kind"] = "timestamped-export"
        ctx["timestamp"] = datetime.fromtimestamp(number, tz=timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    else:
        ctx["kind"] = "serving-version"
    try:
        siblings = (numbered or _numbered_folders)(path.parent)
    except OSError:
        siblings = [number]
    ctx["versions_in_base"] = siblings
    return ctx


def _numbered_folders(parent: Path) -> list[int]:
    """The numbers of the numbered folders in `parent` (TF Serving versions, export timestamps)."""
    return sorted(int(p.name) for p in parent.iterdir() if p.name.isdigit() and p.is_dir())


def _join(rel_dir: str, name: str) -> str:
    return name if rel_dir == "." else f"{rel_dir}/{name}"


def _list_dir(
    path: Path, problems: list[tuple[str, str]] | None = None
) -> tuple[list[str], list[str]]:
    """(file names, folder names) in `path`, sorted; symlinks are followed.

    Entries that are neither (FIFOs, sockets, devices, dangling or looping symlinks) go to
    `problems` as (name, what it is) when a list is given. A store prefix is one listing.
    """
    if is_remote(path):
        return list_dir(path)
    files, dirs = [], []
    with os.scandir(path) as it:
        for entry in it:
            try:
                mode = entry.stat().st_mode
            except OSError as exc:
                if problems is not None:
                    what = "a symlink loop" if exc.errno == 40 else "a dangling symlink"
                    problems.append((entry.name, f"{what} ({exc.strerror or exc})"))
                continue
            if stat.S_ISDIR(mode):
                dirs.append(entry.name)
            elif stat.S_ISREG(mode):
                files.append(entry.name)
            elif problems is not None:
                problems.append((entry.name, f"a {_kind(mode)}, not a regular file"))
    return sorted(files), sorted(dirs)


def _real(path: Path) -> str:
    """The key a folder is entered under once: its real path, or for a store path (no links) its
    URL as a rooted POSIX path, so `os.path.commonpath` compares it like a local one."""
    if is_remote(path):
        return "/" + str(path).replace("://", "/", 1)
    return os.path.realpath(path)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


class ClaimFailed(Exception):
    """A reader raised while examining a file or folder (a reader bug or a hostile file)."""


def _ask(name: str, claim: Callable[..., Any], *args: Any) -> Any:
    try:
        return claim(*args)
    except OSError:
        raise
    except Exception as exc:  # e.g. RecursionError on a deeply nested JSON file
        raise ClaimFailed(
            f"the {name} reader failed to examine it ({type(exc).__name__}: {exc})"
        ) from exc


def _claim_dir(path: Path, names: frozenset[str]) -> str | None:
    for name, module in readers():
        claim = getattr(module, "claim_dir", None)
        if claim is not None and _ask(name, claim, path, names):
            return name
    return None


def _claim_file(path: Path) -> str | None:
    head = read_head(path)
    failure: ClaimFailed | None = None
    for name, module in readers():
        claim = getattr(module, "claim_file", None)
        if claim is None:
            continue
        try:
            if _ask(name, claim, path, head):
                return name
        except ClaimFailed as exc:
            failure = failure or exc
    if failure is not None:
        raise failure
    return None


def _claim_groups(
    path: Path, names: frozenset[str], found: Discovery, rel: str
) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(reader name, main name, member names) for every group any reader claims in `path`."""
    for name, module in readers():
        group = getattr(module, "claim_group", None)
        if group is None:
            continue
        try:
            claimed = _ask(name, group, path, names)
        except ClaimFailed as exc:
            found.errors.append(f"{rel}: {exc}; some files in this folder may not be reported")
            continue
        for main, members in claimed:
            names = names - frozenset(members)
            yield name, main, tuple(members)


def _members(rel_dir: str, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(_join(rel_dir, n) for n in names))


def _dir_members(path: Path, rel: str, owned: frozenset[str]) -> tuple[str, ...]:
    """The files (recursively) under the entries of `path` named in `owned` (folders end in /)."""
    out = []
    for dirpath, dirnames, filenames in walk_tree(path):
        sub = relative_posix(dirpath, path)
        if sub == ".":
            dirnames[:] = [d for d in dirnames if d + "/" in owned]
            filenames = [f for f in filenames if f in owned]
        dirnames.sort()
        for fname in sorted(filenames):
            out.append(_join(rel, fname if sub == "." else f"{sub}/{fname}"))
    return tuple(out)


def _scan_dir(path: Path, rel: str, found: Discovery, walk: _Walk) -> None:
    real = _real(path)
    if real in walk.entered:
        found.skipped.append(f"{rel}/: the same folder as one already audited ({real})")
        return
    # A folder strictly inside the audited tree is reached once by the walk (a symlink to one is
    # skipped as "audited there"), so only the root and folders outside it, entered through
    # symlinks, need remembering: the set stays small whatever the size of the tree.
    if real == walk.root or os.path.commonpath([walk.root, real]) != walk.root:
        walk.entered.add(real)
    problems: list[tuple[str, str]] = []
    try:
        files, dirs = _list_dir(path, problems)
    except OSError as exc:
        found.errors.append(f"{rel}: cannot list folder ({exc.strerror or exc}); check permissions")
        return
    for name, what in problems:
        prel = _join(rel, name)
        if walk.left_out(prel, name, folder=False) is not None:
            continue
        if _looks_like_model(name) or "model" in name.lower():
            found.errors.append(f"{prel}: is {what}; nothing was read from it")
        else:
            found.skipped.append(f"{prel}: is {what}; not read")
    kept = []
    for name in files:
        why = walk.left_out(_join(rel, name), name, folder=False)
        if why is not None:
            found.skipped.append(why)
        else:
            kept.append(name)
    files = kept
    names = frozenset(files) | frozenset(d + "/" for d in dirs)
    try:
        owner = _claim_dir(path, names)
    except ClaimFailed as exc:
        found.errors.append(f"{rel}: {exc}; reading its files one by one")
        owner = None
    if owner is not None:
        # A reader may say which entries are its artifact's (a SavedModel's saved_model.pb,
        # variables/, assets/...); anything beside them is scanned like any other folder entry.
        members = getattr(reader(owner), "members", None)
        owned = members(path, names) if members is not None else names
        found.candidates.append(
            Candidate(
                path,
                rel,
                owner,
                _dir_members(path, rel, owned),
                layout_context(path, rel, walk.numbered),
            )
        )
        files = [f for f in files if f not in owned]
        dirs = [d for d in dirs if d + "/" not in owned]

    # This folder's candidates are collected first, then handed out interleaved with the walk of
    # its subfolders by name (a folder sorting as `name/`): the whole walk then yields candidates
    # in the order of their reported paths, so a caller can spool them as they come instead of
    # holding and sorting a hundred thousand of them.
    here: list[tuple[str, Candidate]] = []
    taken: set[str] = set()
    for name, main, members in _claim_groups(path, frozenset(files), found, rel):
        taken.update(members)
        here.append((main, Candidate(path / main, _join(rel, main), name, _members(rel, members))))

    for fname in files:
        if fname in taken:
            continue
        fpath = path / fname
        frel = _join(rel, fname)
        if fname.endswith(SOURCE_SUFFIXES):
            found.sources.append((frel, fpath))
            continue
        try:
            owner = _claim_file(fpath)
        except OSError as exc:
            found.errors.append(
                f"{frel}: cannot read file ({exc.strerror or exc}); check permissions"
            )
            continue
        except ClaimFailed as exc:
            found.errors.append(f"{frel}: {exc}; the file is probably damaged")
            continue
        if owner is not None:
            here.append((fname, Candidate(fpath, frel, owner, (frel,))))
        elif _looks_like_model(fname) or _damaged_architecture(fpath):
            here.append((fname, Candidate(fpath, frel, "", (frel,))))

    entries: list[tuple[str, Candidate | None]] = [*here, *((d + "/", None) for d in dirs)]
    entries.sort(key=lambda entry: entry[0])
    for key, candidate in entries:
        if candidate is not None:
            found.candidates.append(candidate)
            continue
        dname = key[:-1]
        drel = _join(rel, dname)
        why = walk.left_out(drel, dname, folder=True)
        if why is not None:
            found.skipped.append(why)
            continue
        dpath = path / dname
        if dpath.is_symlink():
            target = os.path.realpath(dpath)
            inside = os.path.commonpath([walk.root, target]) == walk.root
            if inside and target != walk.root:
                where = Path(os.path.relpath(target, walk.root)).as_posix()
                found.skipped.append(f"{drel}/: a symlink to {where}/, audited there")
                continue
        _scan_dir(dpath, drel, found, walk)


def _looks_like_model(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(MODEL_SUFFIXES) or bool(re.search(r"\.data-\d{5}-of-\d{5}$", lower))


_ARCH_SUFFIXES = (".json", ".yaml", ".yml")
# Top-level keys that make a JSON/YAML document a Keras architecture or a TF.js model.json.
_MODEL_KEYS = frozenset(
    {
        "class_name",
        "keras_version",
        "modelTopology",
        "weightsManifest",
        "generatedBy",
        "convertedBy",
    }
)


def _damaged_architecture(path: Path) -> bool:
    """A `*model*.json/.yaml` no reader claimed that is damaged: unparsable, not an object, an
    empty object, or an object with Keras/TF.js keys that no reader could make sense of.

    A valid object without such keys (a `model.json` of some web app) stays unreported; files
    over 1 MB are left to what the readers said.
    """
    lower = path.name.lower()
    if "model" not in lower or not lower.endswith(_ARCH_SUFFIXES):
        return False
    try:
        if path.stat().st_size > 2**20:
            return False
        text = path.read_bytes().decode("utf-8-sig")
        if lower.endswith(".json"):
            import json

            data = json.loads(text)
        else:
            from migrator.formats.keras_arch import load_yaml

            data = load_yaml(text)
    except Exception:  # unreadable, not UTF-8, not JSON/YAML, nested too deeply
        return True
    return (
        not isinstance(data, dict)
        or not data
        or bool(_MODEL_KEYS.intersection(map(str, data)))
        or data.get("format") in ("layers-model", "graph-model")
    )


def discover(
    root: Path,
    *,
    exclude: tuple[str, ...] = (),
    include: tuple[str, ...] = (),
    into: CandidateSink | None = None,
    outer: str = "",
) -> Discovery:
    """Find every artifact under `root` (a folder, a file, or a checkpoint prefix).

    `exclude` globs leave files and folders out (a pattern with a slash matches the path relative
    to `root`, one without matches the name at any depth); `include` globs bring back what an
    exclude or the tool-folder list would leave out. Each left-out path is a `skipped` line.
    Candidates go to `into` when given (the audit spools them to disk: a store of a hundred
    thousand models must not be held in memory), else to the returned `candidates` list; either
    way in the order of their reported paths. `outer` is how the report names `root` when it
    is not the audited folder (an archive's laid-out members: `source.tar.gz!/`): slash patterns
    then also match `outer` + the path relative to `root`.
    """
    found = Discovery()
    if into is not None:
        found.candidates = into  # type: ignore[assignment]
    mode = _mode(root)
    if root.is_dir():
        walk = _Walk(_real(root), tuple(exclude), tuple(include), outer=outer)
        with listing_ahead(root):  # a store's folders are listed concurrently, in walk order
            _scan_dir(root, ".", found, walk)
    elif root.is_file():
        _discover_single_file(root, found)
    elif mode is not None and not stat.S_ISLNK(mode):
        found.errors.append(f"{root}: is a {_kind(mode)}, not a regular file; nothing was read")
    elif mode is not None:
        found.errors.append(f"{root}: a dangling or looping symlink; check the path")
    elif root.parent.is_dir() and any(
        (root.parent / (root.name + suffix)).exists() for suffix in (".index", ".meta")
    ):
        _discover_prefix(root, found)
    else:
        found.errors.append(f"{root}: no such file or folder; check the path")
    found.sources.sort()
    return found


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode
    except OSError:
        try:
            return path.lstat().st_mode
        except OSError:
            return None


def _discover_single_file(path: Path, found: Discovery) -> None:
    """One file given directly: it may still be the main file of a group (checkpoint, TF.js)."""
    files, _ = _list_dir(path.parent)
    for name, main, members in _claim_groups(path.parent, frozenset(files), found, "."):
        if path.name in members:
            found.candidates.append(
                Candidate(path.parent / main, ".", name, tuple(sorted(members)))
            )
            return
    if path.name.endswith(SOURCE_SUFFIXES):
        found.sources.append((".", path))
        return
    try:
        owner = _claim_file(path)
    except ClaimFailed as exc:
        found.errors.append(f"{path}: {exc}; the file is probably damaged")
        return
    found.candidates.append(Candidate(path, ".", owner or "", (path.name,)))


def _discover_prefix(prefix: Path, found: Discovery) -> None:
    files, _ = _list_dir(prefix.parent)
    for name, main, members in _claim_groups(prefix.parent, frozenset(files), found, "."):
        if main == prefix.name:
            found.candidates.append(Candidate(prefix, ".", name, tuple(sorted(members))))
            return
    found.errors.append(f"{prefix}: not a checkpoint prefix (no readable .index); check the path")
