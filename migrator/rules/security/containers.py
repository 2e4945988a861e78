"""Security rules about weight files and containers (MIG304, MIG307-MIG309): pickles in `.npz`
weights, HDF5 external links, zip members that escape the extraction folder and duplicated zip
members.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.facts import (
    short_list,
)
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.security import LOAD
from migrator.rules.security._dangerous import dangerous_callable, expected_in_pickle

# --- weights and containers -------------------------------------------------------------------


@artifact_rule(
    "MIG304",
    "npz-pickle",
    title="Pickled objects in `.npz` weights",
    severity="critical",
    breaks_in="Keras versions that load `.keras` npz weights with `numpy.load(allow_pickle=True)` "
    "(tf.keras 2.15, Keras 3.3.3 checked) unpickle them, running any code the pickle names",
    formats=("keras-v3",),
)
def npz_pickle(artifact: Artifact) -> Hit | None:
    """A `.keras` archive whose npz weights hold object arrays (pickles) or a bare pickle.

    Object-dtype `.npy` arrays are pickles, and a pickle can call any importable function
    (`os.system`) when it is loaded. Keras npz stores pickle one dict per layer, and loaders
    that use `allow_pickle=True` run whatever a crafted pickle says. A weights member that is
    not a zip at all but starts like a pickle is worse still: it exists only to be unpickled.

    The pickle is disassembled with `pickletools` (never loaded) and the finding names the
    callables it imports: critical when any is from a process, file, network or code-loading
    module (`posix.system`, `builtins.eval`, `subprocess.Popen`) or anything beyond NumPy's own
    array reconstruction; high when it only rebuilds arrays and dicts as Keras' npz writer does.

    Fix: do not load the file; if the model is needed, rebuild it from trusted code and retrain,
    or load the weights only in an isolated sandbox and re-save them as `.weights.h5`.
    """
    arrays = [a for a in artifact.details.get("npz_object_arrays") or [] if isinstance(a, Mapping)]
    issues = [
        i
        for i in artifact.details.get("npz_issues") or []
        if isinstance(i, Mapping) and "pickle" in str(i.get("problem", ""))
    ]
    if not arrays and not issues:
        return None
    payloads = [(str(i.get("entry")), i.get("pickle")) for i in issues]  # bare pickles first
    payloads += [(f"{a.get('entry')}/{a.get('array')}.npy", a.get("pickle")) for a in arrays]
    named = [_named_pickle(where, found) for where, found in payloads]
    dangerous = [text for text, level in named if level == "dangerous"]
    unexpected = [text for text, level in named if level == "unexpected"]
    unread = [text for text, level in named if level == "unread"]
    if dangerous or unexpected or unread:
        shown = dangerous + unexpected + unread
        return Hit(
            f"{short_list(shown, 3)}: loading unpickles it, which runs those calls",
            "do not load this file; rebuild the model from trusted code, or re-save the weights "
            "as `.weights.h5` inside an isolated sandbox",
        )
    return Hit(
        f"pickled data in the npz weights ({short_list([t for t, _ in named], 3)}): it only "
        "rebuilds NumPy arrays and containers, but loaders that accept it unpickle, which is a "
        "code path a crafted file uses",
        "re-save the weights as `.weights.h5` (inside an isolated sandbox) and stop shipping npz "
        "weights",
        severity="high",
    )


def _named_pickle(where: str, found: Any) -> tuple[str, str]:
    """("pickle in `x` calls `posix.system`", level): level dangerous/unexpected/unread/expected."""
    if not isinstance(found, Mapping):
        return f"pickle in `{where}` (not disassembled)", "unread"
    imports = [str(i) for i in found.get("imports") or []]
    bad = [i for i in imports if dangerous_callable(i)]
    odd = [i for i in imports if not dangerous_callable(i) and not expected_in_pickle(i)]
    stopped = f" ({found['error']})" if found.get("error") else ""
    verb = "calls" if found.get("calls") else "imports"
    if bad or odd:
        shown = ", ".join(f"`{i}`" for i in (bad + odd)[:4])
        more = f" and {len(bad + odd) - 4} more" if len(bad + odd) > 4 else ""
        return f"pickle in `{where}` {verb} {shown}{more}{stopped}", (
            "dangerous" if bad else "unexpected"
        )
    if found.get("error") and not imports:
        return f"pickle in `{where}`: names could not be read{stopped}", "unread"
    return f"`{where}` ({', '.join(imports[:3]) or 'no imports'})", "expected"


def _external_links(artifact: Artifact) -> list[str]:
    links = [
        f"{link.get('path')} -> {link.get('file')}:{link.get('target')}"
        for link in artifact.details.get("external_links") or []
        if isinstance(link, Mapping)
    ]
    weights = artifact.details.get("weights") if artifact.format == "keras-v3" else None
    layout = weights.get("layout") if isinstance(weights, Mapping) else None
    for link in (layout or {}).get("links") or []:  # `.keras` weights member: {path, external}
        if isinstance(link, Mapping) and link.get("external"):
            links.append(f"model.weights.h5:{link.get('path')} -> {link.get('external')}")
    return links


@artifact_rule(
    "MIG307",
    "hdf5-external-link",
    title="HDF5 external link to another file",
    severity="high",
    breaks_in=f"{LOAD}: h5py follows external links when Keras reads the group, opening "
    "whatever file the link names on the loading machine",
    formats=("keras-h5", "keras-h5-weights", "keras-v3-weights", "keras-v3"),
)
def hdf5_external_link(artifact: Artifact) -> Hit | None:
    """An HDF5 group or dataset that is an external link into another file.

    Keras never writes external links. When Keras walks the file, h5py resolves the link and
    opens the named file (absolute paths included) on the machine that loads the model: a way to
    read local data into weights, probe the filesystem, or make the model depend on a file that
    is not shipped with it. The audit lists links without following them.

    Fix: do not load the file; re-save the model from a trusted copy (Keras writes
    self-contained files), or copy the linked data in with h5py after reviewing it.
    """
    links = _external_links(artifact)
    if not links:
        return None
    return Hit(
        f"{len(links)} HDF5 external link(s): {short_list(links, 3)}: loading opens the linked "
        "file on the loading machine",
        "do not load it; re-save the model from a trusted, self-contained copy",
    )


@artifact_rule(
    "MIG308",
    "zip-path-escape",
    title="Zip member that escapes the archive (absolute path, `..`, symlink)",
    severity="high",
    breaks_in="any extractor that does not sanitize names (Keras versions that extract assets, "
    "`unzip`, Java/Go/Node tools): files are written outside the target folder",
    formats=("keras-v3",),
)
def zip_path_escape(artifact: Artifact) -> Hit | None:
    """A `.keras` member whose name is absolute, has `..` components, backslashes, NUL bytes or
    is a symlink entry.

    Keras writes only `metadata.json`, `config.json`, `model.weights.*` and `assets/...`. A
    member like `../../.bashrc` or `/etc/cron.d/x` exists to be written outside the extraction
    folder by tools that trust names (zip slip); symlink entries redirect later writes. Python's
    `zipfile` strips such names, many other tools do not.

    Fix: do not extract or load the file; rebuild it from a trusted copy, and reject archives with
    such members at upload time.
    """
    members = [m for m in artifact.details.get("unsafe_members") or [] if isinstance(m, Mapping)]
    if not members:
        return None
    parts = [f"{m.get('name')!r} ({m.get('reason')})" for m in members]
    return Hit(
        f"{len(members)} archive member(s) that escape the extraction folder: "
        f"{short_list(parts, 3)}",
        "do not extract or load it; rebuild it from a trusted copy",
    )


@artifact_rule(
    "MIG309",
    "zip-duplicate-members",
    title="Zip archive listing the same member name twice",
    severity="high",
    breaks_in="every Keras version: `zipfile` (and so Keras) reads the LAST entry of a name, "
    "while scanners that read the first one see different content",
    formats=("keras-v3",),
)
def zip_duplicate_members(artifact: Artifact) -> Hit | None:
    """The central directory lists a member name more than once.

    Keras never writes duplicates. Python's `zipfile` resolves a name to its last entry, many
    scanners and unzip tools to the first: a benign first copy can hide a payload that Keras
    loads (published malicious `.keras` files pair this with pickled npz weights).

    Fix: do not load the file; rebuild it from a trusted copy, and reject archives with duplicate
    names at upload time.
    """
    duplicates = [str(d) for d in artifact.details.get("duplicate_members") or []]
    if not duplicates:
        return None
    return Hit(
        f"duplicate archive member(s) {short_list(duplicates)}: Keras loads the last copy, "
        "scanners that read the first one see something else",
        "do not load it; rebuild it from a trusted copy",
    )
