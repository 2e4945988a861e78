"""`--backend`, `--ray-address` and their `[tool.migrator]` keys: which backend a command uses.

```toml
[tool.migrator]
backend = "ray"                      # local (default) or ray
ray-address = "head.example:6379"    # the cluster; default: join or start one on this machine
```

The file is the nearest `pyproject.toml` with a `[tool.migrator]` table from the current folder
up (the rule config's finder); the command line wins over it. A bad value names the file and
the key, as every other `[tool.migrator]` mistake does.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from migrator.backends import Backend, get, names
from migrator.errors import UsageError

BACKEND_KEY = "backend"
ADDRESS_KEY = "ray-address"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The two options, for `migrator audit` and `migrator convert` alike."""
    parser.add_argument(
        "--backend",
        metavar="NAME",
        help=f"where reads and conversions run: {', '.join(names())} (default: backend in "
        "[tool.migrator], else local); ray needs the extra migrator[ray]",
    )
    parser.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="the Ray cluster for --backend ray: host:port of its head or ray://host:10001 "
        "(default: ray-address in [tool.migrator], RAY_ADDRESS, else join or start a cluster "
        "on this machine)",
    )


def configured(start: Path | None = None) -> dict[str, str]:
    """`backend` and `ray-address` from the nearest `[tool.migrator]`, checked."""
    from migrator.rules.config import find_pyproject, tomllib

    pyproject = find_pyproject(Path.cwd() if start is None else start)
    if pyproject is None:
        return {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{pyproject}: cannot read [tool.migrator] ({exc}); fix the file") from exc
    table: Any = data.get("tool", {}).get("migrator", {})
    out: dict[str, str] = {}
    for key in (BACKEND_KEY, ADDRESS_KEY):
        value = table.get(key, table.get(key.replace("-", "_")))
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise UsageError(f"[tool.migrator] {key} in {pyproject} must be a non-empty string")
        out[key] = value
    if BACKEND_KEY in out and out[BACKEND_KEY] not in names():
        raise UsageError(
            f"unknown backend {out[BACKEND_KEY]!r} in [tool.migrator] of {pyproject}; choose one "
            f"of {', '.join(names())}"
        )
    return out


def from_args(args: argparse.Namespace) -> Backend:
    """The backend the command line (else the config) asks for, not yet connected."""
    config = configured()
    name = getattr(args, "backend", None) or config.get(BACKEND_KEY)
    address = getattr(args, "ray_address", None) or config.get(ADDRESS_KEY)
    if name is not None and name not in names():
        raise UsageError(f"unknown --backend {name!r}; choose one of {', '.join(names())}")
    if getattr(args, "ray_address", None) and (name or "local") != "ray":
        raise UsageError('--ray-address needs --backend ray (or backend = "ray" in the config)')
    return get(name, address=address) if name == "ray" else get(name)
