"""MLflow registry and run URIs as audit paths: `models:/NAME[/VERSION]` and `runs:/RUN_ID/path`.

A model in an MLflow registry has no path on disk: the MLflow client (optional extra
`migrator[mlflow]`) downloads its artifacts from the tracking server named by
`MLFLOW_TRACKING_URI` into a private temporary folder, laid out as the URIs read
(`<tmp>/models:/NAME/VERSION/`, `<tmp>/runs:/RUN_ID/path/`), and the audit reads that folder, so
the report names each artifact by its URI (`models:/fraud/3/data/model.keras`). Nothing is
loaded; the temporary folder is removed when the process exits. Each URI that cannot be resolved
(no mlflow package, no tracking URI, unknown model, version or run, server unreachable) is one
error line and the audit goes on with the rest.

`models:/NAME` without a version means its newest version, which the report names
(`models:/NAME/7`). Stages (`models:/NAME/Production`) and aliases (`models:/NAME@champion`) are
resolved by MLflow itself.
"""

from __future__ import annotations

import atexit
import inspect
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SCHEMES = ("models:/", "runs:/")
EXTRA_HINT = "install it with: pip install 'migrator[mlflow]'"
# MLflow's HTTP client retries 7 times with backoff by default (minutes for a server that is
# down); an audit says so after a short try instead, unless the user configured otherwise.
_HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}
_SAFE_PART = re.compile(r"^[^/\\\x00]+$")
_LOGGED_MODEL = re.compile(r"^m-[0-9a-f]{32}$")


class UnresolvedURI(Exception):
    """One URI that cannot be audited; the message is the remedy-carrying line after the URI."""


def is_registry_uri(text: str) -> bool:
    return text.startswith(SCHEMES)


def resolve_uris(paths: Sequence[Any]) -> tuple[list[Any], list[str]]:
    """(paths to audit, one error line per URI that failed): registry URIs downloaded.

    Paths that are not registry URIs are returned unchanged. When every argument is a registry
    URI, the temporary root is audited as a whole so report paths read as the URIs; mixed with
    local paths, each download folder is audited beside them.
    """
    uris = [str(p) for p in paths if is_registry_uri(str(p))]
    if not uris:
        return list(paths), []
    root = Path(tempfile.mkdtemp(prefix="migrator-mlflow-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    resolved: list[Any] = []
    errors: list[str] = []
    for path in paths:
        text = str(path)
        if not is_registry_uri(text):
            resolved.append(path)
            continue
        try:
            resolved.append(download(text, root))
        except UnresolvedURI as exc:
            errors.append(f"{text}: {exc}")
    if len(uris) == len(paths):
        return ([root] if len(resolved) else []), errors
    return resolved, errors


def download(uri: str, root: Path) -> Path:
    """Download the artifacts `uri` names into `root/<uri>`; UnresolvedURI when it cannot."""
    try:
        import mlflow.artifacts
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise UnresolvedURI(f"reading MLflow URIs needs the mlflow package; {EXTRA_HINT}") from None
    tracking = os.environ.get("MLFLOW_TRACKING_URI")
    if not tracking:
        raise UnresolvedURI(
            "MLFLOW_TRACKING_URI is not set; set it to the tracking server that holds the model "
            "(e.g. http://mlflow.internal:5000)"
        )
    for key, value in _HTTP_DEFAULTS.items():
        os.environ.setdefault(key, value)
    scheme, _, rest = uri.partition(":/")
    parts = [p for p in rest.split("/") if p]
    if not parts or not all(_SAFE_PART.match(p) and p not in (".", "..") for p in parts):
        raise UnresolvedURI(
            f"not a {scheme}:/ URI MLflow accepts; write models:/NAME[/VERSION] or "
            "runs:/RUN_ID/path"
        )
    # The environment names the server, whatever an MLflow user set in this process before.
    registry = os.environ.get("MLFLOW_REGISTRY_URI") or tracking
    where: dict[str, str] = {"tracking_uri": tracking}
    if "registry_uri" in inspect.signature(mlflow.artifacts.download_artifacts).parameters:
        where["registry_uri"] = registry  # MLflow >= 2.11
    # MLflow 3 names a logged model `models:/m-<32 hex>` (no registry entry, no version).
    logged_model = bool(_LOGGED_MODEL.match(parts[0]))
    if scheme == "models" and len(parts) == 1 and "@" not in parts[0] and not logged_model:
        client = MlflowClient(tracking_uri=tracking, registry_uri=registry)
        parts.append(_newest_version(client, parts[0], tracking))
        uri = f"models:/{'/'.join(parts)}"
    target = root.joinpath(f"{scheme}:", *parts)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=root))
    try:
        local = Path(
            mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(staging), **where)
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(local), str(target))
    except UnresolvedURI:
        raise
    except Exception as exc:  # the MLflow client's errors: REST, connection, missing artifacts
        raise UnresolvedURI(_explain(exc, tracking)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _newest_version(client: Any, name: str, tracking: str) -> str:
    if "'" in name:
        raise UnresolvedURI("a registered model name cannot contain a quote; check the name")
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except Exception as exc:
        raise UnresolvedURI(_explain(exc, tracking)) from None
    numbers = [int(v.version) for v in versions if str(v.version).isdigit()]
    if not numbers:
        raise UnresolvedURI(
            f"no registered model named {name!r} on {tracking}; check the name in the MLflow UI "
            "or with MlflowClient().search_registered_models()"
        )
    return str(max(numbers))


def _explain(exc: Exception, tracking: str) -> str:
    """One line for what the MLflow client raised, with what to do next."""
    code = str(getattr(exc, "error_code", "") or "")
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    text = text if len(text) <= 200 else text[:197] + "..."
    if code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND") or "not found" in text.lower():
        return (
            f"no such registered model, version or run on {tracking} ({text}); check the name, "
            "version and run id in the MLflow UI"
        )
    if code == "INVALID_PARAMETER_VALUE":
        return f"MLflow refused the URI ({text}); write models:/NAME[/VERSION] or runs:/RUN_ID/path"
    if "connect" in text.lower() or "max retries" in text.lower() or "timed out" in text.lower():
        return (
            f"cannot reach the tracking server at {tracking} ({type(exc).__name__}); check "
            "MLFLOW_TRACKING_URI and that the server is running"
        )
    return f"MLflow could not download it ({type(exc).__name__}: {text}); check the URI"
