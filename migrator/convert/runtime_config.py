"""`[tool.migrator] runtimes` and `runtimes-dir` in pyproject.toml: where TensorFlow runtimes are.

```toml
[tool.migrator]
runtimes = {tf215 = "/envs/tf215/bin/python", tf221 = "/envs/tf221/bin/python"}
runtimes-dir = ".migrator-runtimes"   # where `migrator runtimes install` puts its envs
```

Converting needs other interpreters (one per TensorFlow line) and migrator must not guess them
from paths of one machine. The file is found the way the rule selection finds it (the nearest
`pyproject.toml` with a `[tool.migrator]` table, from the current folder up), with the rule
config's own finder; a relative path is taken from the file's folder. Environment variables
(`MIGRATOR_RUNTIME_<NAME>`) win over the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from migrator.errors import UsageError
from migrator.knowledge.tf_lines import ENV_NAMES
from migrator.rules.config import find_pyproject, tomllib

KEY = "runtimes"
DIR_KEY = "runtimes-dir"


def configured_python(name: str, start: Path | None = None) -> Path | None:
    """The interpreter `[tool.migrator] runtimes` names for runtime `name`, or None."""
    return configured_runtimes(Path.cwd() if start is None else start).get(name)


@cache
def configured_runtimes(start: Path) -> Mapping[str, Path]:
    """Runtime name -> interpreter from the nearest pyproject.toml at or above `start`."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return {}
    return read_runtimes(pyproject)


@cache
def configured_runtimes_dir(start: Path) -> Path | None:
    """The managed-runtimes folder `[tool.migrator] runtimes-dir` names (relative to the file)."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{pyproject}: cannot read [tool.migrator] ({exc}); fix the file") from exc
    value = data.get("tool", {}).get("migrator", {}).get(DIR_KEY)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise UsageError(f"[tool.migrator] {DIR_KEY} in {pyproject} must be a folder path")
    path = Path(value).expanduser()
    return path if path.is_absolute() else pyproject.parent / path


def read_runtimes(pyproject: Path) -> dict[str, Path]:
    """The `runtimes` table of one file, checked: known names, string paths."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{pyproject}: cannot read [tool.migrator] ({exc}); fix the file") from exc
    table = data.get("tool", {}).get("migrator", {}).get(KEY)
    if table is None:
        return {}
    where = f"[tool.migrator] {KEY} in {pyproject}"
    if not isinstance(table, Mapping):
        raise UsageError(f'{where} must be a table like {{tf221 = "/path/to/python"}}')
    out: dict[str, Path] = {}
    for name, value in table.items():
        if name not in ENV_NAMES:
            raise UsageError(
                f"unknown runtime {name!r} in {where}; known runtimes: {', '.join(ENV_NAMES)}"
            )
        if not isinstance(value, str) or not value:
            raise UsageError(f"runtime {name!r} in {where} must be the path of a python")
        path = Path(value).expanduser()
        out[name] = path if path.is_absolute() else pyproject.parent / path
    return out
