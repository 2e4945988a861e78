"""`--format cyclonedx`: a CycloneDX 1.6 ML-BOM of the audited models, for supply-chain tooling.

Each artifact is a `machine-learning-model` component: its format, producer and era as
properties, a `modelCard` where the artifact records something a model card holds (the model
class as `modelArchitecture`, the framework family, the outdated-format and security findings as
`considerations.technicalLimitations`), and the files it is made of as nested `file` components
with their sha256. A folder artifact (a SavedModel) also gets a hash of its own, the folder hash
`migrator convert` records for a source (`migrator.digest.tree_sha256` over its files, relative
to the folder), when every file of it was hashed. Members of an archive
(`model.tar.gz!/1/saved_model.pb`) are hashed by the audit while it streams the archive
(`Artifact.digests`), the same way and to the same values as the extracted files would be; the
archive itself is hashed as a file. Security findings (MIG3xx) are also `vulnerabilities` affecting the model, so
scanners that read BOMs see them. Unreadable artifacts stay in the BOM, with their errors as
properties.

Hashes read bytes, which a weights file has many of: by default only files up to
`SMALL_FILE_BYTES` are hashed (configs, metadata, small models); `all_hashes=True`
(`migrator audit --hashes`) hashes every file. Nothing is parsed or executed to hash a file.
The BOM is deterministic: no timestamp, and a serial number derived from its content.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from migrator import __version__
from migrator.digest import tree_sha256
from migrator.formats.archive.expand import SEPARATOR
from migrator.formats.archive.limits import MAX_HASHED_BYTES, human
from migrator.model import Artifact, Finding, Report
from migrator.report import register
from migrator.report.common import (
    era,
    executes_on_load,
    rule_meta,
    safe_text,
    sorted_findings,
    verdict_summary,
)
from migrator.storage import location

SPEC_VERSION = "1.6"
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
SMALL_FILE_BYTES = 16 * 1024 * 1024
CHUNK = 1 << 20
PREFIX = "migrator"  # namespace of our property names (CycloneDX property taxonomy convention)
SEVERITY_RATING = {"critical", "high", "medium", "low", "info"}  # CycloneDX severities we use


@register("cyclonedx")
def render(report: Report, *, all_hashes: bool = False) -> str:
    """The BOM as JSON text; `all_hashes` hashes every file, weights included."""
    return safe_text(json.dumps(bom(report, all_hashes=all_hashes), indent=2) + "\n")


def bom(report: Report, *, all_hashes: bool = False) -> dict[str, Any]:
    root = location(report.root)  # a store URL stays one: its objects are hashed in place
    artifacts = sorted(report.artifacts, key=lambda a: a.path)
    components = [_component(a, root, all_hashes) for a in artifacts]
    vulnerabilities = [v for a in artifacts for v in _vulnerabilities(a)]
    out: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {
            "tools": {
                "components": [
                    {
                        "type": "application",
                        "name": "migrator",
                        "version": __version__,
                        "description": "TensorFlow/Keras model-artifact auditor",
                    }
                ]
            },
            "properties": _properties(
                [
                    ("root", report.root),
                    ("hashes", _hash_policy(all_hashes)),
                    *(("error", e) for e in report.errors),
                ]
            ),
        },
        "components": components,
    }
    if vulnerabilities:
        out["vulnerabilities"] = vulnerabilities
    # A serial number is required to be unique per BOM content; derive it from the content so
    # two audits of the same tree give the same bytes.
    digest = hashlib.sha256(json.dumps(out, sort_keys=True).encode("utf-8", "surrogatepass"))
    out["serialNumber"] = f"urn:uuid:{uuid.UUID(bytes=digest.digest()[:16], version=5)}"
    return out


def _hash_policy(all_hashes: bool) -> str:
    on_disk = "all files" if all_hashes else f"files <= {SMALL_FILE_BYTES} bytes"
    return (
        f"{on_disk}; members of archives as the audit read them, weight data beyond what "
        f"readers keep up to {human(MAX_HASHED_BYTES)} per archive"
    )


def _ref(kind: str, path: str) -> str:
    return f"{PREFIX}:{kind}:{path}"


def _properties(pairs: Iterable[tuple[str, object]]) -> list[dict[str, str]]:
    return [{"name": f"{PREFIX}:{name}", "value": str(value)} for name, value in pairs if value]


def _component(a: Artifact, root: Path, all_hashes: bool) -> dict[str, Any]:
    props: list[tuple[str, object]] = [("format", a.format), ("era", era(a))]
    props += [(f"producer:{k}", v) for k, v in sorted(a.producer.items())]
    v = verdict_summary(a)
    if v is not None:
        props.append(("loads-in-newest-tf", v.text))
    props += [(f"loadability:{k}", _cell(c)) for k, c in sorted(a.loadability.items())]
    props += [
        ("finding", f"{f.rule} {f.severity}: {f.message}") for f in sorted_findings(a.findings)
    ]
    props += [("executes-on-load", "true")] if any(map(executes_on_load, a.findings)) else []
    props += [("error", e) for e in a.errors]
    component: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": _ref("artifact", a.path),
        "name": a.path,
    }
    if a.producer.get("keras_version") or a.producer.get("tensorflow_version"):
        component["version"] = str(
            a.producer.get("keras_version") or a.producer.get("tensorflow_version")
        )
    card = _model_card(a)
    if card:
        component["modelCard"] = card
    files = [_file(f, root, all_hashes, a.digests) for f in sorted(set(a.files))]
    if len(files) == 1 and files[0]["name"] == a.path:
        if "hashes" in files[0]:
            component["hashes"] = files[0]["hashes"]
        props += [(k.removeprefix(f"{PREFIX}:"), val) for k, val in _pairs(files[0])]
    elif files:
        component["components"] = files
        folder = _folder_hash(a.path, files)
        if folder is not None:
            component["hashes"] = [{"alg": "SHA-256", "content": folder}]
    component["properties"] = _properties(props)
    return component


def _pairs(file: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["name"], p["value"]) for p in file.get("properties", [])]


def _cell(cell: Any) -> str:
    verdict = str(cell.get("verdict", "")) if hasattr(cell, "get") else str(cell)
    reason = str(cell.get("reason", "") or "") if hasattr(cell, "get") else ""
    return f"{verdict}: {reason}" if reason else verdict


def _model_card(a: Artifact) -> dict[str, Any]:
    """What of a model card the bytes tell: architecture, framework family, known limitations."""
    params: dict[str, Any] = {}
    family = era(a)
    if family != "unknown":
        params["architectureFamily"] = family
    model_class = a.details.get("model_class")
    if model_class:
        params["modelArchitecture"] = str(model_class)
    limitations = [f"{f.rule}: {f.message}" for f in sorted_findings(a.findings)]
    card: dict[str, Any] = {}
    if params:
        card["modelParameters"] = params
    if limitations:
        card["considerations"] = {"technicalLimitations": limitations}
    return card


def _folder_hash(path: str, files: list[dict[str, Any]]) -> str | None:
    """The folder hash of an artifact whose files all lie under its path and were all hashed."""
    # the folder's prefix: `serving/1/`, `model.tar.gz!/` (a SavedModel at an archive's root),
    # nothing for the audited folder itself
    prefix = "" if path == "." else path if path.endswith(SEPARATOR) else f"{path}/"
    pairs = []
    for file in files:
        name = file["name"]
        if not name.startswith(prefix) or "hashes" not in file:
            return None
        pairs.append((name[len(prefix) :], file["hashes"][0]["content"]))
    return tree_sha256(pairs)


def _file(rel: str, root: Path, all_hashes: bool, digests: Mapping[str, str]) -> dict[str, Any]:
    """A nested `file` component with the file's sha256 (small files, or all with --hashes;
    an archive's members with the hash the audit took as it read them)."""
    out: dict[str, Any] = {"type": "file", "bom-ref": _ref("file", rel), "name": rel}
    if rel in digests:
        out["hashes"] = [{"alg": "SHA-256", "content": digests[rel]}]
        return out
    path = root / rel
    if SEPARATOR in rel and not path.exists():  # in an archive: `model.tar.gz!/1/...`
        reason = (
            "a member of an archive the audit did not hash (cut short, or past the "
            f"{human(MAX_HASHED_BYTES)} of weight data hashed per archive); extract the "
            "archive and audit the folder with --hashes"
        )
        out["properties"] = _properties([("hash-skipped", reason)])
        return out
    try:
        size = path.stat().st_size
    except (OSError, ValueError) as exc:
        out["properties"] = _properties([("hash-skipped", f"cannot stat: {exc}")])
        return out
    if not path.is_file():
        return out
    if size > SMALL_FILE_BYTES and not all_hashes:
        out["properties"] = _properties(
            [("size", size), ("hash-skipped", "larger than 16 MiB; use --hashes")]
        )
        return out
    try:
        digest = _sha256(path)
    except OSError as exc:
        out["properties"] = _properties([("hash-skipped", f"cannot read: {exc}")])
        return out
    out["hashes"] = [{"alg": "SHA-256", "content": digest}]
    out["properties"] = _properties([("size", size)])
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _vulnerabilities(a: Artifact) -> list[dict[str, Any]]:
    out = []
    for f in sorted_findings(a.findings):
        meta = rule_meta(f.rule)
        if meta is None or not meta.is_security:
            continue
        out.append(_vulnerability(a, f, meta.title))
    return out


def _vulnerability(a: Artifact, f: Finding, title: str) -> dict[str, Any]:
    severity = f.severity if f.severity in SEVERITY_RATING else "unknown"
    item: dict[str, Any] = {
        "id": f.rule,
        "source": {"name": f"migrator (`migrator rules {f.rule}`)"},
        "ratings": [{"severity": severity, "method": "other"}],
        "description": title,
        "detail": f.message,
        "affects": [{"ref": _ref("artifact", a.path)}],
    }
    if f.fix:
        item["recommendation"] = f.fix
    return item
